/* netaddr.c - IPv4/IPv6 client addresses */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int
netaddr_parse_v4(const char *p, size_t len, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		while (i < len && p[i] >= '0' && p[i] <= '9') {
			v = v * 10 + (unsigned)(p[i] - '0');
			if (++digits > 3 || v > 255)
				return -1;
			i++;
		}
		if (digits == 0)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -1;
}

int
netaddr_parse(const char *p, size_t len, struct netaddr *out)
{
	char tmp[NETADDR_STRLEN];
	struct netaddr a;

	memset(&a, 0, sizeof(a));
	if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {	/* Exim, Sendmail */
		p += 5;
		len -= 5;
	}
	if (netaddr_parse_v4(p, len, a.bytes) == 0) {
		a.family = 4;
		*out = a;
		return 0;
	}
	if (len == 0 || len >= sizeof(tmp) || memchr(p, ':', len) == NULL)
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, a.bytes) != 1)
		return -1;
	a.family = 6;
	/* ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket. */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a.bytes, mapped, 12) == 0) {
		memmove(a.bytes, a.bytes + 12, 4);
		memset(a.bytes + 4, 0, 12);
		a.family = 4;
	}
	*out = a;
	return 0;
}

size_t
netaddr_format(const struct netaddr *a, char *buf)
{
	if (a->family == 4)
		return (size_t)snprintf(buf, NETADDR_STRLEN, "%u.%u.%u.%u", a->bytes[0],
					a->bytes[1], a->bytes[2], a->bytes[3]);
	if (a->family == 6 && inet_ntop(AF_INET6, a->bytes, buf, NETADDR_STRLEN) != NULL)
		return strlen(buf);
	buf[0] = '\0';
	return 0;
}

struct netaddr
netaddr_mask(const struct netaddr *a, unsigned prefix)
{
	struct netaddr m = *a;
	unsigned bits = a->family == 4 ? 32 : 128, i;

	if (prefix > bits)
		prefix = bits;
	for (i = prefix; i < bits; i++)
		m.bytes[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	return m;
}

size_t
netaddr_format_net(const struct netaddr *a, unsigned prefix, char *buf)
{
	struct netaddr m = netaddr_mask(a, prefix);
	size_t n = netaddr_format(&m, buf);
	unsigned bits = a->family == 4 ? 32 : 128;

	n += (size_t)snprintf(buf + n, 5, "/%u", prefix > bits ? bits : prefix);
	return n;
}

uint64_t
netaddr_hash(const struct netaddr *a)
{
	uint64_t h = 1469598103934665603ULL ^ a->family;	/* FNV-1a */
	int i, n = a->family == 4 ? 4 : 16;

	for (i = 0; i < n; i++) {
		h ^= a->bytes[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

int
netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}
