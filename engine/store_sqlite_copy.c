/*
 * store_sqlite_copy.c -- the SQLite backend's rows for moving a store
 * (store_copy_uri, store.h): a table read a page at a time in the order of
 * its key, rows written as they were read, rows counted.  Statements are
 * made per page: copying is rare, and their text depends on the table.
 */
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

/* The statement `text`, or the failure (the store's words) while `what`. */
static ot_status prepare(ot_engine *e, const char *text, sqlite3_stmt **st, const char *what,
			 ot_error *err)
{
	int rc = sqlite3_prepare_v2(SQ(e)->db, text, -1, st, NULL);
	if (rc == SQLITE_OK)
		return OT_OK;
	sqlite3_finalize(*st);
	*st = NULL;
	return err_set(err, rc == SQLITE_NOMEM ? OT_ENOMEM : OT_ESTORE, "%s while %s (store %.150s)",
		       sqlite3_errmsg(SQ(e)->db), what, store_path(e));
}

static void bind_json(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v),
				  SQLITE_TRANSIENT);
	else if (json_is_integer(v))
		sqlite3_bind_int64(st, i, json_integer_value(v));
	else if (json_is_real(v))
		sqlite3_bind_double(st, i, json_real_value(v));
	else
		sqlite3_bind_null(st, i);
}

static json_t *column_value(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_stringn((const char *)sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
	}
}

/* "(k1, k2) > (?1, ?2)" for a table's key. */
static void key_after(const store_table *t, char *out, size_t cap)
{
	char key[256];
	size_t n = 0;
	const char *c = t->columns;
	for (int k = 0; k < t->nkey; k++) {
		size_t len = strcspn(c, ",");
		n += (size_t)snprintf(key + n, sizeof key - n, "%s%.*s", k ? ", " : "", (int)len, c);
		c += len + (c[len] == ',');
		c += strspn(c, " ");
	}
	n = (size_t)snprintf(out, cap, "(%s) > (", key);
	for (int k = 0; k < t->nkey; k++)
		n += (size_t)snprintf(out + n, cap - n, "%s?%d", k ? ", " : "", k + 1);
	snprintf(out + n, cap - n, ")");
}

ot_status sq_rows(ot_engine *e, const store_table *t, json_t *after, int limit, json_t **out,
		  ot_error *err)
{
	char text[1024], where[512] = "", order[256];
	sqlite3_stmt *st = NULL;
	int nkey = t->by_feed ? 1 : t->nkey, ncolumns = t->ncolumns + t->by_feed;
	*out = NULL;
	if (t->by_feed) /* the feed's order is the rowid's (sq_feed) */
		snprintf(where, sizeof where, "rowid > ?1");
	else if (after)
		key_after(t, where, sizeof where);
	/* ORDER BY the key: its columns, the first nkey of the list */
	snprintf(order, sizeof order, "%s", t->by_feed ? "rowid" : t->columns);
	char *p = order;
	for (int k = 0; k < nkey && p; k++)
		p = strchr(p + 1, ',');
	if (p)
		*p = 0;
	snprintf(text, sizeof text, "SELECT %s%s FROM %s %s%s ORDER BY %s LIMIT %d", t->columns,
		 t->by_feed ? ", rowid" : "", t->name, after ? "WHERE " : "", after ? where : "",
		 order, limit);
	ot_status s = prepare(e, text, &st, "reading the store to copy it", err);
	json_t *page = s == OT_OK ? json_array() : NULL;
	if (s == OT_OK && !page)
		s = err_set(err, OT_ENOMEM, "out of memory");
	for (int k = 0; s == OT_OK && after && k < nkey; k++)
		bind_json(st, k + 1, json_array_get(after, (size_t)k));
	int rc = SQLITE_DONE;
	while (s == OT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();
		for (int i = 0; s == OT_OK && row && i < ncolumns; i++) {
			/* a text that is not UTF-8 is no JSON string: damage, not memory */
			if (sqlite3_column_type(st, i) == SQLITE_TEXT &&
			    !utf8_valid((const char *)sqlite3_column_text(st, i),
					(size_t)sqlite3_column_bytes(st, i)))
				s = store_damaged(e, err, "its table %s has a text that is not UTF-8 "
						  "(column %d of a row), so nothing was copied", t->name,
						  i + 1);
			else if (json_array_append_new(row, column_value(st, i))) {
				json_decref(row);
				row = NULL;
			}
		}
		if (s != OT_OK)
			json_decref(row);
		else if (!row || json_array_append_new(page, row))
			s = err_set(err, OT_ENOMEM, "out of memory copying the store");
	}
	if (s == OT_OK && rc != SQLITE_DONE)
		s = err_set(err, OT_ESTORE, "%s while reading table %s to copy it (store %.150s)",
			    sqlite3_errmsg(SQ(e)->db), t->name, store_path(e));
	sqlite3_finalize(st);
	if (s == OT_OK)
		*out = page;
	else
		json_decref(page);
	return s;
}

ot_status sq_put_row(ot_engine *e, const store_table *t, json_t *row, ot_error *err)
{
	char text[1024];
	SQ(e)->held.valid = 0; /* it may be a licence */
	size_t n = (size_t)snprintf(text, sizeof text, "INSERT INTO %s(%s) VALUES (", t->name,
				    t->columns);
	for (int i = 0; i < t->ncolumns; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s?%d", i ? ", " : "", i + 1);
	snprintf(text + n, sizeof text - n, ")");
	sqlite3_stmt *st = NULL;
	ot_status s = prepare(e, text, &st, "copying the store", err);
	for (int i = 0; s == OT_OK && i < t->ncolumns; i++)
		bind_json(st, i + 1, json_array_get(row, (size_t)i));
	int rc = s == OT_OK ? sqlite3_step(st) : SQLITE_DONE;
	if (s == OT_OK && rc != SQLITE_DONE)
		s = err_set(err, OT_ESTORE, "%s while copying into table %s (store %.150s)",
			    sqlite3_errmsg(SQ(e)->db), t->name, store_path(e));
	sqlite3_finalize(st);
	return s;
}

ot_status sq_count(ot_engine *e, const store_table *t, long long *count, ot_error *err)
{
	char text[128];
	snprintf(text, sizeof text, "SELECT count(*) FROM %s", t->name);
	sqlite3_stmt *st = NULL;
	ot_status s = prepare(e, text, &st, "counting rows", err);
	int rc = s == OT_OK ? sqlite3_step(st) : SQLITE_ROW;
	if (s == OT_OK && rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else if (s == OT_OK)
		s = err_set(err, OT_ESTORE, "%s while counting table %s (store %.150s)",
			    sqlite3_errmsg(SQ(e)->db), t->name, store_path(e));
	sqlite3_finalize(st);
	return s;
}
