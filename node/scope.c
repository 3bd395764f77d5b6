/*
 * scope.c: who may hold what.
 */
#include "gs/fold.h"
#include "gs/path.h"
#include "gs/scope.h"

bool
gs_scope_visible(const char *path, const Gs__Change *c, const char *signer,
    const Gs__Case *cs)
{
	switch (c->body_case) {
	case GS__CHANGE__BODY_MEMBER:
	case GS__CHANGE__BODY_REVOKE:
		return true;
	case GS__CHANGE__BODY_NOTICE:
		return gs_path_within(signer, path);
	case GS__CHANGE__BODY_ROLLUP:
	case GS__CHANGE__BODY_CHECK:
		return gs_path_is_ancestor(path, signer);
	case GS__CHANGE__BODY_RECEIPT:
		/* Up from the reader, as far as the notice's issuer. */
		return gs_path_is_ancestor(path, signer) &&
		    gs_path_within(c->receipt->issuer, path);
	default:
		return cs != NULL && gs_case_visible_to(cs, path);
	}
}
