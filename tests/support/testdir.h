/* testdir.h - scratch folders for tests that write files
 * SUMMARY  testdir_create fills in a mkdtemp template ("/tmp/x_XXXXXX");
 *          testdir_remove deletes the folder and everything below it.
 * ERRORS   both return 0, or -1 with errno set. */
#ifndef MS_TESTDIR_H
#define MS_TESTDIR_H

int testdir_create(char *tmpl);
int testdir_remove(const char *dir);

#endif
