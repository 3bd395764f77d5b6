"""The fault soak, short version (issue 5; `make soak` runs the long one).

Runs tests/soak/soak.py for SOAK_TEST_SECONDS (default 20) of workload and
chaos: nine live daemons, every child->parent link through a fault proxy
that cuts its TCP connections, random daemons killed with SIGKILL and
restarted, and a 吹哨报到 workload written through the CLI on every node.
The driver's own watchdog bounds the run (--limit); this test adds a
backstop beyond it (SIGTERM, on which the driver kills its daemons by pid).

Asserted from the driver's JSON report: exit 0, nothing lost, nothing
applied twice, every node verified, no digest mismatch, nothing else went
wrong; and that the run really was a soak: writes on every verb of the
flow, daemons killed and restarted, links cut. The summary line is the
last line of the driver's output (printed here for `pytest -rP`).

Also asserted (--strict-scope): no node holds a case outside its visibility
set ("beyond scope"). The soak found such stale copies: a whistle valid when
the town sent the case up turned into a conflict when an earlier resolve
arrived, and the county left the set; visibility now depends only on which
changes exist (fold.c grant; tests/integration/test_visibility.py).
"""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[1] / "soak" / "soak.py"
SECONDS = int(os.environ.get("SOAK_TEST_SECONDS", "20"))
LIMIT = SECONDS + 35      # the driver's own bound on the whole run

SUMMARY = re.compile(
    r"^soak: written (\d+) refused (\d+) kills (\d+) restarts (\d+) "
    r"link cuts (\d+) lost (\d+) duplicated (\d+) verify (\d+)/(\d+) "
    r"digests (\d+) mismatched of (\d+) cases (\d+) beyond-scope (\d+) "
    r"errors (\d+) wall ([0-9.]+) s: (PASS|FAIL|TIMEOUT)$")


def test_fault_soak_short(gridnode, tmp_path):
    report = tmp_path / "soak.json"
    argv = [sys.executable, str(SOAK), "--gridnode", gridnode,
            "--seconds", str(SECONDS), "--limit", str(LIMIT),
            "--progress", "0", "--report", str(report), "--strict-scope"]
    if os.environ.get("SOAK_SEED"):
        argv += ["--seed", os.environ["SOAK_SEED"]]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=LIMIT + 15)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)    # the driver kills its daemons
        try:
            out, _ = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        pytest.fail("the soak driver overran its limit of %d s:\n%s" % (
            LIMIT, out.decode("utf-8", "replace")[-6000:]))
    text = out.decode("utf-8", "replace")
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    print(last)     # the counts, for `pytest -rP`
    assert p.returncode == 0, text[-8000:]
    m = SUMMARY.match(last)
    assert m is not None, text[-8000:]
    r = json.loads(report.read_text())

    # The verdict.
    assert (r["ok"], r["lost"], r["duplicated"], r["verify_failed"],
            r["verified"], r["digest_mismatches"], r["errors"]) == (
                True, 0, 0, 0, 9, 0, []), text[-8000:]
    assert m.group(16) == "PASS"
    assert [int(m.group(i)) for i in (1, 3, 5, 6, 7, 8, 10)] == [
        r["written"], r["kills"], r["link_cuts"], 0, 0, 9, 0]
    assert r["digest_scopes"] == r["cases"] + 4   # every case, 4 villages
    assert r["wall_s"] < LIMIT

    # It was a soak: the whole flow was written, daemons were killed and
    # came back, links were cut, cases went up and out.
    assert set(r["written_by_verb"]) == {
        "report", "progress", "whistle", "dispatch", "ack", "resolve",
        "followup"}, r["written_by_verb"]
    assert r["written"] >= 5 * SECONDS, r
    assert r["kills"] >= SECONDS // 5, r
    assert r["restarts"] == r["kills"], r
    assert r["link_cuts"] >= SECONDS, r
    assert r["cases_at_county"] >= 1 and r["cases_dispatched"] >= 1, r
