"""`make test` shares the browser tests out between its two database runs (BROWSER_SHARD):
the halves must not overlap and together must hold every browser test, or a test would
silently stop running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _collected(shard: str) -> set[str]:
    env = {**os.environ, "BROWSER_SHARD": shard}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-o",
            "addopts=",
            "--collect-only",
            "-q",
            "-m",
            "browser",
            "tests/browser",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 5), result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if re.match(r"tests/browser/\S+::", line)}


def test_the_two_halves_hold_every_browser_test_once():
    everything = _collected("")
    first, second = _collected("1/2"), _collected("2/2")
    assert len(everything) > 50
    assert not first & second
    assert first | second == everything
    assert abs(len(first) - len(second)) <= 1


def test_a_malformed_shard_is_refused_rather_than_running_nothing():
    with pytest.raises(AssertionError, match="BROWSER_SHARD must look like"):
        _collected("3/2")
