"""Fixtures for the gridnode integration tests (real processes, temp dirs).

Run with `make integration`, which sets GRIDNODE to the built binary.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gridsync  # noqa: E402


@pytest.fixture(scope="session")
def gridnode():
    """The binary under test; the session stops if it is missing."""
    b = gridsync.binary()
    if not os.access(b, os.X_OK):
        pytest.exit("gridnode binary not found at %s (set GRIDNODE or "
                    "`make build/gridnode`)" % b, returncode=2)
    return b


@pytest.fixture
def tree(gridnode, tmp_path):
    """The whole test county (gridsync.TREE_PATHS), enrolled and joined.
    After the test every node must still pass `verify`; the temp dir is
    removed when it does (kept for a look when it does not)."""
    t = gridsync.Tree(tmp_path / "county")
    yield t
    t.verify_all()
    shutil.rmtree(t.base, ignore_errors=True)
