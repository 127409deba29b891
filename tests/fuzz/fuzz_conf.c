/* fuzz_conf.c - arbitrary bytes as a settings file through conf_load_buf
 * SUMMARY  One table with every type (ranges checked and unchecked). A load
 *          either succeeds, and then conf_print's output loads back to the
 *          same values, or fails with a one-line printable message naming
 *          the file and leaves the struct byte for byte as it was. The first
 *          line also goes through conf_set as an -o argument, under the
 *          same rules. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fc {
	int64_t count, offset, window, idle;
	bool flag;
	char *path, *label;
	double ratio, factor;
};

#define O(f) offsetof(struct fc, f)

static const struct conf_def fc_defs[] = {
	{ "count", CONF_INT, "20", O(count), 2, 1000, "A checked number." },
	{ "offset", CONF_INT, "-5", O(offset), 0, 0, "An unchecked number." },
	{ "window", CONF_DURATION, "1h", O(window), 60, 30 * 86400.0, "A checked duration." },
	{ "idle", CONF_DURATION, "0", O(idle), 0, 0, NULL },
	{ "flag", CONF_BOOL, "yes", O(flag), 0, 0, "A boolean." },
	{ "path", CONF_STR, "/usr/share/tor/geoip", O(path), 0, 0, "A path." },
	{ "label", CONF_STR, "", O(label), 0, 0, "Free text." },
	{ "ratio", CONF_DOUBLE, "0.5", O(ratio), 0, 1, "A share." },
	{ "factor", CONF_DOUBLE, "1e3", O(factor), 0, 0, "A factor." },
};
#define FC_N (sizeof(fc_defs) / sizeof(fc_defs[0]))

static void
fuzz_check_err(const char *err, const char *prefix)
{
	const char *p;

	if (strncmp(err, prefix, strlen(prefix)) != 0)
		abort();	/* the message names the place */
	for (p = err; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();	/* escaped: no control bytes, nothing past ASCII */
}

static bool
fuzz_same(const struct fc *a, const struct fc *b)
{
	return a->count == b->count && a->offset == b->offset && a->window == b->window &&
	       a->idle == b->idle && a->flag == b->flag && strcmp(a->path, b->path) == 0 &&
	       strcmp(a->label, b->label) == 0 && a->ratio == b->ratio && a->factor == b->factor;
}

/* conf_print, then load the output into fresh defaults: the same values. */
static void
fuzz_round_trip(const struct fc *c, bool help)
{
	char err[512], *out = NULL;
	size_t len = 0;
	struct fc d;
	FILE *fp = open_memstream(&out, &len);

	if (fp == NULL)
		abort();
	conf_print(fc_defs, FC_N, c, fp, help);
	fclose(fp);
	if (conf_defaults(fc_defs, FC_N, &d) < 0 ||
	    conf_load_buf(fc_defs, FC_N, &d, out, len, "print", err, sizeof(err)) < 0 ||
	    !fuzz_same(c, &d))
		abort();
	conf_free(fc_defs, FC_N, &d);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = size > 0 ? memchr(text, '\n', size) : NULL;
	char err[512], *first;
	struct fc c, before;
	int rc;

	msg_set_quiet(true);
	memset(&c, 0, sizeof(c));	/* padding too, for the byte compare */
	if (conf_defaults(fc_defs, FC_N, &c) < 0)
		abort();
	memcpy(&before, &c, sizeof(c));
	err[0] = '\0';
	rc = conf_load_buf(fc_defs, FC_N, &c, text, size, "fuzz.cf", err, sizeof(err));
	if (rc == 0) {
		fuzz_round_trip(&c, false);
		fuzz_round_trip(&c, true);
	} else if (rc == -1) {
		fuzz_check_err(err, "fuzz.cf");
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();	/* all or nothing */
	} else {
		abort();
	}

	first = malloc((nl != NULL ? (size_t)(nl - text) : size) + 1);
	if (first == NULL)
		abort();
	if (size > 0)
		memcpy(first, text, nl != NULL ? (size_t)(nl - text) : size);
	first[nl != NULL ? (size_t)(nl - text) : size] = '\0';
	memcpy(&before, &c, sizeof(c));
	rc = conf_set(fc_defs, FC_N, &c, first, err, sizeof(err));
	if (rc == 0) {
		fuzz_round_trip(&c, false);
	} else {
		fuzz_check_err(err, "-o ");
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();
	}
	free(first);
	conf_free(fc_defs, FC_N, &c);
	return 0;
}
