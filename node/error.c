/*
 * error.c: English sentences for the GS_E* codes.
 */
#include "gs/error.h"

const char *
gs_strerror(int err)
{
	switch (err) {
	case GS_OK:
		return "Success.";
	case GS_EINVAL:
		return "An argument or field is out of its bounds.";
	case GS_ENOMEM:
		return "Memory allocation failed.";
	case GS_EIO:
		return "File or store input/output failed.";
	case GS_EBADMSG:
		return "The bytes do not decode as the expected message.";
	case GS_EBADSIG:
		return "The signature does not verify.";
	case GS_ENOTFOUND:
		return "No such record was found.";
	case GS_EEXIST:
		return "The record already exists.";
	case GS_EFULL:
		return "The store's map is full; the transaction was not "
		    "applied.";
	case GS_EAUTH:
		return "The signer can never have this authority.";
	case GS_EVERSION:
		return "The schema or protocol version does not match.";
	case GS_ECONFLICT:
		return "The action is not valid in the case's current state.";
	case GS_ETOOBIG:
		return "The value is over its size limit.";
	case GS_EUNTRUSTED:
		return "The signer is not (yet) in the roster.";
	case GS_EREVOKED:
		return "The signer's key has been revoked.";
	case GS_EBEHIND:
		return "The store is older than this node's own changes.";
	case GS_ENOSPACE:
		return "The disk holding the store is full.";
	case GS_EREADONLY:
		return "The store cannot be written (read-only).";
	case GS_EREUSED:
		return "The request id was already used for a different request.";
	case GS_EBUSY:
		return "Another job is still in progress.";
	default:
		return "Unknown error.";
	}
}
