"""The visibility set never shrinks (DESIGN §4), found by the fault soak.

A town whistles a dispatched case up while the department's resolve is
still on its way. The whistle was valid when the town made it, so the town
sent the case to the county; once the resolve arrives, the whistle sorts
after it and is a conflict. Before the fix the county then left the case's
visibility set and was never sent another change of it: a stale copy for
good. Now a whistle or dispatch grants its target visibility whatever its
place in the fold, so every holder of the case converges.
"""

from gridsync import Tree


def test_a_whistle_that_turns_into_a_conflict_keeps_the_county_informed(
        tmp_path, gridnode):
    t = Tree(tmp_path / "county", paths=(
        "qianyang", "qianyang/cuimu", "qianyang/cuimu/xiazhai",
        "qianyang/cuimu/@police"))
    x, cm, po, cy = t["xiazhai"], t["cuimu"], t["@police"], t["qianyang"]
    for a, b in ((cy, cm), (cm, x), (cm, po)):
        t.move(a, b)
        t.move(b, a)
    c = x.report("宅基地边界纠纷")
    x.act("whistle", c, reason="村里调解不成")
    t.move(x, cm)
    cm.act("dispatch", c, to="@police")
    t.move(cm, po)
    po.act("resolve", c, outcome="mediated")        # not yet at the town
    cm.act("whistle", c, reason="部门处置不力")       # valid at the town now
    t.move(cm, cy)                                   # the county gets it
    t.move(po, cm)                                   # the resolve arrives
    t.move(cm, x)
    x.act("followup", c, satisfaction="satisfied")
    for a, b in ((x, cm), (cm, cy), (cm, po), (po, cm)):
        t.move(a, b)

    shows = {n.path: n.show(c) for n in (x, cm, po, cy)}
    town = shows[cm.path]
    assert (town["status"], town["level"]) == ("closed", cm.path)
    assert town["visible"] == sorted([cy.path, cm.path, po.path, x.path])
    whistles = [(e["signer"], e["flag"]) for e in town["timeline"]
                if e["kind"] == "whistle"]
    assert whistles == [(x.path, "ok"), (cm.path, "conflict")]
    for n in (x, po, cy):
        assert shows[n.path] == town, n.path
        assert n.digest(scope=c) == cm.digest(scope=c), n.path
