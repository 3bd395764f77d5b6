"""A terminal whose clock is far in the future (issue 5's bad-input list).

Apply may not judge a change by the receiver's wall clock (another node,
later, would judge it otherwise: a divergence), so a change stamped in the
future is stored and folded like any other. What the receiver refuses is to
*follow* it: a change more than 7 days ahead of its wall clock does not move
its hybrid clock, so its own later work is not stamped in the future too,
and `whoami` names the origin. A few days ahead is tolerated and followed
(DESIGN: village clocks may be days off).
"""

import os
import time

import pytest

DAY_MS = 86400000


def now_ms():
    return int(time.time() * 1000)


def at(ms):
    """Runs the block's gridnode processes with the clock at ms."""
    class Clock:
        def __enter__(self):
            os.environ["GRIDNODE_NOW_MS"] = str(ms)

        def __exit__(self, *exc):
            os.environ.pop("GRIDNODE_NOW_MS", None)
    return Clock()


def hlc_ms(show, kind):
    return [e["hlc"] >> 16 for e in show["timeline"] if e["kind"] == kind][0]


def test_far_future_change_is_kept_but_not_followed(tree):
    x, s, t = tree["xiazhai"], tree["shangzhai"], tree["cuimu"]
    start = now_ms()
    with at(start + 30 * DAY_MS):
        far = x.report("时钟超前的终端上报", category="neighbor")
    with at(start + 6 * DAY_MS):
        near = s.report("时钟快了几天的终端上报", category="neighbor")
    tree.move(x, t)
    tree.move(s, t)

    # Both are stored and folded, exactly as at their villages.
    assert t.show(far) == x.show(far) and t.show(near) == s.show(near)
    assert t.digest(scope=x.path) == x.digest(scope=x.path)
    who = t.whoami()
    assert [(a["path"], a["ms"]) for a in who["clock_ahead"]] == [
        (x.path, hlc_ms(x.show(far), "report"))]
    assert "时钟超前 clock  %s" % x.path in t.run("whoami")

    # The town's next change follows the 6-days-ahead one (tolerated) but
    # not the 30-days-ahead one.
    t.run("notice", "--title", "防火通知")
    ms = t.run("notices", json=True)[0]["hlc"] >> 16
    assert hlc_ms(s.show(near), "report") <= ms < start + 7 * DAY_MS

    # The far case cannot be acted on here until the clocks meet: its
    # report sorts after anything the town signs now, so a note would come
    # before the case exists; the fold says so and nothing is stored.
    before = t.whoami()["own_seq"]
    r = t.call("progress", far, "--note", "镇里先看看")
    assert r.rc == 1, r
    assert r.err.startswith("gridnode progress: refused: "), r.err
    assert t.whoami()["own_seq"] == before
