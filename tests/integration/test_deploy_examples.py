"""deploy/examples/*.ini are real configs (issue 6, deployment).

1. As shipped, each daemon config parses: `gridnode run --config EXAMPLE`
   on a directory that holds no node gets past the config (exit 2 would be
   a config error) and stops at the store, exit 1 with the exact sentence.
   No port is bound.
2. A live county runs on them: county, town, village and police station
   are created, enrolled with `enroll --endpoint` and joined as the install
   guide does, and each daemon runs on its example with only the addresses
   rewritten (every address:port of the examples' port table to a free
   port on 127.0.0.1, so nothing binds 0.0.0.0). Each logs that it runs,
   every child's link comes up on both sides, each serves /metrics and
   refuses /api/ without a token on its [http] port, and each stops on
   SIGTERM with exit 0. The village's pinned parent key (the commented
   `key =` line, filled in) is accepted when it is the town's key and
   refused with the exact sentence when it is not.
3. deadlines.ini in the town's data dir sets the dispatch deadlines of its
   categories and the check reports' due day.

Every wait is a poll loop with a deadline; the fixture stops every daemon
it started, by pid.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import gridsync
from httpapi import operator_add, request
from live import LiveTree, finish, free_port, link_up, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "examples"

COUNTY = "qianyang"
TOWN = "qianyang/cuimu"
VILLAGE = "qianyang/cuimu/xiazhai"
POLICE = "qianyang/cuimu/@police"
ROLES = {"county.ini": COUNTY, "town.ini": TOWN, "village.ini": VILLAGE,
         "department.ini": POLICE}

# The examples' port table (county.ini): ROUTER ports children dial, and
# the HTTP port of each level.
ROUTER_PORTS = {7001: COUNTY, 7101: TOWN}
HTTP_PORTS = {8001: COUNTY, 8101: TOWN, 8201: VILLAGE, 8301: POLICE}

ADDR = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}:(\d+)\b")
KEY_LINE = re.compile(r"^;key = .*$", re.M)


def rewrite(text, ports, parent_key=None):
    """The example with every address:port on a setting line moved to
    127.0.0.1 and the port given by ports (a port not in the table fails
    the test), and, with parent_key, its commented `;key =` line made a
    real one."""
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith(";"):
            line = ADDR.sub(lambda m: "127.0.0.1:%d" % ports[int(m.group(1))],
                            line)
        out.append(line)
    text = "\n".join(out) + "\n"
    if parent_key is not None:
        text, n = KEY_LINE.subn("key = " + parent_key, text)
        assert n == 1, "one commented ';key =' line in the example"
    return text


def test_examples_parse_as_shipped(gridnode, tmp_path):
    nonode = tmp_path / "no-node-here"
    for name in ROLES:
        p = subprocess.run([gridnode, "run", "--data", str(nonode),
                            "--config", str(EXAMPLES / name)],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=gridsync.TIMEOUT)
        assert (p.returncode, p.stderr.decode()) == (
            1, "gridnode run: %s holds no node: run 'gridnode init' first\n"
            % nonode), name
    assert not nonode.exists()


def test_a_wrong_file_names_its_first_bad_line(gridnode, tmp_path):
    """deadlines.ini given as a daemon's config: the error names the first
    line that is not a daemon setting, and that line's own setting."""
    p = subprocess.run([gridnode, "run", "--data", str(tmp_path / "none"),
                        "--config", str(EXAMPLES / "deadlines.ini")],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=gridsync.TIMEOUT)
    lines = (EXAMPLES / "deadlines.ini").read_text("utf-8").splitlines()
    first = next(i for i, l in enumerate(lines, 1)
                 if "=" in l and not l.lstrip().startswith(";"))
    section = [l.split(";")[0].strip() for l in lines[:first]
               if l.startswith("[")][-1]
    key = lines[first - 1].split("=")[0].strip()
    assert p.returncode == 2, p
    assert p.stderr.decode().splitlines()[0] == (
        "gridnode run: %s line %d: unknown setting %s %s"
        % (EXAMPLES / "deadlines.ini", first, section, key))


@pytest.fixture
def county(gridnode, request):
    base = Path(tempfile.mkdtemp(prefix="gsd", dir="/tmp"))
    failed = request.session.testsfailed
    t = LiveTree(base, paths=(COUNTY, TOWN, VILLAGE, POLICE))
    try:
        yield t
    finally:
        finish(t, base, request, failed)


def test_examples_run_a_county(county):
    t = county
    ports = {p: t.ports[path] for p, path in ROUTER_PORTS.items()}
    http = {path: free_port() for path in HTTP_PORTS.values()}
    ports.update({p: http[path] for p, path in HTTP_PORTS.items()})
    for name, path in ROLES.items():
        cfg = t.base / ("example-" + name)
        cfg.write_text(rewrite((EXAMPLES / name).read_text(), ports))
        t.daemons[path].config = cfg

    t.start(timeout=10)
    for name, path in ROLES.items():
        port = http[path]
        m = request(port, "GET", "/metrics")
        assert m.status == 200 and "gridsync_link_up{" in m.text, (name, m)
        r = request(port, "GET", "/api/whoami")
        assert (r.status, r.json["error"]) == (401, "unauthorized"), (name, r)
    tok = operator_add(t.nodes[TOWN], "李娜")
    r = request(http[TOWN], "GET", "/api/whoami",
                headers={"Authorization": "Bearer " + tok})
    assert (r.status, r.json["path"]) == (200, TOWN), r

    # The village pins its town's key: the right one links, a wrong one
    # stops the daemon at start with the exact sentence.
    v, town = t.daemons[VILLAGE], t.nodes[TOWN]
    assert v.stop() == 0
    text = (EXAMPLES / "village.ini").read_text()
    wrong = t.nodes[COUNTY].key
    v.config.write_text(rewrite(text, ports, parent_key=wrong))
    m = v.mark()
    v.start(wait=False)
    assert v.proc.wait(gridsync.TIMEOUT) == 1
    assert v.log(m).endswith("gridnode run: parent's key in the config does "
                             "not match the one in the join bundle\n"), v.log(m)
    v.config.write_text(rewrite(text, ports, parent_key=town.key))
    v.start()
    wait_until(lambda: link_up(t.nodes[VILLAGE], TOWN) and
               link_up(town, VILLAGE), 10, "the village linked again")

    for path in sorted(ROLES.values(), key=lambda p: -p.count("/")):
        d = t.daemons[path]
        assert d.stop() == 0, d.log()
        assert d.log().endswith("gridnode: node %s stopped\n" % path), d.log()


def test_deadlines_example(county):
    t = county
    town, village = t.nodes[TOWN], t.nodes[VILLAGE]
    shutil.copy(EXAMPLES / "deadlines.ini", town.dir / "deadlines.ini")
    t.start(TOWN, VILLAGE, timeout=10)
    case = village.report("河道垃圾堆积", category="environment")
    village.act("whistle", case, reason="需镇里协调")
    wait_until(lambda: town.holds(case) and
               town.show(case)["level"] == TOWN, 10, "the case at the town")
    town.act("dispatch", case, to="@police")
    a = town.show(case)["assignments"]
    # environment: ack 4 h, resolve 72 h in the example (table: 2 h / 72 h).
    assert len(a) == 1 and a[0]["department"] == POLICE, a
    assert a[0]["resolve_deadline_ms"] - a[0]["ack_deadline_ms"] == \
        (72 - 4) * 3600 * 1000, a
    # safety (ack 0.5 h, resolve 12 h; table 0.5 h / 24 h), with the
    # example's inline comment after the section name.
    s = village.report("村道危桥", category="safety")
    village.act("whistle", s)
    wait_until(lambda: town.holds(s) and town.show(s)["level"] == TOWN, 10,
               "the second case at the town")
    town.act("dispatch", s, to="@police")
    a = town.show(s)["assignments"][0]
    assert a["resolve_deadline_ms"] - a["ack_deadline_ms"] == \
        int((12 - 0.5) * 3600 * 1000), a
    due = town.run("checks", json=True)["due"]
    assert re.fullmatch(r"\d{4}-\d{2}-20", due), due
