/* in_order.c - oldest log file first
 * Three keys, tried in turn for each pair of files: the first framed
 * timestamp, the logrotate suffix (only between files of the same base
 * name), the modification time. A pair that no key separates keeps its
 * given order. Mixed keys need not be transitive, so the sort is a stable
 * insertion sort, which stays well defined whatever the comparison says
 * (qsort does not); file lists are short. */
#include "input/in_order.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "frame/frame.h"
#include "input/in_file.h"
#include "util/mem.h"
#include "util/strv.h"

/* Lines peeked per file for a timestamp: enough to pass a header or a few
 * unframed lines, few enough that an unframed file costs nothing. */
#define IN_ORDER_PEEK_LINES 64

enum in_rot {
	IN_ROT_CURRENT,	/* "mail.log": the newest */
	IN_ROT_NUMBER,	/* "mail.log.3": higher is older */
	IN_ROT_DATE,	/* "mail.log-20240101": earlier is older */
};

struct in_order_key {
	const char *path;
	bool has_time;
	int64_t time;
	bool has_mtime;
	int64_t mtime;
	struct strv base;	/* basename without rotation suffix and compression */
	enum in_rot rot;
	uint64_t rot_value;
};

static struct strv
in_order_strip_ext(struct strv s)
{
	static const char *const ext[] = { ".gz", ".bz2", ".xz", ".zst", ".zstd", ".lzma", ".z" };
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t n = strlen(ext[i]);

		if (s.len > n && memcmp(s.p + s.len - n, ext[i], n) == 0)
			return strv_make(s.p, s.len - n);
	}
	return s;
}

/* "name.N", "name-YYYYMMDD" (logrotate dateext; also with an hour or
 * "name.YYYYMMDD"): sets base, rot and rot_value. */
static void
in_order_rotation(const char *path, struct in_order_key *k)
{
	const char *slash = strrchr(path, '/');
	struct strv s = in_order_strip_ext(strv_cstr(slash != NULL ? slash + 1 : path));
	size_t digits = 0, i;
	uint64_t v = 0;

	k->base = s;
	k->rot = IN_ROT_CURRENT;
	k->rot_value = 0;
	while (digits < s.len && s.p[s.len - 1 - digits] >= '0' && s.p[s.len - 1 - digits] <= '9')
		digits++;
	if (digits == 0 || digits == s.len || digits > 14)
		return;
	i = s.len - digits - 1;	/* the separator */
	if (s.p[i] != '.' && s.p[i] != '-')
		return;
	if (s.p[i] == '-' && digits < 8)	/* "mail-2": not a rotation */
		return;
	for (size_t j = i + 1; j < s.len; j++)
		v = v * 10 + (uint64_t)(s.p[j] - '0');
	k->base = strv_make(s.p, i);
	if (digits >= 8) {
		/* A date: scale to 14 digits so YYYYMMDD and YYYYMMDDHH compare. */
		for (size_t j = digits; j < 14; j++)
			v *= 10;
		k->rot = IN_ROT_DATE;
	} else {
		k->rot = IN_ROT_NUMBER;
	}
	k->rot_value = v;
}

/* The first framed timestamp among the first lines, and the mtime.
 * false if the path is not a regular file or cannot be opened. */
static bool
in_order_peek(const char *path, int year_option, struct in_order_key *k)
{
	struct frame_ctx ctx;
	struct stat sb;
	struct in_file *f;
	char err[256];
	struct strv line;
	unsigned flags;
	int i;

	/* A pipe (`<(zcat x)`) or FIFO would lose what we peek, or block. */
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return false;
	if ((f = in_file_open(path, err, sizeof(err))) == NULL)
		return false;	/* the reader reports it in its turn */
	k->has_mtime = true;
	k->mtime = in_file_mtime(f);
	frame_ctx_init(&ctx, path, year_option, k->mtime);
	ctx.quiet = true;
	for (i = 0; i < IN_ORDER_PEEK_LINES && in_file_getline(f, &line, &flags) > 0; i++) {
		struct frame fr;

		if (flags & IN_LINE_TOOLONG)
			continue;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (line.len == 0 || memchr(line.p, '\0', line.len) != NULL)
			continue;
		if (frame_line(&ctx, line.p, line.len, &fr) == 0) {
			k->has_time = true;
			k->time = fr.time;
			break;
		}
	}
	in_file_close(&f);
	return true;
}

/* <0: a is older, >0: b is older, 0: no key tells. */
static int
in_order_cmp(const struct in_order_key *a, const struct in_order_key *b)
{
	if (a->has_time && b->has_time && a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (strv_eq(a->base, b->base) && (a->rot != b->rot || a->rot_value != b->rot_value)) {
		if (a->rot == IN_ROT_CURRENT)
			return 1;
		if (b->rot == IN_ROT_CURRENT)
			return -1;
		if (a->rot == b->rot && a->rot == IN_ROT_NUMBER)
			return a->rot_value > b->rot_value ? -1 : 1;
		if (a->rot == b->rot)
			return a->rot_value < b->rot_value ? -1 : 1;
		/* ".N" against "-DATE" of one base: no order; fall through. */
	}
	if (a->has_mtime && b->has_mtime && a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return 0;
}

void
in_order_sort(const char **paths, size_t n, int year_option)
{
	struct in_order_key *keys;
	bool *fixed;
	size_t m = 0, i, j;

	if (n < 2)
		return;
	keys = mem_calloc(n, sizeof(*keys));
	fixed = mem_calloc(n, sizeof(*fixed));
	for (i = 0; i < n; i++) {
		struct in_order_key *k = &keys[m];

		memset(k, 0, sizeof(*k));
		k->path = paths[i];
		in_order_rotation(paths[i], k);
		/* Standard input and unreadable files keep their slots. */
		if (strcmp(paths[i], "-") == 0 || !in_order_peek(paths[i], year_option, k))
			fixed[i] = true;
		else
			m++;
	}
	/* Stable insertion sort: move left only past strictly newer files. */
	for (i = 1; i < m; i++) {
		struct in_order_key t = keys[i];

		for (j = i; j > 0 && in_order_cmp(&t, &keys[j - 1]) < 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = t;
	}
	/* Put the sorted files back into the slots that are not fixed. */
	for (i = 0, j = 0; i < n; i++)
		if (!fixed[i])
			paths[i] = keys[j++].path;
	mem_free(fixed);
	mem_free(keys);
}
