#include "base.h"
#include "idcheck.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, nsize);
}

const ot_allocator ot_default_allocator = {default_alloc, NULL};

void *ot_mem_alloc(const ot_allocator *a, size_t n)
{
	return a->fn(a->ud, NULL, 0, n ? n : 1);
}

void *ot_mem_realloc(const ot_allocator *a, void *p, size_t old, size_t n)
{
	return a->fn(a->ud, p, old, n ? n : 1);
}

void ot_mem_free(const ot_allocator *a, void *p, size_t n)
{
	if (p)
		a->fn(a->ud, p, n, 0);
}

/* ---- arena ---- */

struct arena_chunk {
	arena_chunk *next;
	size_t size;
	max_align_t data[];
};

#define ALIGN (sizeof(max_align_t))

size_t arena_chunk_bytes = 16384;

void arena_init(arena *a, const ot_allocator *alloc, jmp_buf *oom)
{
	memset(a, 0, sizeof *a);
	a->alloc = alloc ? *alloc : ot_default_allocator;
	a->oom = oom;
}

void arena_free(arena *a)
{
	arena_chunk *c = a->head, *next;
	for (; c; c = next) {
		next = c->next;
		ot_mem_free(&a->alloc, c, sizeof *c + c->size);
	}
	a->head = NULL;
	a->cur = a->end = NULL;
}

void *arena_alloc(arena *a, size_t n)
{
	size_t need = (n + ALIGN - 1) / ALIGN * ALIGN;
	if (need < n)
		goto fail;
	if (need == 0)
		need = ALIGN;
	if ((size_t)(a->end - a->cur) < need) {
		size_t size = need > arena_chunk_bytes / 4 ? need : arena_chunk_bytes;
		if (size < need)
			size = need;
		arena_chunk *c;
		if (size > SIZE_MAX - sizeof *c)
			goto fail;
		c = ot_mem_alloc(&a->alloc, sizeof *c + size);
		if (!c)
			goto fail;
		c->size = size;
		a->total += sizeof *c + size;
		if (size == need && a->head) {
			/* A big block gets its own chunk; keep filling the current one. */
			c->next = a->head->next;
			a->head->next = c;
			memset(c->data, 0, need);
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->cur = (char *)c->data;
		a->end = a->cur + size;
	}
	void *p = a->cur;
	a->cur += need;
	memset(p, 0, need);
	return p;
fail:
	if (a->oom)
		longjmp(*a->oom, 1);
	return NULL;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p) {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

void *arena_grow(arena *a, void *old, size_t *cap, size_t want, size_t elem)
{
	if (want <= *cap)
		return old;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap < want)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem) {
		if (a->oom)
			longjmp(*a->oom, 1);
		return NULL;
	}
	void *p = arena_alloc(a, ncap * elem);
	if (!p)
		return NULL;
	if (old)
		memcpy(p, old, *cap * elem);
	*cap = ncap;
	return p;
}

/* ---- buf ---- */

void buf_init(buf *b, const ot_allocator *alloc, jmp_buf *oom)
{
	memset(b, 0, sizeof *b);
	b->alloc = alloc ? *alloc : ot_default_allocator;
	b->oom = oom;
}

void buf_init_arena(buf *b, arena *a)
{
	memset(b, 0, sizeof *b);
	b->a = a;
	buf_add(b, "", 0);
}

void buf_free(buf *b)
{
	if (b->a) {
		b->p = NULL;
		b->len = b->cap = 0;
		return;
	}
	ot_mem_free(&b->alloc, b->p, b->cap);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int buf_reserve(buf *b, size_t n)
{
	if (b->failed)
		return 0;
	if (b->len + n + 1 <= b->cap)
		return 1;
	size_t ncap = b->cap ? b->cap : 1024;
	while (ncap < b->len + n + 1) {
		if (ncap > SIZE_MAX / 2)
			goto fail;
		ncap *= 2;
	}
	char *p;
	if (b->a) {
		p = arena_alloc(b->a, ncap); /* longjmps or returns NULL */
		if (p && b->len)
			memcpy(p, b->p, b->len);
	} else
		p = ot_mem_realloc(&b->alloc, b->p, b->cap, ncap);
	if (!p)
		goto fail;
	b->p = p;
	b->cap = ncap;
	return 1;
fail:
	if (b->oom)
		longjmp(*b->oom, 1);
	b->failed = 1;
	return 0;
}

/* buf_add when there is no room (after a failed growth, what is added is
 * dropped at buf_steal all the same) */
void buf_add_grow(buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_puts(buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_putc_grow(buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

const char *int_text(long long v, char t[24])
{
	char *p = t + 23;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	*p = 0;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	return p;
}

char *str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
	return dst;
}

void buf_int(buf *b, long long v)
{
	char t[24];
	const char *p = int_text(v, t);
	buf_add(b, p, (size_t)(t + 23 - p));
}

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Whether any of the 8 bytes in w must be escaped in a JSON string: a
 * control character (below 0x20), '"' or '\\'.  Exact for "any" (the
 * classic has-zero-byte and has-less-than tests of "Bit Twiddling Hacks");
 * which one is found by looking at the bytes. */
static int json_escape8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
	return (((q - ones) & ~q) | ((bs - ones) & ~bs) | ((w - ones * 0x20) & ~w)) & highs ? 1 : 0;
}

const char *json_plain(const char *s, const char *end)
{
	uint64_t w;
	while (end - s >= 8 && (memcpy(&w, s, 8), !json_escape8(w)))
		s += 8;
	while (s < end && (unsigned char)*s >= 0x20 && *s != '"' && *s != '\\')
		s++;
	return s;
}

size_t json_escape_byte(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789ABCDEF";
	out[0] = '\\';
	switch (c) {
	case '"': out[1] = '"'; return 2;
	case '\\': out[1] = '\\'; return 2;
	case '\b': out[1] = 'b'; return 2;
	case '\f': out[1] = 'f'; return 2;
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	default:
		out[1] = 'u';
		out[2] = out[3] = '0';
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

/* Answers are mostly labels and reasons with nothing to escape: runs of
 * plain bytes are copied whole. */
void buf_json_str(buf *b, const char *s)
{
	const char *end = s + strlen(s);
	for (;;) {
		const char *q = json_plain(s, end);
		if (q > s)
			buf_add(b, s, (size_t)(q - s));
		if (q == end)
			return;
		char e[6];
		buf_add(b, e, json_escape_byte((unsigned char)*q, e));
		s = q + 1;
	}
}

void buf_json_quoted(buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	buf_putc(b, '"');
	buf_json_str(b, s);
	buf_putc(b, '"');
}

char *buf_steal(buf *b)
{
	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	char *out;
	if (!b->a && b->alloc.fn == ot_default_allocator.fn && b->p) {
		out = b->p; /* from realloc: the caller can free() it as it is */
		b->p = NULL;
		b->len = b->cap = 0;
		return out;
	}
	out = malloc(b->len + 1);
	if (out) {
		if (b->len)
			memcpy(out, b->p, b->len);
		out[b->len] = 0;
	}
	buf_free(b);
	return out;
}

/* ---- strmap ---- */

uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

void strmap_init(strmap *m, arena *a)
{
	memset(m, 0, sizeof *m);
	m->a = a;
}

static strmap_slot *strmap_find(const strmap *m, const char *key, size_t len,
				uint32_t h)
{
	uint32_t mask = m->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len &&
				memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void strmap_rehash(strmap *m)
{
	uint32_t ocap = m->cap;
	strmap_slot *old = m->slots;
	m->cap = ocap ? ocap * 2 : 16;
	m->slots = arena_alloc(m->a, m->cap * sizeof *m->slots);
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].key)
			*strmap_find(m, old[i].key, old[i].len, old[i].hash) = old[i];
}

int strmap_put(strmap *m, const char *key, size_t len, int value)
{
	if ((m->count + 1) * 4 > m->cap * 3)
		strmap_rehash(m);
	uint32_t h = str_hash(key, len);
	strmap_slot *s = strmap_find(m, key, len, h);
	if (s->key)
		return s->value;
	s->key = key;
	s->len = (uint32_t)len;
	s->hash = h;
	s->value = value;
	m->count++;
	return -1;
}

int strmap_get(const strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return -1;
	strmap_slot *s = strmap_find(m, key, len, str_hash(key, len));
	return s->key ? s->value : -1;
}

/* ---- UTF-8 ---- */

int utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	int len;
	uint32_t min;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, min = 0x10000;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	uint32_t cp = c & (0x7F >> len);
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	int len = n ? utf8_seq_len(s, n) : 0;
	if (len <= 1) {
		*cp = n ? s[0] : 0;
		return 1;
	}
	uint32_t v = s[0] & (0x7F >> len);
	for (int i = 1; i < len; i++)
		v = v << 6 | (s[i] & 0x3F);
	*cp = v;
	return len;
}

int utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

int utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		int len = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (len == 0)
			return 0;
		i += (size_t)len;
	}
	return 1;
}

void utf8_scrub(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		int len = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (len == 0) {
			s[i++] = '?';
			continue;
		}
		i += (size_t)len;
	}
}

void utf8_settle(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)s[i - 1] >= 0xC0 &&
	    utf8_seq_len((const unsigned char *)s + i - 1, n - i + 1) == 0)
		s[i - 1] = 0;
	utf8_scrub(s);
}

int cp_width(uint32_t cp)
{
	/* East Asian Wide and Fullwidth blocks: enough to line carets up under
	 * Chinese text in a terminal. */
	static const uint32_t wide[][2] = {
		{0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF},
		{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
		{0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F},
		{0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
		{0x20000, 0x3FFFD},
	};
	if (cp == 0 || (cp >= 0x300 && cp <= 0x36F) || cp == 0x200B)
		return 0;
	for (size_t i = 0; i < OT_COUNTOF(wide); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

int edit_distance(const char *a, const char *b, int cap)
{
	uint32_t ca[64], cb[64];
	int n = 0, m = 0;
	size_t la = strlen(a), lb = strlen(b);
	for (size_t i = 0; i < la && n < 64; n++)
		i += (size_t)utf8_decode((const unsigned char *)a + i, la - i, &ca[n]);
	for (size_t i = 0; i < lb && m < 64; m++)
		i += (size_t)utf8_decode((const unsigned char *)b + i, lb - i, &cb[m]);
	if (abs(n - m) > cap)
		return cap + 1;
	int row[65];
	for (int j = 0; j <= m; j++)
		row[j] = j;
	for (int i = 1; i <= n; i++) {
		int diag = row[0], best;
		row[0] = best = i;
		for (int j = 1; j <= m; j++) {
			int up = row[j];
			int cost = ca[i - 1] != cb[j - 1];
			int v = diag + cost;
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			/* adjacent transposition counts as one edit */
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[m];
}

/* ---- errors ---- */

ot_status err_set(ot_error *err, ot_status status, const char *fmt, ...)
{
	if (err) {
		/* messages reach operators and logs: no personal numbers, and
		 * valid text whatever a hook printed.  Masked before it is cut,
		 * with room for a number that straddles the cut. */
		char full[sizeof err->message + 64];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(full, sizeof full, fmt, ap);
		va_end(ap);
		ids_mask_in(full);
		full[sizeof err->message - 1] = 0;
		utf8_settle(full); /* ends on a whole character */
		memcpy(err->message, full, sizeof err->message);
		err->status = status;
	}
	return status;
}

const char *msg_quote(const char *s, size_t n, char *out, size_t cap)
{
	/* an ID straddling the cut is masked whole: 20 bytes beyond it */
	size_t take = s ? strlen(s) : 0, room = n + 20 < cap ? n + 20 : cap - 1;
	if (take > room)
		take = room;
	memcpy(out, s ? s : "", take);
	out[take] = 0;
	ids_mask_in(out);
	if (strlen(out) > n)
		out[n] = 0;
	utf8_settle(out);
	return out;
}

/* ---- jansson's allocations ---- */

static json_malloc_t guard_next_malloc;
static json_free_t guard_next_free;
static _Thread_local int guard_failed;

/* A request's values without a malloc each.  An operation that only reads
 * reads its request into some 40 jansson values and frees them all at its
 * end: malloc and free were a fifth of an assessment.  While json_read
 * reads such a request (json_pool_begin .. json_pool_end), jansson's
 * allocations are cut from a slab this thread holds, and freeing one only
 * counts down.  The slab is cut from its start again once every value cut
 * from it is freed: a value kept longer, by any thread, keeps its slab as
 * it is, and allocations that do not fit go to jansson's allocator as
 * before -- nothing freed is handed out twice, whatever keeps a value.
 * The slabs lie in one region, so a pointer tells its slab whichever
 * thread frees it; the count is atomic, but the frees of the slab's own
 * thread (nearly all) are counted apart, without an atomic each (a locked
 * instruction a free was 8 % of an assessment's time).  A thread that ends
 * gives its slab back.  Under AddressSanitizer there is no pool: it checks jansson's
 * values one by one. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's way of saying so */
#define OT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(OT_ASAN)
#define POOL_USED 0
#else
#define POOL_USED 1
#endif
#define POOL_SLABS 64
#define POOL_SLAB_BYTES 32768
#define POOL_BYTES ((size_t)POOL_SLABS * POOL_SLAB_BYTES)

static char *pool_region;                      /* the slabs; NULL: no pool */
static atomic_long pool_live[POOL_SLABS];  /* values cut and not yet freed */
static atomic_int pool_held[POOL_SLABS];   /* held by a thread */
static pthread_key_t pool_key;                 /* gives a thread's slab back */
static _Thread_local int pool_slab = -1;       /* this thread's; POOL_SLABS: none free */
static _Thread_local size_t pool_used;         /* bytes of it cut */
static _Thread_local long pool_cut;            /* values cut since json_pool_begin */
static _Thread_local long pool_freed;          /* of this thread's slab, freed here */
static _Thread_local int pool_on;

static int pool_holds(const void *p)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)pool_region;
	return pool_region && a >= lo && a - lo < POOL_BYTES;
}

static void *guard_malloc(size_t n)
{
	size_t k = (n + 15) & ~(size_t)15; /* jansson's values, max-aligned */
	if (pool_on && k >= n && k <= POOL_SLAB_BYTES - pool_used) {
		void *p = pool_region + (size_t)pool_slab * POOL_SLAB_BYTES + pool_used;
		pool_used += k;
		pool_cut++;
		return p;
	}
	void *p = guard_next_malloc(n);
	if (!p)
		guard_failed = 1;
	return p;
}

static void guard_free(void *p)
{
	if (pool_holds(p)) {
		size_t slab = ((uintptr_t)p - (uintptr_t)pool_region) / POOL_SLAB_BYTES;
		if ((int)slab == pool_slab) /* the usual case: counted here, no atomic */
			pool_freed++;
		else
			atomic_fetch_sub_explicit(&pool_live[slab], 1, memory_order_release);
		return;
	}
	guard_next_free(p);
}

static void pool_give_back(void *slab)
{
	int i = (int)((intptr_t)slab - 1);
	/* what this thread freed of it, for the next thread that takes it */
	atomic_fetch_sub_explicit(&pool_live[i], pool_freed, memory_order_release);
	pool_freed = 0;
	atomic_store(&pool_held[i], 0);
}

static void guard_setup(void)
{
	json_get_alloc_funcs(&guard_next_malloc, &guard_next_free);
	if (guard_next_malloc == guard_malloc)
		return;
	/* the slabs come from jansson's allocator too, whatever it is */
	if (POOL_USED && pthread_key_create(&pool_key, pool_give_back) == 0)
		pool_region = guard_next_malloc(POOL_BYTES);
	json_set_alloc_funcs(guard_malloc, guard_free);
}

/* This thread's slab, taken on first use: POOL_SLABS when none is free. */
static int pool_take(void)
{
	for (int i = 0; i < POOL_SLABS; i++) {
		int free_ = 0;
		if (atomic_compare_exchange_strong(&pool_held[i], &free_, 1)) {
			if (pthread_setspecific(pool_key, (void *)(intptr_t)(i + 1)) != 0) {
				atomic_store(&pool_held[i], 0);
				break;
			}
			pool_used = POOL_SLAB_BYTES; /* cut from its start once it is empty */
			return i;
		}
	}
	return POOL_SLABS;
}

void json_pool_begin(void)
{
	if (!pool_region)
		return;
	if (pool_slab < 0)
		pool_slab = pool_take();
	if (pool_slab == POOL_SLABS)
		return;
	/* all cut is freed (the frees of other threads are in the count, this
	 * thread's in pool_freed): none can be freed again meanwhile */
	if (atomic_load_explicit(&pool_live[pool_slab], memory_order_acquire) == pool_freed) {
		atomic_fetch_sub_explicit(&pool_live[pool_slab], pool_freed, memory_order_relaxed);
		pool_freed = 0;
		pool_used = 0;
	}
	pool_cut = 0;
	pool_on = 1;
}

void json_pool_end(void)
{
	if (!pool_on)
		return;
	pool_on = 0;
	/* counted once here: until now only this thread could free them */
	atomic_fetch_add_explicit(&pool_live[pool_slab], pool_cut, memory_order_relaxed);
}

void json_guard_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, guard_setup);
}

void json_guard_reset(void)
{
	guard_failed = 0;
}

int json_guard_failed(void)
{
	return guard_failed;
}

const char *nearest_name(const char *name, const void *first, size_t n, size_t stride, int cap)
{
	const char *best = NULL;
	int bestd = cap + 1;
	for (size_t i = 0; i < n; i++) {
		const char *other = *(const char *const *)(const void *)((const char *)first + i * stride);
		int d = edit_distance(name, other, cap);
		if (d < bestd) {
			bestd = d;
			best = other;
		}
	}
	return best;
}
