/*
 * clock.h -- timestamps and days.  Internal to the engine.
 *
 * A timestamp is seconds since 1970-01-01T00:00Z.  Text is ISO 8601:
 * "2019-09-27T09:00", "2019-09-27T09:00:30+08:00", "...Z".  A timestamp
 * without an offset is civil time in the rule base's zone; a day is a
 * civil date in that zone, whatever the machine's TZ says.
 */
#ifndef OT_CLOCK_H
#define OT_CLOCK_H

#include <stdint.h>

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

#endif
