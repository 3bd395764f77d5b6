#!/usr/bin/python3
"""soak.py: the fault soak (issue 5). A live county of real `gridnode run`
daemons on loopback under a generated 吹哨报到 workload, while a chaos
thread kills random daemons with SIGKILL and restarts them, and every
child->parent link runs through a fault proxy that cuts its TCP connections
at random. At the end the chaos stops, every daemon runs again, the tree
settles, and the driver checks that nothing acknowledged was lost, nothing
was applied twice, every node verifies and the digests agree wherever the
scopes are the same set.

    /usr/bin/python3 tests/soak/soak.py --gridnode build/gridnode \\
        --seconds N [--seed S] [--keep] [--limit L] [--report FILE]

--seconds is how long the workload and the chaos run; --limit bounds the
whole run (default --seconds + 120): a watchdog kills the daemons this
driver started (by pid) and exits 3 when it is reached. Exit 0 only when
lost == 0, duplicated applies == 0, every `verify` passes, the digests
agree, and nothing else went wrong on the way (a daemon that crashed or
did not restart, a CLI call that failed other than by a fold conflict, a
tree that did not settle, a daemon that did not stop cleanly on SIGTERM,
a sanitizer report in a daemon log); exit 1 otherwise.

The last line of stdout is the summary (one line):

    soak: written W refused R kills K restarts K link cuts C lost 0
    duplicated 0 verify 9/9 digests 0 mismatched of D cases N
    beyond-scope B errors 0 wall T s: PASS

The definitions:
  written   changes acknowledged to a CLI writer (a write verb that exited
            0; its --json names the change and the case). A write the fold
            refuses (exit 1, "refused: <fold reason>") is counted as
            refused, not written.
  lost      an acknowledged change missing at a node that must hold it:
            every node in the case's `show --json` "visible" list at the
            owner's town (DESIGN.md §4), and the writer; a Member missing
            anywhere; a Rollup (signed by a town's daemon) missing at an
            ancestor of its town.
  duplicated  a change id listed more than once in a node's feed (read
            with mdb_dump, the feed database: seq -> id + source).
  digests   `digest --scope VILLAGE#` equal at the village, its town and
            any node holding all of that village's cases; `digest --scope
            CASE` equal at every node of the case's visibility set; `show
            --json` of every case equal across its visibility set.
Also counted and printed, part of the verdict with --strict-scope (as
`make test` and `make soak` run it): nodes that hold a case while not in its
visibility set at the owner's town ("beyond scope": a copy no one updates).
This run found it: a whistle valid when the town sent the case up turned
into a conflict when an earlier change arrived, and the set shrank; fixed in
the fold (visibility depends only on which changes exist).

Only 127.0.0.1, free ports, temp dirs under /tmp; every process stopped
is one this driver started, by pid.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import gridsync  # noqa: E402
from gridsync import parent_path  # noqa: E402
from live import FaultProxy, LiveTree, TimedOut, wait_until  # noqa: E402

# The fold's reasons (node/fold.c WHY_*): a write refused with one of these
# is a conflict in the case's current state, which is fine.
FOLD_REASONS = frozenset((
    "signer's key was revoked before this change",
    "case not reported yet",
    "case already reported",
    "signer cannot see the case",
    "case is not open",
    "signer is not the case's current level",
    "no level above",
    "case is already at its owner",
    "already dispatched to that department",
    "department already resolved its part",
    "case is not dispatched",
    "signer was not dispatched this case",
    "already reported in",
    "signer cannot resolve this case",
    "case is not resolved",
    "case is not resolved or closed",
    "signer cannot reopen this case",
    "signer is not above the case's level",
))
REFUSED = re.compile(r"^gridnode ([a-z]+): refused: (.*)$")

# The workload.
MAX_OPEN = 6             # a village reports while it has fewer open cases
PACE = (0.05, 0.35)      # seconds a writer waits between two steps
# The chaos.
KILL_GAP = (0.5, 2.5)    # seconds between two kills
DOWN_FOR = (0.2, 3.0)    # seconds a killed daemon stays down
MAX_DOWN = 2             # daemons down at once, at most
CUT_LIFE = (0.1, 2.0)    # seconds a proxied connection lives
LINK = {"batch_max": 16}  # small batches: cuts land mid-stream

CATEGORIES = ("neighbor", "marriage", "debt", "land", "safety", "environment",
              "livelihood", "security", "other")
TITLES = ("宅基地边界纠纷", "邻居家狗夜间吠叫扰民", "村道积水", "借款未还",
          "山林界址争议", "婆媳矛盾", "化粪池渗漏", "低保申请咨询")
OUTCOMES = ("mediated", "solved", "referred", "unfounded")
SATISFACTION = ("satisfied", "basic", "unsatisfied")

SAN_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
             "runtime error:")


def role(path):
    last = path.rsplit("/", 1)[-1]
    if last.startswith("@"):
        return "dept"
    return ("county", "town", "village")[min(path.count("/"), 2)]


def role_root(paths):
    return any(role(p) == "county" for p in paths)


def case_owner(case):
    return case.split("#", 1)[0]


class SoakProxy(FaultProxy):
    """live.FaultProxy whose connections live a random CUT_LIFE, and that
    can be calmed: no connection is cut any more from then on."""

    def calm(self):
        with self.lock:
            self.cut_min = self.cut_max = 1e9
            for e in self.conns.values():
                e[2] = float("inf")


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.acked = []          # {"id","node","case","verb"}
        self.refused = {}        # fold reason -> count
        self.errors = []         # what went wrong on the way (fails the run)
        self.kills = self.restarts = 0
        self.stop_writers = threading.Event()
        self.stop_chaos = threading.Event()
        self.counter = 0
        self.tree = None
        self.proxies = []
        self.result = None
        self.workload_s = self.settle_took = None

    # -- bookkeeping -------------------------------------------------------

    def error(self, msg):
        with self.lock:
            self.errors.append(msg)
        print("soak: %6.1f s: %s" % (self.elapsed(), msg.splitlines()[0]),
              flush=True)

    def elapsed(self):
        return time.monotonic() - self.t0

    def text(self, what):
        with self.lock:
            self.counter += 1
            return "%s（第%d条）" % (what, self.counter)

    def cuts(self):
        return sum(p.cuts for p in self.proxies)

    # -- the tree ----------------------------------------------------------

    def build(self):
        self.tree = t = LiveTree(self.args.base, **LINK)
        for p in t.nodes:
            par = parent_path(p)
            if par is None:
                continue
            px = SoakProxy(t.ports[par], cut_min=CUT_LIFE[0],
                           cut_max=CUT_LIFE[1],
                           seed=self.rng.randrange(1 << 32))
            t.extra.append(px)
            self.proxies.append(px)
            t.configure(p, parent_endpoint=px.endpoint)
        t.start(links=False)

    def nodes_of(self, kind):
        return [p for p in self.tree.nodes if role(p) == kind]

    # -- CLI ---------------------------------------------------------------

    def read(self, n, *args):
        r = n.call(*(args + ("--json",)))
        if r.rc != 0:
            self.error("%s: `%s` exited %d: %s" % (
                n.path, " ".join(args), r.rc, r.err.strip()))
            return None
        return r.json

    def write(self, n, verb, *args):
        """One CLI write on node n; returns its {"case","change"} when it
        was acknowledged (exit 0), None when refused or failed."""
        r = n.call(verb, *(args + ("--json",)))
        if r.rc == 0:
            j = r.json
            with self.lock:
                self.acked.append({"id": j["change"], "node": n.path,
                                   "case": j["case"], "verb": verb})
            return j
        m = REFUSED.match(r.err.strip())
        if r.rc == 1 and m and m.group(2) in FOLD_REASONS:
            with self.lock:
                self.refused[m.group(2)] = self.refused.get(m.group(2), 0) + 1
            return None
        self.error("%s: `%s %s` exited %d: %s" % (
            n.path, verb, " ".join(args), r.rc, r.err.strip()))
        return None

    # -- the writers -------------------------------------------------------

    def writer(self, path, seed):
        rng = random.Random(seed)
        n = self.tree.nodes[path]
        step = getattr(self, "step_" + role(path))
        while not self.stop_writers.is_set():
            try:
                cases = self.read(n, "list")
                if cases is not None:
                    choices = step(n, rng, cases)
                    if choices:
                        weights = [w for w, _ in choices]
                        rng.choices(choices, weights)[0][1]()
            except Exception:
                self.error("writer %s: %s" % (path, traceback.format_exc()))
            self.stop_writers.wait(rng.uniform(*PACE))

    def step_village(self, n, rng, cases):
        me = n.path
        live_ = [c for c in cases if c["status"] in ("open", "dispatched")]
        here = [c for c in cases if c["level"] == me and c["status"] == "open"]
        done = [c for c in cases if c["status"] == "resolved"]
        ch = []
        if len(live_) < MAX_OPEN:
            ch.append((3, partial(self.write,
                n, "report", "--category", rng.choice(CATEGORIES),
                "--title", rng.choice(TITLES),
                "--desc", self.text("网格员走访发现"),
                "--severity", rng.choice(("simple", "complex", "hard")))))
        if here:
            c = rng.choice(here)["id"]
            ch.append((2, partial(self.write,
                n, "whistle", c, "--reason", self.text("村调委会调解未果"))))
            ch.append((1, partial(self.write,
                n, "resolve", c, "--outcome", rng.choice(OUTCOMES),
                "--note", self.text("村里调解"))))
        if done:
            c = rng.choice(done)["id"]
            ch.append((3, partial(self.write,
                n, "followup", c, "--satisfaction", rng.choice(SATISFACTION),
                "--note", self.text("回访"))))
        if live_:
            c = rng.choice(live_)["id"]
            ch.append((1, partial(self.write,
                n, "progress", c, "--note", self.text("进展"))))
        return ch

    def step_area(self, n, rng, cases, depts, mine):
        """A town or the county: what is at its level, dispatched to one of
        its departments, resolved, or whistled further."""
        me = n.path
        here = [c for c in cases if c["level"] == me and c["status"] == "open"]
        busy = [c for c in cases
                if c["level"] == me and c["status"] == "dispatched"]
        done = [c for c in cases if c["status"] == "resolved" and mine(c)]
        ch = []
        if here:
            c = rng.choice(here)["id"]
            if depts:
                ch.append((3, partial(self.write,
                    n, "dispatch", c, "--to", rng.choice(depts),
                    "--ack-hours", "1", "--resolve-hours", "72",
                    "--note", self.text("请部门到场"))))
            if parent_path(me) is not None:
                ch.append((1.5, partial(self.write,
                    n, "whistle", c, "--reason", self.text("需上级协调"))))
            ch.append((1, partial(self.write,
                n, "resolve", c, "--outcome", rng.choice(OUTCOMES),
                "--note", self.text("镇里调处"))))
            ch.append((0.5, partial(self.write,
                n, "progress", c, "--note", self.text("协调意见"))))
        if busy:
            c = rng.choice(busy)["id"]
            ch.append((0.5, partial(self.write,
                n, "progress", c, "--note", self.text("督促部门"))))
            ch.append((0.3, partial(self.write,
                n, "resolve", c, "--outcome", rng.choice(OUTCOMES),
                "--note", self.text("联合调处"))))
            # A dispatched case whistled further while its department
            # works on it (the department may resolve it concurrently).
            if parent_path(me) is not None:
                ch.append((0.3, partial(self.write,
                    n, "whistle", c, "--reason", self.text("部门处置不力"))))
        if done:
            c = rng.choice(done)["id"]
            ch.append((2, partial(self.write,
                n, "followup", c, "--satisfaction", rng.choice(SATISFACTION),
                "--note", self.text("镇里回访"))))
        return ch

    def step_town(self, n, rng, cases):
        me = n.path
        depts = [p.rsplit("/", 1)[1] for p in self.tree.nodes
                 if parent_path(p) == me and role(p) == "dept"]
        villages = [p for p in self.tree.nodes
                    if parent_path(p) == me and role(p) == "village"]
        ch = self.step_area(n, rng, cases, depts,
                            lambda c: parent_path(c["owner"]) == me)
        # 社区派单: a task assigned down to one of its villages.
        ch.append((0.3, partial(self.write,
            n, "report", "--for", rng.choice(villages), "--category", "other",
            "--title", "镇里交办任务", "--desc", self.text("请村里排查"))))
        return ch

    def step_county(self, n, rng, cases):
        me = n.path
        depts = [p.rsplit("/", 1)[1] for p in self.tree.nodes
                 if parent_path(p) == me and role(p) == "dept"]
        return self.step_area(n, rng, cases, depts, lambda c: False)

    def step_dept(self, n, rng, cases):
        me = n.path
        work = [c for c in cases if c["status"] == "dispatched"]
        if not work:
            return []
        c = rng.choice(work)["id"]
        st = self.read(n, "show", c)
        if st is None:
            return []
        mine = [a for a in st["assignments"] if a["department"] == me]
        ch = [(0.5, partial(self.write,
            n, "progress", c, "--note", self.text("部门处置进展")))]
        if mine and not mine[0]["acked"]:
            ch.append((3, partial(self.write,
                n, "ack", c, "--note", self.text("已到现场"))))
        elif mine and not mine[0]["resolved"]:
            ch.append((2, partial(self.write,
                n, "resolve", c, "--outcome", rng.choice(OUTCOMES),
                "--note", self.text("部门办结"))))
        return ch

    # -- the chaos ---------------------------------------------------------

    def restart(self, p):
        d = self.tree.daemons[p]
        try:
            d.start()
            with self.lock:
                self.restarts += 1
            return True
        except (AssertionError, OSError) as e:
            self.error("restarting %s failed: %s" % (p, e))
            return False

    def chaos(self, seed):
        rng = random.Random(seed)
        paths = list(self.tree.nodes)
        down = {}                       # path -> when to restart it
        failed = set()                  # would not restart: left alone
        next_kill = time.monotonic() + rng.uniform(*KILL_GAP)
        while not self.stop_chaos.is_set():
            try:
                next_kill = self.chaos_step(rng, paths, down, failed,
                                            next_kill)
            except Exception:
                self.error("chaos: %s" % traceback.format_exc())
            self.stop_chaos.wait(0.05)
        for p in list(down):
            if self.restart(p):
                del down[p]

    def chaos_step(self, rng, paths, down, failed, next_kill):
        """One round of the chaos: restart what is due, notice crashes,
        kill when it is time. Returns when to kill next."""
        now = time.monotonic()
        for p, due in list(down.items()):
            if now >= due:
                if self.restart(p):
                    del down[p]
                elif p in failed:
                    del down[p]         # twice: the end will say so
                else:
                    failed.add(p)
                    down[p] = now + 1.0
        # A daemon that is down while we did not kill it crashed.
        for p in paths:
            d = self.tree.daemons[p]
            if p not in down and p not in failed and d.proc is not None \
                    and d.proc.poll() is not None:
                self.error("daemon %s exited %s by itself; log tail:\n%s"
                           % (p, d.proc.returncode, d.log()[-2000:]))
                down[p] = now
        if now < next_kill:
            return next_kill
        up = [p for p in paths
              if p not in down and p not in failed and
              self.tree.daemons[p].running()]
        if len(down) < MAX_DOWN and up:
            p = rng.choice(up)
            rc = self.tree.daemons[p].kill9()
            if rc != -signal.SIGKILL:
                self.error("daemon %s exited %s before the kill" % (p, rc))
            with self.lock:
                self.kills += 1
            down[p] = now + rng.uniform(*DOWN_FOR)
        return now + rng.uniform(*KILL_GAP)

    # -- the run -----------------------------------------------------------

    def run(self):
        a = self.args
        self.build()
        print("soak: %d nodes, %d proxied links, data in %s; workload and "
              "chaos for %d s (seed %d)" % (len(self.tree.nodes),
                                           len(self.proxies), a.base,
                                           a.seconds, a.seed), flush=True)
        writers = [p for p in self.tree.nodes]   # every node writes
        threads = [threading.Thread(target=self.writer,
                                    args=(p, self.rng.randrange(1 << 32)),
                                    name="writer " + p, daemon=True)
                   for p in writers]
        chaos = threading.Thread(target=self.chaos,
                                 args=(self.rng.randrange(1 << 32),),
                                 name="chaos", daemon=True)
        for t in threads:
            t.start()
        chaos.start()
        end = time.monotonic() + a.seconds
        next_note = time.monotonic() + a.progress
        while time.monotonic() < end:
            time.sleep(min(0.5, max(0.0, end - time.monotonic())))
            if a.progress and time.monotonic() >= next_note:
                next_note += a.progress
                print("soak: %6.1f s: written %d, kills %d, link cuts %d, "
                      "errors %d" % (self.elapsed(), len(self.acked),
                                     self.kills, self.cuts(),
                                     len(self.errors)), flush=True)
        self.stop_writers.set()
        for t in threads:
            t.join(gridsync.TIMEOUT + 5)
            if t.is_alive():
                self.error("%s did not stop" % t.name)
        self.stop_chaos.set()
        chaos.join(60)
        if chaos.is_alive():
            self.error("the chaos thread did not stop")
        self.workload_s = round(self.elapsed(), 1)

        # Calm: no more cuts, every daemon up, wait for the tree to settle.
        for px in self.proxies:
            px.calm()
        # The chaos restarted what it killed: a daemon down now crashed.
        self.check_alive("after the chaos")
        for p in sorted(self.tree.nodes, key=lambda q: q.count("/")):
            if not self.tree.daemons[p].running():
                self.restart(p)
        reserve = a.check_reserve + a.seconds / 10.0
        budget = a.limit - self.elapsed() - reserve
        settle_s = max(5.0, min(a.settle, budget))
        t1 = time.monotonic()
        try:
            wait_until(self.settled, settle_s, "the tree to settle",
                       interval=0.3, detail=lambda: self.tree.describe(
                           *self.tree.nodes))
            self.settle_took = time.monotonic() - t1
        except TimedOut as e:
            self.settle_took = None
            self.error(str(e))
        self.check_alive("while settling")
        cuts = self.cuts()
        problems = self.tree.stop_all()     # SIGTERM: each must exit 0
        for pr in problems:
            self.error("stopping: %s" % pr)
        for d in self.tree.daemons.values():
            log = d.log()
            for mark in SAN_MARKS:
                if mark in log:
                    i = log.index(mark)
                    self.error("%s: sanitizer report in its log:\n%s" % (
                        d.node.path, log[max(0, i - 200):i + 3000]))
                    break
        self.check(cuts)
        return self.result

    def check_alive(self, when):
        for p, d in self.tree.daemons.items():
            if d.proc is not None and d.proc.poll() is not None:
                self.error("daemon %s had exited %s by itself %s; log tail:"
                           "\n%s" % (p, d.proc.returncode, when,
                                     d.log()[-2000:]))

    def settled(self):
        """Every link between the daemons has applied the other side's
        whole feed (live.LiveTree.settled), and every village's cases hash
        the same at the village and at its town."""
        try:
            if not self.tree.settled():
                return False
            for v in self.nodes_of("village"):
                s = v + "#"
                if self.tree.nodes[v].digest(scope=s) != \
                        self.tree.nodes[parent_path(v)].digest(scope=s):
                    return False
            return True
        except gridsync.GridnodeError as e:
            # A CLI read failing while everything runs is worth a line but
            # the wait goes on (it is bounded).
            print("soak: settle check: %s" % str(e).splitlines()[0],
                  flush=True)
            return False

    # -- the checks --------------------------------------------------------

    def feed_ids(self, n):
        """The change ids of n's feed in feed order (mdb_dump of the feed
        database: seq -> 32-byte id + source path)."""
        r = subprocess.run(["mdb_dump", "-s", "feed", str(n.dir)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError("mdb_dump of %s: %s" % (n.path, r.stderr))
        lines = r.stdout.decode().split("\n")
        body = lines[lines.index("HEADER=END") + 1:]
        body = [l.strip() for l in body if l.startswith(" ")]
        return [body[i + 1][:64] for i in range(0, len(body), 2)]

    def check(self, cuts):
        t = self.tree
        nodes = t.nodes
        res = {"seed": self.args.seed, "seconds": self.args.seconds,
               "nodes": len(nodes), "written": len(self.acked),
               "refused": sum(self.refused.values()),
               "refused_by_reason": self.refused, "kills": self.kills,
               "restarts": self.restarts, "link_cuts": cuts,
               "workload_ended_at_s": self.workload_s,
               "settled_in_s": self.settle_took}
        lost, lost_detail = 0, []
        dup, dup_detail = 0, []
        verify_failed, verify_detail = 0, []
        mism, mism_detail = 0, []
        compared = 0
        held = {}       # path -> set of change ids
        by_case = {}    # path -> case -> set of change ids
        members = {}    # path -> set of Member/Revoke ids
        rollups = {}    # Rollup id -> the town that signed it

        def export(p):
            n = nodes[p]
            f = str(t.base / ("final-%s.gsf" % n.path.replace("/", "_")))
            n.export(f)
            _, recs = gridsync.read_feed(f)
            os.unlink(f)
            return [gridsync.envelope_info(e) for e in recs]

        with ThreadPoolExecutor(4) as ex:
            vfut = {p: ex.submit(nodes[p].call, "verify", "--json")
                    for p in nodes}
            efut = {p: ex.submit(export, p) for p in nodes}
            ffut = {p: ex.submit(self.feed_ids, nodes[p]) for p in nodes}
            wfut = {p: ex.submit(nodes[p].whoami) for p in nodes}
            for p in nodes:
                r = vfut[p].result()
                if r.rc != 0 or r.json["ok"] is not True or r.json["faults"]:
                    verify_failed += 1
                    verify_detail.append("%s: verify exited %d: %s%s" % (
                        p, r.rc, r.out[:2000], r.err[:500]))
                infos = efut[p].result()
                held[p] = {i["id"] for i in infos}
                by_case[p] = {}
                members[p] = set()
                for i in infos:
                    if i["case"]:
                        by_case[p].setdefault(i["case"], set()).add(i["id"])
                    elif i.get("kind") in ("member", "revoke"):
                        members[p].add(i["id"])
                    elif i.get("kind") == "rollup":
                        rollups[i["id"]] = i["signer"]
                feed = ffut[p].result()
                d = len(feed) - len(set(feed))
                if d:
                    dup += d
                    seen, twice = set(), []
                    for i in feed:
                        if i in seen:
                            twice.append(i)
                        seen.add(i)
                    dup_detail.append("%s: %d feed entries repeat an id: %s"
                                      % (p, d, twice[:5]))
                w = wfut[p].result()
                if set(feed) != held[p] or w["changes"] != len(set(feed)):
                    self.error("%s: feed holds %d ids, export %d, whoami "
                               "changes %d" % (p, len(set(feed)),
                                               len(held[p]), w["changes"]))
                if (w["pending"], w["rejects"]) != (0, 0):
                    self.error("%s: %d pending, %d rejects after the soak "
                               "(every signer is enrolled and honest)" % (
                                   p, w["pending"], w["rejects"]))

        # The visibility set of every case, as its owner's town folds it.
        cases = set(a["case"] for a in self.acked)
        for p in nodes:
            cases |= set(by_case[p])
        visible = {}
        shows = {}
        with ThreadPoolExecutor(4) as ex:
            towns = {c: ex.submit(nodes[parent_path(case_owner(c))].call,
                                  "show", c, "--json") for c in cases}
        for c in sorted(cases):
            owner = case_owner(c)
            town = parent_path(owner)
            r = towns[c].result()
            if r.rc == 0:
                shows[(town, c)] = r.json
                visible[c] = set(r.json["visible"])
            else:
                visible[c] = {owner, town}
                self.error("case %s is not at its town %s: %s" % (
                    c, town, r.err.strip()))
        # What the workload did: writes by verb, cases that went up to
        # the county or out to a department, conflicts in the folds.
        by_verb = {}
        for a in self.acked:
            by_verb[a["verb"]] = by_verb.get(a["verb"], 0) + 1
        res["written_by_verb"] = by_verb
        res["cases_at_county"] = sum(
            1 for c in visible if role_root(visible[c]))
        res["cases_dispatched"] = sum(
            1 for c in visible if any(role(p) == "dept" for p in visible[c]))
        res["fold_conflicts"] = sum(s["conflicts"] for s in shows.values())
        unknown = set()
        for c, vs in visible.items():
            unknown |= vs - set(nodes)
        if unknown:
            self.error("visibility sets name nodes not in the tree: %s" %
                       sorted(unknown))

        # lost: acknowledged changes missing where the scope says they
        # must be; Members missing anywhere.
        for a in self.acked:
            for p in sorted((visible[a["case"]] & set(nodes)) | {a["node"]}):
                if a["id"] not in held[p]:
                    lost += 1
                    lost_detail.append("%s (%s by %s on %s) missing at %s" % (
                        a["id"], a["verb"], a["node"], a["case"], p))
        all_members = set().union(*members.values())
        for p in nodes:
            for i in sorted(all_members - members[p]):
                lost += 1
                lost_detail.append("Member/Revoke %s missing at %s" % (i, p))
        # The towns' daemons sign Rollups ([policy] rollup_seconds): each
        # must reach every ancestor of its town.
        for i, town in sorted(rollups.items()):
            up = parent_path(town)
            while up is not None:
                if i not in held[up]:
                    lost += 1
                    lost_detail.append("Rollup %s of %s missing at %s" % (
                        i, town, up))
                up = parent_path(up)
        res["rollups"] = len(rollups)

        # Nodes holding a case outside its visibility set.
        beyond = []
        for c in sorted(cases):
            for p in nodes:
                if p not in visible[c] and c in by_case[p]:
                    beyond.append("%s holds %d changes of %s (visible: %s)" % (
                        p, len(by_case[p][c]), c, sorted(visible[c])))

        # Digests where the scope is the same set: a village's cases at the
        # village, its town and any node that holds every one of them ...
        scopes = []
        for v in self.nodes_of("village"):
            vcases = [c for c in cases if case_owner(c) == v]
            at = [v, parent_path(v)]
            for p in nodes:
                if p not in at and vcases and all(
                        by_case[p].get(c) == by_case[v].get(c)
                        for c in vcases):
                    at.append(p)
            scopes.append((v + "#", at))
        # ... and every case across its visibility set.
        for c in sorted(cases):
            scopes.append((c, sorted(visible[c] & set(nodes))))

        def digest_and_show(p, scope):
            d = nodes[p].digest(scope=scope)
            s = None
            if "#" in scope and not scope.endswith("#"):
                r = nodes[p].call("show", scope, "--json")
                s = r.json if r.rc == 0 else None
            return d, s

        with ThreadPoolExecutor(4) as ex:
            futs = [(scope, at, [ex.submit(digest_and_show, p, scope)
                                 for p in at]) for scope, at in scopes]
            for scope, at, fs in futs:
                got = [f.result() for f in fs]
                compared += 1
                ds = [g[0] for g in got]
                if any(d != ds[0] for d in ds):
                    mism += 1
                    mism_detail.append("digest --scope %s: %s" % (
                        scope, {p: d for p, d in zip(at, ds)}))
                    continue
                if "#" in scope and not scope.endswith("#"):
                    ss = [g[1] for g in got]
                    if any(s is None or s != ss[0] for s in ss):
                        mism += 1
                        mism_detail.append("show %s differs across %s" % (
                            scope, at))

        res.update({
            "lost": lost, "duplicated": dup, "verify_failed": verify_failed,
            "verified": len(nodes) - verify_failed,
            "digest_scopes": compared, "digest_mismatches": mism,
            "cases": len(cases), "beyond_scope": len(beyond),
            "errors": list(self.errors),
            "wall_s": round(self.elapsed(), 1),
        })
        res["ok"] = (lost == 0 and dup == 0 and verify_failed == 0 and
                     mism == 0 and not self.errors and
                     not (self.args.strict_scope and beyond))
        for title, lines in (("LOST", lost_detail),
                             ("DUPLICATED", dup_detail),
                             ("VERIFY", verify_detail),
                             ("DIGESTS", mism_detail),
                             ("BEYOND SCOPE" + ("" if self.args.strict_scope
                                                else " (not failing)"),
                              beyond),
                             ("ERRORS", self.errors)):
            if lines:
                print("soak: %s (%d):" % (title, len(lines)))
                for l in lines[:40]:
                    print("  " + l)
                if len(lines) > 40:
                    print("  … and %d more" % (len(lines) - 40))
        res["detail"] = {"lost": lost_detail[:200], "dup": dup_detail,
                         "verify": verify_detail, "digests": mism_detail[:200],
                         "beyond_scope": beyond[:200]}
        self.result = res


def summary_line(r, verdict):
    return ("soak: written %d refused %d kills %d restarts %d link cuts %d "
            "lost %d duplicated %d verify %d/%d digests %d mismatched of %d "
            "cases %d beyond-scope %d errors %d wall %.1f s: %s" % (
                r.get("written", 0), r.get("refused", 0), r.get("kills", 0),
                r.get("restarts", 0), r.get("link_cuts", 0),
                r.get("lost", -1), r.get("duplicated", -1),
                r.get("verified", 0), r.get("nodes", 0),
                r.get("digest_mismatches", -1), r.get("digest_scopes", 0),
                r.get("cases", 0), r.get("beyond_scope", 0),
                len(r.get("errors", ())), r.get("wall_s", 0.0), verdict))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gridnode", required=True, help="the gridnode binary")
    ap.add_argument("--seconds", type=float, required=True,
                    help="how long the workload and the chaos run")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true",
                    help="keep the data dir (it is always kept on failure)")
    ap.add_argument("--limit", type=float, default=None,
                    help="hard bound on the whole run (default seconds+120)")
    ap.add_argument("--settle", type=float, default=60.0,
                    help="longest wait for the tree to settle at the end")
    ap.add_argument("--check-reserve", type=float, default=15.0,
                    help="seconds of the limit kept for the final checks "
                    "(plus a tenth of --seconds)")
    ap.add_argument("--progress", type=float, default=30.0,
                    help="print the counts every this many seconds (0: no)")
    ap.add_argument("--strict-scope", action="store_true",
                    help="fail also when a node holds a case outside the "
                    "case's visibility set at its town")
    ap.add_argument("--report", default=None,
                    help="also write the result as JSON to this file")
    a = ap.parse_args(argv)
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1 << 31)
    if a.limit is None:
        a.limit = a.seconds + 120
    gn = os.path.abspath(a.gridnode)
    if not os.access(gn, os.X_OK):
        print("soak: %s is not an executable gridnode" % gn, file=sys.stderr)
        return 2
    if shutil.which("mdb_dump") is None:
        print("soak: mdb_dump (lmdb-utils) is needed to read the feeds",
              file=sys.stderr)
        return 2
    a.base = Path(tempfile.mkdtemp(prefix="gsoak", dir="/tmp"))
    # A private copy: a rebuild of the binary during a long soak would
    # otherwise change it under the running test (or catch it half
    # written).
    os.environ["GRIDNODE"] = str(shutil.copy2(gn, a.base / "gridnode"))
    soak = Soak(a)

    def give_up(why):
        # Hard stop: kill what we started, by pid, say so, and exit.
        print("soak: %s; killing the daemons this driver started" % why,
              flush=True)
        soak.stop_writers.set()
        soak.stop_chaos.set()
        if soak.tree is not None:
            # Twice: a restart under way in the chaos thread may start a
            # daemon just after the first round.
            for _ in range(2):
                for d in soak.tree.daemons.values():
                    if d.proc is not None and d.proc.poll() is None:
                        d.proc.kill()
                time.sleep(0.3)
        r = {"written": len(soak.acked), "kills": soak.kills,
             "restarts": soak.restarts, "link_cuts": soak.cuts(),
             "errors": soak.errors + [why], "wall_s": soak.elapsed(),
             "nodes": len(soak.tree.nodes) if soak.tree else 0}
        if a.report:
            Path(a.report).write_text(json.dumps(dict(r, ok=False), indent=1,
                                                 ensure_ascii=False))
        print("soak: kept %s" % a.base)
        print(summary_line(r, "TIMEOUT"), flush=True)
        os._exit(3)

    dog = threading.Timer(a.limit, give_up,
                          ("the run exceeded its limit of %.0f s" % a.limit,))
    dog.daemon = True
    dog.start()
    signal.signal(signal.SIGTERM, lambda *_: give_up("stopped by SIGTERM"))

    result = None
    try:
        result = soak.run()
    except Exception:
        soak.error("the driver failed: %s" % traceback.format_exc())
    finally:
        if soak.tree is not None:
            for pr in soak.tree.stop_all():
                soak.error("stopping: %s" % pr)
    dog.cancel()
    if result is None:
        result = {"written": len(soak.acked), "kills": soak.kills,
                  "restarts": soak.restarts, "link_cuts": soak.cuts(),
                  "errors": soak.errors, "wall_s": soak.elapsed(),
                  "ok": False}
    result["wall_s"] = round(soak.elapsed(), 1)
    result["errors"] = list(soak.errors)
    ok = result.get("ok", False) and not soak.errors
    result["ok"] = ok
    if a.report:
        Path(a.report).write_text(json.dumps(result, indent=1,
                                             ensure_ascii=False))
    if ok and not a.keep:
        shutil.rmtree(a.base, ignore_errors=True)
    else:
        print("soak: kept %s (logs: *.log)" % a.base)
        if not ok and soak.tree is not None:
            for d in soak.tree.daemons.values():
                if d.starts:
                    print("==== %s (started %d times)\n%s" % (
                        d.node.path, d.starts, d.log()[-1500:]))
    print(summary_line(result, "PASS" if ok else "FAIL"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
