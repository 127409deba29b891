/* test_store.c - store/: the interface and its SQLite backend
 * Durability is tested the hard way: a forked child locks and is killed
 * with SIGKILL right after store_lock returns; the parent reopens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "testdir.h"

static char tmpdir[] = "/tmp/test_store_XXXXXX";

/* tmpdir/name into buf (PATH_MAX bytes). */
static char *
tpath(char *buf, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name) >= PATH_MAX)
		fail_msg("path too long");
	return buf;
}

static char *
dbpath(char *buf, const char *dir)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, STORE_SQLITE_FILE) >= PATH_MAX)
		fail_msg("path too long");
	return buf;
}

static struct store *
open_ok(const char *dir)
{
	char err[STORE_ERR_MAX];
	struct store *s = store_open_sqlite(dir, err, sizeof(err));

	if (s == NULL)
		fail_msg("store_open_sqlite(%s): %s", dir, err);
	assert_string_equal(store_error(s), "");
	return s;
}

/* A fresh state dir under tmpdir, opened. */
static struct store *
open_fresh(const char *name, char *dir)
{
	tpath(dir, name);
	return open_ok(dir);
}

/* Open must fail with an error containing each of want[] (NULL-ended). */
static void
open_fails(const char *dir, const char *const *want)
{
	char err[STORE_ERR_MAX] = "unset";
	struct store *s = store_open_sqlite(dir, err, sizeof(err));

	if (s != NULL) {
		store_close(&s);
		fail_msg("store_open_sqlite(%s) worked", dir);
	}
	for (; *want != NULL; want++)
		if (strstr(err, *want) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, *want);
}

/* Raw SQLite on the file, as another program (or a future mailsentry). */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* The error of sql (which must fail), into buf. */
static void
raw_fail(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK);
	snprintf(buf, size, "%s", msg != NULL ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* The first column of the first row of sql, as text, into buf. */
static char *
raw_text(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static struct store_lock
mklock(enum store_subject subj, const char *key, int64_t since, int64_t until,
       const char *reason, const char *by)
{
	struct store_lock l;

	memset(&l, 0, sizeof(l));
	l.subject = subj;
	snprintf(l.key, sizeof(l.key), "%s", key);
	l.since = since;
	l.until = until;
	snprintf(l.reason, sizeof(l.reason), "%s", reason);
	snprintf(l.by, sizeof(l.by), "%s", by);
	return l;
}

static struct store_incident
mkinc(const char *kind, const char *account, const char *ip, int64_t t)
{
	struct store_incident i;

	memset(&i, 0, sizeof(i));
	snprintf(i.kind, sizeof(i.kind), "%s", kind);
	snprintf(i.account, sizeof(i.account), "%s", account);
	snprintf(i.ip, sizeof(i.ip), "%s", ip);
	i.first_evidence = t;
	i.detected_at = t + 60;
	i.last_evidence = t + 120;
	i.distinct_ips = 3;
	i.messages = 10;
	i.recipients = 100;
	i.attempts = UINT64_MAX;	/* not applicable */
	snprintf(i.state, sizeof(i.state), "open");
	snprintf(i.detail, sizeof(i.detail), "{\"kind\":\"%s\",\"note\":\"it's \\\"quoted\\\"\"}", kind);
	return i;
}

static struct store_audit
mkaudit(int64_t t, const char *action, bool dry_run, bool ok)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.time = t;
	snprintf(a.actor, sizeof(a.actor), "detector");
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.subject, sizeof(a.subject), "account hello@example.com");
	snprintf(a.detail, sizeof(a.detail), "detail of %s", action);
	a.dry_run = dry_run;
	a.ok = ok;
	return a;
}

/* ------------------------------------------------------------- open */

static void
test_open_creates(void **state)
{
	char dir[PATH_MAX], db[PATH_MAX], wal[PATH_MAX + 8], buf[64], want[16];
	struct store_lock l = mklock(SS_ACCOUNT, "a@example.com", 1, 0, "", "admin");
	struct store *s;
	struct stat st;

	(void)state;
	s = open_fresh("creates", dir);
	assert_string_equal(store_backend(s), "sqlite");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(dbpath(db, dir), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(store_lock(s, &l), 0);
	/* the -wal file takes the database's permissions */
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	store_close(&s);
	assert_null(s);
	store_close(&s);	/* twice is fine */
	store_close(NULL);

	/* versioned, marked as ours, in WAL mode */
	snprintf(want, sizeof(want), "%d", STORE_SQLITE_SCHEMA);
	assert_string_equal(raw_text(db, "PRAGMA user_version", buf, sizeof(buf)), want);
	assert_string_equal(raw_text(db, "PRAGMA application_id", buf, sizeof(buf)),
			    "1297305172");
	assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");

	/* reopening runs no migration and keeps the data; an existing file
	 * with wider permissions is narrowed to 0600 */
	assert_int_equal(chmod(db, 0644), 0);
	s = open_ok(dir);
	assert_true(store_is_locked(s, SS_ACCOUNT, "a@example.com", 2));
	store_close(&s);
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void
test_open_errors(void **state)
{
	char file[PATH_MAX], dir[PATH_MAX], db[PATH_MAX], sub[PATH_MAX + 8];
	FILE *fp;

	(void)state;
	/* a file in the way of the directory */
	tpath(file, "file_in_the_way");
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	open_fails(file, (const char *const[]){ file, "Not a directory", NULL });
	snprintf(sub, sizeof(sub), "%s/sub", file);
	open_fails(sub, (const char *const[]){ sub, "Not a directory", NULL });

	/* a parent that does not exist (no mkdir -p) */
	tpath(dir, "no/such/parent");
	open_fails(dir, (const char *const[]){ dir, "No such file or directory", NULL });

	/* a directory where the database file should be */
	tpath(dir, "db_is_dir");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(dbpath(db, dir), 0700), 0);
	open_fails(dir, (const char *const[]){ db, "Is a directory", NULL });

	/* a symbolic link where the database file should be */
	tpath(dir, "db_is_link");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(symlink("/etc/passwd", dbpath(db, dir)), 0);
	open_fails(dir, (const char *const[]){ db, "symbolic link", NULL });

	/* a file that is not a database */
	tpath(dir, "garbage");
	assert_int_equal(mkdir(dir, 0700), 0);
	fp = fopen(dbpath(db, dir), "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, but long enough to have a header..........\n"
	      "................................................................................\n",
	      fp);
	fclose(fp);
	open_fails(dir, (const char *const[]){ db, "not a database", NULL });

	open_fails("", (const char *const[]){ "state directory not set", NULL });
	open_fails(NULL, (const char *const[]){ "state directory not set", NULL });
}

/* Runs as an unprivileged user (see test_open_permission): returns 0 if
 * both opens fail with the expected messages. */
static int
perm_checks(const char *ro)
{
	char sub[PATH_MAX + 8], db[PATH_MAX], err[STORE_ERR_MAX];
	struct store *s;
	int bad = 0;

	/* cannot create the state directory */
	snprintf(sub, sizeof(sub), "%s/state", ro);
	s = store_open_sqlite(sub, err, sizeof(err));
	if (s != NULL || strstr(err, sub) == NULL || strstr(err, "Permission denied") == NULL) {
		fprintf(stderr, "mkdir case: %s\n", s != NULL ? "opened" : err);
		bad |= 1;
	}
	/* the directory exists but the database file cannot be created */
	s = store_open_sqlite(ro, err, sizeof(err));
	if (s != NULL || strstr(err, dbpath(db, ro)) == NULL
	    || strstr(err, "Permission denied") == NULL) {
		fprintf(stderr, "create case: %s\n", s != NULL ? "opened" : err);
		bad |= 2;
	}
	return bad;
}

static void
test_open_permission(void **state)
{
	char ro[PATH_MAX];
	pid_t pid;
	int status;

	(void)state;
	tpath(ro, "readonly");
	assert_int_equal(mkdir(ro, 0555), 0);
	assert_int_equal(chmod(ro, 0555), 0);	/* whatever the umask */
	if (geteuid() != 0) {
		assert_int_equal(perm_checks(ro), 0);
		return;
	}
	/* root ignores permissions: check as nobody, in a child */
	assert_int_equal(chmod(tmpdir, 0711), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(77);
		_exit(perm_checks(ro));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(tmpdir, 0700), 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();		/* cannot drop privileges here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_open_future_and_foreign(void **state)
{
	char dir[PATH_MAX], db[PATH_MAX], buf[64];

	(void)state;
	/* written by a newer mailsentry: refused, and left untouched */
	tpath(dir, "future");
	assert_int_equal(mkdir(dir, 0700), 0);
	raw_exec(dbpath(db, dir), "CREATE TABLE locks2 (x); PRAGMA application_id = 1297305172;"
				  " PRAGMA user_version = 99;");
	open_fails(dir, (const char *const[]){ db, "schema version 99 is newer", "knows (1)", NULL });
	assert_string_equal(raw_text(db, "PRAGMA user_version", buf, sizeof(buf)), "99");
	assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "delete");

	/* another program's database with tables but no version */
	tpath(dir, "foreign");
	assert_int_equal(mkdir(dir, 0700), 0);
	raw_exec(dbpath(db, dir), "CREATE TABLE t (x)");
	open_fails(dir, (const char *const[]){ db, "not a mailsentry database", NULL });
	assert_string_equal(raw_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "delete");

	/* another program's application id */
	tpath(dir, "foreign_app");
	assert_int_equal(mkdir(dir, 0700), 0);
	raw_exec(dbpath(db, dir), "PRAGMA application_id = 42; CREATE TABLE t (x)");
	open_fails(dir, (const char *const[]){ db, "not a mailsentry database", "42", NULL });

	/* a version but not our id */
	tpath(dir, "foreign_ver");
	assert_int_equal(mkdir(dir, 0700), 0);
	raw_exec(dbpath(db, dir), "PRAGMA user_version = 1; CREATE TABLE t (x)");
	open_fails(dir, (const char *const[]){ db, "not a mailsentry database", NULL });
}

/* ------------------------------------------------------------- locks */

struct lock_list {
	size_t n;
	struct store_lock l[8];
};

static int
collect_lock(void *arg, const struct store_lock *l)
{
	struct lock_list *ll = arg;

	if (ll->n < 8)
		ll->l[ll->n] = *l;
	ll->n++;
	return 0;
}

static void
test_locks(void **state)
{
	char dir[PATH_MAX];
	struct store_lock l, got;
	struct lock_list ll;
	struct store *s;

	(void)state;
	s = open_fresh("locks", dir);
	l = mklock(SS_ACCOUNT, "Hello@Example.COM", 1000, 0, "880 IPs in 24 h", "detector");
	l.incident = 7;
	assert_int_equal(store_lock(s, &l), 0);
	/* keys are lower-cased for accounts, whatever the caller spells */
	assert_true(store_is_locked(s, SS_ACCOUNT, "hello@example.com", 1000));
	assert_true(store_is_locked(s, SS_ACCOUNT, "HELLO@EXAMPLE.COM", 5000));
	assert_false(store_is_locked(s, SS_ACCOUNT, "other@example.com", 5000));
	assert_string_equal(store_error(s), "");
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, "hello@EXAMPLE.com", 2000, &got), 0);
	assert_int_equal(got.subject, SS_ACCOUNT);
	assert_string_equal(got.key, "hello@example.com");
	assert_true(got.since == 1000 && got.until == 0 && got.incident == 7);
	assert_string_equal(got.reason, "880 IPs in 24 h");
	assert_string_equal(got.by, "detector");
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, "nobody@example.com", 2000, &got), 1);
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, "hello@example.com", 2000, NULL), 0);

	/* IPs are a separate kind, written canonically */
	l = mklock(SS_IP, "::ffff:192.0.2.7", 1000, 0, "brute force", "detector");
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_IP, "192.0.2.7", 1500));
	assert_true(store_is_locked(s, SS_IP, "::FFFF:192.0.2.7", 1500));
	assert_false(store_is_locked(s, SS_ACCOUNT, "192.0.2.7", 1500));
	assert_false(store_is_locked(s, SS_IP, "hello@example.com", 1500));
	assert_string_not_equal(store_error(s), "");	/* not an IP: an error */
	l = mklock(SS_IP, "2001:DB8:0::1", 1000, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_IP, "2001:db8::1", 1500));

	/* insert or replace: one lock per subject and key */
	l = mklock(SS_ACCOUNT, "hello@example.com", 1100, 0, "admin says so", "admin");
	assert_int_equal(store_lock(s, &l), 0);
	memset(&ll, 0, sizeof(ll));
	assert_int_equal(store_each_lock(s, 2000, collect_lock, &ll), 0);
	assert_int_equal(ll.n, 3);
	/* in order of since, then subject, key */
	assert_int_equal(ll.l[0].subject, SS_IP);
	assert_string_equal(ll.l[0].key, "192.0.2.7");
	assert_string_equal(ll.l[1].key, "2001:db8::1");
	assert_string_equal(ll.l[2].key, "hello@example.com");
	assert_string_equal(ll.l[2].reason, "admin says so");
	assert_string_equal(ll.l[2].by, "admin");
	assert_true(ll.l[2].incident == 0);

	/* unlock: 0 if it was locked, 1 if not */
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "HELLO@example.com", "admin", 3000), 0);
	assert_false(store_is_locked(s, SS_ACCOUNT, "hello@example.com", 3000));
	assert_false(store_is_locked(s, SS_ACCOUNT, "hello@example.com", 1500));
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "hello@example.com", "admin", 3001), 1);
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "unknown@example.com", "admin", 3001), 1);
	assert_int_equal(store_unlock(s, SS_IP, "198.51.100.1", "admin", 3001), 1);
	assert_int_equal(store_unlock(s, SS_IP, "192.0.2.7", "admin", 3002), 0);
	memset(&ll, 0, sizeof(ll));
	assert_int_equal(store_each_lock(s, 4000, collect_lock, &ll), 0);
	assert_int_equal(ll.n, 1);
	assert_string_equal(ll.l[0].key, "2001:db8::1");

	/* locked again after an unlock */
	l = mklock(SS_ACCOUNT, "hello@example.com", 5000, 0, "again", "detector");
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_ACCOUNT, "hello@example.com", 5000));

	/* strings are bound, never formatted into SQL */
	l = mklock(SS_ACCOUNT, "o'brien\"; DROP TABLE locks; --@example.com", 1, 0,
		   "it's '); DELETE FROM locks; --", "admin");
	assert_int_equal(store_lock(s, &l), 0);
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, l.key, 2, &got), 0);
	assert_string_equal(got.key, "o'brien\"; drop table locks; --@example.com");
	assert_string_equal(got.reason, l.reason);
	assert_true(store_is_locked(s, SS_ACCOUNT, "hello@example.com", 5000));
	store_close(&s);
}

static void
test_lock_expiry(void **state)
{
	char dir[PATH_MAX];
	struct store_lock l;
	struct lock_list ll;
	struct store *s;

	(void)state;
	s = open_fresh("expiry", dir);
	l = mklock(SS_ACCOUNT, "temp@example.com", 100, 200, "cool down", "detector");
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 100));
	assert_true(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 199));
	assert_false(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 200));
	assert_false(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 10000));
	memset(&ll, 0, sizeof(ll));
	assert_int_equal(store_each_lock(s, 199, collect_lock, &ll), 0);
	assert_int_equal(ll.n, 1);
	assert_true(ll.l[0].until == 200);
	memset(&ll, 0, sizeof(ll));
	assert_int_equal(store_each_lock(s, 200, collect_lock, &ll), 0);
	assert_int_equal(ll.n, 0);
	/* an expired lock is not locked: unlocking it says so */
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "temp@example.com", "admin", 250), 1);
	/* relocking an expired key replaces it */
	l = mklock(SS_ACCOUNT, "temp@example.com", 300, 400, "again", "detector");
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 350));
	/* unlock before the end */
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "temp@example.com", "admin", 360), 0);
	assert_false(store_is_locked(s, SS_ACCOUNT, "temp@example.com", 370));
	store_close(&s);
}

static void
test_lock_refused(void **state)
{
	char dir[PATH_MAX], longkey[STORE_KEY_MAX + 10];
	struct store_lock l;
	struct store *s;

	(void)state;
	s = open_fresh("refused", dir);
	memset(longkey, 'a', sizeof(longkey));
	longkey[sizeof(longkey) - 1] = '\0';

	/* a key array with no NUL in it */
	l = mklock(SS_ACCOUNT, "x", 1, 0, "", "admin");
	memset(l.key, 'a', sizeof(l.key));
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "lock: key longer than 319 bytes"));
	/* the longest key that fits works */
	l.key[sizeof(l.key) - 1] = '\0';
	assert_int_equal(store_lock(s, &l), 0);
	assert_true(store_is_locked(s, SS_ACCOUNT, l.key, 2));

	assert_int_equal(store_unlock(s, SS_ACCOUNT, longkey, "admin", 1), -1);
	assert_non_null(strstr(store_error(s), "unlock: key longer than"));
	assert_false(store_is_locked(s, SS_ACCOUNT, longkey, 1));
	assert_non_null(strstr(store_error(s), "key longer than"));
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, longkey, 1, NULL), -1);

	l = mklock(SS_ACCOUNT, "", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "key is empty"));
	l = mklock(SS_ACCOUNT, "a@example.com", 1, 0, "", "");
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "by is empty"));
	l = mklock(SS_ACCOUNT, "a@example.com", 1, 0, "", "admin");
	memset(l.reason, 'r', sizeof(l.reason));
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "reason longer than 255 bytes"));
	l = mklock(SS_ACCOUNT, "a@example.com", 100, 100, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "until (100) is not after since (100)"));
	l = mklock(SS_ACCOUNT, "a@example.com", 100, -5, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	l = mklock(SS_IP, "192.0.2.1:25", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "not one IP address: \"192.0.2.1:25\""));
	l = mklock(SS_IP, "192.0.2.0/24", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	l = mklock((enum store_subject)9, "a@example.com", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	assert_non_null(strstr(store_error(s), "unknown subject 9"));
	assert_int_equal(store_unlock(s, SS_ACCOUNT, "a@example.com", NULL, 1), -1);
	assert_non_null(strstr(store_error(s), "by missing"));
	assert_int_equal(store_unlock(s, SS_ACCOUNT, NULL, "admin", 1), -1);
	assert_non_null(strstr(store_error(s), "key missing"));

	/* nothing refused was stored; the last error stays until the next
	 * one (the daemon audits a failure, then shows its text) */
	assert_false(store_is_locked(s, SS_ACCOUNT, "a@example.com", 50));
	assert_non_null(strstr(store_error(s), "key missing"));
	l = mklock(SS_ACCOUNT, "", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), -1);
	{
		struct store_audit a = mkaudit(1, "lock", false, false);

		snprintf(a.detail, sizeof(a.detail), "%s", store_error(s));
		assert_int_equal(store_audit(s, &a), 0);
	}
	assert_non_null(strstr(store_error(s), "lock: key is empty"));
	store_close(&s);
}

/* ------------------------------------------------------------- incidents */

struct inc_list {
	size_t n;
	uint64_t id[8];
};

static int
collect_inc(void *arg, const struct store_incident *i)
{
	struct inc_list *il = arg;

	if (il->n < 8)
		il->id[il->n] = i->id;
	il->n++;
	return 0;
}

static void
test_incidents(void **state)
{
	char dir[PATH_MAX];
	struct store_incident a, b, c, got;
	struct inc_list il;
	struct store *s;

	(void)state;
	s = open_fresh("incidents", dir);
	assert_int_equal(store_incident_find_open(s, "account_compromise", "hello@example.com",
						  NULL, &got), 1);

	a = mkinc("account_compromise", "Hello@Example.com", "", 1000);
	assert_int_equal(store_incident_put(s, &a), 0);
	assert_true(a.id == 1);
	b = mkinc("brute_force", "", "::ffff:192.0.2.7", 2000);
	assert_int_equal(store_incident_put(s, &b), 0);
	assert_true(b.id == 2);
	assert_string_equal(b.ip, "::ffff:192.0.2.7");	/* the caller's copy is left as is */

	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(store_incident_get(s, 1, &got), 0);
	assert_true(got.id == 1);
	assert_string_equal(got.kind, "account_compromise");
	assert_string_equal(got.account, "Hello@Example.com");
	assert_string_equal(got.ip, "");
	assert_true(got.first_evidence == 1000 && got.detected_at == 1060
		    && got.last_evidence == 1120);
	assert_true(got.distinct_ips == 3 && got.messages == 10 && got.recipients == 100);
	assert_true(got.attempts == UINT64_MAX);
	assert_string_equal(got.state, "open");
	assert_string_equal(got.detail, a.detail);
	assert_false(got.alerted);
	assert_int_equal(store_incident_get(s, 2, &got), 0);
	assert_string_equal(got.ip, "192.0.2.7");
	assert_int_equal(store_incident_get(s, 99, &got), 1);
	assert_int_equal(store_incident_get(s, 0, &got), 1);
	assert_int_equal(store_incident_get(s, UINT64_MAX, &got), 1);
	assert_string_equal(store_error(s), "");

	/* find_open: the account without case, the IP canonically */
	assert_int_equal(store_incident_find_open(s, "account_compromise", "hello@example.COM",
						  NULL, &got), 0);
	assert_true(got.id == 1);
	assert_int_equal(store_incident_find_open(s, "account_compromise", "hello@example.com",
						  "", &got), 0);
	assert_int_equal(store_incident_find_open(s, "outbound_burst", "hello@example.com",
						  NULL, &got), 1);
	assert_int_equal(store_incident_find_open(s, "brute_force", NULL, "192.0.2.7", &got), 0);
	assert_true(got.id == 2);
	assert_int_equal(store_incident_find_open(s, "brute_force", "", "::FFFF:192.0.2.7", &got),
			 0);
	assert_int_equal(store_incident_find_open(s, "brute_force", NULL, "192.0.2.8", &got), 1);
	/* the daemon's way: the arguments point into the result */
	got = mkinc("brute_force", "", "::ffff:192.0.2.7", 9999);
	assert_int_equal(store_incident_find_open(s, got.kind, got.account, got.ip, &got), 0);
	assert_true(got.id == 2 && got.first_evidence == 2000);
	assert_int_equal(store_incident_find_open(s, "brute_force", NULL, "nope", &got), -1);
	assert_non_null(strstr(store_error(s), "not one IP address"));

	/* later evidence updates the same row */
	a.last_evidence = 5000;
	a.distinct_ips = 880;
	a.messages = 1234;
	a.alerted = true;
	assert_int_equal(store_incident_put(s, &a), 0);
	assert_true(a.id == 1);
	assert_int_equal(store_incident_get(s, 1, &got), 0);
	assert_true(got.last_evidence == 5000 && got.distinct_ips == 880 && got.messages == 1234);
	assert_true(got.alerted);

	/* one open incident per kind and subject */
	c = mkinc("account_compromise", "HELLO@example.com", "", 6000);
	assert_int_equal(store_incident_put(s, &c), -1);
	assert_non_null(strstr(store_error(s), "an open account_compromise incident"));
	assert_non_null(strstr(store_error(s), "exists already"));
	assert_true(c.id == 0);
	/* closed, then a new one may open */
	snprintf(a.state, sizeof(a.state), "closed");
	assert_int_equal(store_incident_put(s, &a), 0);
	assert_int_equal(store_incident_find_open(s, "account_compromise", "hello@example.com",
						  NULL, &got), 1);
	assert_int_equal(store_incident_put(s, &c), 0);
	assert_true(c.id == 3);
	assert_int_equal(store_incident_find_open(s, "account_compromise", "hello@example.com",
						  NULL, &got), 0);
	assert_true(got.id == 3);

	/* refused */
	got = a;
	got.id = 42;
	assert_int_equal(store_incident_put(s, &got), -1);
	assert_non_null(strstr(store_error(s), "no incident 42"));
	got = mkinc("x", "a@example.com", "", 1);
	snprintf(got.state, sizeof(got.state), "maybe");
	assert_int_equal(store_incident_put(s, &got), -1);
	assert_non_null(strstr(store_error(s), "state must be open or closed"));
	got = mkinc("", "a@example.com", "", 1);
	assert_int_equal(store_incident_put(s, &got), -1);
	assert_non_null(strstr(store_error(s), "kind is empty"));
	got = mkinc("x", "a@example.com", "not-an-ip", 1);
	assert_int_equal(store_incident_put(s, &got), -1);
	got = mkinc("x", "a@example.com", "", 1);
	memset(got.detail, '{', sizeof(got.detail));
	assert_int_equal(store_incident_put(s, &got), -1);
	assert_non_null(strstr(store_error(s), "detail longer than 4095 bytes"));
	assert_true(got.id == 0);

	/* walks: last_evidence >= since, in order of id */
	memset(&il, 0, sizeof(il));
	assert_int_equal(store_each_incident(s, 0, collect_inc, &il), 0);
	assert_int_equal(il.n, 3);
	assert_true(il.id[0] == 1 && il.id[1] == 2 && il.id[2] == 3);
	memset(&il, 0, sizeof(il));
	assert_int_equal(store_each_incident(s, 2121, collect_inc, &il), 0);	/* b ends at 2120 */
	assert_int_equal(il.n, 2);
	assert_true(il.id[0] == 1 && il.id[1] == 3);
	memset(&il, 0, sizeof(il));
	assert_int_equal(store_each_incident(s, 1000000, collect_inc, &il), 0);
	assert_int_equal(il.n, 0);
	store_close(&s);
}

/* ------------------------------------------------------------- audit */

struct audit_list {
	size_t n;
	struct store_audit a[8];
};

static int
collect_audit(void *arg, const struct store_audit *a)
{
	struct audit_list *al = arg;

	if (al->n < 8)
		al->a[al->n] = *a;
	al->n++;
	return 0;
}

static void
audit_expect(struct store *s, int64_t since, unsigned limit, const char *want)
{
	struct audit_list al;
	char got[64] = "";
	size_t i;

	memset(&al, 0, sizeof(al));
	assert_int_equal(store_each_audit(s, since, limit, collect_audit, &al), 0);
	for (i = 0; i < al.n && i < 8; i++) {
		size_t n = strlen(got);

		snprintf(got + n, sizeof(got) - n, "%s%s", i ? " " : "", al.a[i].action);
	}
	assert_string_equal(got, want);
}

static void
test_audit(void **state)
{
	static const struct {
		int64_t t;
		const char *action;
	} rows[] = {
		{ 100, "a1" }, { 300, "a2" }, { 200, "a3" }, { 400, "a4" }, { 50, "a5" },
	};
	char dir[PATH_MAX], db[PATH_MAX], msg[256];
	struct store_audit a;
	struct audit_list al;
	struct store *s;
	size_t i;

	(void)state;
	s = open_fresh("audit", dir);
	audit_expect(s, 0, 0, "");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		a = mkaudit(rows[i].t, rows[i].action, i == 1, i != 2);
		assert_int_equal(store_audit(s, &a), 0);
	}
	/* write order, not time order (clocks step) */
	audit_expect(s, 0, 0, "a1 a2 a3 a4 a5");
	audit_expect(s, INT64_MIN, 0, "a1 a2 a3 a4 a5");
	/* limit: the newest entries, oldest first */
	audit_expect(s, 0, 2, "a4 a5");
	audit_expect(s, 0, 1, "a5");
	audit_expect(s, 0, 5, "a1 a2 a3 a4 a5");
	audit_expect(s, 0, 100, "a1 a2 a3 a4 a5");
	/* since */
	audit_expect(s, 150, 0, "a2 a3 a4");
	audit_expect(s, 150, 2, "a3 a4");
	audit_expect(s, 401, 0, "");

	/* every field comes back */
	memset(&al, 0, sizeof(al));
	assert_int_equal(store_each_audit(s, 0, 0, collect_audit, &al), 0);
	assert_true(al.a[1].time == 300);
	assert_string_equal(al.a[1].actor, "detector");
	assert_string_equal(al.a[1].subject, "account hello@example.com");
	assert_string_equal(al.a[1].detail, "detail of a2");
	assert_true(al.a[1].dry_run && al.a[1].ok);
	assert_false(al.a[2].ok);
	assert_false(al.a[0].dry_run);

	/* refused */
	a = mkaudit(1, "x", false, true);
	a.actor[0] = '\0';
	assert_int_equal(store_audit(s, &a), -1);
	assert_non_null(strstr(store_error(s), "actor is empty"));
	a = mkaudit(1, "", false, true);
	assert_int_equal(store_audit(s, &a), -1);
	a = mkaudit(1, "x", false, true);
	memset(a.detail, 'd', sizeof(a.detail));
	assert_int_equal(store_audit(s, &a), -1);
	assert_non_null(strstr(store_error(s), "detail longer than 1023 bytes"));
	store_close(&s);

	/* append-only, even for another program */
	dbpath(db, dir);
	raw_fail(db, "UPDATE audit SET ok = 0", msg, sizeof(msg));
	assert_non_null(strstr(msg, "append-only"));
	raw_fail(db, "DELETE FROM audit", msg, sizeof(msg));
	assert_non_null(strstr(msg, "append-only"));
	s = open_ok(dir);
	audit_expect(s, 0, 0, "a1 a2 a3 a4 a5");
	store_close(&s);
}

/* ------------------------------------------------------------- kv */

static void
test_kv(void **state)
{
	char dir[PATH_MAX], v[64], big[STORE_KV_VALUE_MAX + 1], key[STORE_KV_KEY_MAX + 1];
	struct store *s;

	(void)state;
	s = open_fresh("kv", dir);
	assert_int_equal(store_kv_get(s, "follow:/var/log/mail.log", v, sizeof(v)), 1);
	assert_int_equal(store_kv_set(s, "follow:/var/log/mail.log", "1234 64769 5678"), 0);
	assert_int_equal(store_kv_get(s, "follow:/var/log/mail.log", v, sizeof(v)), 0);
	assert_string_equal(v, "1234 64769 5678");
	assert_int_equal(store_kv_set(s, "follow:/var/log/mail.log", "1234 64769 9999"), 0);
	assert_int_equal(store_kv_get(s, "follow:/var/log/mail.log", v, sizeof(v)), 0);
	assert_string_equal(v, "1234 64769 9999");
	assert_int_equal(store_kv_set(s, "empty", ""), 0);
	assert_int_equal(store_kv_get(s, "empty", v, sizeof(v)), 0);
	assert_string_equal(v, "");

	/* a value that does not fit is an error, not cut */
	assert_int_equal(store_kv_get(s, "follow:/var/log/mail.log", v, 15), -1);
	assert_non_null(strstr(store_error(s), "longer than 14"));
	assert_int_equal(store_kv_get(s, "follow:/var/log/mail.log", v, 16), 0);
	assert_int_equal(store_kv_get(s, "x", NULL, 0), -1);

	/* limits */
	memset(big, 'v', sizeof(big));
	big[STORE_KV_VALUE_MAX - 1] = '\0';
	assert_int_equal(store_kv_set(s, "big", big), 0);
	big[STORE_KV_VALUE_MAX - 1] = 'v';
	big[STORE_KV_VALUE_MAX] = '\0';
	assert_int_equal(store_kv_set(s, "big", big), -1);
	assert_non_null(strstr(store_error(s), "kv_set: value longer than 4095 bytes"));
	memset(key, 'k', sizeof(key));
	key[STORE_KV_KEY_MAX] = '\0';
	assert_int_equal(store_kv_set(s, key, "1"), -1);
	assert_non_null(strstr(store_error(s), "key longer than 1023 bytes"));
	assert_int_equal(store_kv_get(s, key, v, sizeof(v)), -1);
	assert_int_equal(store_kv_set(s, "", "1"), -1);
	assert_int_equal(store_kv_set(s, "k", NULL), -1);

	/* delete */
	assert_int_equal(store_kv_del(s, "empty"), 0);
	assert_int_equal(store_kv_del(s, "empty"), 1);
	assert_int_equal(store_kv_get(s, "empty", v, sizeof(v)), 1);
	store_close(&s);
}

/* ------------------------------------------------------------- walks */

struct walk_ctx {
	struct store *s;
	int calls, stop_at, inner, write_rc;
	char write_err[STORE_ERR_MAX];
};

static int
count_lock(void *arg, const struct store_lock *l)
{
	(void)l;
	((struct walk_ctx *)arg)->inner++;
	return 0;
}

static int
walk_fn(void *arg, const struct store_lock *l)
{
	struct walk_ctx *w = arg;
	struct store_lock nl = mklock(SS_ACCOUNT, "new@example.com", 1, 0, "", "admin");

	(void)l;
	w->calls++;
	/* reads are fine inside a walk, a nested walk of the same kind too */
	if (store_each_lock(w->s, 10, count_lock, w) != 0
	    || !store_is_locked(w->s, SS_ACCOUNT, "a@example.com", 10))
		return -100;
	/* writes are not */
	w->write_rc = store_lock(w->s, &nl);
	snprintf(w->write_err, sizeof(w->write_err), "%s", store_error(w->s));
	return w->calls == w->stop_at ? 7 : 0;
}

static int
audit_writer(void *arg, const struct store_audit *a)
{
	struct store_audit b = *a;

	return store_audit(arg, &b) == -1 ? 0 : 1;
}

static void
test_walks(void **state)
{
	char dir[PATH_MAX];
	struct store_audit a = mkaudit(1, "x", false, true);
	struct walk_ctx w;
	struct store_lock l;
	struct store *s;

	(void)state;
	s = open_fresh("walks", dir);
	l = mklock(SS_ACCOUNT, "a@example.com", 1, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), 0);
	l = mklock(SS_ACCOUNT, "b@example.com", 2, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), 0);
	l = mklock(SS_ACCOUNT, "c@example.com", 3, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), 0);

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.stop_at = 2;
	assert_int_equal(store_each_lock(s, 10, walk_fn, &w), 7);	/* fn's value */
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.inner, 6);
	assert_int_equal(w.write_rc, -1);
	assert_non_null(strstr(w.write_err, "lock: not allowed inside a store_each_* walk"));
	/* after the walk, writes work and nothing leaked in */
	assert_false(store_is_locked(s, SS_ACCOUNT, "new@example.com", 10));
	l = mklock(SS_ACCOUNT, "new@example.com", 4, 0, "", "admin");
	assert_int_equal(store_lock(s, &l), 0);

	memset(&w, 0, sizeof(w));
	w.s = s;
	assert_int_equal(store_each_lock(s, 10, walk_fn, &w), 0);
	assert_int_equal(w.calls, 4);

	assert_int_equal(store_audit(s, &a), 0);
	assert_int_equal(store_each_audit(s, 0, 0, audit_writer, s), 0);
	store_close(&s);
}

/* ------------------------------------------------------------- persistence */

static void
test_persistence(void **state)
{
	char dir[PATH_MAX], v[64];
	struct store_lock l = mklock(SS_ACCOUNT, "p@example.com", 10, 0, "persist", "admin");
	struct store_incident inc = mkinc("backscatter", "p@example.com", "", 10), got;
	struct store_audit a = mkaudit(10, "lock", false, true);
	struct audit_list al;
	struct store *s;

	(void)state;
	s = open_fresh("persist", dir);
	assert_int_equal(store_lock(s, &l), 0);
	l = mklock(SS_IP, "203.0.113.5", 10, 1000, "ban", "detector");
	assert_int_equal(store_lock(s, &l), 0);
	assert_int_equal(store_incident_put(s, &inc), 0);
	assert_int_equal(store_audit(s, &a), 0);
	assert_int_equal(store_kv_set(s, "k", "v1"), 0);
	store_close(&s);

	s = open_ok(dir);
	assert_true(store_is_locked(s, SS_ACCOUNT, "p@example.com", 20));
	assert_true(store_is_locked(s, SS_IP, "203.0.113.5", 20));
	assert_false(store_is_locked(s, SS_IP, "203.0.113.5", 1000));
	assert_int_equal(store_incident_find_open(s, "backscatter", "p@example.com", NULL, &got),
			 0);
	assert_true(got.id == inc.id);
	memset(&al, 0, sizeof(al));
	assert_int_equal(store_each_audit(s, 0, 0, collect_audit, &al), 0);
	assert_int_equal(al.n, 1);
	assert_string_equal(al.a[0].action, "lock");
	assert_int_equal(store_kv_get(s, "k", v, sizeof(v)), 0);
	assert_string_equal(v, "v1");
	/* ids go on after a reopen */
	inc = mkinc("outbound_burst", "p@example.com", "", 20);
	assert_int_equal(store_incident_put(s, &inc), 0);
	assert_true(inc.id == 2);
	store_close(&s);

	/* two connections at once see each other's writes */
	s = open_ok(dir);
	{
		struct store *s2 = open_ok(dir);

		assert_int_equal(store_kv_set(s, "k", "v2"), 0);
		assert_int_equal(store_kv_get(s2, "k", v, sizeof(v)), 0);
		assert_string_equal(v, "v2");
		assert_int_equal(store_unlock(s2, SS_ACCOUNT, "p@example.com", "admin", 30), 0);
		assert_false(store_is_locked(s, SS_ACCOUNT, "p@example.com", 30));
		store_close(&s2);
	}
	store_close(&s);
}

/* ------------------------------------------------------------- kill -9 */

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Fork; the child opens dir, runs what (0: lock, 1: unlock), and is killed
 * with SIGKILL the moment the call has returned. */
static void
child_then_kill9(const char *dir, int what)
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[STORE_ERR_MAX];
		struct store *s = store_open_sqlite(dir, err, sizeof(err));
		struct store_lock l = mklock(SS_ACCOUNT, "Victim@Example.com", 100, 0,
					     "880 IPs", "detector");
		struct store_incident inc = mkinc("account_compromise", "victim@example.com",
						  "", 100);
		struct store_audit a = mkaudit(100, what == 0 ? "lock" : "unlock", false, true);

		if (s == NULL)
			_exit(1);
		if (what == 0) {
			if (store_incident_put(s, &inc) != 0 || store_audit(s, &a) != 0)
				_exit(2);
			l.incident = inc.id;
			if (store_lock(s, &l) != 0)
				_exit(3);
		} else {
			if (store_audit(s, &a) != 0
			    || store_unlock(s, SS_ACCOUNT, "victim@example.com", "admin", 200) != 0)
				_exit(4);
		}
		raise(SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("child exited with %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void
test_kill9(void **state)
{
	char dir[PATH_MAX], db[PATH_MAX], wal[PATH_MAX + 8];
	struct store_incident inc;
	struct store_lock got;
	struct audit_list al;
	struct store *s;

	(void)state;
	tpath(dir, "kill9");
	s = open_ok(dir);	/* create it; the child then only writes */
	store_close(&s);

	child_then_kill9(dir, 0);
	/* the commit sits in the -wal file, never checkpointed */
	snprintf(wal, sizeof(wal), "%s-wal", dbpath(db, dir));
	assert_true(file_size(wal) > 0);
	s = open_ok(dir);
	assert_true(store_is_locked(s, SS_ACCOUNT, "victim@example.com", 150));
	assert_int_equal(store_lock_get(s, SS_ACCOUNT, "victim@example.com", 150, &got), 0);
	assert_string_equal(got.reason, "880 IPs");
	assert_int_equal(store_incident_get(s, got.incident, &inc), 0);
	assert_string_equal(inc.account, "victim@example.com");
	store_close(&s);

	child_then_kill9(dir, 1);
	s = open_ok(dir);
	assert_false(store_is_locked(s, SS_ACCOUNT, "victim@example.com", 250));
	assert_string_equal(store_error(s), "");
	memset(&al, 0, sizeof(al));
	assert_int_equal(store_each_audit(s, 0, 0, collect_audit, &al), 0);
	assert_int_equal(al.n, 2);
	assert_string_equal(al.a[0].action, "lock");
	assert_string_equal(al.a[1].action, "unlock");
	store_close(&s);
}

/* ------------------------------------------------------------- busy */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Another process holds the write lock for a while: a write waits for it
 * (busy_timeout) instead of failing with "database is locked". */
static void
test_busy_wait(void **state)
{
	char dir[PATH_MAX], db[PATH_MAX], v[16];
	struct store *s;
	double t0;
	pid_t pid;
	int p[2], status;
	char c;

	(void)state;
	tpath(dir, "busy");
	s = open_ok(dir);
	store_close(&s);
	dbpath(db, dir);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *raw;

		close(p[0]);
		if (sqlite3_open(db, &raw) != SQLITE_OK
		    || sqlite3_exec(raw, "BEGIN IMMEDIATE;"
				    " INSERT INTO kv (name, value) VALUES ('child', '1')",
				    NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		usleep(300 * 1000);
		if (sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		sqlite3_close(raw);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	t0 = now_ms();
	s = open_ok(dir);
	if (store_kv_set(s, "parent", "1") != 0)
		fail_msg("kv_set: %s", store_error(s));
	assert_true(now_ms() - t0 >= 100);	/* it waited for the child's commit */
	assert_int_equal(store_kv_get(s, "child", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	store_close(&s);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------------------- main */

static int
setup(void **state)
{
	(void)state;
	umask(022);
	return testdir_create(tmpdir);
}

static int
teardown(void **state)
{
	char ro[PATH_MAX];

	(void)state;
	chmod(tpath(ro, "readonly"), 0755);
	return testdir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_permission),
		cmocka_unit_test(test_open_future_and_foreign),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_lock_expiry),
		cmocka_unit_test(test_lock_refused),
		cmocka_unit_test(test_incidents),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_walks),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_kill9),
		cmocka_unit_test(test_busy_wait),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
