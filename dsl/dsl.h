/*
 * dsl.h -- the rule-language front end: the compile context shared by the
 * loader, lexer, parser and checker, and the diagnostics they emit.
 *
 * Ownership: the context owns two arenas.  `ast` holds file texts, tokens'
 * strings and the syntax tree, and dies with the context.  The diagnostics
 * (`diags`) own an arena of their own because they outlive the compile and
 * are handed to the caller.  The model under construction owns a third.
 */
#ifndef DSL_H
#define DSL_H

#include <jansson.h>
#include <sha2.h>

#include "ast.h"

/* ---- diagnostics ---- */

struct ot_diags {
	arena mem;
	VEC(ot_diag) v;
	VEC(int) file;   /* file index of v[i], for sorting in load order */
	size_t errors, warnings;
	int sorted;
};

typedef struct dsl_file {
	const char *display; /* as shown in diagnostics */
	const char *diag_name; /* display, copied into the diagnostics' arena */
	const char *real;    /* canonical path, for "each file once"; may be NULL */
	const char *text;    /* NUL-terminated copy */
	size_t len;
	int loading;         /* on the `use` stack right now */
} dsl_file;

typedef struct dsl_ctx {
	arena ast;
	ot_diags *diags;
	arena diag_mem;  /* only until diags exists: then diags->mem */
	m_model *model;  /* under construction, freed if the compile fails */
	int strict;
	VEC(dsl_file) files;
	ast_unit unit;
	SHA2_CTX sha;
	buf scratch; /* the lexer's string builder */
	jmp_buf oom;
	int io_error; /* a path named by the caller could not be read */
	/* Every source, for the model to carry (ot_rules_sources): the files
	 * loaded from the caller's paths, in order, and the hook files. */
	VEC(int) roots;
	VEC(dsl_file) hooks;
	/* When set, files are read from these objects (path -> text) instead
	 * of the disk: recompiling a stored rule version.  Borrowed. */
	json_t *vfs_files, *vfs_hooks;
	/* The hook files as the checker hands them to the sandbox to probe
	 * (owned; here so that running out of memory frees it too). */
	json_t *hook_sources;
	/* A directory being read (a DIR *), closed by the out-of-memory exit
	 * when an allocation fails while it is open. */
	void *open_dir;
} dsl_ctx;

/* Reports a diagnostic at `loc`.  code: "E101"; a 'W' code is a warning
 * (an error under --strict).  hint may be NULL. */
void diag_at(dsl_ctx *c, dsl_loc loc, const char *code, const char *hint,
	     const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

/* Sorts the diagnostics by file (load order), line and column. */
void diags_sort(ot_diags *d);

/* A location covering the whole of file `file`'s first line (for errors
 * about a file itself). */
dsl_loc loc_file(int file);

/* ---- loading and parsing ---- */

/* Parses file `file` (already in c->files) into c->unit; returns the `use`
 * statements found, in order.  Errors are reported, never fatal. */
typedef VEC(ast_use) ast_uses;
ast_uses dsl_parse_file(dsl_ctx *c, int file);
/* The same for a scenario file (scenario.h). */
struct scn_file;
void dsl_parse_scenarios(dsl_ctx *c, int file, struct scn_file *into);

/* Loads one path named by the caller: a file, or a directory searched for
 * *.rules.  Follows `use`. */
void dsl_load_path(dsl_ctx *c, const char *path);
void dsl_load_text(dsl_ctx *c, const char *name, const char *text, size_t len);

/* Feeds the hook file `rel` (relative to file `from_file`) into the
 * rule-set hash and keeps it as a source; returns 1, 0 if it cannot be
 * read, -1 if it is not UTF-8 text. */
int dsl_hash_file(dsl_ctx *c, int from_file, const char *rel, const char **real);

/* ---- checking ---- */

/* Checks c->unit and, when there are no errors, builds the model.
 * Returns the model (owned by the caller) or NULL. */
m_model *chk_build(dsl_ctx *c, const ot_allocator *alloc);

/* Suggests the closest of `n` names to `name` (NULL if none is close). */
const char *chk_suggest(const char *name, const char *const *names, size_t n);

#endif
