"""Restore from backup: a node whose store is put back from an older copy
never signs a seq it already used (issue 5).

Two ways to restore, two guards:
- data.mdb put back, the rest of the data dir kept (how README's backup
  with mdb_copy is restored): the own.seq mark beside the store is ahead of
  the store, so the very next write is refused, before any network.
- the whole data dir put back (mark included): nothing local can tell, so
  the daemon learns it from the parent's HELLO (your_seq), refuses writes
  until the parent has sent the node's own changes back, then goes on
  with the next seq.
In both, the town's verify finds no fork and the stores converge.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from live import LiveTree, hold_for, wait_until

REFUSED = ("this store is older than this node's own changes: it knows up to "
           "seq %d, a neighbour holds seq %d (restored from a backup?)")


@pytest.fixture
def live(gridnode, request):
    base = Path(tempfile.mkdtemp(prefix="gsr", dir="/tmp"))
    failed = request.session.testsfailed
    t = LiveTree(base, paths=("qianyang", "qianyang/cuimu",
                              "qianyang/cuimu/xiazhai"))
    try:
        yield t
    finally:
        problems = t.stop_all()
    if request.session.testsfailed != failed or problems:
        print("kept %s; logs:" % base, file=sys.stderr)
        for d in t.daemons.values():
            if d.starts:
                print("==== %s\n%s" % (d.node.path, d.log()[-3000:]),
                      file=sys.stderr)
        assert not problems, "\n".join(problems)
    else:
        shutil.rmtree(base, ignore_errors=True)


def own_seq(n):
    return n.whoami()["own_seq"]


def town_holds(cm, x, seq):
    """The town holds x's changes up to seq (its case reports)."""
    return len(cm.list()) >= seq


def write_reports(x, k, tag):
    return [x.report("%s %d" % (tag, i), category="neighbor")
            for i in range(k)]


def backup(x, dest, whole):
    """A copy of x's store (data.mdb only) or of its whole data dir."""
    d = Path(x.dir)
    if whole:
        shutil.copytree(d, dest, ignore=shutil.ignore_patterns(
            "lock.mdb", "*.sock", "daemon.lock"))
    else:
        dest.mkdir()
        shutil.copy2(d / "data.mdb", dest / "data.mdb")


def restore(x, src, whole):
    d = Path(x.dir)
    if whole:
        for f in src.iterdir():
            shutil.copy2(f, d / f.name)
    else:
        shutil.copy2(src / "data.mdb", d / "data.mdb")


def scenario(live, whole):
    x, cm = live["xiazhai"], live["cuimu"]
    live.start()
    write_reports(x, 2, "备份前")
    seq_at_backup = own_seq(x)
    wait_until(lambda: len(cm.list()) == 2, 10, "the town holds 2 reports")
    live.daemon("xiazhai").stop()
    saved = Path(live.base) / ("backup-whole" if whole else "backup-mdb")
    backup(x, saved, whole)
    live.daemon("xiazhai").start()
    later = write_reports(x, 3, "备份后")
    seq_before = own_seq(x)
    assert seq_before == seq_at_backup + 3
    wait_until(lambda: len(cm.list()) == 5, 10, "the town holds 5 reports")
    live.daemon("xiazhai").stop()
    restore(x, saved, whole)
    assert own_seq(x) == seq_at_backup          # the store went back
    return x, cm, later, seq_at_backup, seq_before


def finish(live, x, cm, later, seq_before):
    # Its own changes came back from the town: writes go on after them.
    wait_until(lambda: own_seq(x) == seq_before, 15,
               "the village's own changes back from the town")
    assert all(x.holds(c) for c in later)
    new = x.report("恢复后", category="neighbor")
    assert own_seq(x) == seq_before + 1
    wait_until(lambda: cm.holds(new), 10, "the new report at the town")
    for n in (x, cm):
        v = n.verify()
        assert v["ok"] and v["faults"] == [], (n, v)
    assert cm.digest(scope=x.path) == x.digest(scope=x.path)


def test_store_put_back_refuses_writes_before_any_network(live):
    x, cm, later, at_backup, before = scenario(live, whole=False)
    # No daemon yet: the mark beside the store is enough.
    r = x.call("report", "--category", "neighbor", "--title", "不该写入")
    assert r.rc == 1
    assert (REFUSED % (at_backup, before)) in r.err, r.err
    assert own_seq(x) == at_backup                 # nothing signed
    live.daemon("xiazhai").start()
    finish(live, x, cm, later, before)


def test_whole_dir_put_back_learns_its_seq_from_the_parent(live):
    x, cm, later, at_backup, before = scenario(live, whole=True)
    # Linked means HELLOs went both ways: the floor is recorded. Until
    # its changes are back it refuses (they may be back already by the
    # time we write: then the write takes the next seq).
    live.start("xiazhai")
    r = x.call("report", "--category", "neighbor", "--title", "太早")
    if r.rc != 0:
        assert r.rc == 1, r
        assert "a neighbour holds seq %d (restored" % before in r.err, r.err
    else:
        # Written only after the old changes were back: a new seq.
        assert own_seq(x) == before + 1
        before += 1
    finish(live, x, cm, later, before)


def test_write_before_contact_after_whole_restore_is_an_exposed_fork(live):
    """The one window no node can close alone: the whole data dir put back
    and a write made before any contact signs a used seq. That is an
    equivocation: both changes are kept as evidence, and the town's
    verify, whoami and peers name the origin and the seq."""
    x, cm, later, at_backup, before = scenario(live, whole=True)
    twin = x.report("离线时写入", category="neighbor")   # seq at_backup + 1
    assert own_seq(x) == at_backup + 1
    live.start("xiazhai")
    wait_until(lambda: cm.holds(twin), 10, "the twin at the town")
    who = cm.whoami()
    assert who["forks"] == [{"origin": x.key, "path": x.path,
                             "seq": at_backup + 1}]
    link = [p for p in cm.run("peers", json=True) if p["path"] == x.path][0]
    assert link["forked_seq"] == at_backup + 1
    r = cm.call("verify", "--json")
    assert r.rc == 1
    faults = r.json["faults"]
    assert any("fork at seq %d" % (at_backup + 1) in f for f in faults), \
        faults
    # Both changes of that seq are kept: the original report and the twin.
    assert cm.holds(twin) and all(cm.holds(c) for c in later)
    text = cm.run("whoami")
    assert "分叉 fork      %s" % x.path in text



def test_replaced_terminal_gets_the_old_work_and_can_write(live):
    """A lost terminal is revoked and a new one (new key, same path) is
    enrolled: the town's HELLO speaks of the new key, so the new terminal
    is not held to the old key's seqs, and the town sends it the village's
    earlier work, signed by the old key, over the link."""
    from gridsync import Node

    x, cm = live["xiazhai"], live["cuimu"]
    live.start()
    old = write_reports(x, 3, "旧终端")
    wait_until(lambda: len(cm.list()) == 3, 10, "the town holds 3 reports")
    live.daemon("xiazhai").stop()
    cm.run("revoke", x.key, "--after-seq", str(own_seq(x)),
           "--reason", "终端遗失")
    lost = Path(str(x.dir) + ".lost")
    Path(x.dir).rename(lost)
    new = Node(x.dir, x.path)
    new.init(root_key=live.root_key)
    live.enrol(cm, new)
    live.nodes[x.path] = new
    live.start("xiazhai")
    wait_until(lambda: all(new.holds(c) for c in old), 15,
               "the old terminal's reports at the new one")
    assert own_seq(new) == 0
    c = new.report("新终端上报", category="neighbor")
    assert own_seq(new) == 1
    wait_until(lambda: cm.holds(c), 10, "the new report at the town")
    assert new.digest(scope=x.path) == cm.digest(scope=x.path)
    for n in (new, cm):
        v = n.verify()
        assert v["ok"], (n, v)


def test_town_signs_nothing_by_itself_before_its_parent_is_heard(live):
    """A town restored whole from a backup learns the seqs it signed after
    the backup from its parent's HELLO; its daemon's own changes (rollups,
    auto-whistles) wait for that, or a rollup could reuse a seq that only
    the county holds and no node would ever see both."""
    x, cm = live["xiazhai"], live["cuimu"]
    live.configure("qianyang/cuimu", rollup_seconds=1)
    live.start("qianyang/cuimu", "xiazhai")          # the county is down
    case = x.report("村道塌方", category="safety")
    wait_until(lambda: cm.holds(case), 10, "the report at the town")
    before = own_seq(cm)
    hold_for(lambda: own_seq(cm) == before, 3,
             "the town signs no rollup while its parent is unheard")
    live.start("qianyang")
    wait_until(lambda: own_seq(cm) > before, 10,
               "the town's rollup once the county has answered")
    county = live["qianyang"]
    wait_until(lambda: county.run("stats", json=True)["total"]["received"]
               == 1, 10, "the county counting the town's rollup")
