/* fuzz_in_file.c - arbitrary bytes as a log file through in_file
 * The input is written to one temporary file (in_file reads descriptors,
 * so a memory stream would skip the code under test) and read to its end.
 * Whatever the bytes - plain, compressed, truncated, hostile headers -
 * every line must respect the contract and the reader must end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/limits.h"
#include "input/in_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[] = "/tmp/fuzz_in_file_XXXXXX";
static int fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct in_file *f;
	struct strv line;
	unsigned flags;
	uint64_t total = 0;
	int rc;

	if (fuzz_fd < 0) {
		if ((fuzz_fd = mkstemp(fuzz_path)) < 0)
			abort();
		atexit(fuzz_cleanup);
	}
	if (ftruncate(fuzz_fd, 0) < 0 || (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		abort();
	if ((f = in_file_open(fuzz_path, err, sizeof(err))) == NULL)
		abort();	/* a readable regular file always opens */
	while ((rc = in_file_getline(f, &line, &flags)) > 0) {
		if (line.len > LIMIT_LINE_MAX || memchr(line.p, '\n', line.len) != NULL)
			abort();
		if ((flags & IN_LINE_TOOLONG) && line.len != LIMIT_LINE_MAX)
			abort();
		total += line.len;
	}
	if (in_file_bytes(f) < total)
		abort();
	if (rc < 0 && strncmp(in_file_error(f), fuzz_path, strlen(fuzz_path)) != 0)
		abort();	/* the error names the file */
	if (strcmp(in_file_compression(f), "plain") == 0 && rc == 0 && in_file_bytes(f) != size)
		abort();	/* plain input is read whole */
	in_file_close(&f);
	return 0;
}
