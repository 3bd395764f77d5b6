/*
 * trust.c: roster entries in the store and the static authority table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs/change.h"
#include "gs/error.h"
#include "gs/path.h"
#include "gs/trust.h"

/* An area node is any node that is not a department. */
static bool
is_area(const char *p)
{
	return !gs_path_is_dept(p);
}

/* A department attached strictly above the owner: the only departments a
 * case can ever be dispatched to, since only strict ancestors dispatch. */
static bool
dept_above(const char *signer, const char *owner)
{
	char area[GS_PATH_MAX_BYTES + 1];

	if (!gs_path_is_dept(signer))
		return false;
	if (gs_path_parent(signer, area, sizeof(area)) != 0)
		return false;
	return gs_path_is_ancestor(area, owner);
}

static int
check_member(const char *signer, const Gs__Change *c, const uint8_t *root_key,
    const char **why)
{
	const Gs__Member *m = c->member;
	char parent[GS_PATH_MAX_BYTES + 1];

	int rc = gs_path_parent(m->path, parent, sizeof(parent));

	if (rc != 0 && rc != GS_ENOTFOUND) {
		*why = "member path is invalid";
		return GS_EAUTH;
	}
	if (rc == GS_ENOTFOUND) {
		/* Only the configured root may enrol a root path: itself. */
		if (root_key == NULL || strcmp(signer, m->path) != 0 ||
		    memcmp(c->origin.data, root_key, GS_KEY_BYTES) != 0 ||
		    memcmp(m->key.data, c->origin.data, GS_KEY_BYTES) != 0) {
			*why = "only the trust root may enrol a root path, and only itself";
			return GS_EAUTH;
		}
		return 0;
	}
	if (gs_path_is_dept(signer) || strcmp(signer, parent) != 0) {
		*why = "a Member must be signed by the node at the parent path";
		return GS_EAUTH;
	}
	return 0;
}

static int
check_case(const char *signer, const Gs__Change *c, const char **why)
{
	char owner[GS_PATH_MAX_BYTES + 1], parent[GS_PATH_MAX_BYTES + 1];
	bool area = is_area(signer);

	if (gs_case_id_owner(c->case_id, owner, sizeof(owner)) != 0) {
		*why = "malformed case id";
		return GS_EINVAL;
	}
	switch (c->body_case) {
	case GS__CHANGE__BODY_REPORT:
		if (area && gs_path_within(signer, owner))
			return 0;
		*why = "only the owner village or an ancestor may report a case";
		break;
	case GS__CHANGE__BODY_PROGRESS:
		if ((area && gs_path_within(signer, owner)) ||
		    dept_above(signer, owner))
			return 0;
		*why = "signer can never see this case";
		break;
	case GS__CHANGE__BODY_WHISTLE:
		if (area && gs_path_within(signer, owner) &&
		    gs_path_depth(signer) > 1)
			return 0;
		*why = "only a node on the case's path below the root may whistle";
		break;
	case GS__CHANGE__BODY_RETURN:
		if (area && gs_path_is_ancestor(signer, owner))
			return 0;
		*why = "only a node above the owner may return a case";
		break;
	case GS__CHANGE__BODY_DISPATCH:
		if (!area || !gs_path_is_ancestor(signer, owner)) {
			*why = "only a town or county above the owner may dispatch";
			break;
		}
		if (gs_path_parent(c->dispatch->department, parent,
		    sizeof(parent)) != 0 || strcmp(parent, signer) != 0) {
			*why = "a dispatch must name one of the signer's own departments";
			break;
		}
		return 0;
	case GS__CHANGE__BODY_ACK:
		if (dept_above(signer, owner))
			return 0;
		*why = "only a department above the owner may report in";
		break;
	case GS__CHANGE__BODY_RESOLVE:
		if ((area && gs_path_within(signer, owner)) ||
		    dept_above(signer, owner))
			return 0;
		*why = "signer can never resolve this case";
		break;
	case GS__CHANGE__BODY_FOLLOWUP:
		if (strcmp(signer, owner) == 0 ||
		    (gs_path_parent(owner, parent, sizeof(parent)) == 0 &&
		    strcmp(signer, parent) == 0))
			return 0;
		*why = "only the owner village or its town may follow up";
		break;
	case GS__CHANGE__BODY_REOPEN:
		if (area && gs_path_within(signer, owner))
			return 0;
		*why = "signer can never reopen this case";
		break;
	case GS__CHANGE__BODY_SUPERVISE:
		if (area && gs_path_is_ancestor(signer, owner))
			return 0;
		*why = "only a node above the owner may supervise";
		break;
	default:
		*why = "not a case kind";
		return GS_EINVAL;
	}
	return GS_EAUTH;
}

int
gs_trust_check(const char *signer, const Gs__Change *c,
    const uint8_t *root_key, const char **why)
{
	const char *dummy;
	char parent[GS_PATH_MAX_BYTES + 1];

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	switch (c->body_case) {
	case GS__CHANGE__BODY_MEMBER:
		return check_member(signer, c, root_key, why);
	case GS__CHANGE__BODY_REVOKE:
		if (gs_path_parent(c->revoke->path, parent, sizeof(parent)) != 0 ||
		    strcmp(parent, signer) != 0) {
			*why = "only the parent of a key's path may revoke it";
			return GS_EAUTH;
		}
		return 0;
	case GS__CHANGE__BODY_NOTICE:
		if (is_area(signer))
			return 0;
		*why = "only an area node may issue a notice";
		return GS_EAUTH;
	case GS__CHANGE__BODY_ROLLUP:
		/* A village's figures come from its own town; a town may
		 * also count the cases it owns itself. */
		if (is_area(signer) && (strcmp(c->rollup->subject, signer) == 0 ||
		    (gs_path_parent(c->rollup->subject, parent,
		    sizeof(parent)) == 0 && strcmp(parent, signer) == 0)))
			return 0;
		*why = "a rollup must be signed by its subject's parent or the "
		    "subject itself";
		return GS_EAUTH;
	case GS__CHANGE__BODY_RECEIPT:
		if (is_area(c->receipt->issuer) &&
		    gs_path_is_ancestor(c->receipt->issuer, signer))
			return 0;
		*why = "only a node below a notice's issuer may sign its receipt";
		return GS_EAUTH;
	case GS__CHANGE__BODY_CHECK:
		if (is_area(signer) && gs_path_depth(signer) >= 3)
			return 0;
		*why = "only a village may file a check report";
		return GS_EAUTH;
	default:
		return check_case(signer, c, why);
	}
}

#define ROSTER_KEY_MAX (GS_KEY_BYTES + GS_PATH_MAX_BYTES)

/* The roster's record key: the 32-byte public key, then the path. */
static size_t
roster_key(uint8_t *out, const uint8_t *key, const char *path)
{
	size_t plen = strlen(path);

	if (plen > GS_PATH_MAX_BYTES)
		plen = GS_PATH_MAX_BYTES;
	memcpy(out, key, GS_KEY_BYTES);
	memcpy(out + GS_KEY_BYTES, path, plen);
	return GS_KEY_BYTES + plen;
}

int
gs_roster_get(gs_txn *t, const uint8_t *key, const char *path,
    Gs__RosterEntry **out)
{
	uint8_t k[ROSTER_KEY_MAX];
	gs_val v;
	int rc;

	*out = NULL;
	rc = gs_get(t, GS_DB_ROSTER, k, roster_key(k, key, path), &v);
	if (rc != 0)
		return rc;
	*out = gs__roster_entry__unpack(NULL, v.len, v.data);
	return *out ? 0 : GS_EBADMSG;
}

static int
roster_put(gs_txn *t, const Gs__RosterEntry *e)
{
	uint8_t k[ROSTER_KEY_MAX], *buf;
	size_t len;
	int rc;

	if (e->key.len != GS_KEY_BYTES)
		return GS_EINVAL;
	len = gs__roster_entry__get_packed_size(e);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return GS_ENOMEM;
	gs__roster_entry__pack(e, buf);
	rc = gs_put(t, GS_DB_ROSTER, k, roster_key(k, e->key.data, e->path),
	    buf, len);
	free(buf);
	return rc;
}

int
gs_roster_enrol(gs_txn *t, const Gs__Member *m, const uint8_t *id,
    const uint8_t *signer, uint64_t signer_seq, bool *changed)
{
	Gs__RosterEntry fresh, *e = NULL, *cur;
	Gs__Enrolment en, **ne;
	size_t at;
	int rc;

	if (changed)
		*changed = false;
	rc = gs_roster_get(t, m->key.data, m->path, &e);
	if (rc != 0 && rc != GS_ENOTFOUND)
		return rc;
	if (rc == GS_ENOTFOUND) {
		gs__roster_entry__init(&fresh);
		fresh.key = m->key;
		fresh.path = m->path;
		cur = &fresh;
	} else
		cur = e;
	/* Kept sorted by Member id, once each: the stored entry is the same
	 * bytes on every node whatever the order Members arrived in. */
	for (at = 0; at < cur->n_enrolments; at++) {
		int d = memcmp(cur->enrolments[at]->member_change.data, id,
		    GS_ID_BYTES);

		if (d == 0) {
			rc = 0;
			goto out;
		}
		if (d > 0)
			break;
	}
	ne = realloc(cur->enrolments, (cur->n_enrolments + 1) * sizeof(*ne));
	if (ne == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	cur->enrolments = ne;
	memmove(ne + at + 1, ne + at, (cur->n_enrolments - at) * sizeof(*ne));
	gs__enrolment__init(&en);
	en.member_change.data = (uint8_t *)(uintptr_t)id;
	en.member_change.len = GS_ID_BYTES;
	en.signer.data = (uint8_t *)(uintptr_t)signer;
	en.signer.len = GS_KEY_BYTES;
	en.signer_seq = signer_seq;
	ne[at] = &en;
	cur->n_enrolments++;
	rc = roster_put(t, cur);
	/* en lives on the stack: take it out again before anything frees. */
	memmove(ne + at, ne + at + 1, (cur->n_enrolments - at - 1) * sizeof(*ne));
	cur->n_enrolments--;
	/* Only another Member for a pair already enrolled can change what
	 * is void: a new pair's changes were pending until now. */
	if (rc == 0 && changed)
		*changed = cur != &fresh;
out:
	if (cur == &fresh)
		free(fresh.enrolments);
	if (e != NULL)
		gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_revoke(gs_txn *t, const uint8_t *key, const char *path,
    uint64_t after_seq, const uint8_t *by, uint64_t by_seq)
{
	Gs__RosterEntry *e;
	Gs__Revocation rv, **nr;
	int rc;

	rc = gs_roster_get(t, key, path, &e);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < e->n_revocations; i++) {
		Gs__Revocation *o = e->revocations[i];

		if (o->after_seq == after_seq && o->by_seq == by_seq &&
		    o->by.len == GS_KEY_BYTES &&
		    memcmp(o->by.data, by, GS_KEY_BYTES) == 0)
			goto out;   /* already recorded */
	}
	nr = realloc(e->revocations, (e->n_revocations + 1) * sizeof(*nr));
	if (nr == NULL) {
		rc = GS_ENOMEM;
		goto out;
	}
	e->revocations = nr;
	gs__revocation__init(&rv);
	rv.after_seq = after_seq;
	rv.by.data = (uint8_t *)(uintptr_t)by;
	rv.by.len = GS_KEY_BYTES;
	rv.by_seq = by_seq;
	e->revocations[e->n_revocations++] = &rv;
	rc = roster_put(t, e);
	/* rv lives on the stack: detach it before freeing the entry. */
	e->n_revocations--;
out:
	gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

/* The recursion of gs_roster_void. A revocation or enrolment is signed by
 * the node at the parent path, so each step climbs one level: depth
 * bounds it even on a corrupt roster. */
static int
void_at(gs_txn *t, const uint8_t *key, const char *path, uint64_t seq,
    int depth, bool *isvoid)
{
	char parent[GS_PATH_MAX_BYTES + 1];
	Gs__RosterEntry *e = NULL;
	bool root, v;
	int rc;

	*isvoid = true;
	if (depth > GS_PATH_DEPTH_MAX)
		return 0;
	rc = gs_roster_get(t, key, path, &e);
	if (rc == GS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	root = gs_path_parent(path, parent, sizeof(parent)) == GS_ENOTFOUND;
	for (size_t i = 0; i < e->n_revocations && !root; i++) {
		Gs__Revocation *r = e->revocations[i];

		if (seq <= r->after_seq || r->by.len != GS_KEY_BYTES)
			continue;
		/* A revocation counts only when its own signer's change is
		 * valid: a stolen, revoked parent key cannot void children. */
		if ((rc = void_at(t, r->by.data, parent, r->by_seq, depth + 1,
		    &v)) != 0)
			goto out;
		if (!v)
			goto out;   /* void */
	}
	/* Enrolled while any of its Members is valid. The root's is
	 * self-signed by the trust root's key. */
	for (size_t i = 0; i < e->n_enrolments; i++) {
		Gs__Enrolment *en = e->enrolments[i];

		if (en->signer.len != GS_KEY_BYTES)
			continue;
		if (root) {
			if (memcmp(en->signer.data, key, GS_KEY_BYTES) == 0) {
				*isvoid = false;
				break;
			}
			continue;
		}
		if ((rc = void_at(t, en->signer.data, parent, en->signer_seq,
		    depth + 1, &v)) != 0)
			goto out;
		if (!v) {
			*isvoid = false;
			break;
		}
	}
out:
	gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_void(gs_txn *t, const uint8_t *key, const char *path, uint64_t seq,
    bool *isvoid)
{
	return void_at(t, key, path, seq, 0, isvoid);
}

static int
chained_at(gs_txn *t, const uint8_t *key, const char *path, int depth,
    bool *chained)
{
	char parent[GS_PATH_MAX_BYTES + 1];
	Gs__RosterEntry *e = NULL;
	bool root;
	int rc;

	*chained = false;
	if (depth > GS_PATH_DEPTH_MAX)
		return 0;
	rc = gs_roster_get(t, key, path, &e);
	if (rc == GS_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	root = gs_path_parent(path, parent, sizeof(parent)) == GS_ENOTFOUND;
	for (size_t i = 0; i < e->n_enrolments && !*chained && rc == 0; i++) {
		Gs__Enrolment *en = e->enrolments[i];

		if (en->signer.len != GS_KEY_BYTES)
			continue;
		if (root)
			*chained = memcmp(en->signer.data, key, GS_KEY_BYTES) == 0;
		else
			rc = chained_at(t, en->signer.data, parent, depth + 1,
			    chained);
	}
	gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_chained(gs_txn *t, const uint8_t *key, const char *path,
    bool *chained)
{
	return chained_at(t, key, path, 0, chained);
}

int
gs_roster_find(gs_txn *t, const char *path, uint8_t key[32],
    Gs__RosterEntry **entry)
{
	gs_cursor *c = NULL;
	gs_val k, v;
	Gs__RosterEntry *e;
	int rc;

	if (entry)
		*entry = NULL;
	rc = gs_cursor_open(t, GS_DB_ROSTER, &c);
	if (rc != 0)
		return rc;
	for (rc = gs_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(c, &k, &v)) {
		e = gs__roster_entry__unpack(NULL, v.len, v.data);
		if (e == NULL)
			continue;
		if (e->n_revocations == 0 && strcmp(e->path, path) == 0 &&
		    e->key.len == GS_KEY_BYTES) {
			memcpy(key, e->key.data, GS_KEY_BYTES);
			if (entry)
				*entry = e;
			else
				gs__roster_entry__free_unpacked(e, NULL);
			rc = 0;
			break;
		}
		gs__roster_entry__free_unpacked(e, NULL);
	}
	gs_cursor_close(&c);
	return rc;
}

int
gs_roster_path_of(gs_txn *t, const uint8_t *key, char *path, size_t cap)
{
	gs_cursor *c = NULL;
	gs_val k, v;
	size_t plen;
	int rc;

	rc = gs_cursor_open(t, GS_DB_ROSTER, &c);
	if (rc != 0)
		return rc;
	rc = gs_cursor_seek(c, key, GS_KEY_BYTES, &k, &v);
	if (rc == 0 && (k.len <= GS_KEY_BYTES ||
	    memcmp(k.data, key, GS_KEY_BYTES) != 0))
		rc = GS_ENOTFOUND;
	if (rc == 0) {
		plen = k.len - GS_KEY_BYTES;
		if (plen >= cap)
			rc = GS_ETOOBIG;
		else {
			memcpy(path, (const uint8_t *)k.data + GS_KEY_BYTES, plen);
			path[plen] = '\0';
		}
	}
	gs_cursor_close(&c);
	return rc;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
gs_roster_areas_below(gs_txn *t, const char *under, int min_depth,
    char (**paths)[GS_PATH_MAX_BYTES + 1], size_t *n)
{
	char (*out)[GS_PATH_MAX_BYTES + 1] = NULL;
	size_t cnt = 0, cap = 0, i, j;
	gs_cursor *c = NULL;
	gs_val k, v;
	int rc;

	*paths = NULL;
	*n = 0;
	if ((rc = gs_cursor_open(t, GS_DB_ROSTER, &c)) != 0)
		return rc;
	for (rc = gs_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(c, &k, &v)) {
		Gs__RosterEntry *e = gs__roster_entry__unpack(NULL, v.len, v.data);
		bool isvoid = true;

		if (e == NULL)
			continue;
		if (e->key.len == GS_KEY_BYTES && !gs_path_is_dept(e->path) &&
		    gs_path_is_ancestor(under, e->path) &&
		    gs_path_depth(e->path) >= min_depth &&
		    (rc = gs_roster_void(t, e->key.data, e->path, 1,
		    &isvoid)) == 0 && !isvoid) {
			if (cnt == cap) {
				size_t ncap = cap ? 2 * cap : 32;
				void *np = realloc(out, ncap * sizeof(*out));

				if (np == NULL)
					rc = GS_ENOMEM;
				else {
					out = np;
					cap = ncap;
				}
			}
			if (rc == 0)
				snprintf(out[cnt++], sizeof(out[0]), "%s", e->path);
		}
		gs__roster_entry__free_unpacked(e, NULL);
		if (rc != 0)
			break;
	}
	gs_cursor_close(&c);
	if (rc != 0 && rc != GS_ENOTFOUND) {
		free(out);
		return rc;
	}
	if (cnt > 1)
		qsort(out, cnt, sizeof(out[0]), path_cmp);
	/* One path may have several keys (a re-enrolled terminal). */
	for (i = j = 0; i < cnt; i++)
		if (j == 0 || strcmp(out[j - 1], out[i]) != 0)
			memmove(out[j++], out[i], sizeof(out[0]));
	if (j == 0) {
		free(out);
		out = NULL;
	}
	*paths = out;
	*n = j;
	return 0;
}
