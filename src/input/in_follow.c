/* in_follow.c - follow one growing log file across rotations
 * Each poll: stat the path first, then read the open descriptor up to the
 * size fstat gives, then switch to the file now at the path if it is
 * another inode and not empty. Stat before read matters: a writer that has
 * put bytes into the new file has finished with the old one, so the read
 * that follows sees all of them. Reads use pread at our own offsets, so a
 * shrinking file never confuses the descriptor's position.
 * buf[0..len) holds the file bytes [rdoff - len, rdoff): an unfinished line
 * of at most LIMIT_LINE_MAX bytes between polls. tail[] keeps the last bytes
 * read, to notice a file truncated and written again past our offset.
 * multilog (the path's name is "current"): when the file we read was renamed
 * away, the folder is scanned for multilog's rotated names, "@" + 24 hex
 * digits + ".s" or ".u", which sort by time. The one that is our inode is
 * where we were; every one sorting after it was rotated away before we ever
 * opened it (two rotations or more between polls, or while we were stopped):
 * they are read whole, one after the other, in name order (catch-up mode,
 * cu_name the one open), before the new "current" is opened. Nothing but the
 * name being read is kept: each step rescans the folder for the next name. */
#include "input/in_follow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "util/mem.h"

#define FOLLOW_BUF_SIZE (64 * 1024)
_Static_assert(FOLLOW_BUF_SIZE >= 2 * (LIMIT_LINE_MAX + 1), "follow buffer too small for the line limit");
#define FOLLOW_TAIL 32
/* Looking back for the start of the unfinished last line when starting at
 * the end of a file: past this, the line is skipped as too long. */
#define FOLLOW_BACK_MAX (1024 * 1024)
/* multilog's rotated names: "@" + 24 hex digits + ".s" or ".u". */
#define FOLLOW_ML_NAME_LEN 27
/* Folder entries one scan looks at; past this the rest is not seen. */
#define FOLLOW_ML_SCAN_MAX 10000
/* Rotated files moved through by one poll (follow_pending then says more). */
#define FOLLOW_ML_FILES_PER_POLL 64

enum follow_cond { FOLLOW_OK, FOLLOW_MISSING, FOLLOW_OPEN_FAILED, FOLLOW_READ_FAILED };

struct follow {
	char *path;
	char *dir;		/* the path's folder, for the inotify watch */
	int fd;			/* -1 while no file has been opened */
	uint64_t dev, ino;
	uint64_t rdoff;		/* next byte to read */
	uint64_t pos;		/* resume point: after the last delivered line */
	int64_t mtime_ns;	/* at the last fstat, to notice rewrites of equal size */
	char *buf;		/* FOLLOW_BUF_SIZE + 1 (for the '\0' after a line) */
	size_t len;
	bool skipping;		/* dropping a too-long line up to its newline */
	bool after_partial;	/* an unfinished line was delivered: drop a newline next */
	bool pending;
	int64_t partial_since;	/* ms, when the unfinished line last grew */
	unsigned partial_timeout;
	unsigned char tail[FOLLOW_TAIL];	/* file bytes [rdoff - tail_len, rdoff) */
	size_t tail_len;
	bool have_resume;	/* a saved position for the first open */
	struct follow_pos resume;
	enum follow_cond cond;
	int cond_errno;
	bool news;		/* err is to be reported */
	char err[512];
	struct follow_stats st;
	int ino_fd, wd_dir, wd_file;
	bool ml;		/* the path's name is "current": multilog rotation */
	bool cu_active;		/* reading a rotated multilog file, cu_name */
	bool ml_warned;		/* the old file not found among them: said once */
	char cu_name[FOLLOW_ML_NAME_LEN + 1];
};

static int64_t
follow_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
follow_mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

static ssize_t
follow_pread(int fd, void *dst, size_t n, uint64_t off)
{
	ssize_t r;

	do
		r = pread(fd, dst, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Reads exactly n bytes at off; short (the file shrank) is an error. */
static int
follow_pread_full(int fd, void *dst, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = follow_pread(fd, (char *)dst + got, n - got, off + got);

		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ENODATA;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Opens a regular file without blocking on a FIFO; -1 with errno. */
static int
follow_open_file(const char *path, struct stat *sb)
{
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		close(fd);
		errno = S_ISDIR(sb->st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	return fd;
}

/* A missing or unopenable path is reported once, when it starts. */
static void
follow_note(struct follow *f, enum follow_cond cond, int err)
{
	if (cond == f->cond && (cond == FOLLOW_OK || err == f->cond_errno))
		return;
	f->cond = cond;
	f->cond_errno = err;
	if (cond == FOLLOW_OK)
		return;
	f->st.reopen_errors++;
	snprintf(f->err, sizeof(f->err), "%s: %s%s", f->path,
		 err == EINVAL ? "not a regular file" : strerror(err),
		 cond == FOLLOW_MISSING ? " (waiting for it)" : "");
	f->news = true;
}

static int
follow_read_failed(struct follow *f, const char *what)
{
	int e = errno;

	f->cond = FOLLOW_READ_FAILED;
	f->cond_errno = e;
	snprintf(f->err, sizeof(f->err), "%s: %s: %s", f->path, what, strerror(e));
	f->news = true;
	errno = e;
	return -1;
}

static void
follow_tail_add(struct follow *f, const char *p, size_t n)
{
	size_t keep;

	if (n >= FOLLOW_TAIL) {
		memcpy(f->tail, p + n - FOLLOW_TAIL, FOLLOW_TAIL);
		f->tail_len = FOLLOW_TAIL;
		return;
	}
	keep = f->tail_len < FOLLOW_TAIL - n ? f->tail_len : FOLLOW_TAIL - n;
	memmove(f->tail, f->tail + f->tail_len - keep, keep);
	memcpy(f->tail + keep, p, n);
	f->tail_len = keep + n;
}

static bool
follow_ml_name(const char *s)
{
	if (s[0] != '@')
		return false;
	for (int i = 1; i <= 24; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[25] == '.' && (s[26] == 's' || s[26] == 'u') && s[27] == '\0';
}

/* Scans the folder, at most FOLLOW_ML_SCAN_MAX entries, for multilog names.
 * self != NULL: the one that is the inode dev/ino goes into self (stat of
 * each name). next != NULL: the smallest sorting after `after` goes into
 * next. Returns a mask: 1 self found, 2 next found; -1 (errno) when the
 * folder cannot be read. */
static int
follow_ml_scan(struct follow *f, uint64_t dev, uint64_t ino, char *self, const char *after,
	       char *next)
{
	DIR *d;
	struct dirent *de;
	int found = 0, dfd;
	unsigned seen = 0;

	if ((d = opendir(f->dir)) == NULL)
		return -1;
	dfd = dirfd(d);
	while (seen < FOLLOW_ML_SCAN_MAX && (errno = 0, de = readdir(d)) != NULL) {
		struct stat sb;

		seen++;
		if (!follow_ml_name(de->d_name))
			continue;
		if (next != NULL && strcasecmp(de->d_name, after) > 0 &&
		    (!(found & 2) || strcasecmp(de->d_name, next) < 0)) {
			memcpy(next, de->d_name, FOLLOW_ML_NAME_LEN + 1);
			found |= 2;
		}
		if (self != NULL && !(found & 1) &&
		    fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (uint64_t)sb.st_dev == dev && (uint64_t)sb.st_ino == ino && S_ISREG(sb.st_mode)) {
			memcpy(self, de->d_name, FOLLOW_ML_NAME_LEN + 1);
			found |= 1;
		}
	}
	closedir(d);
	return found;
}

/* The multilog name of dev/ino: 1 (in name), 0 not there or the folder
 * unreadable. */
static int
follow_ml_find(struct follow *f, uint64_t dev, uint64_t ino, char *name)
{
	return follow_ml_scan(f, dev, ino, name, NULL, NULL) > 0;
}

/* Opens name in the path's folder. */
static int
follow_ml_open(struct follow *f, const char *name, struct stat *sb)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", f->dir, name) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return follow_open_file(p, sb);
}

/* Reading starts at off of the file on fd. */
static int
follow_start_at(struct follow *f, uint64_t off)
{
	f->rdoff = f->pos = off;
	f->len = 0;
	f->skipping = f->after_partial = false;
	f->tail_len = off < FOLLOW_TAIL ? (size_t)off : FOLLOW_TAIL;
	return follow_pread_full(f->fd, f->tail, f->tail_len, off - f->tail_len);
}

/* Starting at the end of a file of size bytes: at the start of its
 * unfinished last line (after the last newline, or 0), or, when that line
 * is already too long, at the end, skipping up to the next newline with pos
 * at the line's start (the end if it began more than FOLLOW_BACK_MAX ago). */
static int
follow_start_at_end(struct follow *f, uint64_t size)
{
	uint64_t end = size, line = 0;
	bool found = false;

	while (!found && end > 0 && size - end < FOLLOW_BACK_MAX) {
		size_t n = end < FOLLOW_BUF_SIZE ? (size_t)end : FOLLOW_BUF_SIZE;

		if (follow_pread_full(f->fd, f->buf, n, end - n) < 0)
			return -1;
		for (size_t i = n; i > 0 && !found; i--)
			if (f->buf[i - 1] == '\n') {
				line = end - n + i;
				found = true;
			}
		end -= n;
	}
	if (!found && end > 0)
		line = size;	/* gave up looking */
	else if (size - line <= LIMIT_LINE_MAX)
		return follow_start_at(f, line);
	if (follow_start_at(f, size) < 0)
		return -1;
	f->pos = line;
	f->skipping = true;
	f->st.toolong++;
	return 0;
}

/* Takes fd (just opened, sb its fstat) and chooses where to start. */
static int
follow_take(struct follow *f, int fd, const struct stat *sb, const struct follow_pos *resume,
	    bool at_end)
{
	uint64_t size;
	struct stat msb;
	char c, name[FOLLOW_ML_NAME_LEN + 1];
	int mfd;

	/* Saved in a multilog "current" since rotated away: resume in it under
	 * its new name, then read the files after it (catch-up). */
	if (resume != NULL && f->ml &&
	    (resume->dev != (uint64_t)sb->st_dev || resume->ino != (uint64_t)sb->st_ino) &&
	    follow_ml_find(f, resume->dev, resume->ino, name) &&
	    (mfd = follow_ml_open(f, name, &msb)) >= 0) {
		if ((uint64_t)msb.st_dev == resume->dev && (uint64_t)msb.st_ino == resume->ino) {
			close(fd);
			fd = mfd;
			sb = &msb;
			f->cu_active = true;
			memcpy(f->cu_name, name, sizeof(f->cu_name));
		} else {
			close(mfd);	/* renamed again meanwhile */
		}
	}
	size = (uint64_t)sb->st_size;
	f->fd = fd;
	f->dev = (uint64_t)sb->st_dev;
	f->ino = (uint64_t)sb->st_ino;
	f->mtime_ns = follow_mtime_ns(sb);
	if (resume == NULL)
		return at_end ? follow_start_at_end(f, size) : follow_start_at(f, 0);
	if (resume->dev != f->dev || resume->ino != f->ino) {
		f->st.rotations++;
		return follow_start_at(f, 0);
	}
	/* Same inode: trusted if long enough and the offset follows a newline
	 * (copytruncate then written past the offset fails this, mostly). */
	c = '\n';
	if (resume->offset > 0 && resume->offset <= size &&
	    follow_pread_full(fd, &c, 1, resume->offset - 1) < 0)
		return -1;
	if (resume->offset <= size && c == '\n')
		return follow_start_at(f, resume->offset);
	f->st.truncations++;
	return follow_start_at(f, 0);
}

struct follow *
follow_open(const char *path, const struct follow_pos *pos, bool from_start)
{
	struct follow *f;
	struct stat sb;
	char *slash;
	int fd;

	f = mem_calloc(1, sizeof(*f));
	f->path = mem_strdup(path);
	f->dir = mem_strdup(path);
	slash = strrchr(f->dir, '/');
	if (slash == NULL) {
		mem_free(f->dir);
		f->dir = mem_strdup(".");
	} else {
		slash[slash == f->dir] = '\0';	/* "/x" -> "/" */
	}
	f->fd = f->ino_fd = f->wd_dir = f->wd_file = -1;
	f->ml = strcmp(slash == NULL ? path : strrchr(path, '/') + 1, "current") == 0;
	f->buf = mem_alloc(FOLLOW_BUF_SIZE + 1);
	f->partial_timeout = FOLLOW_PARTIAL_TIMEOUT_MS;
	if (pos != NULL) {
		f->have_resume = true;
		f->resume = *pos;
	}
	if ((fd = follow_open_file(path, &sb)) < 0) {
		if (errno != ENOENT) {
			int e = errno;

			follow_close(&f);
			errno = e;
			return NULL;
		}
		follow_note(f, FOLLOW_MISSING, ENOENT);
		return f;
	}
	if (follow_take(f, fd, &sb, pos, !from_start) < 0) {
		int e = errno;

		follow_close(&f);
		errno = e;
		return NULL;
	}
	f->have_resume = false;
	return f;
}

static void
follow_deliver(struct follow *f, const char *p, size_t n, follow_line_fn *fn, void *arg)
{
	f->st.lines++;
	fn(arg, p, n);
}

/* Delivers the complete lines in buf; buf[0..from) was scanned before. */
static void
follow_lines(struct follow *f, size_t from, follow_line_fn *fn, void *arg)
{
	uint64_t base = f->rdoff - f->len;
	size_t start = 0, rest;
	char *nl;

	if (f->after_partial && f->len > 0) {
		if (f->buf[0] == '\n') {
			start = from = 1;
			f->pos = base + 1;
		}
		f->after_partial = false;
	}
	while ((nl = memchr(f->buf + from, '\n', f->len - from)) != NULL) {
		size_t end = (size_t)(nl - f->buf);

		f->pos = base + end + 1;
		if (f->skipping) {
			f->skipping = false;
		} else if (end - start > LIMIT_LINE_MAX) {
			f->st.toolong++;
		} else {
			*nl = '\0';
			follow_deliver(f, f->buf + start, end - start, fn, arg);
		}
		start = from = end + 1;
	}
	rest = f->len - start;
	if (f->skipping) {
		f->len = 0;
	} else if (rest > LIMIT_LINE_MAX) {
		f->st.toolong++;
		f->skipping = true;
		f->len = 0;
	} else {
		memmove(f->buf, f->buf + start, rest);
		f->len = rest;
	}
}

/* The unfinished line goes out as it is (timeout, or its file is done).
 * pos stays before it: a restart reads it again, whole if completed. */
static void
follow_flush(struct follow *f, follow_line_fn *fn, void *arg)
{
	if (!f->skipping && f->len > 0) {
		f->buf[f->len] = '\0';
		follow_deliver(f, f->buf, f->len, fn, arg);
		f->after_partial = true;
	}
	f->len = 0;
	f->skipping = false;
}

/* Truncated: shorter than what was read, or the bytes before our offset
 * changed (truncated and written again), judged only when it changed. */
static int
follow_truncated(struct follow *f, const struct stat *sb)
{
	uint64_t size = (uint64_t)sb->st_size;
	unsigned char now[FOLLOW_TAIL];

	if (size < f->rdoff)
		return 1;
	if (f->tail_len == 0 || (size == f->rdoff && follow_mtime_ns(sb) == f->mtime_ns))
		return 0;
	if (follow_pread_full(f->fd, now, f->tail_len, f->rdoff - f->tail_len) < 0)
		return errno == ENODATA ? 1 : -1;	/* shrank since fstat */
	return memcmp(now, f->tail, f->tail_len) != 0;
}

/* Reads the open file up to its current size, within the poll's budget.
 * *at_end: everything fstat showed was read. */
static int
follow_read(struct follow *f, follow_line_fn *fn, void *arg, uint64_t *budget, bool *at_end,
	    bool *grew)
{
	struct stat sb;
	uint64_t size;
	int trunc;

	*at_end = false;
	if (fstat(f->fd, &sb) < 0)
		return follow_read_failed(f, "fstat");
	size = (uint64_t)sb.st_size;
	if ((trunc = follow_truncated(f, &sb)) < 0)
		return follow_read_failed(f, "read");
	if (trunc) {
		follow_flush(f, fn, arg);
		f->rdoff = f->pos = 0;
		f->tail_len = 0;
		f->st.truncations++;
	}
	f->mtime_ns = follow_mtime_ns(&sb);
	while (f->rdoff < size) {
		size_t want = FOLLOW_BUF_SIZE - f->len, old = f->len;
		ssize_t n;

		if (*budget == 0) {
			f->pending = true;
			return 0;
		}
		if (want > size - f->rdoff)
			want = (size_t)(size - f->rdoff);
		if (want > *budget)
			want = (size_t)*budget;
		if ((n = follow_pread(f->fd, f->buf + f->len, want, f->rdoff)) < 0)
			return follow_read_failed(f, "read");
		if (n == 0)	/* shrank meanwhile: the next poll sees it */
			return 0;
		follow_tail_add(f, f->buf + f->len, (size_t)n);
		f->len += (size_t)n;
		f->rdoff += (uint64_t)n;
		f->st.bytes += (uint64_t)n;
		*budget -= (uint64_t)n;
		*grew = true;
		follow_lines(f, old, fn, arg);
	}
	if (f->cond == FOLLOW_READ_FAILED)
		f->cond = FOLLOW_OK;
	*at_end = true;
	return 0;
}

static void
follow_unwatch_file(struct follow *f)
{
	if (f->wd_file >= 0)
		(void)inotify_rm_watch(f->ino_fd, f->wd_file);	/* EINVAL if already gone */
	f->wd_file = -1;
}

/* Leaves the file read to its end (its unfinished line delivered) for fd,
 * read from 0. */
static void
follow_move(struct follow *f, int fd, const struct stat *sb, follow_line_fn *fn, void *arg)
{
	follow_flush(f, fn, arg);
	follow_unwatch_file(f);
	close(f->fd);
	f->st.rotations++;
	(void)follow_take(f, fd, sb, NULL, false);	/* at 0: reads nothing */
}

/* Catch-up: cu_name is read to its end. On to the next rotated multilog
 * file, or, when there is none, to "current", which is opened before the
 * folder is scanned: a rotation after the scan is then of the file we hold.
 * 0 moved, -1 stays (current missing or unopenable: tried next poll). */
static int
follow_ml_next(struct follow *f, follow_line_fn *fn, void *arg)
{
	char next[FOLLOW_ML_NAME_LEN + 1];
	struct stat sb, csb;
	int fd, cfd, cerr;

	cfd = follow_open_file(f->path, &csb);
	cerr = errno;
	for (;;) {
		if (follow_ml_scan(f, 0, 0, NULL, f->cu_name, next) != 2)
			break;
		memcpy(f->cu_name, next, sizeof(f->cu_name));
		if ((fd = follow_ml_open(f, next, &sb)) < 0) {
			if (errno != ENOENT) {	/* removed meanwhile (multilog's n): gone */
				snprintf(f->err, sizeof(f->err), "%s/%s: %s (skipped)", f->dir,
					 next, strerror(errno));
				f->news = true;
			}
			continue;
		}
		if (cfd >= 0)
			close(cfd);
		follow_move(f, fd, &sb, fn, arg);
		f->st.rotated_read++;
		return 0;
	}
	if (cfd < 0) {
		follow_note(f, cerr == ENOENT ? FOLLOW_MISSING : FOLLOW_OPEN_FAILED, cerr);
		return -1;
	}
	f->cu_active = false;
	follow_move(f, cfd, &csb, fn, arg);
	follow_note(f, FOLLOW_OK, 0);
	return 0;
}

/* The path names a new file: move to it once the old one is read. */
static int
follow_switch(struct follow *f, follow_line_fn *fn, void *arg)
{
	char name[FOLLOW_ML_NAME_LEN + 1];
	struct stat sb;
	int fd;

	if ((fd = follow_open_file(f->path, &sb)) < 0) {
		follow_note(f, errno == ENOENT ? FOLLOW_MISSING : FOLLOW_OPEN_FAILED, errno);
		return -1;
	}
	if ((uint64_t)sb.st_dev == f->dev && (uint64_t)sb.st_ino == f->ino) {
		close(fd);	/* renamed back meanwhile */
		return -1;
	}
	if (f->ml) {
		/* multilog: the files rotated after ours come first. */
		if (follow_ml_find(f, f->dev, f->ino, name)) {
			close(fd);
			f->cu_active = true;
			memcpy(f->cu_name, name, sizeof(f->cu_name));
			return follow_ml_next(f, fn, arg);
		}
		f->st.rotated_unfound++;
		if (!f->ml_warned) {
			f->ml_warned = true;
			snprintf(f->err, sizeof(f->err),
				 "%s: the rotated file is not among the @<tai64n> files of %s: "
				 "files rotated after it, if any, are not read",
				 f->path, f->dir);
			f->news = true;
		}
	}
	follow_flush(f, fn, arg);
	follow_unwatch_file(f);
	close(f->fd);
	f->st.rotations++;
	(void)follow_take(f, fd, &sb, NULL, false);	/* at 0: reads nothing */
	follow_note(f, FOLLOW_OK, 0);
	return 0;
}

/* The first file at the path, when it was missing at follow_open. */
static int
follow_first(struct follow *f)
{
	struct stat sb;
	int fd;

	if ((fd = follow_open_file(f->path, &sb)) < 0) {
		follow_note(f, errno == ENOENT ? FOLLOW_MISSING : FOLLOW_OPEN_FAILED, errno);
		return -1;
	}
	if (follow_take(f, fd, &sb, f->have_resume ? &f->resume : NULL, false) < 0) {
		follow_read_failed(f, "read");
		close(f->fd);	/* fd, or the rotated file resumed in instead */
		f->fd = -1;
		f->cu_active = false;
		errno = f->cond_errno;
		return -1;
	}
	f->have_resume = false;
	follow_note(f, FOLLOW_OK, 0);
	return 0;
}

static void
follow_watch_drain(struct follow *f)
{
	_Alignas(struct inotify_event) char evbuf[4096];
	ssize_t n;

	if (f->ino_fd < 0)
		return;
	while ((n = read(f->ino_fd, evbuf, sizeof(evbuf))) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const void *)(evbuf + i);

			if (ev->mask & IN_IGNORED) {	/* watched inode gone */
				if (ev->wd == f->wd_dir)
					f->wd_dir = -1;
				if (ev->wd == f->wd_file)
					f->wd_file = -1;
			}
			i += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
}

static void
follow_watch_update(struct follow *f)
{
	char self[64];

	if (f->ino_fd < 0)
		return;
	if (f->wd_dir < 0)
		f->wd_dir = inotify_add_watch(f->ino_fd, f->dir,
					      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
						      IN_ONLYDIR);
	if (f->fd >= 0 && f->wd_file < 0) {
		/* The inode we read, not whatever the path names now. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
		f->wd_file = inotify_add_watch(f->ino_fd, self, IN_MODIFY | IN_ATTRIB);
		if (f->wd_file < 0)
			f->wd_file = inotify_add_watch(f->ino_fd, f->path, IN_MODIFY | IN_ATTRIB);
	}
}

int
follow_watch_fd(struct follow *f)
{
	if (f->ino_fd < 0) {
		if ((f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
			return -1;
		follow_watch_update(f);
	}
	return f->ino_fd;
}

long
follow_poll(struct follow *f, follow_line_fn *fn, void *arg)
{
	uint64_t lines0 = f->st.lines, budget = FOLLOW_POLL_MAX_BYTES;
	bool at_end, grew = false;
	struct stat ps;
	int perr;

	f->news = false;
	f->pending = false;
	follow_watch_drain(f);
	if (f->fd < 0 && follow_first(f) < 0) {
		follow_watch_update(f);
		return f->cond == FOLLOW_READ_FAILED ? -1 : 0;
	}
	perr = stat(f->path, &ps) < 0 ? errno : 0;
	if (follow_read(f, fn, arg, &budget, &at_end, &grew) < 0)
		return -1;
	if (f->cu_active) {
		/* a rotated file: complete, its successors are looked for below */
	} else if (perr != 0) {
		follow_note(f, perr == ENOENT ? FOLLOW_MISSING : FOLLOW_OPEN_FAILED, perr);
	} else if ((uint64_t)ps.st_dev == f->dev && (uint64_t)ps.st_ino == f->ino) {
		follow_note(f, FOLLOW_OK, 0);
	} else if (!S_ISREG(ps.st_mode)) {
		follow_note(f, FOLLOW_OPEN_FAILED, S_ISDIR(ps.st_mode) ? EISDIR : EINVAL);
	} else if (ps.st_size == 0) {
		follow_note(f, FOLLOW_OK, 0);	/* until the writer moves to it */
	} else if (at_end && follow_switch(f, fn, arg) == 0) {
		grew = false;
		if (follow_read(f, fn, arg, &budget, &at_end, &grew) < 0)
			return -1;
	}
	/* Catch-up: each rotated file read whole, then the next, then current. */
	for (int n = 0; f->cu_active && at_end; n++) {
		if (n == FOLLOW_ML_FILES_PER_POLL) {
			f->pending = true;
			break;
		}
		if (follow_ml_next(f, fn, arg) < 0)
			break;
		grew = false;
		if (follow_read(f, fn, arg, &budget, &at_end, &grew) < 0)
			return -1;
	}
	/* An unfinished line that stopped growing goes out after the timeout. */
	if (grew || f->len == 0 || f->skipping)
		f->partial_since = follow_now_ms();
	else if (follow_now_ms() - f->partial_since >= (int64_t)f->partial_timeout)
		follow_flush(f, fn, arg);
	follow_watch_update(f);
	return (long)(f->st.lines - lines0);
}

bool
follow_pending(const struct follow *f)
{
	return f->pending;
}

void
follow_get_pos(const struct follow *f, struct follow_pos *pos)
{
	if (f->fd >= 0)
		*pos = (struct follow_pos){ f->dev, f->ino, f->pos };
	else if (f->have_resume)
		*pos = f->resume;
	else
		*pos = (struct follow_pos){ 0, 0, 0 };
}

const char *
follow_path(const struct follow *f)
{
	return f->path;
}

const char *
follow_error(const struct follow *f)
{
	return f->news ? f->err : NULL;
}

void
follow_get_stats(const struct follow *f, struct follow_stats *st)
{
	*st = f->st;
}

void
follow_set_partial_timeout(struct follow *f, unsigned ms)
{
	f->partial_timeout = ms;
}

void
follow_close(struct follow **fp)
{
	struct follow *f = *fp;

	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->ino_fd >= 0)
		close(f->ino_fd);
	mem_free(f->buf);
	mem_free(f->dir);
	mem_free(f->path);
	mem_free(f);
	*fp = NULL;
}
