/* test_in_file.c - input/in_file: compression by magic, lines, limits, errors
 * Fixtures are written into a temporary directory and compressed with the
 * gzip, bzip2, xz and zstd programs, as the logs we read are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/limits.h"
#include "testdir.h"
#include "input/in_file.h"
#include "util/mem.h"

static char tmpdir[] = "/tmp/ms_in_file_XXXXXX";

struct got {
	char *text;		/* each line + "\n"; "!" before a cut line */
	size_t len, cap;
	int nlines;
	int rc;			/* last in_file_getline result */
};

static void
got_add(struct got *g, const char *p, size_t n)
{
	if (g->len + n + 1 > g->cap) {
		g->cap = (g->len + n + 1) * 2;
		g->text = mem_realloc(g->text, g->cap);
	}
	memcpy(g->text + g->len, p, n);
	g->len += n;
	g->text[g->len] = '\0';
}

static void
got_free(struct got *g)
{
	mem_free(g->text);
	memset(g, 0, sizeof(*g));
}

/* Reads f to its end; every line must respect the contract. */
static void
collect(struct in_file *f, struct got *g)
{
	struct strv line;
	unsigned flags;

	got_add(g, "", 0);
	while ((g->rc = in_file_getline(f, &line, &flags)) > 0) {
		assert_true(line.len <= LIMIT_LINE_MAX);
		assert_null(memchr(line.p, '\n', line.len));
		assert_true(flags == 0 || flags == IN_LINE_TOOLONG);
		if (flags & IN_LINE_TOOLONG) {
			assert_int_equal(line.len, LIMIT_LINE_MAX);
			got_add(g, "!", 1);
		}
		got_add(g, line.p, line.len);
		got_add(g, "\n", 1);
		g->nlines++;
	}
	/* The end (or the error) is sticky. */
	assert_int_equal(in_file_getline(f, &line, &flags), g->rc);
}

static char *
tpath(const char *name)
{
	static char bufs[4][512];
	static int k;
	char *p = bufs[k++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static char *
read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	p = mem_alloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return p;
}

/* argv[0] < src > dst */
static void
run_filter(const char *const *argv, const char *src, const char *dst)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const char *const gzip_argv[] = { "gzip", "-c", NULL };
static const char *const bzip2_argv[] = { "bzip2", "-c", NULL };
static const char *const bzip2_small_argv[] = { "bzip2", "-1", "-c", NULL };	/* 100k blocks */
static const char *const xz_argv[] = { "xz", "-c", NULL };
static const char *const zstd_argv[] = { "zstd", "-q", "-c", NULL };

static const struct {
	const char *comp;
	const char *const *argv;
	const char *ext;
} formats[] = {
	{ "plain", NULL, "" },
	{ "gzip", gzip_argv, ".gz" },
	{ "bzip2", bzip2_argv, ".bz2" },
	{ "xz", xz_argv, ".xz" },
	{ "zstd", zstd_argv, ".zst" },
};

/* Writes data to name (compressed with argv unless NULL); returns its path. */
static const char *
fixture(const char *name, const char *const *argv, const void *data, size_t len)
{
	const char *plain = tpath("plain.tmp"), *out = tpath(name);

	if (argv == NULL) {
		write_file(out, data, len);
		return out;
	}
	write_file(plain, data, len);
	run_filter(argv, plain, out);
	unlink(plain);
	return out;
}

static struct in_file *
open_ok(const char *path)
{
	char err[512] = "";
	struct in_file *f = in_file_open(path, err, sizeof(err));

	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

static void
test_formats(void **state)
{
	static const char a[] = "Jan  1 00:00:01 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n"
				"second line\r\n"
				"\n"
				"last without newline";
	static const char want_a[] = "Jan  1 00:00:01 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n"
				     "second line\r\n"
				     "\n"
				     "last without newline\n";
	static const char b[] = "member two line one\nmember two line two\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char name[64], catname[64];
		const char *path;
		struct in_file *f;
		struct got g = { 0 };
		char *pa, *pb;
		size_t la, lb;
		FILE *fp;

		/* One stream. */
		snprintf(name, sizeof(name), "one%s", formats[i].ext);
		path = fixture(name, formats[i].argv, a, sizeof(a) - 1);
		f = open_ok(path);
		assert_string_equal(in_file_compression(f), formats[i].comp);
		assert_string_equal(in_file_name(f), path);
		collect(f, &g);
		assert_int_equal(g.rc, 0);
		assert_string_equal(g.text, want_a);
		assert_int_equal(g.nlines, 4);
		assert_true(in_file_bytes(f) == sizeof(a) - 1);
		in_file_close(&f);
		assert_null(f);
		got_free(&g);

		/* Two members concatenated, as `cat b.gz a.gz`; the first member
		 * ends with a newline so lines do not join across members. */
		snprintf(catname, sizeof(catname), "two%s", formats[i].ext);
		pb = read_whole(fixture(catname, formats[i].argv, b, sizeof(b) - 1), &lb);
		pa = read_whole(path, &la);
		fp = fopen(tpath(catname), "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(pb, 1, lb, fp), lb);
		assert_int_equal(fwrite(pa, 1, la, fp), la);
		fclose(fp);
		f = open_ok(tpath(catname));
		collect(f, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(strncmp(g.text, b, sizeof(b) - 1), 0);
		assert_string_equal(g.text + sizeof(b) - 1, want_a);
		assert_true(in_file_bytes(f) == sizeof(a) - 1 + sizeof(b) - 1);
		in_file_close(&f);
		got_free(&g);
		mem_free(pa);
		mem_free(pb);
	}
}

/* Builds a string of n copies of c. */
static char *
repeat(char c, size_t n)
{
	char *p = mem_alloc(n + 1);

	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void
test_lines(void **state)
{
	char *at = repeat('a', LIMIT_LINE_MAX), *over = repeat('b', LIMIT_LINE_MAX + 1);
	char *mega = repeat('c', 1024 * 1024);
	char *cut_b = repeat('b', LIMIT_LINE_MAX), *cut_c = repeat('c', LIMIT_LINE_MAX);
	struct {
		const char *name;
		char *in;
		char *want;
	} rows[] = {
		{ "empty", mem_strdup(""), mem_strdup("") },
		{ "only newline", mem_strdup("\n"), mem_strdup("\n") },
		{ "no final newline", mem_strdup("a\nb"), mem_strdup("a\nb\n") },
		{ "crlf kept", mem_strdup("a\r\nb\r\n"), mem_strdup("a\r\nb\r\n") },
		{ "control bytes kept", mem_strdup("a\001\377b\n"), mem_strdup("a\001\377b\n") },
		{ "BZh text is plain", mem_strdup("BZhello\n"), mem_strdup("BZhello\n") },
		{ "one gzip magic byte", mem_strdup("\x1f\n"), mem_strdup("\x1f\n") },
		{ "at limit", NULL, NULL },
		{ "limit+1", NULL, NULL },
		{ "limit+1 at end", NULL, NULL },
		{ "1 MB line", NULL, NULL },
	};
	size_t i, n;

	(void)state;
	/* Long rows: the next line must come out intact after a cut line. */
	n = strlen(at);
	rows[7].in = mem_alloc(3 * n);
	snprintf(rows[7].in, 3 * n, "x\n%s\nnext\n", at);
	rows[7].want = mem_strdup(rows[7].in);
	rows[8].in = mem_alloc(3 * n);
	snprintf(rows[8].in, 3 * n, "x\n%s\nnext\n", over);
	rows[8].want = mem_alloc(3 * n);
	snprintf(rows[8].want, 3 * n, "x\n!%s\nnext\n", cut_b);
	rows[9].in = mem_alloc(3 * n);
	snprintf(rows[9].in, 3 * n, "x\n%s", over);
	rows[9].want = mem_alloc(3 * n);
	snprintf(rows[9].want, 3 * n, "x\n!%s\n", cut_b);
	rows[10].in = mem_alloc(strlen(mega) + 64);
	snprintf(rows[10].in, strlen(mega) + 64, "before\n%s\nafter\n", mega);
	rows[10].want = mem_alloc(3 * n);
	snprintf(rows[10].want, 3 * n, "before\n!%s\nafter\n", cut_c);

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t f_i;

		for (f_i = 0; f_i < sizeof(formats) / sizeof(formats[0]); f_i += 4) {
			/* plain and zstd: one through read(2), one through a codec */
			char name[64];
			struct in_file *f;
			struct got g = { 0 };
			size_t inlen = strlen(rows[i].in);

			snprintf(name, sizeof(name), "row%zu%s", i, formats[f_i].ext);
			f = open_ok(fixture(name, formats[f_i].argv, rows[i].in, inlen));
			collect(f, &g);
			if (g.rc != 0 || g.len != strlen(rows[i].want) ||
			    memcmp(g.text, rows[i].want, g.len) != 0)
				fail_msg("%s (%s): rc %d, %zu bytes, want %zu", rows[i].name,
					 formats[f_i].comp, g.rc, g.len, strlen(rows[i].want));
			assert_true(in_file_bytes(f) == inlen);
			in_file_close(&f);
			got_free(&g);
		}
		mem_free(rows[i].in);
		mem_free(rows[i].want);
	}
	mem_free(at);
	mem_free(over);
	mem_free(mega);
	mem_free(cut_b);
	mem_free(cut_c);
}

static void
test_open_errors(void **state)
{
	char err[512];
	struct in_file *f;

	(void)state;
	memset(err, 0, sizeof(err));
	f = in_file_open(tpath("mail.log.2.gz"), err, sizeof(err));
	assert_null(f);
	assert_non_null(strstr(err, "mail.log.2.gz: No such file or directory"));
	f = in_file_open(tmpdir, err, sizeof(err));
	assert_null(f);
	assert_non_null(strstr(err, tmpdir));
	assert_non_null(strstr(err, "Is a directory"));
	/* A NULL or empty err buffer is tolerated. */
	assert_null(in_file_open(tpath("none"), NULL, 0));
}

/* Many numbered lines, so a cut anywhere leaves good lines before it. */
static char *
numbered(int n, size_t *len)
{
	size_t cap = (size_t)n * 80 + 1, off = 0;
	char *p = mem_alloc(cap);
	int i;

	for (i = 0; i < n; i++)
		off += (size_t)snprintf(p + off, cap - off,
					"Jan  2 03:04:05 mx postfix/smtpd[%d]: line %d of the log\n", i,
					i);
	*len = off;
	return p;
}

static void
test_damaged(void **state)
{
	static const struct {
		const char *name;
		const char *const *argv;
		int how;		/* 0: cut in half, 1: flip bytes in the middle, 2: garbage after */
		const char *why;
	} rows[] = {
		{ "cut.gz", gzip_argv, 0, "truncated gzip data" },
		{ "cut.bz2", bzip2_small_argv, 0, "truncated bzip2 data" },
		{ "cut.xz", xz_argv, 0, "truncated xz data" },
		{ "cut.zst", zstd_argv, 0, "truncated zstd data" },
		{ "bad.gz", gzip_argv, 1, "corrupt gzip data" },
		{ "bad.bz2", bzip2_small_argv, 1, "corrupt bzip2 data" },
		{ "bad.xz", xz_argv, 1, "corrupt xz data" },
		{ "bad.zst", zstd_argv, 1, "corrupt zstd data" },
		{ "junk.gz", gzip_argv, 2, "trailing garbage after gzip data" },
		{ "header.gz", gzip_argv, 3, "corrupt gzip data" },
		{ "magiconly.xz", xz_argv, 4, "truncated xz data" },
	};
	size_t plen, i;
	char *plain = numbered(20000, &plen);

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t clen, j;
		char *c = read_whole(fixture(rows[i].name, rows[i].argv, plain, plen), &clen);
		struct in_file *f;
		struct got g = { 0 };
		const char *path = tpath(rows[i].name);

		switch (rows[i].how) {
		case 0:
			clen /= 2;
			break;
		case 1:
			for (j = clen / 2; j < clen / 2 + 16; j++)
				c[j] = (char)(c[j] ^ 0x55);
			break;
		case 2:
			c = mem_realloc(c, clen + 8);
			memcpy(c + clen, "garbage!", 8);
			clen += 8;
			break;
		case 3:
			c[3] = (char)0xff;	/* reserved flag bits */
			break;
		case 4:
			clen = 6;
			break;
		}
		write_file(path, c, clen);
		f = open_ok(path);
		collect(f, &g);
		if (g.rc != -1)
			fail_msg("%s: rc %d after %d lines", rows[i].name, g.rc, g.nlines);
		/* Error names the file and the reason. */
		if (strstr(in_file_error(f), path) != in_file_error(f) ||
		    strstr(in_file_error(f), rows[i].why) == NULL)
			fail_msg("%s: error \"%s\"", rows[i].name, in_file_error(f));
		/* What comes before the damage is returned intact. A cut or
		 * trailing junk leaves only good lines; bytes flipped inside a
		 * block may decode to garbage before the decoder notices, so
		 * there only the lines up to the damage are checked. */
		for (j = 0; j < g.len && j < plen && g.text[j] == plain[j]; j++)
			;
		if (rows[i].how != 1 && j != g.len)
			fail_msg("%s: bad byte at %zu of %zu", rows[i].name, j, g.len);
		if (rows[i].how == 1 && j < plen / 8)
			fail_msg("%s: only %zu good bytes", rows[i].name, j);
		if ((rows[i].how == 0 || rows[i].how == 2) && g.nlines < 1000)
			fail_msg("%s: only %d good lines", rows[i].name, g.nlines);
		if (rows[i].how == 2)
			assert_int_equal(g.nlines, 20000);
		in_file_close(&f);
		got_free(&g);
		mem_free(c);
	}
	mem_free(plain);
}

static void
test_gzip_zero_padding(void **state)
{
	static const char text[] = "padded\n";
	size_t clen;
	char *c;
	const char *path;
	struct in_file *f;
	struct got g = { 0 };

	(void)state;
	c = read_whole(fixture("pad.gz", gzip_argv, text, sizeof(text) - 1), &clen);
	c = mem_realloc(c, clen + 512);
	memset(c + clen, 0, 512);
	path = tpath("pad.gz");
	write_file(path, c, clen + 512);
	f = open_ok(path);
	collect(f, &g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.text, text);
	in_file_close(&f);
	got_free(&g);
	mem_free(c);
}

/* Standard input fed by a child; chunk bytes per write (1 = worst case for
 * magic sniffing on a pipe). gen, when set, writes instead of data. */
typedef void in_gen(int fd);

static pid_t
stdin_from_child(const void *data, size_t len, size_t chunk, in_gen *gen, int *saved)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *d = data;
		size_t off = 0;

		close(p[0]);
		if (gen != NULL) {
			gen(p[1]);
			_exit(0);
		}
		while (off < len) {
			size_t n = len - off < chunk ? len - off : chunk;
			ssize_t w = write(p[1], d + off, n);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
			if (off < 16)
				usleep(1000);
		}
		_exit(0);
	}
	close(p[1]);
	*saved = dup(0);
	assert_true(*saved >= 0);
	assert_int_equal(dup2(p[0], 0), 0);
	close(p[0]);
	return pid;
}

static void
stdin_restore(pid_t pid, int saved)
{
	int status;

	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_stdin(void **state)
{
	static const char text[] = "from a pipe\nsecond\nthird without newline";
	static const char want[] = "from a pipe\nsecond\nthird without newline\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char name[64];
		size_t clen;
		char *c;
		int saved;
		pid_t pid;
		struct in_file *f;
		struct got g = { 0 };
		time_t before = time(NULL);

		snprintf(name, sizeof(name), "stdin%s", formats[i].ext);
		c = read_whole(fixture(name, formats[i].argv, text, sizeof(text) - 1), &clen);
		pid = stdin_from_child(c, clen, 1, NULL, &saved);
		f = open_ok("-");
		assert_string_equal(in_file_name(f), "-");
		assert_string_equal(in_file_compression(f), formats[i].comp);
		assert_true(in_file_mtime(f) >= (int64_t)before);
		collect(f, &g);
		assert_int_equal(g.rc, 0);
		assert_string_equal(g.text, want);
		in_file_close(&f);
		/* Standard input is not closed by in_file_close. */
		assert_true(fcntl(0, F_GETFD) >= 0);
		stdin_restore(pid, saved);
		got_free(&g);
		mem_free(c);
	}
}

static void
test_mtime(void **state)
{
	struct timespec ts[2] = { { 1700000000, 0 }, { 1700000000, 0 } };
	const char *path = fixture("old.log", NULL, "x\n", 2);
	struct in_file *f;

	(void)state;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	f = open_ok(path);
	assert_true(in_file_mtime(f) == 1700000000);
	in_file_close(&f);
}

/* Writes about 50 MB of log lines as one gzip stream to fd. */
#define RSS_LINES 700000
static void
gen_gzip(int fd)
{
	static unsigned char in[64 * 1024], out[64 * 1024];
	z_stream z;
	size_t used = 0;
	int i, r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		_exit(1);
	for (i = 0; i <= RSS_LINES; i++) {
		int flush = i == RSS_LINES ? Z_FINISH : Z_NO_FLUSH;

		if (i < RSS_LINES)
			used += (size_t)snprintf(
				(char *)in + used, sizeof(in) - used,
				"Jan  2 03:04:05 mx postfix/smtpd[%d]: connect from unknown[192.0.2.%d]\n",
				i, i % 250);
		if (used < sizeof(in) - 200 && flush == Z_NO_FLUSH)
			continue;
		z.next_in = in;
		z.avail_in = (uInt)used;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			r = deflate(&z, flush);
			if (write(fd, out, sizeof(out) - z.avail_out) < 0)
				_exit(1);
		} while (z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
		used = 0;
	}
	deflateEnd(&z);
}

static void
test_memory_bounded(void **state)
{
	struct rusage ru;
	struct strv line;
	unsigned flags;
	uint64_t lines = 0;
	int saved, rc;
	pid_t pid;
	struct in_file *f;

	(void)state;
	pid = stdin_from_child(NULL, 0, 0, gen_gzip, &saved);
	f = open_ok("-");
	assert_string_equal(in_file_compression(f), "gzip");
	while ((rc = in_file_getline(f, &line, &flags)) > 0)
		lines++;
	assert_int_equal(rc, 0);
	assert_true(lines == RSS_LINES);
	assert_true(in_file_bytes(f) > 50u * 1000 * 1000);
	in_file_close(&f);
	stdin_restore(pid, saved);
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	if (ru.ru_maxrss >= 64 * 1024)	/* KiB on Linux */
		fail_msg("max RSS %ld KiB", ru.ru_maxrss);
}

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
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
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_gzip_zero_padding),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_mtime),
		cmocka_unit_test(test_memory_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
