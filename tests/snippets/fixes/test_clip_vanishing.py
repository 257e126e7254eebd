"""Clipping does nothing for a vanishing gradient: the numbers on the page."""

import clip_vanishing as cv
import long_range_training as lrt
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def runs():
    torch.set_num_threads(1)
    return {max_norm: cv.train(max_norm) for max_norm in cv.THRESHOLDS}


def test_unclipped_run_is_the_vanishing_chapters_run(runs):
    """Same model, data and optimiser as long_range_training.train: the same losses."""
    assert runs[None]["loss"] == pytest.approx(lrt.train(cv.DISTANCE), rel=1e-6)


def test_a_threshold_above_every_norm_changes_nothing_at_all(runs):
    assert max(runs[None]["norm"]) < 5.0
    assert runs[5.0]["loss"] == runs[None]["loss"]  # bit for bit


def test_clipping_that_fires_leaves_the_loss_at_the_baseline(runs):
    assert all(n > 0.01 for n in runs[0.01]["norm"])  # clipped at every step
    for max_norm in (1.0, 0.01):
        assert min(runs[max_norm]["loss"][-50:]) > 0.9


def test_clipping_cannot_change_the_share_of_the_early_steps(runs):
    for r in runs.values():
        assert max(r["share_before"]) < 1e-6  # the step-1 part is a millionth or less
        for before, after in zip(r["share_before"], r["share_after"], strict=True):
            assert after == pytest.approx(before, rel=1e-5)


def test_page_output(runs):
    text = expected_output("fixes/clip_vanishing")
    for max_norm, r in runs.items():
        assert " | ".join(cv.row(max_norm, r, runs[None])) + "\n" in text
    assert "clip_grad_norm_(5) | 0 of 300 | 1.004 | yes |" in text
    assert "clip_grad_norm_(0.01) | 300 of 300 |" in text
    assert f"largest gradient norm of the unclipped run: {max(runs[None]['norm']):.2f}" in text


def test_plot_is_byte_stable(tmp_path, runs):
    cv.plot(runs, str(tmp_path / "a.svg"))
    cv.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
