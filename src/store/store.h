/* store.h - durable state of the daemon: locks, incidents, audit trail, key/value
 * SUMMARY  One interface, several backends: struct store holds a table of
 *          operations (struct store_ops) and the public functions below
 *          check and normalize their arguments, then dispatch through it.
 *          Callers never know which backend they talk to. Backends:
 *            store_open_sqlite  one host: an SQLite file in WAL mode
 *            (store_redis.c, later: a fleet sharing state)
 *          Every write has reached the backend's durable storage when the
 *          call returns 0: a lock or unlock survives kill -9 right after
 *          (and, with SQLite, a power cut: synchronous=FULL).
 *          Lock keys are normalized here, for every backend: an account is
 *          lower-cased (ASCII, as evt_account_key groups accounts), an IP is
 *          written canonically ("::ffff:192.0.2.1" -> "192.0.2.1"), so
 *          callers cannot miss a lock by spelling it differently.
 * LIMITS   Every string has a named ceiling below (STORE_*_MAX, incl. NUL);
 *          a longer one is refused with an error, never cut. A string field
 *          of a struct that is not NUL-terminated within its array counts
 *          as too long.
 * ERRORS   Functions return 0 on success, -1 on error, and 1 where stated
 *          ("absent", "was not locked"). After a -1, store_error(s) says
 *          why, naming the operation (and, for backend failures, the
 *          database: "/var/lib/mailsentry/mailsentry.db: lock: database is
 *          locked"). The text stays until the next error: a later call that
 *          works does not clear it (so it can still be shown after an audit
 *          entry about the failure has been written).
 * THREADS  A struct store is one connection: use it from one thread at a
 *          time, and never across fork() (the child opens its own).
 * WALKS    store_each_* call fn once per row with a pointer valid during
 *          the call only. fn returns 0 to go on; any other value stops the
 *          walk and is returned. They return 0 at the end, -1 on error.
 *          fn may read the store (nested walks included) but not write it:
 *          a write from inside a walk fails (collect, then write after). */
#ifndef MS_STORE_H
#define MS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"

/* Sizes of the fields, NUL included. A lock key is an account or an IP:
 * every account the parsers accept (LIMIT_ACCOUNT_MAX) can be locked. */
#define STORE_KEY_MAX LIMIT_ACCOUNT_MAX
#define STORE_REASON_MAX 256
#define STORE_BY_MAX 64
#define STORE_KIND_MAX 32
#define STORE_ACCOUNT_MAX LIMIT_ACCOUNT_MAX
#define STORE_IP_MAX 64
#define STORE_STATE_MAX 16
#define STORE_DETAIL_MAX 4096		/* finding_json of a finding fits */
#define STORE_ACTOR_MAX 64
#define STORE_ACTION_MAX 64
#define STORE_SUBJECT_MAX (LIMIT_ACCOUNT_MAX + 64)	/* "account " + an account */
#define STORE_AUDIT_DETAIL_MAX 1024
#define STORE_KV_KEY_MAX 1024		/* "follow:" + a log path */
#define STORE_KV_VALUE_MAX 4096
#define STORE_ERR_MAX 1024

struct store;

/* ------------------------------------------------------------- open/close */

/* SQLite backend. Opens (creating) dir/STORE_SQLITE_FILE; dir is created
 * 0700 if absent (one level, like mkdir), the database file 0600 (an
 * existing one with wider permissions is narrowed to 0600; a symbolic link
 * there is refused). A database written by a newer mailsentry (schema
 * version above STORE_SQLITE_SCHEMA) or by another program is refused;
 * an older one is upgraded in one transaction. Returns NULL with a message
 * naming the path and the reason in err:
 *   "/var/lib/mailsentry: Permission denied"
 *   "/srv/state/mailsentry.db: schema version 7 is newer than this mailsentry knows (1)" */
#define STORE_SQLITE_FILE "mailsentry.db"
#define STORE_SQLITE_SCHEMA 1
#define STORE_SQLITE_BUSY_MS 5000	/* wait this long for another writer */
struct store *store_open_sqlite(const char *dir, char *err, size_t errlen);
/* Close and set *s to NULL; NULL and *s == NULL are fine. */
void store_close(struct store **s);
/* Text of the last error; "" if there was none yet. Never NULL. */
const char *store_error(const struct store *s);
/* "sqlite", ... */
const char *store_backend(const struct store *s);

/* ------------------------------------------------------------- locks */

enum store_subject { SS_ACCOUNT, SS_IP };

struct store_lock {
	enum store_subject subject;
	char key[STORE_KEY_MAX];	/* account (any case) or IP; normalized */
	int64_t since, until;		/* until: 0 = no end; locked while now < until */
	char reason[STORE_REASON_MAX];
	char by[STORE_BY_MAX];		/* "detector", "admin", ...; not empty */
	uint64_t incident;		/* 0 = none */
};

/* Insert, or replace the lock of the same subject and key (an unlocked or
 * expired one included). Refused: empty or too long key, an SS_IP key that
 * is not one address, empty by, until < 0, until != 0 && until <= since. */
int store_lock(struct store *s, const struct store_lock *l);
/* End the lock now, recording by and now. 0 if it was locked, 1 if it was
 * not (unknown key, already unlocked, expired), -1 on error. */
int store_unlock(struct store *s, enum store_subject subj, const char *key,
		 const char *by, int64_t now);
/* The lock in force at now: 0 and *out filled (key normalized), 1 if none,
 * -1 on error. out may be NULL. */
int store_lock_get(struct store *s, enum store_subject subj, const char *key, int64_t now,
		   struct store_lock *out);
/* Predicate over store_lock_get: true only if a lock is in force at now.
 * On error false (with store_error set): a caller that must tell "not
 * locked" from "cannot tell" uses store_lock_get. */
bool store_is_locked(struct store *s, enum store_subject subj, const char *key, int64_t now);
/* Every lock in force at now (for the daemon's cache at start and for
 * `mailsentry list`), in order of since, then subject and key. */
int store_each_lock(struct store *s, int64_t now,
		    int (*fn)(void *arg, const struct store_lock *l), void *arg);

/* ------------------------------------------------------------- incidents */

/* One row per finding; later evidence updates the same row (one incident =
 * one alert). Counts as in struct finding: UINT64_MAX = not applicable. */
struct store_incident {
	uint64_t id;			/* 0 on insert: assigned (1, 2, ..., never reused) */
	char kind[STORE_KIND_MAX];	/* finding_kind_name(); not empty */
	char account[STORE_ACCOUNT_MAX];	/* "" = none; compared without ASCII case */
	char ip[STORE_IP_MAX];		/* "" = none, else one address (stored canonically) */
	int64_t first_evidence, detected_at, last_evidence;
	uint64_t distinct_ips, messages, recipients, attempts;
	char state[STORE_STATE_MAX];	/* "open" or "closed" */
	char detail[STORE_DETAIL_MAX];	/* JSON of the finding (finding_json) */
	bool alerted;
};

/* id == 0: insert and set inc->id. Otherwise replace every field of that
 * incident (-1 if there is none). At most one incident per (kind, account,
 * ip) is open: putting a second one open is refused (-1), so two processes
 * racing cannot raise two alerts; find_open first. */
int store_incident_put(struct store *s, struct store_incident *inc);
/* 0 and *out filled, 1 if absent, -1 on error. */
int store_incident_get(struct store *s, uint64_t id, struct store_incident *out);
/* The open incident of this kind for this account and ip (NULL = ""), so
 * that a restarted daemon continues it: 0 and *out filled, 1 if none. */
int store_incident_find_open(struct store *s, const char *kind, const char *account,
			     const char *ip, struct store_incident *out);
/* Every incident whose last_evidence >= since, in order of id. */
int store_each_incident(struct store *s, int64_t since,
			int (*fn)(void *arg, const struct store_incident *i), void *arg);

/* ------------------------------------------------------------- audit */

/* Append-only (the SQLite table refuses UPDATE and DELETE). */
struct store_audit {
	int64_t time;
	char actor[STORE_ACTOR_MAX];	/* not empty */
	char action[STORE_ACTION_MAX];	/* not empty: "lock", "unlock", "purge", ... */
	char subject[STORE_SUBJECT_MAX];
	char detail[STORE_AUDIT_DETAIL_MAX];
	bool dry_run;
	bool ok;
};

int store_audit(struct store *s, const struct store_audit *a);
/* Entries with time >= since in the order they were written (not sorted by
 * time: clocks step). limit > 0: only the newest limit of them, still
 * oldest first (a tail); 0 = all. */
int store_each_audit(struct store *s, int64_t since, unsigned limit,
		     int (*fn)(void *arg, const struct store_audit *a), void *arg);

/* ------------------------------------------------------------- key/value */

/* Small daemon state, e.g. "follow:/var/log/mail.log" -> "ino dev offset".
 * Keys 1..STORE_KV_KEY_MAX-1 bytes, values up to STORE_KV_VALUE_MAX-1.
 * Each set is a durable commit (an fsync with SQLite): write positions
 * every few seconds, not every line. */
int store_kv_set(struct store *s, const char *key, const char *value);
/* 0 and value copied, 1 if absent, -1 on error (a value that does not fit
 * in size bytes with its NUL is an error, not cut). */
int store_kv_get(struct store *s, const char *key, char *value, size_t size);
/* 0 if deleted, 1 if absent. */
int store_kv_del(struct store *s, const char *key);

/* ------------------------------------------------------------- backends */

/* What a backend implements. The public functions above have already
 * checked every argument (lengths, NULs, enum values, required fields)
 * and normalized lock keys and incident IPs, account and ip of find_open
 * are never NULL, and writes never come from inside a walk. A backend
 * reports failures with store_set_error and returns -1. */
struct store_ops {
	const char *name;
	void (*close)(struct store *s);		/* frees s */
	int (*lock)(struct store *s, const struct store_lock *l);
	int (*unlock)(struct store *s, enum store_subject subj, const char *key,
		      const char *by, int64_t now);
	int (*lock_get)(struct store *s, enum store_subject subj, const char *key,
			int64_t now, struct store_lock *out);	/* out not NULL */
	int (*each_lock)(struct store *s, int64_t now,
			 int (*fn)(void *arg, const struct store_lock *l), void *arg);
	int (*incident_put)(struct store *s, struct store_incident *inc);
	int (*incident_get)(struct store *s, uint64_t id, struct store_incident *out);
	int (*incident_find_open)(struct store *s, const char *kind, const char *account,
				  const char *ip, struct store_incident *out);
	int (*each_incident)(struct store *s, int64_t since,
			     int (*fn)(void *arg, const struct store_incident *i), void *arg);
	int (*audit)(struct store *s, const struct store_audit *a);
	int (*each_audit)(struct store *s, int64_t since, unsigned limit,
			  int (*fn)(void *arg, const struct store_audit *a), void *arg);
	int (*kv_set)(struct store *s, const char *key, const char *value);
	int (*kv_get)(struct store *s, const char *key, char *value, size_t size);
	int (*kv_del)(struct store *s, const char *key);
};

/* A backend's own struct starts with this one; callers see only the
 * pointer. */
struct store {
	const struct store_ops *ops;
	unsigned walking;		/* depth of store_each_* in progress */
	char err[STORE_ERR_MAX];
};

void store_set_error(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
