"""Batched lr sweeps: each copy's curve equals an ordinary torch.optim run with the same seed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.optim import Optimizer

from lrcourse import data, sweeps, training
from lrcourse.training import History

DIGITS = data.digits(classes=[0, 1, 2, 3, 4], test_fraction=0.3)
Build = Callable[[nn.Module], Optimizer | tuple[Optimizer, training.Scheduler | None]]


def make_mlp() -> nn.Module:
    return training.mlp(64, 5, hidden=(32,))


def reference(
    make_model: Callable[[], nn.Module],
    builds: dict[str, Build],
    split: data.Split = DIGITS,
    **options: object,
) -> dict[str, History]:
    """The ordinary runs: ``training.sweep`` with real ``torch.optim`` optimizers."""
    return training.sweep(make_model, builds, split, progress=False, device="cpu", **options)  # type: ignore[arg-type]


def assert_same_curves(
    ref: dict[str, History], got: sweeps.Sweep, *, rtol: float = 1e-4, atol: float = 1e-6
) -> None:
    assert list(got) == list(ref)
    for label, want in ref.items():
        have = got[label]
        assert have.diverged == want.diverged and have.diverged_at == want.diverged_at, label
        assert len(have.step_loss) == len(want.step_loss), label
        finite = np.isfinite(want.step_loss)
        np.testing.assert_allclose(
            np.asarray(have.step_loss)[finite],
            np.asarray(want.step_loss)[finite],
            rtol=rtol,
            atol=atol,
            err_msg=label,
        )
        assert not np.isfinite(have.step_loss)[~finite].any(), label
        np.testing.assert_allclose(have.epoch_loss, want.epoch_loss, rtol=rtol, atol=atol)
        assert have.step_lrs == want.step_lrs and have.epoch_lrs == want.epoch_lrs, label
        assert have.test_accuracy == pytest.approx(want.test_accuracy, abs=1e-2), label


def sgd_builds(lrs: list[float], **kwargs: Any) -> dict[str, Build]:
    return {f"lr={lr:g}": _fixed(torch.optim.SGD, lr, kwargs) for lr in lrs}


def _fixed(kind: type[Optimizer], lr: float, kwargs: dict[str, Any]) -> Build:
    return lambda model: kind(model.parameters(), lr=lr, **kwargs)  # type: ignore[call-arg]


def _scheduled(
    kind: type[Optimizer],
    lr: float,
    kwargs: dict[str, Any],
    schedule: Callable[[Optimizer], torch.optim.lr_scheduler.LRScheduler],
) -> Build:
    def build(model: nn.Module) -> tuple[Optimizer, training.Scheduler]:
        optimizer = kind(model.parameters(), lr=lr, **kwargs)  # type: ignore[call-arg]
        return optimizer, schedule(optimizer)

    return build


def run_sweep(*args: Any, **kwargs: Any) -> sweeps.Sweep:
    """``lr_sweep`` on the CPU without a progress bar (the reference runs use the CPU too)."""
    kwargs.setdefault("device", "cpu")
    return sweeps.lr_sweep(*args, progress=False, **kwargs)


def test_sgd_with_momentum_matches_torch_optim_including_a_divergence() -> None:
    lrs = [0.003, 0.05, 30.0]
    ref = reference(make_mlp, sgd_builds(lrs, momentum=0.9, weight_decay=1e-3), epochs=2)
    got = run_sweep(make_mlp, lrs, DIGITS, epochs=2, momentum=0.9, weight_decay=1e-3)
    assert got.method == "matmul"
    assert ref["lr=30"].diverged, "the largest lr must diverge for this test to mean anything"
    assert_same_curves(ref, got)
    assert got.final_losses()[2] == math.inf
    assert got.best()[0] == 0.05


def test_nesterov_sgd_with_a_scheduler_factory_stepped_per_batch() -> None:
    lrs = [0.01, 0.1]

    def cosine(opt: Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)

    kwargs: dict[str, Any] = {"momentum": 0.8, "nesterov": True}
    builds = {f"lr={lr:g}": _scheduled(torch.optim.SGD, lr, kwargs, cosine) for lr in lrs}
    ref = reference(make_mlp, builds, epochs=2, step_scheduler="batch")
    got = run_sweep(
        make_mlp,
        lrs,
        DIGITS,
        epochs=2,
        momentum=0.8,
        nesterov=True,
        schedules=cosine,
        step_scheduler="batch",
    )
    assert_same_curves(ref, got)
    assert len(set(got["lr=0.1"].lrs())) > 10, "the lr really changed every step"


def test_adamw_matches_torch_optim_with_decoupled_decay_and_per_lr_schedules() -> None:
    lrs = [1e-3, 1e-2, 3e-3]
    kwargs: dict[str, Any] = {"weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}

    def step(opt: Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.3)

    halving = [1.0, 0.5, 0.25, 0.125]  # the ordinary loop also steps after the last epoch
    builds: dict[str, Build] = {
        "lr=0.001": _fixed(torch.optim.AdamW, 1e-3, kwargs),
        "lr=0.01": _scheduled(torch.optim.AdamW, 1e-2, kwargs, step),
        "lr=0.003": _scheduled(
            torch.optim.AdamW,
            3e-3,
            kwargs,
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, halving.__getitem__),
        ),
    }
    ref = reference(make_mlp, builds, epochs=3)
    got = run_sweep(
        make_mlp,
        lrs,
        DIGITS,
        epochs=3,
        optimizer="adamw",
        weight_decay=0.1,
        betas=(0.8, 0.99),
        eps=1e-6,
        schedules=[None, step, halving],
    )
    assert_same_curves(ref, got)
    assert got["lr=0.01"].lrs(per="epoch") == pytest.approx([1e-2, 3e-3, 9e-4])


def test_adamw_decay_is_decoupled_unlike_adams() -> None:
    lrs = [1e-2]
    for name, kind in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        ref = reference(make_mlp, {"lr=0.01": _fixed(kind, 1e-2, {"weight_decay": 0.5})}, epochs=1)
        got = run_sweep(make_mlp, lrs, DIGITS, epochs=1, optimizer=name, weight_decay=0.5)
        assert_same_curves(ref, got)
    adam = run_sweep(make_mlp, lrs, DIGITS, epochs=1, optimizer="adam", weight_decay=0.5)
    adamw = run_sweep(make_mlp, lrs, DIGITS, epochs=1, optimizer="adamw", weight_decay=0.5)
    assert adam["lr=0.01"].step_loss[-1] != pytest.approx(adamw["lr=0.01"].step_loss[-1])


def test_multipliers_equal_lambda_lr_and_are_checked_for_length() -> None:
    multipliers = [1.0, 0.1, 0.01]  # the ordinary loop steps after the last epoch too
    builds = {
        "lr=0.2": _scheduled(
            torch.optim.SGD,
            0.2,
            {},
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, multipliers.__getitem__),
        )
    }
    ref = reference(make_mlp, builds, epochs=2)
    got = run_sweep(make_mlp, [0.2], DIGITS, epochs=2, schedules=multipliers)
    assert_same_curves(ref, got)
    with pytest.raises(ValueError, match="need 4"):
        run_sweep(make_mlp, [0.2], DIGITS, epochs=4, schedules=multipliers)


def test_vmap_path_gives_the_same_curves_as_batched_matmuls() -> None:
    lrs = [0.02, 0.2]
    via_matmul = run_sweep(make_mlp, lrs, DIGITS, epochs=1, method="matmul")
    via_vmap = run_sweep(make_mlp, lrs, DIGITS, epochs=1, method="vmap")
    assert via_vmap.method == "vmap"
    for label in via_matmul:
        np.testing.assert_allclose(
            via_vmap[label].step_loss, via_matmul[label].step_loss, rtol=1e-5
        )


class Residual(nn.Module):
    """A model the batched-matmul plan cannot express, so ``auto`` falls back to vmap."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(64, 64)
        self.out = nn.Linear(64, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.out(x + torch.relu(self.inner(x)))
        return out


def test_any_model_falls_back_to_vmap_and_still_matches() -> None:
    ref = reference(Residual, sgd_builds([0.01, 0.05], momentum=0.5), epochs=1)
    got = run_sweep(Residual, [0.01, 0.05], DIGITS, epochs=1, momentum=0.5)
    assert got.method == "vmap"
    assert_same_curves(ref, got)
    with pytest.raises(ValueError, match="matmul"):
        run_sweep(Residual, [0.1], DIGITS, epochs=1, method="matmul")


def test_layer_norm_model_matches() -> None:
    def normed() -> nn.Module:
        return training.mlp(64, 5, hidden=(32, 16), norm=True)

    ref = reference(normed, sgd_builds([0.05, 0.3]), epochs=1)
    got = run_sweep(normed, [0.05, 0.3], DIGITS, epochs=1)
    assert got.method == "matmul"
    assert_same_curves(ref, got)


def test_full_batch_regression_around_the_critical_lr() -> None:
    problem = data.regression(seed=0)
    fractions = [0.5, 0.95, 1.05]
    lrs = [f * problem.critical_lr for f in fractions]

    def linear() -> nn.Module:
        return nn.Linear(8, 1, bias=False)

    n = len(problem.split.x_train)
    ref = reference(linear, sgd_builds(lrs), problem.split, epochs=40, batch_size=n)
    got = run_sweep(linear, lrs, problem.split, epochs=40, batch_size=n)
    assert_same_curves(ref, got, rtol=1e-4, atol=1e-6)
    final = got.final_losses(per="step")
    assert final[0] < 0.1 and final[1] < 1.0 and final[2] > 10 * final[1]


def test_bad_arguments_are_refused() -> None:
    def plateau(opt: Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt)

    def one_cycle(opt: Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)

    with pytest.raises(TypeError, match="ReduceLROnPlateau"):
        run_sweep(make_mlp, [0.1], DIGITS, epochs=1, schedules=plateau)
    with pytest.raises(ValueError, match="momentum"):
        run_sweep(make_mlp, [0.1], DIGITS, epochs=1, momentum=0.9, schedules=one_cycle)
    with pytest.raises(ValueError, match="one schedule per lr"):
        run_sweep(make_mlp, [0.1, 0.2], DIGITS, epochs=1, schedules=[None])
    with pytest.raises(ValueError, match="distinct label"):
        run_sweep(make_mlp, [0.1, 0.2], DIGITS, epochs=1, labels=["a", "a"])
    with pytest.raises(ValueError, match="at least one lr"):
        run_sweep(make_mlp, [], DIGITS, epochs=1)
    with pytest.raises(ValueError, match="optimizer"):
        run_sweep(make_mlp, [0.1], DIGITS, epochs=1, optimizer="rmsprop")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_sweep_runs_on_cuda_and_matches_the_cpu() -> None:
    lrs = [0.01, 0.1]
    on_gpu = sweeps.lr_sweep(make_mlp, lrs, DIGITS, epochs=1, device="cuda", progress=False)
    on_cpu = run_sweep(make_mlp, lrs, DIGITS, epochs=1, device="cpu")
    assert on_gpu["lr=0.1"].device.startswith("cuda")
    for label in on_cpu:
        np.testing.assert_allclose(on_gpu[label].step_loss, on_cpu[label].step_loss, rtol=1e-3)
