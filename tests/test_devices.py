"""Device choice, thread sizing and seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from lrcourse import devices


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
    import os

    assert 1 <= devices.available_cpus() <= len(os.sched_getaffinity(0))


def test_seed_everything_repeats_all_generators() -> None:
    def draw() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    devices.seed_everything(3)
    first = draw()
    devices.seed_everything(3)
    assert draw() == first
