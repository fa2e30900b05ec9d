#include <string.h>

#include "idcheck.h"
#include "model.h"

int id_number_valid(const char *s, size_t n)
{
	static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	static const char check[] = "10X98765432";
	if (n != 18)
		return 0;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		sum += (s[i] - '0') * w[i];
	}
	char last = s[17] == 'x' ? 'X' : s[17];
	if (last != check[sum % 11])
		return 0;
	int y = 0, m = 0, d = 0;
	for (int i = 6; i < 10; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[10] - '0') * 10 + (s[11] - '0');
	d = (s[12] - '0') * 10 + (s[13] - '0');
	return cal_valid_date(y, m, d);
}

int credit_code_valid(const char *s, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	if (n != 18)
		return 0;
	int sum = 0, v[18];
	for (int i = 0; i < 18; i++) {
		const char *p = s[i] ? strchr(alphabet, s[i]) : NULL;
		if (!p)
			return 0;
		v[i] = (int)(p - alphabet);
	}
	for (int i = 0; i < 17; i++)
		sum += v[i] * w[i];
	int c = 31 - sum % 31;
	return v[17] == (c == 31 ? 0 : c);
}

void id_mask(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = i < 4 || i + 4 >= n ? s[i] : '*';
	out[n] = 0;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int id_char(char c)
{
	return digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void mask_at(char *p)
{
	char masked[19];
	id_mask(p, 18, masked);
	memcpy(p, masked, 18);
}

void ids_mask_in(char *text)
{
	/* ID numbers: 18 characters between non-digits ("ID1101...002X:" too) */
	for (char *p = text; *p; p++)
		if (digit(*p) && (p == text || !digit(p[-1]))) {
			size_t n = 0;
			while (n < 18 && p[n] && (digit(p[n]) || (n == 17 && (p[n] == 'X' || p[n] == 'x'))))
				n++;
			if (n == 18 && !digit(p[18]) && id_number_valid(p, 18))
				mask_at(p);
		}
	/* credit codes: 18 letters and digits standing alone */
	for (char *p = text; *p;) {
		if (!id_char(*p)) {
			p++;
			continue;
		}
		char *q = p;
		while (id_char(*q))
			q++;
		if (q - p == 18 && credit_code_valid(p, 18))
			mask_at(p);
		p = q;
	}
}
