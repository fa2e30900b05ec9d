/*
 * json_read.c -- the fast reader of request JSON (json_read.h): one pass
 * over the text in memory, recursive descent, strings without escapes
 * made straight from the text.  Anything not plainly valid gives NULL
 * (the caller falls back to jansson).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "json_read.h"

#define JR_DEPTH 256

typedef struct jr {
	const char *p, *end; /* end: the text's NUL */
	char *buf;  /* for strings with escapes */
	size_t cap;
} jr;

static json_t *jr_value(jr *r, int depth);

static void jr_ws(jr *r)
{
	while (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')
		r->p++;
}

static int jr_hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

static int jr_put(jr *r, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > r->cap) {
		size_t cap = (*n + len + 1) * 2;
		char *b = realloc(r->buf, cap);
		if (!b)
			return 0;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + *n, s, len);
	*n += len;
	return 1;
}

/* The bytes a string holds as they are: printable ASCII but '"' and '\\'
 * (a table: a request's strings are short names, codes and times, too
 * short for a scan 8 bytes at a time to pay for its call). */
#define JR_R8(x) x, x, x, x, x, x, x, x
static const unsigned char jr_plain[256] = {
	JR_R8(0), JR_R8(0), JR_R8(0), JR_R8(0),     /* control characters */
	1, 1, 0, 1, 1, 1, 1, 1, JR_R8(1), JR_R8(1), JR_R8(1), /* ' ' .. '?', not '"' */
	JR_R8(1), JR_R8(1), JR_R8(1), 1, 1, 1, 1, 0, 1, 1, 1, /* '@' .. '_', not '\\' */
	JR_R8(1), JR_R8(1), JR_R8(1), JR_R8(1),     /* '`' .. DEL */
	/* 0x80 and above: 0, UTF-8 to check */
};

/* The string at r->p (its opening quote); *len its length.  Points into
 * the text when it has no escape, else into r->buf.  NULL: refused. */
static const char *jr_string(jr *r, size_t *len)
{
	const char *start = ++r->p, *s = start;
	size_t n = 0;
	int escaped = 0;
	for (;;) {
		const char *q = s;
		while (jr_plain[(unsigned char)*q])
			q++;
		if (escaped && q > s && !jr_put(r, &n, s, (size_t)(q - s)))
			return NULL;
		s = q;
		unsigned char c = (unsigned char)*s;
		if (c == '"')
			break;
		if (c < 0x20)
			return NULL; /* a control character, or the text ended */
		if (c >= 0x80) {
			int k = utf8_seq_len((const unsigned char *)s, (size_t)(r->end - s));
			if (!k)
				return NULL;
			if (escaped && !jr_put(r, &n, s, (size_t)k))
				return NULL;
			s += k;
			continue;
		}
		/* a backslash */
		if (!escaped) { /* the first escape: copy what came before */
			escaped = 1;
			if (!jr_put(r, &n, start, (size_t)(s - start)))
				return NULL;
		}
		char e = s[1], one;
		switch (e) {
		case '"': one = '"'; break;
		case '\\': one = '\\'; break;
		case '/': one = '/'; break;
		case 'b': one = '\b'; break;
		case 'f': one = '\f'; break;
		case 'n': one = '\n'; break;
		case 'r': one = '\r'; break;
		case 't': one = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (!jr_hex4(s + 2, &cp) || cp == 0)
				return NULL; /* \u0000: jansson's error */
			s += 6;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return NULL;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (s[0] != '\\' || s[1] != 'u' || !jr_hex4(s + 2, &lo) || lo < 0xDC00 ||
				    lo > 0xDFFF)
					return NULL;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			}
			char u[4];
			if (!jr_put(r, &n, u, (size_t)utf8_encode(cp, u)))
				return NULL;
			continue;
		}
		default:
			return NULL;
		}
		if (!jr_put(r, &n, &one, 1))
			return NULL;
		s += 2;
	}
	r->p = s + 1;
	if (!escaped) {
		*len = (size_t)(s - start);
		return start;
	}
	*len = n;
	return r->buf;
}

static json_t *jr_number(jr *r)
{
	const char *s = r->p, *q = s;
	int real = 0;
	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (*q >= '0' && *q <= '9')
			q++;
	else
		return NULL;
	if (*q == '.') {
		real = 1;
		if (!(*++q >= '0' && *q <= '9'))
			return NULL;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		real = 1;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return NULL;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	char *end;
	errno = 0;
	json_t *v;
	if (real) {
		double d = strtod(s, &end);
		if (end != q || errno == ERANGE || isinf(d))
			return NULL; /* jansson: "real number overflow" */
		v = json_real(d);
	} else {
		long long i = strtoll(s, &end, 10);
		if (end != q || errno == ERANGE)
			return NULL; /* jansson: "too big integer" */
		v = json_integer(i);
	}
	r->p = q;
	return v;
}

static json_t *jr_object(jr *r, int depth)
{
	json_t *o = json_object();
	r->p++;
	jr_ws(r);
	if (*r->p == '}') {
		r->p++;
		return o;
	}
	while (o) {
		size_t n;
		const char *k = *r->p == '"' ? jr_string(r, &n) : NULL;
		char small[64], *key = small;
		if (k && n >= sizeof small)
			key = malloc(n + 1);
		if (!k || !key) {
			json_decref(o);
			return NULL;
		}
		memcpy(key, k, n); /* r->buf is reused by the value's strings */
		key[n] = 0;
		jr_ws(r);
		json_t *v = NULL;
		size_t had = json_object_size(o);
		if (*r->p == ':') {
			r->p++;
			jr_ws(r);
			v = jr_value(r, depth + 1);
		}
		/* a duplicate key replaces the value and the object does not grow:
		 * refused (jansson says so), found without a look-up per key */
		if (!v || json_object_setn_new_nocheck(o, key, n, v) || json_object_size(o) == had) {
			if (key != small)
				free(key);
			json_decref(o);
			return NULL;
		}
		if (key != small)
			free(key);
		jr_ws(r);
		if (*r->p == '}') {
			r->p++;
			return o;
		}
		if (*r->p != ',') {
			json_decref(o);
			return NULL;
		}
		r->p++;
		jr_ws(r);
	}
	return NULL;
}

static json_t *jr_array(jr *r, int depth)
{
	json_t *a = json_array();
	r->p++;
	jr_ws(r);
	if (*r->p == ']') {
		r->p++;
		return a;
	}
	while (a) {
		json_t *v = jr_value(r, depth + 1);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
		jr_ws(r);
		if (*r->p == ']') {
			r->p++;
			return a;
		}
		if (*r->p != ',') {
			json_decref(a);
			return NULL;
		}
		r->p++;
		jr_ws(r);
	}
	return NULL;
}

static json_t *jr_value(jr *r, int depth)
{
	if (depth > JR_DEPTH)
		return NULL;
	switch (*r->p) {
	case '{': return jr_object(r, depth);
	case '[': return jr_array(r, depth);
	case '"': {
		size_t n;
		const char *s = jr_string(r, &n);
		return s ? json_stringn_nocheck(s, n) : NULL; /* checked above: UTF-8, no NUL */
	}
	case 't':
		if (strncmp(r->p, "true", 4) != 0)
			return NULL;
		r->p += 4;
		return json_true();
	case 'f':
		if (strncmp(r->p, "false", 5) != 0)
			return NULL;
		r->p += 5;
		return json_false();
	case 'n':
		if (strncmp(r->p, "null", 4) != 0)
			return NULL;
		r->p += 4;
		return json_null();
	default:
		return jr_number(r);
	}
}

json_t *json_read(const char *text)
{
	jr r = {text, text + strlen(text), NULL, 0};
	jr_ws(&r);
	json_t *v = *r.p == '{' || *r.p == '[' ? jr_value(&r, 1) : NULL;
	if (v) {
		jr_ws(&r);
		if (*r.p) { /* something after the value */
			json_decref(v);
			v = NULL;
		}
	}
	free(r.buf);
	return v;
}
