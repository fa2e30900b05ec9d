/*
 * calendar.h -- time as the law counts it: civil dates, timestamps and
 * their text, working days, an item's limit.  Internal (core).
 *
 * A timestamp is seconds since 1970-01-01T00:00Z.  Text is ISO 8601:
 * "2019-09-27T09:00", "2019-09-27T09:00:30+08:00", "...Z".  A timestamp
 * without an offset is civil time in the rule base's zone; a day is a
 * civil date in that zone, whatever the machine's TZ says.
 */
#ifndef OT_CALENDAR_H
#define OT_CALENDAR_H

#include <stdint.h>

#include "model.h"

typedef int64_t ot_time;

#define OT_ZONE_DEFAULT (8 * 60) /* UTC+8, minutes */

/* Returns 1 and sets *out, or 0 if s is not an ISO 8601 timestamp or date
 * (a bare date is its midnight). */
int time_parse(const char *s, int zone_minutes, ot_time *out);
/* "2019-09-27T09:00:00+08:00" */
void time_format(ot_time t, int zone_minutes, char out[32]);
int32_t time_day(ot_time t, int zone_minutes);
/* "2019-10-12"; returns 0 if not a valid date */
int day_parse(const char *s, int32_t *day);
void day_format(int32_t day, char out[11]);

/* ---- civil dates (proleptic Gregorian, days since 1970-01-01) ---- */

int32_t cal_days_from_civil(int y, int m, int d);
void cal_civil_from_days(int32_t z, int *y, int *m, int *d);
int cal_valid_date(int y, int m, int d);
int cal_weekday(int32_t day); /* 0 = Monday .. 6 = Sunday */
/* Is `day` a working day in calendar c (outside its years: weekend rule)? */
int cal_is_workday(const m_calendar *c, int32_t day);

/* ---- working days ---- */

/* The n-th working day after `day` (n >= 1): a limit of n workdays that
 * starts on `day` ends at the end of this day (受理次日起算).  n == 0 gives
 * `day` itself. */
int32_t cal_add_workdays(const m_calendar *c, int32_t day, int32_t n);

/* Working days in (from, to]: 0 when to <= from. */
int32_t cal_workdays_between(const m_calendar *c, int32_t from, int32_t to);

/* ---- limits ---- */

/* Is a limit in `unit` counted on the civil calendar (days, months: its
 * last day rolled to a working day, a pause moving it by calendar days),
 * rather than in working days? */
int cal_counts_days(int unit);
/* The last day of a limit of n (unit UNIT_WORKDAY, UNIT_DAY or UNIT_MONTH)
 * that starts on `day`, counted from the next day (次日起算): the n-th
 * working day, day + n for calendar days, the day of the n-th month after
 * with `day`'s number (or that month's last) for months (民法典 art. 202),
 * as it is before cal_roll. */
int32_t cal_last(const m_calendar *c, int32_t day, int32_t n, int unit);
/* The due day of a limit whose last day is `last`: for calendar days and
 * months, a last day that is not a working day moves to the next working
 * day (民法典 art. 203: a period ending on a holiday ends on the first day
 * after it); a limit in working days ends on its last day.  -1 stays -1. */
int32_t cal_roll(const m_calendar *c, int32_t last, int unit);
/* cal_roll(cal_last(...)): the day a limit that starts on `day` is due. */
int32_t cal_due(const m_calendar *c, int32_t day, int32_t n, int unit);
/* The last day (as cal_last gives it, never the rolled one) of a limit
 * after a pause of the days in (from, to]: a limit due before `from` had
 * run out and keeps its last day; one still running on `from` keeps what
 * was left of it after `from` and counts it again from `to` (calendar.c
 * says why).  -1 stays -1. */
int32_t cal_shift(const m_calendar *c, int32_t last, int unit, int32_t from, int32_t to);

/* The limit a case is held to: the promised one (承诺时限) where the item
 * has one, else the legal one (法定时限); -1: none. */
int32_t cal_item_limit(const m_item *it);
/* The unit of that limit (UNIT_WORKDAY, UNIT_DAY or UNIT_MONTH). */
int cal_item_limit_unit(const m_item *it);
/* The day a case or step is due: the earlier of its legal and promised
 * due dates (-1: none).  A promise is meant to come first; when it does
 * not (a legal limit in calendar days that ends before a promise in
 * working days), the law's day is the one the case is held to. */
int32_t cal_earlier(int32_t legal, int32_t promised);
/* The day a case of item `it` accepted on `day` is due (cal_earlier). */
int32_t cal_item_due(const m_calendar *c, int32_t day, const m_item *it);

/* t plus a duration: days and hours exactly, months and years on the
 * calendar (the 31st becomes the month's last day). */
ot_time time_plus(ot_time t, m_dur d, int zone);

#endif
