"""Live sync: real `gridnode run` daemons on loopback (issue 3).

What is checked, each with exact counts, digests and `show`:
  1. propagation up and down with the scope rules (whistle, dispatch, ack,
     escalation with backfill to the county, a county notice everywhere);
  2. a village offline while 1,000 changes are made on both sides;
  3. a relay (the town) stopped with SIGTERM mid-stream and restarted;
  4. the receiver (the town) killed with SIGKILL while batches flow;
  5. a fault proxy cutting the village's TCP link every 200-500 ms;
  6. a key nobody enrolled refused at the link (and `peers` says why);
  7. a revoked key refused: at its next handshake, and on a live link;
plus `peers` on a stopped node showing its links down.

Every test builds a fresh county (live.LIVE_PATHS) whose join bundles name
the parents' loopback endpoints, starts the daemons it needs, and waits
only in poll loops with deadlines. The fixture stops every daemon it
started by pid (SIGTERM; each must exit 0) and then requires `verify` to
exit 0 on every node.
"""

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gridsync import Node

from live import (FaultProxy, LiveTree, count_in, counters, envelope_infos,
                  finish, hold_for, link_of, no_duplicates, timeline_ids,
                  wait_until, write_many)

TITLE = "宅基地边界纠纷"
DESC = "下寨村三组王家与李家因宅基地界桩位置发生争执，双方多次争吵。"


def kinds(s):
    return [e["kind"] for e in s["timeline"]]


@pytest.fixture
def live(gridnode, request):
    base = Path(tempfile.mkdtemp(prefix="gsl", dir="/tmp"))
    failed = request.session.testsfailed
    t = LiveTree(base)
    try:
        yield t
    finally:
        finish(t, base, request, failed)


def same_show(nodes, case):
    """show --json of case is identical on every node of nodes."""
    ss = [n.show(case) if n.holds(case) else None for n in nodes]
    return ss[0] is not None and all(s == ss[0] for s in ss)


def same_digest(nodes, scope, count):
    ds = [n.digest(scope=scope) for n in nodes]
    return all(d == ds[0] for d in ds) and ds[0][1] == count


# -- 1 ----------------------------------------------------------------------

def test_live_propagation_and_scope(live):
    x, s, cm, fh, dc, xc, po, ju, cy = (
        live[n] for n in ("xiazhai", "shangzhai", "cuimu", "fenghuang",
                          "dongcun", "xicun", "@police", "@justice",
                          "qianyang"))
    live.start()   # all nine daemons; every link up

    # A village's case reaches its town live.
    case = x.report(TITLE, category="neighbor", desc=DESC, severity="complex")
    x.act("progress", case, note="网格员已上门了解情况")
    wait_until(lambda: same_show([x, cm], case), 10, "the report at the town",
               detail=lambda: live.describe("xiazhai", "cuimu"))

    # 吹哨: the village whistles; the town's view follows.
    x.act("whistle", case, reason="村调委会两次调解未果，请镇里协调")
    wait_until(lambda: same_show([x, cm], case) and
               cm.show(case)["level"] == cm.path, 10, "the whistle at the town")

    # 派单: the town's dispatch reaches @police (with the whole history) and
    # the owner village.
    cm.act("dispatch", case, to="@police", ack_hours=1, resolve_hours=72,
           note="请派出所民警到现场协助调解")
    wait_until(lambda: same_show([cm, po, x], case), 10,
               "the dispatch at @police and the village",
               detail=lambda: live.describe("cuimu", "@police", "xiazhai"))
    st = po.show(case)
    assert kinds(st) == ["report", "progress", "whistle", "dispatch"]
    assert st["status"] == "dispatched"
    assert st["visible"] == sorted([x.path, cm.path, po.path])
    assert [(a["department"], a["acked"]) for a in st["assignments"]] == [
        (po.path, False)]

    # 报到: the department's ack reaches the town and the village.
    po.act("ack", case, note="已到现场")
    wait_until(lambda: same_show([po, cm, x], case), 10,
               "the ack at the town and the village")
    assert [(a["department"], a["acked"])
            for a in x.show(case)["assignments"]] == [(po.path, True)]

    # A whistle to the county brings the whole history to the county.
    assert not cy.holds(case)
    cm.act("whistle", case, reason="涉及土地确权，需县里协调")
    wait_until(lambda: same_show([cm, cy, x, po], case), 10,
               "the case's whole history at the county",
               detail=lambda: live.describe("qianyang", "cuimu"))
    st = cy.show(case)
    assert st["level"] == cy.path
    assert kinds(st) == ["report", "progress", "whistle", "dispatch", "ack",
                         "whistle"]
    assert len(st["timeline"]) == len(cm.show(case)["timeline"]) == 6
    assert st["visible"] == sorted([x.path, cm.path, po.path, cy.path])
    d = {n.path: n.digest(scope=case) for n in (x, cm, po, cy)}
    assert len(set(d.values())) == 1 and d[x.path][1] == 6, d

    # Cases that must stay where they are: an un-escalated village case,
    # and a case another town handles.
    quiet = s.report("村道积水", category="environment")
    other = dc.report("邻居家狗夜间吠叫扰民", category="neighbor")
    dc.act("whistle", other, reason="请镇里协调")
    wait_until(lambda: same_show([s, cm], quiet) and
               same_show([dc, fh], other), 10, "the other cases at their towns")
    live.wait_settled()
    assert cy.case_ids() == [case]          # never an un-escalated case
    assert not cy.holds(quiet) and not cy.holds(other)
    assert count_in(cy, s.path) == 0 and count_in(cy, fh.path) == 0
    assert cm.case_ids() == sorted([case, quiet])
    assert fh.case_ids() == [other]
    assert x.case_ids() == [case]           # never another village's case
    assert s.case_ids() == [quiet]
    assert dc.case_ids() == [other]
    assert xc.case_ids() == []
    assert po.case_ids() == [case]
    assert ju.case_ids() == []              # nothing dispatched to it
    assert count_in(x, s.path) == 0 and count_in(s, x.path) == 0
    assert count_in(xc, dc.path) == 0 and count_in(dc, cm.path) == 0
    assert x.digest(scope=x.path) == cm.digest(scope=x.path)
    assert s.digest(scope=s.path) == cm.digest(scope=s.path)
    assert dc.digest(scope=dc.path) == fh.digest(scope=dc.path)

    # A county notice reaches every node under it: each holds exactly one
    # change more, and that change is the notice.
    before = {n.path: n.whoami()["changes"] for n in live}
    notice = cy.run("notice", "--title", "森林防火通知",
                    "--body", "清明期间严禁野外用火", json=True)["change"]
    under = [n for n in live if n is not cy]

    def has_notice():
        return all(n.whoami()["changes"] == before[n.path] + 1 for n in under)
    wait_until(has_notice, 15, "the notice at every node under the county",
               detail=lambda: {n.path: counters(n) for n in live})
    for n in under:
        got = [i for i in envelope_infos(n, live.file("all-" + n.name))
               if i["kind"] == "notice"]
        assert [(i["id"], i["signer"]) for i in got] == [(notice, cy.path)], n
    live.wait_settled()
    for n in live:
        no_duplicates(n)


# -- 2 ----------------------------------------------------------------------

def test_village_offline_1000_changes_converges(live):
    x, cm = live["xiazhai"], live["cuimu"]
    live.start("cuimu", "xiazhai")
    case = x.report(TITLE, desc=DESC)
    first = timeline_ids(x, case)
    wait_until(lambda: same_digest([x, cm], x.path, 1), 10,
               "the report at the town")

    assert live.daemon("xiazhai").stop() == 0   # the village goes offline
    own0 = x.whoami()["own_seq"]
    with ThreadPoolExecutor(2) as ex:
        fv = ex.submit(write_many, x, "progress", case,
                       ["村里第%d次走访" % i for i in range(500)], workers=16)
        ft = ex.submit(write_many, cm, "progress", case,
                       ["镇里第%d次协调" % i for i in range(500)], workers=4)
        vids, tids = fv.result(), ft.result()
    want = set(first) | set(vids) | set(tids)
    assert len(want) == 1001
    assert x.whoami()["own_seq"] == own0 + 500
    # Nothing crossed while the village was down.
    assert count_in(x, x.path) == 501 and count_in(cm, x.path) == 501

    live.daemon("xiazhai").start()
    wait_until(lambda: same_digest([x, cm], x.path, 1001), 30,
               "the village and the town to converge",
               detail=lambda: live.describe("xiazhai", "cuimu"))
    live.wait_settled(["cuimu", "xiazhai"])
    for n in (x, cm):
        ids = timeline_ids(n, case)
        assert len(ids) == 1001 and set(ids) == want, n   # nothing lost
        assert n.digest(scope=case) == x.digest(scope=case)
        no_duplicates(n)                                  # nothing twice
    assert same_show([x, cm], case)
    assert x.whoami()["own_seq"] == own0 + 500
    for n, other in ((x, cm), (cm, x)):
        l = link_of(n, other.path)
        assert (l["connected"], l["behind_in"], l["behind_out"],
                l["rejects_received"], l["rejects_sent"]) == (
                    True, 0, 0, 0, 0), (n, l)


def test_stopped_daemon_leaves_its_links_marked_down(live):
    """`peers` on a node whose daemon was stopped must not say its links
    are up (the status written at shutdown is what an operator reads)."""
    x, cm = live["xiazhai"], live["cuimu"]
    live.start("cuimu", "xiazhai")
    assert live.daemon("xiazhai").stop() == 0
    wait_until(lambda: not link_of(cm, x.path)["connected"], 5,
               "the town to see the village's link down")
    l = link_of(x, cm.path)
    assert l["connected"] is False, l


# -- 3 and 4: a backlog from a village through its town to the county --------

def escalated_case(live):
    """A xiazhai case whistled to the county, held by village, town and
    county; returns (case, its change ids)."""
    x, cm, cy = live["xiazhai"], live["cuimu"], live["qianyang"]
    case = x.report(TITLE, desc=DESC)
    x.act("whistle", case, reason="请镇里协调")
    wait_until(lambda: same_show([x, cm], case), 10, "the whistle at the town")
    cm.act("whistle", case, reason="需县里协调")
    wait_until(lambda: same_show([x, cm, cy], case), 10,
               "the case at the county")
    return case, set(timeline_ids(cy, case))


def backlog(live, case, n):
    """With the town's daemon down, the village writes n progress notes
    (its own daemon runs, so the CLI pokes it). Returns their ids."""
    assert live.daemon("cuimu").stop() == 0
    return set(write_many(live["xiazhai"], "progress", case,
                          ["第%d条进展" % i for i in range(n)], workers=8))


def converged(live, case, want):
    nodes = [live[n] for n in ("xiazhai", "cuimu", "qianyang")]
    wait_until(lambda: same_digest(nodes, case, len(want)), 40,
               "village, town and county to converge on %d changes" % len(want),
               detail=lambda: live.describe("xiazhai", "cuimu", "qianyang"))
    live.wait_settled(["qianyang", "cuimu", "xiazhai"])
    for n in nodes:
        ids = timeline_ids(n, case)
        assert len(ids) == len(want) and set(ids) == want, n   # no gaps
        no_duplicates(n)                                       # no dups
    assert same_show(nodes, case)


N_BACKLOG = 1500
SLOW = {"batch_max": 4, "window": 1}   # many small batches in flight


def test_relay_restarted_mid_stream(live):
    for p in live.nodes:
        live.configure(p, **SLOW)
    live.start("qianyang", "cuimu", "xiazhai")
    cy = live["qianyang"]
    case, want = escalated_case(live)
    base = len(want)
    want |= backlog(live, case, N_BACKLOG)
    total = len(want)

    town = live.daemon("cuimu")
    town.start()
    # The backlog flows village -> town -> county; stop the relay while
    # it is under way.
    wait_until(lambda: count_in(cy, case) >= base + 100, 20,
               "the backlog to reach the county",
               interval=0.02, detail=lambda: live.describe("cuimu"))
    m = town.mark()
    assert town.stop() == 0
    log = town.log(m)
    assert "node qianyang/cuimu stopped" in log, log
    at_stop = (count_in(live["cuimu"], case), count_in(cy, case))
    assert at_stop[1] < total, ("the backlog was through before the stop: "
                                "not mid-stream", at_stop, total)

    town.start()
    converged(live, case, want)


def test_receiver_killed_mid_batch(live):
    for p in live.nodes:
        live.configure(p, **SLOW)
    live.start("qianyang", "cuimu", "xiazhai")
    cm = live["cuimu"]
    case, want = escalated_case(live)
    base = len(want)
    want |= backlog(live, case, N_BACKLOG)
    total = len(want)

    town = live.daemon("cuimu")
    cuts = []
    for frac in (0.2, 0.5, 0.8):
        town.start()
        mark = base + int(frac * N_BACKLOG)
        wait_until(lambda: count_in(cm, case) >= mark, 20,
                   "the town to pass %d changes" % mark, interval=0.01,
                   detail=lambda: live.describe("cuimu", "xiazhai"))
        assert town.kill9() == -9
        cuts.append(count_in(cm, case))
        no_duplicates(cm)
    assert cuts[-1] < total, ("the backlog was through before the last "
                              "kill: not mid-stream", cuts, total)
    assert cuts == sorted(cuts), cuts    # nothing applied was lost

    town.start()
    converged(live, case, want)


# -- 5 ----------------------------------------------------------------------

def test_fault_proxy_cuts_every_few_hundred_ms(live):
    x, cm = live["xiazhai"], live["cuimu"]
    proxy = FaultProxy(live.ports[cm.path], seed=3)
    live.extra.append(proxy)
    live.configure(x.path, parent_endpoint=proxy.endpoint, batch_max=8)
    live.configure(cm.path, batch_max=8)
    live.start("cuimu", "xiazhai", links=False)
    case = x.report(TITLE, desc=DESC)
    want = set(timeline_ids(x, case))
    wait_until(lambda: cm.holds(case), 20, "the report across the proxy",
               detail=lambda: "%r\n%s" % (proxy, live.describe("xiazhai",
                                                                 "cuimu")))

    # A whole run of changes on both sides while the proxy keeps cutting.
    t0 = time.monotonic()
    with ThreadPoolExecutor(2) as ex:
        fv = ex.submit(write_many, x, "progress", case,
                       ["村里进展%d" % i for i in range(240)], pause=0.02)
        ft = ex.submit(write_many, cm, "progress", case,
                       ["镇里意见%d" % i for i in range(80)], pause=0.06)
        want |= set(fv.result()) | set(ft.result())
    assert len(want) == 321
    wait_until(lambda: same_digest([x, cm], x.path, 321), 60,
               "every change across the cutting proxy",
               detail=lambda: "%r\n%s" % (proxy, live.describe("xiazhai",
                                                                "cuimu")))
    elapsed = time.monotonic() - t0
    for n in (x, cm):
        ids = timeline_ids(n, case)
        assert len(ids) == 321 and set(ids) == want, n
        no_duplicates(n)
    assert same_show([x, cm], case)
    # The run really was cut, again and again.
    assert proxy.cuts >= 10 and proxy.accepted >= 10, (proxy, elapsed)


# -- 6 ----------------------------------------------------------------------

def start_stray(live):
    """A node that cuimu never enrolled, dialing cuimu with a bundle that
    names cuimu's endpoint and key (signed by a copy of cuimu's store that
    never went live, so cuimu's roster has no Member for its key). Starts
    cuimu, xiazhai and the stray; returns (stray, its case, its daemon,
    cuimu's log mark)."""
    cm = live["cuimu"]
    ghost = live.base / "cuimu-copy"
    shutil.copytree(cm.dir, ghost)
    stray = live.add("qianyang/cuimu/stray", enrol=False)
    bundle = live.file("bundle-stray")
    Node(ghost, cm.path).run("enroll", stray.path, stray.key, "--out", bundle,
                             "--endpoint", live.endpoint_of("cuimu"))
    shutil.rmtree(ghost)
    stray.join(bundle)
    assert stray.whoami()["parent"] == cm.path
    scase = stray.report("冒名上报", desc="未入网终端")
    r = cm.call("revoke", stray.key, "--after-seq", "0")
    assert (r.rc, r.err) == (1, "gridnode revoke: key %s… is not enrolled "
                             "on this node\n" % stray.key[:16]), r

    live.start("cuimu", "xiazhai")
    tm = live.daemon("cuimu").mark()
    sd = live.daemon(stray.path)
    sd.start()
    wait_until(lambda: "parent qianyang/cuimu rejected our key" in sd.log(),
               10, "the stray to log its refusal",
               detail=lambda: sd.log() + live.daemon("cuimu").log(tm))
    return stray, scase, sd, tm


def test_unenrolled_key_refused_at_link(live):
    x, cm = live["xiazhai"], live["cuimu"]

    # A node enrolled by fenghuang cannot simply be pointed at cuimu with
    # cuimu's key: the daemon refuses a config key that contradicts the
    # bundle, before it dials anything.
    odd = live.add("qianyang/fenghuang/stray")
    live.configure(odd.path, parent_endpoint=live.endpoint_of("cuimu"),
                   parent_key=cm.key)
    r = odd.call("run", "--config", str(live.daemons[odd.path].config))
    assert (r.rc, r.out) == (1, ""), r
    assert r.err == ("gridnode run: parent's key in the config does not "
                     "match the one in the join bundle\n"), r

    before = counters(cm)
    stray, scase, sd, tm = start_stray(live)
    wait_until(lambda: "refused a link from curve key" in
               live.daemon("cuimu").log(tm), 10, "the town to log a refusal",
               detail=lambda: live.daemon("cuimu").log(tm))
    assert ("not an enrolled, unrevoked child of qianyang/cuimu" in
            live.daemon("cuimu").log(tm))
    assert ("parent qianyang/cuimu rejected our key (status 400): this node "
            "is not enrolled there, or was revoked") in sd.log()

    # Meanwhile an enrolled village still gets through ...
    xcase = x.report("村道积水", category="environment")
    wait_until(lambda: same_digest([x, cm], x.path, 1), 10,
               "the enrolled village's case at the town")
    # ... and nothing of the stray ever lands.
    hold_for(lambda: not cm.holds(scase) and count_in(cm, stray.path) == 0,
             3, "nothing of the stray at the town")
    assert link_of(cm, stray.path) is None
    after = counters(cm)
    assert cm.holds(xcase)
    assert after["changes"] == before["changes"] + 1, (before, after)
    assert (after["rejects"], after["pending"]) == (0, 0)
    assert sd.running()   # it keeps trying, and keeps being refused
    l = link_of(stray, cm.path)
    assert l is not None and l["connected"] is False, l
    assert (l["checkpoint"], l["acked_upto"]) == (0, 0), l


def test_refused_node_peers_names_the_reason(live):
    """DESIGN §5: errors a person can read. After the parent refused the
    key, `peers` on the refused node says so."""
    stray, _, sd, _ = start_stray(live)
    time.sleep(1.5)   # link status is persisted at most once a second
    l = link_of(stray, live["cuimu"].path)
    assert l is not None and l["connected"] is False, l
    assert l["last_error"] == "parent rejected our key", l


# -- 7 ----------------------------------------------------------------------

def test_revoked_terminal_refused_when_it_reconnects(live):
    """The terminal is lost (offline) when the town revokes it; whatever it
    writes afterwards never reaches the town."""
    x, s, cm = live["xiazhai"], live["shangzhai"], live["cuimu"]
    live.start("cuimu", "xiazhai", "shangzhai")
    case = s.report("村道积水", category="environment")
    s.act("progress", case, note="已通知村民绕行")
    wait_until(lambda: same_digest([s, cm], s.path, 2), 10,
               "shangzhai's case at the town")
    live.wait_settled(["cuimu", "xiazhai", "shangzhai"])

    assert live.daemon("shangzhai").stop() == 0
    last = s.whoami()["own_seq"]
    rid = cm.run("revoke", s.key, "--after-seq", str(last),
                 "--reason", "终端丢失", json=True)["change"]
    held = cm.digest(scope=s.path)
    before = counters(cm)

    # Not knowing it is revoked, shangzhai keeps writing, then reconnects.
    s.act("progress", case, note="吊销后的进展")
    late = s.report("吊销后的新上报", category="other")
    tm = live.daemon("cuimu").mark()
    sm = live.daemon("shangzhai").mark()
    live.daemon("shangzhai").start()
    wait_until(lambda: "refused a link from curve key" in
               live.daemon("cuimu").log(tm), 10,
               "the town to log that it refused shangzhai",
               detail=lambda: live.describe("cuimu", "shangzhai"))
    assert ("not an enrolled, unrevoked child of qianyang/cuimu" in
            live.daemon("cuimu").log(tm))
    assert ("parent qianyang/cuimu rejected our key" in
            live.daemon("shangzhai").log(sm))
    hold_for(lambda: cm.digest(scope=s.path) == held and not cm.holds(late),
             3, "nothing from revoked shangzhai at the town")
    after = counters(cm)
    assert (after["changes"], after["rejects"], after["pending"]) == (
        before["changes"], 0, 0), (before, after)
    assert link_of(s, cm.path)["connected"] is False

    # The other village is unaffected, and learns of the revocation.
    xc = x.report("邻里噪音", category="neighbor")
    wait_until(lambda: cm.holds(xc), 10, "xiazhai still syncing")
    wait_until(lambda: any(i["id"] == rid for i in
                           envelope_infos(x, live.file("x-all"))), 10,
               "the revocation at xiazhai")


def test_revocation_closes_a_live_link(live):
    """DESIGN §3: links refuse a revoked key at once. shangzhai's link is
    up, but its daemon hangs (SIGSTOP) holding two changes the town has not
    seen; the town revokes it (after the last seq it accepted) and
    shangzhai's daemon resumes at once, unaware, and sends them: none may
    land, and the town logs the refusal."""
    s, cm = live["shangzhai"], live["cuimu"]
    live.start("cuimu", "shangzhai")
    case = s.report("村道积水", category="environment")
    wait_until(lambda: same_digest([s, cm], s.path, 1), 10,
               "shangzhai's case at the town")
    live.wait_settled(["cuimu", "shangzhai"])
    accepted = s.whoami()["own_seq"]
    held = cm.digest(scope=s.path)

    sd = live.daemon("shangzhai")
    sd.pause()
    try:
        s.act("progress", case, note="吊销前写下、吊销后送达")
        late = s.report("吊销后送达的新上报", category="other")
        tm = live.daemon("cuimu").mark()
        cm.run("revoke", s.key, "--after-seq", str(accepted),
               "--reason", "终端丢失")
    finally:
        sd.resume()
    assert s.whoami()["own_seq"] == accepted + 2

    hold_for(lambda: cm.digest(scope=s.path) == held and not cm.holds(late),
             3, "nothing of revoked shangzhai's at the town",
             detail=lambda: "town's timeline of %s: %s\n%s" % (
                 case, [(e["kind"], e["flag"], e["text"])
                        for e in cm.show(case)["timeline"]],
                 live.describe("cuimu", "shangzhai")))
    log = live.daemon("cuimu").log(tm)
    assert ("refusing child qianyang/cuimu/shangzhai from now on: its key "
            "was revoked" in log or "refused a link from curve key" in log), log
    wait_until(lambda: not link_of(cm, s.path)["connected"], 5,
               "the town's link to shangzhai marked down",
               detail=lambda: live.describe("cuimu", "shangzhai"))
    after = counters(cm)
    assert (after["rejects"], after["pending"]) == (0, 0), after
    assert count_in(cm, case) == 1


# -- PUB ----------------------------------------------------------------------

def test_pub_publishes_each_new_envelope_with_the_case_id_as_topic(live):
    """A dashboard subscribed to a village's prefix at the town gets exactly
    the envelopes of that village's cases, each once, topic = case id."""
    import zmq
    from live import free_port
    from gridsync import envelope_info

    cm, x, s = live["cuimu"], live["xiazhai"], live["shangzhai"]
    port = free_port()
    cfg = live.configure(cm.path)
    with open(cfg, "a") as f:
        f.write("\n[node]\npublish = tcp://127.0.0.1:%d\n" % port)
    live.start("qianyang", "cuimu", "xiazhai", "shangzhai")
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, (x.path + "#").encode())
    sub.connect("tcp://127.0.0.1:%d" % port)
    try:
        time.sleep(0.5)   # the subscription reaches the PUB socket
        case = x.report(TITLE, category="neighbor")
        x.act("progress", case, note="已上门")
        other = s.report("村道积水", category="environment")
        got = []
        deadline = time.monotonic() + 15
        while len(got) < 2 and time.monotonic() < deadline:
            if sub.poll(200):
                got.append(sub.recv_multipart())
        hold_for(lambda: not sub.poll(0), 1.0, "no further envelope")
        assert [t.decode() for t, _ in got] == [case, case]
        infos = [envelope_info(e) for _, e in got]
        assert [i["kind"] for i in infos] == ["report", "progress"]
        assert all(i["case"] == case for i in infos)
        assert cm.holds(other)   # published too, just not to this prefix
    finally:
        sub.close()
        ctx.term()
