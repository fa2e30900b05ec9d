/*
 * base.h -- the few building blocks everything else stands on: the
 * allocator hook, arenas, a string map, growable buffers, UTF-8 helpers.
 *
 * Ownership: an arena owns every byte allocated from it; nothing allocated
 * from an arena is ever freed on its own.  Whoever creates an arena frees it
 * with arena_free().  A buf owns its bytes until buf_steal() hands them on.
 *
 * Out of memory: an arena (and a buf) with a non-NULL `oom` jump buffer
 * longjmps there when its allocator fails, the way Lua raises LUA_ERRMEM.
 * Compilation relies on this: it keeps all its memory in arenas, so one
 * setjmp at the entry point frees everything and reports OT_ENOMEM, and the
 * lexer, parser and checker need no NULL checks.  Without `oom`, allocation
 * failure returns NULL.
 */
#ifndef OT_BASE_H
#define OT_BASE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "onetrip.h"

/* The allocator every module goes through (see ot_alloc_fn in onetrip.h). */
typedef struct ot_allocator {
	ot_alloc_fn fn;
	void *ud;
} ot_allocator;

extern const ot_allocator ot_default_allocator;

void *ot_mem_alloc(const ot_allocator *a, size_t n);
void *ot_mem_realloc(const ot_allocator *a, void *p, size_t old, size_t n);
void ot_mem_free(const ot_allocator *a, void *p, size_t n);

/* ---- errors ---- */

/* Sets err (if any) and returns status.  The message is masked (ID numbers
 * and credit codes) before it is cut to fit, on a character boundary. */

ot_status err_set(ot_error *err, ot_status status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* What a message quotes of a request (a name, a key): at most n bytes of
 * s, whole characters, an ID number in it masked first -- cut by a
 * precision ('%.60s'), a number cut short would no longer be one that
 * err_set recognises.  Written into out (cap bytes), which it returns. */
const char *msg_quote(const char *s, size_t n, char *out, size_t cap);
#define MSG_QUOTE_CAP 256
#define MSG_QUOTE(s, n) msg_quote((s), (n), (char[MSG_QUOTE_CAP]){0}, MSG_QUOTE_CAP)

/* ---- arena ---- */

typedef struct arena_chunk arena_chunk;
typedef struct arena {
	ot_allocator alloc;
	arena_chunk *head;
	char *cur, *end;
	size_t total; /* bytes requested from the allocator, for reports */
	jmp_buf *oom;
} arena;

/* Bytes per arena chunk.  Tests shrink it so that a compile makes thousands
 * of allocations, each of which they then fail in turn. */
extern size_t arena_chunk_bytes;

void arena_init(arena *a, const ot_allocator *alloc, jmp_buf *oom);
void arena_free(arena *a);
void *arena_alloc(arena *a, size_t n);  /* zeroed, max-aligned */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Grows an arena array: returns a copy with room for `want` elements. */
void *arena_grow(arena *a, void *old, size_t *cap, size_t want, size_t elem);

/* ---- growable byte buffer (allocator-backed, not arena) ---- */

typedef struct buf {
	ot_allocator alloc;
	arena *a;   /* if set, the bytes live in this arena (nothing to free) */
	char *p;
	size_t len, cap;
	jmp_buf *oom;
	int failed; /* set when an allocation failed and oom was NULL */
} buf;

void buf_init(buf *b, const ot_allocator *alloc, jmp_buf *oom);
/* A buffer whose bytes live in `a`: for text built during a compile, where
 * an out-of-memory longjmp must not leak it.  Never empty: "" at start. */
void buf_init_arena(buf *b, arena *a);
void buf_free(buf *b);
/* buf_add and buf_putc: inline while there is room (answers are written
 * a few bytes at a time), the growth out of line. */
void buf_add_grow(buf *b, const void *p, size_t n);
void buf_putc_grow(buf *b, char c);
static inline void buf_add(buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		buf_add_grow(b, p, n);
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}
static inline void buf_putc(buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		buf_putc_grow(b, c);
		return;
	}
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}
void buf_puts(buf *b, const char *s);
/* A string literal, its length known when compiled. */
#define buf_lit(b, lit) buf_add((b), "" lit, sizeof(lit) - 1)
/* Appends a whole number in decimal, without printf (answers write many). */
void buf_int(buf *b, long long v);
/* The same as text in t: returns where it starts (it ends at t[23], 0). */
const char *int_text(long long v, char t[24]);
/* src copied into dst of cap bytes (cap > 0), cut to fit and always
 * ended: snprintf's "%s" without printf, for copies on every operation. */
char *str_copy(char *dst, size_t cap, const char *src);
void buf_printf(buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Appends s as the body of a JSON string (no quotes), escaped by the two
 * functions below. */
void buf_json_str(buf *b, const char *s);
/* s as a JSON string, in quotes and escaped; NULL as null. */
void buf_json_quoted(buf *b, const char *s);

/* JSON string escaping, the one place for it (buf_json_str, json_write.c):
 * '"', '\\' and the control characters are escaped as jansson escapes them
 * (\b \f \n \r \t by name, the others as \u00XX in upper case); every other
 * byte, UTF-8 or not, is copied as it is.  json_plain: the first byte in
 * [s, end) that needs an escape, or end (8 bytes a step: most text has none);
 * json_escape_byte: that byte's escape, 2 or 6 bytes into out. */
const char *json_plain(const char *s, const char *end);
size_t json_escape_byte(unsigned char c, char out[6]);
/* Returns the NUL-terminated contents, allocated with malloc (the caller
 * frees with free()), and empties the buffer.  NULL on failure. */
char *buf_steal(buf *b);

/* ---- string map: name -> int, keys borrowed, storage in an arena ---- */

typedef struct strmap_slot {
	const char *key;
	uint32_t len, hash;
	int value;
} strmap_slot;

typedef struct strmap {
	strmap_slot *slots;
	uint32_t cap, count;
	arena *a;
} strmap;

void strmap_init(strmap *m, arena *a);
/* Returns the existing value, or inserts `value` and returns -1. */
int strmap_put(strmap *m, const char *key, size_t len, int value);
int strmap_get(const strmap *m, const char *key, size_t len); /* -1: absent */
uint32_t str_hash(const char *s, size_t n);

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
int utf8_seq_len(const unsigned char *s, size_t n);
/* Decodes one code point; returns bytes used (1 for an invalid byte). */
int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
int utf8_encode(uint32_t cp, char out[4]);
size_t utf8_count(const char *s, size_t n);  /* code points */
int utf8_valid(const char *s, size_t n);     /* all of s[0..n) is UTF-8 */
int cp_width(uint32_t cp);                   /* terminal columns: 0, 1 or 2 */
/* Replaces each malformed sequence in s (in place, never longer) with '?'. */
void utf8_scrub(char *s);
/* Makes text cut to a buffer valid: drops a character the cut split, then
 * scrubs what is malformed (a hook's message may hold anything). */
void utf8_settle(char *s);

/* Edit distance (code points, capped at `cap`+1) for did-you-mean. */
int edit_distance(const char *a, const char *b, int cap);
/* The name nearest to `name`, within cap edits, among n structs laid out
 * stride bytes apart whose first member is their name (the model's items,
 * chains ...), for a "did you mean"; NULL: none is near. */
const char *nearest_name(const char *name, const void *first, size_t n, size_t stride, int cap);

#define OT_COUNTOF(x) (sizeof(x) / sizeof((x)[0]))

/* ---- jansson's allocations ----
 * jansson reports some failed allocations as nothing at all (a string cut
 * short, JSON text written wrong).  The guard wraps jansson's allocator,
 * once per process (whatever allocator the host gave jansson stays the one
 * used), and remembers, per thread, that an allocation failed; an
 * operation that saw one fails with OT_ENOMEM and changes nothing. */
void json_guard_install(void);
/* Forgets earlier failures of this thread (at the start of an operation). */
void json_guard_reset(void);
/* Did an allocation of jansson fail in this thread since the reset? */
int json_guard_failed(void);
/* Between the two, jansson's allocations of this thread are cut from a
 * slab of its own (base.c says how; nothing changes for whoever frees the
 * values).  Only around json_read of a request whose values the operation
 * frees at its end: a value kept longer keeps its slab from being reused,
 * and no text jansson writes (json_dumps, freed with free()) may be made
 * between them. */
void json_pool_begin(void);
void json_pool_end(void);

#endif
