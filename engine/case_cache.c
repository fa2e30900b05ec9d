/*
 * case_cache.c -- the cases an engine keeps in memory between operations,
 * so an operation does not replay every event of its case each time.
 *
 * The store stays the truth; the cache only saves work, and is exact:
 *   - an entry is a case as some committed state of the store left it,
 *     with the number of events it has applied (c->events);
 *   - every load reads the case's row and its number of events in the
 *     operation's transaction anyway (case_head_read).  When the store has
 *     more events than the entry -- another engine, another process on
 *     the same PostgreSQL, wrote since -- only those are read and applied;
 *     when the entry has more, or another rule version, it is dropped and
 *     the case rebuilt from all its events;
 *   - what an operation saves (store_save) is kept apart, as pending, and
 *     becomes the entry only when its transaction commits.  A rolled back
 *     transaction, a failed commit, a savepoint rolled back (one operation
 *     of a batch, ot_call_batch) drop every case it saved, pending and
 *     kept alike: the next load reads the store;
 *   - a case read from the store (not from memory) is kept at once when the
 *     transaction has not saved it: what it read was committed.  When a
 *     save could not be noted (out of memory), the transaction keeps
 *     nothing it reads.
 * Callers get a copy (case_clone), never an entry: what an operation does
 * to its case, and what it fails to do, never reaches the cache.
 *
 * The entries are a hash table of case ids with an LRU list; the oldest
 * goes when it is full.  An entry points into its rule version; when the
 * engine lets a version go (engine_version reusing a slot), the entries
 * of that version go first.
 *
 * Ownership: the cache is the engine's (e->cache); its cases are its own.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef struct entry {
	char id[32];
	ot_case *kept;    /* a committed state; NULL: none */
	ot_case *pending; /* what the open transaction saved; NULL: nothing */
	int next;         /* in its bucket, or in the free list; -1: end */
	int older, newer; /* the LRU list; -1: end */
	int used;
} entry;

typedef struct write {
	char id[32];
} write;

struct case_cache {
	int cap, n;
	entry *ent;
	int *bucket;
	unsigned nbucket; /* a power of two */
	int oldest, newest, free;
	write *writes;    /* the cases the open transaction saved */
	int nwrites, writes_cap;
	int blind;        /* a save not noted: keep nothing read until the end */
};

static struct case_cache *cache_new(int cap)
{
	struct case_cache *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->nbucket = 16;
	while (k->nbucket < (unsigned)cap)
		k->nbucket *= 2;
	k->cap = cap;
	k->ent = calloc((size_t)cap, sizeof *k->ent);
	k->bucket = malloc(k->nbucket * sizeof *k->bucket);
	if (!k->ent || !k->bucket) {
		free(k->ent);
		free(k->bucket);
		free(k);
		return NULL;
	}
	for (unsigned b = 0; b < k->nbucket; b++)
		k->bucket[b] = -1;
	for (int i = 0; i < cap; i++)
		k->ent[i].next = i + 1 < cap ? i + 1 : -1;
	k->oldest = k->newest = -1;
	return k;
}

/* The engine's cache, made on first use; NULL: none (switched off, or out
 * of memory: then every load replays). */
static struct case_cache *cache_of(ot_engine *e)
{
	if (!e->cache && e->cache_cap > 0)
		e->cache = cache_new(e->cache_cap);
	return e->cache;
}

static int find(const struct case_cache *k, const char *id)
{
	for (int i = k->bucket[str_hash(id, strlen(id)) & (k->nbucket - 1)]; i >= 0; i = k->ent[i].next)
		if (strcmp(k->ent[i].id, id) == 0)
			return i;
	return -1;
}

static void lru_unlink(struct case_cache *k, int i)
{
	entry *x = &k->ent[i];
	if (x->older >= 0)
		k->ent[x->older].newer = x->newer;
	else
		k->oldest = x->newer;
	if (x->newer >= 0)
		k->ent[x->newer].older = x->older;
	else
		k->newest = x->older;
}

static void lru_newest(struct case_cache *k, int i)
{
	entry *x = &k->ent[i];
	x->older = k->newest;
	x->newer = -1;
	if (k->newest >= 0)
		k->ent[k->newest].newer = i;
	k->newest = i;
	if (k->oldest < 0)
		k->oldest = i;
}

static void drop(struct case_cache *k, int i)
{
	entry *x = &k->ent[i];
	int *p = &k->bucket[str_hash(x->id, strlen(x->id)) & (k->nbucket - 1)];
	while (*p != i)
		p = &k->ent[*p].next;
	*p = x->next;
	lru_unlink(k, i);
	case_free(x->kept);
	case_free(x->pending);
	memset(x, 0, sizeof *x);
	x->next = k->free;
	k->free = i;
	k->n--;
}

/* The entry of id, made when there is none (the oldest one without a
 * pending state goes when the cache is full); -1 when none can be. */
static int entry_for(struct case_cache *k, const char *id)
{
	int i = find(k, id);
	if (i >= 0)
		return i;
	if (strlen(id) >= sizeof k->ent[0].id)
		return -1;
	for (int o = k->oldest; k->free < 0 && o >= 0;) {
		int newer = k->ent[o].newer;
		if (!k->ent[o].pending)
			drop(k, o);
		o = newer;
	}
	if (k->free < 0)
		return -1;
	i = k->free;
	entry *x = &k->ent[i];
	k->free = x->next;
	str_copy(x->id, sizeof x->id, id);
	x->used = 1;
	unsigned b = str_hash(id, strlen(id)) & (k->nbucket - 1);
	x->next = k->bucket[b];
	k->bucket[b] = i;
	lru_newest(k, i);
	k->n++;
	return i;
}

static int written(const struct case_cache *k, const char *id)
{
	for (int w = 0; w < k->nwrites; w++)
		if (strcmp(k->writes[w].id, id) == 0)
			return 1;
	return 0;
}

/* A state read from the store, kept when it is a committed one. */
static void keep_read(struct case_cache *k, const ot_case *c)
{
	if (k->blind || written(k, c->id))
		return;
	int i = entry_for(k, c->id);
	if (i < 0)
		return;
	ot_case *copy = case_clone(c);
	if (!copy) {
		drop(k, i);
		return;
	}
	case_free(k->ent[i].kept);
	k->ent[i].kept = copy;
}

ot_status case_load(ot_engine *e, const char *id, ot_case **out, ot_error *err)
{
	*out = NULL;
	struct case_cache *k = cache_of(e);
	if (!k)
		return case_rebuild(e, id, out, err);
	int i = find(k, id);
	const ot_case *had = i < 0 ? NULL : k->ent[i].pending ? k->ent[i].pending : k->ent[i].kept;
	case_head h;
	ot_status s = case_head_read(e, id, had ? had->events : 0, &h, err);
	if (e->store_renewed) { /* connected again on the way: store_begin's reason */
		cache_clear(e);
		e->store_renewed = 0;
		had = NULL;
		i = -1;
	}
	ot_case *c = NULL;
	if (s == OT_OK && had && had->v == h.v && had->events <= h.events)
		c = case_clone(had);
	else if (s == OT_OK && i >= 0) { /* not what the store has: forget it */
		drop(k, i);
		i = -1;
	}
	int from_memory = c != NULL;
	if (s == OT_OK && !c && !(c = case_empty(&h, id)))
		s = err_set(err, OT_ENOMEM, "out of memory loading case %s", id);
	int before = c ? c->events : 0;
	if (s == OT_OK && c->events < h.events)
		s = case_catch_up(e, c, err);
	if (s == OT_OK && c->events != h.events)
		s = store_damaged(e, err, "case %s: %d events read, %d stored", id, c->events,
				  h.events);
	if (s != OT_OK) {
		case_free(c);
		if ((i = find(k, id)) >= 0)
			drop(k, i);
		return s;
	}
	case_note_stored(c, &h);
	if (!from_memory || c->events != before)
		keep_read(k, c);
	if ((i = find(k, id)) >= 0) {
		lru_unlink(k, i);
		lru_newest(k, i);
	}
	*out = c;
	return OT_OK;
}

void cache_saved(ot_engine *e, const ot_case *c)
{
	struct case_cache *k = cache_of(e);
	if (!k)
		return;
	if (k->nwrites == k->writes_cap) {
		int cap = k->writes_cap ? 2 * k->writes_cap : 16;
		write *w = realloc(k->writes, (size_t)cap * sizeof *w);
		if (!w) {
			k->blind = 1;
			int i = find(k, c->id);
			if (i >= 0)
				drop(k, i);
			return;
		}
		k->writes = w;
		k->writes_cap = cap;
	}
	write *w = &k->writes[k->nwrites++];
	str_copy(w->id, sizeof w->id, c->id);
	int i = entry_for(k, c->id);
	ot_case *copy = i >= 0 ? case_clone(c) : NULL;
	if (i >= 0 && !copy) {
		drop(k, i);
		return;
	}
	if (i >= 0) {
		case_free(k->ent[i].pending);
		k->ent[i].pending = copy;
	}
}

/* Every case the transaction saved is dropped, not only the undone
 * savepoint's: savepoints nest (a sweep's cases inside a batch's
 * operation), and a save released into the savepoint that is undone is
 * undone with it.  What it costs is a read, after a failure. */
void cache_rollback_to(ot_engine *e)
{
	struct case_cache *k = e->cache;
	for (int w = 0; k && w < k->nwrites; w++) {
		int i = find(k, k->writes[w].id);
		if (i >= 0)
			drop(k, i);
	}
}

void cache_end(ot_engine *e, int committed)
{
	struct case_cache *k = e->cache;
	if (!k)
		return;
	for (int w = 0; w < k->nwrites; w++) {
		int i = find(k, k->writes[w].id);
		if (i < 0)
			continue;
		entry *x = &k->ent[i];
		if (committed && x->pending) {
			case_free(x->kept);
			x->kept = x->pending;
			x->pending = NULL;
		} else if (!committed)
			drop(k, i);
	}
	k->nwrites = 0;
	k->blind = 0;
}

void cache_forget_version(ot_engine *e, const version *v)
{
	struct case_cache *k = e->cache;
	for (int i = 0; k && i < k->cap; i++) {
		entry *x = &k->ent[i];
		if (x->used && ((x->kept && x->kept->v == v) || (x->pending && x->pending->v == v)))
			drop(k, i);
	}
}

/* Every case goes: the store may have gone back (store_begin). */
void cache_clear(ot_engine *e)
{
	struct case_cache *k = e->cache;
	for (int i = 0; k && i < k->cap; i++)
		if (k->ent[i].used)
			drop(k, i);
}

void cache_free(ot_engine *e)
{
	struct case_cache *k = e->cache;
	if (!k)
		return;
	for (int i = 0; i < k->cap; i++)
		if (k->ent[i].used) {
			case_free(k->ent[i].kept);
			case_free(k->ent[i].pending);
		}
	free(k->ent);
	free(k->bucket);
	free(k->writes);
	free(k);
	e->cache = NULL;
}
