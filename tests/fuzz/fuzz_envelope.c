/*
 * fuzz_envelope.c: envelope and change decoding, as apply runs them on
 * bytes from the network or a file.
 *
 * Input: one envelope's bytes. gs_envelope_decode, gs_envelope_verify,
 * gs_change_decode (which runs gs_change_validate) and gs_trust_check,
 * for the change's own signer path and for the other paths of the world.
 * The signature result does not gate the rest here, unlike in apply:
 * a mutated change almost never carries a valid signature, and the change
 * parser and the authority table must be safe on any bytes anyway.
 *
 * Invariants checked (a violation aborts: a finding):
 *  - a change that gs_change_decode accepts passes gs_change_validate;
 *  - sealing it again with a world key gives an envelope that decodes,
 *    verifies and decodes to the same change again (seal and decode
 *    agree on every bound; tests/fuzz/findings/envelope-unknown-field-0
 *    broke this before gs_change_decode refused non-canonical changes).
 */
#include "fuzz_common.h"

#include "gs/path.h"
#include "gs/trust.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		fz_die("sodium_init", EIO);
	fz_keys();
	fz_env_setup();
	return 0;
}

/* Seals c again with Q's key as origin (c's own origin must match the
 * signer of the envelope) and decodes the result. */
static void
reseal(const Gs__Change *in)
{
	Gs__Change c = *in;
	gs_envelope e;
	Gs__Change *back = NULL;
	const char *why = NULL;
	uint8_t *env = NULL, id[GS_ID_BYTES];
	size_t len;
	int rc;

	c.origin.data = fz_id[FZ_Q].pk;
	c.origin.len = GS_KEY_BYTES;
	rc = gs_change_seal(&c, fz_id[FZ_Q].sk, &env, &len, id, &why);
	/* Swapping the origin keeps every bound, and a change in canonical
	 * form packs back to the size it came in. */
	if (rc != 0)
		fprintf(stderr, "decoded change does not seal: %s\n",
		    why ? why : gs_strerror(rc));
	FZ_ASSERT(rc == 0);
	memset(&e, 0, sizeof(e));
	FZ_ASSERT(gs_envelope_decode(env, len, &e) == 0);
	FZ_ASSERT(memcmp(e.id, id, GS_ID_BYTES) == 0);
	FZ_ASSERT(gs_envelope_verify(&e) == 0);
	rc = gs_change_decode(&e, &back, &why);
	if (rc != 0)
		fprintf(stderr, "resealed change does not decode: %s\n",
		    why ? why : gs_strerror(rc));
	FZ_ASSERT(rc == 0);
	FZ_ASSERT(back->seq == in->seq && back->hlc == in->hlc &&
	    back->body_case == in->body_case &&
	    strcmp(back->signer, in->signer) == 0 &&
	    strcmp(back->case_id, in->case_id) == 0);
	gs_change_free(&back);
	gs_envelope_clear(&e);
	free(env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const signers[] = {
		"q", "q/c", "q/c/x", "q/c/y", "q/c/@police", "q/d",
	};
	gs_envelope e;
	Gs__Change *c = NULL;
	const char *why = NULL;
	char owner[GS_PATH_MAX_BYTES + 1];
	int rc;

	memset(&e, 0, sizeof(e));
	if (gs_envelope_decode(data, size, &e) != 0) {
		/* A failed decode leaves the envelope cleared. */
		FZ_ASSERT(e.msg == NULL && e.change == NULL);
		return 0;
	}
	FZ_ASSERT(e.change_len <= GS_CHANGE_MAX_BYTES);
	(void)gs_envelope_verify(&e);
	rc = gs_change_decode(&e, &c, &why);
	if (rc != 0) {
		FZ_ASSERT(c == NULL);
		FZ_ASSERT(rc == GS_EBADMSG || rc == GS_EINVAL);
		goto out;
	}
	why = NULL;
	FZ_ASSERT(gs_change_validate(c, &why) == 0);
	(void)gs_change_body(c);
	(void)gs_kind_name(c->body_case);
	(void)gs_kind_label(c->body_case);
	if (c->case_id[0] != '\0')
		(void)gs_case_id_owner(c->case_id, owner, sizeof(owner));
	/* The authority table, for the signer it names and for the others:
	 * gs_trust_check must be safe for any (signer, change) pair. */
	(void)gs_trust_check(c->signer, c, fz_id[FZ_Q].pk, &why);
	(void)gs_trust_check(c->signer, c, c->origin.data, &why);
	for (size_t i = 0; i < sizeof(signers) / sizeof(signers[0]); i++)
		(void)gs_trust_check(signers[i], c, fz_id[FZ_Q].pk, &why);
	reseal(c);
out:
	gs_change_free(&c);
	gs_envelope_clear(&e);
	return 0;
}
