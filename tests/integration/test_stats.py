"""stats and overdue: counts and rates from the cases a node holds.

A town with two villages: a case settled in the village by mediation, a
case whistled to the town and dispatched with an ack deadline that passes
unacked (overdue), and a debt case resolved at the town and followed up.
Every count and rate is asserted exactly, in --json, --csv and by village.
"""

import time

TOWN = "qianyang/cuimu"
X = "qianyang/cuimu/xiazhai"
S = "qianyang/cuimu/shangzhai"


def test_stats_and_overdue(tree):
    x, s, t = tree["xiazhai"], tree["shangzhai"], tree["cuimu"]

    # Settled in the village by mediation; the resident is satisfied.
    a = x.report("邻里噪音纠纷", category="neighbor", severity="simple")
    x.act("resolve", a, outcome="mediated")
    x.act("followup", a, satisfaction="satisfied")
    # Whistled to the town and dispatched; the ack deadline (0.36 s) passes.
    b = x.report("宅基地边界纠纷", category="land")
    x.act("whistle", b)
    # A debt case at shangzhai, whistled, resolved at the town (referred).
    c = s.report("借款三万元逾期未还", category="debt")
    s.act("whistle", c)
    tree.move(x, t)
    tree.move(s, t)
    t.act("dispatch", b, to="@police", ack_hours="0.0001")
    t.act("resolve", c, outcome="referred")
    tree.move(t, s)
    s.act("followup", c, satisfaction="basic")
    tree.move(s, t)
    time.sleep(0.5)

    overdue = t.list("--overdue")
    assert [o["id"] for o in overdue] == [b]
    assert overdue[0]["overdue"] is True
    assert [o["id"] for o in t.list() if o["overdue"]] == [b]

    st = t.run("stats", json=True)
    tot = st["total"]
    assert st["node"] == TOWN and st["groups"] == []
    assert {k: tot[k] for k in ("received", "open", "settled", "overdue",
                                "settled_village", "settled_town",
                                "settled_county", "disputes_settled",
                                "mediated", "assignments_due",
                                "acked_on_time", "followed_up",
                                "satisfied", "simple", "complex",
                                "graded_settled", "settled_as_graded")} == {
        "received": 3, "open": 1, "settled": 2, "overdue": 1,
        "settled_village": 1, "settled_town": 1, "settled_county": 0,
        "disputes_settled": 2, "mediated": 1, "assignments_due": 1,
        "acked_on_time": 0, "followed_up": 2, "satisfied": 2,
        "simple": 1, "complex": 0, "graded_settled": 1,
        "settled_as_graded": 1}
    assert tot["rates"] == {
        "closure": 0.6667, "mediation": 0.5, "ontime_ack": 0.0,
        "satisfaction": 1.0, "in_village": 0.5, "in_town": 1.0,
        "not_passed_up": 1.0, "as_graded": 1.0}

    by = t.run("stats", "--by", "village", json=True)["groups"]
    assert sorted((g["key"], g["received"], g["settled"]) for g in by) == [
        (S, 1, 1), (X, 2, 1)]
    xs = [g for g in by if g["key"] == X][0]
    assert xs["rates"]["satisfaction"] == 1.0
    assert xs["rates"]["in_village"] == 1.0

    csv = t.run("stats", "--csv").splitlines()
    assert csv[0] == ("group,received,settled,open,overdue,closure,"
                      "mediation,ontime_ack,satisfaction,in_village,in_town,"
                      "not_passed_up,as_graded")
    assert csv[1] == ("total,3,2,1,1,0.6667,0.5000,0.0000,1.0000,0.5000,"
                      "1.0000,1.0000,1.0000")

    # A period with no cases: zero counts, undefined rates.
    empty = t.run("stats", "--period", "1999-01", json=True)["total"]
    assert empty["received"] == 0
    assert set(empty["rates"].values()) == {None}

    # The village sees only its own cases.
    assert x.run("stats", json=True)["total"]["received"] == 2

    # Usage errors name the option.
    r = t.call("stats", "--by", "county")
    assert r.rc == 2 and "--by must be village, town, category or day" in r.err
    r = t.call("stats", "--period", "11/2026")
    assert r.rc == 2 and "--period" in r.err


def test_dispatch_deadlines_default_by_category(tree):
    x, t = tree["xiazhai"], tree["cuimu"]
    hazard = x.report("村道危桥", category="safety")
    dispute = x.report("宅基地纠纷", category="land")
    for c in (hazard, dispute):
        x.act("whistle", c)
    tree.move(x, t)

    def deadlines(case):
        a = t.show(case)["assignments"][-1]
        disp = [e for e in t.show(case)["timeline"] if e["kind"] == "dispatch"][-1]
        ms = disp["hlc"] >> 16
        # Deadlines are taken from the CLI's clock just before signing.
        return (round((a["ack_deadline_ms"] - ms) / 3600000, 2),
                round((a["resolve_deadline_ms"] - ms) / 3600000, 2))

    t.act("dispatch", hazard, to="@police")
    t.act("dispatch", dispute, to="@police")
    assert deadlines(hazard) == (0.5, 24.0)      # 安全隐患
    assert deadlines(dispute) == (2.0, 120.0)    # 土地/山林

    # The node's deadlines.ini overrides the table; options override both.
    (t.dir / "deadlines.ini").write_text("[land]\nack_hours = 1\nresolve_hours = 48\n")
    other = x.report("山林界址纠纷", category="land")
    x.act("whistle", other)
    tree.move(x, t)
    t.act("dispatch", other, to="@police")
    assert deadlines(other) == (1.0, 48.0)
    third = x.report("承包地纠纷", category="land")
    x.act("whistle", third)
    tree.move(x, t)
    t.act("dispatch", third, to="@police", ack_hours="3")
    assert deadlines(third) == (3.0, 48.0)

    # A malformed file is a clear error, and nothing is written.
    (t.dir / "deadlines.ini").write_text("[lnad]\nack_hours = 1\n")
    fourth = x.report("林地纠纷", category="land")
    x.act("whistle", fourth)
    tree.move(x, t)
    before = t.digest()
    r = t.call("dispatch", fourth, "--to", "@police")
    assert r.rc == 1
    assert "deadlines.ini line 2: [lnad] is not a category key" in r.err
    assert t.digest() == before


def test_county_counts_the_cases_it_owns(tree):
    """A walk-in at the county's center is reported at the county itself:
    no town's rollup holds it, so the county's stats count it from its
    own cases, on top of the rollups (which here are none)."""
    cy = tree["qianyang"]
    a = cy.report("来访：两镇交界山林权属", category="land", severity="hard")
    cy.act("resolve", a, outcome="mediated")
    st = cy.run("stats", "--by", "village", json=True)
    assert st["source"] == "rollups"
    assert [(g["key"], g["received"], g["settled"], g["mediated"])
            for g in st["groups"]] == [("qianyang", 1, 1, 1)]
    # A dispute first raised at the county reached the county: for
    # 矛盾不上交 it counts as passed up.
    tot = st["total"]
    assert (tot["received"], tot["settled_county"], tot["passed_up"],
            tot["settled_as_graded"]) == (1, 1, 1, 1)
    assert tot["rates"]["not_passed_up"] == 0.0
