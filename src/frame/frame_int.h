/* frame_int.h - helpers shared by the framing parsers (private to src/frame)
 * SUMMARY  One file per family of framings: frame_3164.c (syslog without a
 *          year), frame_iso.c (RFC 3339, RFC 5424, ISO date + syslog tag,
 *          Exim mainlog, tai64nlocal), frame_tai64.c (multilog @TAI64N).
 *          frame.c picks one by the first byte of the line and holds the
 *          syslog tag parser and the local-time cache.
 * LIMITS   FRAME_HOST_MAX / FRAME_PROG_MAX bound the host and tag tokens; a
 *          line with a longer token has no recognizable framing. Fractions of
 *          a second carry at most 9 digits.
 * ERRORS   Every function returns 0 or -1; on -1 *out is unspecified and the
 *          year state of frame_ctx is left as it was (the zone and date
 *          caches may have been filled). */
#ifndef MS_FRAME_INT_H
#define MS_FRAME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame/frame.h"

/* RFC 1035 caps a domain name at 255 bytes; syslog tags are at most 32 by
 * RFC 3164, but Dovecot's own log puts "auth(user,ip,sasl:login)<session>"
 * in the tag position, so allow as much as a host name. */
#define FRAME_HOST_MAX 255
#define FRAME_PROG_MAX 255
#define FRAME_FRAC_MAX 9

/* Two decimal digits at p, or -1. The caller guarantees 2 readable bytes. */
static inline int
frame_d2(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0';
	unsigned b = (unsigned)(unsigned char)p[1] - '0';

	return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

/* Four decimal digits at p, or -1. */
static inline int
frame_d4(const char *p)
{
	int hi = frame_d2(p), lo = frame_d2(p + 2);

	return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

static inline bool
frame_isdigit(char c)
{
	return (unsigned)(unsigned char)c - '0' <= 9;
}

/* 1..12 for "Jan".."Dec" at p (3 readable bytes), else 0; as syslog writes
 * them, case-sensitive. One switch instead of twelve memcmp calls. */
static inline unsigned
frame_month(const char *p)
{
#define FRAME_M3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
	switch (FRAME_M3((unsigned char)p[0], (unsigned char)p[1], (unsigned char)p[2])) {
	case FRAME_M3('J', 'a', 'n'): return 1;
	case FRAME_M3('F', 'e', 'b'): return 2;
	case FRAME_M3('M', 'a', 'r'): return 3;
	case FRAME_M3('A', 'p', 'r'): return 4;
	case FRAME_M3('M', 'a', 'y'): return 5;
	case FRAME_M3('J', 'u', 'n'): return 6;
	case FRAME_M3('J', 'u', 'l'): return 7;
	case FRAME_M3('A', 'u', 'g'): return 8;
	case FRAME_M3('S', 'e', 'p'): return 9;
	case FRAME_M3('O', 'c', 't'): return 10;
	case FRAME_M3('N', 'o', 'v'): return 11;
	case FRAME_M3('D', 'e', 'c'): return 12;
	default: return 0;
	}
#undef FRAME_M3
}

/* "hh:mm:ss" at p (8 readable bytes); 0 or -1. A leap second (:60) is
 * accepted: syslog daemons write what the clock says. */
int frame_hms(const char *p, unsigned *h, unsigned *mi, unsigned *s);
/* Optional ".f{1,9}" at *pp (before end): advances *pp past it, stores the
 * fraction truncated to microseconds and the digit count (0 when there is
 * no '.'). -1 for a '.' without digits or more than FRAME_FRAC_MAX digits. */
int frame_frac(const char **pp, const char *end, uint32_t *usec, unsigned *ndigits);
/* Split "[<fac.pri> ][host ]prog[pid]: msg" at p..end into out->host,
 * prog, pid and msg. The token after the time is a program (no host) when
 * it ends with ':'; otherwise it is the host, and the next token is the tag
 * if it ends with ':', else the line is a syslog daemon's own ("last message
 * repeated 3 times") with an empty prog and the text from there as msg. */
int frame_tag(const char *p, const char *end, struct frame *out);
/* Tag of a "prog[pid]:" / "prog:" token t (len bytes, the ':' included). */
int frame_prog(const char *t, size_t len, struct frame *out);

/* A civil date and time as written in the line, and the same read as UTC. */
struct frame_civil {
	int y;
	unsigned mon, d, h, mi, s;
	int64_t utc;		/* seconds since the epoch if the zone were UTC */
};

/* Fill c->utc from the civil fields, through ctx's cache of the last
 * date's day number (consecutive lines share it). */
void frame_civil_utc_ctx(struct frame_ctx *ctx, struct frame_civil *c);
/* The civil time read in the local zone (TZ), through ctx's hour cache. */
int64_t frame_local(struct frame_ctx *ctx, const struct frame_civil *c);

int frame_3164(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out);
int frame_iso(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out);
int frame_tai64n(const char *line, size_t len, struct frame *out);
/* RFC 5424 after its "<PRI>": "1 TIMESTAMP HOST APP PROCID MSGID SD MSG". */
int frame_5424(struct frame_ctx *ctx, const char *p, const char *end, struct frame *out);
/* Exim's own header ("YYYY-MM-DD hh:mm:ss[.fff] [+zzzz] [[pid] ]") at
 * p..end; fills time, usec, msg and (when present) pid. */
int frame_exim_header(struct frame_ctx *ctx, const char *p, const char *end, struct frame *out);

#endif
