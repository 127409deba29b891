/* netaddr.h - IPv4/IPv6 client addresses
 * SUMMARY  Parse the address text found in logs ("1.2.3.4", "2001:db8::1",
 *          "::ffff:1.2.3.4", "IPv6:2001:db8::1") into a normalized value;
 *          IPv4-mapped IPv6 becomes IPv4. Format it back canonically, and
 *          derive network prefixes (/24, /16 for IPv4; /48 for IPv6).
 * LIMITS   NETADDR_STRLEN bytes for the canonical text with its NUL.
 * ERRORS   netaddr_parse returns -1 for anything that is not one address
 *          (zone ids, ports and brackets included); *out untouched then. */
#ifndef MS_NETADDR_H
#define MS_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#define NETADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

struct netaddr {
	uint8_t family;		/* 4 or 6; 0 = none */
	uint8_t bytes[16];	/* IPv4 uses the first 4 */
};

int netaddr_parse(const char *p, size_t len, struct netaddr *out);
/* Writes the canonical text; returns its length. buf has NETADDR_STRLEN bytes. */
size_t netaddr_format(const struct netaddr *a, char *buf);
/* Copy of a with all bits past prefix cleared (prefix clamped to the family). */
struct netaddr netaddr_mask(const struct netaddr *a, unsigned prefix);
/* Format as "a.b.c.0/24"; returns length. buf has NETADDR_STRLEN + 4 bytes. */
size_t netaddr_format_net(const struct netaddr *a, unsigned prefix, char *buf);
/* 64-bit hash of the address. */
uint64_t netaddr_hash(const struct netaddr *a);
int netaddr_equal(const struct netaddr *a, const struct netaddr *b);

#endif
