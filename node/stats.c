/*
 * stats.c: a period's counts from cases or rollups; the rollups a town owes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs/apply.h"
#include "gs/category.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/hlc.h"
#include "gs/records.h"
#include "gs/stats.h"
#include "gs/trust.h"

#define CST_OFFSET_S (8 * 3600)

void
gs_stats_day(uint64_t hlc, char day[GS_DAY_BYTES])
{
	time_t t = (time_t)(GS_HLC_MS(hlc) / 1000u + CST_OFFSET_S);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, GS_DAY_BYTES, "%Y-%m-%d", &tm) == 0)
		snprintf(day, GS_DAY_BYTES, "%s", "0000-00-00");
}

static bool
in_period(const char *day, const char *period)
{
	return period == NULL || strncmp(day, period, strlen(period)) == 0;
}

/* The counts of group key in s, added if missing; NULL when out of memory. */
static struct gs_counts *
group(struct gs_stats *s, const char *key)
{
	struct gs_stats_group *g;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->groups[i].key, key) == 0)
			return &s->groups[i].k;
	if ((g = realloc(s->groups, (s->n + 1) * sizeof(*g))) == NULL)
		return NULL;
	s->groups = g;
	memset(&g[s->n], 0, sizeof(g[s->n]));
	snprintf(g[s->n].key, sizeof(g[s->n].key), "%s", key);
	return &g[s->n++].k;
}

static int
group_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gs_stats_group *)a)->key,
	    ((const struct gs_stats_group *)b)->key);
}

static void
group_sort(struct gs_stats *s)
{
	if (s->n > 1)
		qsort(s->groups, s->n, sizeof(s->groups[0]), group_cmp);
}

/* The key of a village's figures under by; town: the village's parent. */
static void
by_key(enum gs_stats_by by, const char *village, const char *category,
    const char *day, char *out, size_t cap)
{
	if (by == GS_BY_DAY)
		snprintf(out, cap, "%s", day);
	else if (by == GS_BY_CATEGORY)
		snprintf(out, cap, "%s", category);
	else if (by == GS_BY_TOWN && gs_path_depth(village) >= 3 &&
	    gs_path_parent(village, out, cap) == 0)
		return;
	else
		snprintf(out, cap, "%s", village);
}

void
gs_stats_free(struct gs_stats *s)
{
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

struct from_cases {
	struct gs_stats *s;
	const char      *period;
	enum gs_stats_by by;
	uint64_t         now;
};

static int
add_case(void *arg, const Gs__Case *c)
{
	struct from_cases *fc = arg;
	char day[GS_DAY_BYTES], key[GS_PATH_MAX_BYTES + 1];
	struct gs_counts *k;

	gs_stats_day(c->created_hlc, day);
	if (!in_period(day, fc->period))
		return 0;
	gs_counts_add(&fc->s->total, c, fc->now);
	if (fc->by == GS_BY_NONE)
		return 0;
	by_key(fc->by, c->owner, c->category, day, key, sizeof(key));
	if ((k = group(fc->s, key)) == NULL)
		return GS_ENOMEM;
	gs_counts_add(k, c, fc->now);
	return 0;
}

int
gs_stats_cases(gs_txn *t, const char *period, enum gs_stats_by by,
    uint64_t now_ms, struct gs_stats *out)
{
	struct from_cases fc = { out, period, by, now_ms };
	int rc;

	if ((rc = gs_case_each(t, add_case, &fc)) != 0) {
		gs_stats_free(out);
		return rc;
	}
	group_sort(out);
	return 0;
}

/* Splits a rollup count name "<category>.<count>": the count's index, or
 * -1 when the name is not one (a later version's count: skipped). */
static int
count_split(const char *name, char *category, size_t cap)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || (size_t)(dot - name) >= cap)
		return -1;
	memcpy(category, name, (size_t)(dot - name));
	category[dot - name] = '\0';
	return gs_counts_find(dot + 1);
}

int
gs_rollup_validate(const Gs__Rollup *r, const char **why)
{
	struct gs_counts k[GS_CATEGORIES_MAX];
	char cat[GS_NAME_MAX_BYTES + 1];
	const struct gs_category *kc;
	int i;

	memset(k, 0, sizeof(k));
	if (r->subject == NULL || gs_path_valid(r->subject) != 0 ||
	    gs_path_is_dept(r->subject)) {
		*why = "rollup's subject is not an area path";
		return GS_EINVAL;
	}
	for (size_t j = 0; j < r->n_counts; j++) {
		const Gs__RollupCount *c = r->counts[j];
		uint64_t *v;

		if ((i = count_split(c->name, cat, sizeof(cat))) < 0 ||
		    (kc = gs_category_find(cat)) == NULL ||
		    strcmp(kc->key, cat) != 0) {
			*why = "rollup count name is not <category>.<count>";
			return GS_EINVAL;
		}
		if (c->value > GS_ROLLUP_VALUE_MAX) {
			*why = "rollup count is out of range";
			return GS_EINVAL;
		}
		v = gs_counts_at(&k[gs_category_index(kc)], (size_t)i);
		if (*v != 0 || c->value == 0) {
			*why = "rollup count is repeated or zero";
			return GS_EINVAL;
		}
		*v = c->value;
	}
	for (size_t j = 0; j < GS_CATEGORIES_MAX; j++)
		if (!gs_counts_consistent(&k[j])) {
			*why = "rollup counts contradict each other";
			return GS_EINVAL;
		}
	return 0;
}

struct from_rollups {
	struct gs_stats *s;
	const char      *self, *period;
	enum gs_stats_by by;
	char           (*areas)[GS_PATH_MAX_BYTES + 1];   /* enrolled, sorted */
	size_t           nareas;
};

/* The Rollup counts for a village only when signed by the village's own
 * town, its parent: one voice per village, whoever else relays or
 * re-counts it. A town's rollup of itself covers the cases it owns (a
 * resident who walks into the town's command center). */
static bool
rollup_counts(const char *self, const Gs__Change *c)
{
	char parent[GS_PATH_MAX_BYTES + 1];
	const char *subject = c->rollup->subject;

	if (gs_path_valid(subject) != 0 || gs_path_is_dept(subject) ||
	    !gs_path_is_ancestor(self, subject) || gs_path_depth(c->signer) != 2)
		return false;
	if (gs_path_depth(subject) == 2)
		return strcmp(subject, c->signer) == 0;
	return gs_path_parent(subject, parent, sizeof(parent)) == 0 &&
	    strcmp(parent, c->signer) == 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
add_rollup(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct from_rollups *fr = arg;
	const Gs__Rollup *r = c->rollup;
	char cat[GS_NAME_MAX_BYTES + 1], key[GS_PATH_MAX_BYTES + 1];
	struct gs_counts *k;
	int i;

	(void)id;
	/* Only for villages (and towns) really enrolled below us: a town's
	 * key cannot add a village that does not exist. */
	if (!rollup_counts(fr->self, c) || !in_period(r->period, fr->period) ||
	    bsearch(r->subject, fr->areas, fr->nareas, sizeof(fr->areas[0]),
	    path_cmp) == NULL)
		return 0;
	for (size_t j = 0; j < r->n_counts; j++) {
		if ((i = count_split(r->counts[j]->name, cat, sizeof(cat))) < 0)
			continue;
		*gs_counts_at(&fr->s->total, (size_t)i) += r->counts[j]->value;
		if (fr->by == GS_BY_NONE)
			continue;
		by_key(fr->by, r->subject, cat, r->period, key, sizeof(key));
		if ((k = group(fr->s, key)) == NULL)
			return GS_ENOMEM;
		*gs_counts_at(k, (size_t)i) += r->counts[j]->value;
	}
	return 0;
}

struct own_cases {
	struct from_cases fc;
	const char       *self;
};

static int
add_own_case(void *arg, const Gs__Case *c)
{
	struct own_cases *oc = arg;

	return strcmp(c->owner, oc->self) == 0 ? add_case(&oc->fc, c) : 0;
}

int
gs_stats_rollups(gs_txn *t, const char *self, const char *period,
    enum gs_stats_by by, uint64_t now_ms, struct gs_stats *out)
{
	struct from_rollups fr = { out, self, period, by, NULL, 0 };
	struct own_cases oc = { { out, period, by, now_ms }, self };
	int rc;

	/* The towns' figures, and the cases this node owns itself (a walk-in
	 * at the county's center): no town counts those. */
	if ((rc = gs_roster_areas_below(t, self, 2, &fr.areas,
	    &fr.nareas)) != 0 ||
	    (rc = gs_records_each(t, GS__CHANGE__BODY_ROLLUP, NULL, 0,
	    add_rollup, &fr)) != 0 ||
	    (rc = gs_case_each(t, add_own_case, &oc)) != 0) {
		free(fr.areas);
		gs_stats_free(out);
		return rc;
	}
	free(fr.areas);
	group_sort(out);
	return 0;
}

/* ---- the rollups a town owes ---- */

/* Counts of one (village, day, category). */
struct cell {
	char             village[GS_PATH_MAX_BYTES + 1];
	char             day[GS_DAY_BYTES];
	char             category[GS_NAME_MAX_BYTES + 1];
	struct gs_counts k;
};

struct cells {
	struct cell *v;
	size_t       n, cap;
	const char  *self;
	uint64_t     now;
};

static struct cell *
cell_get(struct cells *cs, const char *village, const char *day,
    const char *category)
{
	struct cell *c;

	/* Cases come in case-id order, so a village's cells are together
	 * and the last few cells are the likely match. */
	for (size_t i = cs->n; i-- > 0;) {
		c = &cs->v[i];
		if (strcmp(c->village, village) == 0 &&
		    strcmp(c->day, day) == 0 &&
		    strcmp(c->category, category) == 0)
			return c;
		if (strcmp(c->village, village) != 0)
			break;
	}
	if (cs->n == cs->cap) {
		size_t ncap = cs->cap ? 2 * cs->cap : 64;
		struct cell *nv = realloc(cs->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		cs->v = nv;
		cs->cap = ncap;
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->village, sizeof(c->village), "%s", village);
	snprintf(c->day, sizeof(c->day), "%s", day);
	snprintf(c->category, sizeof(c->category), "%s", category);
	return c;
}

static int
add_cell(void *arg, const Gs__Case *c)
{
	struct cells *cs = arg;
	char day[GS_DAY_BYTES];
	struct cell *x;

	if (!gs_path_within(cs->self, c->owner))
		return 0;
	gs_stats_day(c->created_hlc, day);
	if ((x = cell_get(cs, c->owner, day, c->category)) == NULL)
		return GS_ENOMEM;
	gs_counts_add(&x->k, c, cs->now);
	return 0;
}

static int
cell_cmp(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	int d;

	if ((d = strcmp(x->village, y->village)) != 0)
		return d;
	if ((d = strcmp(x->day, y->day)) != 0)
		return d;
	return strcmp(x->category, y->category);
}

static void
rollup_free(Gs__Rollup *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_counts; i++) {
		if (r->counts[i] != NULL)
			free(r->counts[i]->name);
		free(r->counts[i]);
	}
	free(r->counts);
	free(r->period);
	free(r->subject);
	free(r);
}

void
gs_rollups_free(Gs__Rollup **r, size_t n)
{
	for (size_t i = 0; r != NULL && i < n; i++)
		rollup_free(r[i]);
	free(r);
}

static Gs__Rollup *
rollup_new(const char *village, const char *day)
{
	Gs__Rollup *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	gs__rollup__init(r);
	r->subject = strdup(village);
	r->period = strdup(day);
	if (r->subject == NULL || r->period == NULL) {
		rollup_free(r);
		return NULL;
	}
	return r;
}

/* Appends the non-zero counts of category to r. */
static int
rollup_add(Gs__Rollup *r, const char *category, struct gs_counts *k)
{
	char name[2 * GS_NAME_MAX_BYTES + 2];

	for (size_t i = 0; i < GS_COUNTS_N; i++) {
		uint64_t v = *gs_counts_at(k, i);
		Gs__RollupCount **nc, *c;

		if (v == 0)
			continue;
		/* Category keys come from the table and are short; a name
		 * over the bound would be refused when signed. */
		if (snprintf(name, sizeof(name), "%s.%s", category,
		    gs_counts_name(i)) > GS_NAME_MAX_BYTES)
			return GS_ETOOBIG;
		if ((nc = realloc(r->counts, (r->n_counts + 1) *
		    sizeof(*nc))) == NULL)
			return GS_ENOMEM;
		r->counts = nc;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return GS_ENOMEM;
		gs__rollup_count__init(c);
		r->counts[r->n_counts++] = c;
		if ((c->name = strdup(name)) == NULL)
			return GS_ENOMEM;
		c->value = v;
	}
	return 0;
}

static bool
rollup_same(const Gs__Rollup *a, const Gs__Rollup *b)
{
	if (a->n_counts != b->n_counts)
		return false;
	for (size_t i = 0; i < a->n_counts; i++)
		if (a->counts[i]->value != b->counts[i]->value ||
		    strcmp(a->counts[i]->name, b->counts[i]->name) != 0)
			return false;
	return true;
}

struct due {
	Gs__Rollup **v;
	size_t       n;
	const char  *self;
};

static int
due_push(struct due *d, Gs__Rollup *r)
{
	Gs__Rollup **nv = realloc(d->v, (d->n + 1) * sizeof(*nv));

	if (nv == NULL) {
		rollup_free(r);
		return GS_ENOMEM;
	}
	d->v = nv;
	d->v[d->n++] = r;
	return 0;
}

/* Index of the fresh rollup for (subject, period) in d, or -1. */
static ssize_t
due_find(const struct due *d, const char *subject, const char *period)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i] != NULL && strcmp(d->v[i]->subject, subject) == 0 &&
		    strcmp(d->v[i]->period, period) == 0)
			return (ssize_t)i;
	return -1;
}

/* A rollup self signed earlier: a fresh one that equals it is not due; one
 * with no fresh counterpart (its cases are gone: a revoked report) is
 * superseded by an empty one, unless it is empty already. */
static int
check_signed(void *arg, const uint8_t *id, const Gs__Change *c)
{
	struct due *d = arg;
	const Gs__Rollup *old = c->rollup;
	ssize_t i;
	Gs__Rollup *r;

	(void)id;
	if ((i = due_find(d, old->subject, old->period)) >= 0) {
		if (rollup_same(d->v[i], old)) {
			rollup_free(d->v[i]);
			d->v[i] = NULL;
		}
		return 0;
	}
	if (old->n_counts == 0 || !gs_path_within(d->self, old->subject) ||
	    gs_path_is_dept(old->subject))
		return 0;
	if ((r = rollup_new(old->subject, old->period)) == NULL)
		return GS_ENOMEM;
	return due_push(d, r);
}

static int
due_cmp(const void *a, const void *b)
{
	const Gs__Rollup *x = *(const Gs__Rollup *const *)a;
	const Gs__Rollup *y = *(const Gs__Rollup *const *)b;
	int c = strcmp(x->subject, y->subject);

	return c != 0 ? c : strcmp(x->period, y->period);
}

int
gs_rollups_due(gs_txn *t, const char *self, uint64_t now_ms,
    Gs__Rollup ***out, size_t *n)
{
	struct cells cs = { NULL, 0, 0, self, now_ms };
	struct due d = { NULL, 0, self };
	uint8_t prefix[GS_PATH_MAX_BYTES + 1];
	size_t plen = strlen(self), i, j;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = gs_case_each(t, add_cell, &cs)) != 0)
		goto out;
	if (cs.n > 1)
		qsort(cs.v, cs.n, sizeof(cs.v[0]), cell_cmp);
	for (i = 0; i < cs.n; i = j) {
		Gs__Rollup *r = rollup_new(cs.v[i].village, cs.v[i].day);

		if (r == NULL) {
			rc = GS_ENOMEM;
			goto out;
		}
		if ((rc = due_push(&d, r)) != 0)
			goto out;
		for (j = i; j < cs.n && strcmp(cs.v[j].village, r->subject) == 0 &&
		    strcmp(cs.v[j].day, r->period) == 0; j++)
			if ((rc = rollup_add(r, cs.v[j].category, &cs.v[j].k)) != 0)
				goto out;
	}
	/* Our own earlier rollups: key 'U' self NUL ... */
	if (plen + 1 > sizeof(prefix)) {
		rc = GS_EINVAL;
		goto out;
	}
	memcpy(prefix, self, plen + 1);
	if ((rc = gs_records_each(t, GS__CHANGE__BODY_ROLLUP, prefix, plen + 1,
	    check_signed, &d)) != 0)
		goto out;
	/* Drop the ones found current, keeping the order. */
	for (i = j = 0; i < d.n; i++)
		if (d.v[i] != NULL)
			d.v[j++] = d.v[i];
	d.n = j;
	/* The empty ones that replace void rollups came last. */
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(d.v[0]), due_cmp);
	*out = d.v;
	*n = d.n;
	d.v = NULL;
	d.n = 0;
out:
	gs_rollups_free(d.v, d.n);
	free(cs.v);
	return rc;
}
