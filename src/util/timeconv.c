/* timeconv.c - calendar arithmetic (Howard Hinnant's civil-date algorithms) */
#include "util/timeconv.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

int64_t
timeconv_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	unsigned yoe = (unsigned)(yy - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void
timeconv_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

int64_t
timeconv_utc(int y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return timeconv_days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* mktime is slow and consults TZ state; a log's lines mostly share an hour,
 * so cache the UTC offset per (date, hour). DST changes happen on hour
 * boundaries in every zone that matters for this cache's correctness except
 * a handful of historic half-hour ones, where the error is at most 30 min. */
int64_t
timeconv_local_to_utc(int y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	static int64_t cache_key = -1, cache_off;
	int64_t key = timeconv_days_from_civil(y, mon, d) * 24 + h;
	int64_t naive = timeconv_utc(y, mon, d, h, mi, s);

	if (key != cache_key) {
		struct tm tm;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = (int)mon - 1;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = 30;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return naive;
		cache_off = (int64_t)t - timeconv_utc(y, mon, d, h, 30, 0);
		cache_key = key;
	}
	return naive + cache_off;
}

static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

size_t
timeconv_format_utc(int64_t t, char *buf)
{
	/* The last call's second and date, per thread: events come in time
	 * order, so the calendar computation runs about once a day of log
	 * instead of once per JSON line, the clock digits once a second. */
	static _Thread_local int64_t last_days = INT64_MIN, last_t;
	static _Thread_local char last_date[10], last_text[20];
	static _Thread_local bool have_t;
	int64_t days, secs;

	if (have_t && t == last_t) {	/* most events share their second with the last */
		memcpy(buf, last_text, 20);
		buf[20] = '\0';
		return 20;
	}
	days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	secs = t - days * 86400;
	if (days != last_days) {
		unsigned m, d;
		int y;

		timeconv_civil_from_days(days, &y, &m, &d);
		if (y < 0 || y > 9999)
			y = 0;
		put2(last_date, (unsigned)y / 100);
		put2(last_date + 2, (unsigned)y % 100);
		last_date[4] = '-';
		put2(last_date + 5, m);
		last_date[7] = '-';
		put2(last_date + 8, d);
		last_days = days;
	}
	memcpy(buf, last_date, 10);
	buf[10] = 'T';
	put2(buf + 11, (unsigned)(secs / 3600));
	buf[13] = ':';
	put2(buf + 14, (unsigned)(secs / 60 % 60));
	buf[16] = ':';
	put2(buf + 17, (unsigned)(secs % 60));
	buf[19] = 'Z';
	buf[20] = '\0';
	memcpy(last_text, buf, 20);
	last_t = t;
	have_t = true;
	return 20;
}

unsigned
timeconv_month(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned i;

	for (i = 0; i < 12; i++)
		if (memcmp(p, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

unsigned
timeconv_mdays(int y, unsigned m)
{
	static const unsigned char md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}
