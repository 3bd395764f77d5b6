#!/usr/bin/python3
"""bench.py: the gridsync benchmark (issue 7). `make bench` runs it.

    bench.py --gridnode build/gridnode --bin build/bench --out BENCH.md [--quick]

Measures, on this machine and in this run: the ceilings (Ed25519, LMDB),
one-hop sync of pre-made changes into a live town daemon, bytes on the wire
per change, catch-up after an offline spell, resident memory, the 3-tier
chain (throughput and latency under load) and a county-scale run; prints
one table and writes it to --out with the machine's description. What each
figure means and how it is measured: tests/bench/README.md.

Every process is started here and stopped by pid; every wait has a
deadline; the temp dirs are removed at the end (--keep keeps them).
"""

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

import gridsync  # noqa: E402
import live      # noqa: E402

COUNTY = "qianyang"
TOWN = "qianyang/cuimu"
VILLAGE = "qianyang/cuimu/xiazhai"

# The daemon's own defaults (docs/protocol.md §13): what a county runs.
LINK = {"heartbeat_ms": 1000, "timeout_ms": 5000}

MIB = 1024 * 1024


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def kv(text):
    """'name value' lines -> {name: float or str}."""
    d = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2:
            continue
        try:
            d[parts[0]] = float(parts[1])
        except ValueError:
            d[parts[0]] = parts[1]
    return d


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class Row:
    def __init__(self, key, figure, unit, target=None, check=None, how="",
                 fmt="%.0f"):
        self.key, self.figure, self.unit = key, figure, unit
        self.target, self.check, self.how, self.fmt = target, check, how, fmt
        self.values = []
        self.error = None
        self.note = ""

    def stats(self):
        if not self.values:
            return None
        return (statistics.median(self.values), min(self.values),
                max(self.values))

    def verdict(self):
        if self.error is not None:
            return "MISSED (failed)" if self.check else "FAILED"
        s = self.stats()
        if s is None:
            return "not run"
        if self.check is None:
            return "-"
        return "met" if self.check(s[0]) else "MISSED"

    def cells(self):
        s = self.stats()
        if s is None:
            v = ["-", "-", "-"]
        else:
            v = [self.fmt % x for x in s]
        return [self.figure, v[0], v[1], v[2], self.unit,
                self.target or "-", self.verdict(), str(len(self.values))]


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.root = Path(tempfile.mkdtemp(prefix="gsbench-",
                                          dir=args.tmp or None))
        self.rows = {}
        self.order = []
        self.trees = []
        self.extra_pids = []   # helper processes started here
        self.t_start = time.monotonic()

    # -- plumbing ----------------------------------------------------------

    def row(self, key, *a, **kw):
        r = Row(key, *a, **kw)
        self.rows[key] = r
        self.order.append(key)
        return r

    def bin(self, name):
        return str(Path(self.args.bin) / name)

    def run(self, *argv, timeout=600):
        argv = [str(a) for a in argv]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("%s exited %d: %s %s" % (
                " ".join(argv), p.returncode, p.stdout.decode()[-500:],
                p.stderr.decode()[-2000:]))
        return kv(p.stdout.decode())

    def feedwait(self, timeout, *pairs):
        """Waits until each (dir, count) store holds count changes; returns
        (monotonic time reached, {dir: count})."""
        argv = [self.bin("feedwait"), str(timeout)] + [
            "%s:%d" % (d, c) for d, c in pairs]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout + 30)
        out = p.stdout.decode()
        counts = {}
        reached = None
        for line in out.splitlines():
            a, b = line.rsplit(" ", 1)
            if a == "reached":
                reached = float(b)
            else:
                counts[a] = int(b)
        if p.returncode != 0:
            raise live.TimedOut("feedwait timed out after %s s: %s %s" % (
                timeout, out, p.stderr.decode()))
        return reached, counts

    def count(self, node):
        return self.feedwait(5, (node.dir, 0))[1][str(node.dir)]

    def tree(self, name, paths, **link):
        lk = dict(LINK)
        lk.update(link)
        t = live.LiveTree(self.root / name, paths, **lk)
        self.trees.append(t)
        return t

    def drop_tree(self, t):
        problems = t.stop_all()
        if problems:
            log("warning: %s" % "; ".join(p[:300] for p in problems))
        if t in self.trees:
            self.trees.remove(t)
        if not self.args.keep:
            shutil.rmtree(t.base, ignore_errors=True)

    @staticmethod
    def add_node_line(t, path, line):
        cfg = t.base / ("%s.ini" % path.replace("/", "_"))
        s = cfg.read_text()
        cfg.write_text(s.replace("[node]\n", "[node]\n%s\n" % line, 1))

    @staticmethod
    def snapshot(nodes, where):
        where.mkdir(parents=True, exist_ok=True)
        for n in nodes:
            dst = where / n.dir.name
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(n.dir, dst)

    @staticmethod
    def restore(nodes, where):
        for n in nodes:
            shutil.rmtree(n.dir)
            shutil.copytree(where / n.dir.name, n.dir)

    def section(self, name, fn):
        log("== %s (%.0f s so far)" % (name, time.monotonic() - self.t_start))
        try:
            fn()
        except Exception as e:
            msg = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:300]
                              if str(e) else "")
            log("section %s failed:\n%s" % (name, traceback.format_exc()))
            for k in self.order:
                r = self.rows[k]
                if r.key.startswith(name + ".") and not r.values:
                    r.error = msg
        finally:
            for t in list(self.trees):
                self.drop_tree(t)

    # -- 1. ceilings -------------------------------------------------------

    def ceilings(self):
        runs = 5
        secs = 0.5 if self.quick else 2
        r1 = self.rows["ceil.verify1"]
        rn = self.rows["ceil.verifyn"]
        for i in range(runs):
            d = self.run(self.bin("ceilings"), "verify", secs)
            r1.values.append(d["verify_1core"])
            rn.values.append(d["verify_allcores"])
            self.cores = int(d["cores"])
        rn.figure = "Ed25519 verifies/s, all %d cores" % self.cores
        rc = self.rows["ceil.commits"]
        rb = self.rows["ceil.batched"]
        for i in range(runs):
            d = self.run(self.bin("ceilings"), "lmdb",
                         self.root / ("lmdb%d" % i), secs)
            shutil.rmtree(self.root / ("lmdb%d" % i))
            rc.values.append(d["lmdb_commits"])
            rb.values.append(d["lmdb_batched_puts"])

    # -- 2, 3. one hop and wire bytes ----------------------------------------

    def onehop_setup(self, name, n):
        t = self.tree(name, [COUNTY, TOWN, VILLAGE])
        v, tw = t.nodes[VILLAGE], t.nodes[TOWN]
        cases = t.base / "cases.txt"
        k = max(1, n // 10)      # ten changes a case: a report, nine notes
        a = self.run(self.bin("mkchanges"), v.dir, "report", k, cases)
        b = self.run(self.bin("mkchanges"), v.dir, "notes", n - k, cases)
        env = a["env_bytes"] + b["env_bytes"]
        log("   made %d changes in %.1f s (%.0f envelope bytes each)" % (
            n, a["seconds"] + b["seconds"], env / n))
        snap = t.base / "snap"
        self.snapshot([v, tw], snap)
        return t, v, tw, snap, env

    def onehop_run(self, t, v, tw, snap, n, proxy=False):
        self.restore([v, tw], snap)
        t.configure(VILLAGE)          # the bundle's endpoint: the town
        t.daemons[TOWN].start()
        base = self.count(tw)
        p = None
        if proxy:
            p = live.FaultProxy(t.ports[TOWN], cut_min=1e9, cut_max=1e9)
            t.extra.append(p)
            t.configure(VILLAGE, parent_endpoint=p.endpoint)
        t0 = time.monotonic()
        t.daemons[VILLAGE].start(wait=False)
        reached, _ = self.feedwait(300, (tw.dir, base + n))
        wire = p.bytes if p else None
        t.daemons[VILLAGE].stop()
        t.daemons[TOWN].stop()
        w = tw.whoami()
        if w["pending"] or w["rejects"]:
            raise RuntimeError("town holds pending/rejects: %s" % w)
        if p:
            p.close()
            t.extra.remove(p)
        return reached - t0, wire

    def onehop(self):
        n = 10000 if self.quick else 100000
        runs = 3
        r = self.rows["hop.rate"]
        rr = self.rows["hop.ratio"]
        r.figure = "One-hop sync, changes/s (%s changes)" % format(n, ",")
        t, v, tw, snap, env = self.onehop_setup("onehop", n)
        ceil = self.rows["ceil.verifyn"].stats()
        for i in range(runs):
            secs, _ = self.onehop_run(t, v, tw, snap, n)
            log("   run %d: %.2f s, %.0f changes/s" % (i, secs, n / secs))
            r.values.append(n / secs)
            if ceil:
                rr.values.append(n / secs / ceil[0])
        self.drop_tree(t)

    def wire(self):
        n = 2000 if self.quick else 10000
        runs = 1 if self.quick else 3
        r = self.rows["wire.ratio"]
        rw = self.rows["wire.bytes"]
        re_ = self.rows["wire.env"]
        t, v, tw, snap, env = self.onehop_setup("wire", n)
        for i in range(runs):
            secs, wire = self.onehop_run(t, v, tw, snap, n, proxy=True)
            log("   run %d: %d bytes on the wire for %d changes (%.1f s)" % (
                i, wire, n, secs))
            rw.values.append(wire / n)
            re_.values.append(env / n)
            r.values.append(wire / env)
        self.drop_tree(t)

    # -- 4. catch-up -------------------------------------------------------

    def catchup(self):
        n = 2000 if self.quick else 10000
        runs = 3 if self.quick else 5
        r = self.rows["catch.secs"]
        r.figure = "Catch-up, %s + %s changes, s" % (format(n, ","),
                                                    format(n, ","))
        t = self.tree("catchup", [COUNTY, TOWN, VILLAGE])
        v, tw = t.nodes[VILLAGE], t.nodes[TOWN]
        cases = t.base / "cases.txt"
        t.start(TOWN, VILLAGE)
        base_t = self.count(tw)
        self.run(self.bin("mkchanges"), v.dir, "report", 500, cases, "--poke")
        self.feedwait(60, (tw.dir, base_t + 500))
        t.wait_settled([TOWN, VILLAGE], timeout=60)
        t.daemons[VILLAGE].stop()
        self.run(self.bin("mkchanges"), v.dir, "notes", n, cases)
        self.run(self.bin("mkchanges"), tw.dir, "notes", n, cases, "--poke")
        t.daemons[TOWN].stop()
        want_v, want_t = self.count(v) + n, self.count(tw) + n
        snap = t.base / "snap"
        self.snapshot([v, tw], snap)
        for i in range(runs):
            self.restore([v, tw], snap)
            t.daemons[TOWN].start()
            t0 = time.monotonic()
            t.daemons[VILLAGE].start(wait=False)
            reached, _ = self.feedwait(120, (v.dir, want_v), (tw.dir, want_t))
            secs = reached - t0
            dv = v.digest(scope=VILLAGE)
            dt = tw.digest(scope=VILLAGE)
            t.daemons[VILLAGE].stop()
            t.daemons[TOWN].stop()
            if dv != dt:
                raise RuntimeError("digests differ after catch-up: %s %s" % (
                    dv, dt))
            log("   run %d: %.3f s (digest %s… over %d changes)" % (
                i, secs, dv[0][:12], dv[1]))
            r.values.append(secs)
        self.drop_tree(t)

    # -- 5. resident memory ------------------------------------------------

    def memory(self):
        nv = 10 if self.quick else 50
        runs = 1 if self.quick else 3
        rt = self.rows["mem.town"]
        rv = self.rows["mem.village"]
        rt.figure = "Town daemon RSS with %d villages linked, MiB" % nv
        for i in range(runs):
            villages = ["%s/v%02d" % (TOWN, k) for k in range(nv)]
            t = self.tree("mem%d" % i, [COUNTY, TOWN] + villages)
            for p in villages:
                self.run(self.bin("mkchanges"), t.nodes[p].dir, "report", 20,
                         t.base / "cases.txt")
            t.daemons[TOWN].start()
            for p in villages:
                t.daemons[p].start(wait=False)
            tw = t.nodes[TOWN]

            def linked():
                return sum(1 for l in live.peers(tw) if l["connected"]) == nv
            live.wait_until(linked, 60, "%d villages linked" % nv,
                            interval=0.5)
            base = self.count(tw)
            self.feedwait(60, (tw.dir, base))
            time.sleep(5)
            rt.values.append(rss_kib(t.daemons[TOWN].pid) / 1024)
            vals = [rss_kib(t.daemons[p].pid) / 1024 for p in villages]
            rv.values.extend(vals)
            log("   run %d: town %.1f MiB; villages %.1f-%.1f MiB" % (
                i, rt.values[-1], min(vals), max(vals)))
            self.drop_tree(t)

    # -- 6. the 3-tier chain -----------------------------------------------

    def chain(self):
        nc = 1000 if self.quick else 10000
        nprobe_cases = 200
        lat_secs = 5 if self.quick else 20
        lat_runs = 1 if self.quick else 3
        thr_n = 5000 if self.quick else 30000
        thr_runs = 1 if self.quick else 3
        rate = 1000
        probe_ms = 50
        t = self.tree("chain", [COUNTY, TOWN, VILLAGE])
        c, tw, v = t.nodes[COUNTY], t.nodes[TOWN], t.nodes[VILLAGE]
        pub = live.free_port()
        self.add_node_line(t, COUNTY, "publish = tcp://127.0.0.1:%d" % pub)
        cases = t.base / "cases.txt"
        # Cases the county holds: reported and whistled at the village,
        # whistled again at the town.
        self.run(self.bin("mkchanges"), v.dir, "report", nc, cases)
        self.run(self.bin("mkchanges"), v.dir, "whistle", cases)
        f1 = t.file("v2t.gsf")
        v.export(f1, for_=TOWN)
        tw.import_(f1)
        self.run(self.bin("mkchanges"), tw.dir, "whistle", cases)
        f2 = t.file("t2c.gsf")
        tw.export(f2, for_=COUNTY)
        c.import_(f2)
        all_cases = cases.read_text().split()
        probes = t.base / "probes.txt"
        load = t.base / "load.txt"
        probes.write_text("\n".join(all_cases[:nprobe_cases]) + "\n")
        load.write_text("\n".join(all_cases[nprobe_cases:]) + "\n")
        t.start()
        t.wait_settled(timeout=120)

        import zmq
        ctx = zmq.Context()
        rl = self.rows["chain.p50"], self.rows["chain.p99"], \
            self.rows["chain.max"]
        rload = self.rows["chain.load"]
        rcounty = self.rows["chain.loadcounty"]
        for i in range(lat_runs):
            sub = ctx.socket(zmq.SUB)
            sub.setsockopt(zmq.RCVHWM, 0)
            for cs in all_cases[:nprobe_cases]:
                sub.setsockopt(zmq.SUBSCRIBE, cs.encode())
            sub.connect("tcp://127.0.0.1:%d" % pub)
            got = []
            stop = threading.Event()

            def recv():
                pat = re.compile(rb"probe:(\d+)")
                while not stop.is_set():
                    if sub.poll(50):
                        parts = sub.recv_multipart()
                        now = time.time_ns() // 1000
                        m = pat.search(parts[-1])
                        if m:
                            got.append(now - int(m.group(1)))
            th = threading.Thread(target=recv, daemon=True)
            th.start()
            time.sleep(0.5)
            cbase = self.count(c)
            w = self.run(self.bin("writer"), v.dir, rate, lat_secs, load,
                         probes, probe_ms, timeout=lat_secs + 60)
            nprobes = int(w["probes"])
            t_w = time.monotonic()
            want = cbase + int(w["changes"]) + nprobes
            reached, _ = self.feedwait(60, (c.dir, want))
            live.wait_until(lambda: len(got) >= nprobes, 10,
                            "%d probes at the county" % nprobes)
            stop.set()
            th.join(2)
            sub.close(0)
            lat = sorted(x / 1000.0 for x in got)
            p50 = lat[len(lat) // 2]
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            rl[0].values.append(p50)
            rl[1].values.append(p99)
            rl[2].values.append(lat[-1])
            rload.values.append(w["changes"] / w["seconds"])
            rcounty.values.append((want - cbase) /
                                  (w["seconds"] + max(0.0, reached - t_w)))
            log("   latency run %d: %d probes p50 %.1f p99 %.1f max %.1f ms;"
                " load %.0f/s; county caught up %.2f s after the writer" % (
                    i, len(lat), p50, p99, lat[-1], rload.values[-1],
                    max(0.0, reached - t_w)))
        ctx.term()
        rt = self.rows["chain.rate"]
        rt.figure = "3-tier chain, changes/s end to end (%s changes)" % \
            format(thr_n, ",")
        for i in range(thr_runs):
            t.daemons[VILLAGE].stop()
            self.run(self.bin("mkchanges"), v.dir, "notes", thr_n, load)
            cbase = self.count(c)
            t0 = time.monotonic()
            t.daemons[VILLAGE].start(wait=False)
            reached, _ = self.feedwait(300, (c.dir, cbase + thr_n))
            rt.values.append(thr_n / (reached - t0))
            log("   chain run %d: %.2f s, %.0f changes/s" % (
                i, reached - t0, rt.values[-1]))
        self.drop_tree(t)

    # -- 7. county scale ---------------------------------------------------

    def county(self):
        ntowns = 2 if self.quick else 10
        per_town = 5 if self.quick else 20
        secs = 15 if self.quick else 60
        rollup = 1          # the default 60 s, speeded up 60x
        runs = 1
        rcpu = self.rows["county.cpu"]
        ridle = self.rows["county.idle"]
        rcc = self.rows["county.cpu.county"]
        rct = self.rows["county.cpu.towns"]
        rcv = self.rows["county.cpu.villages"]
        rst = self.rows["county.stale"]
        rmax = self.rows["county.stalemax"]
        rcpu.figure = "County scale: %d towns, %d villages, CPU %% of " \
            "machine" % (ntowns, ntowns * per_town)
        towns = ["%s/t%02d" % (COUNTY, k) for k in range(ntowns)]
        villages = ["%s/v%02d" % (tp, k) for tp in towns
                    for k in range(per_town)]
        for i in range(runs):
            t = self.tree("county%d" % i, [COUNTY] + towns + villages)
            for tp in towns:
                t.configure(tp, rollup_seconds=rollup)
            dirfile = t.base / "villages.txt"
            dirfile.write_text("".join("%s\n" % t.nodes[p].dir
                                       for p in villages))
            t.start(COUNTY, *towns, links=False)
            for p in villages:
                t.daemons[p].start(wait=False)
            for tp in [COUNTY] + towns:
                tn = t.nodes[tp]
                want = per_town + (1 if tp != COUNTY else 0)
                if tp == COUNTY:
                    want = ntowns
                live.wait_until(
                    lambda: sum(1 for l in live.peers(tn)
                                if l["connected"]) == want,
                    120, "%s linked" % tp, interval=0.5)
            c = t.nodes[COUNTY]
            polls = []
            stop = threading.Event()

            def poll():
                while not stop.is_set():
                    r = c.call("stats", "--by", "village", "--json")
                    now = time.monotonic()
                    if r.rc == 0:
                        j = r.json
                        polls.append((now, {
                            g["key"]: g.get("received", 0)
                            for g in j.get("groups", [])}))
                    stop.wait(0.25)
            hz = os.sysconf("SC_CLK_TCK")
            tier = {d.pid: ("county" if path == COUNTY else
                            "towns" if path in towns else "villages")
                    for path, d in t.daemons.items() if d.running()}
            pids = list(tier)
            # Idle first: linked, nothing written, the towns' rollups on.
            idle_s = 5 if self.quick else 20
            ticks0 = {p: cpu_ticks(p) for p in pids}
            w0 = time.monotonic()
            time.sleep(idle_s)
            ticks1 = {q: cpu_ticks(q) for q in pids}
            wall = time.monotonic() - w0
            ridle.values.append(100.0 * sum(ticks1[q] - ticks0[q]
                                            for q in pids) / hz / wall
                                / os.cpu_count())
            ticks0 = {p: cpu_ticks(p) for p in pids}
            w0 = time.monotonic()
            th = threading.Thread(target=poll, daemon=True)
            th.start()
            p = subprocess.run([self.bin("multiwriter"), str(secs), "1",
                                str(dirfile)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=secs + 120)
            ticks1 = {q: cpu_ticks(q) for q in pids}
            wall = time.monotonic() - w0
            if p.returncode != 0:
                raise RuntimeError("multiwriter: %s" % p.stderr.decode())
            time.sleep(3 * rollup + 3)
            stop.set()
            th.join(30)
            used = sum(ticks1[q] - ticks0[q] for q in pids) / hz
            rcpu.values.append(100.0 * used / wall / os.cpu_count())
            for name, row in (("county", rcc), ("towns", rct),
                              ("villages", rcv)):
                row.values.append(100.0 * sum(
                    ticks1[q] - ticks0[q] for q in pids if tier[q] == name)
                    / hz / wall / os.cpu_count())
            writes = []
            for line in p.stdout.decode().splitlines():
                f = line.split()
                if f and f[0] == "W":
                    writes.append((villages[int(f[1])], int(f[2]),
                                   float(f[3])))
            stale, missing = [], 0
            for vp, k, tw_ in writes:
                seen = next((pt for pt, m in polls
                             if pt >= tw_ and m.get(vp, 0) >= k), None)
                if seen is None:
                    missing += 1
                else:
                    stale.append(seen - tw_)
            if not stale:
                raise RuntimeError("the county's stats never reflected a "
                                   "village's report (%d polls)" % len(polls))
            stale.sort()
            rst.values.append(stale[len(stale) // 2])
            rmax.values.append(stale[-1])
            if missing:
                rst.note = "%d of %d reports not reflected" % (
                    missing, len(writes))
            log("   run %d: %d daemons used %.1f CPU-s in %.1f s; %d reports,"
                " staleness p50 %.2f max %.2f s, %d not reflected, %d polls"
                % (i, len(pids), used, wall, len(writes),
                   stale[len(stale) // 2], stale[-1], missing, len(polls)))
            self.drop_tree(t)

    # -- output ------------------------------------------------------------

    def machine(self):
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem = "?"
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
        df = subprocess.run(["df", "--output=source,fstype,target",
                             str(self.root)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL).stdout.decode()
        df = " ".join(df.splitlines()[-1].split()) if df else "?"
        vers = []
        for pkg in ("libsodium23", "liblmdb0", "libzmq5", "libprotobuf-c1"):
            p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
            vers.append("%s %s" % (pkg, p.stdout.decode() or "?"))
        rev = subprocess.run(["git", "-C", str(HERE.parent.parent),
                              "rev-parse", "--short", "HEAD"],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode().strip()
        return [
            ("CPU", "%s, %d cores online" % (cpu, os.cpu_count())),
            ("RAM", mem),
            ("kernel", "%s %s" % (platform.system(), platform.release())),
            ("data dirs", "%s (device, filesystem, mount)" % df),
            ("libraries", ", ".join(vers)),
            ("gridnode", "%s (commit %s plus the working tree)" % (
                self.args.gridnode, rev or "?")),
        ]

    def table(self):
        head = ["figure", "median", "min", "max", "unit", "target", "result",
                "n"]
        rows = [self.rows[k].cells() for k in self.order]
        return head, rows

    def print_table(self):
        head, rows = self.table()
        w = [max(len(str(r[i])) for r in [head] + rows)
             for i in range(len(head))]
        line = "  ".join(h.ljust(w[i]) for i, h in enumerate(head))
        print(line)
        print("-" * len(line))
        for r in rows:
            print("  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))
        for k in self.order:
            if self.rows[k].note:
                print("  %s: %s" % (self.rows[k].figure, self.rows[k].note))
            if self.rows[k].error:
                print("  %s: %s" % (self.rows[k].figure, self.rows[k].error))

    def write_md(self, path, elapsed):
        head, rows = self.table()
        out = ["# BENCH.md: gridsync benchmark", "",
               "Written by `tests/bench/bench.py`%s (`make bench`); what each "
               "figure means and how it is measured: "
               "[tests/bench/README.md](tests/bench/README.md). Each figure "
               "is the median of n runs (samples) with their min and max." %
               (" --quick: small sizes, fewer runs, NOT the issue's "
                "figures" if self.quick else ""), "",
               "- date: %s" % time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "- run time: %.0f s%s" % (elapsed,
                                          " (--quick)" if self.quick else "")]
        for k, v in self.machine_info:
            out.append("- %s: %s" % (k, v))
        out += ["", "| " + " | ".join(head) + " |",
                "|" + "|".join("---" for _ in head) + "|"]
        for r in rows:
            out.append("| " + " | ".join(str(c) for c in r) + " |")
        out += ["", "## How measured", ""]
        for k in self.order:
            r = self.rows[k]
            extra = ""
            if r.note:
                extra += " In this run: %s." % r.note
            if r.error:
                extra += " **Failed in this run:** %s." % r.error
            out.append("- **%s**: %s%s" % (r.figure, r.how, extra))
        # The profile and what each change bought are written by hand
        # below the generated part; a new run keeps them.
        kept = None
        try:
            old = Path(path).read_text()
            if "\n## Profile" in old:
                kept = old[old.index("\n## Profile") + 1:]
        except OSError:
            pass
        out += [""]
        if kept:
            out.append(kept.rstrip("\n"))
        else:
            out += ["## Profile", "",
                    "(to be filled by hand: perf findings, what each change "
                    "bought)"]
        out.append("")
        Path(path).write_text("\n".join(out))

    def cleanup(self):
        for t in list(self.trees):
            self.drop_tree(t)
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            log("kept %s" % self.root)


def define_rows(b):
    ceil_how = ("tests/bench/ceilings.c, without gridsync: ")
    b.row("ceil.verify1", "Ed25519 verifies/s, 1 core", "verifies/s",
          how=ceil_how + "crypto_sign_verify_detached over 256 pre-signed "
          "400-byte messages in a loop on one thread for a fixed time; 5 runs.")
    b.row("ceil.verifyn", "Ed25519 verifies/s, all cores", "verifies/s",
          how=ceil_how + "the same loop on sysconf(_SC_NPROCESSORS_ONLN) "
          "threads at once, total verifies / wall time; 5 runs.")
    b.row("ceil.commits", "LMDB durable commits/s", "commits/s",
          how=ceil_how + "one 400-byte put per write transaction, LMDB's "
          "default (synchronous) flags, in a temp dir beside the data dirs; "
          "5 runs.")
    b.row("ceil.batched", "LMDB puts/s in batches of 1,000", "puts/s",
          how=ceil_how + "1,000 400-byte puts per durable transaction, same "
          "environment; 5 runs.")
    b.row("hop.rate", "One-hop sync, changes/s", "changes/s",
          target=">= 20,000", check=lambda x: x >= 20000,
          how="village qianyang/cuimu/xiazhai enrolled under town "
          "qianyang/cuimu under county qianyang (CLI init/enroll/join); "
          "tests/bench/mkchanges.c pre-makes the changes in the village's "
          "store (one Report and nine Progress notes per case, signed by the "
          "village exactly as gs_ops_write would, 1,000 per transaction). "
          "The town daemon runs; t0 = the village daemon's start (so the "
          "figure includes its start-up and the CurveZMQ handshake); t1 = "
          "the first 5 ms poll (tests/bench/feedwait.c, an LMDB stat of the "
          "town's `changes`) at which the town holds all of them, verified "
          "and durably committed. Figure = N / (t1 - t0). Daemon defaults: "
          "batch_max 256, window 16. Each run starts from a copy of the same "
          "two stores; 3 runs.")
    b.row("hop.ratio", "One-hop / all-core verify ceiling", "ratio",
          target=">= 0.75", check=lambda x: x >= 0.75, fmt="%.2f",
          how="each one-hop run's changes/s divided by the median all-core "
          "Ed25519 ceiling of this run.")
    b.row("wire.bytes", "Wire bytes per change", "bytes", fmt="%.0f",
          how="a separate one-hop run with the village dialing the town "
          "through a counting TCP proxy (tests/integration/live.py "
          "FaultProxy with cutting off): every byte through the proxy, both "
          "directions (CurveZMQ handshake, HELLO, BATCH, ACK, heartbeats), "
          "from the village's start to the town holding all changes, "
          "divided by the number of changes.")
    b.row("wire.env", "Signed envelope per change", "bytes", fmt="%.0f",
          how="the mean size of the sealed envelopes mkchanges made for that "
          "run (Reports and Progress notes with ordinary Chinese text).")
    b.row("wire.ratio", "Wire bytes / envelope bytes", "ratio",
          target="<= 1.1", check=lambda x: x <= 1.1, fmt="%.3f",
          how="wire bytes per change divided by envelope bytes per change.")
    b.row("catch.secs", "Catch-up, s", "s", target="< 2",
          check=lambda x: x < 2, fmt="%.3f",
          how="village and town linked and settled with 500 village cases; "
          "the village daemon stops; the village writes N Progress notes on "
          "its cases and the town writes N Progress notes on the same cases "
          "(both with mkchanges, the town's daemon running and poked); the "
          "town daemon stops and both stores are copied. Each run: restore "
          "the copies, start the town daemon, t0 = start of the village "
          "daemon, t1 = the first 5 ms poll at which the village holds the "
          "town's N new changes and the town the village's N (LMDB stat of "
          "`changes` on both). Then `gridnode digest --scope "
          "qianyang/cuimu/xiazhai` on both must print the same digest and "
          "count (the run fails otherwise). Figure = t1 - t0.")
    b.row("mem.village", "Idle village daemon RSS, MiB", "MiB",
          target="< 8", check=lambda x: x < 8, fmt="%.1f",
          how="VmRSS from /proc/PID/status of every village daemon of the "
          "town run below (each village holds 20 cases of its own), read "
          "after its link is up, the town has everything and 5 s idle; "
          "median/min/max over all those villages.")
    b.row("mem.town", "Town daemon RSS with 50 villages linked, MiB", "MiB",
          target="< 32", check=lambda x: x < 32, fmt="%.1f",
          how="a town with 50 villages enrolled (CLI), each with 20 cases; "
          "town daemon and 50 village daemons started, wait until the "
          "town's `peers` shows all 50 connected and the town holds every "
          "village's cases, 5 s idle, then the town's VmRSS; 3 runs (each a "
          "fresh tree).")
    b.row("chain.p50", "Chain latency village->county p50, ms", "ms",
          fmt="%.1f",
          how="village -> town -> county, three live daemons; 10,000 cases "
          "reported and whistled at the village and whistled again at the "
          "town (so the county holds them; a village's own whistle only "
          "reaches its town). tests/bench/writer.c writes 1,000 Progress "
          "notes a second at the village (every 5 ms one durable "
          "transaction of the notes due, then gs_daemon_poke, as the CLI "
          "pokes) and every 50 ms a probe note 'probe:<unix µs>' taken "
          "before its transaction, on 200 of the cases in turn. A ZeroMQ "
          "SUB on the county's [node] publish socket, subscribed to the "
          "probe cases, stamps each probe's arrival: latency = arrival - "
          "probe time. p50 over all probes of a run; 3 runs of 20 s.")
    b.row("chain.p99", "Chain latency village->county p99, ms", "ms",
          target="< 20", check=lambda x: x < 20, fmt="%.1f",
          how="as p50, the 99th percentile of each run.")
    b.row("chain.max", "Chain latency village->county max, ms", "ms",
          fmt="%.1f", how="as p50, the largest of each run.")
    b.row("chain.load", "Background load written at the village", "changes/s",
          target=">= 1,000 (the setting)", check=lambda x: x >= 990,
          how="notes the writer actually wrote / its run time (a check "
          "that the load was applied).")
    b.row("chain.loadcounty", "County intake under that load", "changes/s",
          how="changes that reached the county during a latency run / (the "
          "writer's time + how long the county took after the writer "
          "stopped to hold everything).")
    b.row("chain.rate", "3-tier chain, changes/s end to end", "changes/s",
          how="village daemon stopped, mkchanges writes N Progress notes on "
          "the county-visible cases, t0 = village daemon start, t1 = the "
          "first 5 ms poll at which the county holds all N (each verified "
          "and committed at the town, then at the county); 3 runs.")
    b.row("county.cpu", "County scale, CPU % of machine", "%",
          target="< 25", check=lambda x: x < 25, fmt="%.1f",
          how="1 county, 10 towns, 200 villages, each its own daemon "
          "(rollup_seconds 1 at the towns); each village writes one Report a "
          "minute speeded up 60x, i.e. one a second (tests/bench/"
          "multiwriter.c holds every village's node open and writes with "
          "gs_ops_write then gs_daemon_poke, the villages' writes spread "
          "evenly over each second) for 60 s; CPU = "
          "sum over all daemons of utime+stime during the window / wall "
          "time / cores.")
    b.row("county.cpu.county", "  of which the county daemon, %", "%",
          fmt="%.1f", how="the same run, the county's daemon only.")
    b.row("county.cpu.towns", "  of which the 10 town daemons, %", "%",
          fmt="%.1f", how="the same run, the town daemons only.")
    b.row("county.cpu.villages", "  of which the 200 village daemons, %", "%",
          fmt="%.1f", how="the same run, the village daemons only.")
    b.row("county.idle", "County scale idle (nothing written), CPU %", "%",
          fmt="%.1f", how="the same tree, linked, in the 20 s before the "
          "writes start: what 211 daemons cost doing nothing but heartbeats "
          "and the towns' 1 s rollups (the stats poller is not yet running).")
    b.row("county.stale", "County rollup staleness p50, s", "s", fmt="%.2f",
          how="the same run: every 0.25 s the driver runs `gridnode stats "
          "--by village --json` at the county (sums of the towns' signed "
          "Rollups; towns at rollup_seconds = 1, the default 60 s speeded up "
          "60x); a village's K-th report counts as reflected at the first "
          "poll, after it was written, whose `received` for that village is "
          ">= K. Staleness = that poll's time - the write's time (so it "
          "includes up to 0.25 s of polling and the CLI's run time); median "
          "over all reports of the run.")
    b.row("county.stalemax", "County rollup staleness max, s", "s",
          fmt="%.2f", how="as p50, the largest.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gridnode", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", default="BENCH.md")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--tmp", default=None,
                    help="parent of the temp dir (default: $TMPDIR or /tmp)")
    ap.add_argument("--only", default=None,
                    help="comma-separated sections (ceilings,onehop,wire,"
                    "catchup,memory,chain,county)")
    args = ap.parse_args()
    os.environ["GRIDNODE"] = os.path.abspath(args.gridnode)
    os.environ.pop("GRIDNODE_DATA", None)
    b = Bench(args)
    define_rows(b)
    sections = [("ceil", b.ceilings), ("hop", b.onehop), ("wire", b.wire),
                ("catch", b.catchup), ("mem", b.memory), ("chain", b.chain),
                ("county", b.county)]
    names = {"ceil": "ceilings", "hop": "onehop", "wire": "wire",
             "catch": "catchup", "mem": "memory", "chain": "chain",
             "county": "county"}
    only = set(args.only.split(",")) if args.only else None
    t0 = time.monotonic()
    b.machine_info = b.machine()    # before the temp dir (df's path) goes
    try:
        for key, fn in sections:
            if only and names[key] not in only:
                continue
            b.section(key, fn)
    finally:
        b.cleanup()
    elapsed = time.monotonic() - t0
    b.print_table()
    b.write_md(args.out, elapsed)
    log("wrote %s in %.0f s" % (args.out, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
