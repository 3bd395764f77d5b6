"""The web dashboard in a real browser, against the live demo county (issue 6).

deploy/demo.sh starts the 21 daemons of the demo county, each serving its
dashboard, and writes their URLs and operator tokens to DEMO_INFO;
tests/browser/dashboard.mjs then drives Debian's Chromium through
playwright-core: a report at a village's dashboard, whistled to the town,
dispatched from the town's command center, acked at the police station's
dashboard and seen back on the town's case page; the English toggle; the
county view's rollup table against /api/stats; a wrong token. Screenshots go
to $ARTEFACTS (default build/artefacts/browser). The demo is stopped by
SIGTERM to its pid (its trap stops every daemon by pid) and no daemon of it
may be left.

Skips only when Chromium (`make deps`) or playwright-core (`npm ci` in
tests/browser, run by `make test`) is missing.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWSER_DIR = ROOT / "tests" / "browser"
CHROMIUM = "/usr/bin/chromium"
BUDGET = 240   # seconds for the whole test: demo, browser, shutdown
DEMO_UP = 120  # of which at most this long for the demo to come up


def demo_daemons(work):
    """Pids of the gridnode processes running on the demo's temp dir."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"gridnode") and \
                any(a.startswith(work.encode() + b"/") for a in argv):
            pids.append(int(d.name))
    return pids


def tail(path, n=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def test_dashboard_in_chromium(gridnode, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("no Chromium at %s: install Debian's chromium (make deps) "
                    "to run the browser test" % CHROMIUM)
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("no playwright-core in tests/browser/node_modules: run "
                    "`npm ci` in tests/browser (make test does) to run the browser test")
    deadline = time.monotonic() + BUDGET
    artefacts = Path(os.environ.get("ARTEFACTS", ROOT / "build" / "artefacts" / "browser"))
    artefacts.mkdir(parents=True, exist_ok=True)
    for old in artefacts.glob("*.png"):
        old.unlink()
    info_file = tmp_path / "demo.json"
    demo_log = artefacts / "demo.log"
    # DEMO_KEEP: the daemons' logs are kept for a failure; removed below.
    env = dict(os.environ, GRIDNODE=gridnode, DEMO_INFO=str(info_file),
               DEMO_SECONDS=str(BUDGET), DEMO_KEEP="1")
    with open(demo_log, "w") as log:
        # Its own session: a Ctrl-C at the terminal reaches pytest, and
        # the finally below stops the demo; DEMO_SECONDS bounds it anyway.
        demo = subprocess.Popen(["bash", str(ROOT / "deploy" / "demo.sh")],
                                stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    work = None
    passed = False
    try:
        up_by = time.monotonic() + DEMO_UP
        while not info_file.exists():
            assert demo.poll() is None, \
                "demo.sh exited %s before it was up:\n%s" % (demo.returncode, tail(demo_log))
            assert time.monotonic() < up_by, \
                "the demo was not up after %d s:\n%s" % (DEMO_UP, tail(demo_log))
            time.sleep(0.2)
        info = json.loads(info_file.read_text())
        work = info["work"]
        assert len(info["nodes"]) == 21
        assert len(demo_daemons(work)) == 21

        t0 = time.monotonic()
        browser = subprocess.run(
            ["node", "dashboard.mjs", str(info_file), str(artefacts)],
            cwd=BROWSER_DIR, capture_output=True, text=True,
            timeout=max(10, deadline - time.monotonic() - 30),
            env=dict(os.environ, ARTEFACTS=str(artefacts)))
        took = time.monotonic() - t0
        out = browser.stdout + browser.stderr
        (artefacts / "dashboard.log").write_text(out)
        assert browser.returncode == 0, \
            "dashboard.mjs failed (exit %d, %.1f s):\n%s" % (browser.returncode, took, out)
        shots = sorted(p.name for p in artefacts.glob("*.png"))
        assert shots == ["county.png", "town-case-after-ack.png",
                         "town-command-center.png", "town-english.png"], shots
        for s in shots:
            assert (artefacts / s).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        passed = True
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            pytest.fail("demo.sh did not stop within 30 s of SIGTERM")
        if work is None:
            kept = [l.split("kept ", 1)[1].strip() for l in open(demo_log)
                    if l.startswith("demo: kept ")]
            work = kept[0] if kept else None
        if work and not passed:
            logs = artefacts / "demo-logs"
            logs.mkdir(exist_ok=True)
            for f in Path(work).glob("*.log"):
                shutil.copy(f, logs / f.name)
    left = demo_daemons(work) if work else []
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    if work:
        shutil.rmtree(work, ignore_errors=True)
    assert left == [], "demo.sh left gridnode daemons running: %s" % left
    assert not info_file.exists(), "demo.sh did not remove DEMO_INFO when it stopped"
