/*
 * clients.c -- who may call the service: the clients file.
 *
 * A client is a portal, a department, a window, a supervisor or an admin,
 * each known by a bearer token.  The file holds only the SHA-256 of each
 * token (`onetrip serve hash TOKEN` prints it), so reading the file does
 * not give anyone a token.  Tokens are compared by their hashes in
 * constant time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sha2.h>

#include "serve.h"

const char *const sv_scope_names[SV__SCOPES] = {"portal", "department", "window", "supervisor",
						"admin"};

struct sv_clients {
	size_t n;
	sv_client *c;
};

void sv_sha256_hex(const char *text, size_t n, char out[65])
{
	SHA256Data((const uint8_t *)text, n, out);
}

static int hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int copy(char *dst, size_t cap, const char *src)
{
	if (!src || strlen(src) >= cap || !src[0])
		return 0;
	memcpy(dst, src, strlen(src) + 1);
	return 1;
}

/* One entry of the file into *c; 0 with why set when it is wrong. */
static int client_of(json_t *j, size_t i, sv_client *c, char *why, size_t cap)
{
	const char *scope = json_string_value(json_object_get(j, "scope"));
	const char *dept = json_string_value(json_object_get(j, "department"));
	const char *win = json_string_value(json_object_get(j, "window"));
	const char *hash = json_string_value(json_object_get(j, "token_sha256"));
	memset(c, 0, sizeof *c);
	if (!copy(c->name, sizeof c->name, json_string_value(json_object_get(j, "name")))) {
		snprintf(why, cap, "client %zu needs a \"name\" (1 to 63 bytes)", i + 1);
		return 0;
	}
	for (const char *p = c->name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.')) {
			snprintf(why, cap, "client %zu: a name is letters, digits, '-', '_' and '.'", i + 1);
			return 0;
		}
	int k = -1;
	for (int s = 0; scope && s < SV__SCOPES; s++)
		if (strcmp(scope, sv_scope_names[s]) == 0)
			k = s;
	if (k < 0) {
		snprintf(why, cap, "client %s: \"scope\" is portal, department, window, supervisor "
			 "or admin", c->name);
		return 0;
	}
	c->scope = (sv_scope)k;
	if ((k == SV_DEPARTMENT || k == SV_WINDOW) && !copy(c->department, sizeof c->department, dept)) {
		snprintf(why, cap, "client %s (%s) needs its \"department\"", c->name, scope);
		return 0;
	}
	if (k == SV_WINDOW && !copy(c->window, sizeof c->window, win)) {
		snprintf(why, cap, "client %s (window) needs its \"window\"", c->name);
		return 0;
	}
	if (!hex64(hash)) {
		snprintf(why, cap, "client %s: \"token_sha256\" is the token's SHA-256, 64 lowercase "
			 "hex digits (onetrip serve hash TOKEN); tokens are never written in clear",
			 c->name);
		return 0;
	}
	memcpy(c->token_sha256, hash, 65);
	return 1;
}

sv_clients *sv_clients_load(const char *path, char *why, size_t cap)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(why, cap, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	json_t *list = json_object_get(j, "clients");
	sv_clients *cs = calloc(1, sizeof *cs);
	if (!json_is_array(list)) {
		snprintf(why, cap, "%s: expected {\"clients\": [...]}", path);
		goto fail;
	}
	if (!cs || !(cs->c = calloc(json_array_size(list) + 1, sizeof *cs->c))) {
		snprintf(why, cap, "out of memory");
		goto fail;
	}
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		if (!client_of(x, i, &cs->c[i], why, cap))
			goto fail;
		for (size_t k = 0; k < i; k++)
			if (strcmp(cs->c[k].name, cs->c[i].name) == 0 ||
			    strcmp(cs->c[k].token_sha256, cs->c[i].token_sha256) == 0) {
				snprintf(why, cap, "%s: clients %s and %s have the same name or token",
					 path, cs->c[k].name, cs->c[i].name);
				goto fail;
			}
		cs->n = i + 1;
	}
	json_decref(j);
	return cs;
fail:
	json_decref(j);
	sv_clients_free(cs);
	return NULL;
}

void sv_clients_free(sv_clients *c)
{
	if (c)
		free(c->c);
	free(c);
}

int sv_clients_find(const sv_clients *c, const char h[65], sv_client *out)
{
	if (!c)
		return 0;
	const sv_client *found = NULL;
	for (size_t i = 0; i < c->n; i++) {
		unsigned diff = 0; /* every byte compared: no timing hint */
		for (int k = 0; k < 64; k++)
			diff |= (unsigned)(h[k] ^ c->c[i].token_sha256[k]);
		if (!diff)
			found = &c->c[i];
	}
	if (found)
		*out = *found;
	return found != NULL;
}
