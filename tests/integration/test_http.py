"""The HTTP API, dashboard and metrics of `gridnode run` (docs/api.md, issue 6).

One live tree for the module (county, a town, two villages, the town's
police station), each daemon serving HTTP on its own free loopback port and
holding operators made with `gridnode operator add`. Real requests with
http.client on 127.0.0.1, no mocks. Each test makes its own cases, so the
order does not matter; every wait is a poll loop with a deadline; the
fixture stops the daemons it started, by pid, and requires `verify` on every
node. What is checked, each with the exact status, error code and (where the
CLI prints one) the exact sentence:
  - every GET route equals the CLI's `--json` output of the same verb on the
    same node (list filters, percent-encoded case ids, a missing case);
  - every POST route through a real workflow (report, progress, whistle,
    return, dispatch, ack at the department's own API, resolve, followup,
    reopen, supervise, notice, read), each change attributed to the token's
    operator;
  - 401 for every kind of bad token, a removed operator within a bounded
    wait, another node's token; / and /metrics need none;
  - 400/403/404/405/409/413/415 for bad requests, with nothing written;
  - Idempotency-Key: replay (200, `Idempotency-Replayed: true`, same body,
    one case), reuse (422), durable across a restart, shared with the CLI's
    --request-id;
  - /metrics in a strictly parsed Prometheus text format: every metric of
    the spec's table, counters that count, link and case gauges that follow
    the tree;
  - the dashboard's static files.
"""

import contextlib
import hashlib
import http.client
import itertools
import json
import re
import secrets
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from httpapi import (HttpLiveTree, cli_sentence, operator_add, operator_call,
                     operator_remove, parse_prometheus, port_open, request,
                     sample)
from gridsync import Node
from live import (LINK, Daemon, finish, free_port, link_up, wait_until,
                  write_config)

COUNTY = "qianyang"
TOWN = "qianyang/cuimu"
X = "qianyang/cuimu/xiazhai"
S = "qianyang/cuimu/shangzhai"
POLICE = "qianyang/cuimu/@police"
PATHS = (COUNTY, TOWN, X, S, POLICE)

# One operator per node (the actor of its writes), a second one at xiazhai.
OPERATORS = {COUNTY: "县值班员", TOWN: "李娜", X: "张伟", S: "王芳",
             POLICE: "赵警官"}
SECOND = "刘洋"

BODY_MAX = 64 * 1024
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
WAIT = 10           # seconds: a change crossing one or two live links

MINE = object()     # the node's own operator token
AUTO = object()     # a fresh Idempotency-Key


class Api:
    """The module's tree and a client for each node's HTTP API."""

    def __init__(self, live):
        self.live = live
        self.tokens = {}
        self.second = None          # the token of SECOND at xiazhai
        self.n = itertools.count(1)

    def __getitem__(self, name):
        return self.live[name]

    def port(self, name):
        return self.live.http_port(name)

    def key(self):
        return "t%d-%s" % (next(self.n), secrets.token_hex(8))

    def call(self, name, method, path, body=None, token=MINE, key=AUTO,
             ctype="application/json", headers=None):
        """A request to name's API. body: a dict/list (sent as UTF-8 JSON)
        or raw bytes; token MINE: the node's operator, None: no header;
        key AUTO: a fresh Idempotency-Key on a POST, None: none."""
        h = {}
        if token is MINE:
            token = self.tokens[self[name].path]
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if method == "POST":
            if key is AUTO:
                key = self.key()
            if key is not None:
                h["Idempotency-Key"] = key
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if body is not None and ctype is not None:
            h["Content-Type"] = ctype
        h.update(headers or {})
        return request(self.port(name), method, path, body, h)

    def get(self, name, path, **kw):
        return self.call(name, "GET", path, **kw)

    def post(self, name, path, body, **kw):
        return self.call(name, "POST", path, body, **kw)

    # -- writes that must succeed -----------------------------------------

    def report(self, name, title, category="neighbor", **members):
        body = dict(category=category, title=title, **members)
        r = self.post(name, "/api/cases", body)
        j = ok(r, 201)
        assert set(j) == {"case", "change"}, r
        assert j["case"].startswith(members.get("for", self[name].path) +
                                    "#"), r
        assert HEX64.match(j["change"]), r
        return j["case"]

    def act(self, name, verb, case, **members):
        """POST /api/cases/CASE/VERB; returns the change id."""
        r = self.post(name, case_url(case, verb), members)
        j = ok(r, 200)
        assert set(j) == {"case", "change"} and j["case"] == case, r
        assert HEX64.match(j["change"]), r
        return j["change"]

    def show(self, name, case):
        return ok(self.get(name, case_url(case)), 200)


def ok(r, status):
    """r has status and a JSON body; returns it parsed."""
    assert r.status == status, r
    ct = r.header("content-type") or ""
    assert ct.split(";")[0].strip().lower() == "application/json", r
    return r.json


def assert_error(r, status, code, message=None):
    """r is the JSON error of docs/api.md: exactly {"error","message"}, the
    message one sentence; with message, exactly that sentence."""
    assert r.status == status, r
    ct = r.header("content-type") or ""
    assert ct.split(";")[0].strip().lower() == "application/json", r
    j = r.json
    assert isinstance(j, dict) and set(j) == {"error", "message"}, r
    assert j["error"] == code, r
    assert isinstance(j["message"], str) and j["message"].strip(), r
    assert "\n" not in j["message"], r
    if message is not None:
        assert j["message"] == message, r
    return j


def case_url(case, verb=None):
    """encodeURIComponent of the case id: its '/' and '#' percent-encoded."""
    u = "/api/cases/" + quote(case, safe="")
    return u + "/" + verb if verb else u


def own_seq(n):
    return n.whoami()["own_seq"]


@contextlib.contextmanager
def nothing_written(api, *names, cases=()):
    """Nothing was signed on the named nodes (own_seq) and no change was
    added to the given cases there (digest --scope) while the block ran."""
    nodes = [api[n] for n in names]
    before = [own_seq(n) for n in nodes]
    scoped = [(n, c, n.digest(scope=c)) for n in nodes for c in cases
              if n.holds(c)]
    yield
    assert [own_seq(n) for n in nodes] == before, "something was signed"
    for n, c, d in scoped:
        assert n.digest(scope=c) == d, (n, c)


def strip(v, drop):
    """v without the keys in drop, at any depth."""
    if isinstance(v, dict):
        return {k: strip(x, drop) for k, x in v.items() if k not in drop}
    if isinstance(v, list):
        return [strip(x, drop) for x in v]
    return v


def same_as_cli(api, name, path, cli, drop=(), post=None):
    """GET path at name parses to the same JSON as `gridnode CLI... --json`
    on that node (keys in drop removed at any depth, post applied to the
    CLI's output); retried for a bounded time, as live sync may move
    counters between the two reads. Returns the API's JSON."""
    n = api[name]
    last = {}

    def same():
        r = api.get(name, path)
        h = strip(ok(r, 200), drop)
        c = n.run(*cli, json=True)
        c = strip(post(c) if post else c, drop)
        last["v"] = (h, c)
        return h == c
    wait_until(same, 5, "GET %s at %s equal to `%s --json`" % (
        path, name, " ".join(cli)), interval=0.2,
        detail=lambda: "api: %s\ncli: %s" % last.get("v", (None, None)))
    return last["v"][0]


def case_state(n, case):
    r = n.run("show", case, "--json", check=False)
    return r.json if r.rc == 0 else None


def wait_case(api, name, case, what, **want):
    """Waits until name holds case with every key of want."""
    n = api[name]

    def there():
        s = case_state(n, case)
        return s is not None and all(s[k] == v for k, v in want.items())
    wait_until(there, WAIT, "%s at %s: %s" % (what, n.path, want),
               detail=lambda: (case_state(n, case),
                               api.live.describe(n.path)))
    return case_state(n, case)


def metrics(api, name):
    r = request(api.port(name), "GET", "/metrics")
    assert r.status == 200, r
    ct = (r.header("content-type") or "").lower()
    assert ct.startswith("text/plain"), r
    return parse_prometheus(r.text)


def cst_month():
    return time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))


# -- the tree -----------------------------------------------------------------

@pytest.fixture(scope="module")
def api(gridnode, request):
    base = Path(tempfile.mkdtemp(prefix="gsh", dir="/tmp"))
    failed = request.session.testsfailed
    live = HttpLiveTree(base, paths=PATHS)
    # No rollups signed behind the tests' backs: own_seq counts our writes.
    live.configure(TOWN, rollup_seconds=0)
    a = Api(live)
    for p, name in OPERATORS.items():
        a.tokens[p] = operator_add(live[p], name)
    a.second = operator_add(live[X], SECOND)
    try:
        live.start()
        for p in PATHS:
            wait_until(lambda: port_open(live.http_port(p)), 5,
                       "HTTP of %s listening" % p)
        yield a
    finally:
        finish(live, base, request, failed)


# -- dashboard, metrics and tokens -------------------------------------------

def test_dashboard_files_need_no_token(api):
    r = request(api.port("xiazhai"), "GET", "/")
    assert r.status == 200, r
    ct = (r.header("content-type") or "").lower().replace(" ", "")
    assert ct == "text/html;charset=utf-8", r
    assert b"<html" in r.body.lower(), r
    r = request(api.port("cuimu"), "GET", "/app.js")
    assert r.status == 200, r
    ct = (r.header("content-type") or "").lower()
    assert ct.split(";")[0].strip() in ("application/javascript",
                                        "text/javascript"), r
    assert len(r.body) > 0
    assert_error(request(api.port("cuimu"), "GET", "/nope.js"), 404,
                 "not_found")
    # A token does not change what the static files are.
    r2 = api.get("cuimu", "/app.js")
    assert (r2.status, r2.body) == (200, r.body), r2
    r = request(api.port("cuimu"), "GET", "/metrics")
    assert r.status == 200, r


def blake2b_256(token):
    """BLAKE2b-256 of a token: of the 64 hex digits as printed, or of the
    32 bytes they spell (docs/api.md does not say which)."""
    a = hashlib.blake2b(token.encode("ascii"), digest_size=32).hexdigest()
    b = hashlib.blake2b(bytes.fromhex(token), digest_size=32).hexdigest()
    return a, b


def test_operator_list_names_no_tokens(api):
    x = api["xiazhai"]
    r = operator_call(x, "list", "--json")
    assert r.rc == 0, r
    j = json.loads(r.out)
    names = sorted(o["name"] if isinstance(o, dict) else o for o in j)
    assert names == sorted([OPERATORS[X], SECOND]), j
    for t in (api.tokens[X], api.second):
        assert t not in r.out and t not in r.err
    r = operator_call(x, "list")
    assert r.rc == 0 and OPERATORS[X] in r.out and SECOND in r.out, r
    assert api.tokens[X] not in r.out, r
    # The file holds hashes, mode 0600.
    f = x.dir / "operators"
    assert f.stat().st_mode & 0o777 == 0o600
    text = f.read_text("utf-8")
    assert api.tokens[X] not in text and api.second not in text
    assert [l.split(" ")[0] for l in text.splitlines()] == [
        OPERATORS[X], SECOND]
    # NAME BLAKE2B-256(TOKEN)-HEX: of the token as printed.
    hashes = [l.split(" ")[1] for l in text.splitlines()]
    for h, t in zip(hashes, (api.tokens[X], api.second)):
        assert h in blake2b_256(t), (h, t)
    assert len(hashes) == 2
    # Names: 1-64 bytes of UTF-8, no spaces; a usage error otherwise.
    for bad in ("两 个字", "", "x" * 65, "tab\tname"):
        r = operator_call(x, "add", bad)
        assert (r.rc, r.out) == (2, ""), (bad, r)
        assert r.err.startswith("gridnode operator: "), r
    assert f.read_text("utf-8") == text


BAD_AUTH = (
    ("no header", None),
    ("wrong scheme", "Basic %s"),
    ("token scheme", "Token %s"),
    ("bearer, no token", "Bearer "),
    ("63 hex digits", "Bearer %.63s"),
    ("65 hex digits", "Bearer %s0"),
    ("not hex", "Bearer " + "g" * 64),
    ("two tokens", "Bearer %s %s"),
    ("unknown token", "Bearer " + "ab" * 32),
)


def test_bad_tokens_are_401_and_write_nothing(api):
    tok = api.tokens[X]
    for what, form in BAD_AUTH:
        if form is None:
            hdr = {}
        else:
            hdr = {"Authorization": form % ((tok,) * form.count("%"))}
        for method, path, body in (
                ("GET", "/api/whoami", None),
                ("GET", "/api/cases", None),
                ("POST", "/api/cases", {"category": "neighbor",
                                        "title": "无权上报 " + what})):
            with nothing_written(api, "xiazhai"):
                r = api.call("xiazhai", method, path, body, token=None,
                             headers=hdr)
            assert_error(r, 401, "unauthorized"), (what, r)
    # Another node's operator is not one of this node's.
    for other in (TOWN, S, POLICE):
        with nothing_written(api, "xiazhai"):
            r = api.post("xiazhai", "/api/cases", {
                "category": "neighbor", "title": "别处的令牌"},
                token=api.tokens[other])
        assert_error(r, 401, "unauthorized"), (other, r)
        assert_error(api.get("xiazhai", "/api/whoami",
                             token=api.tokens[other]), 401, "unauthorized")
    # The right one works, and the reads need it too.
    assert ok(api.get("xiazhai", "/api/whoami"), 200)["path"] == X


def test_operator_added_and_removed_while_running(api):
    x = api["xiazhai"]
    name = "临时工%d" % next(api.n)
    tok = operator_add(x, name)

    def status():
        return api.get("xiazhai", "/api/whoami", token=tok).status
    wait_until(lambda: status() == 200, 5, "the new operator's token works",
               detail=status)
    r = api.post("xiazhai", "/api/cases", {"category": "debt",
                                           "title": "临时工上报"}, token=tok)
    case = ok(r, 201)["case"]
    assert x.show(case)["timeline"][0]["actor"] == name

    operator_remove(x, name)
    wait_until(lambda: status() == 401, 5,
               "the removed operator's token refused", detail=status)
    assert_error(api.get("xiazhai", "/api/whoami", token=tok), 401,
                 "unauthorized")
    with nothing_written(api, "xiazhai", cases=[case]):
        r = api.post("xiazhai", case_url(case, "progress"),
                     {"note": "离职后的进展"}, token=tok)
    assert_error(r, 401, "unauthorized")
    # The others are untouched.
    assert ok(api.get("xiazhai", "/api/whoami", token=api.second),
              200)["path"] == X


def test_a_stalled_client_does_not_stall_the_node(api):
    """The server shares the daemon's one loop: a client that sends half a
    request and waits must not hold up other requests or the sync."""
    stalled = []
    try:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", api.port("cuimu")), 2)
            s.sendall(b"POST /api/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"cat")
            stalled.append(s)
        s = socket.create_connection(("127.0.0.1", api.port("cuimu")), 2)
        s.sendall(b"GET /api/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        stalled.append(s)              # headers never finished
        t0 = time.monotonic()
        assert ok(api.get("cuimu", "/api/whoami"), 200)["path"] == TOWN
        case = api.report("xiazhai", "慢客户端期间的上报")
        wait_case(api, "cuimu", case, "a report synced past the stalled "
                  "clients")
        assert time.monotonic() - t0 < 5
    finally:
        for s in stalled:
            s.close()


def test_requests_on_one_kept_alive_connection(api):
    conn = http.client.HTTPConnection("127.0.0.1", api.port("xiazhai"),
                                      timeout=10)
    auth = {"Authorization": "Bearer " + api.tokens[X]}
    try:
        for i in range(3):
            conn.request("GET", "/api/whoami", headers=auth)
            r = conn.getresponse()
            assert (r.status, json.loads(r.read())["path"]) == (200, X)
            body = json.dumps({"category": "other",
                               "title": "长连接 %d" % i}).encode()
            conn.request("POST", "/api/cases", body, dict(
                auth, **{"Content-Type": "application/json",
                         "Idempotency-Key": api.key()}))
            r = conn.getresponse()
            assert r.status == 201, (r.status, r.read())
            assert json.loads(r.read())["case"].startswith(X + "#")
    finally:
        conn.close()


# -- reads: the CLI's --json --------------------------------------------------

def test_reads_equal_the_cli(api):
    x = api["xiazhai"]
    api.report("xiazhai", "读接口对照的案件", category="marriage")
    nid = ok(api.post("cuimu", "/api/notices",
                      {"title": "读接口对照的通知", "body": "请阅"}), 201)["change"]
    wait_until(lambda: any(n["id"] == nid for n in x.run("notices",
                                                          json=True)),
               WAIT, "the notice at xiazhai")
    x.run("check", "--found", "0")

    for p in PATHS:
        who = same_as_cli(api, p, "/api/whoami", ("whoami",))
        assert who["path"] == p
    same_as_cli(api, "xiazhai", "/api/categories", ("categories",))
    cats = same_as_cli(api, "qianyang", "/api/categories", ("categories",))
    assert len(cats) >= 9
    for p in (TOWN, X, POLICE):
        peers = same_as_cli(api, p, "/api/peers", ("peers",),
                            drop=("last_seen_ms", "since_ms"))
        assert peers, p
    for p in (TOWN, X):
        notices = same_as_cli(api, p, "/api/notices", ("notices",))
        assert nid in [n["id"] for n in notices]
    month = cst_month()
    for p in (TOWN, COUNTY, X):
        same_as_cli(api, p, "/api/checks", ("checks",))
        same_as_cli(api, p, "/api/checks?period=" + month,
                    ("checks", "--period", month))
    assert any(r["village"] == X and r["filed"] for r in same_as_cli(
        api, "cuimu", "/api/checks", ("checks",))["rows"])
    for q, cli in (("", ()),
                   ("?period=" + month, ("--period", month)),
                   ("?period=" + month[:4], ("--period", month[:4])),
                   ("?period=%s-01" % month, ("--period", month + "-01")),
                   ("?by=village", ("--by", "village")),
                   ("?by=category", ("--by", "category")),
                   ("?by=town", ("--by", "town")),
                   ("?period=%s&by=village" % month,
                    ("--period", month, "--by", "village"))):
        st = same_as_cli(api, "cuimu", "/api/stats" + q, ("stats",) + cli)
        assert st["node"] == TOWN
    same_as_cli(api, "qianyang", "/api/stats?by=town", ("stats", "--by",
                                                         "town"))
    same_as_cli(api, "xiazhai", "/api/stats", ("stats",))


def test_stats_by_day_equals_the_cli(api):
    """docs/api.md lists `by=day` for /api/stats; its body is the CLI's
    `stats --by day --json`."""
    st = same_as_cli(api, "cuimu", "/api/stats?by=day", ("stats", "--by",
                                                         "day"))
    assert st["by"] == "day"


def test_bad_read_parameters_are_the_cli_sentences(api):
    cm = api["cuimu"]
    for path, cli in (
            ("/api/cases?status=x", ("list", "--status", "x")),
            ("/api/cases?level=Bad%20Path", ("list", "--level", "Bad Path")),
            ("/api/stats?period=2026-13", ("stats", "--period", "2026-13")),
            ("/api/stats?by=x", ("stats", "--by", "x")),
            ("/api/checks?period=2026", ("checks", "--period", "2026"))):
        want = cli_sentence(cm.call(*cli))
        assert_error(api.get("cuimu", path), 400, "bad_request", want)
    # What no CLI option can say: an unknown parameter, a bad flag value.
    for path in ("/api/cases?colour=red", "/api/cases?overdue=yes",
                 "/api/stats?status=open", "/api/whoami?verbose=1"):
        assert_error(api.get("cuimu", path), 400, "bad_request")


def test_case_list_and_filters_equal_the_cli(api):
    cm = api["cuimu"]
    a = api.report("xiazhai", "列表过滤 邻里", category="neighbor",
                   severity="simple")
    b = api.report("shangzhai", "列表过滤 债务", category="debt")
    c = api.report("xiazhai", "列表过滤 吹哨的安全隐患", category="safety")
    api.act("xiazhai", "whistle", c)
    wait_case(api, "cuimu", c, "the whistle", level=TOWN)
    api.act("cuimu", "dispatch", c, to="@police", **{"ack-hours": 0.0003})
    for k in (a, b):
        wait_case(api, "cuimu", k, "the village's case at the town")
    wait_until(lambda: c in [k["id"] for k in cm.list("--overdue")], WAIT,
               "the unacked dispatch overdue at the town")

    every = same_as_cli(api, "cuimu", "/api/cases", ("list",))
    assert {a, b, c} <= {k["id"] for k in every}
    for q, cli in (("status=open", ("--status", "open")),
                   ("status=dispatched", ("--status", "dispatched")),
                   ("status=closed", ("--status", "closed")),
                   ("level=village", ("--level", "village")),
                   ("level=town", ("--level", "town")),
                   ("level=" + quote(X, safe=""), ("--level", X)),
                   ("overdue=1", ("--overdue",)),
                   ("status=open&level=village",
                    ("--status", "open", "--level", "village"))):
        got = same_as_cli(api, "cuimu", "/api/cases?" + q, ("list",) + cli)
        ids = [k["id"] for k in got]
        if q == "overdue=1":
            assert c in ids and a not in ids, got
        if q == "status=dispatched":
            assert c in ids and a not in ids, got
        if q == "level=" + quote(X, safe=""):
            assert a in ids and b not in ids and c not in ids, got

    # category and village (cases reported at or below a path).
    def within(p):
        return lambda k: k["owner"] == p or k["owner"].startswith(p + "/")
    for q, cli, pred in (
            ("category=debt", ("--category", "debt"),
             lambda k: k["category"] == "debt"),
            ("village=" + quote(X, safe=""), ("--village", X), within(X)),
            ("village=" + S, ("--village", S), within(S)),
            ("village=" + quote(TOWN, safe=""), ("--village", TOWN),
             within(TOWN)),
            ("status=open&category=neighbor",
             ("--status", "open", "--category", "neighbor"),
             lambda k: k["status"] == "open" and k["category"] == "neighbor"),
            ("category=debt&village=" + quote(S, safe=""),
             ("--category", "debt", "--village", S),
             lambda k: k["category"] == "debt" and within(S)(k))):
        got = same_as_cli(api, "cuimu", "/api/cases?" + q, ("list",) + cli)
        assert got, q
        # ... and the filter means what it says.
        wait_until(lambda: [k["id"] for k in ok(api.get(
            "cuimu", "/api/cases?" + q), 200)] == [
            k["id"] for k in cm.list() if pred(k)], 5,
            "the filter %s keeping what it should" % q)
    got = [k["id"] for k in ok(api.get("cuimu", "/api/cases?village=" +
                                       quote(X, safe="")), 200)]
    assert a in got and c in got and b not in got


def test_show_a_case_and_a_missing_one(api):
    x = api["xiazhai"]
    case = api.report("xiazhai", "查看案件", category="land", desc="田埂边界",
                      grid="三组", reporter="李大爷", severity="complex")
    got = same_as_cli(api, "xiazhai", case_url(case), ("show", case))
    assert (got["id"], got["title"], got["description"], got["grid"],
            got["reporter"], got["severity"], got["category"]) == (
        case, "查看案件", "田埂边界", "三组", "李大爷", "complex", "land")
    # encodeURIComponent's upper case, and lower-case hex digits.
    enc = quote(case, safe="")
    assert "%2F" in enc and "%23" in enc
    low = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), enc)
    r = api.get("xiazhai", "/api/cases/" + low)
    assert ok(r, 200) == got
    # The town holds it too; the county does not.
    wait_case(api, "cuimu", case, "the case at the town")
    same_as_cli(api, "cuimu", case_url(case), ("show", case))

    for n, missing in ((x, X + "#" + "0" * 26), (api["qianyang"], case)):
        want = cli_sentence(n.call("show", missing))
        assert_error(api.get(n.path, case_url(missing)), 404, "not_found",
                     want)


# -- writes: a real workflow --------------------------------------------------

def timeline(s):
    return [(e["kind"], e["signer"], e["actor"], e["flag"])
            for e in s["timeline"]]


def test_report_is_the_operators(api):
    x = api["xiazhai"]
    r = api.post("xiazhai", "/api/cases", {
        "category": "neighbor", "title": "宅基地边界纠纷", "desc": "两户争执",
        "grid": "二组", "reporter": "王大妈", "severity": "simple"})
    j = ok(r, 201)
    case = j["case"]
    assert set(j) == {"case", "change"} and case.startswith(X + "#"), r
    s = x.show(case)
    assert timeline(s) == [("report", X, OPERATORS[X], "ok")]
    assert s["timeline"][0]["change"] == j["change"]
    assert (s["status"], s["level"], s["owner"], s["reporter"]) == (
        "open", X, X, "王大妈")
    # The second operator of the same node signs as itself.
    r = api.post("xiazhai", "/api/cases", {"category": "debt",
                                           "title": "第二位值班员上报"},
                 token=api.second)
    case2 = ok(r, 201)["case"]
    assert x.show(case2)["timeline"][0]["actor"] == SECOND
    # `for`: a task assigned down by the town to a village (派单).
    t = api.report("cuimu", "镇里派给下寨的任务", category="other", **{"for": X})
    s = wait_case(api, "xiazhai", t, "the town's task at the village")
    assert (s["owner"], timeline(s)) == (X, [("report", TOWN,
                                              OPERATORS[TOWN], "ok")])


def test_whistle_dispatch_ack_resolve_followup_reopen(api):
    x, cm = api["xiazhai"], api["cuimu"]
    case = api.report("xiazhai", "村口危桥垮塌隐患", category="safety",
                      severity="complex")
    api.act("xiazhai", "whistle", case, reason="村里无力处置")
    # The town sees it at its level: polled through the town's own API.
    deadline = time.monotonic() + WAIT
    while True:
        r = api.get("cuimu", case_url(case))
        if r.status == 200 and r.json["level"] == TOWN:
            s = r.json
            break
        assert r.status in (200, 404), r
        assert time.monotonic() < deadline, ("the whistle at the town", r)
        time.sleep(0.1)
    assert s["status"] == "open"

    api.act("cuimu", "dispatch", case, to="@police", note="请派出所到场",
            **{"ack-hours": 2, "resolve-hours": 48})
    s = wait_case(api, "@police", case, "the dispatch", status="dispatched")
    a = s["assignments"]
    assert [(k["department"], k["acked"]) for k in a] == [(POLICE, False)]
    assert a[0]["resolve_deadline_ms"] - a[0]["ack_deadline_ms"] == 46 * 3600000

    # The department reports in through ITS API.
    api.act("@police", "ack", case, note="民警已到现场")
    wait_until(lambda: cm.show(case)["assignments"][0]["acked"], WAIT,
               "the ack at the town")
    api.act("cuimu", "resolve", case, outcome="solved", note="已加固")
    s = wait_case(api, "xiazhai", case, "the resolve", status="resolved")
    assert s["outcome"] == "solved"
    api.act("xiazhai", "followup", case, satisfaction="satisfied",
            note="群众满意")
    s = x.show(case)
    assert (s["status"], s["satisfaction"]) == ("closed", "satisfied")
    api.act("xiazhai", "reopen", case, reason="桥面又出现裂缝")
    assert x.show(case)["status"] == "open"

    s = wait_case(api, "cuimu", case, "the reopen", status="open")
    assert len(s["timeline"]) == 7, s
    assert timeline(s) == [
        ("report", X, OPERATORS[X], "ok"),
        ("whistle", X, OPERATORS[X], "ok"),
        ("dispatch", TOWN, OPERATORS[TOWN], "ok"),
        ("ack", POLICE, OPERATORS[POLICE], "ok"),
        ("resolve", TOWN, OPERATORS[TOWN], "ok"),
        ("followup", X, OPERATORS[X], "ok"),
        ("reopen", X, OPERATORS[X], "ok")]
    same_as_cli(api, "cuimu", case_url(case), ("show", case))
    same_as_cli(api, "@police", case_url(case), ("show", case))


def test_verbs_over_http_read_the_nodes_deadlines_ini(api):
    """A verb run by the daemon finds DIR/deadlines.ini as the CLI does:
    dispatch deadlines by category and the check reports' due day."""
    cm = api["cuimu"]
    ini = cm.dir / "deadlines.ini"
    ini.write_text("[environment]\nack_hours = 5\nresolve_hours = 77\n"
                   "[check]\ndue_day = 3\n", encoding="utf-8")
    try:
        case = api.report("xiazhai", "沟渠垃圾堵塞", category="environment")
        api.act("xiazhai", "whistle", case)
        wait_until(lambda: api.get("cuimu", case_url(case)).status == 200,
                   WAIT, "the whistle at the town")
        api.act("cuimu", "dispatch", case, to="@police")
        a = cm.show(case)["assignments"][0]
        # The defaults for environment are 2 h / 72 h: 70 h apart.
        assert a["resolve_deadline_ms"] - a["ack_deadline_ms"] == 72 * 3600000
        j = ok(api.get("cuimu", "/api/checks"), 200)
        assert j["due"].endswith("-03"), j
        assert j == cm.call("checks", "--json").json
        # A broken file is refused over HTTP as on the command line.
        ini.write_text("[environment]\nack_hours = soon\n", encoding="utf-8")
        case2 = api.report("xiazhai", "沟渠再次堵塞", category="environment")
        api.act("xiazhai", "whistle", case2)
        wait_until(lambda: api.get("cuimu", case_url(case2)).status == 200,
                   WAIT, "the second whistle at the town")
        with nothing_written(api, "cuimu", cases=[case2]):
            r = api.post("cuimu", case_url(case2, "dispatch"), {"to": "@police"})
        assert r.status != 200 and r.json["message"] == cli_sentence(
            cm.call("dispatch", case2, "--to", "@police")), r
    finally:
        ini.unlink()


def test_progress_supervise_return(api):
    case = api.report("xiazhai", "债务纠纷调解", category="debt")
    api.act("xiazhai", "progress", case, note="第一次调解")
    wait_case(api, "cuimu", case, "the case at the town")
    api.act("cuimu", "supervise", case, note="请尽快调解")
    s = wait_case(api, "xiazhai", case, "the supervision", supervisions=1)
    api.act("xiazhai", "whistle", case)
    wait_case(api, "cuimu", case, "the whistle", level=TOWN)
    api.act("cuimu", "return", case, reason="请村里继续调解")
    s = wait_case(api, "xiazhai", case, "the return", level=X)
    assert timeline(s) == [
        ("report", X, OPERATORS[X], "ok"),
        ("progress", X, OPERATORS[X], "ok"),
        ("supervise", TOWN, OPERATORS[TOWN], "ok"),
        ("whistle", X, OPERATORS[X], "ok"),
        ("return", TOWN, OPERATORS[TOWN], "ok")]
    texts = [e["text"] for e in s["timeline"]]
    assert "第一次调解" in texts[1] and "请村里继续调解" in texts[4], texts
    assert s["whistles"] == 1 and s["supervisions"] == 1
    # The county supervises a case whistled up to it.
    api.act("xiazhai", "whistle", case)
    wait_case(api, "cuimu", case, "the second whistle", level=TOWN)
    api.act("cuimu", "whistle", case, reason="镇里协调不了")
    wait_case(api, "qianyang", case, "the whistle", level=COUNTY)
    api.act("qianyang", "return", case, reason="镇里再协调")
    wait_case(api, "cuimu", case, "the county's return", level=TOWN)
    api.act("qianyang", "supervise", case, note="县里督办")
    s = wait_case(api, "cuimu", case, "the county's supervision",
                  supervisions=2)
    assert s["timeline"][-1]["actor"] == OPERATORS[COUNTY]


def test_notice_and_read(api):
    cm, x = api["cuimu"], api["xiazhai"]
    r = api.post("cuimu", "/api/notices", {"title": "防汛值班通知",
                                           "body": "今晚起二十四小时值班"})
    j = ok(r, 201)
    assert set(j) == {"change"} and HEX64.match(j["change"]), r
    nid = j["change"]

    def at(name):
        ns = ok(api.get(name, "/api/notices"), 200)
        hits = [n for n in ns if n["id"] == nid]
        return hits[0] if hits else None
    wait_until(lambda: at("xiazhai"), WAIT, "the notice at xiazhai")
    got = at("xiazhai")
    assert (got["issuer"], got["title"], got["body"], got["read"]) == (
        TOWN, "防汛值班通知", "今晚起二十四小时值班", False)
    assert at("qianyang") is None       # a town's notice stays below it

    r = api.post("xiazhai", "/api/notices/%s/read" % nid, {"note": "已组织学习"})
    j = ok(r, 200)
    assert set(j) == {"change"} and HEX64.match(j["change"]), r
    rid = j["change"]
    wait_until(lambda: [p["path"] for p in at("cuimu")["readers"]] == [X],
               WAIT, "the receipt at the town", detail=lambda: at("cuimu"))
    assert at("xiazhai")["read"] is True
    # Reading again: the first receipt, nothing signed.
    with nothing_written(api, "xiazhai"):
        again = api.post("xiazhai", "/api/notices/%s/read" % nid, {})
    assert ok(again, 200)["change"] == rid
    # The issuer cannot read its own notice: this node may not (403).
    with nothing_written(api, "cuimu"):
        r = api.post("cuimu", "/api/notices/%s/read" % nid, {})
    assert_error(r, 403, "forbidden", cli_sentence(cm.call("read", nid)))
    # An unknown notice is 404; a malformed id is a bad request.
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/notices/%s/read" % ("0" * 64), {})
    assert_error(r, 404, "not_found", cli_sentence(x.call("read", "0" * 64)))
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/notices/%s/read" % nid[:63], {})
    assert_error(r, 400, "bad_request", cli_sentence(x.call("read",
                                                            nid[:63])))
    # docs/api.md: `read` answers 200 {"change": HEX}; a second read the
    # first receipt's id, marked already.
    assert again.json == {"change": rid, "already": True}, again


# -- refusals -----------------------------------------------------------------

def test_bad_json_is_400_and_writes_nothing(api):
    bodies = (
        b"",
        b"{",
        b'{"category": "neighbor", "title": "t"',
        b'{"category": "neighbor", "title": "t"}}',
        b'{"category": "neighbor", "title": \'t\'}',
        b'{category: "neighbor", "title": "t"}',
        b'{"category": "neighbor", "title": "t",}',
        b'{"category": "neighbor" "title": "t"}',
        b'[]',
        b'[{"category": "neighbor", "title": "t"}]',
        b'"neighbor"',
        b'42',
        b'null',
        b'true',
        b'{"category": "neighbor", "title": "\xff\xfe"}',      # not UTF-8
        b'{"category": "neighbor", "title": "a\x01b"}',        # raw control
        b'{"category": "neighbor", "title": {"zh": "t"}}',     # nested
        b'{"category": "neighbor", "title": ["t"]}',
        b'{"category": "neighbor", "title": "t", "desc": null}',
        b'{"category": "neighbor", "title": "t", "colour": "red"}',
        b'{"category": "neighbor", "title": "t", "subtree": true}',
    )
    for b in bodies:
        with nothing_written(api, "xiazhai"):
            r = api.post("xiazhai", "/api/cases", b)
        assert_error(r, 400, "bad_request"), b
    case = api.report("xiazhai", "坏JSON的案件")
    for b in (b"{", b"[]", b'{"note": {"a": 1}}', b'{"note": "n", "x": 1}'):
        with nothing_written(api, "xiazhai", cases=[case]):
            r = api.post("xiazhai", case_url(case, "progress"), b)
        assert_error(r, 400, "bad_request"), b


def test_members_the_api_sets_itself_are_400(api):
    case = api.report("xiazhai", "冒名的案件")
    for m in ("actor", "data", "json", "request-id", "config"):
        with nothing_written(api, "xiazhai"):
            r = api.post("xiazhai", "/api/cases", {
                "category": "neighbor", "title": "冒名上报", m: "冒充者"})
        assert_error(r, 400, "bad_request"), m
        with nothing_written(api, "xiazhai", cases=[case]):
            r = api.post("xiazhai", case_url(case, "progress"),
                         {"note": "冒名进展", m: "冒充者"})
        assert_error(r, 400, "bad_request"), m
    s = api["xiazhai"].show(case)
    assert timeline(s) == [("report", X, OPERATORS[X], "ok")]


def test_bad_option_values_are_the_cli_sentences(api):
    x, cm = api["xiazhai"], api["cuimu"]
    case = api.report("xiazhai", "选项校验的案件")
    own = api.report("xiazhai", "派单选项校验的案件", category="environment")
    api.act("xiazhai", "whistle", own)
    wait_case(api, "cuimu", own, "the whistle", level=TOWN)
    t201 = "汉" * 67                      # 201 bytes
    d4001 = "a" * 4001
    cases = (
        ("xiazhai", "/api/cases",
         {"category": "neighbor", "title": "t", "severity": "x"},
         ("report", "--category", "neighbor", "--title", "t",
          "--severity", "x")),
        ("xiazhai", "/api/cases", {"category": "nosuch", "title": "t"},
         ("report", "--category", "nosuch", "--title", "t")),
        ("xiazhai", "/api/cases", {"category": "neighbor"},
         ("report", "--category", "neighbor")),
        ("xiazhai", "/api/cases", {"title": "t"}, ("report", "--title", "t")),
        ("xiazhai", "/api/cases", {"category": "neighbor", "title": t201},
         ("report", "--category", "neighbor", "--title", t201)),
        ("xiazhai", "/api/cases",
         {"category": "neighbor", "title": "t", "desc": d4001},
         ("report", "--category", "neighbor", "--title", "t",
          "--desc", d4001)),
        ("xiazhai", "/api/cases",
         {"category": "neighbor", "title": "t", "for": "Not/A/Path"},
         ("report", "--category", "neighbor", "--title", "t",
          "--for", "Not/A/Path")),
        ("xiazhai", case_url(case, "resolve"), {"outcome": "x"},
         ("resolve", case, "--outcome", "x")),
        ("xiazhai", case_url(case, "resolve"), {},
         ("resolve", case)),
        ("xiazhai", case_url(case, "followup"), {"satisfaction": "x"},
         ("followup", case, "--satisfaction", "x")),
        ("xiazhai", case_url(case, "progress"), {},
         ("progress", case)),
        ("xiazhai", case_url(case, "progress"), {"note": d4001},
         ("progress", case, "--note", d4001)),
        ("xiazhai", case_url(case, "return"), {},
         ("return", case)),
        ("xiazhai", case_url(case, "reopen"), {"reason": ""},
         ("reopen", case, "--reason", "")),
        ("cuimu", case_url(own, "dispatch"), {},
         ("dispatch", own)),
        ("cuimu", case_url(own, "dispatch"), {"to": "nobody"},
         ("dispatch", own, "--to", "nobody")),
        ("cuimu", case_url(own, "dispatch"),
         {"to": "@police", "ack-hours": -1},
         ("dispatch", own, "--to", "@police", "--ack-hours", "-1")),
        ("cuimu", case_url(own, "dispatch"),
         {"to": "@police", "resolve-hours": "soon"},
         ("dispatch", own, "--to", "@police", "--resolve-hours", "soon")),
        ("cuimu", "/api/notices", {"body": "没有标题"},
         ("notice", "--body", "没有标题")),
        ("cuimu", "/api/notices", {"title": t201},
         ("notice", "--title", t201)),
    )
    for name, path, body, cli in cases:
        n = api[name]
        with nothing_written(api, name, cases=[case, own]):
            want = cli_sentence(n.call(*cli))
            r = api.post(name, path, body)
        assert_error(r, 400, "bad_request", want), (path, body)
    assert cli_sentence(x.call(*cases[4][3])) == (
        "--title is too long: at most 200 bytes (about 66 汉字)")
    # The limits themselves are allowed: a 200-byte title, numbers and
    # numeric strings for hours.
    t200 = "汉" * 66 + "ab"
    c200 = api.report("xiazhai", t200)
    assert x.show(c200)["title"] == t200
    api.act("cuimu", "dispatch", own, to="@police",
            **{"ack-hours": "1.5", "resolve-hours": 72})
    a = cm.show(own)["assignments"][0]
    assert a["resolve_deadline_ms"] - a["ack_deadline_ms"] == int(70.5 * 3600000)


def test_body_size_limit_is_413(api):
    x = api["xiazhai"]
    head = b'{"category": "neighbor", "title": "t", "desc": "'
    tail = b'"}'
    at_limit = head + b"a" * (BODY_MAX - len(head) - len(tail)) + tail
    assert len(at_limit) == BODY_MAX
    # 64 KiB is read (the desc is then too long: a 400, not a 413) ...
    with nothing_written(api, "xiazhai"):
        want = cli_sentence(x.call("report", "--category", "neighbor",
                                   "--title", "t", "--desc", "a" * 65000))
        r = api.post("xiazhai", "/api/cases", at_limit)
    assert_error(r, 400, "bad_request", want)
    # ... one byte more is not.
    over = head + b"a" * (BODY_MAX + 1 - len(head) - len(tail)) + tail
    assert len(over) == BODY_MAX + 1
    for body in (over, b'{"title": "' + b"a" * (1 << 20) + b'"}'):
        with nothing_written(api, "xiazhai"):
            r = api.post("xiazhai", "/api/cases", body)
        assert_error(r, 413, "too_large")


def test_content_type_must_be_json(api):
    body = {"category": "neighbor", "title": "内容类型"}
    for ct in (None, "text/plain", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "application/jsonx",
               "text/json"):
        with nothing_written(api, "xiazhai"):
            r = api.post("xiazhai", "/api/cases", body, ctype=ct)
        assert_error(r, 415, "unsupported_media"), ct
    # A charset parameter is still JSON.
    r = api.post("xiazhai", "/api/cases", body,
                 ctype="application/json; charset=utf-8")
    assert ok(r, 201)["case"].startswith(X + "#")


def test_idempotency_key_is_required_and_checked(api):
    body = {"category": "neighbor", "title": "幂等键校验"}
    bad = (None, "", "k" * 65, "abc\x01def", "abc\x7f", "tab\there",
           b"caf\xc3\xa9")
    for key in bad:
        with nothing_written(api, "xiazhai"):
            if isinstance(key, bytes):
                r = api.post("xiazhai", "/api/cases", body, key=None,
                             headers={"Idempotency-Key": key})
            else:
                r = api.post("xiazhai", "/api/cases", body, key=key)
        assert_error(r, 400, "bad_request"), repr(key)
    # 64 printable characters is the limit, and it is fine.
    key = ("~!K" + secrets.token_hex(32))[:64]
    assert len(key) == 64
    assert ok(api.post("xiazhai", "/api/cases", body, key=key), 201)


def test_idempotency_key_with_a_space_is_refused(api):
    """docs/api.md: a key is 1-64 printable ASCII characters, no spaces
    (the CLI's --request-id is the same table and cannot hold one)."""
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/cases", {"category": "neighbor",
                                               "title": "带空格的幂等键"},
                     key="retry 1 of form 7")
    assert_error(r, 400, "bad_request", "the Idempotency-Key must be 1-64 "
                 "printable ASCII characters without spaces")


def test_unknown_route_is_404_and_wrong_method_405(api):
    case = api.report("xiazhai", "路由测试")
    enc = quote(case, safe="")
    body = {"note": "n"}
    for method, path in (("GET", "/api/nope"), ("GET", "/api"),
                         ("GET", "/api/"), ("GET", "/api/cases/%s/nope" % enc),
                         ("GET", "/api/cases/%s/progress/x" % enc),
                         ("GET", "/nope"), ("POST", "/api/nope"),
                         ("POST", "/api/cases/%s/nope" % enc)):
        with nothing_written(api, "xiazhai", cases=[case]):
            r = api.call("xiazhai", method, path,
                         body if method == "POST" else None)
        assert_error(r, 404, "not_found"), (method, path)
    for method, path in (("DELETE", "/api/cases"),
                         ("PUT", "/api/cases"),
                         ("PATCH", "/api/cases/" + enc),
                         ("DELETE", "/api/cases/" + enc),
                         ("POST", "/api/cases/" + enc),
                         ("GET", "/api/cases/%s/progress" % enc),
                         ("GET", "/api/cases/%s/whistle" % enc),
                         ("POST", "/api/whoami"), ("POST", "/api/stats"),
                         ("POST", "/api/peers"), ("POST", "/api/checks"),
                         ("POST", "/api/categories"),
                         ("DELETE", "/api/notices"),
                         ("GET", "/api/notices/%s/read" % ("0" * 64))):
        with nothing_written(api, "xiazhai", cases=[case]):
            r = api.call("xiazhai", method, path,
                         body if method in ("POST", "PUT", "PATCH") else None)
        assert_error(r, 405, "method_not_allowed"), (method, path)
        # RFC 9110 15.5.6: a 405 names the methods the route takes.
        allow = {m.strip() for m in (r.header("allow") or "").split(",")}
        assert allow and method not in allow, r
        assert allow <= {"GET", "POST", "HEAD"}, r


def test_authority_refusals_are_403(api):
    s = api["shangzhai"]
    case = api.report("xiazhai", "越权测试")
    wait_case(api, "cuimu", case, "the case at the town")
    for name, path, body, cli in (
            # A village signing a Dispatch.
            ("xiazhai", case_url(case, "dispatch"), {"to": POLICE},
             ("dispatch", case, "--to", POLICE)),
            # A non-department signing an Ack.
            ("cuimu", case_url(case, "ack"), {}, ("ack", case)),
            # A department issuing a notice.
            ("@police", "/api/notices", {"title": "部门通知"},
             ("notice", "--title", "部门通知"))):
        n = api[name]
        with nothing_written(api, name, cases=[case]):
            want = cli_sentence(n.call(*cli))
            r = api.post(name, path, body)
        assert_error(r, 403, "forbidden", want), (name, path)
    # Another village does not even hold the case.
    with nothing_written(api, "shangzhai"):
        want = cli_sentence(s.call("progress", case, "--note", "n"))
        r = api.post("shangzhai", case_url(case, "progress"), {"note": "n"})
    assert_error(r, 404, "not_found", want)


def test_invalid_state_is_409(api):
    x, po = api["xiazhai"], api["@police"]
    case = api.report("xiazhai", "状态冲突测试", category="safety")
    # Follow-up of a case that is not resolved.
    with nothing_written(api, "xiazhai", cases=[case]):
        want = cli_sentence(x.call("followup", case, "--satisfaction",
                                   "satisfied"))
        r = api.post("xiazhai", case_url(case, "followup"),
                     {"satisfaction": "satisfied"})
    assert_error(r, 409, "conflict", want)
    # A whistle by a node that is no longer the current level.
    api.act("xiazhai", "whistle", case)
    with nothing_written(api, "xiazhai", cases=[case]):
        want = cli_sentence(x.call("whistle", case))
        r = api.post("xiazhai", case_url(case, "whistle"), {})
    assert_error(r, 409, "conflict", want)
    assert want == "refused: signer is not the case's current level"
    # The department reports in twice: the second is refused.
    wait_case(api, "cuimu", case, "the whistle", level=TOWN)
    api.act("cuimu", "dispatch", case, to="@police")
    wait_case(api, "@police", case, "the dispatch", status="dispatched")
    api.act("@police", "ack", case)
    with nothing_written(api, "@police", cases=[case]):
        want = cli_sentence(po.call("ack", case))
        r = api.post("@police", case_url(case, "ack"), {"note": "again"})
    assert_error(r, 409, "conflict", want)
    assert want == "refused: already reported in"


def test_ack_of_a_case_not_dispatched_here_is_409(api):
    """A department that holds a case nobody dispatched to it (carried to
    it by file) may not report in on it: the fold's refusal, a 409."""
    x, po = api["xiazhai"], api["@police"]
    case = api.report("xiazhai", "未派单的案件", category="safety")
    f = api.live.file("x-all.gsf")
    x.export(f)
    po.import_(f)
    assert po.holds(case)
    with nothing_written(api, "@police", cases=[case]):
        want = cli_sentence(po.call("ack", case))
        r = api.post("@police", case_url(case, "ack"), {})
    assert_error(r, 409, "conflict", want)
    assert want == "refused: case is not dispatched"


def test_chinese_text_round_trips_exactly(api):
    x = api["xiazhai"]
    title = "村口危桥🚧汉字测试「引号」①"
    desc = 'say "你好" \\ 路径\t制表 𠀀 ✓ 😀\n第二行'
    r = api.post("xiazhai", "/api/cases", {"category": "neighbor",
                                           "title": title, "desc": desc,
                                           "reporter": "欧阳娜娜"})
    case = ok(r, 201)["case"]
    for s in (api.show("xiazhai", case), x.show(case)):
        assert (s["title"], s["description"], s["reporter"]) == (
            title, desc, "欧阳娜娜")
    # The same text as \u escapes (surrogate pairs for the emoji).
    body = json.dumps({"category": "neighbor", "title": title,
                       "desc": desc}, ensure_ascii=True).encode("ascii")
    assert b"\\ud83d\\udea7" in body
    case2 = ok(api.post("xiazhai", "/api/cases", body), 201)["case"]
    s = api.show("xiazhai", case2)
    assert (s["title"], s["description"]) == (title, desc)
    # The bytes on the wire decode to exactly the text stored.
    raw = api.get("xiazhai", case_url(case2)).body.decode("utf-8")
    assert json.loads(raw)["title"] == title
    # In a list, a note and a notice as well.
    assert title in [k["title"] for k in ok(api.get("xiazhai",
                                                    "/api/cases"), 200)]
    api.act("xiazhai", "progress", case, note="进展🙂完成")
    assert x.show(case)["timeline"][-1]["text"].endswith("进展🙂完成")
    nid = ok(api.post("xiazhai", "/api/notices", {"title": "村务公开📢",
                                                  "body": desc}), 201)[
        "change"]
    got = [n for n in ok(api.get("xiazhai", "/api/notices"), 200)
           if n["id"] == nid]
    assert [(n["title"], n["body"]) for n in got] == [("村务公开📢", desc)]


# -- idempotency --------------------------------------------------------------

def count_titled(n, title):
    return len([k for k in n.list() if k["title"] == title])


def test_same_key_same_request_is_replayed(api):
    x = api["xiazhai"]
    title = "重复提交的上报 %d" % next(api.n)
    body = {"category": "neighbor", "title": title, "desc": "网络不稳"}
    key = api.key()
    seq0, dig0 = own_seq(x), x.digest()[1]
    r1 = api.post("xiazhai", "/api/cases", body, key=key)
    j1 = ok(r1, 201)
    assert r1.header("idempotency-replayed") in (None, "false"), r1
    r2 = api.post("xiazhai", "/api/cases", body, key=key)
    j2 = ok(r2, 200)
    assert r2.header("idempotency-replayed") == "true", r2
    assert j2 == j1, (r1, r2)
    assert (own_seq(x) - seq0, count_titled(x, title)) == (1, 1)
    assert x.digest(scope=j1["case"])[1] == 1
    assert x.digest()[1] >= dig0 + 1
    # A case verb too.
    case = j1["case"]
    k2 = api.key()
    r1 = api.post("xiazhai", case_url(case, "progress"), {"note": "调解中"},
                  key=k2)
    j1 = ok(r1, 200)
    r2 = api.post("xiazhai", case_url(case, "progress"), {"note": "调解中"},
                  key=k2)
    assert ok(r2, 200) == j1 and r2.header("idempotency-replayed") == "true"
    kinds = [e["kind"] for e in x.show(case)["timeline"]]
    assert kinds == ["report", "progress"]
    # The case moved on; the report's key still answers the first answer.
    r = api.post("xiazhai", "/api/cases", body, key=key)
    assert ok(r, 200) == {"case": case, "change": x.show(case)["timeline"][
        0]["change"]} and r.header("idempotency-replayed") == "true", r
    # And a notice.
    k3 = api.key()
    r1 = api.post("cuimu", "/api/notices", {"title": "重复的通知"}, key=k3)
    j1 = ok(r1, 201)
    r2 = api.post("cuimu", "/api/notices", {"title": "重复的通知"}, key=k3)
    assert ok(r2, 200) == j1 and r2.header("idempotency-replayed") == "true"
    assert [n["title"] for n in api["cuimu"].run(
        "notices", json=True)].count("重复的通知") == 1


def test_concurrent_retries_make_one_case(api):
    """Eight clients send the same request under one key at once (a
    terminal retrying over a flaky link): one 201, seven replays."""
    x = api["xiazhai"]
    title = "并发重试 %d" % next(api.n)
    key = api.key()
    body = json.dumps({"category": "debt", "title": title},
                      ensure_ascii=False).encode("utf-8")
    hdr = {"Authorization": "Bearer " + api.tokens[X],
           "Content-Type": "application/json", "Idempotency-Key": key}
    seq = own_seq(x)
    with ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(lambda _: request(api.port("xiazhai"), "POST",
                                           "/api/cases", body, hdr),
                         range(8)))
    assert sorted(r.status for r in rs) == [200] * 7 + [201], rs
    assert len({r.body for r in rs}) == 1, rs
    assert [r.header("idempotency-replayed") for r in rs
            if r.status == 200] == ["true"] * 7, rs
    assert (own_seq(x) - seq, count_titled(x, title)) == (1, 1)


def test_same_key_other_request_is_422(api):
    x = api["xiazhai"]
    title = "键被复用 %d" % next(api.n)
    key = api.key()
    case = ok(api.post("xiazhai", "/api/cases",
                       {"category": "neighbor", "title": title}, key=key),
              201)["case"]
    others = (
        ("/api/cases", {"category": "neighbor", "title": title + "改"},
         MINE),                                          # another body
        ("/api/cases", {"category": "debt", "title": title}, MINE),
        (case_url(case, "progress"), {"note": title}, MINE),  # another verb
        ("/api/cases", {"category": "neighbor", "title": title},
         api.second),                                    # another operator
    )
    for path, body, tok in others:
        with nothing_written(api, "xiazhai", cases=[case]):
            r = api.post("xiazhai", path, body, key=key, token=tok)
        j = assert_error(r, 422, "request_id_reused")
        assert key in j["message"], r
    # Another case, same verb and body.
    k2 = api.key()
    other = api.report("xiazhai", "另一个案件")
    ok(api.post("xiazhai", case_url(case, "progress"), {"note": "同一句话"},
                key=k2), 200)
    with nothing_written(api, "xiazhai", cases=[case, other]):
        r = api.post("xiazhai", case_url(other, "progress"),
                     {"note": "同一句话"}, key=k2)
    assert_error(r, 422, "request_id_reused")
    assert count_titled(x, title) == 1


def test_a_refused_request_does_not_use_its_key(api):
    x = api["xiazhai"]
    key = api.key()
    title = "先错后对 %d" % next(api.n)
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/cases", {"category": "neighbor",
                                               "title": title,
                                               "severity": "x"}, key=key)
    assert_error(r, 400, "bad_request")
    r = api.post("xiazhai", "/api/cases", {"category": "neighbor",
                                           "title": title}, key=key)
    ok(r, 201)
    assert r.header("idempotency-replayed") in (None, "false"), r
    assert count_titled(x, title) == 1


def test_replay_survives_a_restart(api):
    x = api["xiazhai"]
    title = "重启后重试 %d" % next(api.n)
    body = {"category": "land", "title": title}
    key = api.key()
    j1 = ok(api.post("xiazhai", "/api/cases", body, key=key), 201)
    d = api.live.daemon("xiazhai")
    assert d.stop() == 0
    d.start()
    wait_until(lambda: port_open(api.port("xiazhai")), 5,
               "xiazhai's HTTP back")
    api.live.wait_links([X])
    seq = own_seq(x)
    r = api.post("xiazhai", "/api/cases", body, key=key)
    assert ok(r, 200) == j1 and r.header("idempotency-replayed") == "true", r
    assert own_seq(x) == seq and count_titled(x, title) == 1
    r = api.post("xiazhai", "/api/cases", dict(body, title=title + "!"),
                 key=key)
    assert_error(r, 422, "request_id_reused")


def test_cli_request_id_shares_the_table(api):
    x = api["xiazhai"]
    title = "终端重试 %d" % next(api.n)
    rid = "cli-" + secrets.token_hex(8)
    args = ("report", "--category", "debt", "--title", title,
            "--request-id", rid)
    r1 = x.call(*args)
    r2 = x.call(*args)
    assert (r1.rc, r2.rc) == (0, 0), (r1, r2)
    assert r1.out == r2.out and r1.out.startswith(X + "#"), (r1, r2)
    assert count_titled(x, title) == 1
    case = r1.out.strip()
    # --json replays the same answer.
    j = x.run(*args, json=True)
    assert j["case"] == case, j
    # Another request under the same id: refused by the CLI (exit 1) ...
    with nothing_written(api, "xiazhai"):
        r3 = x.call("report", "--category", "debt", "--title", title + "改",
                    "--request-id", rid)
    assert r3.rc == 1 and r3.out == "", r3
    assert ("request id '%s' was already used for a different request" %
            rid) in r3.err, r3
    # ... and over HTTP: the id is taken.
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/cases",
                     {"category": "debt", "title": title + "改"}, key=rid)
    assert_error(r, 422, "request_id_reused", cli_sentence(r3))
    # An HTTP key replayed from the CLI: the same table the other way.
    key = api.key()
    j = ok(api.post("xiazhai", "/api/cases",
                    {"category": "debt", "title": title + "网"}, key=key),
           201)
    r4 = x.call("report", "--category", "debt", "--title", title + "另",
                "--request-id", key)
    assert r4.rc == 1, r4
    assert count_titled(x, title + "另") == 0
    assert j["case"].startswith(X + "#")


def test_cli_and_http_requests_are_comparable(api):
    """The server runs the CLI's own verb (include/gs/http.h: gs_cli_call)
    and the request digest is verb, arguments, options and actor
    (node/cli.c request_hash), so a terminal's `--actor NAME --request-id
    K` and the same request by operator NAME under Idempotency-Key K are
    one request: the second is a replay."""
    x = api["xiazhai"]
    title = "终端与网页 %d" % next(api.n)
    key = api.key()
    j = x.run("report", "--category", "land", "--title", title, "--desc",
              "同一请求", "--actor", OPERATORS[X], "--request-id", key,
              json=True)
    seq = own_seq(x)
    r = api.post("xiazhai", "/api/cases", {"category": "land",
                                           "title": title, "desc": "同一请求"},
                 key=key)
    assert ok(r, 200) == j and r.header("idempotency-replayed") == "true", r
    assert own_seq(x) == seq and count_titled(x, title) == 1
    # The other operator is another request.
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/cases", {
            "category": "land", "title": title, "desc": "同一请求"},
            key=key, token=api.second)
    assert_error(r, 422, "request_id_reused")


# -- metrics ------------------------------------------------------------------

SPEC_METRICS = {
    "gridsync_changes_applied_total": ("counter", {"source"}),
    "gridsync_changes_rejected_total": ("counter", {"reason"}),
    "gridsync_batch_apply_seconds": ("histogram", set()),
    "gridsync_link_up": ("gauge", {"peer", "role"}),
    "gridsync_link_behind_changes": ("gauge", {"peer", "direction"}),
    "gridsync_link_last_seen_seconds": ("gauge", {"peer"}),
    "gridsync_store_used_bytes": ("gauge", set()),
    "gridsync_store_map_bytes": ("gauge", set()),
    "gridsync_cases": ("gauge", {"status"}),
    "gridsync_cases_overdue": ("gauge", set()),
    "gridsync_http_requests_total": ("counter", {"code"}),
}


def test_metrics_format_and_table(api):
    for p in PATHS:
        fams = metrics(api, p)
        for name, (typ, labels) in SPEC_METRICS.items():
            f = fams.get(name)
            assert f is not None and f.type == typ, (p, name, f)
            assert f.help, (p, name)
            for sname, ls, v in f.samples:
                assert set(ls) - {"le"} == labels, (p, sname, ls)
            if not labels or typ == "histogram":
                assert f.samples, (p, name)
        src = {ls["source"] for _, ls, _ in
               fams["gridsync_changes_applied_total"].samples}
        assert src <= {"local", "link", "file"}, src
        for _, ls, _ in fams["gridsync_link_up"].samples:
            assert ls["role"] in ("parent", "child"), ls
        for _, ls, _ in fams["gridsync_link_behind_changes"].samples:
            assert ls["direction"] in ("in", "out"), ls
        w = api[p].whoami()
        assert sample(fams, "gridsync_store_map_bytes") == w["map_bytes"]
        used = sample(fams, "gridsync_store_used_bytes")
        assert 0 < used <= w["map_bytes"], used
    # Each neighbour of the town, with its role, in and out.
    fams = metrics(api, "cuimu")
    for peer, role in ((COUNTY, "parent"), (X, "child"), (S, "child"),
                       (POLICE, "child")):
        assert sample(fams, "gridsync_link_up", peer=peer, role=role) == 1
        for d in ("in", "out"):
            v = sample(fams, "gridsync_link_behind_changes", peer=peer,
                       direction=d)
            assert v is not None and v >= 0, (peer, d)
        assert sample(fams, "gridsync_link_last_seen_seconds",
                      peer=peer) is not None, peer


def test_metrics_count_the_changes_written(api):
    def local():
        return sample(metrics(api, "xiazhai"),
                      "gridsync_changes_applied_total", source="local") or 0
    before = local()
    case = api.report("xiazhai", "指标计数")
    api.act("xiazhai", "progress", case, note="一")
    api.act("xiazhai", "whistle", case)
    assert local() - before == 3
    # A refused request applies nothing; a replay applies nothing.
    r = api.post("xiazhai", case_url(case, "whistle"), {})
    assert_error(r, 409, "conflict")
    key = api.key()
    ok(api.post("xiazhai", case_url(case, "progress"), {"note": "二"},
                key=key), 200)
    ok(api.post("xiazhai", case_url(case, "progress"), {"note": "二"},
                key=key), 200)
    assert local() - before == 4

    def http_count(code):
        return sample(metrics(api, "shangzhai"),
                      "gridsync_http_requests_total", code=code) or 0
    n401 = http_count("401")
    assert_error(api.get("shangzhai", "/api/whoami", token=None), 401,
                 "unauthorized")
    assert http_count("401") - n401 == 1


def test_metrics_case_gauges_equal_the_list(api):
    api.report("cuimu", "指标案件数")
    cm = api["cuimu"]
    last = {}

    def same():
        fams = metrics(api, "cuimu")
        got = {st: sample(fams, "gridsync_cases", status=st)
               for st in ("open", "dispatched", "resolved", "closed")}
        got["overdue"] = sample(fams, "gridsync_cases_overdue")
        lst = cm.list()
        want = {st: len([k for k in lst if k["status"] == st])
                for st in ("open", "dispatched", "resolved", "closed")}
        want["overdue"] = len(cm.list("--overdue"))
        # A status with no case may be 0 or absent; open never is.
        got = {k: (v if v is not None or k in ("open", "overdue") else 0)
               for k, v in got.items()}
        last["v"] = (got, want)
        return got == want
    wait_until(same, 5, "gridsync_cases equal to list at the town",
               interval=0.2, detail=lambda: last.get("v"))
    assert last["v"][1]["open"] >= 1


def test_metrics_link_up_follows_the_child(api):
    cm = api["cuimu"]

    def up():
        return sample(metrics(api, "cuimu"), "gridsync_link_up", peer=S,
                      role="child")
    assert up() == 1
    assert sample(metrics(api, "shangzhai"), "gridsync_link_up", peer=TOWN,
                  role="parent") == 1
    d = api.live.daemon("shangzhai")
    assert d.stop() == 0
    try:
        wait_until(lambda: up() == 0, WAIT, "link_up of the stopped child 0",
                   interval=0.2, detail=up)
        assert not link_up(cm, S)
        # The other children are still up.
        assert sample(metrics(api, "cuimu"), "gridsync_link_up", peer=X,
                      role="child") == 1
    finally:
        d.start()
        api.live.wait_links([S])
    wait_until(lambda: up() == 1, WAIT, "link_up of the child back to 1",
               interval=0.2, detail=up)


# -- a full store -------------------------------------------------------------

def test_a_full_store_is_507_and_nothing_half_written(gridnode, tmp_path):
    """A county node with a 1 MiB LMDB map, filled over HTTP with notices:
    the write that does not fit is a 507 with the CLI's sentence, nothing
    of it is stored, reads still work, and after `resize` writes do."""
    n = Node(tmp_path / "full", COUNTY)
    n.run("init", "--path", COUNTY, "--map-size", "1", json=True)
    port = free_port()
    cfg = tmp_path / "full.ini"
    write_config(cfg, **LINK)
    with open(cfg, "a") as f:
        f.write("[http]\nlisten = 127.0.0.1:%d\n" % port)
    tok = operator_add(n, OPERATORS[COUNTY])
    d = Daemon(n, cfg, tmp_path / "full.log")
    hdr = {"Authorization": "Bearer " + tok,
           "Content-Type": "application/json"}

    def notice(i):
        body = json.dumps({"title": "填满 %d" % i, "body": "满" * 1300},
                          ensure_ascii=False).encode("utf-8")
        return request(port, "POST", "/api/notices", body,
                       dict(hdr, **{"Idempotency-Key": "fill-%d" % i}))
    try:
        d.start()
        wait_until(lambda: port_open(port), 5, "HTTP listening")
        for i in range(1000):
            seq = own_seq(n)
            r = notice(i)
            if r.status != 201:
                break
        else:
            raise AssertionError("1000 notices of 4 KB fit in a 1 MiB map")
        assert own_seq(n) == seq, "the refused notice was half written"
        titles = [x["title"] for x in n.run("notices", json=True)]
        assert len(titles) == i and "填满 %d" % i not in titles
        assert_error(r, 507, "store_full")
        # The CLI's sentence for a full store: a terminal's notice can
        # still fit a page or two (an HTTP write also stores its key), so
        # write until it does not.
        for k in range(50):
            r2 = n.call("notice", "--title", "终端 %d" % k, "--body",
                        "满" * 1300)
            if r2.rc != 0:
                break
        assert_error(r, 507, "store_full", cli_sentence(r2))
        seq = own_seq(n)
        # Reads still answer; the refused request still refused.
        j = ok(request(port, "GET", "/api/whoami", None, hdr), 200)
        assert j["own_seq"] == seq
        assert_error(notice(i), 507, "store_full", cli_sentence(r2))
        assert d.running()
        assert d.stop() == 0
        n.run("resize", "--map-size", "4", json=True)
        d.start()
        wait_until(lambda: port_open(port), 5, "HTTP listening again")
        # The key of the refused request is still free.
        r = notice(i)
        assert ok(r, 201) and r.header("idempotency-replayed") in (
            None, "false"), r
        assert own_seq(n) == seq + 1
        assert d.stop() == 0
        n.verify()
        shutil.rmtree(tmp_path / "full")
    finally:
        d.stop()


def test_a_write_takes_no_query_and_the_scheme_is_any_case(api):
    """A write's options are in its body only: a query string is refused,
    not ignored. The Bearer scheme is case-insensitive (RFC 7235) and the
    token's hex digits may be upper case."""
    with nothing_written(api, "xiazhai"):
        r = api.post("xiazhai", "/api/cases?category=neighbor",
                     {"category": "neighbor", "title": "查询串"})
    assert_error(r, 400, "bad_request", "unknown query parameter 'category':"
                 " a write takes its options in the JSON body")
    tok = api.tokens[X]
    for auth in ("bearer " + tok, "BEARER " + tok, "Bearer " + tok.upper()):
        r = api.get("xiazhai", "/api/whoami", token=None,
                    headers={"Authorization": auth})
        assert ok(r, 200)["path"] == X, auth
