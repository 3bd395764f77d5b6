"""The bad-input catalogue of issue 5, one test (or parametrized case) per
item, each against real gridnode processes.

Every test feeds the bad input to a real node and asserts
  (a) the exact clear error: exit code and stderr sentence, the reject
      reason in `gridnode rejects --json`, the ERROR frame's code and
      reason, the log or `peers` line; and
  (b) that state did not move: the receiving node's `digest` (and
      `digest --scope`), its `whoami` counters and the affected case's
      `show --json` are byte-identical before and after, except what the
      documented outcome adds (one more reject; a pending change; a
      conflict or revoked entry in the timeline), which is asserted
      exactly.

Bad changes are made by hand: a change is encoded here (protobuf by hand,
field numbers of proto/gridsync.proto) and signed with a node's own secret
key (DIR/node.key, libsodium's 64-byte Ed25519 secret) through libsodium
itself (ctypes), exactly as a compromised terminal or a stranger could. The
live items speak to a real daemon's ROUTER as its enrolled child over CURVE
with pyzmq (Curve keys derived from the Ed25519 keys, docs/protocol.md
§3.1).

    item (issue 5)                 tests
    forged signature               test_forged_signature
    valid signature, unenrolled    test_unenrolled_key_is_held_pending,
      key                          test_live_link_refuses_key
    a revoked key                  test_revoked_key_change_is_void,
                                   test_live_link_refuses_key
    signing outside its authority  test_outside_authority_rejected[*],
                                   test_department_ack_not_dispatched[*]
    a replayed change              test_replayed_change,
                                   test_live_replayed_batch
    an equivocating origin         test_live_equivocating_origin
    truncated and oversized        test_broken_file_framing[*],
      frames                       test_oversized_change_in_a_record,
                                   test_live_bad_frame[*],
                                   test_live_truncated_batch,
                                   test_live_oversized_envelope_in_batch,
                                   test_live_frame_over_16_mib,
                                   test_live_frame_of_exactly_16_mib
    every field over its bound     test_field_over_its_bound[*],
                                   test_fields_at_their_bound_are_accepted
    invalid UTF-8                  test_invalid_utf8[*]
    a clock far in the future      test_far_future_clock
    an unknown protocol version    test_live_unknown_protocol_version
    a HELLO claiming a checkpoint  test_live_hello_checkpoint_beyond_feed
      beyond the sender's feed

The live tests share one daemon (module fixture) and run in file order;
test_live_equivocating_origin leaves the town forked, so it comes last.
"""

import ctypes
import ctypes.util
import hashlib
import os
import random
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from gridsync import (FEED_MAGIC, RECORD_MAX_BYTES, envelope_info,
                      flip_sig_byte, pb_fields, read_feed, write_feed)
from live import LiveTree, link_of, wait_until

IMPORT_KEYS = ("applied", "duplicate", "pending", "rejected", "released")
COUNTERS = ("changes", "pending", "own_seq", "feed_seq", "rejects", "cases",
            "forks", "clock_ahead")
TITLE = "宅基地边界纠纷"
DAY_MS = 86400000

# gs_strerror() sentences: the "code" of `gridnode rejects --json`.
EINVAL = "An argument or field is out of its bounds."
EBADMSG = "The bytes do not decode as the expected message."
EBADSIG = "The signature does not verify."
EAUTH = "The signer can never have this authority."
ETOOBIG = "The value is over its size limit."

REJECTED_ERR = ("gridnode import: rejected %s…: %s\n"
                "gridnode import: 1 changes were rejected (the rest was "
                "applied); 'gridnode rejects' lists them with reasons\n")
NOT_A_FEED = ("gridnode import: %s is not a gridsync export file or is "
              "truncated; nothing was imported\n")


# -- libsodium, through ctypes (the library gridnode itself links) ----------

_SODIUM = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
assert _SODIUM.sodium_init() >= 0


def keypair():
    """A fresh Ed25519 key pair: (32-byte public, 64-byte secret)."""
    pk, sk = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    assert _SODIUM.crypto_sign_keypair(pk, sk) == 0
    return pk.raw, sk.raw


def sign(msg, sk):
    sig = ctypes.create_string_buffer(64)
    assert _SODIUM.crypto_sign_detached(
        sig, None, msg, ctypes.c_ulonglong(len(msg)), sk) == 0
    return sig.raw


def curve_public(ed_pk):
    out = ctypes.create_string_buffer(32)
    assert _SODIUM.crypto_sign_ed25519_pk_to_curve25519(out, ed_pk) == 0
    return out.raw


def curve_secret(ed_sk):
    out = ctypes.create_string_buffer(32)
    assert _SODIUM.crypto_sign_ed25519_sk_to_curve25519(out, ed_sk) == 0
    return out.raw


# -- protobuf, by hand -------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pv(field, n):
    """A varint field; omitted when 0, as protobuf-c packs proto3."""
    return varint(field << 3) + varint(n) if n else b""


def pb(field, data):
    """A string or bytes field; omitted when empty."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return varint(field << 3 | 2) + varint(len(data)) + data if data else b""


def pm(field, data):
    """A length-delimited field that is present even when empty (a
    submessage, or one element of a repeated bytes field)."""
    return varint(field << 3 | 2) + varint(len(data)) + data


# Change body field numbers (proto/gridsync.proto, Change.body).
BODY = {"report": 12, "progress": 13, "whistle": 14, "return": 15,
        "dispatch": 16, "ack": 17, "resolve": 18, "notice": 22}

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_case_id(owner, rng=random):
    """A well-formed case id of owner that no node has seen."""
    return owner + "#" + "0" + "".join(rng.choice(CROCKFORD)
                                       for _ in range(25))


def report_body(title=TITLE, category="neighbor", desc="", grid="",
                reporter=""):
    return (pb(1, category) + pb(2, title) + pb(3, desc) + pb(4, grid) +
            pb(5, reporter))


def now_ms():
    return int(time.time() * 1000)


def change_id(envelope):
    return envelope_info(envelope)["id"]


def envelope_hash(envelope):
    return hashlib.blake2b(envelope, digest_size=32).hexdigest()


class Signer:
    """Signs changes by hand: with a node's own key (node given: it then
    continues that node's own chain, seq and prev, as its CLI would), or
    with a fresh key nobody enrolled (signing as path)."""

    def __init__(self, node=None, path=None, tmpdir=None):
        if node is not None:
            self.sk = (Path(node.dir) / "node.key").read_bytes()
            assert len(self.sk) == 64
            self.path = node.path
            self.seq, self.prev = own_tip(node, tmpdir)
        else:
            _, self.sk = keypair()
            self.path = path
            self.seq, self.prev = 0, b""
        self.key = self.sk[32:]

    def make(self, kind, body, case="", seq=None, prev=None, hlc=None,
             actor="测试员", advance=False):
        """The envelope of one change; seq/prev default to the next in
        the chain (advance moves the chain on, for a change that will be
        stored), hlc to the wall clock 1 ms from now."""
        seq = self.seq + 1 if seq is None else seq
        prev = self.prev if prev is None else prev
        hlc = ((now_ms() + 1) << 16) if hlc is None else hlc
        ch = (pv(1, 1) + pb(2, self.key) + pv(3, seq) + pb(4, prev) +
              pv(5, hlc) + pb(6, case) + pb(7, actor) + pb(8, self.path) +
              pm(BODY[kind], body))
        env = pb(1, self.key) + pb(2, ch) + pb(3, sign(ch, self.sk))
        if advance:
            self.seq = seq
            self.prev = hashlib.blake2b(ch, digest_size=32).digest()
        return env


def own_chain(node, tmpdir):
    """{seq: {"id", "prev"}} of node's own changes (from its export)."""
    f = os.path.join(str(tmpdir), "chain-%s.gsf" % node.name)
    node.export(f)
    _, recs = read_feed(f)
    os.unlink(f)
    out = {}
    for r in recs:
        i = envelope_info(r)
        if i["origin"] != node.key:
            continue
        ch = [v for fn, _, v, _, _ in pb_fields(r) if fn == 2][0]
        prev = [v for fn, _, v, _, _ in pb_fields(ch) if fn == 4]
        out[i["seq"]] = {"id": i["id"], "prev": prev[0] if prev else b""}
    return out


def own_tip(node, tmpdir):
    """(own seq, id of that change) of node: where its chain goes on."""
    seq = node.whoami()["own_seq"]
    if seq == 0:
        return 0, b""
    return seq, bytes.fromhex(own_chain(node, tmpdir)[seq]["id"])


# -- observing a node --------------------------------------------------------

def snap(n, case=None, scope=None):
    """Everything that must not move: digest (and digest --scope) text,
    whoami counters and show --json text, byte for byte."""
    w = n.whoami()
    s = {"digest": n.run("digest"),
         "counters": {k: w[k] for k in COUNTERS}}
    if scope is not None:
        s["scope"] = n.run("digest", "--scope", scope)
    if case is not None:
        r = n.call("show", case, "--json")
        s["show"] = (r.rc, r.out, r.err)
    return s


def bumped(s, **delta):
    """s with counters moved by delta (e.g. rejects=1)."""
    out = dict(s)
    out["counters"] = dict(s["counters"])
    for k, d in delta.items():
        out["counters"][k] += d
    return out


def write_file(tree_or_base, name, envs):
    f = tree_or_base.file(name)
    write_feed(f, envs)
    return f


def import_json(n, f):
    r = n.call("import", f, "--json")
    return r, {k: r.json[k] for k in IMPORT_KEYS} if r.out else None


def counts(applied=0, duplicate=0, pending=0, rejected=0, released=0):
    return {"applied": applied, "duplicate": duplicate, "pending": pending,
            "rejected": rejected, "released": released}


def new_rejects(before, after):
    """Rejects in after that were not in before; before's are all kept."""
    for e in before:
        assert e in after, (e, after)
    return [e for e in after if e not in before]


def assert_rejected(tree, n, env, reason, code, case=None, scope=None,
                    decoded=True):
    """Imports env alone at n: exit 1, the exact stderr, one new reject
    with reason and code, and nothing else moved."""
    before = snap(n, case, scope)
    rej0 = n.rejects()
    f = write_file(tree, "bad", [env])
    r, c = import_json(n, f)
    ident = change_id(env) if decoded else envelope_hash(env)
    assert (r.rc, c) == (1, counts(rejected=1)), r
    assert r.err == REJECTED_ERR % (ident[:16], reason), r
    new = new_rejects(rej0, n.rejects())
    assert len(new) == 1, new
    keys = ("change", "envelope", "code", "reason")
    assert {k: new[0][k] for k in keys} == {
        "change": ident, "envelope": envelope_hash(env), "code": code,
        "reason": reason}, new
    assert snap(n, case, scope) == bumped(before, rejects=1)
    # The same bytes again are a duplicate of the reject: nothing moves.
    r, c = import_json(n, f)
    assert (r.rc, r.err, c) == (0, "", counts(duplicate=1)), r
    assert snap(n, case, scope) == bumped(before, rejects=1)


def village_case(tree):
    """xiazhai's case, held by xiazhai and its town cuimu."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE, desc="下寨村三组王家与李家因界桩争执。")
    tree.move(x, t)
    return case


# -- file items (conftest.tree: the whole test county, by files) -------------

def test_forged_signature(tree):
    """A village change with one signature byte flipped: rejected "bad
    signature"; the genuine bytes are applied afterwards."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    genuine = x.act("progress", case, note="真实的进展")
    f = tree.file("x-to-t")
    x.export(f, for_=t.path, since=tree.upto[(x.path, t.path)])
    _, recs = read_feed(f)
    mine = [r for r in recs if envelope_info(r)["id"] == genuine]
    assert len(mine) == 1
    forged = flip_sig_byte(mine[0])
    assert change_id(forged) == genuine      # same change, bad signature
    assert_rejected(tree, t, forged, "bad signature", EBADSIG, case=case,
                    scope=x.path)
    # The forgery does not block the genuine change.
    before = snap(t)
    r, c = import_json(t, write_file(tree, "genuine", mine))
    assert (r.rc, c) == (0, counts(applied=1)), r
    assert snap(t)["counters"] == bumped(before, changes=1,
                                         feed_seq=1)["counters"]
    assert t.show(case) == x.show(case)


def test_unenrolled_key_is_held_pending(tree):
    """A valid signature by a key nobody enrolled, signing as xiazhai: held
    as pending (DESIGN §3: stored, not folded, not forwarded); the set of
    changes, the feed and every case stay as they were."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    stranger = Signer(path=x.path)
    sc = new_case_id(x.path)
    envs = [stranger.make("report", report_body("冒名上报"), case=sc,
                          advance=True),
            stranger.make("progress", pb(1, "冒名进展"), case=case)]
    for env in envs:
        before = snap(t, case, x.path)
        rej0 = t.rejects()
        f = write_file(tree, "stranger", [env])
        r, c = import_json(t, f)
        assert (r.rc, r.err, c) == (0, "", counts(pending=1)), r
        assert snap(t, case, x.path) == bumped(before, pending=1)
        assert t.rejects() == rej0
        r = t.call("show", sc, "--json")
        assert (r.rc, r.out, r.err) == (
            1, "", "gridnode show: no case %s on this node\n" % sc), r
        # Held changes are duplicates when they come again.
        r, c = import_json(t, f)
        assert (r.rc, r.err, c) == (0, "", counts(duplicate=1)), r
        assert snap(t, case, x.path) == bumped(before, pending=1)
    # Not forwarded: the town's export for the county or the village does
    # not carry them.
    for to in ("qianyang", x.path):
        ef = tree.file("t-all")
        t.export(ef, for_=to)
        ids = {envelope_info(e)["id"] for e in read_feed(ef)[1]}
        assert not ids & {change_id(e) for e in envs}


def test_revoked_key_change_is_void(tree):
    """The town revokes xiazhai's key after seq N; xiazhai, not knowing,
    signs seq N+1. Apply stores it (DESIGN §3: revocation is the fold's),
    the fold voids it: flag "revoked", and the case is otherwise
    unchanged."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    n = x.whoami()["own_seq"]
    t.run("revoke", x.key, "--after-seq", str(n), "--reason", "终端丢失")
    late = x.act("resolve", case, outcome="mediated", note="吊销后的办结")
    before = snap(t, case)
    s0 = t.show(case)
    f = tree.file("x-all")
    x.export(f)
    env = [e for e in read_feed(f)[1] if change_id(e) == late]
    r, c = import_json(t, write_file(tree, "late", env))
    assert (r.rc, r.err, c) == (0, "", counts(applied=1)), r
    after = snap(t, case)
    assert after["digest"] != before["digest"]
    assert after["counters"] == bumped(before, changes=1,
                                       feed_seq=1)["counters"]
    s1 = t.show(case)
    entry = s1["timeline"][-1]
    assert (entry["change"], entry["kind"], entry["flag"], entry["reason"],
            entry["signer"]) == (late, "resolve", "revoked",
                                 "signer's key was revoked before this "
                                 "change", x.path), entry
    assert s1["timeline"][:-1] == s0["timeline"]
    assert {k: v for k, v in s1.items() if k != "timeline"} == \
        {k: v for k, v in s0.items() if k != "timeline"}
    assert (s1["status"], s1["outcome"]) == ("open", "unset")


def _progress_on_other_village(tree, case):
    return (Signer(tree["shangzhai"], tmpdir=tree.base).make(
        "progress", pb(1, "隔壁村来插手"), case=case),
        "signer can never see this case")


def _village_dispatch(tree, case):
    return (Signer(tree["xiazhai"], tmpdir=tree.base).make(
        "dispatch", pb(1, "qianyang/cuimu/@police"), case=case),
        "only a town or county above the owner may dispatch")


def _town_ack(tree, case):
    return (Signer(tree["cuimu"], tmpdir=tree.base).make(
        "ack", pb(1, "镇里冒充部门报到"), case=case),
        "only a department above the owner may report in")


def _other_towns_village_reports(tree, case):
    return (Signer(tree["dongcun"], tmpdir=tree.base).make(
        "report", report_body("外镇村冒报"), case=new_case_id(
            "qianyang/cuimu/xiazhai")),
        "only the owner village or an ancestor may report a case")


@pytest.mark.parametrize("make", [
    _progress_on_other_village, _village_dispatch, _town_ack,
    _other_towns_village_reports,
], ids=["village-on-other-villages-case", "village-dispatches",
        "town-acks", "other-towns-village-reports"])
def test_outside_authority_rejected(tree, make):
    """What a signer path can never do is rejected at apply, with the
    authority table's reason (docs/security.md §1.2)."""
    case = village_case(tree)
    env, why = make(tree, case)
    assert_rejected(tree, tree["cuimu"], env, why, EAUTH, case=case,
                    scope="qianyang/cuimu/xiazhai")


@pytest.mark.parametrize("dispatched_to", [None, "qianyang/cuimu/@fire"],
                         ids=["not-dispatched", "dispatched-elsewhere"])
def test_department_ack_not_dispatched(tree, dispatched_to):
    """@police acks a case not dispatched to it: a state rule, so not an
    apply reject (DESIGN §3, order-independence): stored, flagged conflict
    with the fold's reason, changes nothing; and a node that gets the same
    changes in another order folds the same case."""
    x, t, p, c = tree["xiazhai"], tree["cuimu"], tree["@police"], \
        tree["qianyang"]
    case = village_case(tree)
    why = "case is not dispatched"
    if dispatched_to is not None:
        tree.add(dispatched_to)
        x.act("whistle", case, reason="村里调解不了")
        tree.move(x, t)
        t.act("dispatch", case, to=dispatched_to)
        why = "signer was not dispatched this case"
    s0 = t.show(case)
    # Stamped after everything the case holds: only the state decides.
    last = max(e["hlc"] for e in s0["timeline"])
    ack = Signer(p, tmpdir=tree.base).make("ack", pb(1, "派出所报到"),
                                           case=case, hlc=last + (1 << 16))
    before = snap(t, case)
    f = write_file(tree, "ack", [ack])
    r, cnt = import_json(t, f)
    assert (r.rc, r.err, cnt) == (0, "", counts(applied=1)), r
    assert snap(t, case)["counters"] == bumped(before, changes=1,
                                               feed_seq=1)["counters"]
    s1 = t.show(case)
    e = s1["timeline"][-1]
    assert (e["change"], e["kind"], e["signer"], e["flag"], e["reason"]) == (
        change_id(ack), "ack", p.path, "conflict", why), e
    assert s1["timeline"][:-1] == s0["timeline"]
    assert s1["conflicts"] == s0["conflicts"] + 1
    rest = ("timeline", "conflicts")
    assert {k: v for k, v in s1.items() if k not in rest} == \
        {k: v for k, v in s0.items() if k not in rest}
    # Order independence: the county gets the ack first (its signer not
    # known yet: held), then everything else at once; same fold.
    r, cnt = import_json(c, f)
    assert cnt == counts(pending=1), r
    af = tree.file("t-all")
    t.export(af)
    r, cnt = import_json(c, af)
    assert (r.rc, cnt["pending"], cnt["rejected"], cnt["released"]) == (
        0, 0, 0, 1), r
    assert c.show(case) == s1
    assert c.digest(scope=case) == t.digest(scope=case)


def test_replayed_change(tree):
    """The same changes again, by the same file and by a new file holding
    one of them: duplicates, nothing moves."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE)
    x.act("progress", case, note="第一次调解")
    f = tree.file("x-to-t")
    x.export(f, for_=t.path)
    _, recs = read_feed(f)
    r, c = import_json(t, f)
    assert (r.rc, c) == (0, counts(applied=2, duplicate=len(recs) - 2)), r
    before = snap(t, case, x.path)
    r, c = import_json(t, f)
    assert (r.rc, r.err, c) == (0, "", counts(duplicate=len(recs))), r
    assert snap(t, case, x.path) == before
    one = write_file(tree, "replay-one", [recs[-1]])
    r, c = import_json(t, one)
    assert (r.rc, r.err, c) == (0, "", counts(duplicate=1)), r
    assert snap(t, case, x.path) == before


@pytest.mark.parametrize("name", ["truncated-record", "length-32769",
                                  "length-beyond-end", "bad-magic",
                                  "short-header"])
def test_broken_file_framing(tree, name):
    """An export file whose framing is broken is refused whole, with
    exit 1 and one sentence; a valid record in front is not applied."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE)
    f = tree.file("x-to-t")
    x.export(f, for_=t.path)
    data = Path(f).read_bytes()
    _, recs = read_feed(f)
    good = recs[-1]
    head = FEED_MAGIC + struct.pack(">Q", 0)
    rec = struct.pack(">I", len(good)) + good
    bad = {
        "truncated-record": head + rec + rec[:-7],
        "length-32769": head + rec + struct.pack(">I", RECORD_MAX_BYTES + 1) +
        bytes(RECORD_MAX_BYTES + 1),
        "length-beyond-end": head + rec + struct.pack(">I", 1000) + good,
        "bad-magic": b"GSFEED02" + data[8:],
        "short-header": data[:12],
    }[name]
    before = snap(t, case, x.path)
    rej0 = t.rejects()
    bf = tree.file(name)
    Path(bf).write_bytes(bad)
    r = t.call("import", bf, "--json")
    assert (r.rc, r.out, r.err) == (1, "", NOT_A_FEED % bf), r
    assert snap(t, case, x.path) == before
    assert t.rejects() == rej0
    assert before["show"][0] == 1          # the good record was not applied


def test_oversized_change_in_a_record(tree):
    """A record within 32768 bytes whose change is over 32512 bytes
    (GS_CHANGE_MAX_BYTES): framed, then rejected as malformed."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    s = Signer(x, tmpdir=tree.base)
    env = s.make("progress", pb(1, "x" * 32400), case=case)
    ch = [v for fn, _, v, _, _ in pb_fields(env) if fn == 2][0]
    assert 32512 < len(ch) and len(env) <= RECORD_MAX_BYTES, (len(ch),
                                                              len(env))
    assert_rejected(tree, t, env, "malformed envelope: " + EBADMSG, EBADMSG,
                    case=case, scope=x.path, decoded=False)


@pytest.mark.parametrize("field", [
    "title", "description", "grid", "reporter", "category", "actor",
    "progress-note", "return-reason", "notice-title",
])
def test_field_over_its_bound(tree, field):
    """Each field one byte over its bound (titles 200, texts 4000, names 64
    bytes: include/gs/change.h), counted in UTF-8 bytes, hand-signed by the
    field's legitimate signer: rejected with the field named."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    sx, st = Signer(x, tmpdir=tree.base), Signer(t, tmpdir=tree.base)
    han = "界"                  # 3 bytes in UTF-8

    def over(cap):               # cap + 1 bytes, mostly Chinese
        return han * (cap // 3) + "x" * (cap % 3 + 1)

    nc = new_case_id(x.path)
    env, why = {
        "title": (sx.make("report", report_body(over(200)), case=nc),
                  "title too long"),
        "description": (sx.make("report", report_body(desc=over(4000)),
                                case=nc), "description too long"),
        "grid": (sx.make("report", report_body(grid=over(64)), case=nc),
                 "grid too long"),
        "reporter": (sx.make("report", report_body(reporter=over(64)),
                             case=nc), "reporter too long"),
        "category": (sx.make("report", report_body(category="n" * 65),
                             case=nc), "category too long"),
        "actor": (sx.make("progress", pb(1, "进展"), case=case,
                          actor=over(64)), "actor too long"),
        "progress-note": (sx.make("progress", pb(1, over(4000)), case=case),
                          "note too long"),
        "return-reason": (st.make("return", pb(1, over(4000)), case=case),
                          "reason too long"),
        "notice-title": (st.make("notice", pb(1, over(200))),
                         "title too long"),
    }[field]
    assert_rejected(tree, t, env, why, EINVAL, case=case, scope=x.path)


def test_fields_at_their_bound_are_accepted(tree):
    """The bounds are inclusive: exactly 200 / 4000 / 64 bytes apply."""
    x, t = tree["xiazhai"], tree["cuimu"]
    sx = Signer(x, tmpdir=tree.base)
    nc = new_case_id(x.path)
    title = "界" * 66 + "xx"
    desc = "界" * 1333 + "x"
    env = sx.make("report", report_body(title, desc=desc, grid="g" * 64,
                                        reporter="界" * 21 + "x"),
                  case=nc, actor="a" * 64, advance=True)
    f = write_file(tree, "at-bound", [env])
    r, c = import_json(t, f)
    assert (r.rc, r.err, c) == (0, "", counts(applied=1)), r
    s = t.show(nc)
    assert (len(s["title"].encode()), len(s["description"].encode()),
            s["grid"], s["timeline"][0]["actor"]) == (200, 4000, "g" * 64,
                                                      "a" * 64)
    # Keep xiazhai's own chain whole (the tree's verify checks it there).
    assert import_json(x, f)[1] == counts(applied=1)


@pytest.mark.parametrize("raw", [
    b"\xff\xfe\xe5\x9d\x8f",           # bytes that never occur in UTF-8
    b"\xe5\x9d",                       # a 3-byte sequence cut short
    b"\xc0\xaf",                       # overlong '/'
    b"\xed\xa0\x80\xed\xb0\x80",       # a surrogate pair (CESU-8)
    b"\xf4\x90\x80\x80",               # above U+10FFFF
    b"\xe7\x95\x8c\x80",               # a stray continuation byte
    b"ab\x00cd",                       # NUL: would cut every C string short
], ids=["ff-fe", "cut-short", "overlong", "surrogates", "above-10ffff",
        "stray-continuation", "nul"])
def test_invalid_utf8(tree, raw):
    """A title that is not strict UTF-8 (change.c: RFC 3629): rejected
    "title is not valid UTF-8". A NUL inside would cut the C string the
    node shows short of what was signed: the change does not pack back to
    the size it arrived in, and is rejected as not canonical."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    env = Signer(x, tmpdir=tree.base).make(
        "report", pb(1, "neighbor") + pb(2, raw), case=new_case_id(x.path))
    if b"\x00" in raw:
        assert_rejected(tree, t, env, "change is not in canonical form (a "
                        "NUL byte inside a text field?)", EBADMSG, case=case,
                        scope=x.path)
    else:
        assert_rejected(tree, t, env, "title is not valid UTF-8", EINVAL,
                        case=case, scope=x.path)


def test_far_future_clock(tree, monkeypatch):
    """A terminal 30 days ahead: its change is kept and folded as at its
    origin (same digest), but the town's clock does not follow it, and
    whoami names the origin (docs/security.md §4)."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = village_case(tree)
    start = now_ms()
    monkeypatch.setenv("GRIDNODE_NOW_MS", str(start + 30 * DAY_MS))
    far = x.report("时钟超前的终端上报")
    monkeypatch.delenv("GRIDNODE_NOW_MS")
    far_ms = x.show(far)["timeline"][0]["hlc"] >> 16
    assert far_ms >= start + 30 * DAY_MS
    before = snap(t, case)
    assert tree.move(x, t) == counts(applied=1)
    after = snap(t, case)
    assert after["show"] == before["show"]
    assert after["counters"] == dict(
        bumped(before, changes=1, feed_seq=1, cases=1)["counters"],
        clock_ahead=[{"origin": x.key, "path": x.path, "ms": far_ms}])
    assert t.show(far) == x.show(far)
    assert t.digest(scope=x.path) == x.digest(scope=x.path)
    assert ("时钟超前 clock  %s (key %s…) stamped a change " % (
        x.path, x.key[:16])) in t.run("whoami")
    # Not followed: the town's next change is stamped by its own clock.
    t.run("notice", "--title", "防火通知")
    ms = t.run("notices", json=True)[0]["hlc"] >> 16
    assert start <= ms <= now_ms() + 1000


# -- live items: a real daemon, spoken to over CURVE -------------------------

LIVE_PATHS = ("qianyang", "qianyang/cuimu", "qianyang/cuimu/xiazhai",
              "qianyang/cuimu/shangzhai")
FRAME_MAX = 16 << 20            # GS_SYNC_FRAME_MAX_BYTES, ZMQ_MAXMSGSIZE
FRAME_KINDS = {2: "hello", 3: "batch", 4: "ack", 5: "heartbeat", 6: "error"}


def sync_frame(field, body, version=1):
    return pv(1, version) + pm(field, body)


def hello_frame(path, epoch, feed_seq=0, your_epoch=b"", checkpoint=0,
                my_seq=0, your_seq=0, my_key=b"", version=1):
    return sync_frame(2, pb(1, path) + pb(2, epoch) + pv(3, feed_seq) +
                      pb(4, your_epoch) + pv(5, checkpoint) + pv(6, my_seq) +
                      pv(7, your_seq) + pb(8, my_key), version)


def batch_frame(epoch, frm, upto, envs, version=1):
    return sync_frame(3, pb(1, epoch) + pv(2, frm) + pv(3, upto) +
                      b"".join(pm(4, e) for e in envs), version)


def ack_frame(upto, rejected=0):
    return sync_frame(4, pv(1, upto) + pv(2, rejected))


def decode_frame(buf):
    """{"version", "kind", fields...}: fields by number; a batch's
    envelopes under "envelopes"."""
    out = {"version": 0, "kind": None}
    for f, _, v, _, _ in pb_fields(buf):
        if f == 1:
            out["version"] = v
        elif f in FRAME_KINDS:
            out["kind"] = FRAME_KINDS[f]
            out["envelopes"] = []
            for g, _, w, _, _ in pb_fields(v):
                if f == 3 and g == 4:
                    out["envelopes"].append(w)
                else:
                    out[g] = w
    return out


class Child:
    """A child end of a link, in Python: a DEALER with routing id = path,
    CURVE client keys from the Ed25519 secret sk, the parent's Curve key
    from its Ed25519 key, and a monitor. Speaks SyncFrames by hand."""

    def __init__(self, path, sk, parent_key, ep, sent):
        self.path = path
        self.key = sk[32:]
        self.epoch = os.urandom(16)   # this child's feed epoch
        self.upto = 0                 # our feed the parent has applied
        self.sent = sent              # envelopes sent in batches
        self.s = zmq.Context.instance().socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.setsockopt(zmq.ROUTING_ID, path.encode())
        self.s.setsockopt(zmq.CURVE_SECRETKEY, curve_secret(sk))
        self.s.setsockopt(zmq.CURVE_PUBLICKEY, curve_public(self.key))
        self.s.setsockopt(zmq.CURVE_SERVERKEY, curve_public(parent_key))
        self.mon = self.s.get_monitor_socket()
        self.s.connect(ep)

    def close(self):
        self.s.disable_monitor()
        self.mon.close(0)
        self.s.close(0)

    def event(self, want, timeout=5.0):
        """Waits for monitor event want; returns (event, value)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "no %s within %.1f s" % (want, timeout)
            if self.mon.poll(int(left * 1000) + 1):
                m = recv_monitor_message(self.mon)
                if m["event"] == want:
                    return m["event"], m["value"]

    def drain_events(self):
        while self.mon.poll(0):
            recv_monitor_message(self.mon)

    def send(self, buf, timeout=5.0):
        """Sends one frame; fails (zmq.Again) when no connection takes it
        within timeout."""
        if not self.s.poll(int(timeout * 1000), zmq.POLLOUT):
            raise zmq.Again("no connection to send on")
        self.s.send(buf, zmq.NOBLOCK, copy=False)

    def frames(self, seconds, batches=False):
        """The answers (frames but heartbeats, and but batches unless
        batches) received within seconds."""
        skip = ("heartbeat",) if batches else ("heartbeat", "batch")
        out, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.s.poll(int(left * 1000) + 1):
                return out
            f = decode_frame(self.s.recv())
            if f["kind"] not in skip:
                out.append(f)

    def expect(self, kind, timeout=5.0, dropped=False):
        """The next frame of kind, skipping heartbeats and batches. With
        dropped, a connection closed meanwhile fails at once."""
        deadline = time.monotonic() + timeout
        poller = zmq.Poller()
        poller.register(self.s, zmq.POLLIN)
        if dropped:
            poller.register(self.mon, zmq.POLLIN)
        while True:
            left = deadline - time.monotonic()
            ready = dict(poller.poll(int(left * 1000) + 1)) if left > 0 else {}
            assert ready, "no %s frame within %.1f s" % (kind, timeout)
            if self.mon in ready:
                m = recv_monitor_message(self.mon)
                assert m["event"] != zmq.EVENT_DISCONNECTED, \
                    "the parent closed the connection instead of sending %s" \
                    % kind
                continue
            f = decode_frame(self.s.recv())
            if f["kind"] == kind:
                return f
            assert f["kind"] in ("heartbeat", "batch"), f

    def hello(self, node, **kw):
        """Sends HELLO as node (marks: its own seq, our key); returns the
        parent's HELLO."""
        kw.setdefault("my_seq", node.whoami()["own_seq"])
        self.send(hello_frame(self.path, self.epoch, feed_seq=self.upto,
                              my_key=self.key, **kw))
        return self.expect("hello")

    def batch(self, envs, version=1):
        """Sends our next feed position as one batch of envs."""
        self.send(batch_frame(self.epoch, self.upto + 1, self.upto + 1, envs,
                              version))
        self.sent.extend(envs)

    def acked(self, f, rejected):
        assert (f["version"], f.get(1, 0), f.get(2, 0)) == (
            1, self.upto + 1, rejected), f
        self.upto += 1


class Live:
    """The live county of this module: the town cuimu's daemon runs; its
    villages xiazhai (spoken for by a Child) and shangzhai (revoked) have
    no daemon. cuimu holds one xiazhai case."""

    def __init__(self, base):
        self.lt = LiveTree(base, paths=LIVE_PATHS, timeout_ms=5000)
        self.lt.configure("qianyang/cuimu", rollup_seconds=0)
        self.x, self.t = self.lt["xiazhai"], self.lt["cuimu"]
        self.base = Path(base)
        self.nfiles = 0
        self.expected_faults = {}
        self.sent = []      # envelopes sent to cuimu over the link
        self.case = self.x.report(TITLE)
        self.move_x()
        s = self.lt["shangzhai"]
        self.t.run("revoke", s.key, "--after-seq", "0", "--reason", "终端丢失")
        self.lt.start("cuimu", links=False)
        self.d = self.lt.daemon("cuimu")
        self.sk = (Path(self.x.dir) / "node.key").read_bytes()

    def file(self, stem):
        self.nfiles += 1
        return str(self.base / ("%03d-%s.gsf" % (self.nfiles, stem)))

    def x_new(self):
        """xiazhai's envelopes for cuimu that cuimu does not hold."""
        f, g = self.file("x-to-t"), self.file("t-all")
        self.x.export(f, for_=self.t.path)
        self.t.export(g)
        held = {change_id(e) for e in read_feed(g)[1]}
        return [e for e in read_feed(f)[1] if change_id(e) not in held]

    def move_x(self):
        f = self.file("x-new")
        write_feed(f, self.x_new())
        r = self.t.import_(f)
        assert r["rejected"] == 0, r

    def child(self, path=None, sk=None):
        return Child(path or self.x.path, sk or self.sk,
                     bytes.fromhex(self.t.key), self.lt.endpoint_of("cuimu"),
                     self.sent)

    def session(self):
        """A Child as xiazhai with its session up."""
        c = self.child()
        c.event(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        c.hello(self.x)
        return c

    def snap(self, case=None):
        return snap(self.t, case or self.case, self.x.path)

    def up(self):
        """The daemon runs and answers a fresh session."""
        assert self.d.running(), self.d.log()[-2000:]
        c = self.session()
        c.close()

    def link(self):
        """cuimu's link record of xiazhai ({} before it is written)."""
        return link_of(self.t, self.x.path) or {}


@pytest.fixture(scope="module")
def live(gridnode):
    base = Path(tempfile.mkdtemp(prefix="gscat", dir="/tmp"))
    lv = Live(base)
    ok = False
    try:
        yield lv
        ok = True
    finally:
        problems = lv.lt.stop_all()
        try:
            assert not problems, "\n".join(problems)
            for n in lv.lt:
                r = n.call("verify", "--json")
                want = lv.expected_faults.get(n.path, [])
                assert (r.rc, r.json["faults"]) == (1 if want else 0, want), \
                    (n, r)
        except AssertionError:
            ok = False
            raise
        finally:
            if ok:
                shutil.rmtree(base, ignore_errors=True)
            else:
                print("kept %s; cuimu's log:\n%s" % (base, lv.d.log()[-3000:]),
                      file=sys.stderr)


def _refused(live, path, sk):
    """A child with key sk at path: the handshake fails with ZAP status
    400, nothing is answered, nothing moves, no link record appears."""
    before = live.snap()
    c = live.child(path, sk)
    try:
        assert c.event(zmq.EVENT_HANDSHAKE_FAILED_AUTH) == (
            zmq.EVENT_HANDSHAKE_FAILED_AUTH, 400)
        assert c.frames(0.3, batches=True) == []
    finally:
        c.close()
    assert live.snap() == before
    assert link_of(live.t, path) is None


def test_live_link_refuses_key(live):
    """Keys that are not an enrolled, unrevoked child of the town are
    refused at the CURVE handshake (docs/protocol.md §3.2, §10.8, §10.9):
    ZAP status 400 and the log line "refused a link from curve key …",
    at most once every 10 s; no frame reaches the engine."""
    line = ("warn gridnode: refused a link from curve key %s…: not an "
            "enrolled, unrevoked child of qianyang/cuimu\n")
    # A key nobody enrolled (the daemon's first refusal: logged).
    _, sk = keypair()
    m = live.d.mark()
    _refused(live, "qianyang/cuimu/ghost", sk)
    first = time.monotonic()
    assert live.d.log(m).count("refused a link") == 1, live.d.log(m)
    assert line % curve_public(sk[32:]).hex()[:16] in live.d.log(m)
    # shangzhai's key, enrolled and then revoked by the town.
    s = live.lt["shangzhai"]
    sk = (Path(s.dir) / "node.key").read_bytes()
    m = live.d.mark()
    _refused(live, s.path, sk)
    if time.monotonic() - first < 9:     # within the 10 s: not logged again
        assert "refused a link" not in live.d.log(m), live.d.log(m)
    else:
        assert line % curve_public(sk[32:]).hex()[:16] in live.d.log(m)
    live.up()


@pytest.mark.parametrize("name", ["truncated-hello", "junk", "empty",
                                  "no-body"])
def test_live_bad_frame(live, name):
    """A frame that is cut short, junk, empty or bodiless: the documented
    ERROR, the daemon stays up and nothing moves."""
    c = live.session()
    try:
        good = hello_frame(c.path, c.epoch, my_key=c.key)
        frame, code, reason, down = {
            "truncated-hello": (good[:-1], 4, "frame does not decode", False),
            "junk": (b"\xff" * 64, 4, "frame does not decode", False),
            # An empty message decodes as a SyncFrame of version 0.
            "empty": (b"", 10, "protocol version 0 not supported (this node "
                      "speaks 1)", True),
            "no-body": (pv(1, 1), 4, "frame has no body", False),
        }[name]
        before = live.snap()
        c.send(frame)
        e = c.expect("error")
        assert (e["version"], e.get(1), e.get(2)) == (1, code,
                                                      reason.encode()), e
        assert c.frames(0.3) == []
        # The sender of the ERROR records nothing, except for a version it
        # does not speak: the link goes down with the reason.
        want = (False, reason) if down else (True, "")
        wait_until(lambda: (live.link().get("connected"),
                            live.link().get("last_error")) == want, 3,
                   "cuimu's link record of xiazhai", detail=live.link)
        assert live.snap() == before
    finally:
        c.close()
    live.up()


def test_live_truncated_batch(live):
    """A BATCH cut inside its envelope does not decode: ERROR, nothing of
    it applied, no ACK; the whole batch afterwards is applied."""
    live.x.act("progress", live.case, note="截断前的进展")
    envs = live.x_new()
    assert len(envs) == 1
    c = live.session()
    try:
        before = live.snap()
        whole = batch_frame(c.epoch, c.upto + 1, c.upto + 1, envs)
        c.send(whole[:-10])
        e = c.expect("error")
        assert (e.get(1), e.get(2)) == (4, b"frame does not decode"), e
        assert c.frames(0.3) == []
        assert live.snap() == before
        c.batch(envs)
        c.acked(c.expect("ack"), 0)
        after = live.snap()
        assert after["counters"] == bumped(before, changes=1,
                                           feed_seq=1)["counters"]
        assert live.t.show(live.case) == live.x.show(live.case)
    finally:
        c.close()


def test_live_oversized_envelope_in_batch(live):
    """Envelopes over 32768 bytes, or cut short, inside a well-formed
    BATCH: each rejected on its own ("malformed envelope: …"), the batch
    ACKed with rejected = 2, counted in peers; nothing else moves."""
    c = live.session()
    try:
        assert live.x_new() == []
        genuine = live.x.act("progress", live.case, note="正常的进展")
        envs = live.x_new()
        assert [change_id(e) for e in envs] == [genuine]
        big = envs[0] + bytes(RECORD_MAX_BYTES + 1 - len(envs[0]))
        cut = envs[0][:-20]
        before = live.snap()
        rej0 = live.t.rejects()
        wait_until(lambda: live.link(), 3, "xiazhai's link record")
        l0 = live.link()["rejects_received"]
        c.batch([big, cut])
        c.acked(c.expect("ack"), 2)
        new = new_rejects(rej0, live.t.rejects())
        assert sorted((e["envelope"], e["change"], e["reason"]) for e in new) \
            == sorted([
                (envelope_hash(big), envelope_hash(big),
                 "malformed envelope: " + ETOOBIG),
                (envelope_hash(cut), envelope_hash(cut),
                 "malformed envelope: " + EBADMSG)])
        assert live.snap() == bumped(before, rejects=2)
        wait_until(lambda: live.link()["rejects_received"] == l0 + 2, 3,
                   "peers: rejects_received + 2")
        # The genuine envelope is still welcome.
        c.batch(envs)
        c.acked(c.expect("ack"), 0)
        assert live.t.show(live.case) == live.x.show(live.case)
    finally:
        c.close()


def _big_frame_dropped(live, size):
    c = live.session()
    try:
        before = live.snap()
        c.drain_events()
        c.send(b"\xff" * size)
        c.event(zmq.EVENT_DISCONNECTED)
        # libzmq reconnects; the daemon is still there and answers.
        c.event(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        assert live.d.running()
        c.hello(live.x)
        assert live.snap() == before
    finally:
        c.close()


def test_live_frame_over_16_mib(live):
    """A message of 16 MiB + 1 bytes: libzmq drops the connection
    (ZMQ_MAXMSGSIZE, docs/protocol.md §2.3); no ERROR, the daemon stays
    up, the child reconnects, nothing moves."""
    _big_frame_dropped(live, FRAME_MAX + 1)


def test_live_frame_of_exactly_16_mib(live):
    """docs/protocol.md §4.1: only a frame *longer* than 16 MiB is over the
    limit; a 16 MiB frame of junk reaches the engine and is answered
    ERROR "frame does not decode", on the same connection."""
    c = live.session()
    try:
        before = live.snap()
        c.drain_events()
        c.send(b"\xff" * FRAME_MAX)
        e = c.expect("error", timeout=5, dropped=True)
        assert (e.get(1), e.get(2)) == (4, b"frame does not decode"), e
        assert live.snap() == before
    finally:
        c.close()
    live.up()


def test_live_unknown_protocol_version(live):
    """A BATCH of version 2 carrying a genuine change: ERROR code 10 with
    the documented reason, the link marked down with it, nothing applied;
    the same batch at version 1 then applies."""
    sc = live.x.report("版本测试的上报")
    envs = live.x_new()
    assert len(envs) == 1
    c = live.session()
    try:
        before = live.snap(sc)
        assert before["show"][0] == 1
        c.batch(envs, version=2)
        e = c.expect("error")
        reason = "protocol version 2 not supported (this node speaks 1)"
        assert (e["version"], e.get(1), e.get(2)) == (1, 10, reason.encode())
        assert c.frames(0.3) == []
        wait_until(lambda: live.link().get("connected") is False, 3,
                   "the link marked down")
        assert live.link()["last_error"] == reason
        assert live.snap(sc) == before
        # An ERROR of another version is neither answered nor recorded.
        c.send(sync_frame(6, pv(1, 10) + pb(2, "v2 error"), version=2))
        assert c.frames(0.5) == []
        assert live.link()["last_error"] == reason
        # Version 1: the same change applies.
        c.hello(live.x)
        c.batch(envs)
        c.acked(c.expect("ack"), 0)
        assert live.t.show(sc) == live.x.show(sc)
    finally:
        c.close()


def test_live_replayed_batch(live):
    """A batch sent again, and a new batch carrying a change the town
    already holds: ACKed, counted as nothing, nothing moves."""
    sc = live.x.report("重放测试")
    envs = live.x_new()
    assert len(envs) == 1
    c = live.session()
    try:
        c.batch(envs)
        c.acked(c.expect("ack"), 0)
        before = live.snap(sc)
        # The same batch (same positions) again: re-ACKed, not applied.
        c.send(batch_frame(c.epoch, c.upto, c.upto, envs))
        f = c.expect("ack")
        assert (f.get(1), f.get(2, 0)) == (c.upto, 0), f
        # A new position carrying the same change: a duplicate.
        c.batch(envs)
        c.acked(c.expect("ack"), 0)
        assert live.snap(sc) == before
    finally:
        c.close()


def test_live_hello_checkpoint_beyond_feed(live):
    """The child's HELLO claims a checkpoint K of the town's feed beyond
    its L entries (same epoch): the town resends from 0 and says
    "neighbour claimed checkpoint K beyond our feed L; resending from 0";
    what arrives is every change the village may hold, each once; the
    town's store does not move."""
    c = live.session()
    try:
        h = c.hello(live.x)
        epoch, L = h[2], h.get(3, 0)
        assert L == live.t.whoami()["feed_seq"]
        before = live.snap()
        c.frames(0.3, batches=True)
        k = L + 5
        c.send(hello_frame(c.path, c.epoch, feed_seq=c.upto, your_epoch=epoch,
                           checkpoint=k, my_seq=live.x.whoami()["own_seq"],
                           my_key=c.key))
        c.expect("hello")
        got, frm = [], 1
        deadline = time.monotonic() + 10
        while frm <= L:
            assert time.monotonic() < deadline, (frm, L)
            b = c.expect("batch")
            assert b.get(2) == frm, b            # resent from position 1
            got += b["envelopes"]
            frm = b[3] + 1
            c.send(ack_frame(b[3]))
        assert frm == L + 1
        want = "neighbour claimed checkpoint %d beyond our feed %d; " \
            "resending from 0" % (k, L)
        wait_until(lambda: live.link().get("last_error") == want, 3,
                   "peers last_error", detail=live.link)
        assert live.link()["connected"] is True
        # Each change once, and exactly what the village may hold, less
        # what came from this link (never back to its source).
        ids = [change_id(e) for e in got]
        assert len(ids) == len(set(ids))
        f = live.file("t-for-x")
        live.t.export(f, for_=live.x.path)
        mine = set()
        for e in c.sent:
            try:
                mine.add(change_id(e))
            except Exception:      # the junk of the oversized-envelope test
                pass
        assert set(ids) == {change_id(e) for e in read_feed(f)[1]} - mine
        assert live.snap() == before
        # An honest HELLO afterwards: nothing to resend, the message goes.
        c.send(hello_frame(c.path, c.epoch, feed_seq=c.upto, your_epoch=epoch,
                           checkpoint=L, my_seq=live.x.whoami()["own_seq"],
                           my_key=c.key))
        c.expect("hello")
        assert c.frames(0.5, batches=True) == []
        wait_until(lambda: live.link().get("last_error") == "", 3,
                   "last_error cleared", detail=live.link)
    finally:
        c.close()


def test_live_equivocating_origin(live):
    """xiazhai's key signs a second, different change under a seq the town
    already holds (imported by file): both are kept as evidence; whoami
    "forks", peers "forked_seq" and verify (exit 1) name the origin and the
    seq. Runs last in this module: the town stays forked."""
    x, t = live.x, live.t
    live.session().close()             # a link record for xiazhai exists
    live.move_x()                      # the town holds all of xiazhai's
    chain = own_chain(x, live.base)
    k = max(chain)
    # The twin: same seq and prev as the genuine change, other content.
    twin = Signer(x, tmpdir=live.base).make(
        "report", report_body("同一序号的第二条变更"), case=new_case_id(x.path),
        seq=k, prev=chain[k]["prev"])
    assert change_id(twin) != chain[k]["id"]
    before = live.snap()
    r, c = import_json(t, write_file(live, "twin", [twin]))
    assert (r.rc, r.err, c) == (0, "", counts(applied=1)), r
    fork = [{"origin": x.key, "path": x.path, "seq": k}]
    assert live.snap()["counters"] == dict(
        bumped(before, changes=1, feed_seq=1, cases=1)["counters"],
        forks=fork)
    f = live.file("t-all")
    t.export(f)
    held = {change_id(e) for e in read_feed(f)[1]}
    assert {chain[k]["id"], change_id(twin)} <= held
    fault = "origin %s: fork at seq %d (two changes)" % (x.key, k)
    r = t.call("verify", "--json")
    assert (r.rc, r.json["ok"], r.json["faults"]) == (1, False, [fault]), r
    live.expected_faults[t.path] = [fault]
    assert ("分叉 fork      %s (key %s…) signed two different changes as "
            "seq %d; both are kept ('gridnode verify' lists them)\n" % (
                x.path, x.key[:16], k)) in t.run("whoami")
    wait_until(lambda: live.link(), 3, "xiazhai's link record")
    assert live.link()["forked_seq"] == k
    assert [p["forked_seq"] for p in t.run("peers", json=True)
            if p["path"] != x.path] == [0]
