/* store_sqlite.c - the store interface, and its SQLite backend
 *
 * The first part (argument checks, key normalization, dispatch) is shared by
 * every backend; it moves to its own store.c when a second backend
 * (store_redis.c) arrives. The second part is the SQLite backend.
 *
 * Durability: WAL mode with synchronous=FULL. In WAL mode a commit is a
 * write() of the transaction's pages to the -wal file; with NORMAL that write
 * is not fsync'ed. Once write() has returned the bytes are the kernel's, so
 * NORMAL would already survive kill -9 of this process -- but not a power cut
 * or a kernel panic: the last commits are lost, and a lost lock silently
 * gives a compromised account its sending back after the reboot. FULL adds
 * one fsync of the -wal file per commit; locks, incidents and audit entries
 * come a few per minute at most, and key/value writers are asked to write
 * every few seconds, so the cost does not matter. Every write is one
 * statement in autocommit mode (or one explicit transaction), so it has
 * been committed -- and synced -- when sqlite3_step returns SQLITE_DONE,
 * before the public call returns. Writes from inside a walk are refused:
 * with a read statement still active the commit would be deferred to the
 * end of the walk.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/mem.h"
#include "util/netaddr.h"
#include "util/strv.h"

/* ================================================================ interface */

void
store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

const char *
store_error(const struct store *s)
{
	return s == NULL ? "no store" : s->err;
}

const char *
store_backend(const struct store *s)
{
	return s->ops->name;
}

void
store_close(struct store **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	(*sp)->ops->close(*sp);
	*sp = NULL;
}

/* Start of a public write. */
static int
write_begin(struct store *s, const char *op)
{
	if (s->walking > 0) {
		store_set_error(s, "%s: not allowed inside a store_each_* walk", op);
		return -1;
	}
	return 0;
}

/* A string of at most size-1 bytes (v may be an array of size bytes that
 * is not NUL-terminated: strnlen stops there). */
static int
check_str(struct store *s, const char *op, const char *name, const char *v, size_t size,
	  bool required)
{
	size_t n;

	if (v == NULL) {
		store_set_error(s, "%s: %s missing", op, name);
		return -1;
	}
	n = strnlen(v, size);
	if (n == size) {
		store_set_error(s, "%s: %s longer than %zu bytes", op, name, size - 1);
		return -1;
	}
	if (required && n == 0) {
		store_set_error(s, "%s: %s is empty", op, name);
		return -1;
	}
	return 0;
}

/* An IP into its canonical text (dst has size bytes); "" stays "" if
 * allowed. */
static int
norm_ip(struct store *s, const char *op, const char *name, const char *ip, char *dst,
	size_t size, bool required)
{
	struct netaddr a;
	char pr[120];
	size_t n;

	if (check_str(s, op, name, ip, size, required) < 0)
		return -1;
	n = strlen(ip);
	if (n == 0) {
		dst[0] = '\0';
		return 0;
	}
	if (netaddr_parse(ip, n, &a) < 0) {
		strv_printable(strv_make(ip, n), pr, sizeof(pr));
		store_set_error(s, "%s: %s is not one IP address: \"%.100s\"", op, name, pr);
		return -1;
	}
	netaddr_format(&a, dst);	/* NETADDR_STRLEN <= size */
	return 0;
}

/* A lock key into dst (STORE_KEY_MAX bytes): accounts lower-cased (ASCII),
 * IPs canonical. */
static int
norm_key(struct store *s, const char *op, enum store_subject subj, const char *key, char *dst)
{
	size_t i;

	switch (subj) {
	case SS_ACCOUNT:
		if (check_str(s, op, "key", key, STORE_KEY_MAX, true) < 0)
			return -1;
		for (i = 0; key[i] != '\0'; i++) {
			char c = key[i];

			dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 'a' - 'A') : c;
		}
		dst[i] = '\0';
		return 0;
	case SS_IP:
		return norm_ip(s, op, "key", key, dst, STORE_KEY_MAX, true);
	}
	store_set_error(s, "%s: unknown subject %d", op, (int)subj);
	return -1;
}

int
store_lock(struct store *s, const struct store_lock *l)
{
	struct store_lock n;

	if (write_begin(s, "lock") < 0)
		return -1;
	n = *l;
	if (norm_key(s, "lock", l->subject, l->key, n.key) < 0
	    || check_str(s, "lock", "reason", l->reason, sizeof(l->reason), false) < 0
	    || check_str(s, "lock", "by", l->by, sizeof(l->by), true) < 0)
		return -1;
	if (l->until < 0 || (l->until != 0 && l->until <= l->since)) {
		store_set_error(s, "lock: until (%" PRId64 ") is not after since (%" PRId64 ")",
				l->until, l->since);
		return -1;
	}
	return s->ops->lock(s, &n);
}

int
store_unlock(struct store *s, enum store_subject subj, const char *key, const char *by,
	     int64_t now)
{
	char k[STORE_KEY_MAX];

	if (write_begin(s, "unlock") < 0
	    || norm_key(s, "unlock", subj, key, k) < 0
	    || check_str(s, "unlock", "by", by, STORE_BY_MAX, true) < 0)
		return -1;
	return s->ops->unlock(s, subj, k, by, now);
}

int
store_lock_get(struct store *s, enum store_subject subj, const char *key, int64_t now,
	       struct store_lock *out)
{
	struct store_lock tmp;
	char k[STORE_KEY_MAX];

	if (norm_key(s, "lock_get", subj, key, k) < 0)
		return -1;
	return s->ops->lock_get(s, subj, k, now, out != NULL ? out : &tmp);
}

bool
store_is_locked(struct store *s, enum store_subject subj, const char *key, int64_t now)
{
	return store_lock_get(s, subj, key, now, NULL) == 0;
}

int
store_each_lock(struct store *s, int64_t now,
		int (*fn)(void *arg, const struct store_lock *l), void *arg)
{
	int rc;

	s->walking++;
	rc = s->ops->each_lock(s, now, fn, arg);
	s->walking--;
	return rc;
}

int
store_incident_put(struct store *s, struct store_incident *inc)
{
	struct store_incident n;
	int rc;

	if (write_begin(s, "incident_put") < 0)
		return -1;
	n = *inc;
	if (check_str(s, "incident_put", "kind", inc->kind, sizeof(inc->kind), true) < 0
	    || check_str(s, "incident_put", "account", inc->account, sizeof(inc->account),
			 false) < 0
	    || norm_ip(s, "incident_put", "ip", inc->ip, n.ip, sizeof(n.ip), false) < 0
	    || check_str(s, "incident_put", "state", inc->state, sizeof(inc->state), true) < 0
	    || check_str(s, "incident_put", "detail", inc->detail, sizeof(inc->detail),
			 false) < 0)
		return -1;
	if (strcmp(inc->state, "open") != 0 && strcmp(inc->state, "closed") != 0) {
		store_set_error(s, "incident_put: state must be open or closed");
		return -1;
	}
	if (inc->id > INT64_MAX) {
		store_set_error(s, "incident_put: no incident %" PRIu64, inc->id);
		return -1;
	}
	rc = s->ops->incident_put(s, &n);
	if (rc == 0)
		inc->id = n.id;
	return rc;
}

int
store_incident_get(struct store *s, uint64_t id, struct store_incident *out)
{
	if (id == 0 || id > INT64_MAX)
		return 1;
	return s->ops->incident_get(s, id, out);
}

int
store_incident_find_open(struct store *s, const char *kind, const char *account,
			 const char *ip, struct store_incident *out)
{
	char nkind[STORE_KIND_MAX], naccount[STORE_ACCOUNT_MAX], nip[STORE_IP_MAX];

	if (account == NULL)
		account = "";
	if (ip == NULL)
		ip = "";
	if (check_str(s, "incident_find_open", "kind", kind, STORE_KIND_MAX, true) < 0
	    || check_str(s, "incident_find_open", "account", account, STORE_ACCOUNT_MAX,
			 false) < 0
	    || norm_ip(s, "incident_find_open", "ip", ip, nip, sizeof(nip), false) < 0)
		return -1;
	/* copies: the arguments may point into *out (find_open(inc.kind, ..., &inc)) */
	memcpy(nkind, kind, strlen(kind) + 1);
	memcpy(naccount, account, strlen(account) + 1);
	return s->ops->incident_find_open(s, nkind, naccount, nip, out);
}

int
store_each_incident(struct store *s, int64_t since,
		    int (*fn)(void *arg, const struct store_incident *i), void *arg)
{
	int rc;

	s->walking++;
	rc = s->ops->each_incident(s, since, fn, arg);
	s->walking--;
	return rc;
}

int
store_audit(struct store *s, const struct store_audit *a)
{
	if (write_begin(s, "audit") < 0
	    || check_str(s, "audit", "actor", a->actor, sizeof(a->actor), true) < 0
	    || check_str(s, "audit", "action", a->action, sizeof(a->action), true) < 0
	    || check_str(s, "audit", "subject", a->subject, sizeof(a->subject), false) < 0
	    || check_str(s, "audit", "detail", a->detail, sizeof(a->detail), false) < 0)
		return -1;
	return s->ops->audit(s, a);
}

int
store_each_audit(struct store *s, int64_t since, unsigned limit,
		 int (*fn)(void *arg, const struct store_audit *a), void *arg)
{
	int rc;

	s->walking++;
	rc = s->ops->each_audit(s, since, limit, fn, arg);
	s->walking--;
	return rc;
}

int
store_kv_set(struct store *s, const char *key, const char *value)
{
	if (write_begin(s, "kv_set") < 0
	    || check_str(s, "kv_set", "key", key, STORE_KV_KEY_MAX, true) < 0
	    || check_str(s, "kv_set", "value", value, STORE_KV_VALUE_MAX, false) < 0)
		return -1;
	return s->ops->kv_set(s, key, value);
}

int
store_kv_get(struct store *s, const char *key, char *value, size_t size)
{
	if (check_str(s, "kv_get", "key", key, STORE_KV_KEY_MAX, true) < 0)
		return -1;
	if (value == NULL || size == 0) {
		store_set_error(s, "kv_get: no room for the value");
		return -1;
	}
	return s->ops->kv_get(s, key, value, size);
}

int
store_kv_del(struct store *s, const char *key)
{
	if (write_begin(s, "kv_del") < 0
	    || check_str(s, "kv_del", "key", key, STORE_KV_KEY_MAX, true) < 0)
		return -1;
	return s->ops->kv_del(s, key);
}

/* ================================================================ SQLite */

#define XSTR(x) STR(x)
#define STR(x) #x

/* "MSNT": marks the file as ours (PRAGMA application_id). */
#define SQ_APPLICATION_ID 0x4d534e54

/* Keep the -wal file from staying large after a burst of writes. */
#define SQ_JOURNAL_SIZE_LIMIT 4194304	/* bytes; a literal: it is pasted into the PRAGMA */

/* Schema migrations: migrations[v] takes a database from version v to v+1.
 * They run in order, all in one IMMEDIATE transaction, with user_version
 * set at the end; to change the schema, append a step (ALTER TABLE ...,
 * CREATE INDEX ...) and raise STORE_SQLITE_SCHEMA. Never edit a step that
 * has shipped. STRICT tables refuse a value of the wrong type. */
static const char *const migrations[STORE_SQLITE_SCHEMA] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE locks ("
	"  subject INTEGER NOT NULL CHECK (subject IN (0, 1)),"	/* enum store_subject */
	"  name TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  until INTEGER NOT NULL,"					/* 0 = no end */
	"  reason TEXT NOT NULL,"
	"  locked_by TEXT NOT NULL,"
	"  incident INTEGER NOT NULL,"
	"  unlocked_at INTEGER,"					/* NULL while locked */
	"  unlocked_by TEXT,"
	"  PRIMARY KEY (subject, name)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL,"
	"  account TEXT NOT NULL COLLATE NOCASE,"
	"  ip TEXT NOT NULL,"
	"  first_evidence INTEGER NOT NULL,"
	"  detected_at INTEGER NOT NULL,"
	"  last_evidence INTEGER NOT NULL,"
	"  distinct_ips INTEGER NOT NULL,"		/* uint64 bits; -1 = n/a */
	"  messages INTEGER NOT NULL,"
	"  recipients INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('open', 'closed')),"
	"  detail TEXT NOT NULL,"
	"  alerted INTEGER NOT NULL CHECK (alerted IN (0, 1))"
	") STRICT;"
	"CREATE UNIQUE INDEX incidents_open ON incidents (kind, account, ip)"
	"  WHERE state = 'open';"
	"CREATE INDEX incidents_last ON incidents (last_evidence);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  act TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),"
	"  ok INTEGER NOT NULL CHECK (ok IN (0, 1))"
	") STRICT;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TABLE kv ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL"
	") STRICT, WITHOUT ROWID;",
};

/* Prepared once at open, reused (reset after every use). */
enum sq_q {
	Q_LOCK_PUT,
	Q_UNLOCK,
	Q_LOCK_GET,
	Q_LOCK_EACH,
	Q_INC_INSERT,
	Q_INC_UPDATE,
	Q_INC_GET,
	Q_INC_FIND,
	Q_INC_EACH,
	Q_AUDIT_PUT,
	Q_AUDIT_EACH,
	Q_KV_SET,
	Q_KV_GET,
	Q_KV_DEL,
	Q_MAX
};

#define LOCK_COLS "subject, name, since, until, reason, locked_by, incident"
/* A lock in force at the time bound as parameter now ("?3"). */
#define LOCK_IN_FORCE(now) "unlocked_at IS NULL AND (until = 0 OR until > " now ")"
#define INC_COLS "id, kind, account, ip, first_evidence, detected_at, last_evidence, " \
	"distinct_ips, messages, recipients, attempts, state, detail, alerted"
#define AUDIT_COLS "time, actor, act, subject, detail, dry_run, ok"

/* Every parameter is bound (?N), never formatted in. */
static const char *const q_sql[Q_MAX] = {
	[Q_LOCK_PUT] = "INSERT OR REPLACE INTO locks (" LOCK_COLS ", unlocked_at, unlocked_by)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL)",
	[Q_UNLOCK] = "UPDATE locks SET unlocked_at = ?3, unlocked_by = ?4"
		     " WHERE subject = ?1 AND name = ?2 AND " LOCK_IN_FORCE("?3"),
	[Q_LOCK_GET] = "SELECT " LOCK_COLS " FROM locks"
		       " WHERE subject = ?1 AND name = ?2 AND " LOCK_IN_FORCE("?3"),
	[Q_LOCK_EACH] = "SELECT " LOCK_COLS " FROM locks WHERE " LOCK_IN_FORCE("?1")
			" ORDER BY since, subject, name",
	[Q_INC_INSERT] = "INSERT INTO incidents (" INC_COLS ")"
			 " VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[Q_INC_UPDATE] = "UPDATE incidents SET kind = ?2, account = ?3, ip = ?4,"
			 " first_evidence = ?5, detected_at = ?6, last_evidence = ?7,"
			 " distinct_ips = ?8, messages = ?9, recipients = ?10, attempts = ?11,"
			 " state = ?12, detail = ?13, alerted = ?14 WHERE id = ?1",
	[Q_INC_GET] = "SELECT " INC_COLS " FROM incidents WHERE id = ?1",
	[Q_INC_FIND] = "SELECT " INC_COLS " FROM incidents"
		       " WHERE state = 'open' AND kind = ?1 AND account = ?2 AND ip = ?3"
		       " ORDER BY id DESC LIMIT 1",
	[Q_INC_EACH] = "SELECT " INC_COLS " FROM incidents WHERE last_evidence >= ?1 ORDER BY id",
	[Q_AUDIT_PUT] = "INSERT INTO audit (" AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_AUDIT_EACH] = "SELECT " AUDIT_COLS " FROM"
			 " (SELECT * FROM audit WHERE time >= ?1 ORDER BY seq DESC LIMIT ?2)"
			 " ORDER BY seq",
	[Q_KV_SET] = ("INSERT INTO kv (name, value) VALUES (?1, ?2)"
		      " ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
	[Q_KV_GET] = "SELECT value FROM kv WHERE name = ?1",
	[Q_KV_DEL] = "DELETE FROM kv WHERE name = ?1",
};

struct store_sqlite {
	struct store base;		/* first: a struct store * is one of these */
	sqlite3 *db;
	char *path;			/* of the database file, for messages */
	sqlite3_stmt *q[Q_MAX];
};

static struct store_sqlite *
sq(struct store *s)
{
	return (struct store_sqlite *)s;
}

/* The database's own message for a failure of op. */
static int
sq_fail(struct store_sqlite *ss, const char *op)
{
	store_set_error(&ss->base, "%s: %s: %s", ss->path, op, sqlite3_errmsg(ss->db));
	return -1;
}

/* The kept statement, or a fresh one if it is in use by a walk further up
 * the stack (a nested walk from a callback); *fresh says which. */
static sqlite3_stmt *
q_get(struct store_sqlite *ss, enum sq_q q, bool *fresh, const char *op)
{
	sqlite3_stmt *st = ss->q[q];

	*fresh = false;
	if (!sqlite3_stmt_busy(st))
		return st;
	if (sqlite3_prepare_v3(ss->db, q_sql[q], -1, 0, &st, NULL) != SQLITE_OK) {
		sq_fail(ss, op);
		return NULL;
	}
	*fresh = true;
	return st;
}

static void
q_put(sqlite3_stmt *st, bool fresh)
{
	if (fresh)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
}

static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* uint64 values keep their bits in SQLite's int64 (UINT64_MAX -> -1). */
static int64_t
u2i(uint64_t v)
{
	int64_t r;

	memcpy(&r, &v, sizeof(r));
	return r;
}

static uint64_t
i2u(int64_t v)
{
	uint64_t r;

	memcpy(&r, &v, sizeof(r));
	return r;
}

/* Copy a text column into dst (size bytes); longer than fits is an error. */
static int
col_text(struct store_sqlite *ss, sqlite3_stmt *st, int col, char *dst, size_t size,
	 const char *op)
{
	const unsigned char *p = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (p == NULL) {
		if (sqlite3_errcode(ss->db) == SQLITE_NOMEM)
			return sq_fail(ss, op);
		n = 0;		/* NULL */
	}
	if (n < 0 || (size_t)n >= size) {
		store_set_error(&ss->base, "%s: %s: stored %s is %d bytes, longer than %zu",
				ss->path, op, sqlite3_column_name(st, col), n, size - 1);
		return -1;
	}
	if (n > 0)
		memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return 0;
}

/* One row of LOCK_COLS. */
static int
row_lock(struct store_sqlite *ss, sqlite3_stmt *st, struct store_lock *l, const char *op)
{
	memset(l, 0, sizeof(*l));
	l->subject = sqlite3_column_int(st, 0) == SS_IP ? SS_IP : SS_ACCOUNT;
	l->since = sqlite3_column_int64(st, 2);
	l->until = sqlite3_column_int64(st, 3);
	l->incident = i2u(sqlite3_column_int64(st, 6));
	if (col_text(ss, st, 1, l->key, sizeof(l->key), op) < 0
	    || col_text(ss, st, 4, l->reason, sizeof(l->reason), op) < 0
	    || col_text(ss, st, 5, l->by, sizeof(l->by), op) < 0)
		return -1;
	return 0;
}

/* One row of INC_COLS. */
static int
row_incident(struct store_sqlite *ss, sqlite3_stmt *st, struct store_incident *i,
	     const char *op)
{
	memset(i, 0, sizeof(*i));
	i->id = i2u(sqlite3_column_int64(st, 0));
	i->first_evidence = sqlite3_column_int64(st, 4);
	i->detected_at = sqlite3_column_int64(st, 5);
	i->last_evidence = sqlite3_column_int64(st, 6);
	i->distinct_ips = i2u(sqlite3_column_int64(st, 7));
	i->messages = i2u(sqlite3_column_int64(st, 8));
	i->recipients = i2u(sqlite3_column_int64(st, 9));
	i->attempts = i2u(sqlite3_column_int64(st, 10));
	i->alerted = sqlite3_column_int(st, 13) != 0;
	if (col_text(ss, st, 1, i->kind, sizeof(i->kind), op) < 0
	    || col_text(ss, st, 2, i->account, sizeof(i->account), op) < 0
	    || col_text(ss, st, 3, i->ip, sizeof(i->ip), op) < 0
	    || col_text(ss, st, 11, i->state, sizeof(i->state), op) < 0
	    || col_text(ss, st, 12, i->detail, sizeof(i->detail), op) < 0)
		return -1;
	return 0;
}

/* One row of AUDIT_COLS. */
static int
row_audit(struct store_sqlite *ss, sqlite3_stmt *st, struct store_audit *a, const char *op)
{
	memset(a, 0, sizeof(*a));
	a->time = sqlite3_column_int64(st, 0);
	a->dry_run = sqlite3_column_int(st, 5) != 0;
	a->ok = sqlite3_column_int(st, 6) != 0;
	if (col_text(ss, st, 1, a->actor, sizeof(a->actor), op) < 0
	    || col_text(ss, st, 2, a->action, sizeof(a->action), op) < 0
	    || col_text(ss, st, 3, a->subject, sizeof(a->subject), op) < 0
	    || col_text(ss, st, 4, a->detail, sizeof(a->detail), op) < 0)
		return -1;
	return 0;
}

/* Run a write statement to its end (the commit, in autocommit mode). */
static int
q_write(struct store_sqlite *ss, sqlite3_stmt *st, bool fresh, const char *op)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		sq_fail(ss, op);
		q_put(st, fresh);
		return -1;
	}
	q_put(st, fresh);
	return 0;
}

/* Run a query that returns at most one row: 0 and row() called, 1 if no
 * row, -1 on error. */
static int
q_one(struct store_sqlite *ss, sqlite3_stmt *st, bool fresh, const char *op,
      int (*row)(struct store_sqlite *ss, sqlite3_stmt *st, void *out, const char *op),
      void *out)
{
	int rc = sqlite3_step(st), ret;

	if (rc == SQLITE_ROW)
		ret = row(ss, st, out, op) < 0 ? -1 : 0;
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = sq_fail(ss, op);
	q_put(st, fresh);
	return ret;
}

static int
row_lock_v(struct store_sqlite *ss, sqlite3_stmt *st, void *out, const char *op)
{
	return row_lock(ss, st, out, op);
}

static int
row_incident_v(struct store_sqlite *ss, sqlite3_stmt *st, void *out, const char *op)
{
	return row_incident(ss, st, out, op);
}

/* ---------------------------------------------------------------- locks */

static int
sq_lock(struct store *s, const struct store_lock *l)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_LOCK_PUT, &fresh, "lock")) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, (int)l->subject) != SQLITE_OK
	    || bind_text(st, 2, l->key) != SQLITE_OK
	    || sqlite3_bind_int64(st, 3, l->since) != SQLITE_OK
	    || sqlite3_bind_int64(st, 4, l->until) != SQLITE_OK
	    || bind_text(st, 5, l->reason) != SQLITE_OK
	    || bind_text(st, 6, l->by) != SQLITE_OK
	    || sqlite3_bind_int64(st, 7, u2i(l->incident)) != SQLITE_OK) {
		sq_fail(ss, "lock");
		q_put(st, fresh);
		return -1;
	}
	return q_write(ss, st, fresh, "lock");
}

static int
sq_unlock(struct store *s, enum store_subject subj, const char *key, const char *by,
	  int64_t now)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_UNLOCK, &fresh, "unlock")) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, (int)subj) != SQLITE_OK
	    || bind_text(st, 2, key) != SQLITE_OK
	    || sqlite3_bind_int64(st, 3, now) != SQLITE_OK
	    || bind_text(st, 4, by) != SQLITE_OK) {
		sq_fail(ss, "unlock");
		q_put(st, fresh);
		return -1;
	}
	if (q_write(ss, st, fresh, "unlock") < 0)
		return -1;
	return sqlite3_changes(ss->db) > 0 ? 0 : 1;
}

static int
sq_lock_get(struct store *s, enum store_subject subj, const char *key, int64_t now,
	    struct store_lock *out)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_LOCK_GET, &fresh, "lock_get")) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, (int)subj) != SQLITE_OK
	    || bind_text(st, 2, key) != SQLITE_OK
	    || sqlite3_bind_int64(st, 3, now) != SQLITE_OK) {
		sq_fail(ss, "lock_get");
		q_put(st, fresh);
		return -1;
	}
	return q_one(ss, st, fresh, "lock_get", row_lock_v, out);
}

static int
sq_each_lock(struct store *s, int64_t now, int (*fn)(void *arg, const struct store_lock *l),
	     void *arg)
{
	struct store_sqlite *ss = sq(s);
	struct store_lock l;
	sqlite3_stmt *st;
	bool fresh;
	int rc, ret = 0;

	if ((st = q_get(ss, Q_LOCK_EACH, &fresh, "each_lock")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		sq_fail(ss, "each_lock");
		q_put(st, fresh);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_lock(ss, st, &l, "each_lock") < 0) {
			ret = -1;
			break;
		}
		if ((ret = fn(arg, &l)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sq_fail(ss, "each_lock");
	q_put(st, fresh);
	return ret;
}

/* ---------------------------------------------------------------- incidents */

static int
bind_incident(sqlite3_stmt *st, const struct store_incident *i)
{
	if (sqlite3_bind_int64(st, 1, u2i(i->id)) != SQLITE_OK
	    || bind_text(st, 2, i->kind) != SQLITE_OK
	    || bind_text(st, 3, i->account) != SQLITE_OK
	    || bind_text(st, 4, i->ip) != SQLITE_OK
	    || sqlite3_bind_int64(st, 5, i->first_evidence) != SQLITE_OK
	    || sqlite3_bind_int64(st, 6, i->detected_at) != SQLITE_OK
	    || sqlite3_bind_int64(st, 7, i->last_evidence) != SQLITE_OK
	    || sqlite3_bind_int64(st, 8, u2i(i->distinct_ips)) != SQLITE_OK
	    || sqlite3_bind_int64(st, 9, u2i(i->messages)) != SQLITE_OK
	    || sqlite3_bind_int64(st, 10, u2i(i->recipients)) != SQLITE_OK
	    || sqlite3_bind_int64(st, 11, u2i(i->attempts)) != SQLITE_OK
	    || bind_text(st, 12, i->state) != SQLITE_OK
	    || bind_text(st, 13, i->detail) != SQLITE_OK
	    || sqlite3_bind_int(st, 14, i->alerted ? 1 : 0) != SQLITE_OK)
		return -1;
	return 0;
}

static int
sq_incident_put(struct store *s, struct store_incident *inc)
{
	struct store_sqlite *ss = sq(s);
	enum sq_q q = inc->id == 0 ? Q_INC_INSERT : Q_INC_UPDATE;
	char pa[120], pi[120];
	sqlite3_stmt *st;
	bool fresh;
	int rc;

	if ((st = q_get(ss, q, &fresh, "incident_put")) == NULL)
		return -1;
	if (bind_incident(st, inc) < 0) {
		sq_fail(ss, "incident_put");
		q_put(st, fresh);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		strv_printable(strv_cstr(inc->account), pa, sizeof(pa));
		strv_printable(strv_cstr(inc->ip), pi, sizeof(pi));
		store_set_error(s, "%s: incident_put: an open %s incident for account \"%.100s\""
				" ip \"%.100s\" exists already", ss->path, inc->kind, pa, pi);
		q_put(st, fresh);
		return -1;
	}
	if (rc != SQLITE_DONE) {
		sq_fail(ss, "incident_put");
		q_put(st, fresh);
		return -1;
	}
	q_put(st, fresh);
	if (q == Q_INC_INSERT) {
		inc->id = i2u(sqlite3_last_insert_rowid(ss->db));
	} else if (sqlite3_changes(ss->db) == 0) {
		store_set_error(s, "%s: incident_put: no incident %" PRIu64, ss->path, inc->id);
		return -1;
	}
	return 0;
}

static int
sq_incident_get(struct store *s, uint64_t id, struct store_incident *out)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_INC_GET, &fresh, "incident_get")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, u2i(id)) != SQLITE_OK) {
		sq_fail(ss, "incident_get");
		q_put(st, fresh);
		return -1;
	}
	return q_one(ss, st, fresh, "incident_get", row_incident_v, out);
}

static int
sq_incident_find_open(struct store *s, const char *kind, const char *account, const char *ip,
		      struct store_incident *out)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_INC_FIND, &fresh, "incident_find_open")) == NULL)
		return -1;
	if (bind_text(st, 1, kind) != SQLITE_OK || bind_text(st, 2, account) != SQLITE_OK
	    || bind_text(st, 3, ip) != SQLITE_OK) {
		sq_fail(ss, "incident_find_open");
		q_put(st, fresh);
		return -1;
	}
	return q_one(ss, st, fresh, "incident_find_open", row_incident_v, out);
}

static int
sq_each_incident(struct store *s, int64_t since,
		 int (*fn)(void *arg, const struct store_incident *i), void *arg)
{
	struct store_sqlite *ss = sq(s);
	struct store_incident *inc;
	sqlite3_stmt *st;
	bool fresh;
	int rc, ret = 0;

	if ((st = q_get(ss, Q_INC_EACH, &fresh, "each_incident")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK) {
		sq_fail(ss, "each_incident");
		q_put(st, fresh);
		return -1;
	}
	inc = mem_alloc(sizeof(*inc));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_incident(ss, st, inc, "each_incident") < 0) {
			ret = -1;
			break;
		}
		if ((ret = fn(arg, inc)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sq_fail(ss, "each_incident");
	q_put(st, fresh);
	mem_free(inc);
	return ret;
}

/* ---------------------------------------------------------------- audit */

static int
sq_audit(struct store *s, const struct store_audit *a)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_AUDIT_PUT, &fresh, "audit")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, a->time) != SQLITE_OK
	    || bind_text(st, 2, a->actor) != SQLITE_OK
	    || bind_text(st, 3, a->action) != SQLITE_OK
	    || bind_text(st, 4, a->subject) != SQLITE_OK
	    || bind_text(st, 5, a->detail) != SQLITE_OK
	    || sqlite3_bind_int(st, 6, a->dry_run ? 1 : 0) != SQLITE_OK
	    || sqlite3_bind_int(st, 7, a->ok ? 1 : 0) != SQLITE_OK) {
		sq_fail(ss, "audit");
		q_put(st, fresh);
		return -1;
	}
	return q_write(ss, st, fresh, "audit");
}

static int
sq_each_audit(struct store *s, int64_t since, unsigned limit,
	      int (*fn)(void *arg, const struct store_audit *a), void *arg)
{
	struct store_sqlite *ss = sq(s);
	struct store_audit a;
	sqlite3_stmt *st;
	bool fresh;
	int rc, ret = 0;

	if ((st = q_get(ss, Q_AUDIT_EACH, &fresh, "each_audit")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK
	    || sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (int64_t)limit) != SQLITE_OK) {
		sq_fail(ss, "each_audit");
		q_put(st, fresh);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row_audit(ss, st, &a, "each_audit") < 0) {
			ret = -1;
			break;
		}
		if ((ret = fn(arg, &a)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sq_fail(ss, "each_audit");
	q_put(st, fresh);
	return ret;
}

/* ---------------------------------------------------------------- key/value */

static int
sq_kv_set(struct store *s, const char *key, const char *value)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_KV_SET, &fresh, "kv_set")) == NULL)
		return -1;
	if (bind_text(st, 1, key) != SQLITE_OK || bind_text(st, 2, value) != SQLITE_OK) {
		sq_fail(ss, "kv_set");
		q_put(st, fresh);
		return -1;
	}
	return q_write(ss, st, fresh, "kv_set");
}

static int
sq_kv_get(struct store *s, const char *key, char *value, size_t size)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;
	int rc, ret;

	if ((st = q_get(ss, Q_KV_GET, &fresh, "kv_get")) == NULL)
		return -1;
	if (bind_text(st, 1, key) != SQLITE_OK) {
		sq_fail(ss, "kv_get");
		q_put(st, fresh);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = col_text(ss, st, 0, value, size, "kv_get");
	else if (rc == SQLITE_DONE)
		ret = 1;
	else
		ret = sq_fail(ss, "kv_get");
	q_put(st, fresh);
	return ret;
}

static int
sq_kv_del(struct store *s, const char *key)
{
	struct store_sqlite *ss = sq(s);
	sqlite3_stmt *st;
	bool fresh;

	if ((st = q_get(ss, Q_KV_DEL, &fresh, "kv_del")) == NULL)
		return -1;
	if (bind_text(st, 1, key) != SQLITE_OK) {
		sq_fail(ss, "kv_del");
		q_put(st, fresh);
		return -1;
	}
	if (q_write(ss, st, fresh, "kv_del") < 0)
		return -1;
	return sqlite3_changes(ss->db) > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- open/close */

static void
sq_free(struct store_sqlite *ss)
{
	int i;

	for (i = 0; i < Q_MAX; i++)
		sqlite3_finalize(ss->q[i]);	/* NULL is fine */
	sqlite3_close_v2(ss->db);		/* NULL is fine */
	mem_free(ss->path);
	mem_free(ss);
}

static void
sq_close(struct store *s)
{
	sq_free(sq(s));
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.lock = sq_lock,
	.unlock = sq_unlock,
	.lock_get = sq_lock_get,
	.each_lock = sq_each_lock,
	.incident_put = sq_incident_put,
	.incident_get = sq_incident_get,
	.incident_find_open = sq_incident_find_open,
	.each_incident = sq_each_incident,
	.audit = sq_audit,
	.each_audit = sq_each_audit,
	.kv_set = sq_kv_set,
	.kv_get = sq_kv_get,
	.kv_del = sq_kv_del,
};

/* Open-time failures: "path: reason" into err. */
static void
open_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
open_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Run SQL without parameters, of our own text only. */
static int
sq_exec(struct store_sqlite *ss, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(ss->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		open_err(err, errlen, "%s: %s", ss->path, sqlite3_errmsg(ss->db));
		return -1;
	}
	return 0;
}

/* The single integer a PRAGMA or query of ours returns. */
static int
sq_int(struct store_sqlite *ss, const char *sql, int64_t *out, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) != SQLITE_OK) {
		open_err(err, errlen, "%s: %s", ss->path, sqlite3_errmsg(ss->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		open_err(err, errlen, "%s: %s", ss->path, sqlite3_errmsg(ss->db));
		sqlite3_finalize(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Is this file ours, and a version we know? Called inside a transaction,
 * so the three values are one snapshot. *version gets user_version. */
static int
sq_judge(struct store_sqlite *ss, int64_t *version, char *err, size_t errlen)
{
	int64_t appid, objects;

	if (sq_int(ss, "PRAGMA application_id", &appid, err, errlen) < 0
	    || sq_int(ss, "PRAGMA user_version", version, err, errlen) < 0
	    || sq_int(ss, "SELECT count(*) FROM sqlite_schema", &objects, err, errlen) < 0)
		return -1;
	if (appid != 0 && appid != SQ_APPLICATION_ID) {
		open_err(err, errlen, "%s: not a mailsentry database (application_id %" PRId64 ")",
			 ss->path, appid);
		return -1;
	}
	if (*version > STORE_SQLITE_SCHEMA) {
		open_err(err, errlen, "%s: schema version %" PRId64 " is newer than this mailsentry"
			 " knows (%d); use the mailsentry that wrote it, or a newer one",
			 ss->path, *version, STORE_SQLITE_SCHEMA);
		return -1;
	}
	if (*version < 0 || (*version == 0 && objects > 0) || (*version > 0 && appid == 0)) {
		open_err(err, errlen, "%s: not a mailsentry database (schema version %" PRId64
			 ", no mailsentry application id)", ss->path, *version);
		return -1;
	}
	return 0;
}

/* Bring the schema up to STORE_SQLITE_SCHEMA in one IMMEDIATE transaction
 * (a second process opening at the same time waits, then finds it done). */
static int
sq_migrate(struct store_sqlite *ss, char *err, size_t errlen)
{
	int64_t v;

	if (sq_exec(ss, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (sq_judge(ss, &v, err, errlen) < 0)
		goto fail;
	for (; v < STORE_SQLITE_SCHEMA; v++)
		if (sq_exec(ss, migrations[v], err, errlen) < 0)
			goto fail;
	if (sq_exec(ss, "PRAGMA application_id = " XSTR(SQ_APPLICATION_ID), err, errlen) < 0
	    || sq_exec(ss, "PRAGMA user_version = " XSTR(STORE_SQLITE_SCHEMA), err, errlen) < 0
	    || sq_exec(ss, "COMMIT", err, errlen) < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* dir (created 0700) and the database file in it (0600, not a link). */
static char *
sq_prepare_file(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char *path;
	size_t n;
	int fd;

	if (dir == NULL || dir[0] == '\0') {
		open_err(err, errlen, "state directory not set");
		return NULL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		open_err(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &st) < 0) {
		open_err(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		open_err(err, errlen, "%s: %s", dir, strerror(ENOTDIR));
		return NULL;
	}
	n = strlen(dir) + sizeof("/" STORE_SQLITE_FILE);
	if (n > PATH_MAX) {
		open_err(err, errlen, "%.100s...: %s", dir, strerror(ENAMETOOLONG));
		return NULL;
	}
	path = mem_alloc(n);
	snprintf(path, n, "%s/%s", dir, STORE_SQLITE_FILE);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			open_err(err, errlen, "%s: a symbolic link; refused", path);
		else
			open_err(err, errlen, "%s: %s", path, strerror(errno));
		mem_free(path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || ((st.st_mode & 077) != 0 && fchmod(fd, 0600) < 0)) {
		open_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		mem_free(path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		open_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		mem_free(path);
		return NULL;
	}
	close(fd);
	return path;
}

struct store *
store_open_sqlite(const char *dir, char *err, size_t errlen)
{
	struct store_sqlite *ss;
	const unsigned char *mode;
	sqlite3_stmt *st;
	int64_t version;
	char *path;
	int i, rc;

	open_err(err, errlen, "%s", "");
	if ((path = sq_prepare_file(dir, err, errlen)) == NULL)
		return NULL;
	ss = mem_calloc(1, sizeof(*ss));
	ss->base.ops = &sq_ops;
	ss->path = path;
	rc = sqlite3_open_v2(path, &ss->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		open_err(err, errlen, "%s: %s", path,
			 ss->db != NULL ? sqlite3_errmsg(ss->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(ss->db, 1);
	sqlite3_busy_timeout(ss->db, STORE_SQLITE_BUSY_MS);

	/* Judge the file before changing anything in it (not even its
	 * journal mode): one read snapshot. */
	if (sq_exec(ss, "BEGIN", err, errlen) < 0)
		goto fail;
	if (sq_judge(ss, &version, err, errlen) < 0) {
		sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	if (sq_exec(ss, "COMMIT", err, errlen) < 0)
		goto fail;

	if (sqlite3_prepare_v2(ss->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK) {
		open_err(err, errlen, "%s: %s", path, sqlite3_errmsg(ss->db));
		goto fail;
	}
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		open_err(err, errlen, "%s: cannot use WAL mode: %s", path,
			 mode != NULL ? (const char *)mode : sqlite3_errmsg(ss->db));
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (sq_exec(ss, "PRAGMA synchronous = FULL", err, errlen) < 0
	    || sq_exec(ss, "PRAGMA trusted_schema = OFF", err, errlen) < 0
	    || sq_exec(ss, "PRAGMA journal_size_limit = " XSTR(SQ_JOURNAL_SIZE_LIMIT), err,
		       errlen) < 0)
		goto fail;
	if (version < STORE_SQLITE_SCHEMA && sq_migrate(ss, err, errlen) < 0)
		goto fail;

	for (i = 0; i < Q_MAX; i++) {
		if (sqlite3_prepare_v3(ss->db, q_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->q[i],
				       NULL) != SQLITE_OK) {
			open_err(err, errlen, "%s: %s", path, sqlite3_errmsg(ss->db));
			goto fail;
		}
	}
	return &ss->base;
fail:
	sq_free(ss);
	return NULL;
}
