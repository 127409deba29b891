/* test_in_follow.c - input/in_follow: following a live log across rotations
 * Files are written into a temporary directory the way syslog daemons and
 * logrotate do: an O_APPEND writer, rename-and-create, copytruncate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "input/in_follow.h"
#include "testdir.h"
#include "util/mem.h"

static char tmpdir[] = "/tmp/ms_in_follow_XXXXXX";

static const char *
tpath(const char *name)
{
	static char bufs[4][512];
	static int i;
	char *p = bufs[i++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return p;
}

static void
wr(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
}

static void
wrs(int fd, const char *s)
{
	wr(fd, s, strlen(s));
}

/* A writer's descriptor, as a syslog daemon holds one. */
static int
wopen(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	return fd;
}

/* Appends s to path (created if needed). */
static void
put(const char *path, const char *s)
{
	int fd = wopen(path);

	wrs(fd, s);
	close(fd);
}

static void
fill(int fd, char c, size_t n)
{
	char chunk[4096];

	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		wr(fd, chunk, k);
		n -= k;
	}
}

struct got {
	char *text;		/* each line + "\n" */
	size_t len, cap;
	long n;
};

static void
got_line(void *arg, const char *line, size_t len)
{
	struct got *g = arg;

	assert_true(len <= LIMIT_LINE_MAX);
	assert_int_equal(line[len], '\0');
	assert_null(memchr(line, '\n', len));
	if (g->len + len + 2 > g->cap) {
		g->cap = (g->len + len + 2) * 2;
		g->text = mem_realloc(g->text, g->cap);
	}
	memcpy(g->text + g->len, line, len);
	g->len += len;
	g->text[g->len++] = '\n';
	g->text[g->len] = '\0';
	g->n++;
}

/* Polls once; the lines must be exactly want (each + "\n"). */
static void
poll_expect(struct follow *f, const char *want)
{
	struct got g = { 0 };
	long n = follow_poll(f, got_line, &g);

	assert_true(n >= 0);
	assert_int_equal(n, g.n);
	assert_string_equal(g.text != NULL ? g.text : "", want);
	mem_free(g.text);
}

static struct follow_stats
stats(const struct follow *f)
{
	struct follow_stats st;

	follow_get_stats(f, &st);
	return st;
}

static uint64_t
file_size(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_size;
}

static void
test_append(void **state)
{
	const char *p = tpath("append.log");
	struct follow *f;
	struct follow_pos pos;

	(void)state;
	put(p, "before\npart");
	/* From the end: history is not replayed, the unfinished line is kept. */
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	assert_null(follow_error(f));
	assert_string_equal(follow_path(f), p);
	poll_expect(f, "");
	put(p, "ial\na\nb\n");
	poll_expect(f, "partial\na\nb\n");
	poll_expect(f, "");
	follow_get_pos(f, &pos);
	assert_true(pos.offset == file_size(p));
	assert_true(stats(f).lines == 3);
	follow_close(&f);
	assert_null(f);
	follow_close(&f);

	f = follow_open(p, NULL, true);
	assert_non_null(f);
	poll_expect(f, "before\npartial\na\nb\n");
	assert_true(stats(f).bytes == file_size(p));
	assert_false(follow_pending(f));
	follow_close(&f);
}

static void
test_partial(void **state)
{
	const char *p = tpath("partial.log");
	struct follow *f;
	struct follow_pos pos;
	int w = wopen(p);

	(void)state;
	f = follow_open(p, NULL, true);
	assert_non_null(f);
	wrs(w, "hel");
	poll_expect(f, "");
	wrs(w, "lo");
	poll_expect(f, "");
	poll_expect(f, "");	/* the default timeout is seconds away */
	wrs(w, "\nwor");
	poll_expect(f, "hello\n");
	wrs(w, "ld\r\n");
	poll_expect(f, "world\r\n");	/* "\r" is the caller's to judge */

	/* Timeout 0: delivered at the first poll that finds it unchanged. */
	follow_set_partial_timeout(f, 0);
	wrs(w, "abc");
	poll_expect(f, "");
	poll_expect(f, "abc\n");
	/* Until more comes, a restart would read it again. */
	follow_get_pos(f, &pos);
	assert_true(pos.offset == file_size(p) - 3);
	wrs(w, "\n");		/* its newline: not an empty line */
	poll_expect(f, "");
	follow_get_pos(f, &pos);
	assert_true(pos.offset == file_size(p));
	wrs(w, "def\n");
	poll_expect(f, "def\n");
	wrs(w, "gh");
	poll_expect(f, "");
	poll_expect(f, "gh\n");
	wrs(w, "ij\n");		/* the rest of a late line is a line */
	poll_expect(f, "ij\n");
	assert_true(stats(f).lines == 6);
	follow_close(&f);
	close(w);
}

static void
test_many_lines(void **state)
{
	const char *p = tpath("many.log");
	struct follow *f;
	struct got g = { 0 };
	char line[64];
	long n, total = 0, polls = 0;
	int w = wopen(p);
	uint64_t size;

	(void)state;
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	/* More than the buffer, in one poll, in order. */
	for (int i = 0; i < 100000; i++) {
		snprintf(line, sizeof(line), "line %06d\n", i);
		wrs(w, line);
	}
	n = follow_poll(f, got_line, &g);
	assert_int_equal(n, 100000);
	for (size_t i = 0, off = 0; i < 100000; i++) {
		snprintf(line, sizeof(line), "line %06zu\n", i);
		assert_memory_equal(g.text + off, line, strlen(line));
		off += strlen(line);
	}
	assert_false(follow_pending(f));

	/* More than one poll reads: pending until caught up. */
	size = file_size(p);
	fill(w, 'x', FOLLOW_POLL_MAX_BYTES + 100000);
	wrs(w, "\nlast\n");
	g.len = 0;
	g.n = 0;
	do {
		n = follow_poll(f, got_line, &g);
		assert_true(n >= 0);
		total += n;
		polls++;
	} while (follow_pending(f));
	assert_true(polls == 2);
	assert_int_equal(total, 1);
	assert_string_equal(g.text, "last\n");
	assert_true(stats(f).toolong == 1);
	assert_true(stats(f).bytes == file_size(p));
	assert_true(file_size(p) > size);
	mem_free(g.text);
	follow_close(&f);
	close(w);
}

static void
test_rename_create(void **state)
{
	const char *p = tpath("rot.log"), *p1 = tpath("rot.log.1");
	struct follow *f;
	struct follow_pos pos;
	int w = wopen(p), w2, w3;

	(void)state;
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	wrs(w, "1\n2\n");
	poll_expect(f, "1\n2\n");

	/* Renamed: missing for a while, the writer goes on in the old file. */
	assert_int_equal(rename(p, p1), 0);
	wrs(w, "3\n");
	poll_expect(f, "3\n");
	assert_non_null(follow_error(f));
	assert_non_null(strstr(follow_error(f), "No such file"));
	wrs(w, "4\n");
	poll_expect(f, "4\n");
	assert_null(follow_error(f));	/* reported once */
	/* Created empty; the writer has not reopened yet. */
	w2 = wopen(p);
	wrs(w, "5\n");
	poll_expect(f, "5\n");
	assert_null(follow_error(f));
	wrs(w, "6\npart");
	poll_expect(f, "6\n");
	/* The writer reopens: old tail, then the new file from 0. */
	wrs(w, "ial\n7\n");
	close(w);
	wrs(w2, "8\n9\n");
	poll_expect(f, "partial\n7\n8\n9\n");
	assert_true(stats(f).rotations == 1);
	assert_true(stats(f).reopen_errors == 1);
	follow_get_pos(f, &pos);
	assert_true(pos.offset == 4);

	/* Again, all between two polls: old lines first, none lost. */
	assert_int_equal(rename(p, p1), 0);
	w3 = wopen(p);
	wrs(w2, "10\n11\n");
	wrs(w3, "12\n");
	wrs(w2, "13\n");	/* a late write: still before 14 is seen */
	close(w2);
	wrs(w3, "14\n");
	poll_expect(f, "10\n11\n13\n12\n14\n");
	assert_null(follow_error(f));
	assert_true(stats(f).rotations == 2);

	/* An unfinished last line of the old file is delivered on the switch. */
	wrs(w3, "15\nhalf");
	poll_expect(f, "15\n");
	assert_int_equal(rename(p, p1), 0);
	w2 = wopen(p);
	wrs(w2, "16\n");
	poll_expect(f, "half\n16\n");
	assert_true(stats(f).rotations == 3);
	close(w2);
	close(w3);
	follow_close(&f);
}

static void
test_copytruncate(void **state)
{
	const char *p = tpath("ct.log");
	struct follow *f;
	int w = wopen(p);

	(void)state;
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	wrs(w, "a1\na2\na3\n");
	poll_expect(f, "a1\na2\na3\n");
	/* The copy is not ours to read; the truncation is. */
	assert_int_equal(ftruncate(w, 0), 0);
	wrs(w, "b1\n");
	poll_expect(f, "b1\n");
	assert_true(stats(f).truncations == 1);
	wrs(w, "c1\n");
	poll_expect(f, "c1\n");

	/* Truncated and written again past our offset before the next poll. */
	assert_int_equal(ftruncate(w, 0), 0);
	wrs(w, "d1-longer\nd2\n");
	poll_expect(f, "d1-longer\nd2\n");
	assert_true(stats(f).truncations == 2);

	/* Truncated with an unfinished line: it goes out, its rest too. */
	wrs(w, "e1\ne2-");
	poll_expect(f, "e1\n");
	assert_int_equal(ftruncate(w, 0), 0);
	poll_expect(f, "e2-\n");
	wrs(w, "\nf1\n");	/* the newline that ended e2- */
	poll_expect(f, "f1\n");
	assert_true(stats(f).truncations == 3);
	assert_true(stats(f).rotations == 0);
	follow_close(&f);
	close(w);
}

static void
test_missing(void **state)
{
	const char *p = tpath("sub/missing.log");
	struct follow *f;
	struct follow_pos pos;

	(void)state;
	/* Neither the file nor its folder yet. */
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	assert_non_null(follow_error(f));
	assert_non_null(strstr(follow_error(f), "missing.log: No such file or directory"));
	follow_get_pos(f, &pos);
	assert_true(pos.dev == 0 && pos.ino == 0 && pos.offset == 0);
	poll_expect(f, "");
	assert_null(follow_error(f));
	assert_int_equal(mkdir(tpath("sub"), 0755), 0);
	poll_expect(f, "");
	assert_null(follow_error(f));
	/* A file that appears is new: read from its start. */
	put(p, "x\ny\n");
	poll_expect(f, "x\ny\n");
	assert_null(follow_error(f));
	/* Deleted while followed, then created again. */
	put(p, "z\n");
	assert_int_equal(unlink(p), 0);
	poll_expect(f, "z\n");
	assert_non_null(follow_error(f));
	poll_expect(f, "");
	assert_null(follow_error(f));
	put(p, "again\n");
	poll_expect(f, "again\n");
	assert_true(stats(f).reopen_errors == 2);
	assert_true(stats(f).rotations == 1);
	follow_close(&f);

	/* A saved position is kept while the file is missing. */
	f = follow_open(tpath("sub/gone.log"), &(struct follow_pos){ 1, 2, 3 }, false);
	assert_non_null(f);
	follow_get_pos(f, &pos);
	assert_true(pos.dev == 1 && pos.ino == 2 && pos.offset == 3);
	put(tpath("sub/gone.log"), "new\n");
	poll_expect(f, "new\n");
	assert_true(stats(f).rotations == 1);
	follow_close(&f);
}

static void
test_resume(void **state)
{
	const char *p = tpath("resume.log");
	struct follow *f;
	struct follow_pos pos;
	int w = wopen(p);

	(void)state;
	wrs(w, "1\n2\n3\n");
	f = follow_open(p, NULL, true);
	poll_expect(f, "1\n2\n3\n");
	wrs(w, "4\n5");
	poll_expect(f, "4\n");
	follow_get_pos(f, &pos);
	follow_close(&f);

	/* Written while we were away, an unfinished line completed. */
	wrs(w, "\n6\n");
	f = follow_open(p, &pos, false);
	assert_non_null(f);
	assert_null(follow_error(f));
	poll_expect(f, "5\n6\n");
	poll_expect(f, "");
	assert_true(stats(f).rotations == 0 && stats(f).truncations == 0);
	/* Closed and reopened at once: nothing again. */
	follow_get_pos(f, &pos);
	follow_close(&f);
	f = follow_open(p, &pos, true);
	poll_expect(f, "");
	wrs(w, "7\n");
	poll_expect(f, "7\n");
	follow_close(&f);
	close(w);
}

/* Position persisted from inside the callback counts that line. */
static void
pos_in_callback(void *arg, const char *line, size_t len)
{
	struct follow **fp = arg;
	struct follow_pos pos;

	follow_get_pos(*fp, &pos);
	assert_true(len == 1 && pos.offset == (uint64_t)(line[0] - '0') * 2);
}

static void
test_resume_pos_in_callback(void **state)
{
	const char *p = tpath("cbpos.log");
	struct follow *f;

	(void)state;
	put(p, "1\n2\n3\n");
	f = follow_open(p, NULL, true);
	assert_int_equal(follow_poll(f, pos_in_callback, &f), 3);
	follow_close(&f);
}

static void
test_resume_rotated(void **state)
{
	const char *p = tpath("rr.log"), *p1 = tpath("rr.log.1");
	struct follow *f;
	struct follow_pos pos;

	(void)state;
	put(p, "1\n2\n");
	f = follow_open(p, NULL, true);
	poll_expect(f, "1\n2\n");
	follow_get_pos(f, &pos);
	follow_close(&f);

	/* Rotated while we were away: the new file from 0. */
	assert_int_equal(rename(p, p1), 0);
	put(p, "3\nlonger line\n");
	f = follow_open(p, &pos, false);
	assert_non_null(f);
	poll_expect(f, "3\nlonger line\n");
	assert_true(stats(f).rotations == 1);
	follow_get_pos(f, &pos);
	assert_true(pos.offset == 14);
	follow_close(&f);

	/* Truncated while we were away, shorter than our offset. */
	assert_int_equal(truncate(p, 0), 0);
	put(p, "4\n");
	f = follow_open(p, &pos, false);
	poll_expect(f, "4\n");
	assert_true(stats(f).truncations == 1 && stats(f).rotations == 0);
	put(p, "five\n");
	poll_expect(f, "five\n");
	follow_get_pos(f, &pos);
	follow_close(&f);

	/* Truncated and written past our offset: the offset is mid-line. */
	assert_int_equal(truncate(p, 0), 0);
	put(p, "sixsixsix\nseven\n");
	f = follow_open(p, &pos, false);
	poll_expect(f, "sixsixsix\nseven\n");
	assert_true(stats(f).truncations == 1);
	follow_close(&f);

	/* The path missing at open: the saved position waits for it. */
	follow_get_pos(f = follow_open(p, NULL, false), &pos);
	follow_close(&f);
	assert_int_equal(rename(p, p1), 0);
	f = follow_open(p, &pos, false);
	assert_non_null(follow_error(f));
	put(p, "eight\n");
	poll_expect(f, "eight\n");
	assert_true(stats(f).rotations == 1);
	follow_close(&f);
}

/* multilog's rotation: current (made 0744) renamed to @<tai64n>.s, a new
 * current created. */
static const char *
ml_rotate(const char *dir, unsigned n)
{
	static char cur[512], old[512];

	snprintf(cur, sizeof(cur), "%s/%s/current", tmpdir, dir);
	snprintf(old, sizeof(old), "%s/%s/@4000000060000000%08x.s", tmpdir, dir, n);
	assert_int_equal(chmod(cur, 0744), 0);
	assert_int_equal(rename(cur, old), 0);
	put(cur, "");
	return cur;
}

static const char *
ml_dir(const char *dir)
{
	static char cur[512];

	assert_int_equal(mkdir(tpath(dir), 0755), 0);
	snprintf(cur, sizeof(cur), "%s/%s/current", tmpdir, dir);
	return cur;
}

/* Three rotations between two polls: the two files never opened under the
 * name current are read from their @ names, in order, before the new current. */
static void
test_multilog_catchup(void **state)
{
	const char *cur = ml_dir("ml1");
	struct follow *f;
	struct follow_pos pos;

	(void)state;
	put(cur, "1\n");
	f = follow_open(cur, NULL, true);
	assert_non_null(f);
	poll_expect(f, "1\n");
	put(cur, "2\n");
	ml_rotate("ml1", 1);
	put(cur, "3\n4\n");
	ml_rotate("ml1", 2);
	put(cur, "5\nhalf");	/* an unfinished last line (a multilog .u) */
	ml_rotate("ml1", 3);
	put(cur, "6\n");
	/* Not multilog's names: left alone. */
	put(tpath("ml1/@4000000060000000000000ff.s.tmp"), "no\n");
	put(tpath("ml1/@40000000600000000000ff.s"), "no\n");
	put(tpath("ml1/state"), "no\n");
	poll_expect(f, "2\n3\n4\n5\nhalf\n6\n");
	assert_null(follow_error(f));
	assert_true(stats(f).rotations == 3);
	assert_true(stats(f).rotated_read == 2);
	assert_true(stats(f).rotated_unfound == 0);
	follow_get_pos(f, &pos);
	assert_true(pos.offset == 2);
	poll_expect(f, "");
	put(cur, "7\n");
	poll_expect(f, "7\n");
	/* One rotation: as before, no file in between. */
	ml_rotate("ml1", 4);
	put(cur, "8\n");
	poll_expect(f, "8\n");
	assert_true(stats(f).rotations == 4 && stats(f).rotated_read == 2);
	follow_close(&f);
}

struct posrec {
	struct follow *f;
	struct follow_pos pos[16];
	char line[16][8];
	int n;
};

static void
pos_record(void *arg, const char *line, size_t len)
{
	struct posrec *r = arg;

	assert_true(r->n < 16 && len < 8);
	follow_get_pos(r->f, &r->pos[r->n]);
	memcpy(r->line[r->n], line, len + 1);
	r->n++;
}

/* A restart (kill -9) with the position saved at any line of a catch-up, or
 * saved before the rotations: every line after it is read, none skipped;
 * only an unfinished last line delivered early is read again. */
static void
test_multilog_resume(void **state)
{
	const char *cur = ml_dir("ml2");
	static const char *const want[] = { "2", "3", "4", "5", "half", "6" };
	struct follow *f;
	struct follow_pos before;
	struct posrec r = { 0 };

	(void)state;
	put(cur, "1\n");
	f = follow_open(cur, NULL, true);
	poll_expect(f, "1\n");
	follow_get_pos(f, &before);
	put(cur, "2\n");
	ml_rotate("ml2", 1);
	put(cur, "3\n4\n");
	ml_rotate("ml2", 2);
	put(cur, "5\nhalf");
	ml_rotate("ml2", 3);
	put(cur, "6\n");
	r.f = f;
	assert_int_equal(follow_poll(f, pos_record, &r), 6);
	follow_close(&f);
	assert_int_equal(r.n, 6);
	for (int k = -1; k < 6; k++) {
		char exp[64] = "";
		/* saved inside line k's callback; -1: before the rotations */
		int from = k < 0 ? 0 : strcmp(want[k], "half") == 0 ? k : k + 1;

		assert_true(k < 0 || strcmp(r.line[k], want[k]) == 0);
		for (int i = from; i < 6; i++) {
			strcat(exp, want[i]);
			strcat(exp, "\n");
		}
		f = follow_open(cur, k < 0 ? &before : &r.pos[k], false);
		assert_non_null(f);
		poll_expect(f, exp);
		poll_expect(f, "");
		follow_close(&f);
	}
}

/* Many rotations between two polls: read over several polls, in order. */
static void
test_multilog_many(void **state)
{
	const char *cur = ml_dir("ml3");
	struct follow *f;
	struct got g = { 0 };
	char line[32], *exp = mem_calloc(1, 300 * 16);
	int polls = 0;

	(void)state;
	put(cur, "");
	f = follow_open(cur, NULL, false);
	poll_expect(f, "");
	for (unsigned i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "line %u\n", i);
		put(cur, line);
		strcat(exp, line);
		if (i < 299)
			ml_rotate("ml3", i);
	}
	do {
		assert_true(follow_poll(f, got_line, &g) >= 0);
		polls++;
	} while (follow_pending(f) && polls < 100);
	assert_false(follow_pending(f));
	assert_true(polls > 1);	/* a bounded number of files each poll */
	assert_string_equal(g.text, exp);
	assert_true(stats(f).rotated_read == 298);
	mem_free(g.text);
	mem_free(exp);
	follow_close(&f);
}

/* The old file removed, not renamed: the new current, said once. */
static void
test_multilog_unfound(void **state)
{
	const char *cur = ml_dir("ml4");
	struct follow *f;

	(void)state;
	put(cur, "1\n");
	f = follow_open(cur, NULL, true);
	poll_expect(f, "1\n");
	assert_int_equal(unlink(cur), 0);
	put(cur, "2\n");
	poll_expect(f, "2\n");
	assert_non_null(follow_error(f));
	assert_non_null(strstr(follow_error(f), "@<tai64n>"));
	assert_true(stats(f).rotated_unfound == 1 && stats(f).rotations == 1);
	assert_int_equal(unlink(cur), 0);
	put(cur, "3\n");
	poll_expect(f, "3\n");
	assert_null(follow_error(f));
	assert_true(stats(f).rotated_unfound == 2);
	follow_close(&f);
}

static void
test_toolong(void **state)
{
	const char *p = tpath("long.log");
	struct follow *f;
	struct follow_pos pos;
	char *max = mem_alloc(LIMIT_LINE_MAX + 2);
	int w = wopen(p);

	(void)state;
	f = follow_open(p, NULL, false);
	assert_non_null(f);
	/* Exactly the limit is a line. */
	memset(max, 'a', LIMIT_LINE_MAX);
	max[LIMIT_LINE_MAX] = '\n';
	max[LIMIT_LINE_MAX + 1] = '\0';
	wrs(w, max);
	poll_expect(f, max);
	/* One more is skipped, whole. */
	fill(w, 'b', LIMIT_LINE_MAX + 1);
	wrs(w, "\nok1\n");
	poll_expect(f, "ok1\n");
	assert_true(stats(f).toolong == 1);
	/* Arriving over many polls. */
	for (int i = 0; i < 10; i++) {
		fill(w, 'c', 10000);
		poll_expect(f, "");
	}
	wrs(w, "\nok2\n");
	poll_expect(f, "ok2\n");
	assert_true(stats(f).toolong == 2);
	/* A restart in the middle of one skips it again. */
	fill(w, 'e', LIMIT_LINE_MAX + 500);
	poll_expect(f, "");
	follow_get_pos(f, &pos);
	assert_true(pos.offset == file_size(p) - LIMIT_LINE_MAX - 500);
	follow_close(&f);
	f = follow_open(p, &pos, false);
	wrs(w, "\nok3\n");
	poll_expect(f, "ok3\n");
	assert_true(stats(f).toolong == 1);
	assert_true(stats(f).truncations == 0);
	follow_close(&f);

	/* Starting at the end inside a too-long line skips it too. */
	fill(w, 'g', 3 * LIMIT_LINE_MAX);
	f = follow_open(p, NULL, false);
	wrs(w, "g\nok4\n");
	poll_expect(f, "ok4\n");
	follow_close(&f);
	mem_free(max);
	close(w);
}

static void
test_not_regular(void **state)
{
	(void)state;
	errno = 0;
	assert_null(follow_open(tmpdir, NULL, false));
	assert_int_equal(errno, EISDIR);
}

static void
test_watch_fd(void **state)
{
	const char *p = tpath("watch.log"), *p1 = tpath("watch.log.1");
	struct follow *f;
	struct pollfd pfd;
	int w = wopen(p);

	(void)state;
	f = follow_open(p, NULL, false);
	pfd.fd = follow_watch_fd(f);
	if (pfd.fd < 0) {
		follow_close(&f);
		close(w);
		skip();
	}
	pfd.events = POLLIN;
	assert_int_equal(follow_watch_fd(f), pfd.fd);
	poll_expect(f, "");
	assert_int_equal(poll(&pfd, 1, 0), 0);
	wrs(w, "w1\n");
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	poll_expect(f, "w1\n");
	assert_int_equal(poll(&pfd, 1, 0), 0);	/* drained */
	/* Rotation: the folder tells, then the old file, then the new one. */
	assert_int_equal(rename(p, p1), 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	poll_expect(f, "");
	wrs(w, "w2\n");
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	poll_expect(f, "w2\n");
	close(w);
	w = wopen(p);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	poll_expect(f, "");
	wrs(w, "w3\n");
	poll_expect(f, "w3\n");
	poll_expect(f, "");	/* the old file's watch removed: one more event */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	wrs(w, "w4\n");
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	poll_expect(f, "w4\n");
	follow_close(&f);
	close(w);
}

/* The randomized test: numbered lines "L%08u" padded with copies of
 * "-%08u", written with rotations of both kinds, restarts, too-long junk and
 * lines split over polls; each number must arrive exactly once, in order. */
#define RND_LINES 20000

struct rnd {
	uint64_t seed;
	const char *path, *path1;
	int w;			/* the writer's descriptor */
	struct follow *f;
	unsigned written;	/* numbered lines completely written */
	unsigned next;		/* next number expected */
	bool trunc_pending;	/* truncated, not yet polled */
	uint64_t trunc_size;
	uint64_t rotations, truncations;	/* expected */
	uint64_t restarts;
	struct follow_stats sum;		/* of closed followers */
};

static unsigned
rnd(struct rnd *r, unsigned n)
{
	r->seed ^= r->seed << 13;
	r->seed ^= r->seed >> 7;
	r->seed ^= r->seed << 17;
	return (unsigned)(r->seed % n);
}

static size_t
rnd_format(unsigned v, char *line, size_t cap)
{
	size_t len = (size_t)snprintf(line, cap, "L%08u", v);

	for (unsigned i = 0; i < (v * 7919u) % 23; i++)
		len += (size_t)snprintf(line + len, cap - len, "-%08u", v);
	line[len++] = '\n';
	return len;
}

static void
rnd_check(void *arg, const char *line, size_t len)
{
	struct rnd *r = arg;
	char want[256];
	size_t n = rnd_format(r->next, want, sizeof(want));

	if (len != n - 1 || memcmp(line, want, len) != 0)
		fail_msg("expected line %u, got \"%.*s\"", r->next, (int)(len < 40 ? len : 40),
			 line);
	assert_int_equal(line[len], '\0');
	r->next++;
}

static uint64_t
rnd_wsize(struct rnd *r, uint64_t *ino)
{
	struct stat sb;

	assert_int_equal(fstat(r->w, &sb), 0);
	if (ino != NULL)
		*ino = (uint64_t)sb.st_ino;
	return (uint64_t)sb.st_size;
}

static void
rnd_poll(struct rnd *r)
{
	/* A file truncated and written again to the size we had read, within
	 * one mtime tick, cannot be told from an unchanged one: grow it past
	 * that with a too-long line (skipped) of its own letter. */
	if (r->trunc_pending && rnd_wsize(r, NULL) <= r->trunc_size) {
		wrs(r->w, "K");
		fill(r->w, 'k', LIMIT_LINE_MAX + r->trunc_size);
		wrs(r->w, "\n");
	}
	if (follow_poll(r->f, rnd_check, r) < 0)
		fail_msg("follow_poll: %s", follow_error(r->f));
	r->trunc_pending = false;
}

static void
rnd_maybe_poll(struct rnd *r, unsigned percent)
{
	if (rnd(r, 100) < percent)
		rnd_poll(r);
}

/* One numbered line, sometimes in two writes with a poll between. */
static void
rnd_write_line(struct rnd *r)
{
	char line[256];
	size_t len = rnd_format(r->written, line, sizeof(line)), cut;

	if (rnd(r, 10) == 0 && !r->trunc_pending && r->f != NULL) {
		cut = 1 + rnd(r, (unsigned)len - 1);
		wr(r->w, line, cut);
		rnd_poll(r);
		wr(r->w, line + cut, len - cut);
	} else {
		wr(r->w, line, len);
	}
	r->written++;
}

/* The follower reads the writer's file (and has read it all). */
static void
rnd_sync(struct rnd *r, bool caught_up)
{
	struct follow_pos pos;
	uint64_t ino;

	if (r->trunc_pending)
		rnd_poll(r);
	if (rnd_wsize(r, &ino) == 0)
		rnd_write_line(r);
	if (caught_up)
		rnd_poll(r);
	for (int i = 0; i < 4; i++) {
		follow_get_pos(r->f, &pos);
		if (pos.ino == ino && (!caught_up || r->next == r->written))
			return;
		rnd_poll(r);
	}
	fail_msg("the follower does not catch up with the writer");
}

static void
rnd_open(struct rnd *r, const struct follow_pos *pos)
{
	r->f = follow_open(r->path, pos, pos == NULL);
	assert_non_null(r->f);
	follow_set_partial_timeout(r->f, UINT_MAX);
}

static void
rnd_restart(struct rnd *r, bool caught_up)
{
	struct follow_pos pos;
	struct follow_stats st;

	follow_get_pos(r->f, &pos);
	follow_get_stats(r->f, &st);
	r->sum.rotations += st.rotations;
	r->sum.truncations += st.truncations;
	r->sum.lines += st.lines;
	follow_close(&r->f);
	r->restarts++;
	if (caught_up && rnd(r, 2) == 0) {	/* rotated while we are away */
		assert_int_equal(rename(r->path, r->path1), 0);
		close(r->w);
		r->w = wopen(r->path);
		r->rotations++;
		for (unsigned k = rnd(r, 5); k > 0 && r->written < RND_LINES; k--)
			rnd_write_line(r);
	}
	rnd_open(r, &pos);
}

static void
rnd_rename_create(struct rnd *r)
{
	int nw;

	assert_int_equal(rename(r->path, r->path1), 0);
	rnd_maybe_poll(r, 50);	/* missing */
	nw = wopen(r->path);
	r->rotations++;
	/* The writer has not reopened yet: more lines into the old file. */
	for (unsigned k = rnd(r, 5); k > 0 && r->written < RND_LINES; k--) {
		rnd_write_line(r);
		rnd_maybe_poll(r, 30);
	}
	close(r->w);
	r->w = nw;
}

static void
rnd_junk(struct rnd *r)
{
	size_t n = LIMIT_LINE_MAX + 1 + rnd(r, 20000);
	unsigned chunks = 1 + rnd(r, 3);

	if (r->trunc_pending)
		rnd_poll(r);
	wrs(r->w, "J");
	for (unsigned i = 0; i < chunks; i++) {
		fill(r->w, 'j', n / chunks);
		rnd_maybe_poll(r, 50);
	}
	wrs(r->w, "\n");
}

static void
test_randomized(void **state)
{
	struct rnd r = { .seed = 0x9e3779b97f4a7c15ULL };
	struct follow_stats st;
	struct follow_pos pos;
	uint64_t ino;
	int i;

	(void)state;
	/* Deterministic; MS_FOLLOW_SEED tries others. */
	if (getenv("MS_FOLLOW_SEED") != NULL)
		r.seed = strtoull(getenv("MS_FOLLOW_SEED"), NULL, 0) | 1;
	r.path = tpath("rnd.log");
	r.path1 = tpath("rnd.log.1");
	r.w = wopen(r.path);
	rnd_open(&r, NULL);
	while (r.written < RND_LINES) {
		unsigned op = rnd(&r, 100);

		if (op < 50) {
			for (unsigned k = 1 + rnd(&r, 20); k > 0 && r.written < RND_LINES; k--)
				rnd_write_line(&r);
		} else if (op < 80) {
			rnd_poll(&r);
		} else if (op < 83) {
			rnd_junk(&r);
		} else if (op < 89) {
			rnd_sync(&r, false);
			rnd_rename_create(&r);
		} else if (op < 93) {
			/* copytruncate: logrotate's race (lines written between
			 * its copy and its truncate) is not ours to test. */
			rnd_sync(&r, true);
			r.trunc_size = rnd_wsize(&r, NULL);
			assert_int_equal(ftruncate(r.w, 0), 0);
			r.truncations++;
			r.trunc_pending = true;
			rnd_maybe_poll(&r, 50);
		} else {
			bool caught_up = rnd(&r, 2) == 0;

			rnd_sync(&r, caught_up);
			rnd_restart(&r, caught_up);
		}
	}
	for (i = 0; i < 10 && r.next < r.written; i++)
		rnd_poll(&r);
	assert_int_equal(r.next, RND_LINES);
	rnd_poll(&r);
	assert_int_equal(r.next, RND_LINES);
	/* The last rotation is not taken while the new file is empty. */
	follow_get_pos(r.f, &pos);
	if (rnd_wsize(&r, &ino) == 0 && pos.ino != ino)
		r.rotations--;
	follow_get_stats(r.f, &st);
	r.sum.rotations += st.rotations;
	r.sum.truncations += st.truncations;
	r.sum.lines += st.lines;
	assert_true(r.sum.lines == RND_LINES);
	assert_true(r.sum.rotations == r.rotations);
	assert_true(r.sum.truncations == r.truncations);
	print_message("%u lines, %llu rotations, %llu truncations, %llu restarts\n", r.written,
		      (unsigned long long)r.rotations, (unsigned long long)r.truncations,
		      (unsigned long long)r.restarts);
	assert_true(r.rotations > 50 && r.truncations > 50 && r.restarts > 50);
	follow_close(&r.f);
	close(r.w);
}

static int
setup(void **state)
{
	(void)state;
	return testdir_create(tmpdir);
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_rename_create),
		cmocka_unit_test(test_copytruncate),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_resume_pos_in_callback),
		cmocka_unit_test(test_resume_rotated),
		cmocka_unit_test(test_multilog_catchup),
		cmocka_unit_test(test_multilog_resume),
		cmocka_unit_test(test_multilog_many),
		cmocka_unit_test(test_multilog_unfound),
		cmocka_unit_test(test_toolong),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_watch_fd),
		cmocka_unit_test(test_randomized),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
