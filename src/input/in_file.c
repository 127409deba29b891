/* in_file.c - line reader over plain or compressed input
 * The hot path is in_file_getline on a plain file: one read(2) per 256 KiB,
 * one memchr per line, lines returned as views into the buffer. Compressed
 * input goes through in_codec into the same buffer. Between refills only
 * the unfinished line (at most LIMIT_LINE_MAX bytes) is moved to the front,
 * so memory stays at two fixed buffers whatever the input. */
#include "input/in_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "input/in_codec.h"
#include "util/mem.h"

/* Decompressed line buffer. Must hold a cut line plus room to refill. */
#define IN_BUF_SIZE (256 * 1024)
_Static_assert(IN_BUF_SIZE >= 4 * (LIMIT_LINE_MAX + 1), "line buffer too small for the line limit");

struct in_file {
	char *name;
	bool own_fd;		/* false for standard input */
	enum in_comp comp;
	struct in_codec *codec;	/* NULL for plain input */
	struct in_src src;	/* raw bytes; for plain input only the sniffed magic */
	char *buf;		/* IN_BUF_SIZE: buf[start..end) is not yet returned */
	size_t start, end;
	size_t scan;		/* buf[start..scan) is known to hold no newline */
	bool eof, failed;
	bool skipping;		/* dropping the rest of a too-long line */
	uint64_t filled;	/* decompressed bytes put into buf */
	int64_t mtime;
	char err[320];
};

static void
in_file_set_error(char *err, size_t errsize, const char *name, const char *why)
{
	if (err != NULL && errsize > 0)
		snprintf(err, errsize, "%s: %s", name, why);
}

/* Reads until the magic can be judged (IN_MAGIC_MAX bytes) or the input
 * ends; works on pipes, where a read may return a byte at a time. */
static int
in_file_sniff(struct in_file *f)
{
	while (f->src.len < IN_MAGIC_MAX && !f->src.eof)
		if (in_src_more(&f->src) < 0)
			return -1;
	f->comp = in_codec_detect(f->src.buf, f->src.len);
	return 0;
}

struct in_file *
in_file_open(const char *path, char *err, size_t errsize)
{
	struct in_file *f;
	struct stat sb = { 0 };
	char why[256];
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		do
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			in_file_set_error(err, errsize, path, strerror(errno));
			return NULL;
		}
	}
	if (fstat(fd, &sb) < 0 || S_ISDIR(sb.st_mode)) {
		in_file_set_error(err, errsize, path, strerror(S_ISDIR(sb.st_mode) ? EISDIR : errno));
		if (fd != STDIN_FILENO)
			close(fd);
		return NULL;
	}
	f = mem_calloc(1, sizeof(*f));
	f->name = mem_strdup(path);
	f->own_fd = fd != STDIN_FILENO;
	f->src.fd = fd;
	f->src.buf = mem_alloc(IN_SRC_SIZE);
	/* Standard input, even redirected from a file, is read "now". */
	f->mtime = S_ISREG(sb.st_mode) && fd != STDIN_FILENO ? (int64_t)sb.st_mtime
							      : (int64_t)time(NULL);
	if (S_ISREG(sb.st_mode))
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (in_file_sniff(f) < 0) {
		in_file_set_error(err, errsize, path, strerror(f->src.err));
		in_file_close(&f);
		return NULL;
	}
	if (f->comp != IN_COMP_PLAIN &&
	    (f->codec = in_codec_new(f->comp, why, sizeof(why))) == NULL) {
		in_file_set_error(err, errsize, path, why);
		in_file_close(&f);
		return NULL;
	}
	f->buf = mem_alloc(IN_BUF_SIZE);
	return f;
}

/* Plain input: first the sniffed bytes, then straight into dst. */
static long
in_file_read_plain(struct in_file *f, char *dst, size_t cap, char *why, size_t whysize)
{
	ssize_t n;

	if (f->src.pos < f->src.len) {
		size_t k = f->src.len - f->src.pos;

		if (k > cap)
			k = cap;
		memcpy(dst, f->src.buf + f->src.pos, k);
		f->src.pos += k;
		return (long)k;
	}
	if (f->src.eof)
		return 0;
	do
		n = read(f->src.fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	if (n == 0)
		f->src.eof = true;
	return (long)n;
}

/* Makes room after the unfinished line and adds bytes to buf. */
static void
in_file_fill(struct in_file *f)
{
	char why[256];
	long n;

	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->scan -= f->start;
		f->start = 0;
	}
	if (f->codec == NULL)
		n = in_file_read_plain(f, f->buf + f->end, IN_BUF_SIZE - f->end, why, sizeof(why));
	else
		n = in_codec_read(f->codec, &f->src, f->buf + f->end, IN_BUF_SIZE - f->end, why,
				  sizeof(why));
	if (n < 0) {
		f->failed = true;
		in_file_set_error(f->err, sizeof(f->err), f->name, why);
	} else if (n == 0) {
		f->eof = true;
	} else {
		f->end += (size_t)n;
		f->filled += (uint64_t)n;
	}
}

int
in_file_getline(struct in_file *f, struct strv *line, unsigned *flags)
{
	for (;;) {
		const char *p = f->buf + f->start;
		const char *nl = memchr(f->buf + f->scan, '\n', f->end - f->scan);
		size_t len;

		if (nl != NULL) {
			len = (size_t)(nl - p);
			f->start = f->scan = (size_t)(nl - f->buf) + 1;
			if (f->skipping) {	/* the tail of a cut line */
				f->skipping = false;
				continue;
			}
			*flags = len > LIMIT_LINE_MAX ? IN_LINE_TOOLONG : 0;
			*line = strv_make(p, len > LIMIT_LINE_MAX ? LIMIT_LINE_MAX : len);
			return 1;
		}
		len = f->end - f->start;
		if (f->skipping) {
			f->start = f->scan = f->end;
		} else if (len > LIMIT_LINE_MAX) {
			/* Return the head once; drop the rest up to the newline. */
			f->skipping = true;
			f->start = f->scan = f->end;
			*flags = IN_LINE_TOOLONG;
			*line = strv_make(p, LIMIT_LINE_MAX);
			return 1;
		} else {
			f->scan = f->end;
		}
		if (f->failed)	/* a cut line before corrupt data is not a line */
			return -1;
		if (f->eof) {
			if (f->skipping || f->start == f->end) {
				f->skipping = false;
				f->start = f->scan = f->end;
				return 0;
			}
			f->start = f->scan = f->end;	/* last line, no newline */
			*flags = 0;
			*line = strv_make(p, len);
			return 1;
		}
		in_file_fill(f);
	}
}

const char *
in_file_name(const struct in_file *f)
{
	return f->name;
}

const char *
in_file_compression(const struct in_file *f)
{
	return in_codec_name(f->comp);
}

int64_t
in_file_mtime(const struct in_file *f)
{
	return f->mtime;
}

uint64_t
in_file_bytes(const struct in_file *f)
{
	return f->filled - (f->end - f->start);
}

const char *
in_file_error(const struct in_file *f)
{
	return f->err[0] != '\0' ? f->err : "no error";
}

void
in_file_close(struct in_file **fp)
{
	struct in_file *f = *fp;

	if (f == NULL)
		return;
	in_codec_free(&f->codec);
	if (f->own_fd)
		close(f->src.fd);
	mem_free(f->src.buf);
	mem_free(f->buf);
	mem_free(f->name);
	mem_free(f);
	*fp = NULL;
}
