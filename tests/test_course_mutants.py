"""Every mutant of every week's mistake catalog is caught, named correctly, and shown its own hint."""
import pytest

from framework.grading import list_weeks, load_week
from framework.grading.mutants import grade_mutant

MISTAKES = [(load_week(p), m) for p in list_weeks() for m in load_week(p).mistakes]


@pytest.mark.parametrize("week,mistake", MISTAKES, ids=[m.id for _, m in MISTAKES])
def test_mutant_is_caught_and_named(week, mistake):
    outcome = grade_mutant(week, mistake)
    f = outcome.result.failure
    assert not outcome.result.passed, f"{mistake.id}: the grader passed the mutant"
    assert f.method == mistake.method, f"{mistake.id}: named method {f.method}\n{outcome.result.details()}"
    assert mistake.quantity in f.quantity, f"{mistake.id}: named {f.quantity}"
    assert f.mistake == mistake.id and f.hint == mistake.hint, \
        f"{mistake.id}: showed hint of {f.mistake}\n{outcome.result.details()}"


def test_week1_catalog_covers_the_issue_list():
    ids = {m.id for m in load_week("week1").mistakes}
    assert {"fc-w-not-transposed", "fc-bias-averaged", "fc-delta-weights-overwrite",
            "fc-backward-accumulates", "sigmoid-derivative-of-x", "softmax-diagonal-only",
            "softmax-jacobian-transposed", "ce-missing-minus", "mse-factor-2",
            "fc-forward-without-bias", "fc-param-not-declared", "offset-row-major",
            "sgd-deltas-not-zeroed"} <= ids


def test_week2_catalog_covers_the_issue_list():
    ids = {m.id for m in load_week("week2").mistakes}
    assert {"conv-no-rot180", "conv-stride-ignored-backward", "conv-padding-off-by-one",
            "maxpool-route-to-all", "maxpool-wrong-index", "avgpool-no-division",
            "conv-delta-weights-overwrite", "conv-bias-not-summed-over-positions"} <= ids
