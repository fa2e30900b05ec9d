/* Lua hooks: what they are for (derived fields, extra checks, hook
 * functions in conditions, routing, notes), and hooks that attack the
 * engine, each of which must be contained. */
#include <jansson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine_helpers.h"
#include "engine.h"
#include "hooks.h"

static const char *RULES = OT_SOURCE_DIR "/tests/hooks/rules";
static const char *HOSTILE = OT_SOURCE_DIR "/tests/hooks/hostile";

#define OLD "{\"kind\":\"person\",\"id\":\"110105193001010013\",\"name\":\"王大爷\"}"
#define MID "{\"kind\":\"person\",\"id\":\"11010519491231002X\",\"name\":\"张三\"}"
#define YOUNG "{\"kind\":\"person\",\"id\":\"110105197901010017\",\"name\":\"李四\"}"
#define COMPANY "{\"kind\":\"company\",\"id\":\"91350100M000100Y43\",\"name\":\"鞍山市立山建设有限公司\"}"

static int contains(json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (!strcmp(key ? S(v, key) : json_string_value(v), value))
			return 1;
	return 0;
}

/* ---- what hooks are for ---- */

static void derive_and_validate(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	/* 89 years old: the age is derived from the ID, and from 80 on a proof is needed */
	json_t *c = ok(e, "submit", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" OLD ",\"form\":{\"id_no\":\"110105193001010013\"},"
		       "\"materials\":[\"photo\"]}");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "form"), "age")), 89);
	assert_string_equal(S(c, "status"), "needs_supplement");
	assert_true(contains(json_object_get(json_object_get(c, "notice"), "missing"), NULL, "proof"));
	json_decref(c);
	/* under 60: the hook's error and the missing photo are in one notice */
	c = ok(e, "assess", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
	       "\"applicant\":" YOUNG ",\"form\":{\"id_no\":\"110105197901010017\"}}");
	assert_false(json_is_true(json_object_get(c, "complete")));
	assert_true(contains(json_object_get(c, "form_errors"), "field", "id_no"));
	assert_true(contains(json_object_get(c, "missing"), NULL, "photo"));
	json_t *notice = json_object_get(c, "notice");
	int said = 0;
	size_t i;
	json_t *line;
	json_array_foreach(notice, i, line)
		said += strstr(json_string_value(line), "未满60周岁") != NULL;
	assert_int_equal(said, 1);
	json_decref(c);
	/* the applicant may not fill in a computed field */
	c = ok(e, "assess", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
	       "\"applicant\":" MID ",\"form\":{\"id_no\":\"11010519491231002X\",\"age\":99}}");
	assert_true(contains(json_object_get(c, "form_errors"), "field", "age"));
	json_decref(c);
	ot_engine_close(e);
}

/* derive fills in a copy: the form the caller gave (in a chain, shared by
 * every item) is left as it was, however often it is assessed */
static void derive_leaves_the_given_form(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	const version *v = &e->versions[0];
	json_t *form = json_pack("{s:s}", "id_no", "110105193001010013");
	application app = {.item = strmap_get(&v->rules->by_item, "elder_card", 10),
			   .applicant_kind = EV_PERSON, .applicant_id = "110105193001010013",
			   .form = form, .status = "new"};
	assert_true(app.item >= 0);
	time_parse("2019-09-02T09:00", e->zone, &app.now);
	uint8_t have[1024];
	ot_error err;
	for (int i = 0; i < 2; i++) {
		assessment a;
		assert_int_equal(assess(v, &app, have, NULL, e->zone, &a, &err), OT_OK);
		/* derived: 89 years old, so the proof is asked for */
		assert_non_null(strstr(a.text, "\"proof\""));
		assert_int_equal(json_integer_value(json_object_get(a.form, "age")), 89);
		assert_true(a.form != form);
		assessment_free(&a);
		hook_end_operation(version_hooks(v));
		assert_null(json_object_get(form, "age"));
		assert_int_equal(json_object_size(form), 1);
		assert_int_equal(form->refcount, 1);
	}
	json_decref(form);
	ot_engine_close(e);
}

static void notes_at_steps(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	json_t *c = ok(e, "submit", "{\"item\":\"elder_card\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" MID ",\"form\":{\"id_no\":\"11010519491231002X\"},"
		       "\"materials\":[\"photo\"]}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	json_decref(ok(e, "act", "{\"case\":\"20190902-0001\",\"step\":\"intake\",\"action\":"
		       "\"approve\",\"actor\":\"civil.hall\",\"now\":\"2019-09-02T10:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *ev = json_array_get(json_object_get(c, "history"), 1);
	json_t *note = json_array_get(json_object_get(ev, "notes"), 0);
	assert_string_equal(S(note, "step"), "issue");
	assert_string_equal(S(note, "note"), "优待证制证 card being made");
	/* accepted at submission: the first step was entered then */
	json_t *first = json_array_get(json_object_get(c, "history"), 0);
	assert_true(contains(json_object_get(first, "hooks"), NULL, "on_enter"));
	/* what ran is on record, for the testers' coverage */
	json_t *called = json_object_get(c, "hooks_called");
	assert_int_equal(json_array_size(called), 3);
	assert_string_equal(json_string_value(json_array_get(called, 0)), "derive");
	assert_string_equal(json_string_value(json_array_get(called, 1)), "validate");
	assert_string_equal(json_string_value(json_array_get(called, 2)), "on_enter");
	json_decref(c);
	/* a return hands the case back; the step is not entered again */
	json_decref(ok(e, "submit", "{\"item\":\"elder_card\",\"now\":\"2019-09-03T09:00\","
		       "\"applicant\":" MID ",\"form\":{\"id_no\":\"11010519491231002X\"},"
		       "\"materials\":[\"photo\"]}"));
	json_decref(ok(e, "act", "{\"case\":\"20190903-0001\",\"step\":\"intake\",\"action\":"
		       "\"return\",\"reason\":\"照片不清晰\",\"actor\":\"civil.hall\","
		       "\"now\":\"2019-09-03T10:00\"}"));
	c = ok(e, "show", "{\"case\":\"20190903-0001\"}");
	json_t *ret = json_object_get(json_array_get(json_object_get(c, "history"), 1), "hooks");
	assert_false(contains(ret, NULL, "on_enter"));
	json_decref(c);
	ot_engine_close(e);
}

static void functions_in_conditions_and_routing(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	/* 120 m: the hook function asks for an expert opinion and routes to the site check */
	json_t *c = ok(e, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"height\":120.5,\"occupancy\":300},"
		       "\"materials\":[\"plan\",\"expert\"]}");
	assert_string_equal(S(c, "status"), "in_progress");
	json_decref(c);
	c = ok(e, "act", "{\"case\":\"20190902-0001\",\"step\":\"intake\",\"action\":\"approve\","
	       "\"actor\":\"fire\",\"now\":\"2019-09-02T10:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "step"), "site");
	json_decref(c);
	/* 50 m and 100 people: no expert, the desk review */
	c = ok(e, "assess", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
	       "\"form\":{\"height\":50,\"occupancy\":100},\"materials\":[\"plan\"]}");
	assert_true(json_is_true(json_object_get(c, "complete")));
	json_decref(c);
	json_decref(ok(e, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"height\":50,\"occupancy\":100},"
		       "\"materials\":[\"plan\"]}"));
	c = ok(e, "act", "{\"case\":\"20190902-0002\",\"step\":\"intake\",\"action\":\"approve\","
	       "\"actor\":\"fire\",\"now\":\"2019-09-02T10:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "step"), "desk");
	json_decref(c);
	ot_engine_close(e);
}

static void personal_data_masked(void **state)
{
	(void)state;
	ot_engine *e = open_at(RULES, ":memory:");
	json_t *c = ok(e, "assess", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"height\":0,\"occupancy\":1}}");
	json_t *err = json_array_get(json_object_get(c, "form_errors"), 0);
	assert_string_equal(S(err, "message"), "applicant 9135**********0Y43");
	json_decref(c);
	ot_engine_close(e);
}

/* ---- a hook change does not touch running cases ---- */

static void copy_file(const char *from, const char *to)
{
	size_t n = 0;
	char *t = read_text(from, &n);
	assert_non_null(t);
	FILE *f = fopen(to, "w");
	fwrite(t, 1, n, f);
	fclose(f);
	free(t);
}

static void running_cases_keep_their_hook(void **state)
{
	(void)state;
	char dir[200], p[512];
	test_tmpdir("hookver", dir, sizeof dir);
	snprintf(p, sizeof p, "%s/hooks", dir);
	mkdir(p, 0777);
	snprintf(p, sizeof p, "%s/hooks.rules", dir);
	copy_file(OT_SOURCE_DIR "/tests/hooks/rules/hooks.rules", p);
	snprintf(p, sizeof p, "%s/hooks/elder.lua", dir);
	copy_file(OT_SOURCE_DIR "/tests/hooks/rules/hooks/elder.lua", p);
	snprintf(p, sizeof p, "%s/hooks/fire.lua", dir);
	copy_file(OT_SOURCE_DIR "/tests/hooks/rules/hooks/fire.lua", p);
	char db[600];
	snprintf(db, sizeof db, "%s/store.db", dir);
	ot_engine *e = open_at(dir, db);
	json_decref(ok(e, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T09:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"height\":50,\"occupancy\":100},"
		       "\"materials\":[\"plan\"]}"));
	char old_hash[65];
	snprintf(old_hash, sizeof old_hash, "%s", ot_rules_hash(ot_engine_rules(e)));
	ot_engine_close(e);
	/* the department changes its mind: every building gets the site check */
	FILE *f = fopen(p, "w");
	fputs("function needs_expert() return false end\n"
	      "function route(case, step) return \"site\" end\n", f);
	fclose(f);
	e = open_at(dir, db);
	assert_string_not_equal(ot_rules_hash(ot_engine_rules(e)), old_hash);
	json_t *c = ok(e, "act", "{\"case\":\"20190902-0001\",\"step\":\"intake\",\"action\":"
		       "\"approve\",\"actor\":\"fire\",\"now\":\"2019-09-02T10:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "step"), "desk");
	json_decref(c);
	json_decref(ok(e, "submit", "{\"item\":\"fire_review\",\"now\":\"2019-09-02T11:00\","
		       "\"applicant\":" COMPANY ",\"form\":{\"height\":50,\"occupancy\":100},"
		       "\"materials\":[\"plan\"]}"));
	c = ok(e, "act", "{\"case\":\"20190902-0002\",\"step\":\"intake\",\"action\":\"approve\","
	       "\"actor\":\"fire\",\"now\":\"2019-09-02T12:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "current"), 0), "step"), "site");
	json_decref(c);
	ot_engine_close(e);
}

/* ---- hostile hooks ---- */

static const struct attack {
	const char *item, *says;
} attacks[] = {
	{"loop", "hook exceeded its instruction budget"},
	{"pcall_loop", "hook exceeded its instruction budget"},
	{"memory", "hook exceeded its memory budget"},
	{"table_bomb", "exceeded its"},
	{"recursion", "exceeded its memory budget"},
	{"os_execute", "os_execute.lua:3: attempt to call a nil value (field 'execute')"},
	{"io_open", "io_open.lua:3: attempt to index a nil value (global 'io')"},
	{"bytecode", "bytecode.lua:3: attempt to call a nil value (field 'dump')"},
	{"metatable", "metatable.lua:3: cannot change a protected metatable"},
	{"modify", "modify.lua:3: the case and the libraries are read-only"},
	{"gc", "gc.lua:3: attempt to call a nil value (global 'collectgarbage')"},
	{"require_os", "require_os.lua:4: module 'os' not found"},
	{"global", "global.lua:3: the case and the libraries are read-only"},
	{"string_meta", "string_meta.lua:3: attempt to index a boolean value"},
	{"pattern", "hook exceeded its instruction budget"},
	{"gsub_count", "hook exceeded its instruction budget"},
	{"kind_mix", "cannot compare text with a number"},
	{"length_of_number", "a hook function gave a number where text is needed"},
	{"bad_derive", "derive in bad_derive.lua gave a value the form does not allow: 年龄 must be at most 150"},
	{"leak_id", "leak_id.lua:3: no record for ID1101**********002X"},
	{"module_global", "counter_mod.lua:5: the case and the libraries are read-only"},
	{"module_patch", "module_patch.lua:4: the case and the libraries are read-only"},
	/* read raw: an entry's metamethods never run, in or out of the budget */
	{"index_error", "validate in index_error.lua returned entry 1"},
	{"index_loop", "validate in index_loop.lua returned entry 1"},
	{"finaliser", "finaliser.lua:3: setmetatable: hooks cannot use __gc"},
	{"late_mode", "late_mode.lua:7: hooks cannot use __mode"},
	/* loops in C are bounded */
	{"rep_empty", "rep_empty.lua:4: survived with 0 bytes"},
	{"table_move", "table_move.lua:3: table.move over 1000000000000000 elements is more than a hook may do"},
	/* a __len of 10^15, or one below 0 with a position Lua's own check
	 * lets through; an __index chain 1,990 tables long under each element:
	 * the table functions take plain tables (and read through views) */
	{"insert_len", "insert_len.lua:3: table.insert works on plain tables (without a metatable)"},
	{"insert_neg", "insert_neg.lua:5: table.insert works on plain tables (without a metatable)"},
	{"remove_neg", "remove_neg.lua:5: table.remove works on plain tables (without a metatable)"},
	{"index_chain", "index_chain.lua:6: table.unpack works on plain tables (without a metatable)"},
	{"concat_chain", "concat_chain.lua:9: table.concat works on plain tables (without a metatable)"},
	{"insert_view", "insert_view.lua:4: the case and the libraries are read-only"},
	{"xpcall_loop", "hook exceeded its instruction budget"},
	{"balance", "hook exceeded its instruction budget"},
	{"long_needle", "hook exceeded its instruction budget"},
	{"slow", "hook exceeded its time limit (200 ms)"},
	{"sort_long", "hook exceeded its instruction budget"},
	{"gsub_repl", "hook exceeded its instruction budget"},
	{"move_again", "hook exceeded its instruction budget"},
	{"workdays_far", "workdays_far.lua:7: done: 2283-04-23, 78266"},
	{"os_date", "os_date.lua:3: bad argument #2 to 'date' (a time between the years 1 and 9999)"},
	/* no writable table behind a read-only one */
	{"pairs_leak", "pairs_leak.lua:4: the case and the libraries are read-only"},
};

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hostile_hooks_are_contained(void **state)
{
	(void)state;
	ot_engine *e = open_at(HOSTILE, ":memory:");
	for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
		char req[512], *resp = NULL;
		ot_error err;
		snprintf(req, sizeof req, "{\"item\":\"%s\",\"channel\":\"hall\",\"now\":"
			 "\"2019-09-02T09:00\",\"applicant\":" MID "}", attacks[i].item);
		double start = seconds();
		ot_status st = ot_submit(e, req, &resp, &err);
		/* within the time limit (200 ms), with room for a loaded machine
		 * under ASan: a loop in C that no budget reaches takes far longer */
		if (seconds() - start > 10) {
			fprintf(stderr, "%s: took %.1f s\n", attacks[i].item, seconds() - start);
			fail();
		}
		if (st != OT_EHOOK || !strstr(err.message, attacks[i].says)) {
			fprintf(stderr, "%s: wanted OT_EHOOK with '%s', got %s: %s\n", attacks[i].item,
				attacks[i].says, ot_status_name(st), err.message);
			fail();
		}
		assert_null(resp);
		/* nothing was stored */
		assert_int_equal(ot_list(e, "{}", &resp, &err), OT_OK);
		json_t *l = json_loads(resp, 0, NULL);
		free(resp);
		assert_int_equal(json_array_size(json_object_get(l, "cases")), 0);
		json_decref(l);
		/* a portal's dry run still answers, with a neutral notice */
		json_t *a = ok(e, "assess", "{\"item\":\"%s\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" MID "}", attacks[i].item);
		assert_false(json_is_true(json_object_get(a, "complete")));
		const char *why = S(a, "hook_error");
		assert_non_null(strstr(why, attacks[i].says));
		/* the traceback ends in the hook, not in the host's frame */
		size_t n = strlen(why), host = strlen("\n\t[C]: in ?");
		assert_false(n >= host && !strcmp(why + n - host, "\n\t[C]: in ?"));
		json_t *notice = json_object_get(a, "notice");
		assert_non_null(strstr(json_string_value(json_array_get(notice,
				       json_array_size(notice) - 1)), "a check could not be completed"));
		json_decref(a);
	}
	/* and the engine goes on: the same attack twice fails the same way */
	char *resp = NULL;
	ot_error err;
	assert_int_equal(ot_submit(e, "{\"item\":\"loop\",\"now\":\"2019-09-02T09:00\","
				   "\"applicant\":" MID "}", &resp, &err), OT_EHOOK);
	ot_engine_close(e);
	struct stat st;
	assert_int_not_equal(stat("/tmp/onetrip-pwned", &st), 0);
}

/* memory_mb 4: each call keeps 1 MB more in a top-level local.  A case
 * starts with a fresh instance of the file, so what one case kept is gone
 * for the next: every assessment in turn works, however many. */
static void kept_memory_is_per_case(void **state)
{
	(void)state;
	ot_engine *e = open_at(HOSTILE, ":memory:");
	for (int i = 1; i <= 8; i++) {
		json_t *a = ok(e, "assess", "{\"item\":\"keep_memory\",\"now\":\"2019-09-02T09:00\"}");
		assert_null(json_object_get(a, "hook_error"));
		json_decref(a);
	}
	/* other items of the engine are unaffected */
	json_t *a = ok(e, "assess", "{\"item\":\"loop\",\"now\":\"2019-09-02T09:00\"}");
	assert_non_null(strstr(S(a, "hook_error"), "instruction budget"));
	json_decref(a);
	ot_engine_close(e);
}

/* One engine, four applicants in turn, a hook that hoards their ID numbers
 * in every place it can reach (a global table, a top-level local, a
 * module's local, the libraries, the stdlib modules, _ENV): each answer
 * holds its own applicant's ID only, and no library has changed. */
static void nothing_crosses_cases(void **state)
{
	(void)state;
	static const char *const ids[] = {"110105193001010013", "11010519491231002X",
					  "110105197901010017", "210304193602180040"};
	ot_engine *e = open_at(HOSTILE, ":memory:");
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 4; i++) {
			json_t *a = ok(e, "assess", "{\"item\":\"hoard\",\"now\":\"2019-09-02T09:00\","
				       "\"applicant\":{\"kind\":\"person\",\"id\":\"%s\",\"name\":\"某\"}}",
				       ids[i]);
			const char *msg = S(json_array_get(json_object_get(a, "material_errors"), 0), "message");
			assert_non_null(msg);
			/* the item needs the ID: its own applicant's, and no other */
			char want[160];
			snprintf(want, sizeof want, "upvalue 1 global 1 module 1 upper ABC leaked [] id %s",
				 ids[i]);
			assert_string_equal(msg, want);
			json_decref(a);
		}
	ot_engine_close(e);
}

/* The case view's applicant, materials and current steps are made when a
 * hook first reads them: it reads them as if built whole (pairs, #, the
 * same table each time, writes refused), and a case kept from derive reads
 * as it was then (no materials yet), not as validate's; the next case gets
 * its own. */
static void lazy_case_view_reads_as_built_whole(void **state)
{
	(void)state;
	ot_engine *e = open_at(HOSTILE, ":memory:");
	static const char *const ids[][2] = {{"11010519491231002X", "1101**********002X"},
					     {"110105197901010017", "1101**********0017"}};
	for (int i = 0; i < 2; i++) {
		json_t *a = ok(e, "assess", "{\"item\":\"lazy_view\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":{\"kind\":\"person\",\"id\":\"%s\",\"name\":\"某\"},"
			       "\"materials\":[\"m\"],\"form\":{\"note\":\"report\"}}", ids[i][0]);
		char want[512];
		snprintf(want, sizeof want, "keys applicant,current,form,item,materials,now,status; "
			 "applicant id,kind person %s; materials m provided; current 0; same true; "
			 "refused true; first |%s|applicant,current,form,item,materials,now,status",
			 ids[i][1], ids[i][1]);
		assert_string_equal(S(json_array_get(json_object_get(a, "material_errors"), 0),
				      "message"), want);
		json_decref(a);
	}
	/* on_enter at submission: the step entered is current; the case kept
	 * from derive is the new one, still without materials */
	json_t *c = ok(e, "submit", "{\"item\":\"lazy_view\",\"channel\":\"hall\",\"now\":"
		       "\"2019-09-02T09:00\",\"applicant\":" MID ",\"form\":{\"note\":\"x\"},"
		       "\"materials\":[\"m\"]}");
	json_decref(c);
	c = ok(e, "show", "{\"case\":\"20190902-0001\"}");
	json_t *note = json_array_get(json_object_get(json_array_get(json_object_get(c, "history"), 0),
						      "notes"), 0);
	assert_string_equal(S(note, "note"), "entering s, current [s] of 1, first new ");
	json_decref(c);
	ot_engine_close(e);
}

/* Attacks in a hook file's top, or in what a module returns, are met when
 * the rule base is checked: E024 with the reason, never a crash or a hang. */
static void write_to(const char *dir, const char *name, const char *text)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void attacks_at_the_top(void **state)
{
	(void)state;
	static const struct {
		const char *top, *says;
	} cases[] = {
		{"return setmetatable({}, { __index = function() error('boom') end })\n", "a.lua:1: boom"},
		{"return setmetatable({}, { __index = function() while true do end end })\n",
		 "instruction budget"},
		{"setmetatable({}, { __gc = function() while true do end end })\n",
		 "a.lua:1: setmetatable: hooks cannot use __gc"},
		{"local m = require('m')\nlocal x = m.anything\n", "instruction budget"},
		{"while true do end\n", "instruction budget"},
		{"local t = {} for i = 1, 100 do t = { t } end\nreturn { deep = t }\n",
		 "nested more than 64 deep"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char dir[200];
		test_tmpdir("top", dir, sizeof dir);
		write_to(dir, "r.rules", "department d \"审批局\"\n"
			 "hook_limits { instructions 100000 }\n"
			 "item x \"x\" { department d; hook \"a.lua\"; steps { s \"受理\" by d } }\n");
		write_to(dir, "a.lua", cases[i].top);
		write_to(dir, "m.lua", "return setmetatable({}, { __index = function() while true do end end })\n");
		const char *path = dir;
		ot_rules *r = NULL;
		ot_diags *d = NULL;
		assert_int_equal(ot_rules_compile(&path, 1, NULL, &r, &d), OT_ERULES);
		const ot_diag *g = ot_diags_get(d, 0);
		if (strcmp(g->code, "E024") || !strstr(g->message, cases[i].says)) {
			fprintf(stderr, "case %zu: wanted E024 with '%s', got %s: %s\n", i, cases[i].says,
				g->code, g->message);
			fail();
		}
		ot_diags_free(d);
	}
}

/* An answer may be a table a module returned (through require) or a table
 * inside a module-style file's own table: both are read-only views, empty
 * tables reading through to the real one, and are read as what they show.
 * A view read raw was an empty answer: no errors, nothing derived, a
 * lapsed record counted as valid. */
static void answers_from_modules_are_read(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("view", dir, sizeof dir);
	write_to(dir, "r.rules", "calendar cn { weekend sat sun }\n"
		 "department d \"审批局\"\n"
		 "provider \"平台\" lua \"p.lua\"\n"
		 "material m \"材料\" { holder person; source shared \"平台\" }\n"
		 "form f \"表\" { field c \"计算\": text computed; field note \"备注\": text }\n"
		 "item x \"x\" { department d; calendar cn; applicant person; form f; hook \"a.lua\";"
		 " materials { m }; steps { s \"受理\" by d } }\n"
		 "item y \"y\" { department d; calendar cn; applicant person; form f; hook \"b.lua\";"
		 " steps { s \"受理\" by d } }\n");
	write_to(dir, "msgs.lua", "return {\n"
		 "  no_note = { { field = 'note', message = '请填写备注' } },\n"
		 "  derived = { c = '算好' },\n"
		 "  lapsed = { number = 'N-1', valid_until = '2019-01-01' },\n"
		 "}\n");
	write_to(dir, "a.lua", "local msgs = require('msgs')\n"
		 "function derive(case) return msgs.derived end\n"
		 "function validate(case) if not case.form.note then return msgs.no_note end end\n");
	write_to(dir, "b.lua", "local M = { errs = { { field = 'note', message = '模块自己的表' } },"
		 " d = { c = 'b' } }\n"
		 "function M.derive(case) return M.d end\n"
		 "function M.validate(case) return M.errs end\n"
		 "return M\n");
	write_to(dir, "p.lua", "local msgs = require('msgs')\n"
		 "function fetch(request) return msgs.lapsed end\n");
	ot_engine *e = open_at(dir, ":memory:");
	json_t *c = ok(e, "submit", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID "}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	assert_string_equal(S(json_object_get(c, "form"), "c"), "算好");
	json_t *notice = json_object_get(c, "notice");
	assert_string_equal(S(json_array_get(json_object_get(notice, "form_errors"), 0), "message"),
			    "请填写备注");
	assert_true(contains(json_object_get(notice, "missing"), NULL, "m"));
	json_decref(c);
	c = ok(e, "assess", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID "}");
	json_t *m = json_array_get(json_object_get(c, "materials"), 0);
	assert_string_equal(S(m, "status"), "missing");
	assert_non_null(strstr(S(m, "not_shared"), "已于2019-01-01过期"));
	json_decref(c);
	c = ok(e, "submit", "{\"item\":\"y\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID "}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	assert_string_equal(S(json_object_get(c, "form"), "c"), "b");
	notice = json_object_get(c, "notice");
	assert_string_equal(S(json_array_get(json_object_get(notice, "form_errors"), 0), "message"),
			    "模块自己的表");
	json_decref(c);
	ot_engine_close(e);
}

/* A message cut mid-character, as name:sub(1, 4) cuts Chinese text, is
 * kept up to its last whole character; it was dropped (jansson refuses
 * text that is not UTF-8), and the application passed.  A derived text
 * too: it was refused as "a string for a text field". */
static void text_cut_mid_character_is_kept(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("cut", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "material m \"材料\"\n"
		 "form f \"表\" { field name \"姓名\": text; field short \"简称\": text computed }\n"
		 "item x \"x\" { department d; form f; hook \"a.lua\"; materials { m optional };"
		 " steps { s \"受理\" by d } }\n");
	write_to(dir, "a.lua", "function derive(case) return { short = case.form.name:sub(1, 4) } end\n"
		 "function validate(case)\n"
		 "  local n = case.form.name\n"
		 "  return { { field = 'name', message = n:sub(1, 4) },\n"
		 "           { material = 'm', message = n:sub(1, 5) .. '\\xff' .. n:sub(1, 3) } }\n"
		 "end\n");
	ot_engine *e = open_at(dir, ":memory:");
	json_t *c = ok(e, "submit", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID
		       ",\"form\":{\"name\":\"张三丰\"}}");
	assert_string_equal(S(c, "status"), "needs_supplement");
	assert_string_equal(S(json_object_get(c, "form"), "short"), "张");
	json_t *notice = json_object_get(c, "notice");
	assert_string_equal(S(json_array_get(json_object_get(notice, "form_errors"), 0), "message"), "张");
	/* each malformed byte inside is replaced, as in every message of a hook */
	assert_string_equal(S(json_array_get(json_object_get(notice, "material_errors"), 0),
			      "message"), "张???张");
	json_decref(c);
	ot_engine_close(e);
}

/* A hook file's top runs with the operation's own time and item: os.date
 * and workdays at the top read them.  They were set only after the top had
 * run, so it saw the previous operation's (1970 in the first). */
static void the_top_runs_at_the_operations_time(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("topnow", dir, sizeof dir);
	write_to(dir, "r.rules", "calendar cn { weekend sat sun }\n"
		 "calendar six { weekend sun }\n"
		 "department d \"审批局\"\n"
		 "form f \"表\" { field note \"备注\": text }\n"
		 "item a \"a\" { department d; calendar cn; form f; hook \"t.lua\"; steps { s \"受理\" by d } }\n"
		 "item b \"b\" { department d; calendar six; form f; hook \"t.lua\"; steps { s \"受理\" by d } }\n");
	write_to(dir, "t.lua", "local workdays = require('workdays')\n"
		 "local at_top = os.date() .. ', due ' .. workdays.add('2019-09-06', 1)\n"
		 "function validate(case) return { { field = 'note', message = at_top } } end\n");
	ot_engine *e = open_at(dir, ":memory:");
	static const char *const runs[][3] = {
		{"a", "2019-09-02T09:00", "2019-09-02 09:00:00, due 2019-09-09"},
		{"b", "2019-09-03T10:30", "2019-09-03 10:30:00, due 2019-09-07"},
		{"a", "2019-09-04T11:00", "2019-09-04 11:00:00, due 2019-09-09"},
	};
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		json_t *c = ok(e, "assess", "{\"item\":\"%s\",\"now\":\"%s\"}", runs[i][0], runs[i][1]);
		assert_string_equal(S(json_array_get(json_object_get(c, "form_errors"), 0), "message"),
				    runs[i][2]);
		json_decref(c);
	}
	ot_engine_close(e);
}

/* A group's rows are read-only like every table of the case: a write to a
 * row, or to the list of rows, is the hook's error.  Both were writable. */
static void group_rows_are_read_only(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("rows", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "form member \"成员\" { field name \"姓名\": text }\n"
		 "form f \"表\" { field members \"家庭成员\": group [member]; field what \"写\": text }\n"
		 "item x \"x\" { department d; form f; hook \"a.lua\"; steps { s \"受理\" by d } }\n");
	write_to(dir, "a.lua", "function validate(case)\n"
		 "  local m = case.form.members\n"
		 "  if case.form.what == 'row' then m[1].name = '改' end\n"
		 "  if case.form.what == 'list' then m[2] = { name = '添' } end\n"
		 "  local names = {}\n"
		 "  for i, row in ipairs(m) do names[i] = row.name end\n"
		 "  return { { field = 'what', message = #m .. ' ' .. table.concat(names, ',') } }\n"
		 "end\n");
	ot_engine *e = open_at(dir, ":memory:");
	static const char req[] = "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID
		",\"form\":{\"members\":[{\"name\":\"张三\"}],\"what\":\"%s\"}}";
	json_t *c = ok(e, "assess", req, "read");
	assert_string_equal(S(json_array_get(json_object_get(c, "form_errors"), 0), "message"),
			    "1 张三");
	json_decref(c);
	char r[512];
	snprintf(r, sizeof r, req, "row");
	refused(e, "submit", OT_EHOOK, "a.lua:3: the case and the libraries are read-only", r);
	snprintf(r, sizeof r, req, "list");
	refused(e, "submit", OT_EHOOK, "a.lua:4: the case and the libraries are read-only", r);
	ot_engine_close(e);
}

/* A note is bounded like a validate message (2,000 bytes; a longer one
 * is the hook's failure, a warning in the event) and kept up to its last
 * whole character.  A 10 MB note was stored whole; one cut mid-character
 * was lost without a word. */
static void notes_are_bounded_and_whole(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("notes", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "form f \"表\" { field note \"备注\": text }\n"
		 "item x \"x\" { department d; form f; hook \"a.lua\"; steps { s \"受理\" by d } }\n");
	write_to(dir, "a.lua", "function on_enter(case, step)\n"
		 "  if case.form.note == 'long' then return ('x'):rep(2001) end\n"
		 "  if case.form.note == 'most' then return ('x'):rep(2000) end\n"
		 "  return ('张三丰'):sub(1, 4)\n"
		 "end\n");
	ot_engine *e = open_at(dir, ":memory:");
	static const char *const notes[] = {"cut", "most", "long"};
	for (int i = 0; i < 3; i++) {
		json_t *c = ok(e, "submit", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":"
			       MID ",\"form\":{\"note\":\"%s\"}}", notes[i]);
		json_t *sh = ok(e, "show", "{\"case\":\"%s\"}", S(c, "id"));
		json_t *ev = json_array_get(json_object_get(sh, "history"), 0);
		const char *note = S(json_array_get(json_object_get(ev, "notes"), 0), "note");
		const char *warning = json_string_value(json_array_get(json_object_get(ev, "warnings"), 0));
		if (i == 0)
			assert_string_equal(note, "张");
		else if (i == 1)
			assert_int_equal(strlen(note), 2000);
		else
			assert_non_null(strstr(warning, "on_enter in a.lua returned a note of 2001 bytes; "
					       "at most 2000"));
		assert_true(i == 2 ? !json_object_get(ev, "notes") : !warning);
		json_decref(sh);
		json_decref(c);
	}
	ot_engine_close(e);
}

/* The table functions take plain tables only, but read through a
 * read-only table (a module's, the case's) as indexing would: concat,
 * unpack and move out of it work; a move into it is refused. */
static void table_functions_read_through_views(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("tables", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "form f \"表\" { field note \"备注\": text }\n"
		 "item x \"x\" { department d; form f; hook \"a.lua\"; steps { s \"受理\" by d } }\n");
	write_to(dir, "m.lua", "return { list = { 'a', 'b', 'c' } }\n");
	write_to(dir, "a.lua", "local m = require('m')\n"
		 "function validate(case)\n"
		 "  if case.form.note == 'into' then table.move({ 'z' }, 1, 1, 1, m.list) end\n"
		 "  local a, b, c = table.unpack(m.list)\n"
		 "  local copy = table.move(m.list, 2, 3, 1, {})\n"
		 "  table.insert(copy, 'd')\n"
		 "  return { { field = 'note', message = table.concat(m.list, ',') .. ' ' .. a .. b .. c ..\n"
		 "    ' ' .. table.concat(copy, ',') .. ' ' .. select('#', table.unpack(case.current)) } }\n"
		 "end\n");
	ot_engine *e = open_at(dir, ":memory:");
	json_t *c = ok(e, "assess", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "form_errors"), 0), "message"),
			    "a,b,c abc b,c,d 0");
	json_decref(c);
	refused(e, "submit", OT_EHOOK, "a.lua:3: the case and the libraries are read-only",
		"{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":" MID
		",\"form\":{\"note\":\"into\"}}");
	ot_engine_close(e);
}

/* A metatable is sealed when it is set: __mode and __gc cannot be added to
 * it afterwards (late_mode), nor a metatable given to it; everything else
 * about metatables works as in Lua. */
static void metatables_work_as_in_lua(void **state)
{
	(void)state;
	char dir[200];
	test_tmpdir("meta", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "form f \"表\" { field note \"备注\": text }\n"
		 "item x \"x\" { department d; form f; hook \"a.lua\"; steps { s \"受理\" by d } }\n");
	write_to(dir, "a.lua", "local C = {}\n"
		 "C.__index = C\n"
		 "function C.new(n) return setmetatable({ n = n }, C) end\n"
		 "local a = C.new(2)\n"
		 "function C:twice() return self.n * 2 end -- a method added after\n"
		 "C.__tostring = function(o) return 'C' .. o.n end\n"
		 "C.__close = nil\n"
		 "local function fails(f) local ok, err = pcall(f) return not ok and err:match(': (.*)') end\n"
		 "function validate(case)\n"
		 "  local out = { a:twice(), tostring(a), tostring(getmetatable(a) == C),\n"
		 "    tostring(getmetatable(C)), fails(function() table.concat(a) end),\n"
		 "    fails(function() setmetatable(C, {}) end),\n"
		 "    fails(function() setmetatable({}, setmetatable({}, { __index = C })) end),\n"
		 "    fails(function() C.__gc = print end) }\n"
		 "  return { { field = 'note', message = table.concat(out, '; ') } }\n"
		 "end\n");
	ot_engine *e = open_at(dir, ":memory:");
	json_t *c = ok(e, "assess", "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\"}");
	assert_string_equal(S(json_array_get(json_object_get(c, "form_errors"), 0), "message"),
			    "4; C2; true; false; table.concat works on plain tables (without a metatable); "
			    "setmetatable: a table that is a metatable cannot have one itself; "
			    "setmetatable: a table that has a metatable cannot be one; "
			    "hooks cannot use __gc");
	json_decref(c);
	ot_engine_close(e);
}

/* A text with a NUL byte in any answer a hook gives the engine is the
 * hook's failure: stored as \u0000 it made an event that could not be
 * read back (show, list and the store check all failed on it). */
static const char nul_rules[] =
	"calendar cn { weekend sat sun }\n"
	"department d \"审批局\"\n"
	"provider \"平台\" lua \"p.lua\"\n"
	"material m \"材料\" { holder person; source shared \"平台\" }\n"
	"material e \"补充\"\n"
	"form f \"表\" { field c \"计算\": text computed; field note \"备注\": text }\n"
	"item x \"x\" {\n"
	"  department d; calendar cn; applicant person; form f; hook \"a.lua\"\n"
	"  materials { m; e when lua.t(form.note) == \"y\" }\n"
	"  steps { s \"受理\" by d; s2 \"二\" by d; s3 \"三\" by d }\n"
	"  flow { s -> s2, s3 route lua; s2 -> end; s3 -> end }\n"
	"}\n";
static const char nul_hook[] =
	"local function nul(case, what, ok) if case.form.note == what then return 'a\\0b' end return ok end\n"
	"function derive(case) return { c = nul(case, 'derive', 'c') } end\n"
	"function validate(case)\n"
	"  if case.form.note == 'message' then return { { field = 'note', message = 'a\\0b' } } end\n"
	"  if case.form.note == 'field' then return { { field = 'note\\0x', message = 'm' } } end\n"
	"end\n"
	"function t(note) if note == 'fn' then return 'a\\0b' end return 'n' end\n"
	"function route(case, step) return nul(case, 'route', 's2') end\n"
	"function on_enter(case, step) return nul(case, 'note', nil) end\n";
static const char nul_provider[] =
	"function fetch(request)\n"
	"  if request.applicant.name == 'number' then return { number = 'N\\0x' } end\n"
	"  if request.applicant.name == 'reason' then return nil, 'no\\0x' end\n"
	"  return true\n"
	"end\n";

#define NUL_SUBMIT "{\"item\":\"x\",\"now\":\"2019-09-02T09:00\",\"applicant\":{\"kind\":" \
	"\"person\",\"id\":\"11010519491231002X\",\"name\":\"%s\"},\"form\":{\"note\":\"%s\"}}"

static void nul_bytes_are_the_hooks_failure(void **state)
{
	(void)state;
	char dir[200], req[512];
	test_tmpdir("nul", dir, sizeof dir);
	write_to(dir, "r.rules", nul_rules);
	write_to(dir, "a.lua", nul_hook);
	write_to(dir, "p.lua", nul_provider);
	ot_engine *e = open_at(dir, ":memory:");
	json_t *c = ok(e, "submit", NUL_SUBMIT, "张三", "sound");
	assert_string_equal(S(json_object_get(c, "form"), "c"), "c");
	json_decref(c);
	static const char *const refusals[][2] = {
		{"derive", "derive in a.lua returned text with a NUL byte for c"},
		{"message", "validate in a.lua returned entry 1 with a NUL byte in its text"},
		{"field", "validate in a.lua returned entry 1 with a NUL byte in its text"},
		{"fn", "lua.t returned text with a NUL byte"},
	};
	for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
		snprintf(req, sizeof req, NUL_SUBMIT, "张三", refusals[i][0]);
		refused(e, "submit", OT_EHOOK, refusals[i][1], req);
	}
	/* route refuses the approval; a note is a warning, the case goes on */
	json_decref(ok(e, "submit", NUL_SUBMIT, "张三", "route"));
	refused(e, "act", OT_EHOOK, "route in a.lua returned text with a NUL byte for step s",
		"{\"case\":\"20190902-0002\",\"step\":\"s\",\"action\":\"approve\",\"actor\":\"d\","
		"\"now\":\"2019-09-02T10:00\"}");
	json_decref(ok(e, "submit", NUL_SUBMIT, "张三", "note"));
	c = ok(e, "show", "{\"case\":\"20190902-0003\"}");
	json_t *first = json_array_get(json_object_get(c, "history"), 0);
	assert_null(json_object_get(first, "notes"));
	assert_non_null(strstr(json_string_value(json_array_get(json_object_get(first, "warnings"), 0)),
			       "on_enter in a.lua returned a note with a NUL byte"));
	json_decref(c);
	/* a provider's answer: its failure, the material asked for */
	for (int i = 0; i < 2; i++) {
		c = ok(e, "assess", NUL_SUBMIT, i ? "reason" : "number", "sound");
		assert_non_null(strstr(S(c, "provider_error"), "p.lua: fetch returned text with a NUL byte"));
		json_decref(c);
	}
	/* three cases, every one readable, the store sound */
	c = ok(e, "list", "{}");
	assert_int_equal(json_array_size(json_object_get(c, "cases")), 3);
	json_decref(c);
	c = ok(e, "store_check", "{}");
	assert_true(json_is_true(json_object_get(c, "sound")));
	json_decref(c);
	ot_engine_close(e);
}

/* A hook that would run for half a minute, in one process, while another
 * writes: the time limit (200 ms for all the hooks of an operation) ends it
 * long before the other writer's wait for the store (10 s) runs out, so
 * every write of the other process succeeds. */
static void slow_hook_never_fails_another_writer(void **state)
{
	(void)state;
	char dir[200], db[600];
	test_tmpdir("slow", dir, sizeof dir);
	snprintf(db, sizeof db, "%s/store.db", dir);
	ot_engine_close(open_at(HOSTILE, db)); /* the store exists before both start */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ot_engine *e = open_at(HOSTILE, db);
		int contained = 0;
		for (int i = 0; i < 5; i++) {
			char *resp = NULL;
			ot_error err;
			contained += ot_submit(e, "{\"item\":\"slow\",\"now\":\"2019-09-02T09:00\","
					       "\"applicant\":" MID "}", &resp, &err) == OT_EHOOK &&
				     strstr(err.message, "time limit") != NULL;
		}
		ot_engine_close(e);
		_exit(contained == 5 ? 0 : 1);
	}
	ot_engine *e = open_at(HOSTILE, db);
	for (int i = 0; i < 40; i++) { /* spread over the child's second */
		json_decref(ok(e, "submit", "{\"item\":\"keep_memory\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" MID "}"));
		nanosleep(&(struct timespec){0, 30000000}, NULL);
	}
	ot_engine_close(e);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Hooks run before the operation takes the store's write lock: while one
 * process's slow but sound hooks run, another writes; the first then finds
 * the store changed under it, runs its operation again holding the lock,
 * and both processes' cases are all there. */
static void writers_race_past_slow_hooks(void **state)
{
	(void)state;
	char dir[200], db[600];
	test_tmpdir("race", dir, sizeof dir);
	write_to(dir, "r.rules", "department d \"审批局\"\n"
		 "hook_limits { time_ms 20000; instructions 1000000000 }\n"
		 "item slowish \"慢\" { department d; hook \"slow.lua\"; steps { s \"受理\" by d } }\n"
		 "item quick \"快\" { department d; steps { s \"受理\" by d } }\n");
	write_to(dir, "slow.lua", "function on_exit(case, step)\n"
		 "  local t = ('x'):rep(100000)\n"
		 "  for i = 1, 400 do local u = t:upper() end\n"
		 "end\n");
	snprintf(db, sizeof db, "%s/store.db", dir);
	ot_engine_close(open_at(dir, db));
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ot_engine *e = open_at(dir, db);
		int done = 0;
		for (int i = 0; i < 5; i++) {
			char *resp = NULL, req[200];
			ot_error err;
			if (ot_submit(e, "{\"item\":\"slowish\",\"now\":\"2019-09-02T09:00\","
				      "\"applicant\":" MID "}", &resp, &err) != OT_OK)
				break;
			json_t *c = json_loads(resp, 0, NULL);
			free(resp);
			/* act reads the case, then its slow on_exit runs, then it writes */
			snprintf(req, sizeof req, "{\"case\":\"%s\",\"step\":\"s\",\"action\":"
				 "\"approve\",\"actor\":\"d\",\"now\":\"2019-09-02T10:00\"}", S(c, "id"));
			json_decref(c);
			done += ot_act(e, req, &resp, &err) == OT_OK;
			free(resp);
		}
		ot_engine_close(e);
		_exit(done == 5 ? 0 : 1);
	}
	ot_engine *e = open_at(dir, db);
	for (int i = 0; i < 40; i++) {
		json_decref(ok(e, "submit", "{\"item\":\"quick\",\"now\":\"2019-09-02T09:00\","
			       "\"applicant\":" MID "}"));
		nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	json_t *l = ok(e, "list", "{}");
	assert_int_equal(json_array_size(json_object_get(l, "cases")), 45);
	json_decref(l);
	ot_engine_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(derive_and_validate),
		cmocka_unit_test(derive_leaves_the_given_form),
		cmocka_unit_test(notes_at_steps),
		cmocka_unit_test(functions_in_conditions_and_routing),
		cmocka_unit_test(personal_data_masked),
		cmocka_unit_test(running_cases_keep_their_hook),
		cmocka_unit_test(hostile_hooks_are_contained),
		cmocka_unit_test(kept_memory_is_per_case),
		cmocka_unit_test(nothing_crosses_cases),
		cmocka_unit_test(lazy_case_view_reads_as_built_whole),
		cmocka_unit_test(attacks_at_the_top),
		cmocka_unit_test(nul_bytes_are_the_hooks_failure),
		cmocka_unit_test(answers_from_modules_are_read),
		cmocka_unit_test(text_cut_mid_character_is_kept),
		cmocka_unit_test(the_top_runs_at_the_operations_time),
		cmocka_unit_test(group_rows_are_read_only),
		cmocka_unit_test(notes_are_bounded_and_whole),
		cmocka_unit_test(table_functions_read_through_views),
		cmocka_unit_test(metatables_work_as_in_lua),
		cmocka_unit_test(slow_hook_never_fails_another_writer),
		cmocka_unit_test(writers_race_past_slow_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
