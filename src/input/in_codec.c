/* in_codec.c - gzip (zlib), bzip2 (libbz2), xz (liblzma), zstd (libzstd)
 * One driver loop (in_codec_read) feeds raw bytes to a per-format step
 * function and tells truncation apart from a clean end: the input is over,
 * the decoder made no progress, and it has not reported the end of its
 * stream. */
#include "input/in_codec.h"

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "core/limits.h"
#include "util/mem.h"

/* zstd's window limit is a power of two; keep it equal to the named limit. */
#define IN_ZSTD_WINDOWLOG_MAX 27
_Static_assert((1UL << IN_ZSTD_WINDOWLOG_MAX) == LIMIT_DECOMP_MEMORY,
	       "IN_ZSTD_WINDOWLOG_MAX must match LIMIT_DECOMP_MEMORY");

enum in_step {
	IN_STEP_OK,	/* progress or not, the stream goes on */
	IN_STEP_END,	/* the stream (gzip member, bzip2 stream, xz file) ended */
	IN_STEP_ERR,	/* why is set */
};

struct in_codec {
	enum in_comp comp;
	bool live;		/* z / bz need End() on free */
	bool member_done;	/* gzip, bzip2: one member ended, look for another */
	bool done;		/* no more output, ever */
	z_stream z;
	bz_stream bz;
	lzma_stream xz;
	ZSTD_DCtx *zd;
	size_t zret;		/* last ZSTD_decompressStream result; 0 = frame complete */
};

int
in_src_more(struct in_src *src)
{
	ssize_t n;

	if (src->eof)
		return 0;
	if (src->pos > 0) {
		memmove(src->buf, src->buf + src->pos, src->len - src->pos);
		src->len -= src->pos;
		src->pos = 0;
	}
	if (src->len == IN_SRC_SIZE)	/* full: the caller did not consume */
		return 1;
	do
		n = read(src->fd, src->buf + src->len, IN_SRC_SIZE - src->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		src->err = errno;
		return -1;
	}
	if (n == 0) {
		src->eof = true;
		return 0;
	}
	src->len += (size_t)n;
	return 1;
}

enum in_comp
in_codec_detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return IN_COMP_GZIP;
	/* "BZh" + block size digit: a log line starting "BZh" stays plain. */
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return IN_COMP_BZIP2;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return IN_COMP_XZ;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return IN_COMP_ZSTD;
	return IN_COMP_PLAIN;
}

const char *
in_codec_name(enum in_comp comp)
{
	switch (comp) {
	case IN_COMP_GZIP:
		return "gzip";
	case IN_COMP_BZIP2:
		return "bzip2";
	case IN_COMP_XZ:
		return "xz";
	case IN_COMP_ZSTD:
		return "zstd";
	case IN_COMP_PLAIN:
		break;
	}
	return "plain";
}

static int
in_codec_start(struct in_codec *c, char *why, size_t whysize)
{
	int r;

	switch (c->comp) {
	case IN_COMP_GZIP:
		memset(&c->z, 0, sizeof(c->z));
		/* 15 + 32: any window size, gzip or zlib header detected. */
		if ((r = inflateInit2(&c->z, 15 + 32)) != Z_OK) {
			snprintf(why, whysize, "cannot start gzip decoder (%s)",
				 r == Z_MEM_ERROR ? "out of memory" : "zlib error");
			return -1;
		}
		break;
	case IN_COMP_BZIP2:
		memset(&c->bz, 0, sizeof(c->bz));
		if (BZ2_bzDecompressInit(&c->bz, 0, 0) != BZ_OK) {
			snprintf(why, whysize, "cannot start bzip2 decoder");
			return -1;
		}
		break;
	case IN_COMP_XZ:
		c->xz = (lzma_stream)LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&c->xz, LIMIT_DECOMP_MEMORY, LZMA_CONCATENATED) != LZMA_OK) {
			snprintf(why, whysize, "cannot start xz decoder");
			return -1;
		}
		break;
	case IN_COMP_ZSTD:
		if ((c->zd = ZSTD_createDCtx()) == NULL) {
			snprintf(why, whysize, "cannot start zstd decoder");
			return -1;
		}
		ZSTD_DCtx_setParameter(c->zd, ZSTD_d_windowLogMax, IN_ZSTD_WINDOWLOG_MAX);
		c->zret = 1;
		break;
	case IN_COMP_PLAIN:
		snprintf(why, whysize, "no decoder for plain data");
		return -1;
	}
	c->live = true;
	return 0;
}

static void
in_codec_stop(struct in_codec *c)
{
	if (!c->live)
		return;
	switch (c->comp) {
	case IN_COMP_GZIP:
		inflateEnd(&c->z);
		break;
	case IN_COMP_BZIP2:
		BZ2_bzDecompressEnd(&c->bz);
		break;
	case IN_COMP_XZ:
		lzma_end(&c->xz);
		break;
	case IN_COMP_ZSTD:
		ZSTD_freeDCtx(c->zd);
		c->zd = NULL;
		break;
	case IN_COMP_PLAIN:
		break;
	}
	c->live = false;
}

struct in_codec *
in_codec_new(enum in_comp comp, char *why, size_t whysize)
{
	struct in_codec *c = mem_calloc(1, sizeof(*c));

	c->comp = comp;
	if (in_codec_start(c, why, whysize) < 0) {
		mem_free(c);
		return NULL;
	}
	return c;
}

void
in_codec_free(struct in_codec **cp)
{
	if (*cp == NULL)
		return;
	in_codec_stop(*cp);
	mem_free(*cp);
	*cp = NULL;
}

/* One decoder call on in[0..*used) into out[0..*made); both are updated to
 * what was consumed and produced. finish: no input will follow in[]. */
static enum in_step
in_codec_step(struct in_codec *c, unsigned char *in, size_t *used, char *out, size_t *made,
	      bool finish, char *why, size_t whysize)
{
	size_t inlen = *used, outlen = *made;
	int r;

	/* bzip2 and zlib count in unsigned int; our buffers are far smaller. */
	switch (c->comp) {
	case IN_COMP_GZIP:
		c->z.next_in = in;
		c->z.avail_in = (uInt)inlen;
		c->z.next_out = (Bytef *)out;
		c->z.avail_out = (uInt)outlen;
		r = inflate(&c->z, Z_NO_FLUSH);
		*used = inlen - c->z.avail_in;
		*made = outlen - c->z.avail_out;
		if (r == Z_STREAM_END)
			return IN_STEP_END;
		if (r == Z_OK || r == Z_BUF_ERROR)	/* BUF_ERROR: no progress, not fatal */
			return IN_STEP_OK;
		if (r == Z_MEM_ERROR)
			snprintf(why, whysize, "out of memory decompressing gzip data");
		else if (r == Z_NEED_DICT)
			snprintf(why, whysize, "corrupt gzip data (needs a preset dictionary)");
		else
			snprintf(why, whysize, "corrupt gzip data (%s)",
				 c->z.msg != NULL ? c->z.msg : "unknown error");
		return IN_STEP_ERR;
	case IN_COMP_BZIP2:
		c->bz.next_in = (char *)in;
		c->bz.avail_in = (unsigned)inlen;
		c->bz.next_out = out;
		c->bz.avail_out = (unsigned)outlen;
		r = BZ2_bzDecompress(&c->bz);
		*used = inlen - c->bz.avail_in;
		*made = outlen - c->bz.avail_out;
		if (r == BZ_STREAM_END)
			return IN_STEP_END;
		if (r == BZ_OK)
			return IN_STEP_OK;
		if (r == BZ_MEM_ERROR)
			snprintf(why, whysize, "out of memory decompressing bzip2 data");
		else if (r == BZ_DATA_ERROR_MAGIC)
			snprintf(why, whysize, "corrupt bzip2 data (bad stream header)");
		else
			snprintf(why, whysize, "corrupt bzip2 data");
		return IN_STEP_ERR;
	case IN_COMP_XZ: {
		lzma_ret lr;

		c->xz.next_in = in;
		c->xz.avail_in = inlen;
		c->xz.next_out = (uint8_t *)out;
		c->xz.avail_out = outlen;
		lr = lzma_code(&c->xz, finish ? LZMA_FINISH : LZMA_RUN);
		*used = inlen - c->xz.avail_in;
		*made = outlen - c->xz.avail_out;
		switch (lr) {
		case LZMA_OK:
			return IN_STEP_OK;
		case LZMA_STREAM_END:
			return IN_STEP_END;
		case LZMA_BUF_ERROR:
			snprintf(why, whysize, "truncated xz data");
			break;
		case LZMA_MEM_ERROR:
			snprintf(why, whysize, "out of memory decompressing xz data");
			break;
		case LZMA_MEMLIMIT_ERROR:
			snprintf(why, whysize, "xz data needs more than %lu MiB of memory",
				 (unsigned long)(LIMIT_DECOMP_MEMORY >> 20));
			break;
		case LZMA_OPTIONS_ERROR:
			snprintf(why, whysize, "unsupported xz options");
			break;
		default:
			snprintf(why, whysize, "corrupt xz data");
			break;
		}
		return IN_STEP_ERR;
	}
	case IN_COMP_ZSTD: {
		ZSTD_inBuffer zi = { in, inlen, 0 };
		ZSTD_outBuffer zo = { out, outlen, 0 };

		size_t zr = ZSTD_decompressStream(c->zd, &zo, &zi);

		*used = zi.pos;
		*made = zo.pos;
		if (!ZSTD_isError(zr)) {
			/* A call without progress returns a size hint, not 0,
			 * even after a complete frame: keep the last real answer. */
			if (zi.pos > 0 || zo.pos > 0)
				c->zret = zr;
			return IN_STEP_OK;	/* frames follow one another without a reset */
		}
		if (ZSTD_getErrorCode(zr) == ZSTD_error_frameParameter_windowTooLarge)
			snprintf(why, whysize, "zstd data needs more than %lu MiB of memory",
				 (unsigned long)(LIMIT_DECOMP_MEMORY >> 20));
		else if (ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation)
			snprintf(why, whysize, "out of memory decompressing zstd data");
		else
			snprintf(why, whysize, "corrupt zstd data (%s)", ZSTD_getErrorName(zr));
		return IN_STEP_ERR;
	}
	case IN_COMP_PLAIN:
		break;
	}
	snprintf(why, whysize, "no decoder for plain data");
	return IN_STEP_ERR;
}

static int
in_codec_read_error(struct in_src *src, char *why, size_t whysize)
{
	snprintf(why, whysize, "%s", strerror(src->err));
	return -1;
}

/* After a gzip member or bzip2 stream: another one, zero padding, or the
 * end. 1: a new member is started, 0: clean end, -1: error. */
static int
in_codec_next_member(struct in_codec *c, struct in_src *src, char *why, size_t whysize)
{
	const unsigned char *magic = c->comp == IN_COMP_GZIP ? (const unsigned char *)"\x1f\x8b"
							     : (const unsigned char *)"BZh";
	size_t need = c->comp == IN_COMP_GZIP ? 2 : 3;

	while (src->len - src->pos < need && !src->eof)
		if (in_src_more(src) < 0)
			return in_codec_read_error(src, why, whysize);
	if (src->len == src->pos)
		return 0;
	if (src->len - src->pos >= need && memcmp(src->buf + src->pos, magic, need) == 0) {
		if (c->comp == IN_COMP_GZIP) {
			if (inflateReset(&c->z) != Z_OK) {
				snprintf(why, whysize, "cannot restart gzip decoder");
				return -1;
			}
		} else {
			in_codec_stop(c);
			if (in_codec_start(c, why, whysize) < 0)
				return -1;
		}
		c->member_done = false;
		return 1;
	}
	/* Not a member: only zero padding to the end is acceptable. */
	for (;;) {
		size_t i;

		for (i = src->pos; i < src->len; i++)
			if (src->buf[i] != 0) {
				snprintf(why, whysize, "trailing garbage after %s data",
					 in_codec_name(c->comp));
				return -1;
			}
		src->pos = src->len;
		if (src->eof)
			return 0;
		if (in_src_more(src) < 0)
			return in_codec_read_error(src, why, whysize);
	}
}

long
in_codec_read(struct in_codec *c, struct in_src *src, char *dst, size_t cap, char *why,
	      size_t whysize)
{
	for (;;) {
		enum in_step st;
		size_t avail, used, made;
		int r;

		if (c->done)
			return 0;
		if (c->member_done) {
			if ((r = in_codec_next_member(c, src, why, whysize)) < 0)
				return -1;
			if (r == 0) {
				c->done = true;
				return 0;
			}
		}
		if (src->pos == src->len && !src->eof && in_src_more(src) < 0)
			return in_codec_read_error(src, why, whysize);
		avail = used = src->len - src->pos;
		made = cap;
		st = in_codec_step(c, src->buf + src->pos, &used, dst, &made, src->eof, why,
				   whysize);
		src->pos += used;
		if (st == IN_STEP_ERR)
			return -1;
		if (st == IN_STEP_END) {
			if (c->comp == IN_COMP_XZ)	/* LZMA_CONCATENATED saw the end of the file */
				c->done = true;
			else
				c->member_done = true;
		}
		if (made > 0)
			return (long)made;
		if (st == IN_STEP_END)
			continue;
		if (used > 0)
			continue;
		/* No progress at all. */
		if (!src->eof) {
			if (avail == IN_SRC_SIZE) {	/* a full buffer and still stuck */
				snprintf(why, whysize, "corrupt %s data (decoder stalled)",
					 in_codec_name(c->comp));
				return -1;
			}
			if (in_src_more(src) < 0)
				return in_codec_read_error(src, why, whysize);
			continue;
		}
		if (c->comp == IN_COMP_ZSTD && c->zret == 0 && avail == 0) {
			c->done = true;	/* the last frame was complete */
			return 0;
		}
		if (avail == 0) {
			snprintf(why, whysize, "truncated %s data", in_codec_name(c->comp));
			return -1;
		}
		/* Input left over at end of file that the decoder will not take. */
		snprintf(why, whysize, "corrupt %s data (decoder stalled)", in_codec_name(c->comp));
		return -1;
	}
}
