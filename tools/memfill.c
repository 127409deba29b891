/* memfill.c - memory of the detectors' state per tracked account and per IP
 * SUMMARY  Feeds det_feed (the detectors of `scan` and `serve`) synthetic
 *          events that each create one entry of state, and reports the
 *          resident memory they cost:
 *            accounts N   one login each of N distinct accounts (IMAP,
 *                         PLAIN), each from its own address in
 *                         100.64.0.0/10: N account records, no episode
 *            ips N        one failed login without an account name (as
 *                         Postfix logs "SASL LOGIN authentication failed")
 *                         from each of N distinct IPv4 addresses: N IP
 *                         records
 *            ips-acct N   the same, each failure naming one of 1000
 *                         accounts that never logged in (as Dovecot logs
 *                         them): N IP records, each with its set of accounts
 *                         tried, and N (IP, account) pairs
 *            both N M     N accounts as above, then M IPs as in "ips"
 *          All events carry the same log time, so no hourly sweep runs and
 *          nothing expires; max_accounts and max_ips are raised to fit.
 *          Settings are the defaults otherwise (the country database is
 *          loaded when installed, before the baseline is taken, and the
 *          memory its loading freed is given back first: malloc_trim).
 *          The addresses exist only in memory: nothing is sent anywhere.
 * USAGE    memfill accounts N | ips N | ips-acct N | both N M
 * OUTPUT   "key value" lines: mode, accounts, ips (entries tracked, from
 *          det_get_stats), dropped, baseline_kb (VmRSS after det_new),
 *          rss_kb (VmRSS after feeding), peak_kb (VmHWM, reset to the
 *          baseline after det_new: hwm_reset 1 when that worked), seconds,
 *          and the sizes behind the figure: sizeof_acct (before its key;
 *          of which sizeof_acct_known are the known networks),
 *          sizeof_acct_cold (the part only some accounts have),
 *          sizeof_ipst (an IP, kept in its table slot), sizeof_ip_cold (the
 *          part only some IPs have: spray sets, findings; IPv6 adds 16),
 *          sizeof_pending, acct_slot, ip_slot and htab_slot (bytes per slot
 *          of the account, IP and (IP, account) tables; a table has 1.33 to
 *          2.67 slots per entry), and the usable bytes glibc gives each
 *          allocation (the chunk is 8 more): malloc_acct (with the key
 *          "u0000000@example.org"), malloc_acct_cold, malloc_ip_cold,
 *          malloc_pending, malloc_key_pair, malloc_idset8.
 * ERRORS   Exit 2 on bad usage; 1 when the entries tracked are not the ones
 *          fed (a limit dropped some). */
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/conf.h"
#include "core/evt.h"
#include "detect/det.h"
#include "detect/det_int.h"
#include "util/strv.h"

#define T0 1767225600	/* 2026-01-01T00:00:00Z */
#define FAKE_ACCOUNTS 1000

/* struct htab_ent in util/htab.c: hash, key pointer, key length, value */
#define HTAB_SLOT (sizeof(uint64_t) + sizeof(char *) + sizeof(uint64_t) + sizeof(void *))
#define ACCT_KEY "u0000000@example.org"

static long
status_kb(const char *field)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	size_t flen = strlen(field);
	long kb = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return kb;
}

static int
reset_hwm(void)
{
	FILE *fp = fopen("/proc/self/clear_refs", "w");
	int ok;

	if (fp == NULL)
		return 0;
	ok = fputs("5", fp) >= 0;
	return fclose(fp) == 0 && ok;
}

static size_t
usable(size_t n)
{
	void *p = malloc(n);
	size_t u = malloc_usable_size(p);

	free(p);
	return u;
}

static void
set_ip4(struct evt *e, uint32_t a)
{
	char ip[NETADDR_STRLEN];

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	evt_set_ip(e, strv_cstr(ip));
}

static void
feed_accounts(struct det *d, struct evt *e, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		evt_clear(e);
		e->type = EVT_AUTH_SUCCESS;
		e->source = "dovecot";
		e->time = T0;
		snprintf(e->service, sizeof(e->service), "imap");
		snprintf(e->mech, sizeof(e->mech), "PLAIN");
		snprintf(e->account, sizeof(e->account), "u%07llu@example.org",
			 (unsigned long long)i);
		/* 100.64.0.0/10, its own address each (4M of them) */
		set_ip4(e, 0x64400000u + (uint32_t)(i % 0x400000u));
		det_feed(d, e);
	}
}

static void
feed_ips(struct det *d, struct evt *e, uint64_t n, int named)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		evt_clear(e);
		e->type = EVT_AUTH_FAILURE;
		e->source = named ? "dovecot" : "postfix";
		e->time = T0;
		snprintf(e->service, sizeof(e->service), named ? "imap" : "smtp");
		snprintf(e->mech, sizeof(e->mech), "LOGIN");
		if (named)
			snprintf(e->account, sizeof(e->account), "nobody%u@example.org",
				 (unsigned)(i % FAKE_ACCOUNTS));
		/* distinct addresses from 1.0.0.1 on (in memory only) */
		set_ip4(e, 0x01000001u + (uint32_t)i);
		det_feed(d, e);
	}
}

static int
count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 100000000ull)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct det_conf conf;
	struct det_stats st;
	struct evt *e;
	struct det *d;
	struct timespec t0, t1;
	uint64_t nacct = 0, nip = 0;
	const char *mode = argc > 1 ? argv[1] : "";
	long base;
	int named = 0, hwm_reset;

	if (argc == 3 && strcmp(mode, "accounts") == 0 && count(argv[2], &nacct) == 0) {
	} else if (argc == 3 && strcmp(mode, "ips") == 0 && count(argv[2], &nip) == 0) {
	} else if (argc == 3 && strcmp(mode, "ips-acct") == 0 && count(argv[2], &nip) == 0) {
		named = 1;
	} else if (argc == 4 && strcmp(mode, "both") == 0 && count(argv[2], &nacct) == 0 &&
		   count(argv[3], &nip) == 0) {
	} else {
		fprintf(stderr, "usage: memfill accounts N | ips N | ips-acct N | both N M\n");
		return 2;
	}
	if (conf_defaults(det_conf_defs, det_conf_ndefs, &conf) < 0)
		return 2;
	if ((int64_t)nacct > conf.max_accounts)
		conf.max_accounts = (int64_t)nacct;
	if ((int64_t)nip > conf.max_ips)
		conf.max_ips = (int64_t)nip;
	e = calloc(1, sizeof(*e));
	d = det_new(&conf, NULL, NULL);
	if (e == NULL || d == NULL)
		return 2;
	/* what the country database's loading freed goes back to the system
	 * (else the first entries would fill resident free memory and look
	 * free), and the peak so far is not ours: VmHWM is reset to the
	 * current RSS (Linux 4.0+) */
	malloc_trim(0);
	hwm_reset = reset_hwm();
	base = status_kb("VmRSS");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nacct > 0)
		feed_accounts(d, e, nacct);
	if (nip > 0)
		feed_ips(d, e, nip, named);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	det_get_stats(d, &st);
	printf("mode %s\naccounts %llu\nips %llu\ndropped %llu\n", mode,
	       (unsigned long long)st.accounts, (unsigned long long)st.ips,
	       (unsigned long long)(st.dropped_accounts + st.dropped_ips));
	printf("baseline_kb %ld\nrss_kb %ld\npeak_kb %ld\nhwm_reset %d\nseconds %.3f\n", base,
	       status_kb("VmRSS"), status_kb("VmHWM"), hwm_reset,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("sizeof_acct_known %zu\n", sizeof(((struct acct *)0)->kn_net) +
					     sizeof(((struct acct *)0)->kn_first) +
					     sizeof(((struct acct *)0)->kn_uses));
	printf("sizeof_acct %zu\nsizeof_acct_cold %zu\nsizeof_ipst %zu\nsizeof_ip_cold %zu\n",
	       offsetof(struct acct, key), sizeof(struct acct_cold), sizeof(struct ipst),
	       sizeof(struct ip_cold));
	printf("sizeof_pending %zu\nacct_slot %zu\nip_slot %zu\nhtab_slot %zu\n",
	       sizeof(struct pending), sizeof(struct acct *), sizeof(struct ipst), HTAB_SLOT);
	printf("malloc_acct %zu\nmalloc_acct_cold %zu\nmalloc_ip_cold %zu\nmalloc_pending %zu\n",
	       usable(offsetof(struct acct, key) + strlen(ACCT_KEY) + 1),
	       usable(sizeof(struct acct_cold)), usable(sizeof(struct ip_cold)),
	       usable(sizeof(struct pending)));
	printf("malloc_key_pair %zu\nmalloc_idset8 %zu\n",
	       usable(4 + strlen("nobody000@example.org") + 1), usable(8 * sizeof(uint32_t)));
	fflush(stdout);
	/* the tables are not freed: the process ends here */
	return st.accounts == nacct && st.ips == nip ? 0 : 1;
}
