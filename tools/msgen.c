/* msgen.c - deterministic mail-log scenario generator
 * SUMMARY  Writes syslog lines as Postfix + Dovecot, or qmail-send (splogger)
 *          + vpopmail vchkpw, would write them for a simulated population
 *          (home, office, mobile, travelling and multi-device users, a phone
 *          with a stale password, a newsletter sender, a notification
 *          sender, inbound mail, internet noise), plus the attacks of a
 *          scenario (compromises, brute force, spraying, backscatter), all
 *          from day 2 on, after a day of history.
 *          The same arguments and seed always give the same bytes.
 *          --truth writes one JSON line per injected attack (ground truth).
 *          docs/msgen.md lists which real log line each shape follows.
 * DESIGN   A discrete-event simulation: actions sit in a min-heap ordered by
 *          (time, sequence); a handler writes lines at or after its own time
 *          into a second heap, which is flushed up to the time of the next
 *          action, so the output is in time order without holding it all.
 *          Randomness comes from xoshiro256** streams seeded by splitmix64:
 *          one for the population, one for noise, two per bulk sender, one
 *          per scenario plan and one per attack, so an attack is the same
 *          whatever the population size or format (its victim is drawn
 *          from the population, which is the same in both formats).
 * LIMITS   Addresses: the population uses 198.18.0.0/15, 100.64.0.0/10 and
 *          2001:db8::/32; attackers 100.68.0.0-100.119.255.255 and
 *          198.51.100.128/25; remote servers and noise use 192.0.2.0/24,
 *          198.51.100.0/24, 203.0.113.0/24; domains are example.com/.net/.org
 *          and numbered subdomains of them. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/htab.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/netaddr.h"
#include "util/scan.h"
#include "util/timeconv.h"

#define US		((int64_t)1000000)	/* microseconds per second */
#define HOUR		(3600 * US)
#define DAY		(24 * HOUR)
#define LINE_MAX_LEN	1024
#define MAX_RCPT	64
#define MYHOST		"mx1"
#define MYFQDN		"mx1.example.com"
#define MYIP		"192.0.2.25"
#define QMAIL_LOCAL_MAX	10
#define QMAIL_REMOTE_MAX 20

/* ------------------------------------------------------------ randomness */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Independent stream `stream` of generator `seed`. */
static void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

/* Uniform in [lo, hi]. */
static int
rng_range(struct rng *r, int lo, int hi)
{
	return hi <= lo ? lo : lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static bool
rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

/* Exponentially distributed duration with the given mean, in microseconds. */
static int64_t
rng_exp_us(struct rng *r, double mean_s)
{
	return (int64_t)(-log(1.0 - rng_unit(r)) * mean_s * (double)US);
}

/* Uniform duration in [lo_s, hi_s] seconds, microsecond resolution. */
static int64_t
rng_span(struct rng *r, double lo_s, double hi_s)
{
	return (int64_t)((lo_s + rng_unit(r) * (hi_s - lo_s)) * (double)US);
}

/* ------------------------------------------------------------------ heap */

/* An action (kind, a, p) or an output line (p = text), ordered by (t, seq). */
struct hent {
	int64_t t;
	uint64_t seq;
	uint32_t kind;
	uint32_t a;
	void *p;
};

struct heap {
	struct hent *v;
	size_t n, cap;
};

static bool
hless(const struct hent *x, const struct hent *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void
heap_push(struct heap *h, struct hent e)
{
	size_t i, up;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->v = mem_reallocarray(h->v, h->cap, sizeof(*h->v));
	}
	for (i = h->n++; i > 0; i = up) {
		up = (i - 1) / 2;
		if (!hless(&e, &h->v[up]))
			break;
		h->v[i] = h->v[up];
	}
	h->v[i] = e;
}

static struct hent
heap_pop(struct heap *h)
{
	struct hent top = h->v[0], last = h->v[--h->n];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && hless(&h->v[c + 1], &h->v[c]))
			c++;
		if (!hless(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

/* ------------------------------------------------------------- the world */

enum fmt { FMT_POSTFIX, FMT_QMAIL };
enum framing { FR_RFC3164, FR_RFC3339 };

enum act {
	A_USERDAY, A_POLL, A_PHONE, A_SEND, A_INBOUND, A_RCPT, A_RESULT, A_RETRY,
	A_NOISE, A_BULKDAY, A_BULK, A_NOTIFY, A_ATK,
};

/* U_BULK: the newsletter sender; U_NOTIFY: an application sending
 * notifications (tickets, invoices) all day long. */
enum ucls { U_HOME, U_OFFICE, U_MOBILE, U_TRAVEL, U_BULK, U_NOTIFY };

struct user {
	char addr[72];
	enum ucls cls;
	bool virt;			/* example.org: Postfix virtual(8) delivery */
	bool pop3;			/* mail client uses POP3 (qmail: always) */
	bool login;			/* SMTP AUTH LOGIN rather than PLAIN */
	bool multi;			/* office user also reading at home and on a phone */
	bool stale;			/* office user whose phone has a stale password */
	bool victim;			/* an attack of the scenario targets this account */
	struct netaddr ip[4];		/* multi: office NAT, home, phone */
	int nip;
	uint32_t net16;			/* carrier or ISP network, for IP changes */
	int64_t win[3][2];		/* today's client sessions [start, end) */
	uint8_t wip[3];			/* index in ip[] of each session's address */
	int nwin, wi;
	bool typo;			/* next poll fails once, then succeeds */
	int64_t ph_start, ph_end;	/* today's phone polling (multi, stale) */
	int64_t ph_fail0, ph_fail1;	/* stale: the phone fails in [fail0, fail1) */
	int64_t bulk_end;		/* bulk sender: end of the running campaign */
	double bulk_gap;		/* notifier: today's mean seconds between messages */
	int bk;				/* bulk sender: its streams in G.brng */
};

/* Delivery fate of one recipient, decided when the message is queued. */
enum fate {
	F_SENT, F_LOCAL, F_BOUNCE_USER, F_BOUNCE_NXDOMAIN, F_DEFER_SENT, F_DEFER_STUCK,
};

struct rcpt {
	char addr[96];
	uint32_t dom;			/* remote: numbered domain; local: user index */
	uint8_t fate, tries, done, need;	/* need: attempts before success */
	bool greylist;			/* deferral cause: greylisting, else timeout */
	uint32_t dno;			/* qmail delivery number of the running attempt */
};

struct msg {
	struct msg *prev, *next;	/* list of live messages, freed at exit */
	struct rng *r;			/* stream this message draws from */
	char qid[16];
	uint64_t qnum;			/* qmail: message (inode) number */
	char from[96];
	int from_user;			/* sender's user index, -1 if remote or none */
	uint32_t size, qp;
	int64_t t0;
	int nrcpt, inflight, nfailed;
	bool ndr;			/* a bounce (from=<>) */
	bool attack;			/* part of an injected attack */
	const char *mech;		/* SASL mechanism of the submission (NULL: PLAIN) */
	struct rcpt rc[];
};

enum akind { K_COMPROMISE, K_PROBE, K_BRUTE, K_SPRAY, K_BACKSCATTER };

/* What one attack event writes. */
enum evk {
	E_MSG,		/* SMTP AUTH success + one message to nrcpt remote recipients */
	E_CHECK,	/* the stolen password tried without sending: Postfix: an
			 * IMAP login (Dovecot); qmail: a vchkpw SMTP AUTH success */
	E_SMTP_FAIL,	/* SMTP AUTH failure */
	E_READ_FAIL,	/* IMAP (or POP3) login failure */
	E_NDR,		/* a remote MTA delivers a null-sender NDR to the account */
};

struct atk_ev {
	int64_t t;
	struct netaddr ip;
	const char *svc;		/* service, if not the attack's */
	int32_t user;			/* target: user index, or -1 - k for name k */
	uint16_t nrcpt;			/* E_MSG: recipients */
	uint8_t what;			/* enum evk */
};

struct atk {
	enum akind kind;
	char account[72];
	const char *service;		/* vchkpw / Postfix service of the logins */
	const char *mech;		/* SASL mechanism of the attacker's logins */
	int owner;			/* user index of the account, or -1 */
	bool pop3;			/* read logins use POP3 rather than IMAP */
	double fate[4];			/* E_MSG recipients: user unknown, no such
					 * domain, deferred then sent, never sent */
	struct rng r;
	struct atk_ev *ev;
	int n, cap;
};

struct scenario {
	const char *name;
	const char *summary;
	enum fmt fmt;			/* default --format */
	int days;			/* default --days */
	void (*setup)(void);
};

static struct {
	/* options */
	enum fmt fmt;
	enum framing framing;
	int64_t start, end;
	int days, users;
	uint64_t seed;
	const struct scenario *sc;
	uint64_t target_lines;
	double bulk_frac;		/* bulk senders' volume (< 1 with --lines) */
	bool fmt_set, days_set, start_set;
	/* run state */
	bool count_only, in_attack;
	uint64_t nlines, nattack_lines;
	FILE *out, *truth;
	struct heap acts, lines;
	uint64_t seq;
	struct rng rb, rn;		/* population, noise */
	struct rng *brng;		/* bulk sender k: day plans 2k, messages 2k+1 */
	struct user *u;
	int nu;
	struct atk **atk;
	int natk, atk_cap;
	struct msg *live;
	struct htab *used_ip;		/* attack IPs already handed out */
	uint32_t pid, inode, delno, authreq, remote_used, local_used;
	uint32_t pid_qmgr, pid_cleanup, pid_smtp, pid_lmtp, pid_virtual, pid_bounce,
		 pid_postscreen, pid_dnsblog, pid_auth, pid_authmaster;
	int64_t now;			/* time of the action being handled */
	char tbuf[48];
	int64_t tbuf_sec;
} G;

/* ------------------------------------------------------------ scheduling */

static void
sched(int64_t t, enum act kind, uint32_t a, void *p)
{
	if (t >= G.end || t < G.now)
		return;
	heap_push(&G.acts, (struct hent){ t, G.seq++, kind, a, p });
}

/* Header "Jul 22 18:52:46 mx1 " or "2013-07-22T18:52:46.123456+00:00 mx1 ". */
static const char *
stamp(int64_t t)
{
	int64_t sec = t / US;
	int y;
	unsigned mo, d, hms;
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	if (G.framing == FR_RFC3164 && sec == G.tbuf_sec)
		return G.tbuf;
	G.tbuf_sec = sec;
	timeconv_civil_from_days(sec >= 0 ? sec / 86400 : (sec - 86399) / 86400, &y, &mo, &d);
	hms = (unsigned)(((sec % 86400) + 86400) % 86400);
	if (G.framing == FR_RFC3164)
		snprintf(G.tbuf, sizeof(G.tbuf), "%s %2u %02u:%02u:%02u " MYHOST " ",
			 mon[mo - 1], d, hms / 3600, hms / 60 % 60, hms % 60);
	else
		snprintf(G.tbuf, sizeof(G.tbuf),
			 "%04d-%02u-%02uT%02u:%02u:%02u.%06u+00:00 " MYHOST " ", y, mo, d,
			 hms / 3600, hms / 60 % 60, hms % 60, (unsigned)(t % US));
	return G.tbuf;
}

static void
flush_lines(int64_t upto)
{
	while (G.lines.n > 0 && G.lines.v[0].t <= upto) {
		struct hent e = heap_pop(&G.lines);

		if (e.t < G.end) {
			fputs(stamp(e.t), G.out);
			fputs(e.p, G.out);
		}
		mem_free(e.p);
	}
}

/* One log line at time t: "tag[pid]: text" (no pid when pid is 0). */
static void __attribute__((format(printf, 4, 5)))
emit(int64_t t, const char *tag, uint32_t pid, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;
	int n;

	if (t >= G.end || t < G.start)
		return;
	G.nlines++;
	if (G.in_attack)
		G.nattack_lines++;
	if (G.count_only)
		return;
	n = pid ? snprintf(line, sizeof(line), "%s[%" PRIu32 "]: ", tag, pid)
		: snprintf(line, sizeof(line), "%s: ", tag);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	heap_push(&G.lines, (struct hent){ t, G.seq++, 0, 0, mem_strndup(line, (size_t)n) });
}

/* qmail-send through splogger: "qmail: 1374486777.611077 text". */
static void __attribute__((format(printf, 2, 3)))
emit_qmail(int64_t t, const char *fmt, ...)
{
	char text[LINE_MAX_LEN];
	va_list ap;

	if (t >= G.end)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(t, "qmail", 0, "%" PRId64 ".%06" PRId64 " %s", t / US, t % US, text);
}

/* -------------------------------------------------------------- helpers */

static uint32_t
new_pid(struct rng *r)
{
	G.pid += 1 + rng_below(r, 9);
	if (G.pid > 32760)
		G.pid = 300 + rng_below(r, 200);
	return G.pid;
}

/* A long-running daemon's pid, replaced now and then (process restart). */
static uint32_t
daemon_pid(uint32_t *slot, struct rng *r, double p_new)
{
	if (*slot == 0 || rng_chance(r, p_new))
		*slot = new_pid(r);
	return *slot;
}

static void
ip_v4(struct netaddr *a, unsigned b0, unsigned b1, unsigned b2, unsigned b3)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->bytes[0] = (uint8_t)b0;
	a->bytes[1] = (uint8_t)b1;
	a->bytes[2] = (uint8_t)b2;
	a->bytes[3] = (uint8_t)b3;
}

/* 2001:db8:<g2>:<g3>::<lo> */
static void
ip_v6(struct netaddr *a, unsigned g2, unsigned g3, uint32_t lo)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	a->bytes[0] = 0x20;
	a->bytes[1] = 0x01;
	a->bytes[2] = 0x0d;
	a->bytes[3] = 0xb8;
	a->bytes[4] = (uint8_t)(g2 >> 8);
	a->bytes[5] = (uint8_t)g2;
	a->bytes[6] = (uint8_t)(g3 >> 8);
	a->bytes[7] = (uint8_t)g3;
	a->bytes[12] = (uint8_t)(lo >> 24);
	a->bytes[13] = (uint8_t)(lo >> 16);
	a->bytes[14] = (uint8_t)(lo >> 8);
	a->bytes[15] = (uint8_t)lo;
}

static const char *
ipstr(const struct netaddr *a, char *buf)
{
	netaddr_format(a, buf);
	return buf;
}

/* Reverse DNS as the server would log it: ISP pools have names, the rest
 * (carrier NAT, botnet hosts) are "unknown". */
static const char *
ptr_name(const struct netaddr *a, char *buf, size_t size)
{
	const uint8_t *b = a->bytes;

	if (a->family == 4 && b[0] == 198 && (b[1] == 18 || b[1] == 19))
		snprintf(buf, size, "%u-%u-%u-%u.dsl%u.example.net", b[0], b[1], b[2], b[3],
			 b[1] - 17u);
	else
		snprintf(buf, size, "unknown");
	return buf;
}

/* Random base64 text of n characters (Dovecot session ids, LMTP ids). */
static void
b64id(struct rng *r, char *buf, int n)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i;

	for (i = 0; i < n; i++)
		buf[i] = al[rng_below(r, 64)];
	buf[n] = '\0';
}

/* Postfix's delay notation: two significant digits below 10 s. */
static const char *
fmt_delay(double s, char *buf)
{
	if (s >= 10)
		snprintf(buf, 16, "%.0f", s);
	else if (s >= 1)
		snprintf(buf, 16, "%.1f", s);
	else if (s >= 0.1)
		snprintf(buf, 16, "%.2f", s);
	else if (s >= 0.005)
		snprintf(buf, 16, "%.2f", s);
	else
		snprintf(buf, 16, "0");
	if (strchr(buf, '.')) {
		size_t n = strlen(buf);

		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[n - 1] = '\0';
	}
	return buf;
}

/* Remote domain number -> name, MX name and address. */
static void
rdomain(uint32_t dom, char *buf, size_t size)
{
	static const char *tld[] = { "example.net", "example.org", "example.com" };

	snprintf(buf, size, "d%u.%s", dom, tld[dom % 3]);
}

static void
rdomain_mx(uint32_t dom, struct netaddr *ip, char *name, size_t size)
{
	uint64_t x = dom * 0x9e3779b97f4a7c15ULL;
	uint64_t h = splitmix64(&x);
	unsigned last = 1 + (unsigned)(h % 254);
	char d[32];

	rdomain(dom, d, sizeof(d));
	snprintf(name, size, "mx%u.%s", (unsigned)(h >> 8) % 3 + 1, d);
	switch ((h >> 16) % 3) {
	case 0:
		ip_v4(ip, 203, 0, 113, last);
		break;
	case 1:
		ip_v4(ip, 198, 51, 100, last);
		break;
	default:
		ip_v4(ip, 192, 0, 2, last == 25 ? 26 : last);
		break;
	}
}

static const char *first_names[] = {
	"anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ida", "jonas",
	"karin", "leo", "maria", "nils", "olga", "paul", "quentin", "rosa", "simon", "tina",
	"uwe", "vera", "walter", "xenia", "yusuf", "zoe", "adam", "bianca", "clara", "dirk",
	"emma", "frank", "gina", "hans", "irene", "jan", "katja", "lars", "mia", "noah",
	"oskar", "petra", "ralf", "sara", "tom", "ursula", "viktor", "wanda",
};
static const char *last_names[] = {
	"berg", "castro", "dahl", "eriksen", "fischer", "garcia", "hoffmann", "ivanova",
	"jansen", "keller", "lang", "moreau", "novak", "olsen", "peters", "quinn", "richter",
	"schmidt", "tanaka", "ulrich", "vogel", "weber", "xu", "young", "zimmer", "adler",
	"brandt", "costa", "dorn", "engel", "fuchs", "graf", "haas", "iversen", "jung",
	"koch", "lorenz", "meier", "nagel", "ortiz", "pohl", "roth", "sommer", "thiel",
	"ullmann", "voss", "wolf", "zeller",
};
#define NFIRST (sizeof(first_names) / sizeof(first_names[0]))
#define NLAST (sizeof(last_names) / sizeof(last_names[0]))

/* Distinct local part for index i (a seed-dependent bijection on names). */
static void
person(uint32_t i, uint32_t salt, char *buf, size_t size)
{
	uint32_t n = (uint32_t)(NFIRST * NLAST);
	uint32_t k = (uint32_t)(((uint64_t)(i % n) * 7919u + salt) % n);

	if (i / n)
		snprintf(buf, size, "%s.%s%u", first_names[k % NFIRST], last_names[k / NFIRST],
			 i / n + 1);
	else
		snprintf(buf, size, "%s.%s", first_names[k % NFIRST], last_names[k / NFIRST]);
}

/* A random remote mailbox. */
static uint32_t
remote_rcpt(struct rng *r, char *buf, size_t size, uint32_t ndom)
{
	uint32_t dom = 1 + rng_below(r, ndom);
	char d[32], lp[48];

	rdomain(dom, d, sizeof(d));
	if (rng_chance(r, 0.5))
		person(rng_below(r, 100000), 17, lp, sizeof(lp));
	else
		snprintf(lp, sizeof(lp), "%s", first_names[rng_below(r, NFIRST)]);
	snprintf(buf, size, "%s@%s", lp, d);
	return dom;
}

/* ------------------------------------------------------------- messages */

static struct msg *
msg_new(struct rng *r, int nrcpt, int64_t t)
{
	struct msg *m = mem_calloc(1, sizeof(*m) + (size_t)nrcpt * sizeof(struct rcpt));

	m->r = r;
	m->nrcpt = nrcpt;
	m->from_user = -1;
	m->t0 = t;
	G.inode += 1 + rng_below(r, 6);
	m->qnum = G.inode;
	snprintf(m->qid, sizeof(m->qid), "%05" PRIX64 "%05" PRIX32, (uint64_t)(t % US),
		 G.inode & 0xfffff);
	m->next = G.live;
	if (G.live)
		G.live->prev = m;
	G.live = m;
	return m;
}

static void
msg_free(struct msg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		G.live = m->next;
	if (m->next)
		m->next->prev = m->prev;
	mem_free(m);
}

static void
rcpt_local(struct msg *m, int i, int user)
{
	struct rcpt *rc = &m->rc[i];

	snprintf(rc->addr, sizeof(rc->addr), "%s", G.u[user].addr);
	rc->dom = (uint32_t)user;
	rc->fate = F_LOCAL;
}

/* A remote recipient with a fate drawn from the given percentages. */
static void
rcpt_remote(struct msg *m, int i, uint32_t ndom, double p_user, double p_nx,
	    double p_defer, double p_stuck)
{
	struct rcpt *rc = &m->rc[i];
	double x;

	rc->dom = remote_rcpt(m->r, rc->addr, sizeof(rc->addr), ndom);
	x = rng_unit(m->r);
	if (x < p_user)
		rc->fate = F_BOUNCE_USER;
	else if ((x -= p_user) < p_nx)
		rc->fate = F_BOUNCE_NXDOMAIN;
	else if ((x -= p_nx) < p_defer)
		rc->fate = F_DEFER_SENT;
	else if ((x -= p_defer) < p_stuck)
		rc->fate = F_DEFER_STUCK;
	else
		rc->fate = F_SENT;
	rc->need = (uint8_t)rng_range(m->r, 2, 3);
	rc->greylist = rng_chance(m->r, 0.5);
}

static uint32_t
msg_size(struct rng *r)
{
	return (uint32_t)(900 + exp(rng_unit(r) * 4.5) * 300);
}

/* The lines of qmgr taking the message in ("from=<>, size=, nrcpt="). */
static void
pf_qmgr_active(struct msg *m, int64_t t)
{
	int n = 0, i;

	for (i = 0; i < m->nrcpt; i++)
		n += !m->rc[i].done;
	emit(t, "postfix/qmgr", G.pid_qmgr, "%s: from=<%s>, size=%" PRIu32 ", nrcpt=%d (queue active)",
	     m->qid, m->from, m->size, n);
}

/* Syslog tag of a Postfix smtpd service: postfix/smtpd, postfix/submission/smtpd. */
static void
pf_tag(char *buf, size_t size, const char *service)
{
	if (strcmp(service, "smtp") == 0)
		snprintf(buf, size, "postfix/smtpd");
	else
		snprintf(buf, size, "postfix/%s/smtpd", service);
}

/* vchkpw's "(M) login success": PLAIN unless the client answered a challenge. */
static const char *
qm_mech(const char *mech)
{
	return mech && strcmp(mech, "CRAM-MD5") == 0 ? "CRAM-MD5" : "PLAIN";
}

static void
start_deliveries(struct msg *m, int64_t t)
{
	int i;

	for (i = 0; i < m->nrcpt; i++) {
		if (m->rc[i].done)
			continue;
		m->inflight++;
		t += rng_span(m->r, 0.0005, 0.004);
		sched(t, A_RCPT, (uint32_t)i, m);
	}
}

/* Queue m, which arrived over SMTP from client `host[ip]`; `user` is the SASL
 * account (mechanism m->mech) or NULL; `service` is the Postfix service /
 * vchkpw program (smtp, submission). qmail-smtpd runs as qmaild (uid 103). */
static void
msg_accept(struct msg *m, int64_t t, const char *host, const struct netaddr *ip,
	   const char *user, const char *service)
{
	char ips[NETADDR_STRLEN], tag[48], mid[96];
	uint32_t pid;

	m->size = msg_size(m->r);
	if (G.fmt == FMT_QMAIL) {
		if (user) {
			pid = new_pid(m->r);
			/* vchkpw sees LOGIN as PLAIN: user and password, no challenge */
			emit(t, "vpopmail", pid, "vchkpw-%s: (%s) login success %s:%s", service,
			     qm_mech(m->mech), user, ipstr(ip, ips));
			t += rng_span(m->r, 0.2, 2.5);
		}
		m->qp = new_pid(m->r);
		emit_qmail(t, "new msg %" PRIu64, m->qnum);
		emit_qmail(t + 13, "info msg %" PRIu64 ": bytes %" PRIu32 " from <%s> qp %" PRIu32
			   " uid 103", m->qnum, m->size, m->from, m->qp);
		start_deliveries(m, t + 20);
		return;
	}
	pf_tag(tag, sizeof(tag), user ? service : "smtp");
	pid = new_pid(m->r);
	ipstr(ip, ips);
	if (!user) {
		uint32_t port = 1024 + rng_below(m->r, 64000);

		emit(t, "postfix/postscreen", G.pid_postscreen, "CONNECT from [%s]:%" PRIu32
		     " to [" MYIP "]:25", ips, port);
		emit(t + 900, "postfix/postscreen", G.pid_postscreen, "PASS OLD [%s]:%" PRIu32,
		     ips, port);
		t += 2000;
	}
	emit(t, tag, pid, "connect from %s[%s]", host, ips);
	t += rng_span(m->r, 0.05, 0.4);
	if (user)
		emit(t, tag, pid, "%s: client=%s[%s], sasl_method=%s, sasl_username=%s", m->qid,
		     host, ips, m->mech ? m->mech : "PLAIN", user);
	else
		emit(t, tag, pid, "%s: client=%s[%s]", m->qid, host, ips);
	t += rng_span(m->r, 0.01, 0.2);
	snprintf(mid, sizeof(mid), "%08" PRIx64 "-%04" PRIx32 "@%s", rng_next(m->r) >> 32,
		 rng_below(m->r, 0x10000), strchr(m->from, '@') ? strchr(m->from, '@') + 1
		 : user ? MYFQDN : host);	/* a remote NDR: the bouncing host */
	emit(t, "postfix/cleanup", daemon_pid(&G.pid_cleanup, m->r, 0.01), "%s: message-id=<%s>",
	     m->qid, mid);
	t += rng_span(m->r, 0.002, 0.02);
	pf_qmgr_active(m, t);
	t += rng_span(m->r, 0.001, 0.05);
	if (user)
		emit(t, tag, pid, "disconnect from %s[%s] ehlo=2 starttls=1 auth=1 mail=1 rcpt=%d "
		     "data=1 quit=1 commands=%d", host, ips, m->nrcpt, 7 + m->nrcpt);
	else
		emit(t, tag, pid, "disconnect from %s[%s] ehlo=1 mail=1 rcpt=%d data=1 quit=1 "
		     "commands=%d", host, ips, m->nrcpt, 4 + m->nrcpt);
	start_deliveries(m, t);
}

/* Queue a message written on the server itself (cron mail, bounces). */
static void
msg_inject(struct msg *m, int64_t t, uint32_t uid)
{
	m->size = m->ndr ? 2500 + rng_below(m->r, 4000) : 600 + rng_below(m->r, 2000);
	if (G.fmt == FMT_QMAIL) {
		if (!m->qp)
			m->qp = new_pid(m->r);
		emit_qmail(t, "new msg %" PRIu64, m->qnum);
		emit_qmail(t + 11, "info msg %" PRIu64 ": bytes %" PRIu32 " from <%s> qp %" PRIu32
			   " uid %" PRIu32, m->qnum, m->size, m->from, m->qp, uid);
		start_deliveries(m, t + 20);
		return;
	}
	emit(t, "postfix/cleanup", daemon_pid(&G.pid_cleanup, m->r, 0.01), "%s: message-id=<%s@%s>",
	     m->qid, m->qid, MYFQDN);
	start_deliveries(m, t + 4000);
}

/* qmail's "to local" form of a vpopmail address: example.com-user@example.com */
static const char *
qmail_local(const char *addr, char *buf, size_t size)
{
	const char *at = strchr(addr, '@');

	snprintf(buf, size, "%s-%s", at ? at + 1 : MYFQDN, addr);
	return buf;
}

static void
a_rcpt(struct msg *m, int i, int64_t t)
{
	struct rcpt *rc = &m->rc[i];
	char buf[128];
	bool local = rc->fate == F_LOCAL;

	rc->tries++;
	if (G.fmt == FMT_QMAIL) {
		rc->dno = ++G.delno;
		if (local)
			G.local_used++;
		else
			G.remote_used++;
		emit_qmail(t, "starting delivery %" PRIu32 ": msg %" PRIu64 " to %s %s", rc->dno,
			   m->qnum, local ? "local" : "remote",
			   local ? qmail_local(rc->addr, buf, sizeof(buf)) : rc->addr);
		emit_qmail(t + 19, "status: local %" PRIu32 "/%d remote %" PRIu32 "/%d",
			   G.local_used > QMAIL_LOCAL_MAX ? QMAIL_LOCAL_MAX : G.local_used,
			   QMAIL_LOCAL_MAX,
			   G.remote_used > QMAIL_REMOTE_MAX ? QMAIL_REMOTE_MAX : G.remote_used,
			   QMAIL_REMOTE_MAX);
	}
	if (local)
		t += rng_span(m->r, 0.01, 0.4);
	else if (rc->fate == F_BOUNCE_NXDOMAIN || (rc->fate >= F_DEFER_SENT && !rc->greylist &&
						     rc->tries < rc->need))
		t += rng_span(m->r, 0.02, 30);	/* DNS failure, connect timeout */
	else
		t += rng_span(m->r, 0.3, 4);
	sched(t, A_RESULT, (uint32_t)i, m);
}

enum outcome { O_SENT, O_DEFERRED, O_BOUNCED };

static void
pf_result(struct msg *m, struct rcpt *rc, int64_t t, enum outcome o)
{
	char d[16], d1[16], d2[16], d3[16], d4[16], dom[32], mx[80], ips[NETADDR_STRLEN],
		idb[24];
	struct netaddr ip;
	double total = (double)(t - m->t0) / US, a, b, c, e;

	a = 0.01 + rng_unit(m->r) * 0.1;
	b = rng_unit(m->r) < 0.5 ? 0 : 0.01 + rng_unit(m->r) * 0.03;
	c = rc->fate == F_LOCAL ? rng_unit(m->r) * 0.02 : 0.02 + rng_unit(m->r) * 0.5;
	e = total - a - b - c;
	if (e < 0) {
		e = 0;
		total = a + b + c;
	}
	if (rc->tries > 1) {	/* time in the deferred queue counts as before-qmgr */
		a = total - b - c - 0.2;
		e = 0.2;
	}
	fmt_delay(total, d);
	fmt_delay(a, d1);
	fmt_delay(b, d2);
	fmt_delay(c, d3);
	fmt_delay(e, d4);
	if (rc->fate == F_LOCAL) {
		if (G.u[rc->dom].virt) {
			emit(t, "postfix/virtual", daemon_pid(&G.pid_virtual, m->r, 0.02),
			     "%s: to=<%s>, relay=virtual, delay=%s, delays=%s/%s/%s/%s, dsn=2.0.0, "
			     "status=sent (delivered to maildir)", m->qid, rc->addr, d, d1, d2, d3, d4);
		} else {
			b64id(m->r, idb, 22);
			emit(t, "postfix/lmtp", daemon_pid(&G.pid_lmtp, m->r, 0.02),
			     "%s: to=<%s>, relay=" MYFQDN "[private/dovecot-lmtp], delay=%s, "
			     "delays=%s/%s/%s/%s, dsn=2.0.0, status=sent (250 2.0.0 <%s> %s Saved)",
			     m->qid, rc->addr, d, d1, d2, d3, d4, rc->addr, idb);
		}
		return;
	}
	rdomain(rc->dom, dom, sizeof(dom));
	rdomain_mx(rc->dom, &ip, mx, sizeof(mx));
	ipstr(&ip, ips);
	if (o == O_SENT) {
		emit(t, "postfix/smtp", daemon_pid(&G.pid_smtp, m->r, 0.05),
		     "%s: to=<%s>, relay=%s[%s]:25, delay=%s, delays=%s/%s/%s/%s, dsn=2.0.0, "
		     "status=sent (250 2.0.0 Ok: queued as %05" PRIX32 "%05" PRIX32 ")", m->qid,
		     rc->addr, mx, ips, d, d1, d2, d3, d4, rng_below(m->r, 1000000),
		     rng_below(m->r, 0x100000));
	} else if (o == O_BOUNCED && rc->fate == F_BOUNCE_NXDOMAIN) {
		emit(t, "postfix/smtp", daemon_pid(&G.pid_smtp, m->r, 0.05),
		     "%s: to=<%s>, relay=none, delay=%s, delays=%s/%s/%s/0, dsn=5.4.4, "
		     "status=bounced (Host or domain name not found. Name service error for "
		     "name=%s type=A: Host not found)", m->qid, rc->addr, d, d1, d2, d3, dom);
	} else if (o == O_BOUNCED) {
		emit(t, "postfix/smtp", daemon_pid(&G.pid_smtp, m->r, 0.05),
		     "%s: to=<%s>, relay=%s[%s]:25, delay=%s, delays=%s/%s/%s/%s, dsn=5.1.1, "
		     "status=bounced (host %s[%s] said: 550 5.1.1 <%s>: Recipient address "
		     "rejected: User unknown in virtual mailbox table (in reply to RCPT TO "
		     "command))", m->qid, rc->addr, mx, ips, d, d1, d2, d3, d4, mx, ips, rc->addr);
	} else if (rc->greylist) {
		emit(t, "postfix/smtp", daemon_pid(&G.pid_smtp, m->r, 0.05),
		     "%s: to=<%s>, relay=%s[%s]:25, delay=%s, delays=%s/%s/%s/%s, dsn=4.2.0, "
		     "status=deferred (host %s[%s] said: 450 4.2.0 <%s>: Recipient address "
		     "rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html (in "
		     "reply to RCPT TO command))", m->qid, rc->addr, mx, ips, d, d1, d2, d3, d4,
		     mx, ips, rc->addr, dom);
	} else {
		emit(t, "postfix/smtp", daemon_pid(&G.pid_smtp, m->r, 0.05),
		     "%s: to=<%s>, relay=none, delay=%s, delays=%s/%s/%s/0, dsn=4.4.1, "
		     "status=deferred (connect to %s[%s]:25: Connection timed out)", m->qid,
		     rc->addr, d, d1, d2, d3, mx, ips);
	}
}

static void
qm_result(struct msg *m, struct rcpt *rc, int64_t t, enum outcome o)
{
	char dom[32], mx[80], ips[NETADDR_STRLEN];
	struct netaddr ip;
	bool local = rc->fate == F_LOCAL;

	if (local) {
		emit_qmail(t, "delivery %" PRIu32 ": success: did_0+0+1/", rc->dno);
	} else {
		rdomain(rc->dom, dom, sizeof(dom));
		rdomain_mx(rc->dom, &ip, mx, sizeof(mx));
		ipstr(&ip, ips);
		if (o == O_SENT)
			emit_qmail(t, "delivery %" PRIu32 ": success: %s_accepted_message./"
				   "Remote_host_said:_250_2.0.0_Ok:_queued_as_%05" PRIX32 "%05" PRIX32
				   "/", rc->dno, ips, rng_below(m->r, 1000000),
				   rng_below(m->r, 0x100000));
		else if (o == O_BOUNCED && rc->fate == F_BOUNCE_NXDOMAIN)
			emit_qmail(t, "delivery %" PRIu32 ": failure: Sorry,_I_couldn't_find_any_"
				   "host_named_%s._(#5.1.2)/", rc->dno, dom);
		else if (o == O_BOUNCED)
			emit_qmail(t, "delivery %" PRIu32 ": failure: %s_does_not_like_recipient./"
				   "Remote_host_said:_550_5.1.1_<%s>:_Recipient_address_rejected:_User_"
				   "unknown_in_virtual_mailbox_table/Giving_up_on_%s./", rc->dno, ips,
				   rc->addr, ips);
		else if (rc->greylist)
			emit_qmail(t, "delivery %" PRIu32 ": deferral: %s_does_not_like_recipient./"
				   "Remote_host_said:_451_4.7.1_Greylisted,_please_try_again_later/"
				   "Giving_up_on_%s./", rc->dno, ips, ips);
		else
			emit_qmail(t, "delivery %" PRIu32 ": deferral: Sorry,_I_wasn't_able_to_"
				   "establish_an_SMTP_connection._(#4.4.1)/", rc->dno);
	}
	if (local && G.local_used)
		G.local_used--;
	else if (!local && G.remote_used)
		G.remote_used--;
	emit_qmail(t + 17, "status: local %" PRIu32 "/%d remote %" PRIu32 "/%d",
		   G.local_used > QMAIL_LOCAL_MAX ? QMAIL_LOCAL_MAX : G.local_used, QMAIL_LOCAL_MAX,
		   G.remote_used > QMAIL_REMOTE_MAX ? QMAIL_REMOTE_MAX : G.remote_used,
		   QMAIL_REMOTE_MAX);
}

static struct msg *
ndr_new(struct msg *orig, int64_t t)
{
	struct msg *n = msg_new(orig->r, 1, t);

	n->ndr = true;
	n->attack = orig->attack;
	n->from[0] = '\0';
	if (orig->from_user >= 0) {
		rcpt_local(n, 0, orig->from_user);
	} else {
		snprintf(n->rc[0].addr, sizeof(n->rc[0].addr), "%s", orig->from);
		n->rc[0].fate = F_SENT;
		n->rc[0].dom = 1 + rng_below(orig->r, 4000);
	}
	return n;
}

/* Every recipient has a final status, or gave up for this run: bounce and
 * remove, as the MTA would. */
static void
msg_finish(struct msg *m, int64_t t)
{
	bool stuck = false;
	struct msg *n = NULL;
	int i;

	for (i = 0; i < m->nrcpt; i++)
		stuck |= m->rc[i].done == 2;
	if (m->nfailed > 0 && !m->ndr && m->from[0])
		n = ndr_new(m, t);
	if (G.fmt == FMT_QMAIL) {
		if (n) {
			n->qp = new_pid(m->r);
			emit_qmail(t + 3000, "bounce msg %" PRIu64 " qp %" PRIu32, m->qnum, n->qp);
		}
		if (!stuck)
			emit_qmail(t + 3100, "end msg %" PRIu64, m->qnum);
		if (n)
			msg_inject(n, t + 3500, 107);
	} else {
		if (n) {
			emit(t + 3000, "postfix/cleanup", daemon_pid(&G.pid_cleanup, m->r, 0.01),
			     "%s: message-id=<%s@%s>", n->qid, n->qid, MYFQDN);
			emit(t + 3400, "postfix/bounce", daemon_pid(&G.pid_bounce, m->r, 0.05),
			     "%s: sender non-delivery notification: %s", m->qid, n->qid);
			n->size = 2500 + rng_below(m->r, 4000);
			pf_qmgr_active(n, t + 3900);
			start_deliveries(n, t + 4000);
		}
		if (!stuck)
			emit(t + 5000, "postfix/qmgr", G.pid_qmgr, "%s: removed", m->qid);
	}
	msg_free(m);
}

static void
a_result(struct msg *m, int i, int64_t t)
{
	struct rcpt *rc = &m->rc[i];
	enum outcome o = O_SENT;
	int j;
	bool more = false;

	switch (rc->fate) {
	case F_BOUNCE_USER:
	case F_BOUNCE_NXDOMAIN:
		o = O_BOUNCED;
		break;
	case F_DEFER_SENT:
		o = rc->tries < rc->need ? O_DEFERRED : O_SENT;
		break;
	case F_DEFER_STUCK:
		o = O_DEFERRED;
		break;
	default:
		break;
	}
	if (G.fmt == FMT_QMAIL)
		qm_result(m, rc, t, o);
	else
		pf_result(m, rc, t, o);
	if (o == O_BOUNCED) {
		rc->done = 1;
		m->nfailed++;
	} else if (o == O_SENT) {
		rc->done = 1;
	} else if (rc->tries >= 4) {
		rc->done = 2;		/* still queued when the log ends */
	}
	if (--m->inflight > 0)
		return;
	for (j = 0; j < m->nrcpt; j++)
		more |= !m->rc[j].done;
	if (more) {
		int k = 0;

		for (j = 0; j < m->nrcpt; j++)
			if (!m->rc[j].done && m->rc[j].tries > k)
				k = m->rc[j].tries;
		/* qmail: about (20 + sqrt(age))^2; Postfix: 300 s doubling */
		sched(t + (int64_t)(400 * US) * (1 << (k - 1)) + rng_span(m->r, 0, 120), A_RETRY,
		      0, m);
		return;
	}
	msg_finish(m, t);
}

static void
a_retry(struct msg *m, int64_t t)
{
	if (G.fmt == FMT_POSTFIX)
		pf_qmgr_active(m, t);
	start_deliveries(m, t + 500);
}

/* ---------------------------------------------------------- logins */

/* A mail client logs in to read mail: IMAP through Dovecot, or POP3 through
 * vchkpw. ok = false: wrong password (known user) or unknown user. mech: the
 * mechanism of a successful login (NULL: PLAIN). */
static void
login_read(struct rng *r, int64_t t, const char *user, const struct netaddr *ip, bool pop3,
	   bool ok, bool known, const char *mech)
{
	char ips[NETADDR_STRLEN], sess[20];
	const char *svc = pop3 ? "pop3" : "imap";

	ipstr(ip, ips);
	if (G.fmt == FMT_QMAIL) {
		uint32_t pid = new_pid(r);

		if (ok)
			emit(t, "vpopmail", pid, "vchkpw-%s: (%s) login success %s:%s", svc,
			     qm_mech(mech), user, ips);
		else if (known)
			emit(t, "vpopmail", pid, "vchkpw-%s: password fail %s:%s", svc, user, ips);
		else
			emit(t, "vpopmail", pid, "vchkpw-%s: vpopmail user not found %s:%s", svc, user,
			     ips);
		return;
	}
	b64id(r, sess, 16);
	if (ok) {
		uint32_t mpid = new_pid(r);

		emit(t, "dovecot", 0, "%s-login: Login: user=<%s>, method=%s, rip=%s, lip=" MYIP
		     ", mpid=%" PRIu32 ", TLS, session=<%s>", svc, user, mech ? mech : "PLAIN", ips,
		     mpid, sess);
		if (!pop3)
			emit(t + rng_span(r, 0.2, 40), "dovecot", 0,
			     "imap(%s): Logged out in=%d out=%d", user, rng_range(r, 60, 900),
			     rng_range(r, 400, 90000));
		return;
	}
	G.authreq++;
	if (known)
		emit(t, "dovecot", 0, "auth-worker(%" PRIu32 "): conn unix:auth-worker (pid=%" PRIu32
		     ",uid=109): auth-worker<%" PRIu32 ">: sql(%s,%s,<%s>): Password mismatch",
		     G.pid_auth, G.pid_authmaster, G.authreq, user, ips, sess);
	else
		emit(t, "dovecot", 0, "auth-worker(%" PRIu32 "): conn unix:auth-worker (pid=%" PRIu32
		     ",uid=109): auth-worker<%" PRIu32 ">: sql(%s,%s): unknown user", G.pid_auth,
		     G.pid_authmaster, G.authreq, user, ips);
	emit(t + rng_span(r, 1.5, 2.5), "dovecot", 0, "%s-login: Disconnected (auth failed, 1 "
	     "attempts in 2 secs): user=<%s>, method=PLAIN, rip=%s, lip=" MYIP ", TLS, "
	     "session=<%s>", svc, user, ips, sess);
}

/* A failed SMTP AUTH (submission/smtps/smtp). */
static void
login_smtp_fail(struct rng *r, int64_t t, const char *user, const struct netaddr *ip,
		const char *service, bool known)
{
	char ips[NETADDR_STRLEN], host[80], tag[48], sess[20];
	uint32_t pid = new_pid(r);

	ipstr(ip, ips);
	if (G.fmt == FMT_QMAIL) {
		if (known)
			emit(t, "vpopmail", pid, "vchkpw-%s: password fail %s:%s", service, user, ips);
		else
			emit(t, "vpopmail", pid, "vchkpw-%s: vpopmail user not found %s:%s", service,
			     user, ips);
		return;
	}
	ptr_name(ip, host, sizeof(host));
	pf_tag(tag, sizeof(tag), service);
	emit(t, tag, pid, "connect from %s[%s]", host, ips);
	t += rng_span(r, 0.3, 2);
	b64id(r, sess, 16);
	G.authreq++;
	if (known)
		emit(t, "dovecot", 0, "auth-worker(%" PRIu32 "): conn unix:auth-worker (pid=%" PRIu32
		     ",uid=109): auth-worker<%" PRIu32 ">: sql(%s,%s,<%s>): Password mismatch",
		     G.pid_auth, G.pid_authmaster, G.authreq, user, ips, sess);
	else
		emit(t, "dovecot", 0, "auth-worker(%" PRIu32 "): conn unix:auth-worker (pid=%" PRIu32
		     ",uid=109): auth-worker<%" PRIu32 ">: sql(%s,%s): unknown user", G.pid_auth,
		     G.pid_authmaster, G.authreq, user, ips);
	t += rng_span(r, 1.5, 2.5);
	emit(t, tag, pid, "warning: %s[%s]: SASL LOGIN authentication failed: (reason "
	     "unavailable), sasl_username=%s", host, ips, user);
	emit(t + rng_span(r, 0.01, 0.5), tag, pid, "disconnect from %s[%s] ehlo=1 auth=0/1 "
	     "commands=1/2", host, ips);
}

/* ---------------------------------------------------------- population */

static void
user_ip(struct user *u, struct rng *r, struct netaddr *a)
{
	if (u->cls == U_MOBILE)
		ip_v4(a, 100, 64 + (u->net16 & 3), rng_below(r, 256), 1 + rng_below(r, 254));
	else	/* 198.18-19.240-255.x are the ISPs' infected hosts (noise) */
		ip_v4(a, 198, 18 + (u->net16 & 1), rng_below(r, 240), 1 + rng_below(r, 254));
}

/* A multi-device user's phone: a carrier address in 100.64.0.0/14. */
static void
phone_ip(struct user *u, struct rng *r)
{
	ip_v4(&u->ip[2], 100, 64 + (u->net16 & 3), rng_below(r, 256), 1 + rng_below(r, 254));
}

/* An office user who also reads mail at home (ip[1]) and on a phone (ip[2]). */
static void
make_multi(struct user *u, struct rng *r)
{
	u->multi = true;
	ip_v4(&u->ip[1], 198, 18 + (u->net16 & 1), rng_below(r, 240), 1 + rng_below(r, 254));
	phone_ip(u, r);
	u->nip = 3;
}

static void
population(void)
{
	struct rng r;
	int n = G.users, i, nbulk, office = -1, office_left = 0, member = 0, nmulti = 0;
	bool office_stale = false;
	struct netaddr office_ip;
	uint32_t salt;

	rng_seed(&r, G.seed, 1);
	salt = rng_below(&r, NFIRST * NLAST);
	nbulk = (n + 399) / 400;	/* one newsletter and one notifier per 400 accounts */
	G.nu = n + 2 * nbulk;
	G.u = mem_calloc((size_t)G.nu, sizeof(*G.u));
	memset(&office_ip, 0, sizeof(office_ip));
	for (i = 0; i < n; i++) {
		struct user *u = &G.u[i];
		char lp[48];
		double x = rng_unit(&r);

		person((uint32_t)i, salt, lp, sizeof(lp));
		u->virt = rng_chance(&r, 0.25);
		snprintf(u->addr, sizeof(u->addr), "%s@%s", lp, u->virt ? "example.org" : "example.com");
		u->pop3 = rng_chance(&r, 0.1);	/* drawn in both formats: same people */
		u->pop3 |= G.fmt == FMT_QMAIL;
		u->login = rng_chance(&r, 0.2);
		u->net16 = rng_below(&r, 4);
		if (i == 1 && n >= 5) {
			int c;

			u->cls = U_TRAVEL;	/* 3 countries, 1-2 addresses each */
			for (c = 0; c < 3; c++)
				ip_v4(&u->ip[c], 100, 120 + 2 * (unsigned)c + rng_below(&r, 2),
				      rng_below(&r, 256), 1 + rng_below(&r, 254));
			ip_v6(&u->ip[3], 0x7a00 + rng_below(&r, 256), rng_below(&r, 0x10000),
			      rng_next(&r) & 0xffffffff);
			u->nip = 4;
		} else if (x < 0.45) {
			u->cls = U_HOME;
			user_ip(u, &r, &u->ip[0]);
			u->nip = 1;
			if (rng_chance(&r, 0.4)) {	/* dynamic address: a second lease */
				u->ip[1] = u->ip[0];
				u->ip[1].bytes[2] = (uint8_t)rng_below(&r, 256);
				u->nip = 2;
			} else if (rng_chance(&r, 0.3)) {
				ip_v6(&u->ip[1], 0x1000 + (u->net16 & 1),
				      rng_below(&r, 0x10000), 1 + rng_below(&r, 0xffff));
				u->nip = 2;
			}
		} else if (x < 0.8) {
			u->cls = U_OFFICE;
			if (office_left == 0) {	/* a new office behind one NAT address */
				office++;
				office_left = rng_range(&r, 8, 60);
				ip_v4(&office_ip, 198, 19, 200 + office % 50, 1 + rng_below(&r, 254));
				member = 0;
				/* the first office has a phone with a stale password, later
				 * ones every other time: its first member's */
				office_stale = office == 0 || rng_chance(&r, 0.5);
			}
			office_left--;
			u->ip[0] = office_ip;
			u->nip = 1;
			if (member++ == 0 && office_stale)
				u->stale = true;
			else if (rng_chance(&r, 0.15) && ++nmulti)
				make_multi(u, &r);
		} else {
			u->cls = U_MOBILE;
			user_ip(u, &r, &u->ip[0]);
			u->nip = 1;
		}
	}
	/* at least two users read mail at the office, at home and on a phone */
	for (i = 0; i < n && nmulti < 2; i++)
		if (G.u[i].cls == U_OFFICE && !G.u[i].stale && !G.u[i].multi) {
			make_multi(&G.u[i], &r);
			nmulti++;
		}
	/* each bulk sender draws from its own streams: its volume does not
	 * depend on the population's size (--lines relies on that) */
	G.brng = mem_calloc((size_t)(2 * nbulk * 2), sizeof(*G.brng));
	for (i = 0; i < 4 * nbulk; i++)
		rng_seed(&G.brng[i], G.seed, 1000 + (uint64_t)i);
	for (i = n; i < G.nu; i++) {
		struct user *u = &G.u[i];
		unsigned k = (unsigned)(i - n) % (unsigned)nbulk;

		u->bk = i - n;
		if (i < n + nbulk) {
			u->cls = U_BULK;
			snprintf(u->addr, sizeof(u->addr), "news%u@example.org", k + 1);
			ip_v4(&u->ip[0], 198, 18, 100, 20 + k % 200);
		} else {
			u->cls = U_NOTIFY;
			snprintf(u->addr, sizeof(u->addr), "notify%u@example.com", k + 1);
			ip_v4(&u->ip[0], 198, 18, 101, 20 + k % 200);
		}
		u->nip = 1;
	}
	if (n >= 1 && G.sc && strcmp(G.sc->name, "incident1") == 0) {
		snprintf(G.u[0].addr, sizeof(G.u[0].addr), "hello@example.com");
		G.u[0].virt = false;
	}
}

static bool
weekend(int64_t t)
{
	int64_t d = t / DAY;

	return (d + 4) % 7 == 0 || (d + 4) % 7 == 6;
}

static int64_t
hh(double h)
{
	return (int64_t)(h * (double)HOUR);
}

/* Add a client session [t0, t1) from address u->ip[ip] to today's plan. */
static void
add_win(struct user *u, int64_t t0, int64_t t1, int ip)
{
	if (u->nwin >= 3 || t1 <= t0)
		return;
	u->win[u->nwin][0] = t0;
	u->win[u->nwin][1] = t1;
	u->wip[u->nwin] = (uint8_t)ip;
	u->nwin++;
}

/* Plan one user's day: client sessions, phone, messages sent and received.
 * Sessions never overlap and end before midnight, so no poll chain runs into
 * the next day's plan. */
static void
a_userday(int ui, int64_t day)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.rb;
	int nsend = 0, nin, i, ip;
	int64_t busy = 0, t0, t1;
	bool wd = !weekend(day);

	if (day + DAY < G.end)
		sched(day + DAY, A_USERDAY, (uint32_t)ui, NULL);
	if (u->cls == U_BULK || u->cls == U_NOTIFY) {
		sched(day, A_BULKDAY, (uint32_t)ui, NULL);
		return;
	}
	u->nwin = 0;
	u->wi = 0;
	u->ph_start = u->ph_end = u->ph_fail0 = u->ph_fail1 = 0;
	switch (u->cls) {
	case U_OFFICE:
		if (u->multi) {		/* breakfast at home */
			t0 = day + hh(6) + rng_span(r, 0, 2700);
			add_win(u, t0, t0 + rng_span(r, 1200, 2400), 1);
		}
		if (wd) {
			add_win(u, day + hh(7.5) + rng_span(r, 0, 5400),
				day + hh(16.5) + rng_span(r, 0, 7200), 0);
			nsend = rng_range(r, 2, 12);
			u->typo = rng_chance(r, 0.07);
		} else if (rng_chance(r, 0.2)) {
			t0 = day + hh(10) + rng_span(r, 0, 7200);
			add_win(u, t0, t0 + hh(1), 0);
			nsend = rng_range(r, 0, 2);
		}
		if (u->multi) {		/* the evening at home, the phone all day */
			t0 = day + hh(19) + rng_span(r, 0, 5400);
			add_win(u, t0, t0 + rng_span(r, 3600, 3 * 3600), 1);
			nsend += rng_range(r, 0, 2);
			u->ph_start = day + hh(7) + rng_span(r, 0, 3600);
			u->ph_end = day + hh(22) + rng_span(r, 0, 3600);
		} else if (u->stale && wd) {	/* the phone on the office Wi-Fi */
			u->ph_start = u->win[0][0] + rng_span(r, 0, 1800);
			u->ph_end = u->win[0][1] - rng_span(r, 0, 1800);
			if ((day / DAY + (u->net16 >> 1)) % 2 == 0) {	/* every other day */
				u->ph_fail0 = u->ph_start + rng_span(r, 0, 2 * 3600);
				u->ph_fail1 = u->ph_fail0 + rng_span(r, 2 * 3600, 5 * 3600);
			}
		}
		break;
	case U_HOME:
		ip = u->nip > 1 && rng_chance(r, 0.5);
		if (rng_chance(r, 0.5) || !wd) {
			t0 = day + hh(6.5) + rng_span(r, 0, 5400);
			add_win(u, t0, t0 + rng_span(r, 1200, 3600), ip);
		}
		t0 = day + hh(17.5) + rng_span(r, 0, 7200);
		t1 = t0 + rng_span(r, 3600, 5 * 3600);
		add_win(u, t0, t1 < day + hh(23.9) ? t1 : day + hh(23.9), ip);
		nsend = rng_range(r, 0, 4);
		break;
	case U_MOBILE:
	case U_TRAVEL:
		ip = 0;
		if (u->cls == U_TRAVEL) {	/* a new country every two days */
			ip = (int)((day - G.start) / DAY / 2 % 3);
			if (rng_chance(r, 0.3))
				ip = 3;
		}
		t0 = day + hh(6.5) + rng_span(r, 0, 3600);
		add_win(u, t0, day + hh(22.5) + rng_span(r, 0, 3600), ip);
		nsend = rng_range(r, 0, 3);
		break;
	default:
		break;
	}
	while (u->wi < u->nwin && u->win[u->wi][1] <= G.now)	/* the log starts mid-day */
		u->wi++;
	if (u->wi < u->nwin) {
		t0 = u->win[u->wi][0];
		sched(t0 > G.now ? t0 : G.now, A_POLL, (uint32_t)ui, NULL);
	}
	if (u->ph_end > u->ph_start)
		sched(u->ph_start > G.now ? u->ph_start : G.now, A_PHONE, (uint32_t)ui, NULL);
	for (i = 0; i < u->nwin; i++)
		busy += u->win[i][1] - u->win[i][0];
	for (i = 0; i < nsend && busy > 0; i++) {	/* sends fall inside sessions */
		int64_t off = (int64_t)(rng_unit(r) * (double)busy);
		int w;

		for (w = 0; w < u->nwin; w++) {
			int64_t len = u->win[w][1] - u->win[w][0];

			if (off < len) {
				sched(u->win[w][0] + off, A_SEND, (uint32_t)ui, NULL);
				break;
			}
			off -= len;
		}
	}
	nin = rng_range(r, 3, 14);
	for (i = 0; i < nin; i++)
		sched(day + (int64_t)(rng_unit(r) * (double)DAY), A_INBOUND, (uint32_t)ui, NULL);
}

static void
a_poll(int ui, int64_t t)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.rb;
	int64_t next;

	if (u->wi >= u->nwin || t >= u->win[u->wi][1])
		return;
	if (u->cls == U_MOBILE && rng_chance(r, 0.06))
		user_ip(u, r, &u->ip[0]);	/* the carrier moved the phone */
	if (u->typo) {			/* wrong password first, then the right one */
		u->typo = false;
		login_read(r, t, u->addr, &u->ip[u->wip[u->wi]], u->pop3, false, true, NULL);
		sched(t + rng_span(r, 8, 60), A_POLL, (uint32_t)ui, NULL);
		return;
	}
	login_read(r, t, u->addr, &u->ip[u->wip[u->wi]], u->pop3, true, true, NULL);
	switch (u->cls) {
	case U_OFFICE:
		next = t + rng_span(r, 120, 300);
		break;
	case U_HOME:
		next = t + rng_span(r, 300, 600);
		break;
	default:
		next = t + rng_span(r, 600, 1200);
		break;
	}
	if (next >= u->win[u->wi][1]) {
		if (++u->wi >= u->nwin)
			return;
		next = u->win[u->wi][0] > t ? u->win[u->wi][0] : t + 60 * US;
	}
	sched(next, A_POLL, (uint32_t)ui, NULL);
}

/* The phone of a multi-device user (carrier network, all day), or of a user
 * whose phone kept an old password (office Wi-Fi, so the office's NAT
 * address): it fails in [ph_fail0, ph_fail1), every 5-15 minutes, while the
 * desktop behind the same address logs in fine. */
static void
a_phone(int ui, int64_t t)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.rb;
	bool ok = t < u->ph_fail0 || t >= u->ph_fail1;

	if (t < u->ph_start || t >= u->ph_end)
		return;
	if (u->multi && rng_chance(r, 0.15))
		phone_ip(u, r);
	login_read(r, t, u->addr, &u->ip[u->multi ? 2 : 0], u->pop3, ok, true, NULL);
	sched(t + (u->multi ? rng_span(r, 900, 1800) : rng_span(r, 300, 900)), A_PHONE,
	      (uint32_t)ui, NULL);
}

static void
a_send(int ui, int64_t t)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.rb;
	int n = rng_chance(r, 0.8) ? 1 : rng_range(r, 2, 4), i, w;
	struct msg *m = msg_new(r, n, t);
	const struct netaddr *ip;
	char host[80];

	for (w = 0; w + 1 < u->nwin && t >= u->win[w][1]; w++)
		;
	ip = &u->ip[u->nwin > 0 ? u->wip[w] : 0];
	snprintf(m->from, sizeof(m->from), "%s", u->addr);
	m->from_user = ui;
	m->mech = u->login ? "LOGIN" : "PLAIN";
	for (i = 0; i < n; i++) {
		if (rng_chance(r, 0.3) && G.users > 1)
			rcpt_local(m, i, (int)rng_below(r, (uint32_t)G.users));
		else
			rcpt_remote(m, i, 4000, 0.008, 0.002, 0.02, 0.001);
	}
	msg_accept(m, t, ptr_name(ip, host, sizeof(host)), ip, u->addr,
		   G.fmt == FMT_QMAIL ? "smtp" : "submission");
}

static void
a_inbound(int ui, int64_t t)
{
	struct rng *r = &G.rb;
	struct msg *m = msg_new(r, 1, t);
	uint32_t dom = 1 + rng_below(r, 4000);
	char d[32], host[96], lp[48];
	struct netaddr ip;

	rdomain(dom, d, sizeof(d));
	rdomain_mx(dom, &ip, host, sizeof(host));
	if (rng_chance(r, 0.4))
		snprintf(lp, sizeof(lp), "newsletter");
	else
		person(rng_below(r, 100000), 17, lp, sizeof(lp));
	snprintf(m->from, sizeof(m->from), "%s@%s", lp, d);
	rcpt_local(m, 0, ui);
	memcpy(host, "out", 3);		/* outbound relays: out1.dN..., not mx1 */
	msg_accept(m, t, host, &ip, NULL, "smtp");
}

/* The bulk senders' day: the newsletter sends one or two campaigns; the
 * notifier sends 2500-4500 messages from 06:00 to 22:00 (a third of that at
 * weekends). Both are scaled by bulk_frac. */
static void
a_bulkday(int ui, int64_t day)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.brng[2 * u->bk];
	int64_t t;

	if (u->cls == U_NOTIFY) {
		double n = rng_range(r, 2500, 4500) * G.bulk_frac * (weekend(day) ? 0.3 : 1);

		t = day + hh(6) + rng_span(r, 0, 1800);
		u->bulk_end = day + hh(22) + rng_span(r, 0, 1800);
		u->bulk_gap = (double)(u->bulk_end - t) / US / (n < 1 ? 1 : n);
		sched(t, A_NOTIFY, (uint32_t)ui, NULL);
		return;
	}
	t = day + hh(9) + rng_span(r, 0, 3 * 3600);
	u->bulk_end = t + (int64_t)((double)rng_span(r, 2400, 5400) * G.bulk_frac);
	sched(t, A_BULK, (uint32_t)ui, NULL);
	if (rng_chance(r, 0.6)) {
		int64_t t2 = day + hh(15) + rng_span(r, 0, 3 * 3600);

		sched(t2, A_BULK, (uint32_t)ui, (void *)1);
	}
}

static void
a_bulk(int ui, int64_t t, bool second)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.brng[2 * u->bk + 1];
	int n = rng_range(r, 1, 3), i;
	struct msg *m = msg_new(r, n, t);
	char host[80];

	if (second)		/* the afternoon campaign starts */
		u->bulk_end = t + (int64_t)((double)rng_span(&G.brng[2 * u->bk], 2400, 5400) *
					    G.bulk_frac);
	snprintf(m->from, sizeof(m->from), "%s", u->addr);
	m->from_user = ui;
	for (i = 0; i < n; i++)
		rcpt_remote(m, i, 4000, 0.012, 0.003, 0.02, 0.002);
	snprintf(host, sizeof(host), "mailer.example.org");
	msg_accept(m, t, host, &u->ip[0], u->addr, G.fmt == FMT_QMAIL ? "smtp" : "submission");
	t += rng_span(r, 0.5, 4.5);
	if (t < u->bulk_end)
		sched(t, A_BULK, (uint32_t)ui, NULL);
}

/* One notification (a ticket, an invoice): one or two recipients, some of
 * them local, from the application server's fixed address. */
static void
a_notify(int ui, int64_t t)
{
	struct user *u = &G.u[ui];
	struct rng *r = &G.brng[2 * u->bk + 1];
	int n = rng_chance(r, 0.9) ? 1 : 2, i;
	struct msg *m = msg_new(r, n, t);
	char host[80];

	snprintf(m->from, sizeof(m->from), "%s", u->addr);
	m->from_user = ui;
	for (i = 0; i < n; i++) {
		if (rng_chance(r, 0.15) && G.users > 0)
			rcpt_local(m, i, (int)rng_below(r, (uint32_t)G.users));
		else
			rcpt_remote(m, i, 4000, 0.025, 0.004, 0.02, 0.002);
	}
	snprintf(host, sizeof(host), "app%u.example.com", u->ip[0].bytes[3] - 19u);
	msg_accept(m, t, host, &u->ip[0], u->addr, G.fmt == FMT_QMAIL ? "smtp" : "submission");
	t += rng_exp_us(r, u->bulk_gap);
	if (t < u->bulk_end)
		sched(t, A_NOTIFY, (uint32_t)ui, NULL);
}

/* ---------------------------------------------------------------- noise */

static const char *probe_names[] = {
	"admin", "info", "test", "sales", "office", "webmaster", "support", "contact", "user",
	"marketing", "backup", "scanner", "mail", "noreply", "postmaster", "billing",
};
#define NPROBE (sizeof(probe_names) / sizeof(probe_names[0]))

/* An address of the internet's background noise, spread so that a large
 * population does not concentrate its noise on the few documentation IPv4
 * addresses (198.51.100.128/25 is left to the scenarios): IPv6 for Postfix,
 * the ISPs' 198.18-19.240-255.x for IPv4-only qmail. */
static void
noise_ip(struct rng *r, struct netaddr *a)
{
	double p_v4 = 40.0 / (G.users + 40);

	if (G.fmt == FMT_QMAIL && !rng_chance(r, p_v4)) {	/* qmail: IPv4 only */
		ip_v4(a, 198, 18 + rng_below(r, 2), 240 + rng_below(r, 16), 1 + rng_below(r, 254));
	} else if (rng_chance(r, p_v4)) {
		if (rng_chance(r, 0.5))
			ip_v4(a, 203, 0, 113, 1 + rng_below(r, 254));
		else
			ip_v4(a, 198, 51, 100, 1 + rng_below(r, 126));
	} else {
		ip_v6(a, 0xf000 + rng_below(r, 0x1000), rng_below(r, 0x10000),
		      rng_next(r) & 0xffffffff);
	}
}

static void
noise_name(struct rng *r, char *buf, size_t size)
{
	const char *n = probe_names[rng_below(r, NPROBE)];

	if (G.fmt == FMT_QMAIL && rng_chance(r, 0.5))
		snprintf(buf, size, "%s@", n);	/* vchkpw: no domain given */
	else if (G.fmt == FMT_POSTFIX && rng_chance(r, 0.5))
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "%s@%s", n, rng_chance(r, 0.7) ? "example.com" : "example.org");
}

static void
noise_postfix(struct rng *r, int64_t t, const struct netaddr *ip)
{
	char ips[NETADDR_STRLEN], who[64], to[96], from[96];
	uint32_t port = 1024 + rng_below(r, 64000), pid, x = rng_below(r, 100);
	int i, n;

	ipstr(ip, ips);
	if (x < 40) {		/* a spam bot fails postscreen */
		emit(t, "postfix/postscreen", G.pid_postscreen, "CONNECT from [%s]:%" PRIu32
		     " to [" MYIP "]:25", ips, port);
		if (ip->family == 4) {
			emit(t + rng_span(r, 0.01, 0.1), "postfix/dnsblog",
			     daemon_pid(&G.pid_dnsblog, r, 0.02),
			     "addr %s listed by domain zen.spamhaus.org as 127.0.0.%d", ips,
			     rng_chance(r, 0.5) ? 2 : 11);
		}
		t += rng_span(r, 0.1, 0.4);
		if (rng_chance(r, 0.5)) {
			emit(t, "postfix/postscreen", G.pid_postscreen, "PREGREET 11 after %.2f from "
			     "[%s]:%" PRIu32 ": EHLO User\\r\\n", (double)rng_range(r, 5, 90) / 100,
			     ips, port);
			emit(t + 500, "postfix/postscreen", G.pid_postscreen,
			     "DNSBL rank 3 for [%s]:%" PRIu32, ips, port);
		} else {
			emit(t, "postfix/postscreen", G.pid_postscreen,
			     "DNSBL rank 3 for [%s]:%" PRIu32, ips, port);
			t += rng_span(r, 2, 8);
			emit(t, "postfix/postscreen", G.pid_postscreen, "HANGUP after %.1f from [%s]:%"
			     PRIu32 " in tests after SMTP handshake",
			     (double)rng_range(r, 20, 80) / 10, ips, port);
		}
		emit(t + rng_span(r, 0.1, 0.6), "postfix/postscreen", G.pid_postscreen,
		     "DISCONNECT [%s]:%" PRIu32, ips, port);
	} else if (x < 65) {	/* password guessing on accounts that do not exist */
		n = rng_range(r, 1, 4);
		for (i = 0; i < n; i++) {
			noise_name(r, who, sizeof(who));
			login_smtp_fail(r, t, who, ip, rng_chance(r, 0.5) ? "submission" : "smtps",
					false);
			t += rng_span(r, 3, 25);
		}
	} else if (x < 75) {	/* open relay test */
		pid = new_pid(r);
		remote_rcpt(r, to, sizeof(to), 60000);
		remote_rcpt(r, from, sizeof(from), 60000);
		emit(t, "postfix/smtpd", pid, "connect from unknown[%s]", ips);
		t += rng_span(r, 0.3, 2);
		emit(t, "postfix/smtpd", pid, "NOQUEUE: reject: RCPT from unknown[%s]: 454 4.7.1 <%s>: "
		     "Relay access denied; from=<%s> to=<%s> proto=ESMTP helo=<%s>", ips, to, from,
		     to, rng_chance(r, 0.5) ? "User" : MYIP);
		emit(t + rng_span(r, 0.05, 1), "postfix/smtpd", pid, "disconnect from unknown[%s] "
		     "ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", ips);
	} else if (x < 90) {	/* IMAP password guessing */
		n = rng_range(r, 1, 3);
		for (i = 0; i < n; i++) {
			noise_name(r, who, sizeof(who));
			login_read(r, t, who, ip, rng_chance(r, 0.3), false, false, NULL);
			t += rng_span(r, 3, 20);
		}
	} else {		/* a real sender, a wrong or stale address */
		uint32_t dom = 1 + rng_below(r, 4000);
		char host[96], d[64];
		struct netaddr mip;

		rdomain(dom, d, sizeof(d));
		rdomain_mx(dom, &mip, host, sizeof(host));
		memcpy(host, "out", 3);
		ipstr(&mip, ips);
		pid = new_pid(r);
		person(rng_below(r, 100000), 3, who, sizeof(who));
		emit(t, "postfix/smtpd", pid, "connect from %s[%s]", host, ips);
		t += rng_span(r, 0.1, 0.8);
		emit(t, "postfix/smtpd", pid, "NOQUEUE: reject: RCPT from %s[%s]: 550 5.1.1 <%s@%s>: "
		     "Recipient address rejected: User unknown in virtual mailbox table; "
		     "from=<newsletter@%s> to=<%s@%s> proto=ESMTP helo=<%s>", host, ips, who,
		     rng_chance(r, 0.7) ? "example.com" : "example.org", d, who,
		     rng_chance(r, 0.7) ? "example.com" : "example.org", host);
		emit(t + rng_span(r, 0.05, 0.5), "postfix/smtpd", pid, "disconnect from %s[%s] ehlo=1 "
		     "mail=1 rcpt=0/1 quit=1 commands=3/4", host, ips);
	}
}

static void
noise_qmail(struct rng *r, int64_t t, const struct netaddr *ip)
{
	char ips[NETADDR_STRLEN], who[64];
	uint32_t x = rng_below(r, 100);
	int i, n;

	ipstr(ip, ips);
	if (x < 30 && ip->family == 4) {	/* tcpserver's rblsmtpd turns it away */
		emit_qmail(t, "rblsmtpd: %s pid %" PRIu32 " sbl-xbl.spamhaus.org: 451 "
			   "http://www.spamhaus.org/query/bl?ip=%s", ips, new_pid(r), ips);
		return;
	}
	n = rng_range(r, 1, 4);
	for (i = 0; i < n; i++) {
		noise_name(r, who, sizeof(who));
		if (x < 75)
			login_smtp_fail(r, t, who, ip, "smtp", false);
		else
			login_read(r, t, who, ip, true, false, false, NULL);
		t += rng_span(r, 2, 20);
	}
}

static void
a_noise(int64_t t)
{
	struct rng *r = &G.rn;
	struct netaddr ip;
	double per_day = 150 + 4.0 * G.users;

	noise_ip(r, &ip);
	if (G.fmt == FMT_QMAIL)
		noise_qmail(r, t, &ip);
	else
		noise_postfix(r, t, &ip);
	sched(t + rng_exp_us(r, 86400.0 / per_day), A_NOISE, 0, NULL);
}

/* -------------------------------------------------------------- attacks */

/* Non-existent mailbox names a dictionary attack tries (with example.com,
 * example.org or no domain): none is an account of the population. */
static const char *guess_names[] = {
	"admin", "info", "test", "sales", "office", "webmaster", "support", "contact", "user",
	"marketing", "backup", "scanner", "mail", "noreply", "postmaster", "billing", "root",
	"abuse", "hr", "jobs", "team", "help", "service", "accounts", "finance", "orders", "shop",
	"web", "guest", "demo", "staff", "press", "media", "careers", "reception",
};
#define NGUESS ((int)(sizeof(guess_names) / sizeof(guess_names[0])))

static struct atk *
atk_new(enum akind kind, int owner, const char *service)
{
	struct atk *a = mem_calloc(1, sizeof(*a));

	if (G.natk == G.atk_cap) {
		G.atk_cap = G.atk_cap ? 2 * G.atk_cap : 16;
		G.atk = mem_reallocarray(G.atk, (size_t)G.atk_cap, sizeof(*G.atk));
	}
	G.atk[G.natk++] = a;
	a->kind = kind;
	a->owner = owner;
	if (owner >= 0) {
		snprintf(a->account, sizeof(a->account), "%s", G.u[owner].addr);
		G.u[owner].victim = true;
	}
	a->service = service;
	a->pop3 = G.fmt == FMT_QMAIL;
	rng_seed(&a->r, G.seed, 100 + (uint64_t)G.natk);
	return a;
}

static struct atk_ev *
atk_add(struct atk *a, enum evk what, int64_t t, const struct netaddr *ip)
{
	struct atk_ev *e;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->ev = mem_reallocarray(a->ev, (size_t)a->cap, sizeof(*a->ev));
	}
	e = &a->ev[a->n++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->ip = *ip;
	e->what = (uint8_t)what;
	e->user = a->owner;
	return e;
}

static void
atk_fate(struct atk *a, double user, double nx, double defer, double stuck)
{
	a->fate[0] = user;
	a->fate[1] = nx;
	a->fate[2] = defer;
	a->fate[3] = stuck;
}

/* An address in 100.68.0.0-100.119.255.255 no attack has used yet: 52 /16s,
 * away from the carrier pools (100.64/14) and travel networks (100.120/13). */
static void
atk_fresh_ip(struct atk *a, struct netaddr *ip)
{
	bool created;

	do {
		ip_v4(ip, 100, 68 + rng_below(&a->r, 52), rng_below(&a->r, 256),
		      1 + rng_below(&a->r, 254));
		htab_put(G.used_ip, ip->bytes, 4, &created);
	} while (!created);
}

/* Another unused address in the /24 of `net` (callers take a few of 254). */
static void
atk_ip_near(struct atk *a, const struct netaddr *net, struct netaddr *ip)
{
	bool created;

	do {
		*ip = *net;
		ip->bytes[3] = (uint8_t)(1 + rng_below(&a->r, 254));
		htab_put(G.used_ip, ip->bytes, 4, &created);
	} while (!created);
}

static int
ev_cmp(const void *x, const void *y)
{
	const struct atk_ev *a = x, *b = y;

	return (a->t > b->t) - (a->t < b->t);
}

/* Sort the plan, drop what falls outside the log, schedule the rest. */
static void
atk_commit(struct atk *a)
{
	int i, n = 0;

	if (a->n > 0)
		qsort(a->ev, (size_t)a->n, sizeof(*a->ev), ev_cmp);
	for (i = 0; i < a->n; i++)
		if (a->ev[i].t >= G.start && a->ev[i].t < G.end)
			a->ev[n++] = a->ev[i];
	a->n = n;
	for (i = 0; i < a->n; i++)
		sched(a->ev[i].t, A_ATK, (uint32_t)i, a);
}

static void
truth_time(const char *key, int64_t t)
{
	char buf[TIMECONV_RFC3339_LEN];

	timeconv_format_utc(t / US, buf);
	fprintf(G.truth, ",\"%s\":\"%s\"", key, buf);
}

/* One ground-truth JSON line for attack a, over the events inside the log
 * (no-op without --truth or when none is). */
static void
atk_truth(const struct atk *a)
{
	static const char *kinds[] = {
		[K_COMPROMISE] = "account_compromise", [K_PROBE] = "credential_probe",
		[K_BRUTE] = "brute_force", [K_SPRAY] = "password_spray",
		[K_BACKSCATTER] = "backscatter",
	};
	struct htab *ips, *acc;
	int i, msgs = 0, sessions = 0, nrcpt = 0, fails = 0, ndrs = 0;
	int64_t first_msg = -1;
	char ipb[NETADDR_STRLEN];
	bool created;

	if (!G.truth || G.count_only || a->n == 0)
		return;
	ips = htab_new();
	acc = htab_new();
	for (i = 0; i < a->n; i++) {
		const struct atk_ev *e = &a->ev[i];

		htab_put(ips, e->ip.bytes, 16, &created);
		switch ((enum evk)e->what) {
		case E_MSG:
			if (first_msg < 0)
				first_msg = e->t;
			msgs++;
			sessions++;
			nrcpt += e->nrcpt;
			break;
		case E_CHECK:
			sessions++;
			break;
		case E_SMTP_FAIL:
		case E_READ_FAIL:
			fails++;
			htab_put(acc, &e->user, sizeof(e->user), &created);
			break;
		case E_NDR:
			ndrs++;
			break;
		}
	}
	fprintf(G.truth, "{\"kind\":\"%s\"", kinds[a->kind]);
	if (a->account[0])
		fprintf(G.truth, ",\"account\":\"%s\"", a->account);
	if (a->kind == K_BRUTE || a->kind == K_SPRAY)
		fprintf(G.truth, ",\"ip\":\"%s\"", ipstr(&a->ev[0].ip, ipb));
	truth_time("start", a->ev[0].t);
	truth_time("end", a->ev[a->n - 1].t);
	if (a->kind == K_COMPROMISE && first_msg >= 0)
		truth_time("first_spam", first_msg);
	fprintf(G.truth, ",\"service\":\"%s\",\"format\":\"%s\",\"distinct_ips\":%zu",
		a->service, G.fmt == FMT_QMAIL ? "qmail" : "postfix", htab_count(ips));
	switch (a->kind) {
	case K_COMPROMISE:
		fprintf(G.truth, ",\"sessions\":%d,\"messages\":%d,\"recipients\":%d", sessions, msgs,
			nrcpt);
		break;
	case K_BACKSCATTER:
		fprintf(G.truth, ",\"ndrs\":%d", ndrs);
		break;
	default:
		fprintf(G.truth, ",\"attempts\":%d", fails);
		if (a->kind == K_SPRAY || !a->account[0])
			fprintf(G.truth, ",\"accounts\":%zu", htab_count(acc));
		break;
	}
	fprintf(G.truth, ",\"scenario\":\"%s\",\"seed\":%" PRIu64 "}\n", G.sc->name, G.seed);
	htab_free(&ips, NULL);
	htab_free(&acc, NULL);
}

/* Botnet use of a leaked password: `nips` addresses, most used once, a few
 * two or three times, each session sending spam to 8-30 remote recipients. */
static struct atk *
plan_compromise(int owner, int64_t t0, int64_t dur, int nips)
{
	struct atk *a = atk_new(K_COMPROMISE, owner, "submission");
	int i, k, reuse;

	atk_fate(a, 0.35, 0.10, 0.10, 0.20);
	for (i = 0; i < nips; i++) {
		struct netaddr ip;

		atk_fresh_ip(a, &ip);
		reuse = rng_chance(&a->r, 0.06) ? rng_range(&a->r, 2, 3) : 1;
		for (k = 0; k < reuse; k++)
			atk_add(a, E_MSG, t0 + (int64_t)(rng_unit(&a->r) * (double)dur), &ip)->nrcpt =
				(uint16_t)rng_range(&a->r, 8, 30);
	}
	atk_commit(a);
	return a;
}

/* After the password change: the bots that were mid-run fail a few times
 * within 30 minutes, then 8-12 failures from fresh addresses every 12 hours
 * (+-1 h) until the log ends. */
static struct atk *
plan_probe(const struct atk *c, int64_t t_change)
{
	struct atk *a = atk_new(K_PROBE, c->owner, c->service);
	int64_t t;
	int i, n;

	n = rng_range(&a->r, 3, 6);
	for (i = 0; i < n && c->n > 0; i++)
		atk_add(a, E_SMTP_FAIL, t_change + rng_span(&a->r, 60, 1800),
			&c->ev[c->n - 1 - (int)rng_below(&a->r, (uint32_t)(c->n < 50 ? c->n : 50))].ip);
	for (t = t_change + 12 * HOUR; t < G.end && a->n < 4000; t += 12 * HOUR) {
		int64_t b = t + rng_span(&a->r, -3600, 3600);

		n = rng_range(&a->r, 8, 12);
		for (i = 0; i < n; i++) {
			struct netaddr ip;

			atk_fresh_ip(a, &ip);
			atk_add(a, E_SMTP_FAIL, b + rng_span(&a->r, 0, 2400), &ip);
		}
	}
	atk_commit(a);
	return a;
}

/* One address guessing one account's password: n failures `what` (IMAP/POP3
 * or SMTP AUTH), lo-hi seconds apart. */
static struct atk *
plan_brute(int owner, const char *service, enum evk what, const struct netaddr *ip,
	   int64_t t0, int n, double lo, double hi)
{
	struct atk *a = atk_new(K_BRUTE, owner, service);
	int64_t t = t0;

	a->pop3 = strcmp(service, "pop3") == 0;
	while (a->n < n) {
		atk_add(a, what, t, ip);
		t += rng_span(&a->r, lo, hi);
	}
	atk_commit(a);
	return a;
}

/* A step through the accounts coprime with their number, so that k <= users
 * steps from any start visit k distinct accounts. */
static uint32_t
spray_stride(struct rng *r, uint32_t users)
{
	uint32_t s = 7 + 2 * rng_below(r, 8), x, y;

	for (;; s += 2) {
		for (x = s, y = users; y; ) {
			uint32_t z = x % y;

			x = y;
			y = z;
		}
		if (x == 1 || users <= 1)
			return users ? s % users : 0;
	}
}

/* One address (NULL: a fresh botnet address) trying one password on each
 * of naccounts accounts, a second time with probability p2, lo-hi seconds
 * apart, or at random times within `span` of t0 when lo is 0. */
static struct atk *
plan_spray(const struct netaddr *ip, const char *service, enum evk what, int64_t t0,
	   int naccounts, double p2, double lo, double hi, int64_t span)
{
	struct atk *a = atk_new(K_SPRAY, -1, service);
	uint32_t users = (uint32_t)G.users, first, stride;
	int64_t t = t0;
	struct netaddr own;
	int i, k;

	if (!ip) {
		atk_fresh_ip(a, &own);
		ip = &own;
	}
	a->pop3 = strcmp(service, "pop3") == 0;
	if (naccounts > G.users)
		naccounts = G.users;
	first = rng_below(&a->r, users);
	stride = spray_stride(&a->r, users);
	for (i = 0; i < naccounts; i++) {
		int tries = rng_chance(&a->r, p2) ? 2 : 1;

		for (k = 0; k < tries; k++) {
			if (lo <= 0)
				t = t0 + (int64_t)(rng_unit(&a->r) * (double)span);
			atk_add(a, what, t, ip)->user =
				(int32_t)((first + (uint32_t)i * stride) % users);
			if (lo > 0)
				t += rng_span(&a->r, lo, hi);
		}
	}
	atk_commit(a);
	return a;
}

/* The account's name for event e: the account, a sprayed account, or a
 * guessed non-existent name. */
static const char *
target_name(const struct atk *a, const struct atk_ev *e, char *buf, size_t size)
{
	int k;

	if (e->user >= 0)
		return G.u[e->user].addr;
	if (a->account[0])
		return a->account;
	k = -1 - e->user;
	switch (k % 3) {
	case 0:
		snprintf(buf, size, G.fmt == FMT_QMAIL ? "%s@" : "%s", guess_names[k / 3 % NGUESS]);
		break;
	default:
		snprintf(buf, size, "%s@%s", guess_names[k / 3 % NGUESS],
			 k % 3 == 1 ? "example.com" : "example.org");
		break;
	}
	return buf;
}

static void
a_atk(struct atk *a, int i, int64_t t)
{
	struct atk_ev *e = &a->ev[i];
	const char *svc = e->svc ? e->svc : a->service;
	char host[96], who[72], ips[NETADDR_STRLEN];
	struct netaddr mx;
	struct msg *m;
	int k;

	switch ((enum evk)e->what) {
	case E_MSG:
		m = msg_new(&a->r, e->nrcpt, t);
		m->attack = true;
		m->mech = a->mech;
		snprintf(m->from, sizeof(m->from), "%s", a->account);
		m->from_user = a->owner;
		for (k = 0; k < e->nrcpt; k++)
			rcpt_remote(m, k, 60000, a->fate[0], a->fate[1], a->fate[2], a->fate[3]);
		msg_accept(m, t, ptr_name(&e->ip, host, sizeof(host)), &e->ip, a->account, svc);
		break;
	case E_CHECK:
		if (G.fmt == FMT_QMAIL)
			emit(t, "vpopmail", new_pid(&a->r), "vchkpw-%s: (%s) login success %s:%s", svc,
			     qm_mech(a->mech), a->account, ipstr(&e->ip, ips));
		else
			login_read(&a->r, t, a->account, &e->ip, false, true, true, a->mech);
		break;
	case E_SMTP_FAIL:
		login_smtp_fail(&a->r, t, target_name(a, e, who, sizeof(who)), &e->ip, svc,
				e->user >= 0 || a->account[0]);
		break;
	case E_READ_FAIL:
		login_read(&a->r, t, target_name(a, e, who, sizeof(who)), &e->ip, a->pop3, false,
			   e->user >= 0 || a->account[0], NULL);
		break;
	case E_NDR:	/* a remote MTA bounces mail that forged the account as sender */
		m = msg_new(&a->r, 1, t);
		m->attack = true;
		m->ndr = true;
		rcpt_local(m, 0, a->owner);
		rdomain_mx((uint32_t)e->user, &mx, host, sizeof(host));
		memcpy(host, "out", 3);
		msg_accept(m, t, host, &e->ip, NULL, "smtp");
		break;
	}
}

/* ------------------------------------------------------------ scenarios */

/* Time h hours into day d of the log (d = 1 is the first). */
static int64_t
day_at(int d, double h)
{
	return G.start + (int64_t)(d - 1) * DAY + hh(h);
}

/* An account of the population for an attack: not the traveller, not one
 * an attack of this scenario already targets. */
static int
pick_victim(struct rng *r)
{
	int v = 0, i;

	for (i = 0; i < 64; i++) {
		v = (int)rng_below(r, (uint32_t)G.users);
		if (G.u[v].cls != U_TRAVEL && !G.u[v].victim)
			break;
	}
	return v;
}

static void
sc_benign(void)
{
}

/* DESIGN.md incident 1: a leaked vpopmail password used from 880 addresses
 * in 24 h from day 2, then, after the password change, probed every 12 h. */
static void
sc_incident1(void)
{
	struct rng r;
	int64_t t0;
	struct atk *c, *p;

	rng_seed(&r, G.seed, 99);
	t0 = day_at(2, 7) + rng_span(&r, 0, 1800);
	c = plan_compromise(0, t0, DAY, 880);
	p = plan_probe(c, t0 + DAY);
	atk_truth(c);
	atk_truth(p);
}

/* DESIGN.md incident 2: a weak password brute-forced over SMTP AUTH LOGIN
 * (port 25) from 2-4 addresses until one guess is right and that address
 * sends a test message; then spam through submission from 5-20 addresses of
 * 2-4 /24s; the bounces' NDRs come back to the account. */
static void
sc_incident2(void)
{
	struct rng r;
	struct atk *b[4], *c;
	struct netaddr ip[4], net[4], spam[20];
	int v, nb, total, left, i, k, nnet, nips, nmsg;
	int64_t t0, dur, ts, t1, dur2;

	rng_seed(&r, G.seed, 97);
	v = pick_victim(&r);
	nb = rng_range(&r, 2, 4);
	total = rng_range(&r, 50, 200);
	t0 = day_at(2, 0.5) + rng_span(&r, 0, 2 * 3600);
	dur = rng_span(&r, 2 * 3600, 4 * 3600);
	ts = t0 + dur;
	for (i = 0; i < nb; i++) {	/* distinct addresses of 198.51.100.224/27 */
		bool dup;

		do {
			ip_v4(&ip[i], 198, 51, 100, 224 + rng_below(&r, 31));
			for (dup = false, k = 0; k < i; k++)
				dup |= ip[k].bytes[3] == ip[i].bytes[3];
		} while (dup);
	}
	for (i = 0, left = total; i < nb; i++) {
		int n = i + 1 < nb ? total / nb + rng_range(&r, -total / (4 * nb), total / (4 * nb))
				   : left;
		int64_t from = t0 + (i ? (int64_t)(rng_unit(&r) * (double)dur / 3) : 0);

		left -= n;
		b[i] = atk_new(K_BRUTE, v, "smtp");
		for (k = 0; k < n; k++)
			atk_add(b[i], E_SMTP_FAIL, from + (int64_t)(rng_unit(&b[i]->r) *
					(double)(ts - 10 * US - from)), &ip[i]);
		atk_commit(b[i]);
	}
	c = atk_new(K_COMPROMISE, v, "submission");
	c->mech = "LOGIN";
	atk_fate(c, 0.30, 0.12, 0.15, 0.20);
	atk_add(c, E_MSG, ts, &ip[nb - 1])->svc = "smtp";	/* the right guess: a test */
	c->ev[0].nrcpt = 1;
	t1 = ts + rng_span(&c->r, 1800, 3 * 3600);
	dur2 = rng_span(&c->r, 6 * 3600, 12 * 3600);
	nnet = rng_range(&c->r, 2, 4);
	nips = rng_range(&c->r, 5, 20);
	for (i = 0; i < nnet; i++)
		atk_fresh_ip(c, &net[i]);
	for (i = 0; i < nips; i++) {
		if (i < nnet)
			spam[i] = net[i];
		else
			atk_ip_near(c, &net[i % nnet], &spam[i]);
	}
	nmsg = rng_range(&c->r, 300, 1000);
	for (i = 0; i < nmsg; i++)
		atk_add(c, E_MSG, t1 + (int64_t)(rng_unit(&c->r) * (double)dur2),
			&spam[rng_below(&c->r, (uint32_t)nips)])->nrcpt =
			(uint16_t)rng_range(&c->r, 5, 40);
	atk_commit(c);
	for (i = 0; i < nb; i++)
		atk_truth(b[i]);
	atk_truth(c);
}

/* DESIGN.md incident 3: a phished password. The attacker checks it (IMAP
 * login; qmail: SMTP AUTH) with CRAM-MD5 from one /24 the account never
 * used, then sends spam as the account every 20-90 s for 3-6 hours from one
 * or two addresses of that /24. */
static void
sc_incident3(void)
{
	struct rng r;
	struct atk *c;
	struct netaddr ip[2];
	int64_t t, end, sw;

	rng_seed(&r, G.seed, 96);
	c = atk_new(K_COMPROMISE, pick_victim(&r), "submission");
	c->mech = "CRAM-MD5";
	atk_fate(c, 0.35, 0.10, 0.15, 0.20);
	atk_fresh_ip(c, &ip[0]);
	ip[1] = ip[0];
	if (rng_chance(&c->r, 0.5))
		atk_ip_near(c, &ip[0], &ip[1]);
	t = day_at(2, 13) + rng_span(&c->r, 0, 5 * 3600);
	atk_add(c, E_CHECK, t, &ip[0]);
	t += rng_span(&c->r, 600, 3600);
	end = t + rng_span(&c->r, 3 * 3600, 6 * 3600);
	sw = t + (int64_t)((0.3 + 0.4 * rng_unit(&c->r)) * (double)(end - t));
	for (; t < end; t += rng_span(&c->r, 20, 90))
		atk_add(c, E_MSG, t, &ip[t >= sw])->nrcpt = (uint16_t)rng_range(&c->r, 10, 50);
	atk_commit(c);
	atk_truth(c);
}

/* A low-and-slow compromise: 36-44 addresses over many /16s in 22-26 h,
 * each sending 1-4 messages (minutes apart) to 3-15 recipients, with the
 * owner's own SASL mechanism. */
static void
sc_lowslow(void)
{
	struct rng r;
	struct atk *c;
	int i, k, n, nips;
	int64_t t0, dur;

	rng_seed(&r, G.seed, 95);
	c = atk_new(K_COMPROMISE, pick_victim(&r), "submission");
	c->mech = G.u[c->owner].login ? "LOGIN" : "PLAIN";
	atk_fate(c, 0.15, 0.05, 0.10, 0.05);
	t0 = day_at(2, 8) + rng_span(&c->r, 0, 4 * 3600);
	dur = rng_span(&c->r, 22 * 3600, 26 * 3600);
	nips = rng_range(&c->r, 36, 44);
	for (i = 0; i < nips; i++) {
		struct netaddr ip;
		int64_t t = t0 + (int64_t)(rng_unit(&c->r) * (double)dur);

		atk_fresh_ip(c, &ip);
		n = rng_range(&c->r, 1, 4);
		for (k = 0; k < n; k++, t += rng_span(&c->r, 60, 1800))
			atk_add(c, E_MSG, t, &ip)->nrcpt = (uint16_t)rng_range(&c->r, 3, 15);
	}
	atk_commit(c);
	atk_truth(c);
}

/* Password spraying: 4 addresses of 198.51.100.160/26 each try 20-30
 * accounts once over SMTP AUTH, 30-120 s apart; and a distributed spray:
 * 20-40 botnet addresses each try 5-8 accounts once or twice over IMAP
 * (qmail: POP3) within 2-4 hours. */
static void
sc_spray(void)
{
	struct rng r;
	struct atk *a;
	struct netaddr ip;
	int i, nd;
	int64_t t0, span;

	rng_seed(&r, G.seed, 94);
	for (i = 0; i < 4; i++) {
		ip_v4(&ip, 198, 51, 100, 160 + 16 * (unsigned)i + rng_below(&r, 16));
		a = plan_spray(&ip, G.fmt == FMT_QMAIL ? "smtp" : "submission", E_SMTP_FAIL,
			       day_at(2, 9) + rng_span(&r, 0, 6 * 3600), rng_range(&r, 20, 30), 0,
			       30, 120, 0);
		atk_truth(a);
	}
	nd = rng_range(&r, 20, 40);
	t0 = day_at(2, 1) + rng_span(&r, 0, 4 * 3600);
	span = rng_span(&r, 2 * 3600, 4 * 3600);
	for (i = 0; i < nd; i++) {
		a = plan_spray(NULL, G.fmt == FMT_QMAIL ? "pop3" : "imap", E_READ_FAIL, t0,
			       rng_range(&r, 5, 8), 0.3, 0, 0, span);
		atk_truth(a);
	}
}

/* Brute force: one address of 198.51.100.128/28 makes 100-500 guesses on one
 * account in 1-3 h (IMAP or POP3; qmail: POP3 or SMTP AUTH); another, of
 * 198.51.100.144/28, 150-300 guesses over non-existent names (SMTP AUTH). */
static void
sc_brute(void)
{
	struct rng r;
	struct atk *a;
	struct netaddr ip;
	int n, k, v;
	double gap, x;
	bool smtp, pop3;

	rng_seed(&r, G.seed, 93);
	v = pick_victim(&r);
	n = rng_range(&r, 100, 500);
	gap = (double)rng_range(&r, 3600, 3 * 3600) / n;	/* mean seconds apart */
	x = rng_unit(&r);	/* drawn in both formats: the same plan */
	smtp = G.fmt == FMT_QMAIL && x < 0.5;
	pop3 = G.fmt == FMT_QMAIL || x < 0.3;
	ip_v4(&ip, 198, 51, 100, 128 + rng_below(&r, 16));
	a = plan_brute(v, smtp ? "smtp" : pop3 ? "pop3" : "imap", smtp ? E_SMTP_FAIL : E_READ_FAIL,
		       &ip, day_at(2, 2) + rng_span(&r, 0, 8 * 3600), n, 0.2 * gap, 1.8 * gap);
	atk_truth(a);
	ip_v4(&ip, 198, 51, 100, 144 + rng_below(&r, 16));
	a = plan_brute(-1, G.fmt == FMT_QMAIL ? "smtp" : "submission", E_SMTP_FAIL, &ip,
		       day_at(2, 12) + rng_span(&r, 0, 6 * 3600), rng_range(&r, 150, 300), 5, 40);
	for (k = 0; k < a->n; k++)	/* the names (read when the events run) */
		a->ev[k].user = -1 - (int32_t)rng_below(&a->r, (uint32_t)(3 * NGUESS));
	atk_truth(a);
}

/* A joe-job: spam forged with the account as sender bounces back from
 * 200-2000 remote MTAs' domains as null-sender NDRs over 2-6 hours, most
 * of them early. No compromise. */
static void
sc_backscatter(void)
{
	struct rng r;
	struct atk *a;
	int i, n;
	int64_t t0, dur;

	rng_seed(&r, G.seed, 92);
	a = atk_new(K_BACKSCATTER, pick_victim(&r), "smtp");
	n = rng_range(&a->r, 200, 2000);
	t0 = day_at(2, 6) + rng_span(&a->r, 0, 10 * 3600);
	dur = rng_span(&a->r, 2 * 3600, 6 * 3600);
	for (i = 0; i < n; i++) {
		uint32_t dom = 1 + rng_below(&a->r, 60000);
		double x = 1.0 - sqrt(1.0 - rng_unit(&a->r));	/* density falls linearly */
		struct netaddr ip;
		char mx[80];
		struct atk_ev *e;

		rdomain_mx(dom, &ip, mx, sizeof(mx));
		e = atk_add(a, E_NDR, t0 + (int64_t)(x * (double)dur), &ip);
		e->user = (int32_t)dom;	/* the bouncing domain, for the handler */
	}
	atk_commit(a);
	atk_truth(a);
}

/* A smaller compromise of a random user, one brute-forcer, four sprayers. */
static void
sc_mixed(void)
{
	struct rng r;
	struct atk *a;
	struct netaddr ip;
	int i;

	rng_seed(&r, G.seed, 98);
	a = plan_compromise(pick_victim(&r), day_at(2, 10) + rng_span(&r, 0, 3600), 8 * HOUR, 150);
	atk_truth(a);
	ip_v4(&ip, 198, 51, 100, 128 + rng_below(&r, 32));
	a = plan_brute(pick_victim(&r), G.fmt == FMT_QMAIL ? "pop3" : "imap", E_READ_FAIL, &ip,
		       day_at(2, 3) + rng_span(&r, 0, 3600), 300, 4, 40);
	atk_truth(a);
	for (i = 0; i < 4; i++) {
		ip_v4(&ip, 198, 51, 100, 160 + 16 * (unsigned)i + rng_below(&r, 16));
		a = plan_spray(&ip, G.fmt == FMT_QMAIL ? "smtp" : "submission", E_SMTP_FAIL,
			       day_at(2, 13) + rng_span(&r, 0, 4 * 3600), 25, 0, 30, 120, 0);
		atk_truth(a);
	}
}

static const struct scenario scenarios[] = {
	{ "benign", "the population only: no attack", FMT_POSTFIX, 2, sc_benign },
	{ "incident1", "qmail+vpopmail: one account used from 880 IPs in 24 h, then "
		       "probed every 12 h (DESIGN.md incident 1)", FMT_QMAIL, 5, sc_incident1 },
	{ "incident2", "Postfix stepping stone: SMTP AUTH LOGIN brute force from 2-4 IPs, "
		       "then 300-1000 spams from 5-20 IPs", FMT_POSTFIX, 3, sc_incident2 },
	{ "incident3", "phished password: CRAM-MD5 from one new /24, a spam every "
		       "20-90 s for 3-6 h", FMT_POSTFIX, 3, sc_incident3 },
	{ "lowslow", "low-and-slow compromise: ~40 IPs in ~24 h, 1-4 messages each",
	  FMT_POSTFIX, 3, sc_lowslow },
	{ "spray", "4 password sprayers, and 20-40 IPs spraying 5-8 accounts each",
	  FMT_POSTFIX, 2, sc_spray },
	{ "brute", "100-500 guesses on one account from one IP, 150-300 on "
		   "non-existent names from another", FMT_POSTFIX, 2, sc_brute },
	{ "backscatter", "joe-job: 200-2000 NDRs from remote MTAs to one account",
	  FMT_POSTFIX, 2, sc_backscatter },
	{ "mixed", "a 150-IP compromise, a brute-forcer and four password sprayers",
	  FMT_POSTFIX, 2, sc_mixed },
};
#define NSCENARIO (sizeof(scenarios) / sizeof(scenarios[0]))

/* ---------------------------------------------------------------- driver */

static void
run(void)
{
	int i;
	int64_t day0 = G.start - (G.start % DAY + DAY) % DAY;

	G.seq = 0;
	G.now = G.start;
	G.nlines = G.nattack_lines = 0;
	G.tbuf_sec = -1;
	G.natk = 0;
	G.live = NULL;
	G.used_ip = htab_new();
	rng_seed(&G.rb, G.seed, 2);
	rng_seed(&G.rn, G.seed, 3);
	G.pid = 1000 + rng_below(&G.rb, 20000);
	G.inode = 90000 + rng_below(&G.rb, 400000);
	G.delno = 1 + rng_below(&G.rb, 80000);
	G.authreq = rng_below(&G.rb, 40);
	G.local_used = G.remote_used = 0;
	G.pid_qmgr = new_pid(&G.rb);
	G.pid_postscreen = new_pid(&G.rb);
	G.pid_authmaster = new_pid(&G.rb);
	G.pid_auth = new_pid(&G.rb);
	G.pid_cleanup = G.pid_smtp = G.pid_lmtp = G.pid_virtual = G.pid_bounce = 0;
	G.pid_dnsblog = 0;
	population();
	for (i = 0; i < G.nu; i++)
		sched(day0 > G.start ? day0 : G.start, A_USERDAY, (uint32_t)i, NULL);
	sched(G.start + rng_exp_us(&G.rn, 300), A_NOISE, 0, NULL);
	G.in_attack = true;
	G.sc->setup();
	G.in_attack = false;
	while (G.acts.n > 0) {
		struct hent e = heap_pop(&G.acts);
		struct msg *m = e.p;
		int64_t day = e.t - (e.t % DAY + DAY) % DAY;

		flush_lines(e.t);
		G.now = e.t;
		G.in_attack = false;
		switch ((enum act)e.kind) {
		case A_USERDAY:
			a_userday((int)e.a, day);
			break;
		case A_POLL:
			a_poll((int)e.a, e.t);
			break;
		case A_PHONE:
			a_phone((int)e.a, e.t);
			break;
		case A_SEND:
			a_send((int)e.a, e.t);
			break;
		case A_INBOUND:
			a_inbound((int)e.a, e.t);
			break;
		case A_RCPT:
			G.in_attack = m->attack;
			a_rcpt(m, (int)e.a, e.t);
			break;
		case A_RESULT:
			G.in_attack = m->attack;
			a_result(m, (int)e.a, e.t);
			break;
		case A_RETRY:
			G.in_attack = m->attack;
			a_retry(m, e.t);
			break;
		case A_NOISE:
			a_noise(e.t);
			break;
		case A_BULKDAY:
			a_bulkday((int)e.a, day);
			break;
		case A_BULK:
			a_bulk((int)e.a, e.t, e.p != NULL);
			break;
		case A_NOTIFY:
			a_notify((int)e.a, e.t);
			break;
		case A_ATK:
			G.in_attack = true;
			a_atk(e.p, (int)e.a, e.t);
			break;
		}
	}
	flush_lines(INT64_MAX);
	while (G.live)
		msg_free(G.live);
	for (i = 0; i < G.natk; i++) {
		mem_free(G.atk[i]->ev);
		mem_free(G.atk[i]);
	}
	mem_free(G.atk);
	G.atk = NULL;
	G.atk_cap = 0;
	mem_free(G.u);
	G.u = NULL;
	mem_free(G.brng);
	G.brng = NULL;
	htab_free(&G.used_ip, NULL);
}

/* ------------------------------------------------------------- options */

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
		"usage: msgen [OPTION]...\n"
		"Write a deterministic, realistic mail server log for a scenario.\n\n"
		"  --scenario=NAME      what happens (default benign):\n");
	for (i = 0; i < NSCENARIO; i++)
		fprintf(fp, "                         %-11s %s\n", scenarios[i].name,
			scenarios[i].summary);
	fprintf(fp,
		"  --format=FMT         postfix: Postfix + Dovecot (IMAP, SASL) syslog lines\n"
		"                       qmail:   qmail-send via splogger + vpopmail vchkpw\n"
		"                       (default: the scenario's; incident1 is qmail)\n"
		"  --framing=FRAMING    rfc3164 (default, \"Jul 22 18:52:46 mx1 ...\", no year)\n"
		"                       or rfc3339 (\"2013-07-22T18:52:46.123456+00:00 mx1 ...\")\n"
		"  --start=TIME         first second of the log, YYYY-MM-DDTHH:MM:SSZ\n"
		"                       (default 2013-07-22T00:00:00Z); times are UTC\n"
		"  --days=N             length of the log in days (default: the scenario's)\n"
		"  --users=N            mail accounts of the population (default 40)\n"
		"  --lines=N            about N lines: scale the population to reach it\n"
		"                       (overrides --users; the attack itself is not scaled)\n"
		"  --seed=N             random seed (default 1); same options + seed = same bytes\n"
		"  --truth=FILE         write the injected attacks as JSON lines:\n"
		"                       {\"kind\",\"account\"|\"ip\",\"start\",\"end\",...}\n"
		"  --list-scenarios     print the scenario names, one a line, and exit\n"
		"  -o FILE              write the log to FILE instead of standard output\n"
		"  -h, --help           this text\n\n"
		"Addresses: users in 198.18.0.0/15, 100.64.0.0/10 and 2001:db8::/32; remote\n"
		"servers and noise in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24.\n"
		"Exit status: 0 success, 2 usage or output error.\n");
}

/* With --lines, the bulk senders' volume follows the number of accounts
 * (one newsletter and one notifier per 400 accounts, each at full volume
 * when 400 accounts share it), so that lines grow in proportion to them. */
static void
bulk_scale(void)
{
	int nbulk = (G.users + 399) / 400;

	G.bulk_frac = (double)G.users / (400.0 * nbulk);
}

static int
parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (scan_u64(s, strlen(s), out) < 0 || *out > max) {
		msg_error("%s: not a number from 0 to %" PRIu64 ": \"%.40s\"", opt, max, s);
		return -1;
	}
	return 0;
}

static int
parse_time(const char *s, int64_t *out)
{
	unsigned v[6];
	char z;

	if (strlen(s) != 20 || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%c", &v[0], &v[1], &v[2],
				       &v[3], &v[4], &v[5], &z) != 7 || z != 'Z' ||
	    v[0] < 1971 || v[0] > 9998 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > timeconv_mdays((int)v[0], v[1]) || v[3] > 23 || v[4] > 59 || v[5] > 59) {
		msg_error("--start: want YYYY-MM-DDTHH:MM:SSZ, got \"%.40s\"", s);
		return -1;
	}
	*out = timeconv_utc((int)v[0], v[1], v[2], v[3], v[4], v[5]) * US;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "framing", required_argument, NULL, 'F' },
		{ "start", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "users", required_argument, NULL, 'u' },
		{ "seed", required_argument, NULL, 'S' },
		{ "scenario", required_argument, NULL, 'c' },
		{ "lines", required_argument, NULL, 'l' },
		{ "truth", required_argument, NULL, 't' },
		{ "list-scenarios", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outfile = NULL, *truthfile = NULL, *scname = "benign";
	uint64_t v;
	int c, rc = 0;
	size_t i;

	msg_set_progname("msgen");
	G.framing = FR_RFC3164;
	G.users = 40;
	G.seed = 1;
	G.bulk_frac = 1;
	G.start = timeconv_utc(2013, 7, 22, 0, 0, 0) * US;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			G.fmt_set = true;
			if (strcmp(optarg, "postfix") == 0)
				G.fmt = FMT_POSTFIX;
			else if (strcmp(optarg, "qmail") == 0)
				G.fmt = FMT_QMAIL;
			else
				msg_error("--format: postfix or qmail, not \"%.40s\"", optarg);
			break;
		case 'F':
			if (strcmp(optarg, "rfc3164") == 0)
				G.framing = FR_RFC3164;
			else if (strcmp(optarg, "rfc3339") == 0)
				G.framing = FR_RFC3339;
			else
				msg_error("--framing: rfc3164 or rfc3339, not \"%.40s\"", optarg);
			break;
		case 's':
			(void)parse_time(optarg, &G.start);
			break;
		case 'd':
			if (parse_u64("--days", optarg, 366, &v) == 0 && v > 0) {
				G.days = (int)v;
				G.days_set = true;
			} else if (v == 0) {
				msg_error("--days: at least 1");
			}
			break;
		case 'u':
			if (parse_u64("--users", optarg, 1000000, &v) == 0)
				G.users = (int)v;
			break;
		case 'S':
			(void)parse_u64("--seed", optarg, UINT64_MAX, &G.seed);
			break;
		case 'c':
			scname = optarg;
			break;
		case 'l':
			(void)parse_u64("--lines", optarg, 1000000000, &G.target_lines);
			break;
		case 't':
			truthfile = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'L':
			for (i = 0; i < NSCENARIO; i++)
				printf("%s\n", scenarios[i].name);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		msg_error("unexpected argument \"%.40s\"", argv[optind]);
	for (i = 0; i < NSCENARIO; i++)
		if (strcmp(scname, scenarios[i].name) == 0)
			G.sc = &scenarios[i];
	if (!G.sc)
		msg_error("--scenario: unknown \"%.40s\" (see --help)", scname);
	if (G.users < 1)
		msg_error("--users: at least 1");
	if (msg_had_error()) {
		fprintf(stderr, "Try 'msgen --help'.\n");
		return 2;
	}
	if (!G.fmt_set)
		G.fmt = G.sc->fmt;
	if (!G.days_set)
		G.days = G.sc->days;
	G.end = G.start + (int64_t)G.days * DAY;

	if (G.target_lines > 0) {	/* measure two runs, then scale the population */
		double u0 = G.users < 100 ? 100 : G.users, u1, l0 = 0, l1, k;
		int pass;

		G.count_only = true;
		for (pass = 0, u1 = u0; pass < 2; pass++) {
			G.users = (int)u1;
			bulk_scale();
			run();
			l1 = (double)(G.nlines - G.nattack_lines);
			k = ((double)G.target_lines - (double)G.nattack_lines) / l1;
			if (pass == 0 || l1 == l0) {	/* proportional, then a secant step */
				u0 = u1;
				l0 = l1;
				u1 = u1 * k;
			} else {
				u1 = u1 + ((double)G.target_lines - (double)G.nattack_lines - l1) *
					  (u1 - u0) / (l1 - l0);
			}
			if (u1 < 3)
				u1 = 3;
			if (u1 > 2000000)
				u1 = 2000000;
			if (fabs(k - 1) < 0.02)
				break;
		}
		G.users = (int)(u1 + 0.5);
		bulk_scale();
		G.count_only = false;
	}

	G.out = stdout;
	if (outfile && !(G.out = fopen(outfile, "w")))
		msg_fatal("%s: %m", outfile);
	if (truthfile && !(G.truth = fopen(truthfile, "w")))
		msg_fatal("%s: %m", truthfile);
	setvbuf(G.out, NULL, _IOFBF, 1 << 20);
	run();
	if (fflush(G.out) != 0 || ferror(G.out) || (outfile && fclose(G.out) != 0)) {
		msg_error("%s: write error: %m", outfile ? outfile : "standard output");
		rc = 2;
	}
	if (G.truth && (fclose(G.truth) != 0)) {
		msg_error("%s: write error: %m", truthfile);
		rc = 2;
	}
	mem_free(G.acts.v);
	mem_free(G.lines.v);
	return rc;
}
