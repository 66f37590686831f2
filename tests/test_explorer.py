"""The schedule explorer: traces come from the real torch schedulers and the widget redraws."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim import lr_scheduler

from lrcourse.explorer import (
    FAMILIES,
    KINDS,
    PARAMS,
    ScheduleExplorer,
    family,
    family_trace,
    render_png,
    schedule_explorer,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _reference(make, lr: float, num_steps: int) -> list[float]:
    """Step a scheduler by hand in the documented order and record the lr each step used."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(num_steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_trace_of_the_right_length(kind):
    trace = family_trace(kind, num_steps=37)
    assert len(trace) == 37
    assert all(math.isfinite(x) and x >= 0 for x in trace)


def test_steplr_matches_torch_and_the_closed_form():
    trace = family_trace("steplr", {"lr": 0.1, "step_size": 2, "gamma": 0.5}, 6)
    assert trace == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    ref = _reference(lambda o: lr_scheduler.StepLR(o, 2, 0.5), 0.1, 6)
    assert trace == pytest.approx(ref)


def test_cosine_is_periodic_after_t_max():
    trace = family_trace("cosineannealinglr", {"lr": 1.0, "t_max": 4}, 9)
    assert [round(x, 3) for x in trace] == [1.0, 0.854, 0.5, 0.146, 0.0, 0.146, 0.5, 0.854, 1.0]


def test_warmup_cosine_matches_sequential_lr():
    trace = family_trace("warmup-cosine", {"lr": 1.0, "warmup_steps": 3, "start_factor": 0.1}, 7)
    assert [round(x, 3) for x in trace] == [0.1, 0.4, 0.7, 1.0, 0.854, 0.5, 0.146]


def test_onecycle_ignores_the_optimizer_lr():
    a = family_trace("onecyclelr", {"lr": 0.001, "max_lr": 0.1}, 10)
    b = family_trace("onecyclelr", {"lr": 0.5, "max_lr": 0.1}, 10)
    assert a == pytest.approx(b)
    assert [float(f"{x:.3g}") for x in a][:3] == [0.004, 0.052, 0.1]


def test_a_repeated_milestone_counts_twice_as_in_torch():
    got = family_trace("multisteplr", {"milestones": (3, 3), "gamma": 0.1, "lr": 1.0}, 5)
    ref = _reference(lambda o: lr_scheduler.MultiStepLR(o, [3, 3], 0.1), 1.0, 5)
    assert got == pytest.approx(ref) and got[3] == pytest.approx(0.01)


def test_multistep_and_restarts_match_torch():
    got = family_trace("multisteplr", {"milestones": (3, 5), "gamma": 0.1, "lr": 1.0}, 7)
    ref = _reference(lambda o: lr_scheduler.MultiStepLR(o, [3, 5], 0.1), 1.0, 7)
    assert got == pytest.approx(ref)
    got = family_trace("cosine-warm-restarts", {"lr": 1.0, "t_0": 2, "t_mult": 2}, 8)
    assert [round(x, 3) for x in got] == [1.0, 0.5, 1.0, 0.854, 0.5, 0.146, 1.0, 0.962]


def test_unknown_kind_and_parameter_are_rejected():
    with pytest.raises(ValueError, match="unknown scheduler kind"):
        family_trace("nope")
    with pytest.raises(ValueError, match="unknown parameter"):
        family_trace("steplr", {"gama": 0.5})


def test_css_classes_are_stable():
    w = schedule_explorer("steplr")
    assert isinstance(w, ScheduleExplorer)
    assert "lrc-explorer" in w._dom_classes
    assert "lrc-explorer-kind" in w.kind._dom_classes
    assert "lrc-explorer-plot" in w.plot._dom_classes
    assert "lrc-explorer-gamma" in w.sliders["gamma"]._dom_classes
    assert "lrc-explorer-step-size" in w.sliders["step_size"]._dom_classes
    assert "lrc-explorer-num-steps" in w.sliders["num_steps"]._dom_classes


def test_slider_change_recomputes_trace_title_and_png():
    w = schedule_explorer("steplr")
    before_png, before_title, n = w.plot.value, w.title, w.redraws
    assert bytes(before_png).startswith(PNG_MAGIC)
    w.sliders["gamma"].value = 0.2
    assert w.redraws == n + 1
    assert "gamma=0.2" in w.title and w.title != before_title
    assert bytes(w.plot.value) != bytes(before_png)
    assert w.trace == pytest.approx(family_trace("steplr", w.params))
    ref = _reference(lambda o: lr_scheduler.StepLR(o, 10, 0.2), 0.1, 60)
    assert w.trace == pytest.approx(ref)


def test_dropdown_swaps_sliders_and_redraws():
    w = schedule_explorer("steplr")
    hidden = w.sliders["gamma"]  # StepLR's gamma, about to be hidden
    w.kind.value = "exponentiallr"
    assert set(w.sliders) == {"lr", "num_steps", "gamma"}
    assert hidden not in w.slider_box.children
    assert tuple(w.slider_box.children) == tuple(w.sliders.values())
    w.set(gamma=0.9, num_steps=12)
    assert w.trace == pytest.approx([0.1 * 0.9**k for k in range(12)])
    assert w.title.startswith("ExponentialLR(gamma=0.9")
    # sliders of the hidden family no longer trigger redraws
    n = w.redraws
    hidden.value = 0.3
    assert w.redraws == n


def test_every_kind_builds_a_widget_with_one_slider_per_param_it_uses():
    for kind in KINDS:
        w = ScheduleExplorer(kind)
        base = {"lr"} if FAMILIES[kind].uses_base_lr else set()
        assert set(w.sliders) == {*base, "num_steps", *(p.name for p in PARAMS[kind])}
        assert w.trace and bytes(w.plot.value).startswith(PNG_MAGIC)


def test_onecycle_offers_no_base_lr_slider_and_max_lr_moves_the_curve():
    w = schedule_explorer("onecyclelr")
    assert "lr" not in w.sliders and "lr=" not in w.title.split(")")[-1]
    before = list(w.trace)
    w.sliders["max_lr"].value = 0.01
    assert max(w.trace) == pytest.approx(0.01) and max(before) == pytest.approx(0.1)
    assert "max_lr=0.01" in w.caption.value


def test_step_counted_sliders_stay_inside_the_run():
    w = schedule_explorer("multisteplr")
    w.set(num_steps=30)
    milestones = w.sliders["milestones"]
    assert milestones.max == 29 and max(milestones.value) <= 29
    milestones.value = (5, 200)  # asking for a milestone past the end is clamped
    assert max(w.params["milestones"]) <= 29
    w.kind.value = "steplr"
    w.set(num_steps=12)
    assert w.sliders["step_size"].max == 12 and w.sliders["step_size"].value <= 12
    w.set(num_steps=200)
    assert w.sliders["step_size"].max == 50  # the parameter's own limit again


def test_log_scale_switch_redraws_and_skips_zero_lrs():
    w = schedule_explorer("cosineannealinglr")
    w.set(t_max=20, num_steps=40)
    linear = bytes(w.plot.value)
    w.log_scale.value = True
    assert bytes(w.plot.value) != linear and "lrc-explorer-log" in w.log_scale._dom_classes
    png = render_png([1.0, 0.5, 0.0, 0.25], "t", log=True)
    assert png.startswith(PNG_MAGIC)


def test_one_registry_entry_per_family_and_one_place_for_unknown_kinds():
    assert set(FAMILIES) == set(KINDS) == set(PARAMS)
    assert family("steplr").label == "StepLR"
    with pytest.raises(ValueError, match="unknown scheduler kind 'nope'"):
        family("nope")
    with pytest.raises(ValueError, match="unknown scheduler kind 'nope'"):
        ScheduleExplorer("nope")


def test_display_publishes_a_note_then_the_widget(monkeypatch):
    import IPython.display

    published = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: published.append(obj))
    schedule_explorer()._ipython_display_()
    note, widget = published
    assert "Schedule explorer" in note["text/plain"] and "run this cell" in note["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in widget
