"""Clipping does nothing for a vanishing gradient: the claims of the page, five seeds."""

import clip_vanishing as cv
import pytest
from support import generated_output, generated_values

from rnnbook import recall as lrt
from rnnbook import recall_runs as rr


@pytest.fixture(scope="module")
def seed0():
    """Seed 0 without clipping and at 5, 60 steps: cheap, and enough to compare bit for bit."""
    return {max_norm: cv.train(max_norm, steps=60) for max_norm in (None, 5.0)}


def test_unclipped_run_is_the_vanishing_chapters_run(seed0):
    """Same model, data and optimiser as long_range_training.train: the same losses."""
    run, _ = seed0[None]
    assert run.losses == pytest.approx(lrt.train(cv.DISTANCE, steps=60), rel=1e-6)


def test_a_threshold_above_every_norm_changes_nothing_at_all(seed0):
    """The page: 5 is above every gradient norm of the unclipped runs, so it never fires."""
    largest = float(generated_values("fixes/clip_vanishing")["largest_norm"])
    assert largest < 5.0
    assert seed0[5.0][0].losses == seed0[None][0].losses  # bit for bit
    assert seed0[5.0][0].clipped == 0


def test_no_setting_solves_the_task_on_any_seed():
    values = generated_values("fixes/clip_vanishing")
    assert values["seeds"] == 5 and values["solved"] == 0
    for line in generated_output("fixes/clip_vanishing").splitlines()[2:5]:
        assert "| 0 of 5 |" in line
        median = float(line.split(" | ")[3].split(" ")[0])
        assert median > 0.9  # at the baseline of 1


def test_clipping_cannot_change_the_share_of_the_early_steps(seed0):
    for _, shares in seed0.values():
        assert max(shares.before) < 1e-5  # the step-1 part is a tiny fraction
        for before, after in zip(shares.before, shares.after, strict=True):
            assert after == pytest.approx(before, rel=1e-5)
    run, shares = cv.train(0.01, steps=20)
    assert run.clipped == 20  # fires at every step, and still:
    assert all(
        a == pytest.approx(b, rel=1e-5) for a, b in zip(shares.after, shares.before, strict=True)
    )


def test_the_protocol_is_recall_runs():
    assert cv.DISTANCE == rr.DISTANCE == 40
