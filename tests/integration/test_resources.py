"""Resource faults (issue 5): a full store gives a clear error and a clean
stop, and work resumes once the store is given room; a second daemon on one
data dir is refused. (A read-only data dir cannot be tested here: the tests
run as root, which file modes do not stop.)"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import gridsync
from live import LiveTree, free_port, wait_until

FULL = ("gridnode report: the store is full (LMDB map size reached); "
        "nothing was written: raise it with 'gridnode resize --map-size MIB' "
        "(see whoami for the size now)\n")
DESC = "三组王家与李家因宅基地界桩发生争执，" * 60       # about 3.2 kB


def fill(n, limit=2000):
    """Writes reports at n until the store is full; returns how many
    were written and the refused call."""
    for i in range(limit):
        r = n.call("report", "--category", "neighbor", "--title",
                   "纠纷%d" % i, "--desc", DESC)
        if r.rc != 0:
            return i, r
    raise AssertionError("store never filled")


def test_full_store_refuses_cleanly_and_resize_resumes(tree, tmp_path):
    x = gridsync.Node(tmp_path / "v", "qianyang/cuimu/xiazhai")
    root = tree["qianyang"].key
    x.run("init", "--path", x.path, "--root-key", root, "--map-size", "1")
    tree["cuimu"].run("enroll", x.path, x.whoami()["key"], "--out",
                      str(tmp_path / "b"))
    x.run("join", str(tmp_path / "b"))
    assert x.whoami()["map_bytes"] == 1 << 20
    written, r = fill(x)
    assert written > 10
    assert (r.rc, r.out, r.err) == (1, "", FULL)
    before = (x.digest(), x.whoami()["own_seq"], x.whoami()["changes"])
    # Refused again, and nothing moved.
    r = x.call("report", "--category", "neighbor", "--title", "再写一次",
               "--desc", DESC)
    assert (r.rc, r.err) == (1, FULL)
    assert (x.digest(), x.whoami()["own_seq"], x.whoami()["changes"]) == \
        before
    out = x.run("resize", "--map-size", "8", json=True)
    assert out["map_bytes"] == 8 << 20
    c = x.report("腾出空间后上报", category="neighbor")
    assert x.holds(c) and x.whoami()["own_seq"] == before[1] + 1
    # Every later open keeps the new size.
    assert x.whoami()["map_bytes"] == 8 << 20
    x.verify()
    r = x.call("resize", "--map-size", "0")
    assert r.rc == 2 and "--map-size must be MiB, 1..16777216" in r.err
    r = x.call("resize", "--map-size", "4")
    assert (r.rc, r.err) == (1, "gridnode resize: the map is already 8 MiB; "
                             "a store's map can only grow (LMDB keeps the "
                             "largest size it has had)\n")


@pytest.fixture
def live(gridnode):
    base = Path(tempfile.mkdtemp(prefix="gsf", dir="/tmp"))
    t = LiveTree(base, paths=("qianyang", "qianyang/cuimu",
                              "qianyang/cuimu/xiazhai"))
    try:
        yield t
    finally:
        t.stop_all()
    shutil.rmtree(base, ignore_errors=True)


def test_daemon_stops_cleanly_on_a_full_store_and_catches_up(gridnode):
    base = Path(tempfile.mkdtemp(prefix="gsf", dir="/tmp"))
    live = LiveTree(base, paths=("qianyang",))
    try:
        cy = live["qianyang"]
        live.ports["qianyang"] = free_port()
        live.configure("qianyang")
        # A town whose store has 1 MiB, and its village.
        t = "qianyang/cuimu"
        live.ports[t] = free_port()
        cm = gridsync.Node(base / "qianyang_cuimu", t)
        cm.key = cm.run("init", "--path", t, "--root-key", live.root_key,
                        "--map-size", "1", json=True)["key"]
        live.enrol(cy, cm)
        live.nodes[t] = cm
        live.configure(t)
        x = live.add("qianyang/cuimu/xiazhai")
        live.start("qianyang", "cuimu", "xiazhai")
        live.daemon("xiazhai").stop()
        # The village writes about 2 MiB offline, then comes back.
        cases = [x.report("离线上报%d" % i, desc=DESC) for i in range(600)]
        d = live.daemon("cuimu")
        live.daemon("xiazhai").start()
        wait_until(lambda: not d.running(), 30,
                   "the town's daemon to stop on a full store")
        assert d.proc.returncode == 1
        assert ("the store is full (LMDB map size reached); stopping "
                "cleanly, nothing accepted is lost" in d.log())
        cm.verify()
        held = len(cm.list())
        assert held < 600     # whole batches only: possibly none yet
        out = cm.run("resize", "--map-size", "64", json=True)
        assert out["map_bytes"] == 64 << 20
        d.start()
        wait_until(lambda: len(cm.list()) == 600, 30,
                   "the town catching up after the resize")
        wait_until(lambda: cm.digest(scope=x.path) == x.digest(scope=x.path),
                   10, "the town and the village to agree")
        cm.verify()
    finally:
        problems = live.stop_all()
        shutil.rmtree(base, ignore_errors=True)


def test_second_daemon_on_one_data_dir_is_refused(live):
    cm = live["cuimu"]
    live.start("qianyang", "cuimu")
    d = live.daemon("cuimu")
    r = subprocess.run([gridsync.binary(), "run", "--data", str(cm.dir),
                        "--config", str(d.config)], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1
    assert r.stderr == ("gridnode run: another gridnode daemon is already "
                        "running on %s\n" % cm.dir)
    assert d.running()


def mount_tmpfs(where, size):
    """A small tmpfs at where, or skip: the test needs to mount (root with
    CAP_SYS_ADMIN, as on the project's machines)."""
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                        "tmpfs", str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (%s): the full-disk and "
                    "read-only tests need it" % r.stderr.strip())


def umount(where):
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_full_disk_and_read_only_data_dir(tmp_path):
    """The disk under the store runs out (not the map): a clear error,
    nothing half-written; room again: writes resume. A read-only data dir:
    a clear error, nothing written."""
    fs = tmp_path / "fs"
    mount_tmpfs(fs, "3m")
    try:
        n = gridsync.Node(fs / "n", "qianyang")
        n.run("init", "--path", "qianyang", "--map-size", "64")
        body = "y" * 3900
        for i in range(2000):
            r = n.call("notice", "--title", "通知%d" % i, "--body", body)
            if r.rc != 0:
                break
        else:
            raise AssertionError("the disk never filled")
        assert (r.rc, r.out) == (1, "")
        assert r.err == ("gridnode notice: the disk holding the store is "
                         "full; nothing was written: free space on it and "
                         "retry\n")
        who = n.whoami()
        assert who["own_seq"] == who["changes"] == i + 1   # Member + i notices
        assert n.verify()["ok"]
        subprocess.run(["mount", "-o", "remount,size=16m", str(fs)],
                       check=True)
        n.run("notice", "--title", "有空间了", "--body", body)
        assert n.whoami()["own_seq"] == i + 2
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        r = n.call("notice", "--title", "只读")
        assert r.rc == 1
        assert "The store cannot be written (read-only)." in r.err, r.err
        subprocess.run(["mount", "-o", "remount,rw", str(fs)], check=True)
        assert n.whoami()["own_seq"] == i + 2
        assert n.verify()["ok"]
    finally:
        umount(fs)
