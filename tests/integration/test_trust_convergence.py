"""Convergence of the roster: (key, path) pairs and revoked revokers.

A second module-scoped change set, on real nodes (county qianyang, towns
cuimu and fenghuang, village fenghuang/dongcun, and V, a village node at
qianyang/cuimu/xiazhai):

* One key, two paths. Town cuimu enrols V's key at A = cuimu/xiazhai;
  town fenghuang, before it has seen that Member, enrols the SAME key at
  B = fenghuang/beicun. V acts as A (a report and a whistle). Whichever
  Member arrives first, V's changes are signed as A and A is enrolled:
  they are "ok" everywhere.
* A revoked revoker. dongcun reports and whistles; the county revokes town
  fenghuang's key after seq N; fenghuang, before it has imported that,
  writes a progress on dongcun's case and revokes dongcun's key after seq
  0. fenghuang's revoke (seq > N) is void, so it voids nothing: both
  of dongcun's changes stay "ok"; fenghuang's progress is "revoked".

Every envelope is collected with `export --all` from every node; fresh
observers import them in forced and random orders, split into 1-5 files,
and must all end in exactly the state of the natural order.
"""

import random
import shutil

import pytest

from gridsync import Node, Tree, envelope_info, read_feed, write_feed

SEED = 20261124
TRIALS = 24
COUNTY, CUIMU, FENGHUANG = ("qianyang", "qianyang/cuimu",
                            "qianyang/fenghuang")
DONGCUN = "qianyang/fenghuang/dongcun"
PATH_A = "qianyang/cuimu/xiazhai"
PATH_B = "qianyang/fenghuang/beicun"
PATHS = (COUNTY, CUIMU, FENGHUANG, DONGCUN)
REVOKED = "signer's key was revoked before this change"
IMPORT_KEYS = ("applied", "duplicate", "pending", "rejected", "released")


def timeline(s):
    return [(e["kind"], e["signer"], e["flag"], e["reason"])
            for e in s["timeline"]]


class ChangeSet:
    pass


@pytest.fixture(scope="module")
def cs(gridnode, tmp_path_factory):
    base = tmp_path_factory.mktemp("trust-convergence")
    tree = Tree(base / "county", PATHS)
    c, t, f, d = (tree[COUNTY], tree[CUIMU], tree[FENGHUANG], tree[DONGCUN])
    out = ChangeSet()
    out.tree, out.base = tree, base

    # -- (a) one key enrolled at two paths by two towns ------------------
    v = Node(base / "county" / "V", PATH_A)
    v.init(root_key=tree.root_key)
    bundle_a = tree.file("bundle-A")
    t.enroll(v, bundle_a)
    v.join(bundle_a)
    assert v.whoami()["parent"] == CUIMU
    tree.nodes[PATH_A] = v
    # fenghuang has not seen cuimu's Member: it enrols the same key at B.
    vb = Node(v.dir, PATH_B)
    vb.key = v.key
    bundle_b = tree.file("bundle-B")
    f.enroll(vb, bundle_b)
    # V is A: B's bundle is not for it.
    r = v.call("join", bundle_b)
    assert (r.rc, r.out) == (1, ""), r
    assert r.err == ("gridnode join: the bundle enrols %s, but this node "
                     "is %s\n" % (PATH_B, PATH_A)), r
    assert v.whoami()["path"] == PATH_A

    a_case = v.report("村口垃圾堆放点满溢", category="environment")
    v.act("whistle", a_case, reason="需镇里协调清运车辆")
    tree.move(v, t)
    tree.move(t, c)

    # -- (b) a revoked revoker --------------------------------------------
    d_case = d.report("灌溉渠堵塞，下游农田缺水", category="other")
    d.act("whistle", d_case, reason="需镇水管站疏通")
    tree.move(d, f)
    n_after = f.whoami()["own_seq"]   # both of fenghuang's Members <= N
    tree.move(f, c)
    c.run("revoke", f.key, "--after-seq", n_after, "--reason", "镇终端被盗")
    # fenghuang has not imported the county's revocation yet: its key
    # writes on, then revokes dongcun's key from the start.
    f.act("progress", d_case, note="被盗终端写入的记录")
    f.run("revoke", d.key, "--after-seq", 0, "--reason", "冒用被盗终端")
    assert f.whoami()["own_seq"] == n_after + 2
    # Until fenghuang learns its own key is revoked, its revocation counts
    # there: dongcun's work is void, and a progress on a case with no
    # report is a conflict.
    assert [(e["flag"], e["reason"]) for e in f.show(d_case)["timeline"]
            ] == [("revoked", REVOKED), ("revoked", REVOKED),
                  ("conflict", "case not reported yet")]
    tree.move(c, f)
    assert [e["flag"] for e in f.show(d_case)["timeline"]] == [
        "ok", "ok", "revoked"]
    # Everything everywhere.
    tree.relay(f, c, t, v)
    tree.relay(c, f, d)
    tree.relay(v, t, c)
    # dongcun still writes after it holds the (void) revocation of its key
    # and the revocation that voids it.
    fl = tree.file("all-dongcun-before")
    d.export(fl)
    assert sorted(envelope_info(rec).get("revoke_path", "")
                  for rec in read_feed(fl)[1]
                  if envelope_info(rec).get("kind") == "revoke") == [
        FENGHUANG, DONGCUN]
    d2_case = d.report("村小学围墙开裂", category="safety")
    tree.relay(d, f, c)
    tree.relay(c, t, v)
    tree.relay(c, f, d)

    out.cases = {"two_paths": a_case, "revoked_revoker": d_case,
                 "after_void_revoke": d2_case}
    out.n_after = n_after
    out.keys = {"V": v.key, "fenghuang": f.key, "dongcun": d.key}

    seen, recs = set(), []
    for n in (c, t, f, v, d):
        fl = tree.file("all-" + n.name)
        n.export(fl)
        for rec in read_feed(fl)[1]:
            if rec not in seen:
                seen.add(rec)
                recs.append(rec)
    out.records = recs
    out.infos = [envelope_info(rec) for rec in recs]
    out.held = {n.path: {i: n.show(i) for i in n.case_ids()} for n in tree}
    yield out
    tree.verify_all()
    shutil.rmtree(base, ignore_errors=True)


def check_flags(cs, cases):
    """The expected flags of every case, on a node holding all three."""
    a = cases[cs.cases["two_paths"]]
    assert timeline(a) == [("report", PATH_A, "ok", ""),
                           ("whistle", PATH_A, "ok", "")]
    assert (a["owner"], a["level"], a["whistles"]) == (PATH_A, CUIMU, 1)
    assert a["conflicts"] == 0

    d = cases[cs.cases["revoked_revoker"]]
    assert timeline(d) == [("report", DONGCUN, "ok", ""),
                           ("whistle", DONGCUN, "ok", ""),
                           ("progress", FENGHUANG, "revoked", REVOKED)]
    assert (d["owner"], d["level"], d["whistles"]) == (DONGCUN, FENGHUANG, 1)
    assert d["conflicts"] == 0

    d2 = cases[cs.cases["after_void_revoke"]]
    assert timeline(d2) == [("report", DONGCUN, "ok", "")]


def test_the_tree_itself(cs):
    """On the nodes that made the changes, before any shuffling."""
    held = cs.held
    for p in (PATH_A, CUIMU):
        assert sorted(held[p]) == [cs.cases["two_paths"]], p
    for p in (DONGCUN, FENGHUANG):
        assert sorted(held[p]) == sorted([cs.cases["revoked_revoker"],
                                          cs.cases["after_void_revoke"]]), p
    assert held[COUNTY] == {}
    for p, cases in held.items():
        for cid, s in cases.items():
            assert s == held[s["owner"]][cid], (p, cid)
    merged = dict(held[PATH_A], **held[DONGCUN])
    check_flags(cs, merged)


def test_the_envelopes(cs):
    """The change set holds what the scenario says, named as it says."""
    infos = cs.infos
    vkey, fkey, dkey = cs.keys["V"], cs.keys["fenghuang"], cs.keys["dongcun"]
    vm = sorted(i["member_path"] for i in infos
                if i.get("member_key") == vkey)
    assert vm == [PATH_A, PATH_B]
    revs = sorted((i["signer"], i["revoke_path"], i["revoke_key"],
                   i.get("revoke_after", 0)) for i in infos
                  if i.get("kind") == "revoke")
    assert revs == [(COUNTY, FENGHUANG, fkey, cs.n_after),
                    (FENGHUANG, DONGCUN, dkey, 0)]
    frev = [i for i in infos if i.get("kind") == "revoke"
            and i["origin"] == fkey]
    assert frev[0]["seq"] == cs.n_after + 2
    assert {i["signer"] for i in infos if i["origin"] == vkey} == {PATH_A}
    assert len(infos) == len({i["id"] for i in infos})


def test_enroll_refuses_a_key_known_at_another_path(cs):
    """The county holds V's key at A and at B: enrolling it at a third path
    is refused and stores nothing."""
    c = cs.tree[COUNTY]
    v = cs.tree[PATH_A]
    out = cs.base / "never.bundle"
    before = (c.digest(), c.whoami())
    r = c.call("enroll", "qianyang/xinzhen", v.key, "--out", out)
    assert (r.rc, r.out) == (1, ""), r
    assert r.err == ("gridnode enroll: key %s… is already enrolled as %s; a "
                     "node gets a new key to move (init a new data dir)\n" %
                     (v.key[:16], PATH_A)), r
    assert not out.exists()
    assert (c.digest(), c.whoami()) == before


def observer(cs, name):
    n = Node(cs.base / name, CUIMU)
    n.init(root_key=cs.tree.root_key)
    return n


def snapshot(n):
    ids = n.case_ids()
    return {
        "digest": n.run("digest", json=True),
        "list": sorted(n.list(), key=lambda c: c["id"]),
        "cases": {i: n.show(i) for i in ids},
        "pending": n.whoami()["pending"],
        "rejects": n.rejects(),
    }


def import_all(n, files):
    res = []
    for fl in files:
        r = n.import_(fl)
        res.append({k: r[k] for k in IMPORT_KEYS})
        assert r["rejected"] == 0, (fl, r)
    return res


@pytest.fixture(scope="module")
def reference(cs):
    n = observer(cs, "reference")
    fl = str(cs.base / "natural.gsf")
    write_feed(fl, cs.records)
    res = import_all(n, [fl])
    assert res[0]["applied"] == len(cs.records), res
    snap = snapshot(n)
    assert (snap["pending"], snap["rejects"]) == (0, [])
    assert snap["digest"]["count"] == len(cs.records)
    assert sorted(snap["cases"]) == sorted(cs.cases.values())
    check_flags(cs, snap["cases"])
    v = n.verify()
    assert (v["ok"], v["faults"]) == (True, []), v
    return snap


def test_reference_matches_the_tree(cs, reference):
    for p, cases in cs.held.items():
        for cid, s in cases.items():
            assert reference["cases"][cid] == s, (p, cid)


def test_any_order_any_split_same_state(cs, reference):
    rng = random.Random(SEED)
    recs, infos = cs.records, cs.infos
    vkey = cs.keys["V"]

    def one(pred):
        hits = [i for i, inf in enumerate(infos) if pred(inf)]
        assert len(hits) == 1, hits
        return hits[0]

    mem_a = one(lambda i: i.get("member_key") == vkey and
                i["member_path"] == PATH_A)
    mem_b = one(lambda i: i.get("member_key") == vkey and
                i["member_path"] == PATH_B)
    rev_f = one(lambda i: i.get("kind") == "revoke" and
                i["revoke_path"] == FENGHUANG)   # county revokes fenghuang
    rev_d = one(lambda i: i.get("kind") == "revoke" and
                i["revoke_path"] == DONGCUN)     # void: fenghuang's, seq > N

    def first(order, *ix):
        return min(ix, key=order.index)

    def orders():
        idx = list(range(len(recs)))

        def moved(i, front):
            rest = [k for k in idx if k != i]
            return [i] + rest if front else rest + [i]
        yield moved(mem_b, True)     # B's Member first ...
        yield moved(mem_a, False)    # ... A's Member last
        yield moved(rev_f, False)    # the town's revocation counted first
        yield moved(rev_d, False)    # the county's revocation first
        yield idx[::-1]
        for _ in range(TRIALS - 5):
            o = idx[:]
            rng.shuffle(o)
            yield o

    seen = {"b_first": 0, "a_first": 0, "rev_d_first": 0, "rev_f_first": 0}
    trials = 0
    for trial, order in enumerate(orders()):
        seen["b_first" if first(order, mem_a, mem_b) == mem_b
             else "a_first"] += 1
        seen["rev_d_first" if first(order, rev_f, rev_d) == rev_d
             else "rev_f_first"] += 1
        nfiles = rng.randint(1, 5)
        cuts = sorted(rng.sample(range(1, len(order)), nfiles - 1))
        bounds = [0] + cuts + [len(order)]
        files = []
        for j in range(nfiles):
            fl = str(cs.base / ("t%02d-%d.gsf" % (trial, j)))
            write_feed(fl, [recs[i] for i in order[bounds[j]:bounds[j + 1]]],
                       upto=trial * 10 + j)
            files.append(fl)
        n = observer(cs, "obs%02d" % trial)
        res = import_all(n, files)
        assert sum(r["applied"] for r in res) == len(recs), res
        assert (sum(r["released"] for r in res) ==
                sum(r["pending"] for r in res)), res
        snap = snapshot(n)
        check_flags(cs, snap["cases"])
        v = n.verify()
        assert (v["ok"], v["faults"]) == (True, []), v
        assert snap == reference, "trial %d (files %d)" % (trial, nfiles)
        trials += 1
        shutil.rmtree(n.dir, ignore_errors=True)
    assert trials >= 20
    assert min(seen.values()) > 0, seen
