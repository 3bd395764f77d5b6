"""Hostile input: import files crafted to hurt, and text made to hurt a
terminal.

Each import file is refused with exit 1 and the exact message on stderr;
the node's set of changes (`digest --json`) does not move, and the node
still answers afterwards. A file whose framing is broken is refused whole
(docs/cli.md, "File transfer"): a valid record in front of the bad one is
not applied either.
"""

import hashlib
import random
import struct

import pytest

from gridsync import FEED_MAGIC, RECORD_MAX_BYTES, envelope_info, read_feed

SEED = 20261124
IMPORT_KEYS = ("applied", "duplicate", "pending", "rejected", "released")
REPORT_USAGE = ("usage: gridnode report --data DIR --category KEY --title T "
                "[--desc D] [--grid G] [--reporter R] "
                "[--severity simple|complex|hard] [--for PATH [--subtree]]\n")
NOT_A_FEED = ("gridnode import: %s is not a gridsync export file or is "
              "truncated; nothing was imported\n")
MALFORMED = ("malformed envelope: The bytes do not decode as the expected "
             "message.")


def frame(records, upto=0, lengths=None):
    """A feed of records; lengths, when given, overrides each record's
    length header (None keeps the true length)."""
    out = bytearray(FEED_MAGIC + struct.pack(">Q", upto))
    for i, r in enumerate(records):
        n = len(r) if lengths is None or lengths[i] is None else lengths[i]
        out += struct.pack(">I", n) + r
    return bytes(out)


def observed(n):
    """What a refused import must leave alone."""
    w = n.whoami()
    return (n.run("digest", json=True), n.case_ids(), w["changes"],
            w["pending"], w["feed_seq"])


def a_village_record(tree):
    """One genuine envelope the town does not hold: xiazhai's report (the
    last record of its export, after the Member chain the town holds)."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report("宅基地边界纠纷", category="neighbor")
    f = tree.file("x-to-t")
    x.export(f, for_=t.path)
    upto, recs = read_feed(f)
    info = envelope_info(recs[-1])
    assert (info["kind"], info["case"]) == ("report", case), info
    return case, recs[-1]


def good_alone_applies(tree, good):
    """The good record alone is applied: the bad one was the reason."""
    t = tree["cuimu"]
    f = tree.file("good-alone")
    open(f, "wb").write(frame([good]))
    r = t.import_(f)
    assert {k: r[k] for k in IMPORT_KEYS} == {
        "applied": 1, "duplicate": 0, "pending": 0, "rejected": 0,
        "released": 0}, r


def refused_whole(tree, name, data):
    """Writes data, imports it at the town, and checks the refusal."""
    t = tree["cuimu"]
    before = observed(t)
    rej0 = t.rejects()
    f = tree.file(name)
    open(f, "wb").write(data)
    r = t.call("import", f, "--json")
    assert (r.rc, r.out) == (1, ""), r
    assert r.err == NOT_A_FEED % f, r
    assert observed(t) == before
    assert t.rejects() == rej0
    assert t.whoami()["path"] == t.path
    return t


def test_zero_record_length(tree):
    case, good = a_village_record(tree)
    t = refused_whole(tree, "zero-length", frame([good, b""]))
    assert not t.holds(case)      # the good record in front is not applied
    good_alone_applies(tree, good)
    assert t.holds(case)


def test_record_length_32769(tree):
    case, good = a_village_record(tree)
    big = bytes(RECORD_MAX_BYTES + 1)   # all there: too long, not truncated
    data = frame([good, big])
    assert len(data) == 16 + 4 + len(good) + 4 + 32769
    t = refused_whole(tree, "len-32769", data)
    assert not t.holds(case)
    good_alone_applies(tree, good)
    assert t.holds(case)


def junk_import(tree, name, junk):
    """Imports one frame of junk at the town: framing is fine, so the
    envelope is judged and rejected on its own."""
    t = tree["cuimu"]
    before = observed(t)
    w0 = t.whoami()
    f = tree.file(name)
    open(f, "wb").write(frame([junk]))
    ehash = hashlib.blake2b(junk, digest_size=32).hexdigest()
    r = t.call("import", f, "--json")
    assert r.rc == 1, r
    assert {k: r.json[k] for k in IMPORT_KEYS} == {
        "applied": 0, "duplicate": 0, "pending": 0, "rejected": 1,
        "released": 0}, r
    assert r.err == (
        "gridnode import: rejected %s…: %s\n"
        "gridnode import: 1 changes were rejected (the rest was applied); "
        "'gridnode rejects' lists them with reasons\n" % (ehash[:16],
                                                          MALFORMED)), r
    assert observed(t) == before
    rej = [e for e in t.rejects() if e["change"] == ehash]
    assert len(rej) == 1, t.rejects()
    assert rej[0]["envelope"] == ehash   # it never decoded: named by hash
    assert rej[0]["reason"].startswith("malformed envelope")
    assert rej[0]["reason"] == MALFORMED
    w = t.whoami()
    assert w["rejects"] == w0["rejects"] + 1
    # The same junk again is a duplicate of the reject, not a new one.
    r = t.call("import", f, "--json")
    assert (r.rc, r.err) == (0, ""), r
    assert {k: r.json[k] for k in IMPORT_KEYS} == {
        "applied": 0, "duplicate": 1, "pending": 0, "rejected": 0,
        "released": 0}, r
    assert t.whoami()["rejects"] == w["rejects"]
    assert observed(t) == before
    return t


def test_random_bytes_in_a_valid_frame(tree):
    rng = random.Random(SEED)
    junk_import(tree, "junk", bytes(rng.randrange(256) for _ in range(200)))


def test_record_of_exactly_32768_bytes_is_framed(tree):
    """The cap is 32768 inclusive: such a record is framed and judged (and
    junk of that size rejected on its own), unlike 32769."""
    rng = random.Random(SEED + 1)
    junk_import(tree, "junk-32768",
                bytes(rng.randrange(256) for _ in range(RECORD_MAX_BYTES)))


def test_title_with_terminal_escape_codes(tree):
    x = tree["xiazhai"]
    before = observed(x)
    w0 = x.whoami()
    r = x.call("report", "--category", "neighbor", "--title", "\x1b[2J恶意")
    assert r.rc == 2, r
    assert r.out == ""
    assert r.err == ("gridnode report: --title: contains control "
                     "characters\n" + REPORT_USAGE), r
    assert observed(x) == before
    assert x.list() == []
    assert x.whoami()["own_seq"] == w0["own_seq"]


@pytest.mark.parametrize("field, text", [
    ("title", "\x1b]0;恶意标题\x07"),      # OSC: sets the terminal's title
    ("title", "恶意\x7f"),                  # DEL
    ("title", "恶意\u009b2J"),              # C1 CSI, a one-character ESC [
    ("title", "第一行\r覆盖"),              # carriage return overwrites
    ("desc", "正文\x1b[8m隐藏"),
    ("grid", "三组\x1b[0m"),
    ("reporter", "王\x08李"),                # backspace
], ids=["title-osc", "title-del", "title-c1-csi", "title-cr", "desc-esc",
        "grid-esc", "reporter-backspace"])
def test_control_characters_refused(tree, field, text):
    x = tree["xiazhai"]
    before = observed(x)
    args = {"title": "路灯不亮", field: text}
    r = x.call("report", "--category", "other", "--title", args["title"],
               *([] if field == "title" else ["--" + field, text]))
    assert r.rc == 2, r
    assert r.err == ("gridnode report: --%s: contains control characters\n"
                     % field + REPORT_USAGE), r
    assert observed(x) == before


def test_tab_and_newline_are_text(tree):
    """Tab and newline are the two control characters text may hold."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report("院墙\t界桩", category="neighbor",
                    desc="第一次调解：\n双方未达成一致。")
    tree.move(x, t)
    s = t.show(case)
    assert (s["title"], s["description"]) == ("院墙\t界桩",
                                              "第一次调解：\n双方未达成一致。")
    assert s == x.show(case)
