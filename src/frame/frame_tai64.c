/* frame_tai64.c - daemontools multilog "@4000000052dd8b7e2cf3d5dc msg"
 *
 * The label is 16 hex digits of TAI64 seconds and 8 of nanoseconds. As
 * libtai's taia_now() writes it, the seconds are 2^62 + 10 + the Unix time
 * (10 being TAI - UTC in 1970, never updated for later leap seconds), and
 * tai64nlocal subtracts the same constant; so does this file. (fail2ban's
 * date template subtracts only 2^62, which puts its times 10 s later.)
 * Multilog writes no host and no program: prog stays empty and msg is all
 * that follows the label. */
#include "frame/frame.h"
#include "frame/frame_int.h"

#define FRAME_TAI64_BASE 4611686018427387914ULL	/* 2^62 + 10 */
#define FRAME_TAI64_MAX (FRAME_TAI64_BASE + 253402300799ULL)	/* 9999-12-31 */

static int
frame_hex(char c)
{
	unsigned d = (unsigned)(unsigned char)c - '0';
	unsigned x = ((unsigned)(unsigned char)c | 0x20) - 'a';

	if (d <= 9)
		return (int)d;
	if (x <= 5)
		return (int)x + 10;
	return -1;
}

int
frame_tai64n(const char *line, size_t len, struct frame *out)
{
	uint64_t secs = 0;
	uint32_t nano = 0;
	size_t i;

	if (len < 25 || line[0] != '@' || (len > 25 && line[25] != ' '))
		return -1;
	for (i = 1; i <= 16; i++) {
		int v = frame_hex(line[i]);

		if (v < 0)
			return -1;
		secs = secs << 4 | (uint64_t)v;
	}
	for (; i <= 24; i++) {
		int v = frame_hex(line[i]);

		if (v < 0)
			return -1;
		nano = nano << 4 | (uint32_t)v;
	}
	if (secs < FRAME_TAI64_BASE || secs > FRAME_TAI64_MAX || nano > 999999999)
		return -1;
	out->kind = FRAME_TAI64N;
	out->time = (int64_t)(secs - FRAME_TAI64_BASE);
	out->usec = nano / 1000;
	out->msg = len > 25 ? strv_make(line + 26, len - 26) : strv_make(line + 25, 0);
	return 0;
}
