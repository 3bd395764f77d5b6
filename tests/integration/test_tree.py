"""The county tree with real gridnode processes, moving changes by files.

Every test gets a fresh county (conftest.tree): qianyang with towns cuimu
and fenghuang, villages xiazhai, shangzhai (cuimu) and dongcun (fenghuang),
departments cuimu/@police and qianyang/@justice. Changes travel only by
`export --for NEIGHBOUR` and `import`; after every test each node must
still pass `verify`.
"""

import json

import pytest

from gridsync import flip_sig_byte, read_feed, write_feed, envelope_info

TITLE = "宅基地边界纠纷"
DESC = ("下寨村三组王家与李家因宅基地界桩位置发生争执：李家称王家新砌院墙"
        "向东占了半米，双方多次争吵。")
IMPORT_KEYS = ("applied", "duplicate", "pending", "rejected", "released")


def kinds(s):
    return [e["kind"] for e in s["timeline"]]


def flags(s):
    return [e["flag"] for e in s["timeline"]]


def signers(s):
    return [e["signer"] for e in s["timeline"]]


def counts(r):
    return {k: r[k] for k in IMPORT_KEYS}


def state(*nodes):
    """What must not move when an operation is refused."""
    return {n.path: (n.digest(), n.whoami()["own_seq"], n.whoami()["changes"])
            for n in nodes}


def test_dispute_life_cycle(tree):
    v, t, p = tree["xiazhai"], tree["cuimu"], tree["@police"]

    case = v.report(TITLE, category="邻里纠纷", desc=DESC, grid="三组网格",
                    reporter="王建国", severity="complex")
    assert case.startswith("qianyang/cuimu/xiazhai#")
    assert len(case) == len("qianyang/cuimu/xiazhai#") + 26
    s = v.show(case)
    assert s["id"] == case
    assert s["owner"] == v.path
    assert s["level"] == v.path
    assert s["status"] == "open"
    assert s["category"] == "neighbor"
    assert s["category_label"] == "邻里纠纷"
    assert s["title"] == TITLE
    assert s["description"] == DESC
    assert s["grid"] == "三组网格"
    assert s["reporter"] == "王建国"
    assert s["severity"] == "complex"
    assert s["visible"] == sorted([v.path, t.path])
    assert s["assignments"] == []
    assert (s["whistles"], s["supervisions"], s["conflicts"]) == (0, 0, 0)
    assert kinds(s) == ["report"]
    assert flags(s) == ["ok"]
    assert signers(s) == [v.path]

    tree.move(v, t)
    assert t.show(case) == s
    # The police see nothing before the case is dispatched to them; this
    # also moves the town's checkpoint for them past the report, so the
    # later dispatch must backfill it.
    tree.move(t, p)
    assert not p.holds(case)

    # 吹哨: the village raises it to the town.
    v.act("whistle", case, reason="村调委会两次调解未果，请镇里协调")
    s = v.show(case)
    assert s["level"] == t.path
    assert s["status"] == "open"
    assert s["whistles"] == 1
    assert kinds(s) == ["report", "whistle"]
    tree.move(v, t)
    assert t.show(case) == s

    # 派单: the town dispatches to its police station.
    t.act("dispatch", case, to="@police", ack_hours=1, resolve_hours=72,
          note="请派出所民警到现场协助调解")
    s = t.show(case)
    assert s["status"] == "dispatched"
    assert s["level"] == t.path
    assert s["visible"] == sorted([v.path, t.path, p.path])
    assert len(s["assignments"]) == 1
    a = s["assignments"][0]
    assert a["department"] == p.path
    assert sorted(a) == ["ack_deadline_ms", "acked", "department",
                         "resolve_deadline_ms", "resolved"]
    assert (a["acked"], a["resolved"]) == (False, False)
    dispatch_ms = s["timeline"][-1]["hlc"] >> 16
    assert abs(a["ack_deadline_ms"] - (dispatch_ms + 3600 * 1000)) < 60000
    assert abs(a["resolve_deadline_ms"] - (dispatch_ms + 72 * 3600 * 1000)) < 60000
    assert kinds(s) == ["report", "whistle", "dispatch"]
    assert signers(s) == [v.path, v.path, t.path]

    tree.move(t, p)   # backfill: the police get the whole history
    assert p.show(case) == s
    assert p.case_ids() == [case]

    # 报到, then 办结.
    p.act("ack", case, note="已到现场")
    s = p.show(case)
    assert s["status"] == "dispatched"
    assert (s["assignments"][0]["acked"],
            s["assignments"][0]["resolved"]) == (True, False)
    tree.move(p, t)
    assert t.show(case) == s

    p.act("resolve", case, outcome="mediated",
          note="经民警与村调委会联合调解，双方同意以原界桩为准")
    s = p.show(case)
    assert s["status"] == "resolved"
    assert s["outcome"] == "mediated"
    assert (s["assignments"][0]["acked"],
            s["assignments"][0]["resolved"]) == (True, True)
    tree.relay(p, t, v)
    assert t.show(case) == s
    assert v.show(case) == s

    # 回访: the village closes it.
    v.act("followup", case, satisfaction="satisfied", note="两户均表示满意")
    s = v.show(case)
    assert s["status"] == "closed"
    assert s["satisfaction"] == "satisfied"
    assert s["outcome"] == "mediated"
    tree.relay(v, t, p)
    assert t.show(case) == s
    assert p.show(case) == s

    assert kinds(s) == ["report", "whistle", "dispatch", "ack", "resolve",
                        "followup"]
    assert signers(s) == [v.path, v.path, t.path, p.path, p.path, v.path]
    assert flags(s) == ["ok"] * 6
    assert s["conflicts"] == 0
    assert s["whistles"] == 1
    hlcs = [e["hlc"] for e in s["timeline"]]
    assert hlcs == sorted(hlcs)

    # Whoever holds the case holds the same changes of it.
    d = {n.path: n.digest(scope=case) for n in (v, t, p)}
    assert len(set(d.values())) == 1, d
    assert d[v.path][1] == 6
    # The village and its town hold every change of the village's cases.
    assert v.digest(scope=v.path) == t.digest(scope=v.path)
    # The county never saw it.
    assert not tree["qianyang"].holds(case)


def test_task_assigned_down(tree):
    c, f, d = tree["qianyang"], tree["fenghuang"], tree["dongcun"]
    case = c.report("清明节前森林防火隐患排查", category="safety",
                    desc="请东村对村后山林坟地周边开展防火巡查，清理可燃物。",
                    for_=d.path)
    assert case.startswith("qianyang/fenghuang/dongcun#")
    s = c.show(case)
    assert s["owner"] == d.path
    assert s["level"] == d.path
    assert s["status"] == "open"
    # {owner, its town} and the county that assigned it.
    assert s["visible"] == sorted([c.path, f.path, d.path])
    assert s["category"] == "safety"
    assert s["category_label"] == "安全隐患"
    assert kinds(s) == ["report"]
    assert signers(s) == [c.path]

    tree.move(c, f)
    assert f.show(case) == s
    tree.move(f, d)
    assert d.show(case) == s
    assert d.case_ids() == [case]
    # Other villages and towns never see it.
    for other in ("cuimu", "xiazhai", "shangzhai", "@police"):
        assert not tree[other].holds(case), other

    # The village settles it, and the result climbs back to the county.
    d.act("resolve", case, outcome="solved", note="已清理可燃物三处")
    s = d.show(case)
    assert s["status"] == "resolved"
    tree.relay(d, f, c)
    assert f.show(case) == s
    assert c.show(case) == s
    dg = {n.path: n.digest(scope=case) for n in (c, f, d)}
    assert len(set(dg.values())) == 1, dg


def test_escalation_to_county_brings_history(tree):
    v, t, c, j = (tree["xiazhai"], tree["cuimu"], tree["qianyang"],
                  tree["@justice"])
    case = v.report(TITLE, category="land", desc=DESC, severity="hard")
    v.act("progress", case, note="第一次调解：双方未达成一致")
    tree.move(v, t)
    tree.move(t, c)       # the county's checkpoint passes the report ...
    assert not c.holds(case)     # ... but it is not the county's case
    assert case not in c.case_ids()

    v.act("whistle", case, reason="村内无法调解")
    tree.move(v, t)
    t.act("progress", case, note="镇司法所组织第二次调解，仍未达成一致")
    t.act("whistle", case, reason="涉及土地确权，需县里协调")
    s = t.show(case)
    assert s["level"] == c.path
    assert s["whistles"] == 2
    assert s["visible"] == sorted([v.path, t.path, c.path])

    tree.move(t, c)       # backfill: every earlier change comes along
    cs = c.show(case)
    assert cs == s
    assert kinds(cs) == ["report", "progress", "whistle", "progress",
                         "whistle"]
    assert signers(cs) == [v.path, v.path, v.path, t.path, t.path]
    assert c.case_ids() == [case]

    # The county dispatches to its justice bureau, which reports in.
    c.act("dispatch", case, to="@justice", ack_hours=2, resolve_hours=360)
    tree.move(c, j)
    assert kinds(j.show(case)) == ["report", "progress", "whistle",
                                   "progress", "whistle", "dispatch"]
    j.act("ack", case, note="县司法局已受理")
    tree.relay(j, c, t, v)
    s = v.show(case)
    assert s["status"] == "dispatched"
    assert [(a["department"], a["acked"], a["resolved"])
            for a in s["assignments"]] == [(j.path, True, False)]
    for n in (t, c, j):
        assert n.show(case) == s, n
    dg = {n.path: n.digest(scope=case) for n in (v, t, c, j)}
    assert len(set(dg.values())) == 1, dg
    assert dg[v.path][1] == 7
    # The town has not dispatched anything to its own police.
    assert not tree["@police"].holds(case)


def test_scope(tree):
    x, s, t, c, p = (tree["xiazhai"], tree["shangzhai"], tree["cuimu"],
                     tree["qianyang"], tree["@police"])
    quiet = x.report("邻居家狗夜间吠叫扰民", category="neighbor")
    loud = x.report(TITLE, category="neighbor", desc=DESC)
    theirs = s.report("村道积水", category="environment")
    x.act("whistle", loud)
    tree.move(x, t)
    tree.move(s, t)
    t.act("dispatch", loud, to="qianyang/cuimu/@police")
    for n in ("xiazhai", "shangzhai", "@police", "qianyang"):
        tree.move(t, n)
    tree.move(c, "fenghuang")
    tree.move("fenghuang", "dongcun")
    tree.move(c, "@justice")

    assert t.case_ids() == sorted([quiet, loud, theirs])
    assert x.case_ids() == sorted([quiet, loud])
    assert s.case_ids() == [theirs]
    assert p.case_ids() == [loud]
    assert c.case_ids() == []
    for n in ("fenghuang", "dongcun", "@justice"):
        assert tree[n].case_ids() == [], n

    assert not s.holds(quiet) and not s.holds(loud)
    assert not x.holds(theirs)
    assert not p.holds(quiet) and not p.holds(theirs)
    assert not c.holds(quiet)
    r = c.call("show", quiet)
    assert r.rc == 1 and r.out == ""
    assert r.err.startswith("gridnode show: ")
    # The village holds nothing of the other village's scope.
    assert s.digest(scope=x.path)[1] == 0
    assert x.digest(scope=s.path)[1] == 0
    assert x.digest(scope=x.path) == t.digest(scope=x.path)
    assert s.digest(scope=s.path) == t.digest(scope=s.path)
    assert p.digest(scope=loud) == t.digest(scope=loud)
    assert p.digest(scope=x.path) == t.digest(scope=loud)


def test_reimport_is_idempotent(tree):
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE, desc=DESC)
    x.act("progress", case, note="网格员已上门了解情况")
    f = tree.file("x-to-t")
    e = x.export(f, for_=t.path)
    upto, recs = read_feed(f)
    assert (upto, len(recs)) == (e["upto"], e["changes"])

    r1 = t.import_(f)
    # The Member chain travels too; the town already holds it.
    assert counts(r1) == {"applied": 2, "duplicate": e["changes"] - 2,
                          "pending": 0, "rejected": 0, "released": 0}
    before = (t.digest(), t.digest(scope=case), t.show(case), t.whoami())
    r2 = t.import_(f)
    assert counts(r2) == {"applied": 0, "duplicate": e["changes"],
                          "pending": 0, "rejected": 0, "released": 0}
    assert (t.digest(), t.digest(scope=case), t.show(case),
            t.whoami()) == before
    # And the village importing its own changes back changes nothing.
    sx = state(x)
    r3 = x.import_(f)
    assert counts(r3)["applied"] == 0
    assert state(x) == sx


def test_refusals_store_nothing(tree):
    x, t, p = tree["xiazhai"], tree["cuimu"], tree["@police"]
    case = x.report(TITLE, desc=DESC)
    tree.move(x, t)
    before = state(x, t)

    def refused(node, verb, args, why=None):
        r = node.call(verb, case, *args)
        assert r.rc == 1, r
        assert r.err.startswith("gridnode %s: " % verb), r
        if why is not None:
            assert why in r.err, r
        assert r.out == "", r

    # A village can never dispatch.
    refused(x, "dispatch", ["--to", "qianyang/cuimu/@police"])
    # Nothing has been resolved yet: no follow-up.
    refused(x, "followup", ["--satisfaction", "satisfied"],
            "case is not resolved")
    # The town is not the case's level yet.
    refused(t, "dispatch", ["--to", "@police"],
            "signer is not the case's current level")
    # Only a dispatched department may report in.
    refused(t, "ack", [])
    assert state(x, t) == before

    x.act("whistle", case)
    tree.move(x, t)
    before = state(x, t)
    # The village is no longer the level: a second whistle is a conflict,
    # refused with the fold's reason.
    refused(x, "whistle", ["--reason", "再次吹哨"],
            "signer is not the case's current level")
    refused(x, "resolve", ["--outcome", "solved"],
            "signer cannot resolve this case")
    refused(x, "return", ["--reason", "撤回"])
    assert state(x, t) == before

    t.act("dispatch", case, to="@police")
    tree.move(t, p)
    before = state(x, t, p)
    # The town is not a department: it cannot report in.
    refused(t, "ack", [])
    # Dispatched twice to the same department.
    refused(t, "dispatch", ["--to", "@police"],
            "already dispatched to that department")
    # A department can never whistle.
    refused(p, "whistle", [])
    assert state(x, t, p) == before
    # A node that does not hold a case cannot act on it.
    other = tree["shangzhai"]
    so = state(other)
    r = other.call("progress", case, "--note", "看看")
    assert r.rc == 1 and r.err.startswith("gridnode progress: "), r
    assert state(other) == so


@pytest.mark.parametrize("args, named", [
    (["report", "--category", "neighbor"], "--title"),
    (["report", "--title", "无类别"], "--category"),
    (["report", "--category", "nosuch", "--title", "x"], "--category"),
    (["report", "--category", "neighbor", "--title", "x",
      "--severity", "extreme"], "--severity"),
    (["resolve", "CASE", "--outcome", "maybe"], "--outcome"),
    (["resolve", "CASE"], "--outcome"),
    (["followup", "CASE", "--satisfaction", "great"], "--satisfaction"),
    (["progress", "CASE"], "--note"),
    (["progress", "CASE", "--note", "x", "--bogus"], "--bogus"),
    (["list", "--status", "lost"], "--status"),
    (["export", "--out", "FILE"], "--for"),
    (["export", "--for", "qianyang/cuimu", "--since", "-3", "--out", "FILE"],
     "--since"),
    (["revoke", "nothex", "--after-seq", "1"], "PUBKEY"),
])
def test_usage_errors(tree, args, named):
    x = tree["xiazhai"]
    case = x.report(TITLE)
    f = tree.file("usage")
    args = [case if a == "CASE" else f if a == "FILE" else a for a in args]
    before = state(x)
    r = x.call(*args)
    assert r.rc == 2, r
    assert r.err.startswith("gridnode %s: " % args[0]), r
    assert named in r.err, r
    assert state(x) == before


def test_write_verb_json(tree):
    """docs/cli.md: `--json` on a write verb prints {"case","change"}."""
    x = tree["xiazhai"]
    j = x.run("report", "--category", "other", "--title", "路灯不亮",
              json=True)
    case = j["case"]
    assert sorted(j) == ["case", "change"]
    assert x.show(case)["timeline"][0]["change"] == j["change"]
    j = x.run("progress", case, "--note", "已报修", json=True)
    assert sorted(j) == ["case", "change"], j
    assert j["case"] == case
    assert x.show(case)["timeline"][1]["change"] == j["change"]
    # Without --json: the case id for report, the change id otherwise.
    r = x.run("progress", case, "--note", "已修好")
    assert r == x.show(case)["timeline"][2]["change"] + "\n"


def test_usage_error_unknown_verb_and_bad_path(tree, tmp_path):
    x = tree["xiazhai"]
    r = x.call("escalate", "x")
    assert r.rc == 2 and "escalate" in r.err, r
    from gridsync import Node
    n = Node(tmp_path / "fresh", "Qianyang/Bad Path")
    r = n.call("init", "--path", n.path)
    assert r.rc == 2, r
    assert r.err.startswith("gridnode init: ") and "--path" in r.err, r


def test_chinese_text_round_trips(tree):
    x, t = tree["xiazhai"], tree["cuimu"]
    x.actor = "网格员张秀英"
    desc = ("王家与李家因院墙界址争执：“界桩往东挪了半米”，双方互不相让。"
            "（第3网格，𠀀字辈老宅）")
    note = "村调委会第一次调解：双方同意请镇国土所复测，暂缓砌墙。"
    case = x.report(TITLE, category="邻里纠纷", desc=desc, grid="第三网格",
                    reporter="王大爷")
    x.act("progress", case, note=note)
    tree.move(x, t)
    s = t.show(case)
    assert s["title"] == TITLE
    assert s["description"] == desc
    assert s["grid"] == "第三网格"
    assert s["reporter"] == "王大爷"
    assert s["category"] == "neighbor"
    assert s["category_label"] == "邻里纠纷"
    assert [e["actor"] for e in s["timeline"]] == ["网格员张秀英"] * 2
    assert note in s["timeline"][1]["text"]
    assert s == x.show(case)
    human = t.run("show", case)
    assert TITLE in human and "邻里纠纷" in human and note in human
    assert any(c["title"] == TITLE for c in t.list())


def forge(tree):
    """A village change the town does not hold yet, exported from 0 (so the
    file also carries the Member chain), and a copy of that file whose
    progress record has one signature byte flipped."""
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE, desc=DESC)
    tree.move(x, t)
    x.act("progress", case, note="伪造测试：这条记录的签名将被篡改")
    f = tree.file("x-to-t")
    e = x.export(f, for_=t.path)        # from 0: the chain, report, progress
    upto, recs = read_feed(f)
    assert len(recs) == e["changes"]
    infos = [envelope_info(r) for r in recs]
    i = [k for k, inf in enumerate(infos) if inf.get("kind") == "progress"]
    assert len(i) == 1
    i = i[0]
    forged = list(recs)
    forged[i] = flip_sig_byte(recs[i])
    ff = tree.file("forged")
    write_feed(ff, forged, upto)
    return case, f, ff, len(recs), infos[i]["id"]


def test_forged_signature_is_rejected(tree):
    t = tree["cuimu"]
    case, f, ff, nrecs, forged_id = forge(tree)
    before = (t.digest(), t.digest(scope=case), t.show(case))
    rej0 = t.rejects()
    r = t.call("import", ff, "--json")
    # Each envelope is judged on its own: the others are duplicates.
    assert counts(r.json) == {"applied": 0, "duplicate": nrecs - 1,
                              "pending": 0, "rejected": 1, "released": 0}
    assert "bad signature" in r.err, r
    assert (t.digest(), t.digest(scope=case), t.show(case)) == before
    rej = t.rejects()
    assert len(rej) == len(rej0) + 1
    assert rej[-1]["change"] == forged_id, rej[-1]
    assert rej[-1]["reason"] == "bad signature", rej[-1]
    assert t.whoami()["rejects"] == len(rej)
    # docs/cli.md: exit 1 when the operation found a fault ("rejected").
    assert r.rc == 1, r


def test_forged_copy_does_not_block_the_genuine_change(tree):
    x, t = tree["xiazhai"], tree["cuimu"]
    case, f, ff, nrecs, forged_id = forge(tree)
    t.call("import", ff)
    # Anyone on the path can flip a signature byte; the genuine change
    # (same bytes, same id) must still be applied afterwards.
    assert counts(t.import_(f)) == {"applied": 1, "duplicate": nrecs - 1,
                                    "pending": 0, "rejected": 0,
                                    "released": 0}
    assert kinds(t.show(case)) == ["report", "progress"]
    assert t.show(case) == x.show(case)
    assert t.digest(scope=case) == x.digest(scope=case)


def test_broken_framing_refused_whole(tree):
    x, t = tree["xiazhai"], tree["cuimu"]
    case = x.report(TITLE, desc=DESC)
    f = tree.file("x-to-t")
    x.export(f, for_=t.path)
    data = open(f, "rb").read()
    before = state(t)
    for name, bad in (("truncated", data[:-3]),
                      ("magic", b"GSFEED02" + data[8:]),
                      ("length", data[:16] + b"\xff\xff\xff\xff" + data[20:])):
        bf = tree.file(name)
        open(bf, "wb").write(bad)
        r = t.call("import", bf)
        assert r.rc == 1, (name, r)
        assert r.err.startswith("gridnode import: "), (name, r)
        assert state(t) == before, name
    assert not t.holds(case)
    assert counts(t.import_(f))["applied"] == 1
    assert t.holds(case)
