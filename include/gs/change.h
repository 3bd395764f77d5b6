/*
 * change.h: signed changes: build, seal (pack and sign), decode, verify, id.
 *
 * A change is a Gs__Change (proto/gridsync.proto) made once by its origin.
 * Its id is the BLAKE2b-256 hash of its exact serialised bytes, and the
 * Envelope carries those bytes with the origin's Ed25519 signature. Decoding
 * untrusted bytes follows one fixed order: size caps, envelope fields,
 * signature over the received bytes, only then unpack the change and check
 * every field (length, range, UTF-8, enum).
 *
 * Needs sodium_init(). Thread safe: no shared state.
 */
#ifndef GS_CHANGE_H
#define GS_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridsync.pb-c.h"

#define GS_CHANGE_VERSION        1
#define GS_KEY_BYTES            32  /* Ed25519 public key */
#define GS_SECRET_BYTES         64  /* Ed25519 secret key (libsodium form) */
#define GS_SIG_BYTES            64
#define GS_ID_BYTES             32  /* BLAKE2b-256 */
#define GS_ENVELOPE_MAX_BYTES  32768
#define GS_CHANGE_MAX_BYTES    (GS_ENVELOPE_MAX_BYTES - 256)
#define GS_TITLE_MAX_BYTES      200  /* case and notice titles */
#define GS_TEXT_MAX_BYTES      4000  /* descriptions, notes, reasons, bodies */
#define GS_NAME_MAX_BYTES        64  /* actor, reporter, grid, category, period */
#define GS_ROLLUP_COUNTS_MAX    256
#define GS_CHECK_FOUND_MAX   100000  /* problems in one village's monthly check */

/* A decoded, size-checked envelope. `change` points into `msg` and lives as
 * long as it; clear with gs_envelope_clear. */
typedef struct gs_envelope {
	Gs__Envelope  *msg;          /* owned */
	const uint8_t *origin;       /* GS_KEY_BYTES, into msg */
	const uint8_t *sig;          /* GS_SIG_BYTES, into msg */
	const uint8_t *change;       /* serialised Change, into msg */
	size_t         change_len;
	uint8_t        id[GS_ID_BYTES];
} gs_envelope;

/* id = BLAKE2b-256(bytes). */
void gs_change_id(const uint8_t *bytes, size_t len, uint8_t id[GS_ID_BYTES]);

/* Decodes envelope bytes: total size cap (GS_ETOOBIG), protobuf framing
 * (GS_EBADMSG), origin and sig lengths and the change size cap (GS_EBADMSG).
 * Computes the change id. Does not verify or unpack the change. On failure
 * *out is cleared. */
int gs_envelope_decode(const uint8_t *buf, size_t len, gs_envelope *out);

/* Verifies the signature over the exact received change bytes: 0 or
 * GS_EBADSIG. */
int gs_envelope_verify(const gs_envelope *e);

/* Frees what gs_envelope_decode allocated and zeroes *e. Safe on a zeroed
 * or already cleared envelope. */
void gs_envelope_clear(gs_envelope *e);

/* Unpacks e's change and checks every field with gs_change_validate and
 * that change.origin equals the envelope's origin. On failure returns
 * GS_EBADMSG or GS_EINVAL, sets *why (static string; why may be NULL) and
 * *out is NULL. Free the result with gs_change_free. */
int gs_change_decode(const gs_envelope *e, Gs__Change **out, const char **why);

/* Checks every field of a change against its bound: version, key and hash
 * lengths, seq >= 1 and prev present iff seq > 1, hlc != 0, UTF-8 and byte
 * caps of every string, case id form for case kinds (empty otherwise),
 * enum ranges, a body present. 0 or GS_EINVAL with *why set. */
int gs_change_validate(const Gs__Change *c, const char **why);

/* Packs c, signs it with sk and packs the envelope. *env is malloc'd (free
 * it); GS_ETOOBIG over the caps, GS_EINVAL if c does not validate (with
 * *why). */
int gs_change_seal(const Gs__Change *c, const uint8_t sk[GS_SECRET_BYTES],
    uint8_t **env, size_t *env_len, uint8_t id[GS_ID_BYTES], const char **why);

/* Frees a change returned by gs_change_decode and NULLs the pointer. */
void gs_change_free(Gs__Change **c);

/* The body's message pointer, whatever its kind; NULL when no body is
 * set. Borrowed from c. */
const void *gs_change_body(const Gs__Change *c);

/* True for the kinds that act on a case (Report .. Supervise). */
int gs_change_is_case_kind(int kind);

/* Short English name of a kind ("report", "whistle" ...) and its Chinese
 * label ("上报", "吹哨" ...). kind is a GS__CHANGE__BODY_* value. */
const char *gs_kind_name(int kind);
const char *gs_kind_label(int kind);

/* A statistics period: "YYYY", "YYYY-MM" or "YYYY-MM-DD" with a month in
 * 01-12 and a day in 01-31. Returns its length (4, 7 or 10), or 0 when p
 * is none of these. */
int gs_period_valid(const char *p);

/* True when s[0..len) is strict UTF-8 (RFC 3629) without NUL: what every
 * text field of a change must be. */
bool gs_utf8_valid(const char *s, size_t len);

/* Hex helpers: gs_hex writes 2*len chars and a NUL into out. gs_unhex
 * parses exactly len bytes: 0 or GS_EINVAL. */
void gs_hex(const uint8_t *b, size_t len, char *out);
int gs_unhex(const char *hex, uint8_t *b, size_t len);

#endif
