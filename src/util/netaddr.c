/* netaddr.c - IPv4/IPv6 client addresses */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <string.h>

/* Dotted quad: four parts of 1-3 digits, each at most 255, dots between,
 * nothing after (leading zeros allowed, read as decimal). Unrolled: every
 * event with a client address parses one. */
static int
netaddr_parse_v4(const char *p, size_t len, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v, d;

		if (part > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		if (i >= len || (v = (unsigned)(unsigned char)p[i] - '0') > 9)
			return -1;
		i++;
		if (i < len && (d = (unsigned)(unsigned char)p[i] - '0') <= 9) {
			v = v * 10 + d;
			i++;
			if (i < len && (d = (unsigned)(unsigned char)p[i] - '0') <= 9) {
				v = v * 10 + d;
				i++;
				if (v > 255 || (i < len && (unsigned)(unsigned char)p[i] - '0' <= 9))
					return -1;	/* over 255, or a fourth digit */
			}
		}
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
	/* "IPv6:" in any case (Exim, Sendmail); inline: a strncasecmp call
	 * cost more than reading the address. */
	if (len > 5 && (p[0] | 0x20) == 'i' && (p[1] | 0x20) == 'p' && (p[2] | 0x20) == 'v' &&
	    p[3] == '6' && p[4] == ':') {
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

/* Decimal octet at o, no leading zeros; returns the end. The 256 texts
 * come from a table: one 4-byte copy instead of divisions. */
static char *
netaddr_octet(char *o, unsigned v)
{
	static const char txt[256][4] = {
#define NA_D1(n) { (char)('0' + (n)), 0, 0, 1 }
#define NA_D2(n) { (char)('0' + (n) / 10), (char)('0' + (n) % 10), 0, 2 }
#define NA_D3(n) { (char)('0' + (n) / 100), (char)('0' + (n) / 10 % 10), (char)('0' + (n) % 10), 3 }
#define NA_R10(f, b) f(b), f(b + 1), f(b + 2), f(b + 3), f(b + 4), f(b + 5), f(b + 6), f(b + 7), \
		     f(b + 8), f(b + 9)
		NA_R10(NA_D1, 0),
		NA_R10(NA_D2, 10), NA_R10(NA_D2, 20), NA_R10(NA_D2, 30), NA_R10(NA_D2, 40),
		NA_R10(NA_D2, 50), NA_R10(NA_D2, 60), NA_R10(NA_D2, 70), NA_R10(NA_D2, 80),
		NA_R10(NA_D2, 90),
		NA_R10(NA_D3, 100), NA_R10(NA_D3, 110), NA_R10(NA_D3, 120), NA_R10(NA_D3, 130),
		NA_R10(NA_D3, 140), NA_R10(NA_D3, 150), NA_R10(NA_D3, 160), NA_R10(NA_D3, 170),
		NA_R10(NA_D3, 180), NA_R10(NA_D3, 190), NA_R10(NA_D3, 200), NA_R10(NA_D3, 210),
		NA_R10(NA_D3, 220), NA_R10(NA_D3, 230), NA_R10(NA_D3, 240),
		NA_D3(250), NA_D3(251), NA_D3(252), NA_D3(253), NA_D3(254), NA_D3(255),
#undef NA_D1
#undef NA_D2
#undef NA_D3
#undef NA_R10
	};

	if (v > 255) {		/* the prefix of netaddr_format_net: up to 128 */
		o = netaddr_octet(o, v / 10);
		*o++ = (char)('0' + v % 10);
		return o;
	}
	memcpy(o, txt[v], 3);
	return o + txt[v][3];
}

/* The text inet_ntop(AF_INET6) gives, byte for byte (its rules, not RFC
 * 5952's: the first longest run of two or more zero groups becomes "::";
 * ::a.b.c.d and ::ffff:a.b.c.d keep a dotted tail), written by hand:
 * glibc's inet_ntop prints each group with sprintf, some 4,000 instructions
 * per address, more than parsing the whole log line. */
static size_t
netaddr_format6(const uint8_t b[16], char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned words[8];
	int i, best = -1, bestlen = 0, cur = -1, curlen = 0;
	char *o = buf;

	for (i = 0; i < 8; i++)
		words[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (words[i] == 0) {
			if (cur == -1) {
				cur = i;
				curlen = 1;
			} else
				curlen++;
		} else if (cur != -1) {
			if (best == -1 || curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
			cur = -1;
		}
	}
	if (cur != -1 && (best == -1 || curlen > bestlen)) {
		best = cur;
		bestlen = curlen;
	}
	if (best != -1 && bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		unsigned w = words[i];

		if (best != -1 && i >= best && i < best + bestlen) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i != 0)
			*o++ = ':';
		if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && words[5] == 0xffff))) {
			for (int k = 12; k < 16; k++) {
				if (k > 12)
					*o++ = '.';
				o = netaddr_octet(o, b[k]);
			}
			*o = '\0';
			return (size_t)(o - buf);
		}
		if (w >= 0x1000)
			*o++ = hex[w >> 12];
		if (w >= 0x100)
			*o++ = hex[(w >> 8) & 15];
		if (w >= 0x10)
			*o++ = hex[(w >> 4) & 15];
		*o++ = hex[w & 15];
	}
	if (best != -1 && best + bestlen == 8)
		*o++ = ':';
	*o = '\0';
	return (size_t)(o - buf);
}

size_t
netaddr_format(const struct netaddr *a, char *buf)
{
	/* By hand, not snprintf("%u.%u.%u.%u"): every event with a client
	 * address formats it, and printf's machinery cost more than the
	 * rest of evt_set_ip. */
	if (a->family == 4) {
		char *o = buf;

		for (int i = 0; i < 4; i++) {
			if (i > 0)
				*o++ = '.';
			o = netaddr_octet(o, a->bytes[i]);
		}
		*o = '\0';
		return (size_t)(o - buf);
	}
	if (a->family == 6)
		return netaddr_format6(a->bytes, buf);
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
	char *o = buf + netaddr_format(&m, buf);
	unsigned bits = a->family == 4 ? 32 : 128;

	*o++ = '/';
	o = netaddr_octet(o, prefix > bits ? bits : prefix);	/* 0..128 */
	*o = '\0';
	return (size_t)(o - buf);
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
