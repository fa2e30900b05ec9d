#include <string.h>

#include "clock.h"
#include "model.h"

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
