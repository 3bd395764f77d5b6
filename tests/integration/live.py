"""live.py: real `gridnode run` daemons on loopback for the live-sync tests.

Builds on gridsync.py (one `gridnode` process per CLI action). Adds what a
live network needs: free loopback ports, an INI config per node, daemons
started and stopped by pid (SIGTERM, or SIGKILL when a test asks for it),
bounded waits (every wait is a poll loop with a deadline), and a fault
proxy that cuts TCP connections at random.

Nothing here kills a process it did not start, and nothing kills by name.
"""

import os
import random
import shutil
import signal
import socket
import struct
import sys
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gridsync
from gridsync import Node, parent_path

# The live county: two towns with two villages each, a town department
# and a county department.
LIVE_PATHS = (
    "qianyang",
    "qianyang/cuimu",
    "qianyang/fenghuang",
    "qianyang/cuimu/xiazhai",
    "qianyang/cuimu/shangzhai",
    "qianyang/fenghuang/dongcun",
    "qianyang/fenghuang/xicun",
    "qianyang/cuimu/@police",
    "qianyang/@justice",
)

# Short link timings so that loss and recovery happen within a test.
LINK = {"heartbeat_ms": 200, "timeout_ms": 1000}

# The [policy] keys configure() takes (include/gs/config.h): what a town's
# daemon signs by itself.
POLICY_KEYS = ("auto_whistle_hours", "rollup_seconds")

STOP_TIMEOUT = 10     # seconds a daemon gets to stop on SIGTERM
START_TIMEOUT = 10    # seconds until a daemon logs that it runs


class TimedOut(AssertionError):
    pass


_GIVEN = set()      # ports this process handed out already


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A loopback TCP port nobody listens on right now, below the kernel's
    ephemeral range: a port from bind(0) is ephemeral, and an outgoing
    connection (a dealer dialing, a proxy) could take it as its local port
    before the daemon it was meant for binds it. Never the same port twice
    in one process."""
    low = _ephemeral_low()
    lo, hi = (20000, low - 1) if low > 21000 else (61000, 65535)
    for _ in range(2000):
        port = random.randint(lo, hi)
        if port in _GIVEN:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _GIVEN.add(port)
        return port
    raise RuntimeError("no free loopback port in %d-%d" % (lo, hi))


def endpoint(port):
    return "tcp://127.0.0.1:%d" % port


def wait_until(pred, timeout, what, interval=0.1, detail=None):
    """Polls pred() until it returns something true, at most timeout
    seconds; returns that value. On timeout raises TimedOut naming what and,
    when given, the text of detail() (the state to look at)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            msg = "timed out after %.1f s waiting for %s" % (timeout, what)
            if detail is not None:
                try:
                    msg += "\n" + str(detail())
                except Exception as e:  # the detail is only a help
                    msg += "\n(detail failed: %r)" % (e,)
            raise TimedOut(msg)
        time.sleep(interval)


def hold_for(pred, seconds, what, interval=0.2, detail=None):
    """Asserts pred() stays true for the whole of seconds (something that
    must never happen does not happen while we watch); on failure the
    message carries detail() when given."""
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while True:
        if not pred():
            msg = "%s stopped holding after %.1f s" % (
                what, time.monotonic() - start)
            if detail is not None:
                msg += "\n" + str(detail())
            raise AssertionError(msg)
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


def write_config(file, listen=None, parent_endpoint=None, parent_key=None,
                 policy=None, **link):
    """Writes a daemon config (include/gs/config.h). link: [link] keys;
    policy: [policy] keys (auto_whistle_hours, rollup_seconds), none when
    empty."""
    lines = ["[node]"]
    if listen:
        lines.append("listen = %s" % listen)
    if parent_endpoint or parent_key:
        lines.append("[parent]")
        if parent_endpoint:
            lines.append("endpoint = %s" % parent_endpoint)
        if parent_key:
            lines.append("key = %s" % parent_key)
    lines.append("[link]")
    for k, v in link.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        lines.append("%s = %s" % (k, v))
    if policy:
        lines.append("[policy]")
        for k, v in policy.items():
            lines.append("%s = %s" % (k, v))
    Path(file).write_text("\n".join(lines) + "\n")


class Daemon:
    """One `gridnode run` process of a node, its log in a file. Restarts
    append to the same log; mark() and log(since) look at one stretch."""

    def __init__(self, node, config, logfile):
        self.node, self.config, self.logfile = node, Path(config), Path(logfile)
        self.proc = None
        self.starts = 0

    def __repr__(self):
        return "Daemon(%s, pid=%s)" % (self.node.path,
                                      self.proc.pid if self.proc else None)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def mark(self):
        """Current length of the log, for log(since=...)."""
        try:
            return self.logfile.stat().st_size
        except FileNotFoundError:
            return 0

    def log(self, since=0):
        try:
            b = self.logfile.read_bytes()
        except FileNotFoundError:
            return ""
        return b[since:].decode("utf-8", "replace")

    def start(self, wait=True):
        """Starts the daemon; with wait, returns once it logs that it runs
        (raises, with its log, when it exits or does not)."""
        assert not self.running(), self
        m = self.mark()
        env = dict(os.environ)
        env.pop("GRIDNODE_DATA", None)
        with open(self.logfile, "ab") as logf:
            self.proc = subprocess.Popen(
                [gridsync.binary(), "run", "--data", str(self.node.dir),
                 "--config", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env)
        self.starts += 1
        if wait:
            want = "node %s running" % self.node.path

            def up():
                if self.proc.poll() is not None:
                    raise AssertionError("%s exited %d at start:\n%s" % (
                        self, self.proc.returncode, self.log(m)))
                return want in self.log(m)
            wait_until(up, START_TIMEOUT, "%s to start" % self,
                       interval=0.02, detail=lambda: self.log(m))
        return self

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then waits. Returns the exit code; raises when the
        daemon does not stop in time (it is then killed with SIGKILL)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGCONT)   # in case it was paused
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("%s did not stop within %d s of "
                                     "SIGTERM; killed" % (self, timeout))
        return self.proc.returncode

    def pause(self):
        """SIGSTOP: the process freezes with its connections open (a
        terminal that hangs, or a link that stalls)."""
        assert self.running(), self
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill9(self):
        """SIGKILL, as a power cut would; returns the exit code (-9)."""
        assert self.running(), self
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT)
        return self.proc.returncode


class LiveTree:
    """A county of nodes under base: every node initialised, enrolled by
    its parent with the parent's endpoint in the join bundle, and given a
    config file; no daemon runs until start()."""

    def __init__(self, base, paths=LIVE_PATHS, **link):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.link = dict(LINK)
        self.link.update(link)
        self.nodes = {}
        self.ports = {}
        self.daemons = {}
        self.nfiles = 0
        self.extra = []     # helpers to close at teardown (proxies)
        parents = {parent_path(p) for p in paths}
        for p in paths:
            if p in parents:
                self.ports[p] = free_port()
        for p in paths:
            self.add(p)

    # -- building --------------------------------------------------------

    def file(self, stem):
        self.nfiles += 1
        return str(self.base / ("%03d-%s" % (self.nfiles, stem)))

    def add(self, path, enrol=True):
        """Inits the node at path; enrols and joins it under its parent
        (already in the tree) unless enrol is false. Writes its config."""
        n = Node(self.base / path.replace("/", "_"), path)
        par = parent_path(path)
        if par is None:
            self.root_key = n.init()
        else:
            n.init(root_key=self.root_key)
            if enrol:
                self.enrol(self.nodes[par], n)
        self.nodes[path] = n
        self.configure(path)
        return n

    def enrol(self, parent, child, ep=None):
        """parent enrols child with a bundle naming ep (default: parent's
        listening endpoint); child joins it. Returns the bundle file."""
        bundle = self.file("bundle-" + child.name)
        if ep is None:
            ep = endpoint(self.ports[parent.path])
        parent.run("enroll", child.path, child.key, "--out", bundle,
                   "--endpoint", ep)
        child.join(bundle)
        assert child.whoami()["parent"] == parent.path
        return bundle

    def configure(self, path, **over):
        """(Re)writes the config of the node at path. over: [parent]
        endpoint/key (parent_endpoint=, parent_key=), [policy] settings
        (POLICY_KEYS: auto_whistle_hours=, rollup_seconds=) and [link]
        settings that replace the tree's."""
        n = self.nodes[path]
        link = dict(self.link)
        pe = over.pop("parent_endpoint", None)
        pk = over.pop("parent_key", None)
        policy = {k: over.pop(k) for k in POLICY_KEYS if k in over}
        link.update(over)
        cfg = self.base / ("%s.ini" % path.replace("/", "_"))
        listen = endpoint(self.ports[path]) if path in self.ports else None
        write_config(cfg, listen=listen, parent_endpoint=pe, parent_key=pk,
                     policy=policy, **link)
        if path not in self.daemons:
            self.daemons[path] = Daemon(
                n, cfg, self.base / ("%s.log" % path.replace("/", "_")))
        return cfg

    def __getitem__(self, name):
        """A node by path or by last segment ("xiazhai", "@police")."""
        if name in self.nodes:
            return self.nodes[name]
        hits = [n for p, n in self.nodes.items()
                if p.rsplit("/", 1)[-1] == name]
        assert len(hits) == 1, name
        return hits[0]

    def __iter__(self):
        return iter(self.nodes.values())

    def daemon(self, name):
        return self.daemons[self[name].path]

    def endpoint_of(self, name):
        return endpoint(self.ports[self[name].path])

    # -- running ---------------------------------------------------------

    def start(self, *names, links=True, timeout=15):
        """Starts the daemons of names (default: every node), parents
        first; with links, waits until each started child's link to its
        started parent is up on both sides."""
        paths = [self[n].path for n in names] if names else list(self.nodes)
        for p in sorted(paths, key=lambda q: q.count("/")):
            self.daemons[p].start()
        if links:
            self.wait_links(paths, timeout)

    def wait_links(self, paths=None, timeout=15):
        paths = paths or [p for p, d in self.daemons.items() if d.running()]
        for p in paths:
            par = parent_path(p)
            if par is None or not self.daemons[par].running():
                continue
            child, parent = self.nodes[p], self.nodes[par]
            wait_until(lambda: link_up(child, par) and link_up(parent, p),
                       timeout, "link %s <-> %s up" % (p, par),
                       detail=lambda: self.describe(p, par))

    def stop_all(self):
        """Stops every daemon this tree started (SIGTERM, by pid) and closes
        the helpers; returns a list of what went wrong (empty when each
        stopped cleanly with exit 0)."""
        problems = []
        for h in self.extra:
            try:
                h.close()
            except Exception as e:
                problems.append("closing %r: %r" % (h, e))
        for p in sorted(self.daemons, key=lambda q: -q.count("/")):
            d = self.daemons[p]
            if d.proc is None or d.proc.poll() is not None:
                continue
            try:
                rc = d.stop()
                if rc != 0:
                    problems.append("%s exited %s on SIGTERM:\n%s" % (
                        d, rc, d.log()[-2000:]))
            except AssertionError as e:
                problems.append(str(e))
        return problems

    def verify_all(self):
        """`verify` exits 0 with no faults on every node."""
        bad = []
        for n in self:
            r = n.call("verify", "--json")
            if r.rc != 0:
                bad.append("%s: verify exited %d\n%s%s" % (n.path, r.rc, r.out,
                                                          r.err))
                continue
            j = r.json
            if j["ok"] is not True or j["faults"] != []:
                bad.append("%s: %s" % (n.path, j))
        assert not bad, "\n".join(bad)

    # -- looking ---------------------------------------------------------

    def describe(self, *names):
        """peers and whoami of names, and the tail of their logs."""
        out = []
        for name in names:
            n = self[name]
            out.append("== %s  %s" % (n.path, counters(n)))
            for l in peers(n):
                out.append("   %s" % (l,))
            out.append(self.daemons[n.path].log()[-1500:])
        return "\n".join(out)

    def settled(self, names=None):
        """True when every link between two running daemons (of names,
        default all) has applied the whole of the other side's feed, both
        ways: nothing is in flight anywhere."""
        paths = [self[n].path for n in names] if names else list(self.nodes)
        run = [p for p in paths if self.daemons[p].running()]
        feeds = {p: self.nodes[p].whoami()["feed_seq"] for p in run}
        for p in run:
            par = parent_path(p)
            if par not in feeds:
                continue
            lc = link_of(self.nodes[p], par)
            lp = link_of(self.nodes[par], p)
            if lc is None or lp is None:
                return False
            if not (lc["connected"] and lp["connected"]):
                return False
            if lc["checkpoint"] != feeds[par] or lp["checkpoint"] != feeds[p]:
                return False
            if lc["acked_upto"] != feeds[p] or lp["acked_upto"] != feeds[par]:
                return False
        # Nothing moved while we looked.
        return all(self.nodes[p].whoami()["feed_seq"] == feeds[p] for p in run)

    def wait_settled(self, names=None, timeout=30):
        paths = [self[n].path for n in names] if names else list(self.nodes)
        wait_until(lambda: self.settled(names), timeout, "every link settled",
                   interval=0.2,
                   detail=lambda: self.describe(*[p for p in paths
                                                  if self.daemons[p].running()]))


# -- reading a node ---------------------------------------------------------

def finish(tree, base, request, failed):
    """The end of a live fixture, after its yield: stop every daemon and
    verify every node; when a test failed (request.session.testsfailed
    moved past failed) or a daemon misbehaved, keep base and print each
    daemon's log tail, else remove base."""
    problems = tree.stop_all()
    keep = request.session.testsfailed != failed or problems
    try:
        assert not problems, "\n".join(problems)
        tree.verify_all()
    except AssertionError:
        keep = True
        raise
    finally:
        if keep:
            print("kept %s for a look; logs:" % base, file=sys.stderr)
            for d in tree.daemons.values():
                if d.starts:
                    print("==== %s\n%s" % (d.node.path, d.log()[-3000:]),
                          file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


def peers(n):
    return n.run("peers", json=True)


def link_of(n, path):
    """n's persisted link status for its neighbour path, or None."""
    for l in peers(n):
        if l["path"] == path:
            return l
    return None


def link_up(n, path):
    l = link_of(n, path)
    return l is not None and l["connected"] is True


def counters(n):
    w = n.whoami()
    return {k: w[k] for k in ("feed_seq", "own_seq", "changes", "pending",
                              "rejects", "cases")}


def timeline_ids(n, case):
    return [e["change"] for e in n.show(case)["timeline"]]


def count_in(n, case):
    """Changes of case held by n (0 when it holds none)."""
    return n.digest(scope=case)[1]


def envelope_infos(n, tmpfile):
    """envelope_info of every change n holds (export --all)."""
    n.export(tmpfile)
    _, recs = gridsync.read_feed(tmpfile)
    os.unlink(tmpfile)
    return [gridsync.envelope_info(e) for e in recs]


def no_duplicates(n):
    """Every stored change sits in the feed exactly once, and nothing was
    rejected or left pending on the way."""
    w = n.whoami()
    assert w["changes"] == w["feed_seq"], (n, w)
    assert (w["rejects"], w["pending"]) == (0, 0), (n, w)


def write_many(n, verb, case, texts, key="note", workers=1, pause=0.0):
    """Runs `gridnode VERB CASE --KEY TEXT` for each text on node n; returns
    the change ids in the order written. workers > 1 runs that many CLI
    processes at once (LMDB serialises the writers; the CLI assigns the seq
    inside its write transaction). pause sleeps between writes (one
    worker)."""
    def one(t):
        j = n.run(verb, case, "--" + key, t, json=True)
        assert j["case"] == case, j
        return j["change"]

    if workers <= 1:
        ids = []
        for t in texts:
            ids.append(one(t))
            if pause:
                time.sleep(pause)
        return ids
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, texts))


# -- a TCP proxy that cuts connections --------------------------------------

class FaultProxy:
    """Listens on a loopback port and pipes every connection to
    127.0.0.1:upstream, both ways; each connection is cut (shut down, half
    with a reset) after a random 200-500 ms of life. Counts connections
    accepted and cut. Threads only; close() stops everything."""

    def __init__(self, upstream, cut_min=0.2, cut_max=0.5, seed=None):
        self.upstream = upstream
        self.cut_min, self.cut_max = cut_min, cut_max
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.conns = {}        # id -> [client, server, deadline]
        self.accepted = self.cuts = self.bytes = 0
        self.stopping = threading.Event()
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.ls.settimeout(0.05)
        self.port = self.ls.getsockname()[1]
        self.threads = [threading.Thread(target=self._accept, daemon=True),
                        threading.Thread(target=self._cutter, daemon=True)]
        for t in self.threads:
            t.start()

    def __repr__(self):
        return "FaultProxy(:%d -> :%d, accepted %d, cut %d)" % (
            self.port, self.upstream, self.accepted, self.cuts)

    @property
    def endpoint(self):
        return endpoint(self.port)

    def _accept(self):
        n = 0
        while not self.stopping.is_set():
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            try:
                s = socket.create_connection(("127.0.0.1", self.upstream),
                                             timeout=2)
                s.settimeout(None)
            except OSError:
                c.close()
                continue
            c.settimeout(None)
            n += 1
            with self.lock:
                self.accepted += 1
                life = self.rng.uniform(self.cut_min, self.cut_max)
                self.conns[n] = [c, s, time.monotonic() + life]
            for a, b in ((c, s), (s, c)):
                threading.Thread(target=self._pipe, args=(n, a, b),
                                 daemon=True).start()

    def _pipe(self, n, a, b):
        while True:
            try:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
                with self.lock:
                    self.bytes += len(data)
            except OSError:
                break
        self._shut(n, cut=False)

    def _shut(self, n, cut):
        with self.lock:
            e = self.conns.pop(n, None)
            if e is None:
                return
            if cut:
                self.cuts += 1
            rst = cut and self.rng.random() < 0.5
        for sk in e[:2]:
            try:
                if rst:   # close with SO_LINGER 0: a reset, not a FIN
                    sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                  struct.pack("ii", 1, 0))
                sk.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sk.close()
            except OSError:
                pass

    def _cutter(self):
        while not self.stopping.is_set():
            time.sleep(0.01)
            now = time.monotonic()
            with self.lock:
                due = [n for n, e in self.conns.items() if e[2] <= now]
            for n in due:
                self._shut(n, cut=True)

    def close(self):
        self.stopping.set()
        try:
            self.ls.close()
        except OSError:
            pass
        for t in self.threads:
            t.join(2)
        with self.lock:
            ns = list(self.conns)
        for n in ns:
            self._shut(n, cut=False)
