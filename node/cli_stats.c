/*
 * cli_stats.c: the verbs leaders and command centers read figures with:
 * stats, notices and their receipts, monthly check reports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/category.h"
#include "gs/config.h"
#include "gs/daemon.h"
#include "gs/error.h"
#include "gs/hlc.h"
#include "gs/json.h"
#include "gs/path.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/records.h"
#include "gs/stats.h"
#include "gs/trust.h"

#include "cli_impl.h"

/* ---- stats ---- */

static void
print_counts_json(struct gs_json *j, const struct gs_counts *k)
{
	struct gs_counts c = *k;
	double v;

	for (size_t i = 0; i < GS_COUNTS_N; i++) {
		gs_json_key(j, gs_counts_name(i));
		gs_json_u64(j, *gs_counts_at(&c, i));
	}
	gs_json_key(j, "rates");
	gs_json_obj_open(j);
	for (int r = 0; r < GS_RATE__COUNT; r++) {
		gs_json_key(j, gs_rate_name(r));
		if (gs_rate(k, r, &v))
			gs_json_num4(j, v);
		else
			gs_json_null(j);
	}
	gs_json_obj_close(j);
}

static void
print_rate_cell(const struct gs_counts *k, enum gs_rate r, bool csv)
{
	double v;

	if (!gs_rate(k, r, &v))
		fprintf(cli_out, csv ? "," : " %7s", csv ? "" : "-");
	else if (csv)
		fprintf(cli_out, ",%.4f", v);
	else
		fprintf(cli_out, " %6.1f%%", v * 100);
}

static void
print_counts_row(const char *key, const struct gs_counts *k, bool csv)
{
	if (csv)
		fprintf(cli_out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, key,
		    k->received, k->settled, k->open, k->overdue);
	else
		fprintf(cli_out, "%-30s %5" PRIu64 " %5" PRIu64 " %5" PRIu64 " %5" PRIu64,
		    key, k->received, k->settled, k->open, k->overdue);
	for (int r = 0; r < GS_RATE__COUNT; r++)
		print_rate_cell(k, r, csv);
	fprintf(cli_out, "\n");
}

static void
print_stats_json(const char *node, const char *period, const char *by,
    bool rollups, const struct gs_stats *s)
{
	struct gs_json j;

	gs_json_init(&j, cli_out);
	gs_json_obj_open(&j);
	gs_json_key(&j, "node"); gs_json_str(&j, node);
	gs_json_key(&j, "period"); gs_json_str(&j, period ? period : "");
	gs_json_key(&j, "by"); gs_json_str(&j, by ? by : "");
	gs_json_key(&j, "source"); gs_json_str(&j, rollups ? "rollups" : "cases");
	gs_json_key(&j, "groups");
	gs_json_arr_open(&j);
	for (size_t i = 0; i < s->n; i++) {
		gs_json_obj_open(&j);
		gs_json_key(&j, "key"); gs_json_str(&j, s->groups[i].key);
		if (by && strcmp(by, "category") == 0) {
			gs_json_key(&j, "label");
			gs_json_str(&j, gs_category_label(s->groups[i].key));
		}
		print_counts_json(&j, &s->groups[i].k);
		gs_json_obj_close(&j);
	}
	gs_json_arr_close(&j);
	gs_json_key(&j, "total");
	gs_json_obj_open(&j);
	print_counts_json(&j, &s->total);
	gs_json_obj_close(&j);
	gs_json_obj_close(&j);
	gs_json_end(&j);
}

int
cmd_stats(struct args *a)
{
	const char *period = cli_arg(a, "period"), *by = cli_arg(a, "by");
	bool csv = cli_has(a, "csv"), rollups;
	enum gs_stats_by eb = GS_BY_NONE;
	struct gs_stats s;
	gs_txn *t = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	if (period && gs_period_valid(period) == 0)
		return cli_usage("--period must be YYYY, YYYY-MM or YYYY-MM-DD");
	if (by && strcmp(by, "village") == 0)
		eb = GS_BY_VILLAGE;
	else if (by && strcmp(by, "town") == 0)
		eb = GS_BY_TOWN;
	else if (by && strcmp(by, "category") == 0)
		eb = GS_BY_CATEGORY;
	else if (by && strcmp(by, "day") == 0)
		eb = GS_BY_DAY;
	else if (by)
		return cli_usage("--by must be village, town, category or day");
	if (csv && a->json)
		return cli_usage("give --json or --csv, not both");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	/* The county holds only the cases whistled to it: its figures are
	 * the towns' signed rollups. Below it, the cases themselves. */
	rollups = gs_path_depth(gs_node_path(a->node)) == 1;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) == 0)
		rc = rollups ? gs_stats_rollups(t, gs_node_path(a->node), period,
		    eb, gs_hlc_now_ms(), &s) : gs_stats_cases(t, period, eb,
		    gs_hlc_now_ms(), &s);
	gs_txn_abort(&t);
	if (rc != 0)
		return cli_fail("%s", gs_strerror(rc));
	if (a->json) {
		print_stats_json(gs_node_path(a->node), period, by, rollups, &s);
	} else {
		if (csv)
			fprintf(cli_out, "group,received,settled,open,overdue");
		else
			fprintf(cli_out, "%-30s %5s %5s %5s %5s", "分组 group", "受理",
			    "办结", "在办", "逾期");
		for (int r = 0; r < GS_RATE__COUNT; r++)
			fprintf(cli_out, csv ? ",%s" : " %s", csv ? gs_rate_name(r) :
			    gs_rate_label(r));
		fprintf(cli_out, "\n");
		for (size_t i = 0; i < s.n; i++)
			print_counts_row(eb == GS_BY_CATEGORY ?
			    gs_category_label(s.groups[i].key) : s.groups[i].key,
			    &s.groups[i].k, csv);
		print_counts_row(csv ? "total" : "合计 total", &s.total, csv);
		if (!csv && rollups)
			fprintf(cli_out, "(县级数字为各镇签名统计之和 county figures: the "
			    "sum of the towns' signed rollups)\n");
	}
	gs_stats_free(&s);
	return 0;
}

/* ---- notices and read receipts ---- */

struct reader {
	char     path[GS_PATH_MAX_BYTES + 1];
	uint64_t hlc;
};

struct notice {
	uint8_t        id[GS_ID_BYTES];
	char           issuer[GS_PATH_MAX_BYTES + 1];
	char          *title, *body;
	uint64_t       hlc;
	struct reader *readers;
	size_t         nreaders;
};

struct notices {
	struct notice *v;
	size_t         n;
};

static int
collect_notice(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct notices *ns = arg;
	struct notice *nv = realloc(ns->v, (ns->n + 1) * sizeof(*nv)), *x;

	if (nv == NULL)
		return GS_ENOMEM;
	ns->v = nv;
	x = &ns->v[ns->n];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, id, GS_ID_BYTES);
	snprintf(x->issuer, sizeof(x->issuer), "%s", c->signer);
	x->hlc = c->hlc;
	x->title = strdup(c->notice->title);
	x->body = strdup(c->notice->body);
	ns->n++;
	return x->title && x->body ? 0 : GS_ENOMEM;
}

static const struct reader *
reader_find(const struct notice *x, const char *path)
{
	for (size_t i = 0; i < x->nreaders; i++)
		if (strcmp(x->readers[i].path, path) == 0)
			return &x->readers[i];
	return NULL;
}

static int
collect_reader(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct notice *x = arg;
	struct reader *nv = realloc(x->readers, (x->nreaders + 1) * sizeof(*nv));

	(void)id;
	if (nv == NULL)
		return GS_ENOMEM;
	x->readers = nv;
	/* A receipt naming another issuer than the notice's signer is not a
	 * receipt of this notice; a reader's later receipts add nothing. */
	if (strcmp(c->receipt->issuer, x->issuer) != 0 ||
	    reader_find(x, c->signer) != NULL)
		return 0;
	snprintf(nv[x->nreaders].path, sizeof(nv[0].path), "%s", c->signer);
	nv[x->nreaders++].hlc = c->hlc;
	return 0;
}

static int
notice_newest_first(const void *a, const void *b)
{
	const struct notice *x = a, *y = b;

	if (x->hlc != y->hlc)
		return x->hlc < y->hlc ? 1 : -1;
	return memcmp(x->id, y->id, GS_ID_BYTES);
}

static void
notices_free(struct notices *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].title);
		free(ns->v[i].body);
		free(ns->v[i].readers);
	}
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

int
cmd_notices(struct args *a)
{
	struct notices ns = { NULL, 0 };
	char (*villages)[GS_PATH_MAX_BYTES + 1] = NULL;
	size_t nvillages = 0;
	const char *self;
	gs_txn *t = NULL;
	struct gs_json j;
	char when[32], hex[2 * GS_ID_BYTES + 1];
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	self = gs_node_path(a->node);
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		goto out;
	if ((rc = gs_records_each(t, GS__CHANGE__BODY_NOTICE, NULL, 0,
	    collect_notice, &ns)) != 0)
		goto out;
	for (size_t i = 0; i < ns.n; i++)
		if ((rc = gs_records_walk(t, GS__CHANGE__BODY_RECEIPT, ns.v[i].id,
		    GS_ID_BYTES, GS_PICK_ALL, collect_reader, &ns.v[i])) != 0)
			goto out;
	/* The villages whose receipts reach this node: those below it. */
	if ((rc = gs_roster_areas_below(t, self, 3, &villages,
	    &nvillages)) != 0)
		goto out;
	gs_txn_abort(&t);
	if (ns.n > 1)
		qsort(ns.v, ns.n, sizeof(ns.v[0]), notice_newest_first);
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_arr_open(&j);
	}
	for (size_t i = 0; i < ns.n; i++) {
		const struct notice *x = &ns.v[i];
		bool reader = gs_path_is_ancestor(x->issuer, self);
		size_t read = 0;

		for (size_t k = 0; k < nvillages; k++)
			if (reader_find(x, villages[k]))
				read++;
		gs_hex(x->id, GS_ID_BYTES, hex);
		gs_hlc_format(x->hlc, when, sizeof(when));
		if (!a->json) {
			fprintf(cli_out, "%s  %-24s %s", when, x->issuer, x->title);
			if (reader)
				fprintf(cli_out, "  [%s]", reader_find(x, self) ? "已阅 read" :
				    "未阅 unread");
			if (nvillages > 0)
				fprintf(cli_out, "  已阅 read %zu/%zu", read, nvillages);
			fprintf(cli_out, "\n    %s\n", hex);
			if (x->body[0])
				fprintf(cli_out, "    %s\n", x->body);
			continue;
		}
		gs_json_obj_open(&j);
		gs_json_key(&j, "id"); gs_json_str(&j, hex);
		gs_json_key(&j, "issuer"); gs_json_str(&j, x->issuer);
		gs_json_key(&j, "title"); gs_json_str(&j, x->title);
		gs_json_key(&j, "body"); gs_json_str(&j, x->body);
		gs_json_key(&j, "hlc"); gs_json_u64(&j, x->hlc);
		gs_json_key(&j, "time"); gs_json_str(&j, when);
		gs_json_key(&j, "read");
		if (reader)
			gs_json_bool(&j, reader_find(x, self) != NULL);
		else
			gs_json_null(&j);
		gs_json_key(&j, "readers");
		gs_json_arr_open(&j);
		for (size_t k = 0; k < x->nreaders; k++) {
			gs_json_obj_open(&j);
			gs_json_key(&j, "path"); gs_json_str(&j, x->readers[k].path);
			gs_json_key(&j, "hlc"); gs_json_u64(&j, x->readers[k].hlc);
			gs_json_obj_close(&j);
		}
		gs_json_arr_close(&j);
		gs_json_key(&j, "expected"); gs_json_u64(&j, nvillages);
		gs_json_key(&j, "unread");
		gs_json_arr_open(&j);
		for (size_t k = 0; k < nvillages; k++)
			if (!reader_find(x, villages[k]))
				gs_json_str(&j, villages[k]);
		gs_json_arr_close(&j);
		gs_json_obj_close(&j);
	}
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_end(&j);
	} else if (ns.n == 0)
		fprintf(cli_out, "无通知 no notices\n");
out:
	gs_txn_abort(&t);
	notices_free(&ns);
	free(villages);
	return rc == 0 ? 0 : cli_fail("%s", gs_strerror(rc));
}

struct own_receipt {
	const char *self, *issuer;
	uint8_t     id[GS_ID_BYTES];
};

/* The prefix notice id + our path also matches the receipts of nodes
 * below us ("q/c" is a prefix of "q/c/x"): only our own counts. */
static int
own_receipt(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct own_receipt *o = arg;

	if (strcmp(c->signer, o->self) != 0 ||
	    strcmp(c->receipt->issuer, o->issuer) != 0)
		return 0;
	memcpy(o->id, id, GS_ID_BYTES);
	return 1;   /* found: stop */
}

int
cmd_read(struct args *a)
{
	uint8_t nid[GS_ID_BYTES], prefix[GS_ID_BYTES + GS_PATH_MAX_BYTES];
	struct own_receipt own;
	char issuer[GS_PATH_MAX_BYTES + 1], hex[2 * GS_ID_BYTES + 1];
	const char *self;
	gs_envelope e;
	Gs__Change *n = NULL, c;
	Gs__Receipt r;
	gs_txn *t = NULL;
	gs_val v;
	int rc, found = 0;

	gs__change__init(&c);
	gs__receipt__init(&r);
	memset(&e, 0, sizeof(e));
	if (strlen(a->pos[0]) != 2 * GS_ID_BYTES ||
	    gs_unhex(a->pos[0], nid, GS_ID_BYTES) != 0)
		return cli_usage("NOTICE must be a notice's id: 64 hex digits, as "
		    "'gridnode notices' prints");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	self = gs_node_path(a->node);
	own.self = self;
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0)
		return cli_fail("%s", gs_strerror(rc));
	rc = gs_get(t, GS_DB_CHANGES, nid, GS_ID_BYTES, &v);
	if (rc == 0 && (gs_envelope_decode(v.data, v.len, &e) != 0 ||
	    gs_change_decode(&e, &n, NULL) != 0))
		rc = GS_EBADMSG;
	if (rc == 0 && n->body_case != GS__CHANGE__BODY_NOTICE)
		rc = GS_ENOTFOUND;
	if (rc == 0) {
		snprintf(issuer, sizeof(issuer), "%s", n->signer);
		own.issuer = issuer;
		memcpy(prefix, nid, GS_ID_BYTES);
		memcpy(prefix + GS_ID_BYTES, self, strlen(self));
		found = gs_records_walk(t, GS__CHANGE__BODY_RECEIPT, prefix,
		    GS_ID_BYTES + strlen(self), GS_PICK_ALL, own_receipt, &own);
	}
	gs_change_free(&n);
	gs_envelope_clear(&e);
	gs_txn_abort(&t);
	cli_fail_code(rc);
	if (rc == GS_ENOTFOUND)
		return cli_fail("no notice %s on this node", a->pos[0]);
	if (rc != 0)
		return cli_fail("%s", gs_strerror(rc));
	if (!gs_path_is_ancestor(issuer, self)) {
		cli_fail_code(GS_EAUTH);
		return cli_fail("notice %s was issued by %s; only a node below it "
		    "can acknowledge it", a->pos[0], issuer);
	}
	if (found == 1) {
		/* A retry from a flaky terminal: the receipt stands. */
		gs_hex(own.id, GS_ID_BYTES, hex);
		if (a->json)
			fprintf(cli_out, "{\"change\":\"%s\",\"already\":true}\n", hex);
		else
			fprintf(cli_out, "%s\n", hex);
		fprintf(cli_err, "gridnode read: already read (已阅); receipt %s\n",
		    hex);
		return 0;
	}
	if (found != 0)
		return cli_fail("%s", gs_strerror(found));
	r.notice.data = nid;
	r.notice.len = GS_ID_BYTES;
	r.issuer = issuer;
	r.note = (char *)(uintptr_t)cli_opt(a, "note");
	c.body_case = GS__CHANGE__BODY_RECEIPT;
	c.receipt = &r;
	return cli_write(a, &c, false);
}

/* ---- monthly check reports ---- */

static void
this_month(char month[8])
{
	char day[GS_DAY_BYTES];

	gs_stats_day(GS_HLC_MAKE(gs_hlc_now_ms(), 0), day);
	snprintf(month, 8, "%.7s", day);
}

int
cmd_check(struct args *a)
{
	const char *period = cli_arg(a, "period"), *found = cli_arg(a, "found");
	char month[8], *end;
	unsigned long n;
	Gs__Change c;
	Gs__Check k;
	int rc;

	gs__change__init(&c);
	gs__check__init(&k);
	if (period == NULL) {
		this_month(month);
		period = month;
	} else if (gs_period_valid(period) != 7)
		return cli_usage("--period must be a month, YYYY-MM");
	if (found == NULL)
		return cli_usage("--found N is required (0 for a zero report, 零报告)");
	n = strtoul(found, &end, 10);
	if (*found < '0' || *found > '9' || *end != '\0' ||
	    n > GS_CHECK_FOUND_MAX)
		return cli_usage("--found must be a count from 0 to %d",
		    GS_CHECK_FOUND_MAX);
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	k.period = (char *)(uintptr_t)period;
	k.found = (uint32_t)n;
	k.note = (char *)(uintptr_t)cli_opt(a, "note");
	c.body_case = GS__CHANGE__BODY_CHECK;
	c.check = &k;
	return cli_write(a, &c, false);
}

struct check_row {
	bool     filed;
	uint32_t found;
	uint64_t hlc;        /* the latest filing */
	uint64_t first_hlc;  /* the first: whether it was on time */
};

static int
latest_check(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct check_row *row = arg;

	(void)id;
	row->filed = true;
	row->found = c->check->found;
	row->hlc = c->hlc;
	return 0;
}

static int
first_check(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct check_row *row = arg;

	(void)id;
	row->first_hlc = c->hlc;
	return 0;
}

int
cmd_checks(struct args *a)
{
	const char *period = cli_arg(a, "period");
	char (*villages)[GS_PATH_MAX_BYTES + 1] = NULL;
	struct check_row *rows = NULL;
	size_t nv = 0, filed = 0, on_time = 0;
	char month[8], file[4096], err[300], day[GS_DAY_BYTES];
	char due[GS_DAY_BYTES], when[32];
	uint8_t prefix[2 * GS_PATH_MAX_BYTES + 16];
	gs_txn *t = NULL;
	struct gs_json j;
	int rc, due_day;

	if (period == NULL) {
		this_month(month);
		period = month;
	} else if (gs_period_valid(period) != 7)
		return cli_usage("--period must be a month, YYYY-MM");
	if ((rc = cli_open_node(a)) != 0)
		return rc;
	snprintf(file, sizeof(file), "%s/deadlines.ini", cli_data_dir(a));
	if (gs_config_check_due_day(file, &due_day, err, sizeof(err)) != 0)
		return cli_fail("%s", err);
	snprintf(due, sizeof(due), "%.7s-%02d", period, due_day);
	if ((rc = gs_txn_begin(gs_node_store(a->node), 0, &t)) != 0 ||
	    (rc = gs_roster_areas_below(t, gs_node_path(a->node), 3, &villages,
	    &nv)) != 0)
		goto out;
	if (nv > 0 && (rows = calloc(nv, sizeof(*rows))) == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nv; i++) {
		size_t vl = strlen(villages[i]);

		/* 'C' village NUL period */
		memcpy(prefix, villages[i], vl + 1);
		memcpy(prefix + vl + 1, period, 7);
		/* What it found: the latest filing; on time or late: the
		 * first, so a correction after the due day is not "late". */
		if ((rc = gs_records_each(t, GS__CHANGE__BODY_CHECK, prefix,
		    vl + 8, latest_check, &rows[i])) != 0 ||
		    (rc = gs_records_walk(t, GS__CHANGE__BODY_CHECK, prefix,
		    vl + 8, GS_PICK_FIRST, first_check, &rows[i])) != 0)
			goto out;
		if (rows[i].filed) {
			filed++;
			gs_stats_day(rows[i].first_hlc, day);
			if (strcmp(day, due) <= 0)
				on_time++;
		}
	}
	gs_txn_abort(&t);
	if (a->json) {
		gs_json_init(&j, cli_out);
		gs_json_obj_open(&j);
		gs_json_key(&j, "period"); gs_json_str(&j, period);
		gs_json_key(&j, "due"); gs_json_str(&j, due);
		gs_json_key(&j, "villages"); gs_json_u64(&j, nv);
		gs_json_key(&j, "filed"); gs_json_u64(&j, filed);
		gs_json_key(&j, "on_time"); gs_json_u64(&j, on_time);
		gs_json_key(&j, "reporting_rate");
		if (nv > 0)
			gs_json_num4(&j, (double)filed / (double)nv);
		else
			gs_json_null(&j);
		gs_json_key(&j, "rows");
		gs_json_arr_open(&j);
	} else
		fprintf(cli_out, "排查报告 check reports %s (due 截止 %s)\n", period, due);
	for (size_t i = 0; i < nv; i++) {
		const struct check_row *r = &rows[i];

		gs_stats_day(r->first_hlc, day);
		if (a->json) {
			gs_json_obj_open(&j);
			gs_json_key(&j, "village"); gs_json_str(&j, villages[i]);
			gs_json_key(&j, "filed"); gs_json_bool(&j, r->filed);
			gs_json_key(&j, "found");
			if (r->filed)
				gs_json_u64(&j, r->found);
			else
				gs_json_null(&j);
			gs_json_key(&j, "zero"); gs_json_bool(&j, r->filed &&
			    r->found == 0);
			gs_json_key(&j, "late"); gs_json_bool(&j, r->filed &&
			    strcmp(day, due) > 0);
			gs_json_key(&j, "hlc"); gs_json_u64(&j, r->hlc);
			gs_json_obj_close(&j);
			continue;
		}
		if (!r->filed) {
			fprintf(cli_out, "  %-36s 未报 not filed\n", villages[i]);
			continue;
		}
		gs_hlc_format(r->hlc, when, sizeof(when));
		fprintf(cli_out, "  %-36s %s%s  %s\n", villages[i], r->found == 0 ?
		    "零报告 zero report" : "已报 filed", strcmp(day, due) > 0 ?
		    " 迟报 late" : "", when);
		if (r->found > 0)
			fprintf(cli_out, "  %-36s 发现 found %" PRIu32 "\n", "", r->found);
	}
	if (a->json) {
		gs_json_arr_close(&j);
		gs_json_obj_close(&j);
		gs_json_end(&j);
	} else if (nv == 0)
		fprintf(cli_out, "  (no villages below this node)\n");
	else
		fprintf(cli_out, "报告率 reporting rate %zu/%zu = %.1f%%, 按时 on time %zu\n",
		    filed, nv, 100.0 * (double)filed / (double)nv, on_time);
out:
	gs_txn_abort(&t);
	free(villages);
	free(rows);
	return rc == 0 ? 0 : cli_fail("%s", gs_strerror(rc));
}

/* ---- rollups by hand ---- */

int
cmd_rollup(struct args *a)
{
	char err[256];
	size_t n = 0;
	int rc;

	if ((rc = cli_open_node(a)) != 0)
		return rc;
	if (gs_path_depth(gs_node_path(a->node)) != 2 ||
	    gs_path_is_dept(gs_node_path(a->node)))
		return cli_fail("only a town signs rollups; %s is not one",
		    gs_node_path(a->node));
	if ((rc = gs_policy_rollups(a->node, gs_hlc_now_ms(), &n, err,
	    sizeof(err))) != 0)
		return cli_fail("%s", err);
	if (a->json)
		fprintf(cli_out, "{\"signed\":%zu}\n", n);
	else
		fprintf(cli_out, "已签统计 signed %zu rollup%s\n", n, n == 1 ? "" : "s");
	(void)gs_daemon_poke(cli_data_dir(a));
	return 0;
}
