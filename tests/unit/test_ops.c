/*
 * test_ops.c: local writes with a client request id (gs_ops_write_once).
 */
#include "gs_test.h"
#include "gs_world.h"

#include <sodium.h>

#define CID1 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AB"
#define CID2 "q/c/x#01JD3QZ8W6X5N4M2K9R7T0V1AC"

static uint64_t
own_seq(gs_node *n)
{
	gs_txn *t = NULL;
	uint64_t v = 0;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	(void)gs_meta_get_u64(t, "own_seq", &v);
	gs_txn_abort(&t);
	return v;
}

static uint64_t
changes(gs_node *n)
{
	gs_txn *t = NULL;
	uint64_t v = 0;

	GS_CHECK_EQ(gs_txn_begin(gs_node_store(n), 0, &t), 0);
	GS_CHECK_EQ(gs_store_count(t, GS_DB_CHANGES, &v), 0);
	gs_txn_abort(&t);
	return v;
}

static void
req_init(struct gs_ops_request *r, const char *id, uint8_t tag)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	memset(r->hash, tag, sizeof(r->hash));
}

/* A retry answers the first result and writes nothing; another request
 * under the same id is refused; the table survives a reopen. */
static void
test_request_replay(void)
{
	struct gs_ops_request r;
	struct draft d;
	uint8_t id1[GS_ID_BYTES], id2[GS_ID_BYTES];
	char err[256], dir[300];
	uint64_t seq, n;

	world_new();
	clock_at(1732400000000ULL);
	seq = own_seq(X.n);
	n = changes(X.n);

	req_init(&r, "r-1", 0xaa);
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID1, "neighbor",
	    GS__SEVERITY__SIMPLE), &r, id1, err, sizeof(err)), 0);
	GS_CHECK(!r.replayed);
	GS_CHECK_STR(r.case_id, "");
	GS_CHECK_EQ(own_seq(X.n), seq + 1);
	GS_CHECK_EQ(changes(X.n), n + 1);

	/* The retry of a report makes a new case id each time: the first
	 * one comes back. */
	req_init(&r, "r-1", 0xaa);
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID2, "neighbor",
	    GS__SEVERITY__SIMPLE), &r, id2, err, sizeof(err)), 0);
	GS_CHECK(r.replayed);
	GS_CHECK_STR(r.case_id, CID1);
	GS_CHECK(memcmp(id1, id2, GS_ID_BYTES) == 0);
	GS_CHECK_EQ(own_seq(X.n), seq + 1);
	GS_CHECK_EQ(changes(X.n), n + 1);

	req_init(&r, "r-1", 0xbb);
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID2, "neighbor",
	    GS__SEVERITY__SIMPLE), &r, id2, err, sizeof(err)), GS_EREUSED);
	GS_CHECK_STR(err, "request id 'r-1' was already used for a different "
	    "request; use a new id for a new request");
	GS_CHECK(!r.replayed);
	GS_CHECK_EQ(changes(X.n), n + 1);

	/* Durable: the same answer after the node is closed and opened. */
	snprintf(dir, sizeof(dir), "%s/n2", base);   /* world_new's third node */
	gs_node_close(&X.n);
	GS_CHECK_EQ(gs_node_open(dir, 0, &X.n), 0);
	req_init(&r, "r-1", 0xaa);
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID2, "neighbor",
	    GS__SEVERITY__SIMPLE), &r, id2, err, sizeof(err)), 0);
	GS_CHECK(r.replayed);
	GS_CHECK_STR(r.case_id, CID1);
	GS_CHECK_EQ(changes(X.n), n + 1);
	world_free();
}

/* A refused write does not use up its request id; a malformed id is
 * refused before anything is read. */
static void
test_request_refused(void)
{
	static const char *bad[] = {
		"", "a b", "tab\there", "\x7f", "汉字",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};
	struct gs_ops_request r;
	struct draft d;
	uint8_t id[GS_ID_BYTES];
	char err[256];
	uint64_t n;

	world_new();
	clock_at(1732400000000ULL);
	n = changes(X.n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_init(&r, bad[i], 1);
		GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID1, "neighbor",
		    GS__SEVERITY__SIMPLE), &r, id, err, sizeof(err)), GS_EINVAL);
		GS_CHECK_STR(err, "a request id is 1-64 printable ASCII "
		    "characters without spaces");
	}
	GS_CHECK_EQ(gs_ops_request_id_valid(
	    "1234567890123456789012345678901234567890123456789012345678901234"),
	    0);
	GS_CHECK_EQ(gs_ops_request_id_valid("~!"), 0);

	/* Whistling a case this village never reported: refused. */
	req_init(&r, "w-1", 2);
	GS_CHECK(gs_ops_write_once(X.n, d_whistle(&d, CID1), &r, id, err,
	    sizeof(err)) != 0);
	GS_CHECK(!r.replayed);
	GS_CHECK_EQ(changes(X.n), n);
	/* The id is still free for a request that succeeds. */
	req_init(&r, "w-1", 3);
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_report(&d, CID1, "neighbor",
	    GS__SEVERITY__SIMPLE), &r, id, err, sizeof(err)), 0);
	GS_CHECK(!r.replayed);
	GS_CHECK_EQ(changes(X.n), n + 1);
	/* No request id: plain writes as before. */
	GS_CHECK_EQ(gs_ops_write_once(X.n, d_notice(&d, "通知"), NULL, id, err,
	    sizeof(err)), 0);
	GS_CHECK_EQ(changes(X.n), n + 2);
	world_free();
}

int
main(void)
{
	GS_CHECK(sodium_init() >= 0);
	GS_RUN(test_request_replay);
	GS_RUN(test_request_refused);
	return 0;
}
