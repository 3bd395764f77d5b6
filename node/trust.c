/*
 * trust.c: roster entries in the store and the static authority table.
 */
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
		if (root_key == NULL ||
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
    const char *revoked_path, const uint8_t *root_key, const char **why)
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
		if (revoked_path == NULL ||
		    gs_path_parent(revoked_path, parent, sizeof(parent)) != 0 ||
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
		if (!is_area(signer)) {
			*why = "only an area node may sign a rollup";
			return GS_EAUTH;
		}
		if (c->rollup->subject[0] != '\0' &&
		    !gs_path_within(signer, c->rollup->subject)) {
			*why = "a rollup may only cover the signer's own subtree";
			return GS_EAUTH;
		}
		return 0;
	default:
		return check_case(signer, c, why);
	}
}

int
gs_roster_get(gs_txn *t, const uint8_t *key, Gs__RosterEntry **out)
{
	gs_val v;
	int rc;

	*out = NULL;
	rc = gs_get(t, GS_DB_ROSTER, key, GS_KEY_BYTES, &v);
	if (rc != 0)
		return rc;
	*out = gs__roster_entry__unpack(NULL, v.len, v.data);
	return *out ? 0 : GS_EBADMSG;
}

int
gs_roster_path(gs_txn *t, const uint8_t *key, char *path, size_t cap)
{
	Gs__RosterEntry *e;
	int rc;

	rc = gs_roster_get(t, key, &e);
	if (rc != 0)
		return rc;
	if (strlen(e->path) >= cap)
		rc = GS_ETOOBIG;
	else
		strcpy(path, e->path);
	gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

static int
roster_put(gs_txn *t, const Gs__RosterEntry *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	len = gs__roster_entry__get_packed_size(e);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return GS_ENOMEM;
	gs__roster_entry__pack(e, buf);
	rc = gs_put(t, GS_DB_ROSTER, e->key.data, GS_KEY_BYTES, buf, len);
	free(buf);
	return rc;
}

int
gs_roster_enrol(gs_txn *t, const Gs__Member *m, const uint8_t *id,
    const uint8_t *signer, uint64_t signer_seq)
{
	Gs__RosterEntry e, *old;

	gs__roster_entry__init(&e);
	int rc;

	rc = gs_roster_get(t, m->key.data, &old);
	if (rc == 0) {
		rc = strcmp(old->path, m->path) == 0 ? 0 : GS_EEXIST;
		gs__roster_entry__free_unpacked(old, NULL);
		return rc;
	}
	if (rc != GS_ENOTFOUND)
		return rc;
	e.key = m->key;
	e.path = m->path;
	e.member_change.data = (uint8_t *)(uintptr_t)id;
	e.member_change.len = GS_ID_BYTES;
	e.signer.data = (uint8_t *)(uintptr_t)signer;
	e.signer.len = GS_KEY_BYTES;
	e.signer_seq = signer_seq;
	return roster_put(t, &e);
}

int
gs_roster_revoke(gs_txn *t, const uint8_t *key, uint64_t after_seq)
{
	Gs__RosterEntry *e;
	int rc;

	rc = gs_roster_get(t, key, &e);
	if (rc != 0)
		return rc;
	if (!e->revoked || after_seq < e->after_seq) {
		e->revoked = true;
		e->after_seq = after_seq;
		rc = roster_put(t, e);
	}
	gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_void(gs_txn *t, const uint8_t *key, uint64_t seq, bool *isvoid)
{
	uint8_t cur[GS_KEY_BYTES];
	Gs__RosterEntry *e = NULL;
	int depth, rc = 0;

	/* Walk up the enrolment chain: the change is void if any link on the
	 * way was signed after its signer's revocation point. The root's
	 * entry is self-signed, which ends the walk. */
	memcpy(cur, key, GS_KEY_BYTES);
	*isvoid = true;
	for (depth = 0; depth <= GS_PATH_DEPTH_MAX; depth++) {
		rc = gs_roster_get(t, cur, &e);
		if (rc == GS_ENOTFOUND) {
			rc = 0;
			goto out;
		}
		if (rc != 0)
			goto out;
		if (e->revoked && seq > e->after_seq)
			goto out;
		if (e->signer.len != GS_KEY_BYTES)
			goto out;
		if (memcmp(e->signer.data, cur, GS_KEY_BYTES) == 0) {
			*isvoid = false;
			goto out;
		}
		seq = e->signer_seq;
		memcpy(cur, e->signer.data, GS_KEY_BYTES);
		gs__roster_entry__free_unpacked(e, NULL);
		e = NULL;
	}
out:
	if (e != NULL)
		gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_chained(gs_txn *t, const uint8_t *key, bool *chained)
{
	uint8_t cur[GS_KEY_BYTES];
	Gs__RosterEntry *e = NULL;
	int depth, rc = 0;

	memcpy(cur, key, GS_KEY_BYTES);
	*chained = false;
	for (depth = 0; depth <= GS_PATH_DEPTH_MAX; depth++) {
		rc = gs_roster_get(t, cur, &e);
		if (rc == GS_ENOTFOUND) {
			rc = 0;
			break;
		}
		if (rc != 0 || e->signer.len != GS_KEY_BYTES)
			break;
		if (memcmp(e->signer.data, cur, GS_KEY_BYTES) == 0) {
			*chained = true;
			break;
		}
		memcpy(cur, e->signer.data, GS_KEY_BYTES);
		gs__roster_entry__free_unpacked(e, NULL);
		e = NULL;
	}
	if (e != NULL)
		gs__roster_entry__free_unpacked(e, NULL);
	return rc;
}

int
gs_roster_find(gs_txn *t, const char *path, uint8_t key[32])
{
	gs_cursor *c = NULL;
	gs_val k, v;
	Gs__RosterEntry *e;
	int rc;

	rc = gs_cursor_open(t, GS_DB_ROSTER, &c);
	if (rc != 0)
		return rc;
	for (rc = gs_cursor_seek(c, NULL, 0, &k, &v); rc == 0;
	    rc = gs_cursor_next(c, &k, &v)) {
		e = gs__roster_entry__unpack(NULL, v.len, v.data);
		if (e == NULL)
			continue;
		if (!e->revoked && strcmp(e->path, path) == 0 &&
		    e->key.len == GS_KEY_BYTES) {
			memcpy(key, e->key.data, GS_KEY_BYTES);
			gs__roster_entry__free_unpacked(e, NULL);
			rc = 0;
			break;
		}
		gs__roster_entry__free_unpacked(e, NULL);
	}
	gs_cursor_close(&c);
	return rc;
}
