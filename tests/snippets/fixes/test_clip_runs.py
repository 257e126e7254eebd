"""The exploding run stabilised by clipping: the table's seed-0 column, recomputed."""

import math

import clip_runs as cr
import exploding_run as er
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def seed0():
    torch.set_num_threads(1)
    return {label: er.train(steps=er.STEPS, seed=0, **kw) for label, kw in cr.SETTINGS.items()}


def test_without_clipping_the_run_turns_nan_and_with_clipping_it_does_not(seed0):
    assert seed0["no clipping"].diverged_at == 31
    for label in ("clip_grad_norm_(1)", "clip_grad_norm_(5)", "clip_grad_value_(0.1)"):
        h = seed0[label]
        assert h.diverged_at is None and len(h.losses) == er.STEPS
        # The gradient still spikes: clipping limits the step, not the gradient.
        assert max(h.grad_norms) > 50


def test_clipping_at_one_learns_best_of_the_clipped_settings(seed0):
    losses = {label: cr.final_loss(h) for label, h in seed0.items() if label != "no clipping"}
    assert losses["clip_grad_norm_(1)"] < 0.25
    assert losses["clip_grad_norm_(1)"] < losses["clip_grad_norm_(5)"]
    assert losses["clip_grad_norm_(1)"] < losses["clip_grad_value_(0.1)"]
    share = cr.clipped_share(seed0["clip_grad_norm_(1)"], cr.SETTINGS["clip_grad_norm_(1)"])
    assert share > 0.9  # at max_norm 1 nearly every step is clipped
    assert math.isnan(cr.final_loss(seed0["no clipping"]))


def test_page_table_holds_the_seed0_numbers(seed0):
    text = expected_output("fixes/clip_runs")
    assert " | ".join(cr.HEADER) in text
    for label, h in seed0.items():
        cell = f"NaN at {h.diverged_at}" if h.diverged_at is not None else f"{cr.final_loss(h):.3f}"
        assert f"\n{label} | {cell} | " in text
    assert "no clipping | NaN at 31 | NaN at 15 |" in text
    assert "clip_grad_norm_(1) | 0.201 | 0.211 |" in text


def test_plot_is_byte_stable(tmp_path, seed0):
    runs = {label: [h] for label, h in seed0.items()}
    cr.plot(runs, str(tmp_path / "a.svg"))
    cr.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_the_pages_reading_of_the_table():
    rows = expected_output("fixes/clip_runs").splitlines()[1:]
    table = {r.split(" | ")[0]: r.split(" | ")[1:] for r in rows}
    clipped = ("clip_grad_norm_(1)", "clip_grad_norm_(5)", "clip_grad_value_(0.1)")
    n = len(cr.SEEDS)
    losses = {label: [float(v) for v in table[label][:n]] for label in clipped}  # all finite
    for seed in range(n):
        best = losses["clip_grad_norm_(1)"][seed]
        assert best < losses["clip_grad_norm_(5)"][seed]
        assert best < losses["clip_grad_value_(0.1)"][seed] / 2  # "far worse"
    assert all(v.startswith("NaN") for v in table["no clipping"][:n])
