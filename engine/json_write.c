/*
 * json_write.c -- JSON values written as text, as json_dumps writes them,
 * in a fraction of its time.
 *
 * Every durable operation writes a case's snapshot and its event for the
 * store, and its answer: a profile of the service under the permit flow
 * put jansson's json_dumps at a third of all the work (it decodes every
 * character of every string as UTF-8 and hands the text out a piece at a
 * time through a callback).  The strings are jansson's, valid UTF-8
 * already: this writer copies each run of characters that need no escape
 * at once, into one growing block.  The text is byte for byte json_dumps's
 * for the flags it takes (0, JSON_COMPACT, JSON_INDENT(n), both): the
 * order of an object's keys, the separators, the escapes (\uXXXX in upper
 * case), integers; a real is written by jansson itself (they are rare
 * here, and how jansson prints them is its own).  test_json_write holds it
 * to that on random values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "json_write.h"

/* The writer's state: the text so far (in a buf: its owner's) and the
 * flags it is written with. */
typedef struct out {
	buf *b;
	size_t flags;
} out;

static inline void put(out *o, const char *s, size_t n)
{
	buf_add(o->b, s, n);
}

static inline void putc1(out *o, char c)
{
	buf_putc(o->b, c);
}

/* The escapes are base.c's (json_plain, json_escape_byte): the one place
 * for them, and jansson's own; the runs between them are copied whole. */
static void string(out *o, const char *s, size_t n)
{
	const char *end = s + n;
	putc1(o, '"');
	for (;;) {
		const char *q = json_plain(s, end);
		if (q > s)
			put(o, s, (size_t)(q - s));
		if (q == end)
			break;
		char e[6];
		put(o, e, json_escape_byte((unsigned char)*q, e));
		s = q + 1;
	}
	putc1(o, '"');
}

static void integer(out *o, json_int_t v)
{
	char text[24];
	const char *p = int_text((long long)v, text);
	put(o, p, (size_t)(text + 23 - p));
}

/* A new line and depth * n spaces with JSON_INDENT(n); else a space where
 * jansson puts one (between items, unless compact). */
static void indent(out *o, int depth, int space)
{
	static const char spaces[64] = "                                                               ";
	size_t n = (o->flags & JSON_MAX_INDENT) * (size_t)depth;
	if (o->flags & JSON_MAX_INDENT) {
		putc1(o, '\n');
		for (size_t k; n; n -= k) {
			k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
			put(o, spaces, k);
		}
	} else if (space && !(o->flags & JSON_COMPACT))
		putc1(o, ' ');
}

static void value(out *o, const json_t *j, int depth)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)j);
		putc1(o, '{');
		if (!it) {
			putc1(o, '}');
			return;
		}
		indent(o, depth + 1, 0);
		while (it && !o->b->failed) {
			void *next = json_object_iter_next((json_t *)j, it);
			string(o, json_object_iter_key(it), json_object_iter_key_len(it));
			if (o->flags & JSON_COMPACT)
				putc1(o, ':');
			else
				put(o, ": ", 2);
			value(o, json_object_iter_value(it), depth + 1);
			if (next) {
				putc1(o, ',');
				indent(o, depth + 1, 1);
			} else
				indent(o, depth, 0);
			it = next;
		}
		putc1(o, '}');
		return;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		putc1(o, '[');
		if (!n) {
			putc1(o, ']');
			return;
		}
		indent(o, depth + 1, 0);
		for (size_t i = 0; i < n && !o->b->failed; i++) {
			value(o, json_array_get(j, i), depth + 1);
			if (i + 1 < n) {
				putc1(o, ',');
				indent(o, depth + 1, 1);
			} else
				indent(o, depth, 0);
		}
		putc1(o, ']');
		return;
	}
	case JSON_STRING:
		string(o, json_string_value(j), json_string_length(j));
		return;
	case JSON_INTEGER:
		integer(o, json_integer_value(j));
		return;
	case JSON_REAL: {
		char *text = json_dumps(j, JSON_ENCODE_ANY);
		if (text)
			put(o, text, strlen(text));
		else
			o->b->failed = 1;
		free(text);
		return;
	}
	case JSON_TRUE:
		put(o, "true", 4);
		return;
	case JSON_FALSE:
		put(o, "false", 5);
		return;
	case JSON_NULL:
		put(o, "null", 4);
		return;
	}
}

void json_write(buf *b, const json_t *j, size_t flags)
{
	out o = {b, flags};
	value(&o, j, 0);
}

char *json_text(const json_t *j, size_t flags)
{
	if (!j)
		return NULL;
	buf b;
	buf_init(&b, NULL, NULL);
	json_write(&b, j, flags);
	return buf_steal(&b);
}

/* The end of the string that starts at s (its opening quote): just past
 * its closing quote.  A quote after an odd run of backslashes is escaped. */
static const char *string_end(const char *s, const char *end)
{
	for (const char *q = s + 1;;) {
		q = memchr(q, '"', (size_t)(end - q));
		if (!q)
			return end;
		const char *b = q;
		while (b > s + 1 && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0)
			return q + 1;
		q++;
	}
}

/* Compact text has no white space outside strings: each ',' and ':' and
 * each bracket decides what json_text with JSON_INDENT puts around it
 * (value() above: a new line and the depth's spaces after an opening
 * bracket and a comma and before a closing one, ": " between a key and its
 * value, nothing inside an empty object or array). */
char *json_indent(const char *compact, size_t n, int width)
{
	buf b;
	buf_init(&b, NULL, NULL);
	out o = {&b, JSON_INDENT(width)};
	const char *s = compact, *end = compact + n;
	int depth = 0;
	while (s < end && !b.failed) {
		const char *t;
		switch (*s) {
		case '"':
			t = string_end(s, end);
			put(&o, s, (size_t)(t - s));
			s = t;
			continue;
		case '{': case '[':
			if (s + 1 < end && (s[1] == '}' || s[1] == ']')) {
				put(&o, s, 2);
				s += 2;
				continue;
			}
			putc1(&o, *s);
			indent(&o, ++depth, 0);
			break;
		case '}': case ']':
			indent(&o, --depth, 0);
			putc1(&o, *s);
			break;
		case ',':
			putc1(&o, ',');
			indent(&o, depth, 1);
			break;
		case ':':
			put(&o, ": ", 2);
			break;
		default: /* a number, true, false, null */
			for (t = s; t < end && !strchr(",:]}", *t); t++)
				;
			put(&o, s, (size_t)(t - s));
			s = t;
			continue;
		}
		s++;
	}
	return buf_steal(&b);
}
