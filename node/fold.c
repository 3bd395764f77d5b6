/*
 * fold.c: a case's state as a pure function of its changes (DESIGN.md §3).
 *
 * The fold builds its Gs__Case directly in the layout protobuf-c's
 * free_unpacked expects: every string is malloc'd or protobuf-c's shared
 * empty string, every bytes field and repeated array malloc'd, every
 * sub-message malloc'd and initialised. So one gs__case__free_unpacked
 * releases a case whether it came from here or from the store, and a
 * failure half way through is released the same way.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/category.h"
#include "gs/change.h"
#include "gs/error.h"
#include "gs/fold.h"
#include "gs/path.h"

#define PATH_BUF (GS_PATH_MAX_BYTES + 1)

/* Conflict reasons. English and stable: tests, the CLI's --json output and
 * other nodes' timelines all carry these exact strings. */
#define WHY_REVOKED      "signer's key was revoked before this change"
#define WHY_UNREPORTED   "case not reported yet"
#define WHY_REPORTED     "case already reported"
#define WHY_UNSEEN       "signer cannot see the case"
#define WHY_NOT_OPEN     "case is not open"
#define WHY_NOT_LEVEL    "signer is not the case's current level"
#define WHY_NO_ABOVE     "no level above"
#define WHY_AT_OWNER     "case is already at its owner"
#define WHY_DISPATCHED   "already dispatched to that department"
#define WHY_PART_DONE    "department already resolved its part"
#define WHY_UNDISPATCHED "case is not dispatched"
#define WHY_NOT_ASSIGNED "signer was not dispatched this case"
#define WHY_ACKED        "already reported in"
#define WHY_NO_RESOLVE   "signer cannot resolve this case"
#define WHY_UNRESOLVED   "case is not resolved"
#define WHY_NOT_DONE     "case is not resolved or closed"
#define WHY_NO_REOPEN    "signer cannot reopen this case"
#define WHY_NOT_ABOVE    "signer is not above the case's level"

/*
 * protobuf-c marks an empty string field with its shared, const empty
 * string, which free_unpacked knows not to free. The fields are plain
 * char *, so the const has to go; through uintptr_t to say we mean it
 * (-Wcast-qual).
 */
static char *
empty_str(void)
{
	return (char *)(uintptr_t)protobuf_c_empty_string;
}

static int
str_set(char **dst, const char *src)
{
	char *s;

	if (src == NULL || src[0] == '\0')
		s = empty_str();
	else if ((s = strdup(src)) == NULL)
		return GS_ENOMEM;
	if (*dst != NULL && *dst != empty_str())
		free(*dst);
	*dst = s;
	return 0;
}

/* Takes ownership of a malloc'd string, or frees it if it is empty. */
static void
str_take(char **dst, char *s)
{
	if (*dst != NULL && *dst != empty_str())
		free(*dst);
	if (s[0] == '\0') {
		free(s);
		s = empty_str();
	}
	*dst = s;
}

static int
bytes_set(ProtobufCBinaryData *dst, const uint8_t *src, size_t len)
{
	uint8_t *b = NULL;

	if (len > 0) {
		if ((b = malloc(len)) == NULL)
			return GS_ENOMEM;
		memcpy(b, src, len);
	}
	free(dst->data);
	dst->data = b;
	dst->len = len;
	return 0;
}

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, f);
	len = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	va_start(ap, f);
	vsnprintf(s, (size_t)len + 1, f, ap);
	va_end(ap);
	return s;
}

static int
bin_cmp(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = 0;

	if (n > 0)
		r = memcmp(a->data, b->data, n);
	if (r != 0)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

/* The fold order: (hlc, origin key, origin seq), and the change id last so
 * that even malformed duplicates sort the same everywhere. */
static int
item_cmp(const void *pa, const void *pb)
{
	const struct gs_fold_item *a = pa, *b = pb;
	int r;

	if (a->change->hlc != b->change->hlc)
		return a->change->hlc < b->change->hlc ? -1 : 1;
	if ((r = bin_cmp(&a->change->origin, &b->change->origin)) != 0)
		return r;
	if (a->change->seq != b->change->seq)
		return a->change->seq < b->change->seq ? -1 : 1;
	return memcmp(a->id, b->id, GS_ID_BYTES);
}

/* Inserts path into the sorted, duplicate-free visibility set. */
static int
visible_add(Gs__Case *c, const char *path)
{
	char **v, *s;
	size_t i;
	int r = 1;

	for (i = 0; i < c->n_visible; i++)
		if ((r = strcmp(c->visible[i], path)) >= 0)
			break;
	if (r == 0)
		return 0;
	v = realloc(c->visible, (c->n_visible + 1) * sizeof(*v));
	if (v == NULL)
		return GS_ENOMEM;
	c->visible = v;
	if ((s = strdup(path)) == NULL)
		return GS_ENOMEM;
	memmove(&v[i + 1], &v[i], (c->n_visible - i) * sizeof(*v));
	v[i] = s;
	c->n_visible++;
	return 0;
}

static Gs__Assignment *
assignment_find(const Gs__Case *c, const char *dept)
{
	size_t i;

	for (i = 0; i < c->n_assignments; i++)
		if (strcmp(c->assignments[i]->department, dept) == 0)
			return c->assignments[i];
	return NULL;
}

static int
assignment_add(Gs__Case *c, const Gs__Dispatch *d, uint64_t hlc)
{
	Gs__Assignment **v, *a;

	v = realloc(c->assignments, (c->n_assignments + 1) * sizeof(*v));
	if (v == NULL)
		return GS_ENOMEM;
	c->assignments = v;
	if ((a = malloc(sizeof(*a))) == NULL)
		return GS_ENOMEM;
	gs__assignment__init(a);
	v[c->n_assignments++] = a;
	a->dispatched_hlc = hlc;
	a->ack_deadline_ms = d->ack_deadline_ms;
	a->resolve_deadline_ms = d->resolve_deadline_ms;
	return str_set(&a->department, d->department);
}

/* Appends a timeline entry with the change's own fields; flag, reason and
 * text are filled in once the rule has run. */
static int
timeline_add(Gs__Case *c, const struct gs_fold_item *it,
    Gs__TimelineEntry **out)
{
	const Gs__Change *ch = it->change;
	Gs__TimelineEntry **v, *e;
	int r;

	v = realloc(c->timeline, (c->n_timeline + 1) * sizeof(*v));
	if (v == NULL)
		return GS_ENOMEM;
	c->timeline = v;
	if ((e = malloc(sizeof(*e))) == NULL)
		return GS_ENOMEM;
	gs__timeline_entry__init(e);
	v[c->n_timeline++] = e;
	e->hlc = ch->hlc;
	e->seq = ch->seq;
	e->kind = (uint32_t)ch->body_case;
	if ((r = bytes_set(&e->change_id, it->id, GS_ID_BYTES)) != 0 ||
	    (r = bytes_set(&e->origin, ch->origin.data, ch->origin.len)) != 0 ||
	    (r = str_set(&e->signer, it->signer)) != 0 ||
	    (r = str_set(&e->actor, ch->actor)) != 0)
		return r;
	*out = e;
	return 0;
}

static int
is_open(const Gs__Case *c)
{
	return c->status == GS__STATUS__OPEN ||
	    c->status == GS__STATUS__DISPATCHED;
}

/*
 * The state-dependent rules. Every check runs before the first change to
 * c, so a conflict (*why set, 0 returned) leaves the case as it was. A
 * negative return is an allocation failure and ends the whole fold.
 */
static int
apply_report(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	const Gs__Report *b = it->change->report;
	char parent[PATH_BUF];
	int r;

	if (c->status != GS__STATUS__STATUS_UNSET) {
		*why = WHY_REPORTED;
		return 0;
	}
	if ((r = str_set(&c->category, b->category)) != 0 ||
	    (r = str_set(&c->title, b->title)) != 0 ||
	    (r = str_set(&c->description, b->description)) != 0 ||
	    (r = str_set(&c->grid, b->grid)) != 0 ||
	    (r = str_set(&c->reporter, b->reporter)) != 0 ||
	    (r = str_set(&c->level, c->owner)) != 0 ||
	    (r = str_set(&c->peak, c->owner)) != 0 ||
	    (r = str_set(&c->created_by, it->signer)) != 0)
		return r;
	c->severity = b->severity;
	c->status = GS__STATUS__OPEN;
	c->created_hlc = it->change->hlc;
	/* {owner, its town}, and the ancestor that assigned a task down. */
	if ((r = visible_add(c, c->owner)) != 0)
		return r;
	r = gs_path_parent(c->owner, parent, sizeof(parent));
	if (r == 0)
		r = visible_add(c, parent);
	else if (r == GS_ENOTFOUND)
		r = 0;
	if (r != 0)
		return r;
	return visible_add(c, it->signer);
}

static int
apply_whistle(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	char parent[PATH_BUF];
	int r;

	if (!is_open(c)) {
		*why = WHY_NOT_OPEN;
		return 0;
	}
	if (strcmp(it->signer, c->level) != 0) {
		*why = WHY_NOT_LEVEL;
		return 0;
	}
	r = gs_path_parent(c->level, parent, sizeof(parent));
	if (r == GS_ENOTFOUND) {
		*why = WHY_NO_ABOVE;
		return 0;
	}
	if (r != 0 || (r = str_set(&c->level, parent)) != 0 ||
	    (r = visible_add(c, parent)) != 0)
		return r;
	/* 矛盾不上交 asks whether a case ever went up to the county, even if
	 * it came back down: remember the highest level. */
	if (gs_path_depth(parent) < gs_path_depth(c->peak) &&
	    (r = str_set(&c->peak, parent)) != 0)
		return r;
	c->whistles++;
	c->status = GS__STATUS__OPEN;
	return 0;
}

static int
apply_return(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	char down[PATH_BUF];
	int r;

	if (!is_open(c)) {
		*why = WHY_NOT_OPEN;
		return 0;
	}
	if (strcmp(it->signer, c->level) != 0) {
		*why = WHY_NOT_LEVEL;
		return 0;
	}
	if (strcmp(c->level, c->owner) == 0) {
		*why = WHY_AT_OWNER;
		return 0;
	}
	/* The level only ever climbs from the owner one step at a time, so it
	 * is an ancestor of the owner here and step_down cannot fail on it. */
	if ((r = gs_path_step_down(c->level, c->owner, down,
	    sizeof(down))) != 0 || (r = str_set(&c->level, down)) != 0)
		return r;
	c->status = GS__STATUS__OPEN;
	return 0;
}

static int
apply_dispatch(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	const Gs__Dispatch *b = it->change->dispatch;
	Gs__Assignment *a;
	int r;

	if (!is_open(c)) {
		*why = WHY_NOT_OPEN;
		return 0;
	}
	if (strcmp(it->signer, c->level) != 0) {
		*why = WHY_NOT_LEVEL;
		return 0;
	}
	if ((a = assignment_find(c, b->department)) != NULL) {
		if (c->status == GS__STATUS__DISPATCHED) {
			*why = WHY_DISPATCHED;
			return 0;
		}
		/* Open again after a whistle, return or reopen: dispatching
		 * the same department starts its assignment afresh. */
		a->dispatched_hlc = it->change->hlc;
		a->ack_deadline_ms = b->ack_deadline_ms;
		a->resolve_deadline_ms = b->resolve_deadline_ms;
		a->acked_hlc = 0;
		a->resolved_hlc = 0;
		c->status = GS__STATUS__DISPATCHED;
		return 0;
	}
	if ((r = assignment_add(c, b, it->change->hlc)) != 0 ||
	    (r = visible_add(c, b->department)) != 0)
		return r;
	c->status = GS__STATUS__DISPATCHED;
	return 0;
}

static int
apply_ack(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	Gs__Assignment *a;

	if (c->status != GS__STATUS__DISPATCHED) {
		*why = WHY_UNDISPATCHED;
		return 0;
	}
	if ((a = assignment_find(c, it->signer)) == NULL) {
		*why = WHY_NOT_ASSIGNED;
		return 0;
	}
	if (a->acked_hlc != 0) {
		*why = WHY_ACKED;
		return 0;
	}
	a->acked_hlc = it->change->hlc;
	return 0;
}

static Gs__Assignment *
lead_assignment(const Gs__Case *c)
{
	for (size_t i = 0; i < c->n_assignments; i++)
		if (c->assignments[i]->resolved_hlc == 0)
			return c->assignments[i];
	return NULL;
}

static int
apply_resolve(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	Gs__Assignment *a = NULL, *lead;

	if (!is_open(c)) {
		*why = WHY_NOT_OPEN;
		return 0;
	}
	if (strcmp(it->signer, c->level) != 0) {
		if (c->status == GS__STATUS__DISPATCHED)
			a = assignment_find(c, it->signer);
		if (a == NULL) {
			*why = WHY_NO_RESOLVE;
			return 0;
		}
		if (a->resolved_hlc != 0) {
			*why = WHY_PART_DONE;
			return 0;
		}
		/* 联合调处: the lead is the first department in dispatch order
		 * that has not resolved its part; only its resolve settles
		 * the case, the others' record their part. */
		lead = lead_assignment(c);
		/* Resolving is also reporting in, for the on-time figures. */
		a->resolved_hlc = it->change->hlc;
		if (a->acked_hlc == 0)
			a->acked_hlc = it->change->hlc;
		if (a != lead)
			return 0;
	}
	c->outcome = it->change->resolve->outcome;
	c->status = GS__STATUS__RESOLVED;
	return 0;
}

static int
apply_followup(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	if (c->status != GS__STATUS__RESOLVED) {
		*why = WHY_UNRESOLVED;
		return 0;
	}
	c->satisfaction = it->change->followup->satisfaction;
	c->status = GS__STATUS__CLOSED;
	return 0;
}

static int
apply_reopen(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	if (c->status != GS__STATUS__RESOLVED &&
	    c->status != GS__STATUS__CLOSED) {
		*why = WHY_NOT_DONE;
		return 0;
	}
	if (strcmp(it->signer, c->owner) != 0 &&
	    strcmp(it->signer, c->level) != 0) {
		*why = WHY_NO_REOPEN;
		return 0;
	}
	c->status = GS__STATUS__OPEN;
	c->outcome = GS__OUTCOME__OUTCOME_UNSET;
	c->satisfaction = GS__SATISFACTION__SATISFACTION_UNSET;
	return 0;
}

static int
apply_supervise(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	if (!is_open(c)) {
		*why = WHY_NOT_OPEN;
		return 0;
	}
	if (!gs_path_is_ancestor(it->signer, c->level)) {
		*why = WHY_NOT_ABOVE;
		return 0;
	}
	c->supervisions++;
	return 0;
}

static int
apply(Gs__Case *c, const struct gs_fold_item *it, const char **why)
{
	int kind = it->change->body_case;

	*why = NULL;
	if (c->status == GS__STATUS__STATUS_UNSET &&
	    kind != GS__CHANGE__BODY_REPORT) {
		*why = WHY_UNREPORTED;
		return 0;
	}
	switch (kind) {
	case GS__CHANGE__BODY_REPORT:
		return apply_report(c, it, why);
	case GS__CHANGE__BODY_PROGRESS:
		if (!gs_case_visible_to(c, it->signer))
			*why = WHY_UNSEEN;
		return 0;
	case GS__CHANGE__BODY_WHISTLE:
		return apply_whistle(c, it, why);
	case GS__CHANGE__BODY_RETURN:
		return apply_return(c, it, why);
	case GS__CHANGE__BODY_DISPATCH:
		return apply_dispatch(c, it, why);
	case GS__CHANGE__BODY_ACK:
		return apply_ack(c, it, why);
	case GS__CHANGE__BODY_RESOLVE:
		return apply_resolve(c, it, why);
	case GS__CHANGE__BODY_FOLLOWUP:
		return apply_followup(c, it, why);
	case GS__CHANGE__BODY_REOPEN:
		return apply_reopen(c, it, why);
	case GS__CHANGE__BODY_SUPERVISE:
		return apply_supervise(c, it, why);
	default:
		return GS_EINVAL;	/* gs_fold checked the kinds already */
	}
}

/* "<label>: <text>", or just the label when there is no text. */
static char *
labelled(int kind, const char *text)
{
	if (text == NULL || text[0] == '\0')
		return fmt("%s", gs_kind_label(kind));
	return fmt("%s: %s", gs_kind_label(kind), text);
}

/*
 * The one-line Chinese summary a person reads in the timeline. A whistle
 * names the level it reached, so it reads differently when it did not
 * apply. Line breaks and tabs in notes become spaces to keep it one line
 * (ASCII bytes never occur inside a UTF-8 sequence).
 */
static char *
summary(const Gs__Case *c, const struct gs_fold_item *it, int applied)
{
	const Gs__Change *ch = it->change;
	int kind = ch->body_case;
	char *s, *p;

	switch (kind) {
	case GS__CHANGE__BODY_REPORT:
		s = fmt("%s [%s] %s", gs_kind_label(kind),
		    gs_category_label(ch->report->category), ch->report->title);
		break;
	case GS__CHANGE__BODY_WHISTLE:
		if (applied)
			s = fmt("%s%s至 %s", ch->whistle->automatic ? "逾期自动" :
			    "", gs_kind_label(kind), c->level);
		else
			s = fmt("%s%s", ch->whistle->automatic ? "逾期自动" : "",
			    gs_kind_label(kind));
		break;
	case GS__CHANGE__BODY_DISPATCH:
		s = fmt("%s %s", gs_kind_label(kind),
		    ch->dispatch->department);
		break;
	case GS__CHANGE__BODY_ACK:
		s = fmt("%s", gs_kind_label(kind));
		break;
	case GS__CHANGE__BODY_RESOLVE:
		if (ch->resolve->note[0] == '\0')
			s = fmt("%s: %s", gs_kind_label(kind),
			    gs_outcome_label(ch->resolve->outcome));
		else
			s = fmt("%s: %s %s", gs_kind_label(kind),
			    gs_outcome_label(ch->resolve->outcome),
			    ch->resolve->note);
		break;
	case GS__CHANGE__BODY_FOLLOWUP:
		s = fmt("%s: %s", gs_kind_label(kind),
		    gs_satisfaction_label(ch->followup->satisfaction));
		break;
	case GS__CHANGE__BODY_PROGRESS:
		s = labelled(kind, ch->progress->note);
		break;
	case GS__CHANGE__BODY_RETURN:
		s = labelled(kind, ch->return_->reason);
		break;
	case GS__CHANGE__BODY_REOPEN:
		s = labelled(kind, ch->reopen->reason);
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		s = labelled(kind, ch->supervise->note);
		break;
	default:
		s = fmt("%s", gs_kind_label(kind));
		break;
	}
	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s;
}

/*
 * Visibility depends only on which changes exist, never on their place in
 * the fold: a whistle or dispatch that turns out a conflict (a resolve it
 * raced with sorts first) or void may already have carried the case to its
 * target, and a set that shrank back would leave that node with a copy no
 * one updates (DESIGN §4: the set never shrinks).
 */
static int
grant(Gs__Case *c, const struct gs_fold_item *it)
{
	char parent[PATH_BUF];
	int r;

	switch (it->change->body_case) {
	case GS__CHANGE__BODY_WHISTLE:
		r = gs_path_parent(it->signer, parent, sizeof(parent));
		if (r == GS_ENOTFOUND)
			return 0;
		return r != 0 ? r : visible_add(c, parent);
	case GS__CHANGE__BODY_DISPATCH:
		return visible_add(c, it->change->dispatch->department);
	default:
		return 0;
	}
}

static int
fold_one(Gs__Case *c, const struct gs_fold_item *it)
{
	Gs__TimelineEntry *e = NULL;
	const char *why = NULL;
	char *text;
	int r;

	if ((r = timeline_add(c, it, &e)) != 0)
		return r;
	if (it->revoked) {
		e->flag = GS__FLAG__FLAG_REVOKED;
		why = WHY_REVOKED;
	} else {
		if ((r = apply(c, it, &why)) != 0)
			return r;
		if (why != NULL) {
			e->flag = GS__FLAG__FLAG_CONFLICT;
			c->conflicts++;
		} else {
			e->flag = GS__FLAG__FLAG_OK;
			c->updated_hlc = it->change->hlc;
		}
	}
	if (why != NULL && (r = str_set(&e->reason, why)) != 0)
		return r;
	if ((r = grant(c, it)) != 0)
		return r;
	if ((text = summary(c, it, e->flag == GS__FLAG__FLAG_OK)) == NULL)
		return GS_ENOMEM;
	str_take(&e->text, text);
	return 0;
}

int
gs_fold(const char *case_id, struct gs_fold_item *items, size_t n,
    Gs__Case **out)
{
	char owner[PATH_BUF];
	Gs__Case *c = NULL;
	size_t i;
	int r;

	if (out == NULL)
		return GS_EINVAL;
	*out = NULL;
	if (case_id == NULL || (n > 0 && items == NULL) ||
	    gs_case_id_owner(case_id, owner, sizeof(owner)) != 0)
		return GS_EINVAL;
	/* Refuse the whole set before folding any of it, so a caller never
	 * gets a case built from part of its changes. */
	for (i = 0; i < n; i++) {
		const struct gs_fold_item *it = &items[i];

		if (it->id == NULL || it->signer == NULL ||
		    it->change == NULL || it->change->case_id == NULL ||
		    strcmp(it->change->case_id, case_id) != 0 ||
		    !gs_change_is_case_kind(it->change->body_case) ||
		    gs_change_body(it->change) == NULL)
			return GS_EINVAL;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), item_cmp);

	if ((c = malloc(sizeof(*c))) == NULL)
		return GS_ENOMEM;
	gs__case__init(c);
	if ((r = str_set(&c->id, case_id)) != 0 ||
	    (r = str_set(&c->owner, owner)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = fold_one(c, &items[i])) != 0)
			goto out;
	*out = c;
	c = NULL;
out:
	if (c != NULL)
		gs__case__free_unpacked(c, NULL);
	return r;
}

/* Whether item a sorts after timeline entry e (by item_cmp's key). */
static bool
after_entry(const struct gs_fold_item *a, const Gs__TimelineEntry *e)
{
	int r;

	if (a->change->hlc != e->hlc)
		return a->change->hlc > e->hlc;
	if ((r = bin_cmp(&a->change->origin, &e->origin)) != 0)
		return r > 0;
	if (a->change->seq != e->seq)
		return a->change->seq > e->seq;
	return e->change_id.len == GS_ID_BYTES &&
	    memcmp(a->id, e->change_id.data, GS_ID_BYTES) > 0;
}

int
gs_fold_more(Gs__Case *c, struct gs_fold_item *items, size_t n)
{
	size_t i;
	int r;

	if (c == NULL || c->id == NULL || (n > 0 && items == NULL))
		return GS_EINVAL;
	for (i = 0; i < n; i++) {
		const struct gs_fold_item *it = &items[i];

		if (it->id == NULL || it->signer == NULL ||
		    it->change == NULL || it->change->case_id == NULL ||
		    strcmp(it->change->case_id, c->id) != 0 ||
		    !gs_change_is_case_kind(it->change->body_case) ||
		    gs_change_body(it->change) == NULL)
			return GS_EINVAL;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), item_cmp);
	/* Folding on is the same as folding afresh only when the new items
	 * come after everything folded so far. */
	if (n > 0 && c->n_timeline > 0 &&
	    !after_entry(&items[0], c->timeline[c->n_timeline - 1]))
		return GS_ECONFLICT;
	for (i = 0; i < n; i++)
		if ((r = fold_one(c, &items[i])) != 0)
			return r;
	return 0;
}

void
gs_case_free(Gs__Case **c)
{
	if (c == NULL || *c == NULL)
		return;
	gs__case__free_unpacked(*c, NULL);
	*c = NULL;
}

bool
gs_case_visible_to(const Gs__Case *c, const char *path)
{
	size_t lo = 0, hi, mid;
	int r;

	if (c == NULL || path == NULL)
		return false;
	/* visible is kept sorted by strcmp. */
	hi = c->n_visible;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = strcmp(c->visible[mid], path)) == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Enum tables: index = enum value, entry 0 is the unset value. */
struct label {
	const char *name;
	const char *label;
};

static const struct label statuses[] = {
	{ "unset", "未受理" },
	{ "open", "待处理" },
	{ "dispatched", "已派单" },
	{ "resolved", "已办结" },
	{ "closed", "已结案" },
};

static const struct label outcomes[] = {
	{ "unset", "未办结" },
	{ "mediated", "调解成功" },
	{ "solved", "已解决" },
	{ "referred", "已移交" },
	{ "unfounded", "不属实" },
};

static const struct label satisfactions[] = {
	{ "unset", "未回访" },
	{ "satisfied", "满意" },
	{ "basic", "基本满意" },
	{ "unsatisfied", "不满意" },
};

static const struct label severities[] = {
	{ "unset", "未分级" },
	{ "simple", "简单" },
	{ "complex", "复杂" },
	{ "hard", "疑难" },
};

static const struct label flags[] = {
	{ "ok", "正常" },
	{ "conflict", "冲突" },
	{ "revoked", "已撤销" },
};

static const struct label unknown = { "unknown", "未知" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct label *
lookup(const struct label *t, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return &unknown;
	return &t[v];
}

/* The unset value (index 0) does not parse: no person or script means to
 * set a field back to "unset". */
static int
parse(const struct label *t, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 1; i < n; i++)
		if (strcmp(s, t[i].name) == 0 || strcmp(s, t[i].label) == 0)
			return (int)i;
	return -1;
}

const char *
gs_status_name(int status)
{
	return lookup(statuses, NELEM(statuses), status)->name;
}

const char *
gs_status_label(int status)
{
	return lookup(statuses, NELEM(statuses), status)->label;
}

const char *
gs_outcome_name(int outcome)
{
	return lookup(outcomes, NELEM(outcomes), outcome)->name;
}

const char *
gs_outcome_label(int outcome)
{
	return lookup(outcomes, NELEM(outcomes), outcome)->label;
}

const char *
gs_satisfaction_name(int s)
{
	return lookup(satisfactions, NELEM(satisfactions), s)->name;
}

const char *
gs_satisfaction_label(int s)
{
	return lookup(satisfactions, NELEM(satisfactions), s)->label;
}

const char *
gs_severity_name(int s)
{
	return lookup(severities, NELEM(severities), s)->name;
}

const char *
gs_severity_label(int s)
{
	return lookup(severities, NELEM(severities), s)->label;
}

const char *
gs_flag_name(int flag)
{
	return lookup(flags, NELEM(flags), flag)->name;
}

int
gs_status_parse(const char *s)
{
	return parse(statuses, NELEM(statuses), s);
}

int
gs_outcome_parse(const char *s)
{
	return parse(outcomes, NELEM(outcomes), s);
}

int
gs_satisfaction_parse(const char *s)
{
	return parse(satisfactions, NELEM(satisfactions), s);
}

int
gs_severity_parse(const char *s)
{
	return parse(severities, NELEM(severities), s);
}
