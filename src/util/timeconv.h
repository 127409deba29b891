/* timeconv.h - calendar arithmetic without the C library's time zone state
 * SUMMARY  Civil date <-> days since 1970-01-01 (proleptic Gregorian), and
 *          RFC 3339 UTC formatting. Local-time conversion of zone-less log
 *          timestamps goes through timeconv_local_to_utc (mktime, cached per
 *          hour so a log of millions of lines calls it rarely).
 * LIMITS   years 1..9999. */
#ifndef MS_TIMECONV_H
#define MS_TIMECONV_H

#include <stddef.h>
#include <stdint.h>

#define TIMECONV_RFC3339_LEN 21		/* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

int64_t timeconv_days_from_civil(int y, unsigned m, unsigned d);
void timeconv_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* Seconds since the epoch for a UTC civil time. */
int64_t timeconv_utc(int y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s);
/* Seconds since the epoch for a civil time in the process's local zone (TZ). */
int64_t timeconv_local_to_utc(int y, unsigned mon, unsigned d, unsigned h, unsigned mi,
			      unsigned s);
/* "2013-07-22T18:52:46Z"; buf has TIMECONV_RFC3339_LEN bytes; returns 20. */
size_t timeconv_format_utc(int64_t t, char *buf);
/* 1..12 for "Jan".."Dec" (case-sensitive, as syslog writes them), else 0. */
unsigned timeconv_month(const char *p);
/* Days in month m of year y. */
unsigned timeconv_mdays(int y, unsigned m);

#endif
