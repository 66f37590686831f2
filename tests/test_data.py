"""The offline datasets."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lrcourse import data

ROOT = Path(__file__).resolve().parents[1]


def test_digits_arrays_are_identical_to_scikit_learns() -> None:
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]  # no stubs

    bunch = load_digits()
    x, y = data.load_digits_arrays()
    assert x.dtype == bunch.data.dtype and x.shape == bunch.data.shape == (1797, 64)
    assert y.dtype == bunch.target.dtype
    np.testing.assert_array_equal(x, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_digits_arrays_are_fresh_copies() -> None:
    x, y = data.load_digits_arrays()
    x[0, 0], y[0] = -1.0, -1
    again, labels = data.load_digits_arrays()
    assert again[0, 0] == 0.0 and labels[0] == 0


def test_digits_file_lies_inside_the_installed_scikit_learn() -> None:
    spec = importlib.util.find_spec("sklearn")
    assert spec is not None and spec.submodule_search_locations
    assert data.digits_file().is_relative_to(Path(spec.submodule_search_locations[0]))


def test_digits_file_missing_scikit_learn_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="install scikit-learn"):
        data.digits_file()


def test_digits_do_not_import_scikit_learn() -> None:
    code = (
        "import sys; from lrcourse import data; data.digits(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_digits_shapes_and_types() -> None:
    split = data.digits()
    assert split.x_train.shape == (1347, 64)
    assert split.x_test.shape == (450, 64)
    assert split.x_train.dtype == torch.float32
    assert split.y_train.dtype == torch.int64
    assert split.n_classes == 10
    assert split.n_features == 64


def test_digits_standardized_on_training_rows() -> None:
    split = data.digits()
    mean = split.x_train.mean(0)
    std = split.x_train.std(0, unbiased=False)
    assert mean.abs().max() < 1e-5
    varying = std > 0
    assert torch.allclose(std[varying], torch.ones(int(varying.sum())), atol=1e-4)


def test_digits_split_is_stratified_and_seeded() -> None:
    a, b, c = data.digits(seed=0), data.digits(seed=0), data.digits(seed=1)
    assert torch.equal(a.x_test, b.x_test)
    assert not torch.equal(a.x_test, c.x_test)
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 47


def test_digits_class_subset_is_relabelled() -> None:
    split = data.digits(classes=[5, 6, 7, 8, 9], test_fraction=0.2)
    assert split.n_classes == 5
    assert set(split.y_train.tolist()) == {0, 1, 2, 3, 4}
    assert split.name == "digits 5,6,7,8,9"


@pytest.mark.parametrize("bad", [[], [1, 1], [3, 10]])
def test_digits_rejects_bad_classes(bad: list[int]) -> None:
    with pytest.raises(ValueError):
        data.digits(classes=bad)


def test_digits_rejects_bad_test_fraction() -> None:
    with pytest.raises(ValueError):
        data.digits(test_fraction=1.0)


def test_regression_critical_lr_separates_convergence_from_divergence() -> None:
    problem = data.regression(seed=0)
    x, y = problem.split.x_train, problem.split.y_train

    def full_batch_gd(lr: float, steps: int = 300) -> float:
        torch.manual_seed(0)
        model = torch.nn.Linear(x.shape[1], 1, bias=False)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            opt.step()
        return loss.item()

    assert full_batch_gd(0.95 * problem.critical_lr) < 1.0
    blown = full_batch_gd(1.05 * problem.critical_lr)
    assert not blown < 1e6  # inf, nan or huge


def test_regression_scale_multiplies_curvature() -> None:
    base = data.regression(scales=[1.0] * 8)
    scaled = data.regression(scales=[5.0] * 8)
    assert scaled.lipschitz / base.lipschitz == pytest.approx(25, rel=1e-4)
