"""The background warm-up: runs only between cells, changes no results."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrcourse import warmup

ROOT = Path(__file__).resolve().parents[1]

SHELL = textwrap.dedent(
    """
    import sys
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    def run(code):
        result = shell.run_cell(code)
        assert result.success, result.error_in_exec or result.error_before_exec
    run(
        "import numpy as np, random, sys, torch\\n"
        "state = (torch.random.get_rng_state(), np.random.get_state()[1].copy(),"
        " random.getstate())\\n"
        "from lrcourse import warmup, data\\n"
        "during_cell = warmup._thread"
    )
    from lrcourse import warmup
    print("started-during-cell", shell.user_ns["during_cell"] is not None)
    print("started-after-cell", warmup._thread is not None)
    run("imported_before_cell = 'torch._dynamo' in sys.modules")
    print("ready-when-next-cell-ran", shell.user_ns["imported_before_cell"])
    run(
        "same = (torch.equal(state[0], torch.random.get_rng_state())"
        " and (state[1] == np.random.get_state()[1]).all() and state[2] == random.getstate())"
    )
    print("rng-unchanged", bool(shell.user_ns["same"]), "errors", warmup.errors)
    run(
        "from lrcourse import training\\n"
        "torch.manual_seed(0)\\n"
        "model = training.mlp(64, 10, hidden=(16,))\\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\\n"
        "hist = training.train(model, opt, data.digits(), epochs=1, progress=False)"
    )
    print("losses", repr(shell.user_ns["hist"].step_loss))
    """
)


def run_shell(enabled: bool) -> dict[str, str]:
    env = {**os.environ, warmup.ENV_VAR: "1" if enabled else "0", "LRCOURSE_DEVICE": "cpu"}
    out = subprocess.run(
        [sys.executable, "-c", SHELL], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


def test_warmup_runs_between_cells_and_changes_no_results() -> None:
    on, off = run_shell(True), run_shell(False)
    assert on["started-during-cell"] == "False"  # not while the triggering cell ran
    assert on["started-after-cell"] == "True"
    assert on["ready-when-next-cell-ran"] == "True"  # the next cell waited for it
    assert on["rng-unchanged"] == "True errors []"
    assert off["started-after-cell"] == "False"
    assert on["losses"] == off["losses"]


def test_nothing_happens_outside_an_ipython_shell() -> None:
    code = (
        "import sys; from lrcourse import data, warmup; "
        "print(warmup._thread is None, 'torch._dynamo' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]


def test_needed_respects_the_switch_and_what_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "MODULES", ("a_module_that_is_not_imported",))
    monkeypatch.setenv(warmup.ENV_VAR, "0")
    assert not warmup.needed()
    monkeypatch.setenv(warmup.ENV_VAR, "1")
    assert warmup.needed()
    monkeypatch.setattr(warmup, "MODULES", ("sys",))
    assert not warmup.needed()
