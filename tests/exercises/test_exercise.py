"""Does the Exercise object behave as a notebook needs (hints, solution, assert, safety)?"""

from __future__ import annotations

import random
import runpy
import warnings
from pathlib import Path

import pytest
import torch

from lrcourse.exercises import exercise, list_exercises
from lrcourse.exercises.content import load_content
from lrcourse.exercises.notebook_api import Exercise
from lrcourse.exercises.submission import execute_source


def fresh(exercise_id: str) -> Exercise:
    return Exercise(load_content(exercise_id), exercise(exercise_id).judge)


def test_list_is_in_course_order_with_ids_and_titles() -> None:
    exs = list_exercises()
    assert [e.id for e in exs][:3] == ["lr-range-test", "two-lr-groups", "freeze-backbone"]
    assert len(exs) == 13 and all(e.title for e in exs)


def test_hint_ladder_advances_and_can_be_addressed() -> None:
    ex = fresh("step-decay")
    assert [ex.hint().title for _ in range(4)] == [
        "Hint 1 of 3",
        "Hint 2 of 3",
        "Hint 3 of 3",
        "Hint 3 of 3",
    ]
    assert ex.hint(1).message == ex.hints[0]


def test_last_hint_repeats_last_failed_check() -> None:
    ex = fresh("step-decay")
    ns = execute_source(
        "import torch\ndef make_scheduler(o):\n"
        "    return torch.optim.lr_scheduler.StepLR(o, 5, 0.5)\n"
    )
    assert not ex.check(ns["make_scheduler"], seed=1).passed
    assert any("epoch 5" in d for d in ex.hint(3).details)


def test_solution_and_assert_check() -> None:
    ex = fresh("per-group-decay")
    assert ex.solution_source.strip() in ex.solution().message
    ns = execute_source(ex.solution_source)
    ex.assert_check(ns["make_scheduler"])
    with pytest.raises(AssertionError, match="Not attempted"):
        ex.assert_check(lambda optimizer: None)
    assert ex.statement in ex._repr_markdown_()


def test_check_restores_torch_global_state() -> None:
    def vandal(optimizer: object) -> None:
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
        torch.manual_seed(0)
        random.seed(0)
        print("noise")
        warnings.warn("learner warning", stacklevel=1)
        raise RuntimeError("boom")

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    fb = exercise("step-decay").check(vandal)
    assert fb.status == "error"
    assert torch.get_default_dtype() == torch.float32
    assert torch.is_grad_enabled()
    assert torch.equal(torch.rand(3), expected)


def test_keyboard_interrupt_propagates() -> None:
    def interrupted(optimizer: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exercise("step-decay").check(interrupted)


def test_same_seed_same_verdict_and_hardcoded_answer_fails() -> None:
    ex = exercise("layerwise-lr-decay")
    hardcoded = execute_source(
        "def make_param_groups(model, base_lr, decay):\n"
        "    return [{'params': model.parameters(), 'lr': 1e-3}]\n"
    )["make_param_groups"]
    a, b = ex.check(hardcoded, seed=7), ex.check(hardcoded, seed=7)
    assert a == b and not a.passed


def test_check_records_attempts_but_not_stubs(_isolated_progress) -> None:
    from lrcourse.exercises import exercise
    from lrcourse.progress import ProgressStore

    ex = exercise("step-decay")
    ex.check(lambda optimizer: None)
    namespace: dict = {}
    exec(ex.solution_source, namespace)
    assert ex.check(namespace["make_scheduler"]).passed
    attempts = ProgressStore(_isolated_progress).attempts()
    rows = [(a.subject, a.topic, a.correct) for a in attempts]
    assert rows == [("step-decay", "exercises", True)]


def test_a_check_warns_when_the_answer_needs_a_value_from_another_cell() -> None:
    """What the notebook's check calls correct, the grader grades correct, or the check says
    why it will not: here the answer reads a tensor computed in another cell."""
    source = exercise("step-decay").solution_source.replace(
        "return torch.optim", "assert SCALE.numel() == 1\n    return torch.optim"
    )
    namespace = execute_source("import torch\nSCALE = torch.ones(1)\n" + source)
    namespace["__name__"] = "__main__"
    make_scheduler = namespace["make_scheduler"]
    make_scheduler.__globals__["__name__"] = "__main__"
    feedback = exercise("step-decay").check(make_scheduler, seed=1)
    assert feedback.passed
    assert "`SCALE` from another cell" in feedback.details[-1]
    clean = execute_source(exercise("step-decay").solution_source)
    assert not any(
        "another cell" in d
        for d in exercise("step-decay").check(clean["make_scheduler"], seed=1).details
    )


def test_an_outcome_raised_by_learner_code_is_never_a_pass() -> None:
    """In-process checks are forgeable by nature (the learner owns the kernel), but raising
    the checker's own outcome type does not count as passing."""
    source = (
        "from lrcourse.exercises.outcomes import Outcome\n"
        "class Correct(Outcome):\n    status = 'correct'\n"
        "def make_scheduler(optimizer):\n    raise Correct('ok')\n"
    )
    feedback = exercise("step-decay").check(execute_source(source)["make_scheduler"], seed=3)
    assert not feedback.passed and feedback.status == "error"


def test_under_an_autograder_a_regrade_words_its_message_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = (
        "import torch\n"
        "def make_scheduler(optimizer):\n"
        "    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)\n"
    )
    module = tmp_path / "answer.py"
    module.write_text(source)
    namespace = runpy.run_path(str(module))
    monkeypatch.setenv("LRCOURSE_AUTOGRADER", "1")
    monkeypatch.setenv("LRCOURSE_SEED_SECRET", "course-secret")
    first = exercise("step-decay").check(namespace["make_scheduler"])
    second = exercise("step-decay").check(namespace["make_scheduler"])
    assert first == second and not first.passed
    monkeypatch.setenv("LRCOURSE_SEED_SECRET", "another-secret")
    third = exercise("step-decay").check(namespace["make_scheduler"])
    assert third.title == first.title  # same mistake named, fixtures drawn anew


def test_a_class_whose_methods_are_stubs_is_not_attempted() -> None:
    stub = (
        "import torch\n"
        "class MomentumSGD(torch.optim.Optimizer):\n"
        "    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):\n"
        "        super().__init__(params, dict(lr=lr, momentum=momentum, "
        "weight_decay=weight_decay))\n"
        "    def step(self, closure=None):\n"
        "        ...\n"
    )
    in_kernel = exercise("momentum-sgd").check(execute_source(stub)["MomentumSGD"], seed=2)
    assert in_kernel.status == "not-attempted"
    from lrcourse.exercises import check_source

    assert check_source("momentum-sgd", stub, seed=2).status == "not-attempted"
