"""gridsync.py: drive real gridnode processes for the integration tests.

Black box only: every action is a `gridnode` process on a data directory,
every exchange a file written by `export` and read by `import` (the file
format of docs/cli.md). Nothing here links against the C code.

The binary comes from $GRIDNODE (the Makefile sets it); without it,
build/gridnode beside this tree is used.
"""

import hashlib
import json as jsonlib
import os
import struct
import subprocess
from pathlib import Path

TIMEOUT = 30  # seconds, for any one gridnode process

HERE = Path(__file__).resolve().parent
DEFAULT_BINARY = HERE.parent.parent / "build" / "gridnode"

COUNTY = "qianyang"

# The test county, parents before children.
TREE_PATHS = (
    "qianyang",
    "qianyang/cuimu",
    "qianyang/fenghuang",
    "qianyang/cuimu/xiazhai",
    "qianyang/cuimu/shangzhai",
    "qianyang/fenghuang/dongcun",
    "qianyang/cuimu/@police",
    "qianyang/@justice",
)

FEED_MAGIC = b"GSFEED01"
RECORD_MAX_BYTES = 32768

# Change body field numbers (proto/gridsync.proto, Change.body).
KIND_FIELDS = {
    10: "member", 11: "revoke", 12: "report", 13: "progress",
    14: "whistle", 15: "return", 16: "dispatch", 17: "ack",
    18: "resolve", 19: "followup", 20: "reopen", 21: "supervise",
    22: "notice", 23: "rollup",
}


def binary():
    """Path of the gridnode binary under test."""
    b = os.environ.get("GRIDNODE") or str(DEFAULT_BINARY)
    return b


def parent_path(p):
    return p.rsplit("/", 1)[0] if "/" in p else None


class GridnodeError(AssertionError):
    """A gridnode process exited non-zero where the test expected 0."""

    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        super().__init__("%s exited %d\nstdout: %s\nstderr: %s" %
                         (" ".join(argv), rc, out.strip(), err.strip()))


class Result:
    """One finished process: rc, out (stdout text), err (stderr text)."""

    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    @property
    def json(self):
        return jsonlib.loads(self.out)

    def __repr__(self):
        return "Result(rc=%d, out=%r, err=%r)" % (self.rc, self.out, self.err)


class Node:
    """One node: a data directory and the path it was (or will be) given."""

    def __init__(self, dir, path, actor="测试员"):
        self.dir = Path(dir)
        self.path = path
        self.key = None
        self.actor = actor

    def __repr__(self):
        return "Node(%s)" % self.path

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]

    # -- processes -------------------------------------------------------

    def call(self, *args):
        """Runs `gridnode VERB ARGS... --data DIR`; never raises on the exit
        code. Returns a Result."""
        args = [str(a) for a in args]
        argv = [binary()] + args + ["--data", str(self.dir)]
        env = dict(os.environ)
        env.pop("GRIDNODE_DATA", None)
        env["GRIDNODE_ACTOR"] = self.actor
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=TIMEOUT)
        return Result(argv, p.returncode, p.stdout.decode("utf-8"),
                      p.stderr.decode("utf-8"))

    def run(self, *args, json=False, check=True):
        """Runs a verb (with --json when json is true). With check, a
        non-zero exit raises GridnodeError and the parsed JSON (json) or
        the stdout text is returned. Without check, the Result is returned
        whatever the exit code."""
        if json:
            args = args + ("--json",)
        r = self.call(*args)
        if not check:
            return r
        if r.rc != 0:
            raise GridnodeError(r.argv, r.rc, r.out, r.err)
        return r.json if json else r.out

    # -- identity --------------------------------------------------------

    def init(self, root_key=None):
        args = ["init", "--path", self.path]
        if root_key is not None:
            args += ["--root-key", root_key]
        j = self.run(*args, json=True)
        assert j["path"] == self.path, j
        self.key = j["key"]
        return self.key

    def whoami(self):
        return self.run("whoami", json=True)

    def enroll(self, child, out):
        """Enrols child (a Node with a key) and writes its join bundle."""
        return self.run("enroll", child.path, child.key, "--out", out).strip()

    def join(self, bundle):
        return self.run("join", bundle).strip()

    # -- case verbs ------------------------------------------------------

    def report(self, title, category="neighbor", **opts):
        """Reports a case; opts are report options without the dashes
        (desc, grid, reporter, severity, for_). Returns the case id."""
        args = ["report", "--category", category, "--title", title]
        for k, v in opts.items():
            args += ["--" + k.rstrip("_").replace("_", "-"), v]
        j = self.run(*args, json=True)
        return j["case"]

    def act(self, verb, case, **opts):
        """Any case write verb; returns the new change id (hex)."""
        args = [verb, case]
        for k, v in opts.items():
            args += ["--" + k.rstrip("_").replace("_", "-"), v]
        j = self.run(*args, json=True)
        # docs/cli.md promises {"case","change"}; test_tree checks the
        # "case" key once (test_write_verb_json) rather than everywhere.
        assert j.get("case", case) == case, j
        return j["change"]

    # -- reads -----------------------------------------------------------

    def show(self, case):
        return self.run("show", case, json=True)

    def holds(self, case):
        """True when show finds the case, False when it exits 1."""
        r = self.run("show", case, "--json", check=False)
        if r.rc == 0:
            return True
        assert r.rc == 1, r
        return False

    def list(self, *filters):
        return self.run("list", *filters, json=True)

    def case_ids(self):
        return sorted(c["id"] for c in self.list())

    def digest(self, scope=None):
        """(hex, count) of `digest [--scope scope]`."""
        args = ["digest"] + (["--scope", scope] if scope is not None else [])
        j = self.run(*args, json=True)
        if scope is not None:
            assert j["scope"] == scope, j
        return j["digest"], j["count"]

    def verify(self):
        return self.run("verify", json=True)

    def rejects(self):
        return self.run("rejects", json=True)

    # -- transfer --------------------------------------------------------

    def export(self, out, for_=None, since=0):
        """export --for PATH --since N (or --all when for_ is None).
        Returns {"changes","upto"}."""
        if for_ is None:
            args = ["export", "--all", "--out", out]
        else:
            args = ["export", "--for", for_, "--since", since, "--out", out]
        return self.run(*args, json=True)

    def import_(self, f):
        """import FILE --json: {"applied","duplicate","pending","rejected",
        "released"}."""
        return self.run("import", f, json=True)


class Tree:
    """A county of real nodes under one temp dir, every node initialised
    and enrolled by its parent, plus the bookkeeping to move changes."""

    def __init__(self, base, paths=TREE_PATHS):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.nodes = {}
        self.upto = {}   # (from path, to path) -> the `upto` of the last export
        self.nfiles = 0
        for p in paths:
            self.add(p)

    def add(self, path):
        """Inits path (its parent must already be in the tree) and enrols
        it."""
        n = Node(self.base / path.replace("/", "_"), path)
        par = parent_path(path)
        if par is None:
            self.root_key = n.init()
        else:
            n.init(root_key=self.root_key)
            bundle = self.file("bundle-" + n.name)
            self.nodes[par].enroll(n, bundle)
            n.join(bundle)
            assert n.whoami()["parent"] == par
        self.nodes[path] = n
        return n

    def file(self, stem):
        self.nfiles += 1
        return str(self.base / ("%03d-%s.gsf" % (self.nfiles, stem)))

    def __getitem__(self, name):
        """A node by path or by last segment ("xiazhai", "@police")."""
        if name in self.nodes:
            return self.nodes[name]
        hits = [n for p, n in self.nodes.items() if p.rsplit("/", 1)[-1] == name]
        assert len(hits) == 1, name
        return hits[0]

    def __iter__(self):
        return iter(self.nodes.values())

    def node(self, n):
        return n if isinstance(n, Node) else self[n]

    def move(self, src, dst):
        """Exports from src what dst may see since the last move src→dst
        and imports it at dst. Returns the import counts."""
        src, dst = self.node(src), self.node(dst)
        k = (src.path, dst.path)
        f = self.file("%s-to-%s" % (src.name, dst.name))
        e = src.export(f, for_=dst.path, since=self.upto.get(k, 0))
        self.upto[k] = e["upto"]
        r = dst.import_(f)
        assert r["rejected"] == 0, (src, dst, r)
        return r

    def relay(self, *names):
        """Moves changes along a chain of neighbours: relay(a, b, c) is
        move(a, b) then move(b, c)."""
        ns = [self.node(n) for n in names]
        for a, b in zip(ns, ns[1:]):
            self.move(a, b)

    def verify_all(self):
        for n in self:
            j = n.verify()
            assert j["ok"] is True and j["faults"] == [], (n, j)


# -- the export file format (docs/cli.md, "File transfer") ---------------

def read_feed(path):
    """Returns (upto, [envelope bytes ...]) of an export file."""
    data = Path(path).read_bytes()
    assert data[:8] == FEED_MAGIC, data[:8]
    (upto,) = struct.unpack(">Q", data[8:16])
    recs, off = [], 16
    while off < len(data):
        (n,) = struct.unpack(">I", data[off:off + 4])
        off += 4
        assert 0 < n <= RECORD_MAX_BYTES and off + n <= len(data)
        recs.append(data[off:off + n])
        off += n
    return upto, recs


def write_feed(path, records, upto=0):
    out = bytearray(FEED_MAGIC + struct.pack(">Q", upto))
    for r in records:
        out += struct.pack(">I", len(r)) + r
    Path(path).write_bytes(bytes(out))


# -- just enough protobuf to look inside an envelope ----------------------

def _varint(b, off):
    v, shift = 0, 0
    while True:
        c = b[off]
        off += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, off
        shift += 7


def pb_fields(b):
    """[(field number, wire type, value, offset of value, length)]: length
    delimited values are bytes, varints ints."""
    out, off = [], 0
    while off < len(b):
        tag, off = _varint(b, off)
        field, wt = tag >> 3, tag & 7
        if wt == 0:
            start = off
            v, off = _varint(b, off)
            out.append((field, wt, v, start, off - start))
        elif wt == 2:
            n, off = _varint(b, off)
            out.append((field, wt, b[off:off + n], off, n))
            off += n
        elif wt == 1:
            out.append((field, wt, b[off:off + 8], off, 8))
            off += 8
        elif wt == 5:
            out.append((field, wt, b[off:off + 4], off, 4))
            off += 4
        else:
            raise ValueError("wire type %d" % wt)
    return out


def envelope_info(env):
    """What a test needs of one envelope: origin and change id (hex), seq,
    case id, signer (the path the origin signs as), kind name, member
    path/key, revoke key/path, and the offset of the signature inside
    env."""
    info = {"case": "", "seq": 0, "signer": ""}
    for f, _, v, off, n in pb_fields(env):
        if f == 1:
            info["origin"] = v.hex()
        elif f == 2:
            change = v
        elif f == 3:
            info["sig_off"], info["sig_len"] = off, n
    info["id"] = hashlib.blake2b(change, digest_size=32).hexdigest()
    for f, _, v, _, _ in pb_fields(change):
        if f == 3:
            info["seq"] = v
        elif f == 6:
            info["case"] = v.decode("utf-8")
        elif f == 8:
            info["signer"] = v.decode("utf-8")
        elif f in KIND_FIELDS:
            info["kind"] = KIND_FIELDS[f]
            if f in (10, 11):
                for g, _, w, _, _ in pb_fields(v):
                    if f == 10 and g == 1:
                        info["member_path"] = w.decode("utf-8")
                    elif g == 2 and f == 10:
                        info["member_key"] = w.hex()
                    elif g == 1 and f == 11:
                        info["revoke_key"] = w.hex()
                    elif g == 2 and f == 11:
                        info["revoke_after"] = w
                    elif g == 4 and f == 11:
                        info["revoke_path"] = w.decode("utf-8")
    return info


def flip_sig_byte(env):
    """env with one byte of its signature flipped: a forged signature."""
    info = envelope_info(env)
    b = bytearray(env)
    b[info["sig_off"] + info["sig_len"] // 2] ^= 0x01
    return bytes(b)
