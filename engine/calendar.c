/*
 * calendar.c -- time as the law counts it, in one place: civil dates,
 * timestamps and their text, working days with 调休, and an item's limit.
 *
 * Working days inside a calendar's years come from its precomputed running
 * count (`before`): counting is two array reads and finding the n-th working
 * day a binary search.  Outside those years only the weekend rule applies,
 * and the code walks whole weeks at a time.
 */
#include <string.h>

#include "calendar.h"

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

int day_parse(const char *s, int32_t *day)
{
	int y, m, d;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
	    !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !cal_valid_date(y, m, d))
		return 0;
	*day = cal_days_from_civil(y, m, d);
	return 1;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void day_format(int32_t day, char out[11])
{
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	y = y < 0 ? 0 : y % 10000;
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 0;
}

int time_parse(const char *s, int zone, ot_time *out)
{
	char date[11];
	int32_t day;
	int hh = 0, mm = 0, ss = 0;
	size_t n = strlen(s);
	if (n < 10)
		return 0;
	memcpy(date, s, 10);
	date[10] = 0;
	if (!day_parse(date, &day))
		return 0;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (!digits(p + 1, 2, &hh) || p[3] != ':' || !digits(p + 4, 2, &mm))
			return 0;
		p += 6;
		if (*p == ':') {
			if (!digits(p + 1, 2, &ss))
				return 0;
			p += 3;
			if (*p == '.') { /* fractions of a second are dropped */
				if (p[1] < '0' || p[1] > '9')
					return 0;
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
			}
		}
		/* no leap second: 23:59:60 would silently be the next day */
		if (hh > 23 || mm > 59 || ss > 59)
			return 0;
	}
	if (*p == 'Z') {
		zone = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		int zh, zm = 0;
		if (!digits(p + 1, 2, &zh))
			return 0;
		const char *q = p + 3;
		if (*q == ':' && !q[1])
			return 0; /* "+08:" */
		if (*q == ':')
			q++;
		if (*q && !digits(q, 2, &zm))
			return 0;
		if (*q)
			q += 2;
		if (zh > 14 || zm > 59)
			return 0;
		zone = (zh * 60 + zm) * (*p == '-' ? -1 : 1);
		p = q;
	}
	if (*p)
		return 0;
	*out = (ot_time)day * 86400 + hh * 3600 + mm * 60 + ss - (ot_time)zone * 60;
	return 1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int32_t time_day(ot_time t, int zone)
{
	return (int32_t)floor_div(t + (ot_time)zone * 60, 86400);
}

void time_format(ot_time t, int zone, char out[32])
{
	ot_time local = t + (ot_time)zone * 60;
	int32_t day = (int32_t)floor_div(local, 86400);
	int64_t sec = local - (int64_t)day * 86400;
	int z = zone < 0 ? -zone : zone;
	day_format(day, out);
	out[10] = 'T';
	put2(out + 11, (int)(sec / 3600));
	out[13] = ':';
	put2(out + 14, (int)(sec / 60 % 60));
	out[16] = ':';
	put2(out + 17, (int)(sec % 60));
	out[19] = zone < 0 ? '-' : '+';
	put2(out + 20, z / 60 % 100);
	out[22] = ':';
	put2(out + 23, z % 60);
	out[25] = 0;
}

/* ---- civil dates (H. Hinnant's algorithms) ---- */

int32_t cal_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

void cal_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)yoe + era * 400 + (*m <= 2);
}

int cal_valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

int cal_weekday(int32_t day)
{
	int w = (int)((day + 3) % 7); /* 1970-01-01 was a Thursday */
	return w < 0 ? w + 7 : w;
}

int cal_is_workday(const m_calendar *c, int32_t day)
{
	if (day >= c->first && day - c->first < c->ndays)
		return !c->off[day - c->first];
	return !(c->weekend >> cal_weekday(day) & 1);
}

/* ---- working days ---- */

static int32_t weekly_workdays(const m_calendar *c)
{
	int n = 0;
	for (int d = 0; d < 7; d++)
		n += !(c->weekend >> d & 1);
	return n;
}

/* Working days in [from, to) by the weekend rule alone. */
static int32_t weekend_rule_count(const m_calendar *c, int32_t from, int32_t to)
{
	if (to <= from)
		return 0;
	int32_t weeks = (to - from) / 7, n = weeks * weekly_workdays(c);
	for (int32_t d = from + weeks * 7; d < to; d++)
		n += !(c->weekend >> cal_weekday(d) & 1);
	return n;
}

/* Working days in [from, to). */
static int32_t count_range(const m_calendar *c, int32_t from, int32_t to)
{
	if (to <= from)
		return 0;
	int32_t lo = c->first, hi = c->first + c->ndays, n = 0;
	if (from < lo)
		n += weekend_rule_count(c, from, to < lo ? to : lo);
	if (to > hi)
		n += weekend_rule_count(c, from > hi ? from : hi, to);
	int32_t a = from > lo ? from : lo, b = to < hi ? to : hi;
	if (a < b)
		n += c->before[b - c->first] - c->before[a - c->first];
	return n;
}

int32_t cal_workdays_between(const m_calendar *c, int32_t from, int32_t to)
{
	return count_range(c, from + 1, to + 1);
}

int32_t cal_add_workdays(const m_calendar *c, int32_t day, int32_t n)
{
	if (n <= 0)
		return day;
	int32_t d = day + 1;
	int32_t hi = c->first + c->ndays, per_week = weekly_workdays(c);
	/* before the calendar's years, by the weekend rule: whole weeks (each
	 * has per_week working days) short of the target, then day by day */
	if (d < c->first && per_week > 0) {
		int32_t weeks = (c->first - d) / 7, need = (n - 1) / per_week;
		weeks = weeks < need ? weeks : need;
		d += weeks * 7;
		n -= weeks * per_week;
	}
	while (d < c->first && n > 0) {
		n -= !(c->weekend >> cal_weekday(d) & 1);
		if (n == 0)
			return d;
		d++;
	}
	if (d < hi) {
		int32_t want = c->before[d - c->first] + n; /* count up to and incl. target */
		if (want <= c->before[c->ndays]) {
			/* smallest i with before[i + 1] >= want */
			int32_t lo = d - c->first, top = c->ndays - 1;
			while (lo < top) {
				int32_t mid = lo + (top - lo) / 2;
				if (c->before[mid + 1] >= want)
					top = mid;
				else
					lo = mid + 1;
			}
			return c->first + lo;
		}
		n -= c->before[c->ndays] - c->before[d - c->first];
		d = hi;
	}
	/* after the calendar's years: whole weeks, then day by day */
	if (per_week == 0)
		return d;
	int32_t weeks = (n - 1) / per_week;
	d += weeks * 7;
	n -= weeks * per_week;
	for (;; d++)
		if (!(c->weekend >> cal_weekday(d) & 1) && --n == 0)
			return d;
}

/* ---- limits ---- */

int32_t cal_item_limit(const m_item *it)
{
	return it->promised_limit >= 0 ? it->promised_limit : it->legal_limit;
}

int cal_item_limit_unit(const m_item *it)
{
	return it->promised_limit >= 0 ? it->promised_unit : it->legal_unit;
}

int32_t cal_earlier(int32_t legal, int32_t promised)
{
	return legal < 0 ? promised : promised < 0 || legal < promised ? legal : promised;
}

int32_t cal_item_due(const m_calendar *c, int32_t day, const m_item *it)
{
	int32_t legal = it->legal_limit >= 0 ? cal_due(c, day, it->legal_limit, it->legal_unit) : -1;
	int32_t promised = it->promised_limit >= 0
		? cal_due(c, day, it->promised_limit, it->promised_unit) : -1;
	return cal_earlier(legal, promised);
}

int cal_counts_days(int unit)
{
	return unit == UNIT_DAY || unit == UNIT_MONTH;
}

/* 民法典 art. 202: a period of months ends on the day of the last month
 * that has the start day's number, or on that month's last day when it has
 * none (a month from 01-31 ends on 02-28, or 02-29). */
static int32_t add_months(int32_t day, int32_t n)
{
	int y, m, d;
	cal_civil_from_days(day, &y, &m, &d);
	int64_t total = (int64_t)y * 12 + (m - 1) + n;
	y = (int)(total / 12);
	m = (int)(total % 12) + 1;
	while (d > 28 && !cal_valid_date(y, m, d))
		d--;
	return cal_days_from_civil(y, m, d);
}

int32_t cal_last(const m_calendar *c, int32_t day, int32_t n, int unit)
{
	if (unit == UNIT_MONTH)
		return add_months(day, n);
	return unit == UNIT_DAY ? day + n : cal_add_workdays(c, day, n);
}

int32_t cal_roll(const m_calendar *c, int32_t last, int unit)
{
	if (last < 0 || !cal_counts_days(unit))
		return last;
	/* a year of days off at most: a calendar with every day off ends it */
	for (int guard = 0; guard < 366 && !cal_is_workday(c, last); guard++)
		last++;
	return last;
}

int32_t cal_due(const m_calendar *c, int32_t day, int32_t n, int unit)
{
	return cal_roll(c, cal_last(c, day, n, unit), unit);
}

/*
 * A pause (中止, 退回补正, 特别程序) leaves its days out of a limit: the
 * days in (from, to], the pause day counted, the resume day not.
 *
 * It moves the last day, not the due day.  Art. 203 moves a period that
 * ends on a holiday to the next working day; that is where the period
 * ends, not more days counted in it.  A pause that moved the rolled day
 * would count the roll's days as days of the limit and roll again after
 * them, so each pause would add to the error.  The caller rolls the result.
 *
 * It moves only a limit still running on the pause day.  The days of a
 * pause are days a limit does not count; a limit whose due day was before
 * the pause day had run out and has nothing left to count: giving it days
 * again would turn a late step into one on time, which is what 电子监察 is
 * there to see.  A limit due on the pause day or later was paused in time.
 * What was left of it lies after the pause day (the pause day is one of its
 * days): the working days, or calendar days, in (from, last].  Those are
 * counted again from the resume day, 次日起算 as any limit.  Paused on its
 * due day, a limit has nothing whole left and ends on the resume day: the
 * body can still act the day the clock starts again, and is late the day
 * after -- not late before it could act at all.  So does a calendar-day
 * limit paused between its last day and the working day art. 203 gave it,
 * rolled again.
 */
int32_t cal_shift(const m_calendar *c, int32_t last, int unit, int32_t from, int32_t to)
{
	if (last < 0 || to <= from || cal_roll(c, last, unit) < from)
		return last;
	if (!cal_counts_days(unit))
		return cal_add_workdays(c, to, cal_workdays_between(c, from, last));
	return to + (last > from ? last - from : 0);
}

ot_time time_plus(ot_time t, m_dur d, int zone)
{
	if (d.unit == UNIT_DAY || d.unit == UNIT_WORKDAY)
		return t + (ot_time)d.n * 86400;
	if (d.unit == UNIT_HOUR)
		return t + (ot_time)d.n * 3600;
	int32_t today = time_day(t, zone);
	ot_time within = t - ((ot_time)today * 86400 - (ot_time)zone * 60);
	int32_t day = add_months(today, d.unit == UNIT_YEAR ? d.n * 12 : d.n);
	return (ot_time)day * 86400 - (ot_time)zone * 60 + within;
}
