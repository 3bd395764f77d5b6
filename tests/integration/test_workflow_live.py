"""The 吹哨报到 workflow features on a live network (issue 4).

Real `gridnode run` daemons on loopback (live.LiveTree), except 1b, 4 and
6, which move changes by file. What is checked, each with exact values:
  1. a county notice reaches every village; read receipts travel up to the
     issuer; `notices --json` at the county, a town and the villages shows
     exactly who read it and who did not; reading twice keeps the first
     receipt; a department holds and may read a notice of its ancestors;
     a town's notice stays in the town's subtree;
  1b. a town (or village) that reads after a node below it read signs a
     receipt of its own;
  2. the county's `stats` (the sum of the towns' signed daily rollups)
     equals the sum of the towns' own `stats` (their cases, a town's own
     case included), for the month and the day, in total and --by village,
     town and category, every count and every rate; each town's stats
     equal a recount in Python from `list`/`show` of its cases;
  3. a town's daemon auto-whistles an overdue case to the county exactly
     once, across kill -9 and restart of town and county and across the
     county returning the case; a case acked late but within the limit is
     never auto-whistled;
  4. ack deadlines to the millisecond with GRIDNODE_NOW_MS, and a
     department whose clock is a day behind: its ack still sorts after the
     dispatch (HLC) and counts as on time;
  5. monthly check reports: zero report, a refiled report, a late one and a
     missing one, at the towns and the county, the due day on its boundary
     and moved by deadlines.ini, the default month in CST;
  6. `gridnode rollup` by hand (a town that syncs by file), re-signed only
     when counts change, and the CST midnight boundary of --period.

Every wait is a poll loop with a deadline; only 127.0.0.1; the fixture
stops every daemon it started by pid and requires `verify` on every node.
"""

import calendar
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import gridsync
from gridsync import GridnodeError, Result

from live import LiveTree, finish, hold_for, wait_until

CST_S = 8 * 3600          # China Standard Time, UTC+8
HOUR_MS = 3600000
DAY_MS = 86400000

COUNT_NAMES = (
    "received", "open", "settled", "settled_village", "settled_town",
    "settled_county", "overdue", "disputes_settled", "mediated",
    "assignments_due", "acked_on_time", "followed_up", "satisfied",
    "simple", "complex", "hard", "graded_settled", "settled_as_graded",
    "passed_up")
RATE_NAMES = ("closure", "mediation", "ontime_ack", "satisfaction",
              "in_village", "in_town", "not_passed_up", "as_graded")
DISPUTES = ("marriage", "neighbor", "debt", "land")
GRADE_DEPTH = {"simple": 3, "complex": 2, "hard": 1}


@pytest.fixture
def live(gridnode, request):
    base = Path(tempfile.mkdtemp(prefix="gsw", dir="/tmp"))
    failed = request.session.testsfailed
    t = LiveTree(base)
    try:
        yield t
    finally:
        finish(t, base, request, failed)


# -- helpers ----------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def call_at(node, ms, *args):
    """node.call with GRIDNODE_NOW_MS = ms: the process's wall clock."""
    args = [str(a) for a in args]
    argv = [gridsync.binary()] + args + ["--data", str(node.dir)]
    env = dict(os.environ)
    env.pop("GRIDNODE_DATA", None)
    env["GRIDNODE_ACTOR"] = node.actor
    env["GRIDNODE_NOW_MS"] = str(ms)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env,
                       timeout=gridsync.TIMEOUT)
    return Result(argv, p.returncode, p.stdout.decode("utf-8"),
                  p.stderr.decode("utf-8"))


def run_at(node, ms, *args, json=False):
    if json:
        args = args + ("--json",)
    r = call_at(node, ms, *args)
    if r.rc != 0:
        raise GridnodeError(r.argv, r.rc, r.out, r.err)
    return r.json if json else r.out


def cst_ms(y, m, d, hh=0, mi=0, ss=0, ms=0):
    """Unix ms of a China Standard Time wall-clock instant."""
    return (calendar.timegm((y, m, d, hh, mi, ss, 0, 0, 0)) - CST_S) * 1000 + ms


def cst_day(ms):
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000 + CST_S))


def depth(path):
    return path.count("/") + 1


def case_state(n, case):
    """show --json of case at n, or None when n does not hold it."""
    r = n.run("show", case, "--json", check=False)
    if r.rc == 0:
        return r.json
    assert r.rc == 1, r
    return None


def has_state(n, case, **want):
    """n holds case and its show --json has every key of want."""
    s = case_state(n, case)
    return s is not None and all(s[k] == v for k, v in want.items())


def wait_state(live, n, case, what, timeout=15, **want):
    wait_until(lambda: has_state(n, case, **want), timeout,
               "%s: %s at %s" % (what, want, n.path),
               detail=lambda: "%s\n%s" % (case_state(n, case),
                                          live.describe(n.path)))


# -- 1. notices and read receipts -------------------------------------------

def notice_at(n, nid):
    hits = [x for x in n.run("notices", json=True) if x["id"] == nid]
    assert len(hits) <= 1, hits
    return hits[0] if hits else None


def readers(x):
    return [r["path"] for r in x["readers"]]


def test_notice_reaches_villages_and_receipts_reach_issuer(live):
    cy, cm, fh = live["qianyang"], live["cuimu"], live["fenghuang"]
    x, s, dc, xc = (live[n] for n in ("xiazhai", "shangzhai", "dongcun",
                                      "xicun"))
    po, ju = live["@police"], live["@justice"]
    villages = [x, s, dc, xc]
    live.start()

    title, body = "森林防火通知", "清明期间严禁野外用火，请各村签收"
    nid = cy.run("notice", "--title", title, "--body", body,
                 json=True)["change"]
    wait_until(lambda: all(notice_at(n, nid) for n in live), 15,
               "the notice at every node under the county",
               detail=lambda: {n.path: notice_at(n, nid) for n in live})
    issued = notice_at(cy, nid)
    assert (issued["issuer"], issued["title"], issued["body"],
            issued["read"], issued["readers"], issued["expected"]) == (
        cy.path, title, body, None, [], 4)
    assert issued["unread"] == sorted(v.path for v in villages)
    for v in villages:
        assert [i["id"] for i in v.run("notices", json=True)] == [nid], v
        got = notice_at(v, nid)
        assert (got["issuer"], got["title"], got["body"], got["hlc"],
                got["read"], got["readers"], got["expected"],
                got["unread"]) == (cy.path, title, body, issued["hlc"], False,
                                   [], 0, []), v

    # Two villages of cuimu and one of fenghuang read it.
    rid = {}
    for v, note in ((x, None), (s, None), (dc, "已组织村民学习")):
        args = ("read", nid) + (("--note", note) if note else ())
        rid[v.path] = v.run(*args).strip()
        assert len(rid[v.path]) == 64, rid
    assert len(set(rid.values())) == 3

    def at_issuer():
        return readers(notice_at(cy, nid)) == sorted(rid)
    wait_until(at_issuer, 15, "the three receipts at the county",
               detail=lambda: (notice_at(cy, nid), notice_at(cm, nid),
                               notice_at(fh, nid)))
    live.wait_settled()

    county = notice_at(cy, nid)
    hlc = {r["path"]: r["hlc"] for r in county["readers"]}
    assert readers(county) == [s.path, x.path, dc.path]
    assert county["expected"] == 4
    assert county["unread"] == [xc.path]
    assert county["read"] is None          # the issuer is not below itself
    town = notice_at(cm, nid)
    assert (town["readers"], town["expected"], town["unread"],
            town["read"]) == (
        [{"path": s.path, "hlc": hlc[s.path]},
         {"path": x.path, "hlc": hlc[x.path]}], 2, [], False)
    town = notice_at(fh, nid)
    assert (town["readers"], town["expected"], town["unread"],
            town["read"]) == (
        [{"path": dc.path, "hlc": hlc[dc.path]}], 2, [xc.path], False)
    for v in (x, s, dc):    # a village holds its own receipt only
        got = notice_at(v, nid)
        assert (got["read"], got["readers"], got["expected"]) == (
            True, [{"path": v.path, "hlc": hlc[v.path]}], 0), v
    got = notice_at(xc, nid)
    assert (got["read"], got["readers"]) == (False, [])

    # Reading twice: the first receipt, exit 0, nothing new signed.
    before = x.whoami()["own_seq"]
    r = x.call("read", nid)
    assert (r.rc, r.out, r.err) == (
        0, rid[x.path] + "\n",
        "gridnode read: already read (已阅); receipt %s\n" % rid[x.path]), r
    r = x.call("read", nid, "--json")
    assert r.rc == 0 and r.json == {"change": rid[x.path], "already": True}, r
    assert x.whoami()["own_seq"] == before

    # The issuer cannot acknowledge its own notice; ids are checked.
    r = cy.call("read", nid)
    assert (r.rc, r.out, r.err) == (
        1, "", "gridnode read: notice %s was issued by qianyang; only a node "
        "below it can acknowledge it\n" % nid), r
    r = x.call("read", "0" * 64)
    assert (r.rc, r.err) == (1, "gridnode read: no notice %s on this node\n"
                             % ("0" * 64)), r
    r = x.call("read", nid[:63])
    assert r.rc == 2 and r.err.startswith(
        "gridnode read: NOTICE must be a notice's id: 64 hex digits"), r

    # Departments: DESIGN §4 sends a notice to the issuer's whole subtree,
    # and scope.c does (gs_path_within(issuer, path)), departments
    # included; a department below the issuer may sign a receipt
    # (trust.c), which travels up like a village's. `expected`/`unread`
    # count villages only, so a department's receipt shows among the
    # readers but changes neither.
    for d in (po, ju):
        got = notice_at(d, nid)
        assert (got["read"], got["readers"], got["expected"],
                got["unread"]) == (False, [], 0, []), d
    prid = po.run("read", nid).strip()
    wait_until(lambda: readers(notice_at(cy, nid)) == sorted(
        [s.path, x.path, dc.path, po.path]), 15,
        "the department's receipt at the county",
        detail=lambda: notice_at(cy, nid))
    county = notice_at(cy, nid)
    assert (county["expected"], county["unread"]) == (4, [xc.path])
    assert readers(notice_at(cm, nid)) == [po.path, s.path, x.path]
    assert notice_at(cm, nid)["unread"] == []
    assert readers(notice_at(fh, nid)) == [dc.path]   # not fenghuang's
    assert notice_at(po, nid)["read"] is True
    assert len(prid) == 64 and prid not in rid.values()
    # A department cannot issue one.
    r = po.call("notice", "--title", "部门通知")
    assert (r.rc, r.err) == (1, "gridnode notice: refused: only an area node "
                             "may issue a notice\n"), r

    # A town's notice stays in the town's subtree.
    tid = cm.run("notice", "--title", "镇防汛通知", json=True)["change"]
    wait_until(lambda: all(notice_at(n, tid) for n in (x, s, po)), 15,
               "the town's notice at its villages and its department")
    live.wait_settled()
    for n in (cy, fh, dc, xc, ju):
        assert notice_at(n, tid) is None, n
    assert notice_at(cm, tid)["expected"] == 2
    assert [i["id"] for i in cm.run("notices", json=True)] == [tid, nid]
    assert notice_at(cm, tid)["unread"] == [s.path, x.path]
    r = dc.call("read", tid)
    assert (r.rc, r.err) == (1, "gridnode read: no notice %s on this node\n"
                             % tid), r


def test_reader_below_a_reader_still_signs_its_own_receipt(tree):
    """`read` must find this node's own receipt, not the receipt of a node
    below it whose path starts with this node's path: a town that reads a
    county notice after one of its villages did, and a village after one
    of its grids, each sign a receipt of their own (by file)."""
    x, cm, cy = tree["xiazhai"], tree["cuimu"], tree["qianyang"]
    g = tree.add("qianyang/cuimu/xiazhai/g1")    # a grid (网格) node

    # A fresh notice for each pair: the village reads the first one as
    # the town's "below" and must not have read the second yet.
    for reader, below in ((cm, x), (x, g)):
        nid = cy.run("notice", "--title", "春耕安全生产通知 " + reader.path,
                     json=True)["change"]
        tree.relay(cy, cm, x, g)
        theirs = below.run("read", nid).strip()
        tree.move(below, reader)
        assert readers(notice_at(reader, nid)) == [below.path]
        r = reader.call("read", nid)
        assert r.rc == 0, r
        mine = r.out.strip()
        assert (mine != theirs, r.err) == (True, ""), (reader, r)
        got = notice_at(reader, nid)
        assert got["read"] is True, (reader, got)
        assert readers(got) == sorted([reader.path, below.path]), got


# -- 2. rollups: the county's figures are the towns' -------------------------

def rate(num, den):
    return None if den == 0 else float("%.4f" % (num / den))


def rates_of(k):
    return {
        "closure": rate(k["settled"], k["received"]),
        "mediation": rate(k["mediated"], k["disputes_settled"]),
        "ontime_ack": rate(k["acked_on_time"], k["assignments_due"]),
        "satisfaction": rate(k["satisfied"], k["followed_up"]),
        "in_village": rate(k["settled_village"], k["settled"]),
        "in_town": rate(k["settled_village"] + k["settled_town"],
                        k["settled"]),
        "not_passed_up": rate(k["settled"] - k["passed_up"], k["settled"]),
        "as_graded": rate(k["settled_as_graded"], k["graded_settled"]),
    }


def counts_of(g):
    assert set(RATE_NAMES) == set(g["rates"]), g
    return {k: g[k] for k in COUNT_NAMES}


def add_counts(a, b):
    return {k: a.get(k, 0) + b[k] for k in COUNT_NAMES}


def stats(n, *args):
    return n.run("stats", *args, json=True)


def town_sum(towns, args):
    """The towns' stats for args, summed: (total counts, {key: counts},
    {key: label})."""
    total, groups, labels = {k: 0 for k in COUNT_NAMES}, {}, {}
    for t in towns:
        st = stats(t, *args)
        assert st["source"] == "cases" and st["node"] == t.path, st
        total = add_counts(total, counts_of(st["total"]))
        assert st["total"]["rates"] == rates_of(counts_of(st["total"]))
        for g in st["groups"]:
            groups[g["key"]] = add_counts(groups.get(g["key"], {}),
                                          counts_of(g))
            assert g["rates"] == rates_of(counts_of(g)), g
            if "label" in g:
                labels[g["key"]] = g["label"]
    return total, groups, labels


def check_county_is_sum(cy, towns, args):
    st = stats(cy, *args)
    assert (st["node"], st["source"]) == (cy.path, "rollups"), st
    total, groups, labels = town_sum(towns, args)
    assert counts_of(st["total"]) == total, args
    assert st["total"]["rates"] == rates_of(total), args
    assert [g["key"] for g in st["groups"]] == sorted(groups), args
    for g in st["groups"]:
        assert counts_of(g) == groups[g["key"]], (args, g["key"])
        assert g["rates"] == rates_of(groups[g["key"]]), (args, g["key"])
        assert g.get("label") == labels.get(g["key"]), (args, g)
    return st


def case_counts(s, now):
    """The counts of one case (show --json) as rates.c defines them,
    computed here from the case's state and timeline."""
    k = {n: 0 for n in COUNT_NAMES}
    k["received"] = 1
    settled = s["status"] in ("resolved", "closed")
    if not settled:
        k["open"] = 1
    for a in s["assignments"]:
        if s["status"] in ("open", "dispatched") and (
                (not a["acked"] and now > a["ack_deadline_ms"]) or
                (not a["resolved"] and now > a["resolve_deadline_ms"])):
            k["overdue"] = 1
    if s["severity"] in GRADE_DEPTH:
        k[s["severity"]] = 1
    if settled:
        d = depth(s["level"])
        k["settled"] = 1
        k["settled_village" if d >= 3 else "settled_town" if d == 2
          else "settled_county"] = 1
        if s["severity"] in GRADE_DEPTH:
            k["graded_settled"] = 1
            k["settled_as_graded"] = int(d >= GRADE_DEPTH[s["severity"]])
        # Whistled up to the county at some time: a whistle in the
        # timeline whose text names the root as the level reached.
        k["passed_up"] = int(any(
            e["kind"] == "whistle" and e["flag"] == "ok" and
            e["text"].endswith("至 " + gridsync.COUNTY) for e in s["timeline"]))
        if s["category"] in DISPUTES:
            k["disputes_settled"] = 1
            k["mediated"] = int(s["outcome"] == "mediated")
    for a in s["assignments"]:
        acks = [e for e in s["timeline"] if e["kind"] == "ack" and
                e["flag"] == "ok" and e["signer"] == a["department"]]
        assert len(acks) == int(a["acked"]), (s["id"], a)
        if not a["acked"] and now <= a["ack_deadline_ms"]:
            continue
        k["assignments_due"] += 1
        if a["acked"] and (acks[0]["hlc"] >> 16) <= a["ack_deadline_ms"]:
            k["acked_on_time"] += 1
    if s["satisfaction"] != "unset":
        k["followed_up"] = 1
        k["satisfied"] = int(s["satisfaction"] in ("satisfied", "basic"))
    return k


def recount(town, period):
    """Total, by village and by category, counted in Python from the
    town's cases reported in period (CST)."""
    now = now_ms()
    total, by_v, by_c = {k: 0 for k in COUNT_NAMES}, {}, {}
    for c in town.list():
        s = town.show(c["id"])
        if not cst_day(s["created"] >> 16).startswith(period):
            continue
        k = case_counts(s, now)
        total = add_counts(total, k)
        by_v[s["owner"]] = add_counts(by_v.get(s["owner"], {}), k)
        by_c[s["category"]] = add_counts(by_c.get(s["category"], {}), k)
    return total, by_v, by_c


EXPECT_CUIMU = {
    "received": 7, "open": 2, "settled": 5, "settled_village": 1,
    "settled_town": 3, "settled_county": 1, "overdue": 1,
    "disputes_settled": 4, "mediated": 2, "assignments_due": 3,
    "acked_on_time": 2, "followed_up": 3, "satisfied": 2, "simple": 3,
    "complex": 2, "hard": 1, "graded_settled": 5, "settled_as_graded": 3,
    "passed_up": 1}
EXPECT_FENGHUANG = {
    "received": 4, "open": 1, "settled": 3, "settled_village": 1,
    "settled_town": 1, "settled_county": 1, "overdue": 0,
    "disputes_settled": 3, "mediated": 1, "assignments_due": 0,
    "acked_on_time": 0, "followed_up": 2, "satisfied": 2, "simple": 1,
    "complex": 1, "hard": 1, "graded_settled": 2, "settled_as_graded": 2,
    "passed_up": 1}


def test_county_stats_are_the_sum_of_the_towns_rollups(live):
    cy, cm, fh = live["qianyang"], live["cuimu"], live["fenghuang"]
    x, s, dc, xc = (live[n] for n in ("xiazhai", "shangzhai", "dongcun",
                                      "xicun"))
    po, ju = live["@police"], live["@justice"]
    for t in (cm, fh):
        live.configure(t.path, rollup_seconds=1)
    live.start()

    # Settled in the village (小事不出村).
    a1 = x.report("邻里噪音纠纷", category="neighbor", severity="simple")
    x.act("resolve", a1, outcome="mediated")
    x.act("followup", a1, satisfaction="satisfied")
    c1 = dc.report("邻里排水纠纷", category="neighbor", severity="complex")
    dc.act("resolve", c1, outcome="unfounded")
    dc.act("followup", c1, satisfaction="satisfied")
    # Open in the village.
    b1 = s.report("村道积水", category="environment")
    s.act("progress", b1, note="已通知村民绕行")
    c4 = xc.report("路灯损坏", category="other", severity="simple")
    # A resident walks into the town's command center: the town owns the
    # case and settles it itself.
    own = cm.report("来访：工资拖欠", category="livelihood", severity="simple")
    cm.act("resolve", own, outcome="solved")
    # Whistled to the towns.
    a2 = x.report("宅基地边界纠纷", category="land", severity="complex")
    a3 = x.report("婚姻家庭矛盾激化", category="marriage", severity="hard")
    b2 = s.report("借款三万元逾期未还", category="debt", severity="simple")
    b3 = s.report("危房倒塌隐患", category="safety", severity="complex")
    c2 = dc.report("货款纠纷", category="debt")
    c3 = xc.report("山林界址纠纷", category="land", severity="hard")
    for v, c in ((x, a2), (x, a3), (s, b2), (s, b3), (dc, c2), (xc, c3)):
        v.act("whistle", c, reason="请镇里协调")
    for t, c in ((cm, a2), (cm, a3), (cm, b2), (cm, b3), (fh, c2), (fh, c3)):
        wait_state(live, t, c, "the whistle", level=t.path)

    cm.act("dispatch", a2, to="@police", note="请派出所协助调解")
    cm.act("whistle", a3, reason="涉及人身安全，需县里协调")
    cm.act("resolve", b2, outcome="referred")
    cm.act("dispatch", b3, to="@police", ack_hours="0.0001")  # 0.36 s
    fh.act("resolve", c2, outcome="mediated")
    fh.act("whistle", c3, reason="跨镇山林界址，需县里协调")
    wait_state(live, po, a2, "the dispatch", status="dispatched")
    wait_state(live, cy, a3, "the town's whistle", level=cy.path)
    wait_state(live, cy, c3, "the town's whistle", level=cy.path)
    wait_state(live, dc, c2, "the town's resolve", status="resolved")

    po.act("ack", a2, note="已到现场")
    po.act("resolve", a2, outcome="solved")
    cy.act("dispatch", a3, to="@justice")
    cy.act("resolve", c3, outcome="solved")
    dc.act("followup", c2, satisfaction="basic")
    wait_state(live, ju, a3, "the county's dispatch", status="dispatched")
    wait_state(live, x, a2, "the department's resolve", status="resolved")

    ju.act("ack", a3, note="司法所已报到")
    x.act("followup", a2, satisfaction="basic")
    wait_until(lambda: [a["acked"] for a in cy.show(a3)["assignments"]] ==
               [True], 15, "the ack at the county")
    cy.act("resolve", a3, outcome="mediated")
    wait_state(live, x, a3, "the county's resolve", status="resolved")
    x.act("followup", a3, satisfaction="unsatisfied")
    live.wait_settled()

    # b3's ack deadline is long past and every other deadline hours away:
    # overdue no longer changes while we read.
    assert counts_of(stats(cm)["total"]) == EXPECT_CUIMU
    assert counts_of(stats(fh)["total"]) == EXPECT_FENGHUANG
    want = add_counts(EXPECT_CUIMU, EXPECT_FENGHUANG)
    wait_until(lambda: counts_of(stats(cy)["total"]) == want, 20,
               "the towns' rollups summed at the county",
               detail=lambda: (stats(cy)["total"],
                               live.describe("cuimu", "fenghuang")))
    live.wait_settled()

    # The periods the cases fall in (CST): normally one day; the sums
    # must hold for any period, and equal every case when all fall in it.
    days = sorted({cst_day(t.show(c)["created"] >> 16) for t, cs in (
        (cm, (a1, a2, a3, b1, b2, b3, own)), (fh, (c1, c2, c3, c4)))
        for c in cs})
    month = days[0][:7]
    for period in [None, month] + days:
        for by in (None, "village", "town", "category"):
            args = (("--period", period) if period else ()) + (
                ("--by", by) if by else ())
            st = check_county_is_sum(cy, (cm, fh), args)
            if period is None or (len(days) == 1 and
                                  days[0].startswith(period)):
                assert counts_of(st["total"]) == want, args
    st = check_county_is_sum(cy, (cm, fh), ("--by", "town"))
    assert [(g["key"], counts_of(g)) for g in st["groups"]] == [
        (cm.path, EXPECT_CUIMU), (fh.path, EXPECT_FENGHUANG)]
    assert st["total"]["rates"] == {
        "closure": 0.7273, "mediation": 0.4286, "ontime_ack": 0.6667,
        "satisfaction": 0.8, "in_village": 0.25, "in_town": 0.75,
        "not_passed_up": 0.75, "as_graded": 0.7143}
    st = stats(cy, "--by", "village")
    assert [(g["key"], g["received"], g["settled"]) for g in st["groups"]] == [
        (cm.path, 1, 1), (s.path, 3, 1), (x.path, 3, 3), (dc.path, 2, 2),
        (xc.path, 2, 1)]
    st = stats(cy, "--by", "category")
    assert [(g["key"], g["label"], g["received"]) for g in st["groups"]] == [
        ("debt", "债务纠纷", 2), ("environment", "环境卫生", 1),
        ("land", "土地/山林", 2), ("livelihood", "民生诉求", 1),
        ("marriage", "婚姻家庭", 1),
        ("neighbor", "邻里纠纷", 2), ("other", "其他", 1),
        ("safety", "安全隐患", 1)]
    # A month with nothing: zeros and undefined rates at both levels.
    for n in (cy, cm):
        empty = stats(n, "--period", "1999-01")["total"]
        assert counts_of(empty) == {k: 0 for k in COUNT_NAMES}
        assert set(empty["rates"].values()) == {None}

    # Each town's stats equal a recount from its raw cases.
    for t, expect in ((cm, EXPECT_CUIMU), (fh, EXPECT_FENGHUANG)):
        total, by_v, by_c = recount(t, month)
        if len({d[:7] for d in days}) == 1:
            assert total == expect, t
        assert counts_of(stats(t, "--period", month)["total"]) == total, t
        st = stats(t, "--period", month, "--by", "village")
        assert {g["key"]: counts_of(g) for g in st["groups"]} == by_v, t
        st = stats(t, "--period", month, "--by", "category")
        assert {g["key"]: counts_of(g) for g in st["groups"]} == by_c, t
    # The county holds only what was whistled to it (and the town's own
    # case: visible to the town's parent), yet counts all eleven.
    assert cy.case_ids() == sorted([a3, c3, own])


# -- 3. auto-whistle, once per case -------------------------------------------

AUTO_HOURS = 0.001        # 3.6 s overdue before the town whistles
ACK_HOURS = "0.0003"      # 1.08 s to report in
POLICY_EVERY_S = 1.0      # daemon.c POLICY_WHISTLE_EVERY_MS


def auto_whistles(s):
    return [e for e in s["timeline"] if e["kind"] == "whistle" and
            e["text"].startswith("逾期自动")]


def test_auto_whistle_exactly_once_across_restarts_and_return(live):
    cy, cm, x, po = (live[n] for n in ("qianyang", "cuimu", "xiazhai",
                                       "@police"))
    live.configure(cm.path, auto_whistle_hours=AUTO_HOURS)
    live.start("qianyang", "cuimu", "xiazhai", "@police")

    late = x.report("危桥垮塌隐患", category="safety", severity="complex")
    acked = x.report("邻里宅基地纠纷", category="land")
    for c in (late, acked):
        x.act("whistle", c, reason="请镇里派单")
        wait_state(live, cm, c, "the whistle", level=cm.path)
    cm.act("dispatch", late, to="@police", ack_hours=ACK_HOURS)
    cm.act("dispatch", acked, to="@police", ack_hours=ACK_HOURS)

    # `acked`: reported in after its deadline, but well within the
    # auto-whistle limit; no longer overdue, so never whistled.
    wait_state(live, po, acked, "the dispatch", status="dispatched")
    deadline = cm.show(acked)["assignments"][0]["ack_deadline_ms"]
    wait_until(lambda: acked in [c["id"] for c in cm.list("--overdue")], 5,
               "the unacked case overdue at the town")
    po.act("ack", acked, note="迟到报到")
    wait_until(lambda: cm.show(acked)["assignments"][0]["acked"], 5,
               "the late ack at the town")
    arrived = now_ms()
    assert arrived - deadline < AUTO_HOURS * HOUR_MS - 1000, (
        "the ack reached the town too late for this test to mean anything",
        arrived - deadline)
    assert cm.show(acked)["overdue"] is False

    # `late`: never acked; the town whistles it to the county by itself.
    wait_state(live, cy, late, "the automatic whistle", timeout=20,
               level=cy.path)
    st = cy.show(late)
    assert [(e["kind"], e["signer"], e["flag"]) for e in st["timeline"]] == [
        ("report", x.path, "ok"), ("whistle", x.path, "ok"),
        ("dispatch", cm.path, "ok"), ("whistle", cm.path, "ok")]
    auto = auto_whistles(st)
    assert [(e["actor"], e["text"]) for e in auto] == [
        ("gridnode", "逾期自动吹哨至 qianyang")]
    assert st["whistles"] == 2 and st["overdue"] is True
    assert live.daemon("cuimu").log().count("auto-whistled") == 1
    assert "auto-whistled 1 overdue case to the level above" in \
        live.daemon("cuimu").log()

    # A power cut at town and county; both come back: nothing new.
    assert live.daemon("cuimu").kill9() == -9
    assert live.daemon("qianyang").kill9() == -9
    live.daemon("qianyang").start()
    live.daemon("cuimu").start()
    live.wait_links(["cuimu", "xiazhai", "@police"])

    def once(n):
        s = n.show(late)
        return len(auto_whistles(s)) == 1 and s["whistles"] == 2

    hold_for(lambda: once(cm) and once(cy), 3 * POLICY_EVERY_S + 0.5,
             "exactly one automatic whistle after the restarts",
             detail=lambda: (cm.show(late)["timeline"],
                             live.describe("cuimu")))

    # The county sends it back; it is still overdue at the town, which
    # must not whistle it again (once per case).
    cy.act("return", late, reason="请镇里督促派出所报到")
    wait_state(live, cm, late, "the return", level=cm.path)
    # A return (like a whistle) sets the status back to open; the
    # department's unacked assignment stays, and with it the overdue.
    st = cm.show(late)
    assert (st["status"], st["overdue"]) == ("open", True)
    assert [(a["department"], a["acked"]) for a in st["assignments"]] == [
        (po.path, False)]
    hold_for(lambda: has_state(cm, late, level=cm.path) and once(cm),
             3 * POLICY_EVERY_S + 0.5,
             "the returned case stays at the town, whistled once",
             detail=lambda: (cm.show(late)["timeline"],
                             live.describe("cuimu")))
    live.wait_settled(["qianyang", "cuimu", "xiazhai", "@police"])
    for n in (cy, cm, x, po):
        st = n.show(late)
        assert [e["kind"] for e in st["timeline"]] == [
            "report", "whistle", "dispatch", "whistle", "return"], n
        assert len(auto_whistles(st)) == 1 and st["level"] == cm.path, n
    assert live.daemon("cuimu").log().count("auto-whistled") == 1

    # The acked case: never whistled past the town.
    st = cm.show(acked)
    assert [e["kind"] for e in st["timeline"]] == [
        "report", "whistle", "dispatch", "ack"]
    assert (st["level"], st["whistles"], auto_whistles(st)) == (
        cm.path, 1, [])
    assert not cy.holds(acked)


# -- 4. deadlines across a clock change (by file) ----------------------------

def test_deadlines_to_the_ms_and_a_department_clock_a_day_behind(tree):
    x, cm, po = tree["xiazhai"], tree["cuimu"], tree["@police"]
    case = x.report("土地承包纠纷", category="land")
    x.act("whistle", case)
    tree.move(x, cm)

    t = now_ms() + 5000      # after every HLC so far: the dispatch's own
    j = run_at(cm, t, "dispatch", case, "--to", "@police", "--ack-hours", "2",
               json=True)
    st = cm.show(case)
    disp = [e for e in st["timeline"] if e["kind"] == "dispatch"]
    assert [e["change"] for e in disp] == [j["change"]]
    assert disp[0]["hlc"] >> 16 == t
    a = st["assignments"][0]
    assert (a["department"], a["acked"], a["ack_deadline_ms"],
            a["resolve_deadline_ms"]) == (po.path, False, t + 2 * HOUR_MS,
                                          t + 120 * HOUR_MS)

    def overdue_at(ms):
        return [c["id"] for c in run_at(cm, ms, "list", "--overdue",
                                        json=True)]
    assert overdue_at(t + 2 * HOUR_MS - 1) == []
    assert overdue_at(t + 2 * HOUR_MS) == []
    assert overdue_at(t + 2 * HOUR_MS + 1) == [case]
    assert run_at(cm, t + 2 * HOUR_MS, "show", case, json=True)[
        "overdue"] is False
    assert run_at(cm, t + 2 * HOUR_MS + 1, "show", case, json=True)[
        "overdue"] is True

    # The department's clock is a day behind when it reports in.
    tree.move(cm, po)
    k = run_at(po, t - DAY_MS, "ack", case, "--note", "已到现场", json=True)
    tree.move(po, cm)
    for n in (po, cm):
        st = n.show(case)
        tl = st["timeline"]
        assert [(e["kind"], e["flag"]) for e in tl] == [
            ("report", "ok"), ("whistle", "ok"), ("dispatch", "ok"),
            ("ack", "ok")], n
        assert tl[3]["change"] == k["change"]
        assert tl[3]["hlc"] > tl[2]["hlc"], n       # sorts after
        assert tl[3]["hlc"] >> 16 == t, n           # the HLC held, not the clock
        assert st["assignments"][0]["acked"] is True
    later = t + 3 * HOUR_MS
    assert run_at(cm, later, "list", "--overdue", json=True) == []
    tot = run_at(cm, later, "stats", json=True)["total"]
    assert (tot["assignments_due"], tot["acked_on_time"], tot["overdue"],
            tot["rates"]["ontime_ack"]) == (1, 1, 0, 1.0)


# -- 5. monthly check reports -------------------------------------------------

def check_row(village, found=None, ms=None, late=False):
    if ms is None:
        return {"village": village, "filed": False, "found": None,
                "zero": False, "late": False, "hlc": 0}
    return {"village": village, "filed": True, "found": found,
            "zero": found == 0, "late": late, "hlc": ms << 16}


def test_monthly_check_reports_at_town_and_county(live):
    cy, cm, fh = live["qianyang"], live["cuimu"], live["fenghuang"]
    x, s, dc, xc = (live[n] for n in ("xiazhai", "shangzhai", "dongcun",
                                      "xicun"))
    live.start("qianyang", "cuimu", "fenghuang", "xiazhai", "shangzhai",
               "dongcun", "xicun")

    # A month two months ahead (CST): every filing's clock is after every
    # HLC the villages hold, so each report's HLC is its clock exactly.
    y, m = map(int, cst_day(now_ms())[:7].split("-"))
    m += 2
    if m > 12:
        y, m = y + 1, m - 12
    period = "%04d-%02d" % (y, m)
    due = period + "-25"
    t_x = cst_ms(y, m, 25, 23, 59, 59, 999)    # the last ms of the due day
    # shangzhai files on time and corrects it after the due day: what it
    # found is the correction's, and it is still on time (its first).
    t_s1, t_s2 = cst_ms(y, m, 3, 9), cst_ms(y, m, 27, 16, 30)
    t_dc = cst_ms(y, m, 26)                    # the first ms after it

    run_at(x, t_x, "check", "--found", "0", "--period", period)
    run_at(s, t_s1, "check", "--found", "0", "--period", period)
    run_at(s, t_s2, "check", "--found", "2", "--period", period,
           "--note", "发现两处危房")            # filed again: replaces
    run_at(dc, t_dc, "check", "--found", "1", "--period", period)
    # Without --period: the month of the clock, in CST. The last ms of the
    # month before (CST) is 15:59:59.999 UTC of its last day.
    prev = "%04d-%02d" % ((y, m - 1) if m > 1 else (y - 1, 12))
    t_xc = cst_ms(y, m, 1) - 1
    run_at(xc, t_xc, "check", "--found", "0")

    rows = {
        x.path: check_row(x.path, 0, t_x),
        s.path: check_row(s.path, 2, t_s2),
        dc.path: check_row(dc.path, 1, t_dc, late=True),
        xc.path: check_row(xc.path),
    }

    def checks(n, *args):
        return n.run("checks", "--period", period, *args, json=True)

    want_county = {
        "period": period, "due": due, "villages": 4, "filed": 3,
        "on_time": 2, "reporting_rate": 0.75,
        "rows": [rows[p] for p in sorted(rows)]}
    wait_until(lambda: checks(cy) == want_county, 15,
               "the check reports at the county",
               detail=lambda: (checks(cy), checks(cm), checks(fh)))
    assert checks(cm) == {
        "period": period, "due": due, "villages": 2, "filed": 2,
        "on_time": 2, "reporting_rate": 1.0,
        "rows": [rows[s.path], rows[x.path]]}
    assert checks(fh) == {
        "period": period, "due": due, "villages": 2, "filed": 1,
        "on_time": 0, "reporting_rate": 0.5,
        "rows": [rows[dc.path], rows[xc.path]]}
    # xicun's report went to the month before (late: after its 25th); the
    # default period of `checks` is the clock's month, in CST.
    got = run_at(cy, t_xc, "checks", json=True)
    assert (got["period"], got["filed"], got["on_time"]) == (prev, 1, 0)
    assert [r for r in got["rows"] if r["filed"]] == [
        check_row(xc.path, 0, t_xc, late=True)]
    assert run_at(cy, t_xc + 1, "checks", json=True) == want_county
    # A village sees no villages below it.
    assert checks(x) == {"period": period, "due": due, "villages": 0,
                         "filed": 0, "on_time": 0, "reporting_rate": None,
                         "rows": []}
    # Another month: nobody filed.
    other = cy.run("checks", "--period", "1999-02", json=True)
    assert (other["due"], other["filed"], other["on_time"],
            other["reporting_rate"]) == ("1999-02-25", 0, 0, 0.0)
    assert [r["filed"] for r in other["rows"]] == [False] * 4

    # fenghuang moves its due day to the 26th: dongcun is on time there,
    # still late at the county (its own default, the 25th).
    (fh.dir / "deadlines.ini").write_text("[check]\ndue_day = 26\n")
    got = checks(fh)
    assert (got["due"], got["on_time"], got["rows"][0]["late"]) == (
        period + "-26", 1, False)
    assert checks(cy) == want_county
    (fh.dir / "deadlines.ini").write_text("[check]\ndue_day = 29\n")
    r = fh.call("checks", "--period", period)
    assert (r.rc, r.out, r.err) == (
        1, "", "gridnode checks: %s/deadlines.ini line 2: [check] due_day = "
        "'29': want due_day, a day of the month from 1 to 28\n" % fh.dir), r

    # Only a village files one.
    for n in (cm, live["@police"]):
        r = n.call("check", "--found", "0", "--period", period)
        assert (r.rc, r.err) == (1, "gridnode check: refused: only a village "
                                 "may file a check report\n"), (n, r)
    r = x.call("check", "--found", "-1")
    assert r.rc == 2 and r.err.startswith(
        "gridnode check: --found must be a count from 0 to 100000\n"), r


# -- 6. rollups by hand, and the CST day boundary (by file) -------------------

def test_rollup_by_hand_and_the_cst_day_boundary(tree):
    """A town that syncs by file signs its rollups with `gridnode rollup`;
    the county's figures follow them. Periods cut days at midnight China
    Standard Time: 16:00 UTC."""
    x, cm, cy = tree["xiazhai"], tree["cuimu"], tree["qianyang"]
    y = int(cst_day(now_ms())[:4]) + 1     # after every HLC held so far
    feb_last = calendar.monthrange(y, 2)[1]
    midnight = cst_ms(y, 3, 1)             # the last day of Feb, 16:00 UTC
    assert midnight == (calendar.timegm((y, 2, feb_last, 16, 0, 0, 0, 0,
                                         0)) * 1000)
    feb = run_at(x, midnight - 1, "report", "--category", "neighbor",
                 "--title", "二月最后一毫秒的纠纷", json=True)["case"]
    mar = run_at(x, midnight, "report", "--category", "debt",
                 "--title", "三月第一毫秒的纠纷", json=True)["case"]
    tree.move(x, cm)
    assert (cm.show(feb)["created"] >> 16, cm.show(mar)["created"] >> 16) == (
        midnight - 1, midnight)

    def received(n, period):
        st = n.run("stats", "--period", period, "--by", "category",
                   json=True)
        return (st["total"]["received"],
                [(g["key"], g["received"]) for g in st["groups"]])

    periods = {"%d-02" % y: (1, [("neighbor", 1)]),
               "%d-02-%02d" % (y, feb_last): (1, [("neighbor", 1)]),
               "%d-03" % y: (1, [("debt", 1)]),
               "%d-03-01" % y: (1, [("debt", 1)]),
               "%d" % y: (2, [("debt", 1), ("neighbor", 1)])}
    for p, want in periods.items():
        assert received(cm, p) == want, p

    # Nothing signed yet: the county counts nothing.
    tree.move(cm, cy)
    assert stats(cy, "--period", str(y))["total"]["received"] == 0
    assert cm.run("rollup", json=True) == {"signed": 2}   # one per day
    assert cm.run("rollup", json=True) == {"signed": 0}   # nothing changed
    tree.move(cm, cy)
    for p, want in periods.items():
        assert received(cy, p) == want, p
        assert stats(cy, "--period", p)["source"] == "rollups"

    # A change of counts is signed again; only that day's rollup.
    x.act("resolve", mar, outcome="mediated")
    tree.move(x, cm)
    assert cm.run("rollup", json=True) == {"signed": 1}
    tree.move(cm, cy)
    for p in ("%d-03" % y, str(y)):
        c = counts_of(stats(cy, "--period", p)["total"])
        assert c == counts_of(stats(cm, "--period", p)["total"]), p
        assert (c["settled"], c["mediated"]) == (1, 1), p

    # Only a town signs rollups.
    for n in (cy, x, tree["@justice"], tree["@police"]):
        r = n.call("rollup")
        assert (r.rc, r.out, r.err) == (
            1, "", "gridnode rollup: only a town signs rollups; %s is not "
            "one\n" % n.path), (n, r)
