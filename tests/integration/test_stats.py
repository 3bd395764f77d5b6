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
    a = x.report("邻里噪音纠纷", category="neighbor")
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
                                "satisfied")} == {
        "received": 3, "open": 1, "settled": 2, "overdue": 1,
        "settled_village": 1, "settled_town": 1, "settled_county": 0,
        "disputes_settled": 2, "mediated": 1, "assignments_due": 1,
        "acked_on_time": 0, "followed_up": 2, "satisfied": 2}
    assert tot["rates"] == {
        "closure": 0.6667, "mediation": 0.5, "ontime_ack": 0.0,
        "satisfaction": 1.0, "in_village": 0.5, "in_town": 1.0,
        "not_passed_up": 1.0}

    by = t.run("stats", "--by", "village", json=True)["groups"]
    assert sorted((g["key"], g["received"], g["settled"]) for g in by) == [
        (S, 1, 1), (X, 2, 1)]
    xs = [g for g in by if g["key"] == X][0]
    assert xs["rates"]["satisfaction"] == 1.0
    assert xs["rates"]["in_village"] == 1.0

    csv = t.run("stats", "--csv").splitlines()
    assert csv[0] == ("group,received,settled,open,overdue,closure,"
                      "mediation,ontime_ack,satisfaction,in_village,in_town,"
                      "not_passed_up")
    assert csv[1] == "total,3,2,1,1,0.6667,0.5000,0.0000,1.0000,0.5000,1.0000,1.0000"

    # A period with no cases: zero counts, undefined rates.
    empty = t.run("stats", "--period", "1999-01", json=True)["total"]
    assert empty["received"] == 0
    assert set(empty["rates"].values()) == {None}

    # The village sees only its own cases.
    assert x.run("stats", json=True)["total"]["received"] == 2

    # Usage errors name the option.
    r = t.call("stats", "--by", "county")
    assert r.rc == 2 and "--by must be village, town or category" in r.err
    r = t.call("stats", "--period", "11/2026")
    assert r.rc == 2 and "--period" in r.err
