/* in_file.c - placeholder: plain files only */
#include "input/in_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "util/mem.h"

struct in_file {
	FILE *fp;
	char *name;
	char *line;
	size_t cap;
	uint64_t bytes;
};

struct in_file *
in_file_open(const char *path, char *err, size_t errsize)
{
	struct in_file *f;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	f = mem_calloc(1, sizeof(*f));
	f->fp = fp;
	f->name = mem_strdup(path);
	return f;
}

int
in_file_getline(struct in_file *f, struct strv *line, unsigned *flags)
{
	ssize_t n = getline(&f->line, &f->cap, f->fp);

	if (n < 0)
		return 0;
	f->bytes += (uint64_t)n;
	if (n > 0 && f->line[n - 1] == '\n')
		n--;
	*flags = 0;
	*line = strv_make(f->line, (size_t)n);
	return 1;
}

const char *in_file_name(const struct in_file *f) { return f->name; }
const char *in_file_compression(const struct in_file *f) { (void)f; return "plain"; }
int64_t in_file_mtime(const struct in_file *f) { (void)f; return 0; }
uint64_t in_file_bytes(const struct in_file *f) { return f->bytes; }
const char *in_file_error(const struct in_file *f) { (void)f; return "error"; }

void
in_file_close(struct in_file **fp)
{
	if (*fp == NULL)
		return;
	fclose((*fp)->fp);
	mem_free((*fp)->line);
	mem_free((*fp)->name);
	mem_free(*fp);
	*fp = NULL;
}
