"""Training helpers: train, sweep, lr_range_test, lr_trace."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from lrcourse import data, training


@pytest.fixture(scope="module")
def digits() -> data.Split:
    return data.digits()


def test_mlp_has_body_and_head() -> None:
    model = training.mlp(64, 10, hidden=(32, 16), norm=True, seed=0)
    assert [name for name, _ in model.named_children()] == ["body", "head"]
    assert isinstance(model.head, torch.nn.Linear) and model.head.in_features == 16
    assert any(isinstance(m, torch.nn.LayerNorm) for m in model.body)
    again = training.mlp(64, 10, hidden=(32, 16), norm=True, seed=0)
    assert torch.equal(model.head.weight, again.head.weight)


def test_train_learns_digits(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = training.train(model, opt, digits, epochs=5, device="cpu", progress=False, label="x")
    assert len(hist.epoch_loss) == 5
    assert len(hist.step_loss) == len(hist.step_lrs) == 5 * math.ceil(1347 / 64)
    assert hist.epoch_loss[-1] < hist.epoch_loss[0]
    assert hist.test_accuracy is not None and hist.test_accuracy > 0.85
    assert hist.accuracy == hist.test_accuracy
    assert not hist.diverged
    assert hist.device == "cpu"
    assert "accuracy" in hist.summary()


def test_train_reports_divergence_instead_of_raising(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=50.0)
    hist = training.train(model, opt, digits, epochs=5, device="cpu", progress=False)
    assert hist.diverged
    assert hist.diverged_at == len(hist.step_loss) - 1
    assert not math.isfinite(hist.final_loss)
    assert "diverged" in hist.summary()


def test_epoch_scheduler_order_matches_torch(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the step-order warning would fail the test
        hist = training.train(
            model, opt, digits, epochs=4, scheduler=sched, device="cpu", progress=False
        )
    assert hist.lrs(per="epoch") == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_batch_scheduler_steps_every_batch() -> None:
    x, y = torch.randn(40, 3), torch.randint(0, 2, (40,))
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 / (step + 1))
    hist = training.train(
        model,
        opt,
        (x, y),
        epochs=2,
        scheduler=sched,
        step_scheduler="batch",
        batch_size=10,
        device="cpu",
        progress=False,
    )
    assert hist.lrs() == pytest.approx([1 / (i + 1) for i in range(8)])


def test_train_records_every_group() -> None:
    model = training.mlp(8, 2, hidden=(4,), seed=0)
    opt = torch.optim.SGD(
        [{"params": model.body.parameters(), "lr": 0.01}, {"params": model.head.parameters()}],
        lr=0.1,
    )
    x, y = torch.randn(20, 8), torch.randint(0, 2, (20,))
    hist = training.train(model, opt, (x, y), epochs=1, batch_size=20, device="cpu", progress=False)
    assert hist.step_lrs == [[0.01, 0.1]]


def test_plateau_scheduler_gets_the_epoch_loss() -> None:
    x, y = torch.randn(20, 3), torch.randn(20, 1)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # the loss never improves
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    opt.param_groups[0]["lr"] = 0.0
    hist = training.train(
        model, opt, (x, y), epochs=3, scheduler=sched, device="cpu", progress=False
    )
    assert hist.train_accuracy is None  # regression: no accuracy
    assert len(hist.epoch_loss) == 3


def test_train_rejects_unknown_step_mode(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    with pytest.raises(ValueError):
        training.train(
            model,
            torch.optim.SGD(model.parameters()),
            digits,
            epochs=1,
            step_scheduler="sometimes",
            progress=False,
        )  # type: ignore[arg-type]


def test_sweep_starts_every_strategy_from_the_same_weights(digits: data.Split) -> None:
    same = training.lr_strategies([0.05])["lr=0.05"]
    strategies = {"a": same, "b": same}
    runs = training.sweep(
        lambda: training.mlp(), strategies, digits, epochs=1, device="cpu", progress=False
    )
    assert runs["a"].step_loss == runs["b"].step_loss
    assert runs["a"].label == "a"


def test_sweep_accepts_optimizer_scheduler_pairs(digits: data.Split) -> None:
    def strategy(model: torch.nn.Module) -> tuple[torch.optim.Optimizer, object]:
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return opt, torch.optim.lr_scheduler.StepLR(opt, 1, 0.1)

    runs = training.sweep(
        lambda: training.mlp(), {"s": strategy}, digits, epochs=2, device="cpu", progress=False
    )
    assert runs["s"].lrs(per="epoch") == pytest.approx([0.1, 0.01])


def test_lr_trace_uses_correct_order_without_warning() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = training.lr_trace(opt, sched, 4)
    assert [row[0] for row in trace] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_lr_range_test_restores_and_suggests(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.123, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = training.lr_range_test(model, opt, digits, device="cpu", progress=False)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
    assert opt.param_groups[0]["lr"] == 0.123
    assert not opt.state  # momentum buffers dropped again
    assert result.lrs == sorted(result.lrs)
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses)
    assert result.stopped_early  # lr 10 blows up this model
    assert result.suggested_lr == pytest.approx(result.min_loss_lr / 10)
    assert result.lrs[0] <= result.steepest_lr <= result.min_loss_lr
    assert 1e-3 < result.suggested_lr < 1.0
    assert "lr ≈" in result.explain()


def test_lr_range_test_suggestion_trains_well(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    result = training.lr_range_test(model, opt, digits, device="cpu", progress=False)
    for group in opt.param_groups:
        group["lr"] = result.suggested_lr
    hist = training.train(model, opt, digits, epochs=5, device="cpu", progress=False)
    assert hist.test_accuracy is not None and hist.test_accuracy > 0.9


def test_lr_range_test_validates_range(digits: data.Split) -> None:
    model = training.mlp(seed=0)
    with pytest.raises(ValueError):
        training.lr_range_test(
            model,
            torch.optim.SGD(model.parameters()),
            digits,
            start_lr=1.0,
            end_lr=0.1,
            progress=False,
        )
