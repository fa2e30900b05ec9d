/*
 * json_read.h -- a fast reader of request JSON into jansson values.
 *
 * jansson's own parser reads a character at a time through a stream and
 * spends about 70 % of its time outside building the values; requests are
 * small and complete in memory, so this reader scans them in place and
 * builds the same values (json_equal to what json_loads with
 * JSON_REJECT_DUPLICATES gives).  It takes only what it is sure of: any
 * text it does not accept -- bad JSON, a duplicate key, \u0000, an integer
 * out of range, nesting deeper than 256 -- gives NULL, and the caller asks
 * jansson, which says what is wrong in its own words.
 */
#ifndef OT_JSON_READ_H
#define OT_JSON_READ_H

#include <jansson.h>

/* A new reference to the object or array `text` holds, or NULL. */
json_t *json_read(const char *text);

#endif
