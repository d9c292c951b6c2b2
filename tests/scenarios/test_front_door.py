"""The scenarios front door loads without numpy or matplotlib: a web worker imports it with the handlers
(the /tier workers' memory budget is 200 MB; numpy alone is ~20 MB), and the model loads when a scenario
runs. In a fresh interpreter, since this test process has long loaded both."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "matplotlib")


@pytest.mark.parametrize("module", ["bot.main", "bot.cli", "bot.scenarios.service", "handlers.scenario"])
def test_importing_loads_no_numpy(module: str) -> None:
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_a_scenario_module_that_needs_numpy_is_seen() -> None:
    """The check above can fail: a module that imports numpy shows up."""
    code = f"import sys, bot.scenarios.projection; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "numpy" in out.stdout.split()
