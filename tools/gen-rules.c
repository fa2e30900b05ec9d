/*
 * gen-rules -- writes a synthetic rule base of N items for benchmarks.
 *
 *   gen-rules N DIR
 *
 * DIR/base.rules holds a calendar with nine years of holidays, 40
 * departments with windows, 200 materials and 20 forms; DIR/items.rules
 * holds N items shaped like the real ones (conditional materials, a fork
 * and join, a when/otherwise choice, limits) and one four-stage chain per
 * 40 items.  The output is deterministic.
 */
#include <stdio.h>
#include <stdlib.h>

static void base(FILE *f)
{
	fprintf(f, "calendar cn \"工作日历\" {\n  weekend sat sun\n");
	for (int y = 2018; y <= 2026; y++) {
		fprintf(f, "  holiday %d-01-01 \"元旦\"\n", y);
		fprintf(f, "  holiday %d-05-01..%d-05-03 \"劳动节\"\n", y, y);
		fprintf(f, "  holiday %d-10-01..%d-10-07 \"国庆节\"\n", y, y);
	}
	fprintf(f, "}\n\n");
	for (int d = 0; d < 40; d++)
		fprintf(f, "department dept%d \"部门%d\" { window w1 \"综合窗口\"; window w2 \"出件窗口\"%s }\n",
			d, d, d % 10 == 9 ? "; level street" : "");
	fprintf(f, "\n");
	for (int m = 0; m < 200; m++) {
		const char *src = m % 3 == 0 ? "source shared \"电子证照库\""
				: m % 3 == 1 ? "source applicant; original; copies 1"
					     : "source issued_by dept1; reusable 2 years";
		fprintf(f, "material mat%d \"材料%d\" { %s }\n", m, m, src);
	}
	fprintf(f, "\n");
	for (int k = 0; k < 20; k++)
		fprintf(f, "form form%d \"表%d\" {\n"
			   "  field name \"名称\": text required\n"
			   "  field area \"面积\": decimal min 0\n"
			   "  field count \"人数\": integer min 0 max 100000\n"
			   "  field funded \"政府投资\": bool\n"
			   "  field kind \"类型\": enum [housing, public, industrial]\n"
			   "  field code \"信用代码\": credit_code\n"
			   "}\n", k, k);
}

static void item(FILE *f, int i)
{
	int d = i % 40, m = (i * 7) % 190;
	fprintf(f, "item item%d \"事项%d\" {\n"
		   "  code \"2103%010d\"\n  type licensing\n  department dept%d\n"
		   "  window dept%d.w1\n  online full\n  legal_limit 20 workdays\n"
		   "  promised_limit 10 workdays\n  calendar cn\n  frequency high\n"
		   "  applicant any\n  form form%d\n  deliver window, post, electronic\n",
		i, i, i, d, d, i % 20);
	fprintf(f, "  materials {\n    mat%d\n    mat%d when form.area > %d\n"
		   "    mat%d when form.kind == public or form.funded\n"
		   "    mat%d when form.count >= 10 and form.kind in [housing, industrial]\n"
		   "    mat%d optional\n    mat%d deferrable\n  }\n",
		m, m + 1, 100 + i % 900, m + 2, m + 3, m + 4, m + 5);
	fprintf(f, "  steps {\n"
		   "    intake \"受理\" by dept%d.w1 within 1 workday\n"
		   "    review \"审查\" by dept%d within 3 workdays\n"
		   "    check \"核查\" by dept%d within 2 workdays\n"
		   "    visit \"勘验\" by dept%d within 2 workdays in_person\n"
		   "    decide \"决定\" by dept%d within 1 workday\n  }\n",
		d, d, (d + 1) % 40, (d + 2) % 40, d);
	fprintf(f, "  flow {\n    intake -> review, check\n"
		   "    review, check -> decide\n"
		   "    decide -> visit when form.funded\n"
		   "    decide -> end otherwise\n    visit -> end\n  }\n"
		   "  note \"synthetic item for benchmarks\"\n}\n");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen-rules N DIR\n");
		return 2;
	}
	int n = atoi(argv[1]);
	char path[4096];
	snprintf(path, sizeof path, "%s/base.rules", argv[2]);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 2;
	}
	base(f);
	fclose(f);
	snprintf(path, sizeof path, "%s/items.rules", argv[2]);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		return 2;
	}
	fprintf(f, "use \"base.rules\"\n\n");
	for (int i = 0; i < n; i++)
		item(f, i);
	for (int c = 0; c * 10 + 60 < n; c += 4)
		fprintf(f, "chain chain%d \"链%d\" {\n  form form0\n  total_limit 60 workdays\n"
			   "  stage s1 \"一\" { items item%d }\n  stage s2 \"二\" after s1 { items item%d }\n"
			   "  stage s3 \"三\" after s2 { items item%d }\n  stage s4 \"四\" after s3 { items item%d }\n}\n",
			c, c, c * 10, c * 10 + 20, c * 10 + 40, c * 10 + 60);
	fclose(f);
	return 0;
}
