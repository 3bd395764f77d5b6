"""Convergence: the same set of changes gives the same state in any order.

A change set is made on real nodes (county, town cuimu, villages xiazhai
and shangzhai, cuimu/@police): a full dispute life cycle, a concurrent
double resolve (exactly one conflict), a department that acts (its Member
can arrive after its changes), and a Revoke of shangzhai's key after it
wrote more changes than the revocation point. Every envelope is collected
with `export --all` from every node, and fresh observer nodes import them
shuffled, split into files at random cut points, some files twice. Every
trial must end in exactly the state of importing them in natural order.
"""

import random
import shutil

import pytest

from gridsync import Node, Tree, envelope_info, read_feed, write_feed

SEED = 20240917
TRIALS = 30
PATHS = (
    "qianyang",
    "qianyang/cuimu",
    "qianyang/cuimu/xiazhai",
    "qianyang/cuimu/shangzhai",
    "qianyang/cuimu/@police",
)
IMPORT_KEYS = ("applied", "duplicate", "pending", "rejected", "released")


class ChangeSet:
    pass


@pytest.fixture(scope="module")
def cs(gridnode, tmp_path_factory):
    base = tmp_path_factory.mktemp("convergence")
    tree = Tree(base / "county", PATHS)
    x, s, t, p = (tree["xiazhai"], tree["shangzhai"], tree["cuimu"],
                  tree["@police"])
    out = ChangeSet()
    out.tree, out.base = tree, base

    # A full life cycle.
    a = x.report("宅基地边界纠纷", category="neighbor",
                 desc="王家与李家因院墙界址争执", severity="complex")
    x.act("whistle", a, reason="村内调解未果")
    tree.move(x, t)
    t.act("dispatch", a, to="@police", ack_hours=1, resolve_hours=72)
    tree.move(t, p)
    p.act("ack", a, note="已到现场")
    p.act("resolve", a, outcome="mediated", note="双方同意以原界桩为准")
    tree.relay(p, t, x)
    x.act("followup", a, satisfaction="satisfied", note="两户均满意")
    tree.relay(x, t, p)

    # A concurrent double resolve: the police resolve, and before the town
    # has imported that, the town (the case's level) resolves too. The
    # later one by the fold's order is the one conflict.
    b = x.report("债务纠纷：借款三万元逾期未还", category="debt")
    x.act("whistle", b)
    tree.move(x, t)
    t.act("dispatch", b, to="@police")
    tree.move(t, p)
    p.act("ack", b)
    tree.move(p, t)
    p.act("resolve", b, outcome="solved", note="已当面还清")
    t.act("resolve", b, outcome="referred", note="移交法院")
    tree.move(p, t)
    tree.relay(t, p)
    tree.relay(t, x)

    # A revoked terminal: shangzhai writes three changes, the town accepts
    # them, then revokes the key after the first (the terminal was lost
    # after it sent the report).
    k = s.whoami()["own_seq"]
    c = s.report("村道积水影响通行", category="environment")
    s.act("progress", c, note="已联系施工队")
    s.act("whistle", c, reason="需镇里协调资金")
    assert s.whoami()["own_seq"] == k + 3
    tree.move(s, t)
    assert t.show(c)["level"] == t.path
    t.run("revoke", s.key, "--after-seq", k + 1, "--reason", "终端丢失")
    tree.move(t, s)
    tree.move(t, x)
    tree.move(t, p)
    tree.move(t, "qianyang")

    out.cases = {"lifecycle": a, "conflict": b, "revoked": c}
    out.revoked_after = k + 1

    # Every envelope any node holds, first appearance wins: the town's
    # feed is the natural (causal) order.
    seen, recs = set(), []
    for n in (t, tree["qianyang"], x, s, p):
        f = tree.file("all-" + n.name)
        n.export(f)
        for r in read_feed(f)[1]:
            if r not in seen:
                seen.add(r)
                recs.append(r)
    out.records = recs
    out.infos = [envelope_info(r) for r in recs]
    out.keys = {n.path: n.key for n in tree}
    out.town_digest = t.digest()
    out.town_cases = {i: t.show(i) for i in t.case_ids()}
    yield out
    tree.verify_all()
    shutil.rmtree(base, ignore_errors=True)


def observer(cs, name):
    n = Node(cs.base / name, "qianyang/cuimu")
    n.init(root_key=cs.tree.root_key)
    return n


def snapshot(n):
    ids = n.case_ids()
    return {
        "digest": n.run("digest", json=True),
        "list": sorted(n.list(), key=lambda c: c["id"]),
        "cases": {i: n.show(i) for i in ids},
        "pending": n.whoami()["pending"],
    }


def import_all(n, files):
    """Imports files in order; returns the per-import counts."""
    res = []
    for f in files:
        r = n.import_(f)
        res.append({k: r[k] for k in IMPORT_KEYS})
        assert r["rejected"] == 0, (f, r)
    return res


def check_case_flags(cs, snap):
    cases = snap["cases"]
    assert sorted(cases) == sorted(cs.cases.values())
    a = cases[cs.cases["lifecycle"]]
    assert a["status"] == "closed"
    assert a["conflicts"] == 0
    assert [e["flag"] for e in a["timeline"]] == ["ok"] * 6

    b = cases[cs.cases["conflict"]]
    bflags = [e["flag"] for e in b["timeline"]]
    assert bflags.count("conflict") == 1, bflags
    assert set(bflags) == {"ok", "conflict"}
    assert b["conflicts"] == 1
    assert b["status"] == "resolved"
    bad = [e for e in b["timeline"] if e["flag"] == "conflict"][0]
    assert bad["kind"] == "resolve" and bad["reason"] != ""

    c = cases[cs.cases["revoked"]]
    assert [(e["kind"], e["flag"]) for e in c["timeline"]] == [
        ("report", "ok"), ("progress", "revoked"), ("whistle", "revoked")]
    assert c["level"] == "qianyang/cuimu/shangzhai"
    assert c["whistles"] == 0


@pytest.fixture(scope="module")
def reference(cs):
    n = observer(cs, "reference")
    f = str(cs.base / "natural.gsf")
    write_feed(f, cs.records)
    res = import_all(n, [f])
    snap = snapshot(n)
    assert snap["pending"] == 0
    assert res[0]["applied"] == len(cs.records), res
    assert res[0]["pending"] == res[0]["released"], res
    return snap


def test_reference_matches_the_town(cs, reference):
    check_case_flags(cs, reference)
    # The observer has the town's path, and the union of all exports is
    # exactly what the town holds.
    assert reference["cases"] == cs.town_cases
    d = reference["digest"]
    assert (d["digest"], d["count"]) == cs.town_digest
    assert d["count"] == len(cs.records)


def test_any_order_any_split_same_state(cs, reference):
    rng = random.Random(SEED)
    recs = cs.records
    infos = cs.infos
    skey = cs.keys["qianyang/cuimu/shangzhai"]
    rev = [i for i, inf in enumerate(infos) if inf.get("kind") == "revoke"]
    assert len(rev) == 1
    rev = rev[0]
    pmember = [i for i, inf in enumerate(infos)
               if inf.get("member_path") == "qianyang/cuimu/@police"]
    assert len(pmember) == 1
    pmember = pmember[0]
    revoked_i = [i for i, inf in enumerate(infos)
                 if inf["origin"] == skey and inf["seq"] > cs.revoked_after]
    assert len(revoked_i) == 2

    def orders():
        idx = list(range(len(recs)))
        # The revoke first, before the key's changes and its Member ...
        yield [rev] + [i for i in idx if i != rev]
        # ... and last, after everything.
        yield [i for i in idx if i != rev] + [rev]
        # The department's Member after all its changes.
        yield [i for i in idx if i != pmember] + [pmember]
        # Reversed: every Member after the changes it vouches for.
        yield idx[::-1]
        for _ in range(TRIALS - 4):
            o = idx[:]
            rng.shuffle(o)
            yield o

    revoke_before = revoke_after = dup_trials = held = 0
    for trial, order in enumerate(orders()):
        pos = {i: k for k, i in enumerate(order)}
        if pos[rev] < min(pos[i] for i in revoked_i):
            revoke_before += 1
        if pos[rev] > max(pos[i] for i in revoked_i):
            revoke_after += 1

        nfiles = rng.randint(1, 5)
        cuts = sorted(rng.sample(range(1, len(order)), nfiles - 1))
        bounds = [0] + cuts + [len(order)]
        files = []
        for j in range(nfiles):
            f = str(cs.base / ("t%02d-%d.gsf" % (trial, j)))
            write_feed(f, [recs[i] for i in order[bounds[j]:bounds[j + 1]]],
                       upto=trial * 10 + j)
            files.append(f)
        seq = list(files)
        twice = None
        if trial % 3 == 1:
            twice = rng.randrange(nfiles)
            seq.insert(rng.randint(twice + 1, len(seq)), files[twice])
            dup_trials += 1

        n = observer(cs, "obs%02d" % trial)
        res = import_all(n, seq)
        once = res
        if twice is not None:
            again = seq.index(files[twice], twice + 1)
            size = bounds[twice + 1] - bounds[twice]
            assert res[again] == {"applied": 0, "duplicate": size,
                                  "pending": 0, "rejected": 0,
                                  "released": 0}, res
            once = res[:again] + res[again + 1:]
        # Each record is folded once (`applied` counts the held changes an
        # import released too), and everything held is released.
        assert sum(r["applied"] for r in once) == len(recs), res
        assert (sum(r["released"] for r in res) ==
                sum(r["pending"] for r in res)), res
        held += sum(r["pending"] for r in res) > 0

        snap = snapshot(n)
        check_case_flags(cs, snap)
        v = n.verify()
        assert (v["ok"], v["faults"]) == (True, []), v
        assert snap == reference, "trial %d (order %s, files %d)" % (
            trial, order[:8], nfiles)
    assert revoke_before > 0 and revoke_after > 0
    assert dup_trials > 0
    assert held >= TRIALS // 2   # most orders put some signer's Member late


def test_pending_until_member_arrives(cs, reference):
    pkey = cs.keys["qianyang/cuimu/@police"]
    pm = [i for i, inf in enumerate(cs.infos)
          if inf.get("member_path") == "qianyang/cuimu/@police"][0]
    by_police = sum(1 for inf in cs.infos if inf["origin"] == pkey)
    assert by_police == 4   # ack and resolve, on two cases
    rest = [r for i, r in enumerate(cs.records) if i != pm]
    f1, f2 = str(cs.base / "no-police.gsf"), str(cs.base / "police.gsf")
    write_feed(f1, rest)
    write_feed(f2, [cs.records[pm]])

    n = observer(cs, "pending")
    r1 = n.import_(f1)
    assert r1["pending"] == by_police, r1
    assert r1["rejected"] == 0 and r1["released"] == 0
    assert r1["applied"] == len(rest) - by_police
    assert n.whoami()["pending"] == by_police
    # Held changes are not folded: the police's work is not in the case.
    a = n.show(cs.cases["lifecycle"])
    assert [e["kind"] for e in a["timeline"]] == [
        "report", "whistle", "dispatch", "followup"]
    # Without the police's resolve the follow-up is a conflict for now;
    # the fold decides again when the Member arrives.
    assert a["status"] == "dispatched"
    assert (a["timeline"][3]["flag"], a["timeline"][3]["reason"]) == (
        "conflict", "case is not resolved")

    r2 = n.import_(f2)
    assert {k: r2[k] for k in IMPORT_KEYS} == {
        "applied": 1 + by_police, "duplicate": 0, "pending": 0,
        "rejected": 0, "released": by_police}
    assert n.whoami()["pending"] == 0
    assert snapshot(n) == reference
    assert n.verify()["ok"] is True
