/*
 * json_write.h -- JSON values written as text, as jansson's json_dumps
 * writes them (json_write.c says why).
 */
#ifndef OT_JSON_WRITE_H
#define OT_JSON_WRITE_H

#include <jansson.h>

#include "base.h"

/* j as text: the same bytes as json_dumps(j, flags) for flags 0,
 * JSON_COMPACT, JSON_INDENT(n) or both, any value at the top.  malloc'd
 * (the caller frees it); NULL when out of memory or j is NULL. */
char *json_text(const json_t *j, size_t flags);
/* The same text appended to b (a failure to grow it is b's: buf_steal
 * says so); for text that holds values among what it writes itself (a
 * case's snapshot, case_text). */
void json_write(buf *b, const json_t *j, size_t flags);

/* json_text(j, JSON_INDENT(width)) made from json_text(j, JSON_COMPACT)
 * (the text `compact`, n bytes) without j: the same bytes, for a fraction
 * of the work (a case's snapshot is written compact for the store, and
 * indented as the answer).  malloc'd; NULL when out of memory. */
char *json_indent(const char *compact, size_t n, int width);

#endif
