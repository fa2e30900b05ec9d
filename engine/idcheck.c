#include <stdint.h>
#include <string.h>

#include "calendar.h"
#include "idcheck.h"
#include "onetrip.h"
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
	/* the value of each character of GB 32100's alphabet
	 * "0123456789ABCDEFGHJKLMNPQRTUWXY", plus one; 0: not in it (no I, O,
	 * S, V, Z); a table, since every form with a code checks it */
	static const unsigned char value[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14,
		['E'] = 15, ['F'] = 16, ['G'] = 17, ['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21,
		['M'] = 22, ['N'] = 23, ['P'] = 24, ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28,
		['W'] = 29, ['X'] = 30, ['Y'] = 31,
	};
	static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	if (n != 18)
		return 0;
	int sum = 0, v[18];
	for (int i = 0; i < 18; i++) {
		int x = value[(unsigned char)s[i]];
		if (!x)
			return 0;
		v[i] = x - 1;
	}
	for (int i = 2; i < 8; i++) /* the GB/T 2260 division code: six digits */
		if (v[i] > 9)
			return 0;
	for (int i = 0; i < 17; i++)
		sum += v[i] * w[i];
	int c = 31 - sum % 31;
	return v[17] == (c == 31 ? 0 : c);
}

/* What a mask keeps: the first 4 and the last 4 characters.  For the 18
 * characters of a number in a run, the bits of the 10 in between. */
#define ID_KEPT 4
#define ID_MASKED_BITS (((1u << (18 - 2 * ID_KEPT)) - 1) << ID_KEPT)

void id_mask(const char *s, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = i < ID_KEPT || i + ID_KEPT >= n ? s[i] : '*';
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

/* A credit code at w inside a longer run p[0..n): only with its region code
 * (characters 3-8) in digits, and not where an ID number overlaps it ("ID"
 * and the first digits of a number often make one): words of capitals are
 * common, and one window in 31 has a right check character. */
static int code_in_run(const char *p, size_t n, size_t w)
{
	for (int i = 2; i < 8; i++)
		if (!digit(p[w + (size_t)i]))
			return 0;
	size_t from = w > 17 ? w - 17 : 0;
	for (size_t o = from; o < w + 18 && o + 18 <= n; o++)
		if (id_number_valid(p + o, 18))
			return 0;
	return 1;
}

/* An ID number or credit code in the 18 characters at p + w, in the run of
 * letters and digits p[0..n). */
static int number_at(const char *p, size_t n, size_t w)
{
	if (id_number_valid(p + w, 18))
		return 1;
	return credit_code_valid(p + w, 18) && (n == 18 || code_in_run(p, n, w));
}

/* Masks the numbers in one run of letters and digits.  Windows are judged
 * on the text as it was: a star is written only once no later window can
 * read its place (the bits of `pending` are the places w, w+1, ...). */
static void mask_run(char *p, size_t n)
{
	uint32_t pending = 0;
	for (size_t w = 0; w < n; w++) {
		if (w + 18 <= n && number_at(p, n, w))
			pending |= ID_MASKED_BITS;
		if (pending & 1)
			p[w] = '*';
		pending >>= 1;
	}
}

void ids_mask_in(char *text)
{
	for (char *p = text; *p;) {
		char *q = p;
		while (id_char(*q))
			q++;
		if (q - p >= 18)
			mask_run(p, (size_t)(q - p));
		p = *q ? q + 1 : q;
	}
}

void ot_mask_ids(char *text)
{
	if (text)
		ids_mask_in(text);
}
