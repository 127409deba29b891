/* testdir.c - scratch folders for tests that write files */
#define _XOPEN_SOURCE 700	/* nftw */
#include "testdir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int
testdir_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

int
testdir_create(char *tmpl)
{
	return mkdtemp(tmpl) != NULL ? 0 : -1;
}

int
testdir_remove(const char *dir)
{
	return nftw(dir, testdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
