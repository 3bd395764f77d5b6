"""`make demo`'s non-interactive mode (issue 6): with DEMO_SECONDS=0 the demo
county comes up, prints every dashboard URL it promises with a working
operator token, stops by itself with exit 0 and leaves no daemon and no temp
dir behind. (The interactive mode, running until Ctrl-C, is the same script
waiting on a sleep: test_browser.py stops it with SIGTERM.)"""

import os
import re
import subprocess
import urllib.request
from pathlib import Path

from test_browser import demo_daemons

ROOT = Path(__file__).resolve().parents[2]
PROMISED = ("qianyang", "qianyang/cuimu", "qianyang/cuimu/xiazhai",
            "qianyang/cuimu/beipo", "qianyang/cuimu/shangzhai",
            "qianyang/cuimu/@police")


def test_demo_prints_the_dashboards_and_stops_by_itself(gridnode, tmp_path):
    env = dict(os.environ, GRIDNODE=gridnode, DEMO_SECONDS="0",
               TMPDIR=str(tmp_path))
    p = subprocess.run(["bash", str(ROOT / "deploy" / "demo.sh")], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    urls = dict(re.findall(r"^ +(\S+) +(http://127\.0\.0\.1:\d+/#token=[0-9a-f]{64})"
                           r"\s", p.stdout, re.M))
    assert sorted(urls) == sorted(PROMISED), p.stdout[-3000:]
    # Stopped: nothing answers on those ports, no daemon, no temp dir.
    for path, url in urls.items():
        base, token = url.split("#token=")
        req = urllib.request.Request(base + "api/whoami",
                                     headers={"Authorization": "Bearer " +
                                              token})
        try:
            urllib.request.urlopen(req, timeout=2)
            raise AssertionError("%s still answers after the demo" % path)
        except OSError:
            pass
    assert list(tmp_path.iterdir()) == []
    assert demo_daemons(str(tmp_path)) == []
