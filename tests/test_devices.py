"""Device choice, thread sizing and seeding."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from lrcourse import devices
from tests.notebook_runner import execute_notebook


def test_pick_device_defaults_to_best_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(devices.ENV_VAR, raising=False)
    dev = devices.pick_device()
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    else:
        assert dev.type in ("mps", "cpu")


def test_env_var_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devices.ENV_VAR, "cpu")
    assert devices.pick_device() == torch.device("cpu")


def test_prefer_beats_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devices.ENV_VAR, "auto")
    assert devices.pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_device_falls_back_to_cpu_with_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devices.ENV_VAR, "cuda")
    with pytest.warns(UserWarning, match="not available"):
        assert devices.pick_device() == torch.device("cpu")


def test_unknown_device_name_warns() -> None:
    with pytest.warns(UserWarning, match="unknown device"):
        assert devices.pick_device("banana") == torch.device("cpu")


def test_describe_device_is_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(devices.ENV_VAR, "cpu")
    text = devices.describe_device()
    assert text.startswith("Live cells run on the CPU")
    assert "LRCOURSE_DEVICE=cpu" in text
    assert text.endswith(".")


def test_configure_threads_is_small_and_applied() -> None:
    before = torch.get_num_threads()
    try:
        assert devices.configure_threads() == devices.DEFAULT_THREADS
        assert torch.get_num_threads() == devices.DEFAULT_THREADS
        capped = devices.configure_threads(1000)
        assert capped == min(devices.available_cpus(), devices.MAX_THREADS)
        assert torch.get_num_threads() == capped
    finally:
        torch.set_num_threads(before)


def test_available_cpus_respects_affinity() -> None:

    assert 1 <= devices.available_cpus() <= len(os.sched_getaffinity(0))


def test_seed_everything_repeats_all_generators() -> None:
    def draw() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    devices.seed_everything(3)
    first = draw()
    devices.seed_everything(3)
    assert draw() == first


# ---- place and the training audit ----------------------------------------------------------
def _train(model: torch.nn.Module, steps: int, *, device: str = "cpu") -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(16, 20, device=device)
    for _ in range(steps):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()


def test_place_moves_and_marks_a_model_and_moves_tensors() -> None:
    model = torch.nn.Linear(3, 2)
    weight = model.weight
    assert devices.place(model, "cpu") is model and model.weight is weight
    assert all(getattr(p, devices.PLACED_ATTR) == "cpu" for p in model.parameters())
    t = devices.place(torch.ones(2), "cpu")
    assert t.device.type == "cpu"
    with pytest.raises(TypeError, match="cannot place a int"):
        devices.place(3)


def test_audit_records_training_runs_and_whether_place_was_used(tmp_path) -> None:
    log = tmp_path / "runs.jsonl"
    devices.start_audit(log)
    try:
        _train(devices.place(torch.nn.Linear(20, 10)), steps=6)  # through the helper
        _train(torch.nn.Linear(20, 10), steps=6)  # not placed: must be caught
        _train(torch.nn.Linear(20, 10), steps=3)  # too short to be a training run
        tiny = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([tiny], lr=0.1)
        for _ in range(10):  # a scheduler demo: a scalar and no gradients
            opt.step()
    finally:
        devices.stop_audit()
    runs = devices.read_audit(log)
    assert [r["placed"] for r in runs] == [True, False]
    assert all(r["devices"] == ["cpu"] and r["elements"] == 210 for r in runs)
    assert runs[0]["picked"] == str(devices.pick_device())
    _train(torch.nn.Linear(20, 10), steps=6)  # after stop_audit nothing more is written
    assert len(devices.read_audit(log)) == 2
    assert devices.read_audit(tmp_path / "missing.jsonl") == []


# ---- every lesson's training goes through the device helper ---------------------------------
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
#: lessons whose live training is audited, with whether they train in the kernel at all
AUDITED = {
    "01_start_here": False,
    "02_convergence": True,
    "03_param_groups": True,
    "04_parameter_specific": True,
    "05_schedulers": True,
    "06_capstone": True,
    "07_test_yourself": False,
    "08_at_scale": True,
}


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_training_run_of_a_lesson_uses_the_picked_device(path: Path, tmp_path: Path) -> None:
    """Run the lesson with an audit started in its kernel; every training run must have been
    put on ``pick_device()``'s device by ``place`` (on a CPU-only machine too: an unplaced
    model is caught by the missing mark, not only by its device)."""
    import nbformat

    if path.stem not in AUDITED:
        pytest.skip(f"{path.stem} has not opted in to the device audit (add it to AUDITED)")
    log = tmp_path / "runs.jsonl"
    nb = nbformat.read(path, as_version=4)
    start = f"import lrcourse.devices\nlrcourse.devices.start_audit({str(log)!r})"
    nb.cells.insert(0, nbformat.v4.new_code_cell(start))
    execute_notebook(nb, path.parent, tmp_path / "progress.sqlite3")
    runs = devices.read_audit(log)
    if AUDITED[path.stem]:
        assert runs, f"{path.stem} trains, but no training run was recorded"
    else:
        assert runs == [], f"{path.stem} was not expected to train in the kernel: {runs}"
    for run in runs:
        assert run["placed"], f"a {run['optimizer']} run did not go through devices.place: {run}"
        assert run["devices"] == [run["picked"]], f"trained off the picked device: {run}"
