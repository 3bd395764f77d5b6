/*
 * policy.c: the changes a town's daemon signs by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/apply.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/ops.h"
#include "gs/path.h"
#include "gs/policy.h"
#include "gs/rates.h"
#include "gs/stats.h"

#define POLICY_ACTOR "gridnode"   /* no person at the terminal */

/* Whether self has auto-whistled case_id before: one of its stored
 * changes is a Whistle with automatic set, signed as self. */
static int
auto_whistled(gs_txn *t, const char *case_id, const char *self, bool *yes)
{
	uint8_t (*ids)[GS_ID_BYTES] = NULL;
	size_t n = 0;
	int rc;

	*yes = false;
	if ((rc = gs_case_ids(t, case_id, &ids, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && !*yes && rc == 0; i++) {
		gs_envelope e;
		Gs__Change *c = NULL;
		gs_val v;

		memset(&e, 0, sizeof(e));
		if ((rc = gs_get(t, GS_DB_CHANGES, ids[i], GS_ID_BYTES, &v)) != 0)
			break;
		if (gs_envelope_decode(v.data, v.len, &e) != 0 ||
		    gs_change_decode(&e, &c, NULL) != 0)
			rc = GS_EBADMSG;
		else if (c->body_case == GS__CHANGE__BODY_WHISTLE &&
		    c->whistle->automatic && strcmp(c->signer, self) == 0)
			*yes = true;
		gs_change_free(&c);
		gs_envelope_clear(&e);
	}
	free(ids);
	return rc;
}

/* The ids of the cases due for an auto-whistle. */
struct due_cases {
	char      (*id)[GS_CASE_ID_MAX_BYTES + 1];
	size_t      n;
	gs_txn     *t;
	const char *self;
	uint64_t    after_ms, now;
};

static int
add_due(void *arg, const Gs__Case *c)
{
	struct due_cases *d = arg;
	uint64_t since = gs_case_overdue_since(c, d->now);
	bool before = false;
	void *nid;
	int rc;

	if (since == 0 || strcmp(c->level, d->self) != 0 ||
	    d->now - since < d->after_ms)
		return 0;
	if ((rc = auto_whistled(d->t, c->id, d->self, &before)) != 0 || before)
		return rc;
	if ((nid = realloc(d->id, (d->n + 1) * sizeof(d->id[0]))) == NULL)
		return GS_ENOMEM;
	d->id = nid;
	snprintf(d->id[d->n++], sizeof(d->id[0]), "%s", c->id);
	return 0;
}

int
gs_policy_auto_whistle(gs_node *node, uint64_t after_ms, uint64_t now_ms,
    size_t *n, char *err, size_t errcap)
{
	const char *self = gs_node_path(node);
	struct due_cases d = { NULL, 0, NULL, self, after_ms, now_ms };
	char reason[160];
	gs_txn *t = NULL;
	size_t done = 0;
	int rc;

	err[0] = '\0';
	if (n)
		*n = 0;
	if (gs_path_depth(self) != 2 || gs_path_is_dept(self))
		return 0;
	if ((rc = gs_txn_begin(gs_node_store(node), 0, &t)) != 0)
		goto out;
	d.t = t;
	rc = gs_case_each(t, add_due, &d);
	gs_txn_abort(&t);
	if (rc != 0)
		goto out;
	snprintf(reason, sizeof(reason), "逾期超过 %.4g 小时未办结，按镇级规则自动吹哨 "
	    "(overdue past %.4g h: automatic)", (double)after_ms / 3600000.0,
	    (double)after_ms / 3600000.0);
	for (size_t i = 0; i < d.n; i++) {
		uint8_t id[GS_ID_BYTES];
		Gs__Change c;
		Gs__Whistle w;

		gs__change__init(&c);
		gs__whistle__init(&w);
		w.reason = reason;
		w.automatic = true;
		c.case_id = d.id[i];
		c.actor = (char *)(uintptr_t)POLICY_ACTOR;
		c.body_case = GS__CHANGE__BODY_WHISTLE;
		c.whistle = &w;
		rc = gs_ops_write(node, &c, id, err, errcap);
		/* The level moved under us (a person whistled or returned it
		 * meanwhile): the fold refused, nothing was stored. */
		if (rc == GS_ECONFLICT) {
			rc = 0;
			err[0] = '\0';
			continue;
		}
		if (rc != 0)
			goto out;
		done++;
	}
out:
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errcap, "auto-whistle: %s", gs_strerror(rc));
	free(d.id);
	if (n)
		*n = done;
	return rc;
}

int
gs_policy_rollups(gs_node *node, uint64_t now_ms, size_t *n, char *err,
    size_t errcap)
{
	const char *self = gs_node_path(node);
	Gs__Rollup **r = NULL;
	gs_txn *t = NULL;
	size_t nr = 0, done = 0;
	int rc;

	err[0] = '\0';
	if (n)
		*n = 0;
	if (gs_path_depth(self) != 2 || gs_path_is_dept(self))
		return 0;
	if ((rc = gs_txn_begin(gs_node_store(node), 0, &t)) != 0)
		goto out;
	rc = gs_rollups_due(t, self, now_ms, &r, &nr);
	gs_txn_abort(&t);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		uint8_t id[GS_ID_BYTES];
		Gs__Change c;

		gs__change__init(&c);
		c.actor = (char *)(uintptr_t)POLICY_ACTOR;
		c.body_case = GS__CHANGE__BODY_ROLLUP;
		c.rollup = r[i];
		if ((rc = gs_ops_write(node, &c, id, err, errcap)) != 0)
			goto out;
		done++;
	}
out:
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errcap, "rollup: %s", gs_strerror(rc));
	gs_rollups_free(r, nr);
	if (n)
		*n = done;
	return rc;
}
