"""httpapi.py: what the HTTP API tests need around live.py (docs/api.md).

- HttpLiveTree: a live.LiveTree whose every daemon also serves HTTP on a
  free loopback port (`[http] listen = 127.0.0.1:PORT`);
- operator_add/operator_remove: `gridnode operator add|remove --data DIR
  NAME` (add prints the token once);
- request(): one HTTP/1.1 request with http.client (stdlib only), the path
  sent exactly as given (percent-encoding untouched); a Response with the
  status, the headers and the body, parsed as JSON on demand;
- parse_prometheus(): a strict parser of the Prometheus text format
  (version 0.0.4) that fails on anything a scraper could misread;
- cli_sentence(): the sentence a failed CLI verb printed, which the API's
  error message must repeat (docs/api.md, "Every error is JSON").

Nothing here kills a process it did not start.
"""

import http.client
import json as jsonlib
import math
import os
import re
import socket
import subprocess

import gridsync
from gridsync import Result
from live import LiveTree, free_port

HTTP_TIMEOUT = 10       # seconds, for any one request


# -- the tree -----------------------------------------------------------------

class HttpLiveTree(LiveTree):
    """A LiveTree whose daemons serve the HTTP API: each node gets its own
    loopback port, written into its config as `[http] listen`."""

    def configure(self, path, **over):
        cfg = super().configure(path, **over)
        if not hasattr(self, "http_ports"):
            self.http_ports = {}
        if path not in self.http_ports:
            taken = set(self.ports.values()) | set(self.http_ports.values())
            p = free_port()
            while p in taken:
                p = free_port()
            self.http_ports[path] = p
        with open(cfg, "a") as f:
            f.write("[http]\nlisten = 127.0.0.1:%d\n" % self.http_ports[path])
        return cfg

    def http_port(self, name):
        return self.http_ports[self[name].path]


# -- operators ----------------------------------------------------------------

TOKEN_RE = re.compile(r"\b[0-9a-f]{64}\b")


def operator_call(node, *args):
    """`gridnode operator ARGS...` with --data right after the sub-verb, as
    docs/api.md writes it. Returns a Result; never raises on the exit code."""
    args = [str(a) for a in args]
    argv = [gridsync.binary(), "operator", args[0], "--data",
            str(node.dir)] + args[1:]
    env = dict(os.environ)
    env.pop("GRIDNODE_DATA", None)
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env,
                       timeout=gridsync.TIMEOUT)
    return Result(argv, p.returncode, p.stdout.decode("utf-8"),
                  p.stderr.decode("utf-8"))


def operator_add(node, name):
    """Adds operator name to node; returns the token it printed (64 hex
    digits, printed once)."""
    r = operator_call(node, "add", name)
    assert r.rc == 0, r
    toks = TOKEN_RE.findall(r.out)
    assert len(toks) == 1, ("operator add must print one 64-hex token", r)
    return toks[0]


def operator_remove(node, name):
    r = operator_call(node, "remove", name)
    assert r.rc == 0, r
    return r


# -- HTTP ---------------------------------------------------------------------

class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path = method, path
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def text(self):
        return self.body.decode("utf-8")

    @property
    def json(self):
        try:
            return jsonlib.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("%s %s: body is not JSON (%s): %r" % (
                self.method, self.path, e, self.body[:500]))

    def __repr__(self):
        return "Response(%s %s -> %d %s %r)" % (
            self.method, self.path, self.status,
            {k: v for k, v in self.headers.items()
             if k in ("content-type", "idempotency-replayed")},
            self.body[:600])


def request(port, method, path, body=None, headers=None,
            timeout=HTTP_TIMEOUT):
    """One request on a fresh connection to 127.0.0.1:port. body: bytes or
    None; headers: {name: str or bytes}. A connection the server closes
    while the body is still being sent is not an error as long as a
    response comes back (a 413 may be answered early)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=False,
                        skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = conn.getresponse()
        data = r.read()
        hs = {k.lower(): v for k, v in r.getheaders()}
        return Response(method, path, r.status, hs, data)
    finally:
        conn.close()


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# -- the CLI's sentence -------------------------------------------------------

def cli_sentence(r):
    """The sentence a failed verb printed on stderr: its first line without
    the leading `gridnode VERB: ` (a usage error's `usage:` line is not part
    of it)."""
    assert r.rc != 0, ("the CLI was expected to refuse", r)
    line = r.err.split("\n", 1)[0]
    m = re.match(r"gridnode [a-z]+: ", line)
    assert m, r
    return line[m.end():]


# -- Prometheus text format ---------------------------------------------------

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z"
                      r"|[-+]?Inf\Z|NaN\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class PromError(AssertionError):
    pass


class Family:
    def __init__(self, name):
        self.name, self.type, self.help = name, None, None
        self.samples = []          # (sample name, {labels}, value)

    def __repr__(self):
        return "Family(%s %s, %d samples)" % (self.name, self.type,
                                              len(self.samples))


def _parse_value(s, where):
    if not VALUE_RE.match(s):
        raise PromError("%s: bad value %r" % (where, s))
    if s.endswith("Inf"):
        return -math.inf if s.startswith("-") else math.inf
    return float(s)


def _parse_labels(s, i, where):
    """s[i] is '{'; returns ({labels}, index after '}')."""
    labels = {}
    i += 1
    while True:
        if i < len(s) and s[i] == "}":
            return labels, i + 1
        m = LABEL_RE.match(s, i)
        if not m:
            raise PromError("%s: bad label name at %d" % (where, i))
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise PromError("%s: want =\" after label %s" % (where, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise PromError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise PromError("%s: bad escape \\%s" % (where, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise PromError("%s: label %s twice" % (where, name))
        labels[name] = "".join(val)
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] == "}":
            continue
        else:
            raise PromError("%s: want , or } after a label" % where)


def _family_of(name, fams):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[:-len(suffix)]
            f = fams.get(base)
            if f is not None and (f.type == "histogram" or (
                    f.type == "summary" and suffix != "_bucket")):
                return base
    return name


def parse_prometheus(text):
    """Parses a /metrics body strictly; returns {family name: Family}.
    Fails on: a missing final newline, HELP or TYPE twice or TYPE after a
    sample of its family, an unknown type, a family whose samples are not
    contiguous, a series twice, a bad name/label/escape/value, a negative
    counter, and a histogram whose buckets are not cumulative, lack +Inf,
    or disagree with _count."""
    if not text.endswith("\n"):
        raise PromError("the exposition does not end with a newline")
    fams, done, cur = {}, set(), None
    series = set()
    for no, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d %r" % (no, line)
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 2 and parts[0] == "#" and parts[1] in (
                    "HELP", "TYPE"):
                if len(parts) < 3 or not NAME_RE.match(parts[2]):
                    raise PromError("%s: bad metric name" % where)
                name = parts[2]
                f = fams.setdefault(name, Family(name))
                if name in done:
                    raise PromError("%s: family already closed" % where)
                if parts[1] == "HELP":
                    if f.help is not None:
                        raise PromError("%s: HELP twice" % where)
                    h = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]|\\\Z", h):
                        raise PromError("%s: bad escape in HELP" % where)
                    f.help = h
                else:
                    if f.type is not None:
                        raise PromError("%s: TYPE twice" % where)
                    if f.samples:
                        raise PromError("%s: TYPE after samples" % where)
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise PromError("%s: bad TYPE" % where)
                    f.type = parts[3]
                if cur is not None and cur != name:
                    done.add(cur)
                cur = name
            continue
        m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
        if not m:
            raise PromError("%s: bad sample name" % where)
        sname = m.group(0)
        i = m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = _parse_labels(line, i, where)
        if line[i:i + 1] != " ":
            raise PromError("%s: want one space before the value" % where)
        rest = line[i + 1:].split(" ")
        if not 1 <= len(rest) <= 2:
            raise PromError("%s: want VALUE [TIMESTAMP]" % where)
        value = _parse_value(rest[0], where)
        if len(rest) == 2 and not re.match(r"-?\d+\Z", rest[1]):
            raise PromError("%s: bad timestamp" % where)
        base = _family_of(sname, fams)
        if base in done:
            raise PromError("%s: samples of %s are not contiguous" % (
                where, base))
        if cur is not None and cur != base:
            done.add(cur)
        cur = base
        f = fams.setdefault(base, Family(base))
        key = (sname, tuple(sorted(labels.items())))
        if key in series:
            raise PromError("%s: series twice" % where)
        series.add(key)
        if f.type == "counter" and not value >= 0:
            raise PromError("%s: a counter below zero" % where)
        f.samples.append((sname, labels, value))
    for f in fams.values():
        if f.type == "histogram":
            _check_histogram(f)
    return fams


def _check_histogram(f):
    groups = {}
    for sname, labels, value in f.samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None,
                                     "count": None})
        if sname == f.name + "_bucket":
            if "le" not in labels:
                raise PromError("%s: a bucket without le" % f.name)
            g["buckets"].append((_parse_value(labels["le"], f.name), value))
        elif sname == f.name + "_sum":
            g["sum"] = value
        elif sname == f.name + "_count":
            g["count"] = value
        else:
            raise PromError("%s: sample %s in a histogram" % (f.name, sname))
    if not groups:
        raise PromError("%s: a histogram with no samples" % f.name)
    for rest, g in groups.items():
        b = sorted(g["buckets"])
        if not b or b[-1][0] != math.inf:
            raise PromError("%s%s: no +Inf bucket" % (f.name, rest))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise PromError("%s%s: buckets not cumulative" % (f.name, rest))
        if g["count"] is None or g["sum"] is None:
            raise PromError("%s%s: _sum or _count missing" % (f.name, rest))
        if g["count"] != b[-1][1]:
            raise PromError("%s%s: _count %s != +Inf bucket %s" % (
                f.name, rest, g["count"], b[-1][1]))


def sample(fams, name, **labels):
    """The value of the series name{labels} (exactly these labels), or
    None when absent."""
    base = _family_of(name, fams)
    f = fams.get(base)
    if f is None:
        return None
    for sname, ls, v in f.samples:
        if sname == name and ls == labels:
            return v
    return None
