"""The two lesson-08 judges rest on facts about torch; these tests prove the facts on the specs
the judges draw, so a judge cannot silently test something weaker than its contract."""

from __future__ import annotations

import math
import random

import pytest
import torch
from torch import nn

from lrcourse.exercises.fixtures import build_batches, build_model, flat_parameters
from lrcourse.exercises.judges import load_all
from lrcourse.exercises.judges.at_scale import _reference_accumulation, _reference_amp
from lrcourse.exercises.observe import grad_norm

SEEDS = range(12)


def draw(exercise_id: str, seed: int) -> dict[str, object]:
    return load_all()[exercise_id].draw(random.Random(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_accumulated_mean_loss_gradient_is_the_large_batch_gradient(seed: int) -> None:
    spec = draw("accumulation-loop", seed)
    accum = int(str(spec["accum"]))
    model = build_model(spec)
    group = build_batches(spec, model)[:accum]
    x, y = torch.cat([b[0] for b in group]), torch.cat([b[1] for b in group])
    torch.autograd.backward(nn.functional.mse_loss(model(x), y))
    large_batch = grad_norm(list(model.parameters()))
    first_norm, _ = _reference_accumulation(spec)
    assert math.isclose(first_norm, large_batch, rel_tol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_amp_specs_clip_the_first_call_skip_the_overflow_and_leave_the_last_unclipped(
    seed: int,
) -> None:
    spec = draw("amp-clip-step", seed)
    calls = _reference_amp(spec)
    overflow, max_norm = int(str(spec["overflow"])), float(str(spec["max_norm"]))
    norms = [float(str(c["norm"])) for c in calls]
    assert norms[0] > max_norm  # the clip is active: an unclipped update is told apart
    assert norms[-1] < max_norm  # and inactive: a norm measured after clipping is told apart
    assert not math.isfinite(norms[overflow])
    before = calls[overflow - 1]["params"]
    assert calls[overflow]["params"] == before  # the overflowing step was skipped
    scales = [c["scale"] for c in calls]
    init = float(str(spec["init_scale"]))
    assert scales == [init if i < overflow else init / 2 for i in range(len(calls))]


@pytest.mark.parametrize("seed", SEEDS)
def test_amp_variants_differ_from_the_reference(seed: int) -> None:
    """Unclipped and clipped-before-unscaling runs end elsewhere, so the diagnoses can fire."""
    spec = draw("amp-clip-step", seed)
    final = _reference_amp(spec)[-1]["params"]
    for variant in ("none", "scaled"):
        assert _reference_amp(spec, variant)[-1]["params"] != final, variant
    assert flat_parameters(build_model(spec)) != final
