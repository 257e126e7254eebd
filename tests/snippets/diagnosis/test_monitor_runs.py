"""The monitor names the exploding, the vanishing and the healthy runs correctly in every
seed, and the page's statements about them hold for this build's outputs."""

import math

import monitor_runs as mr
import pytest
from support import generated_output, generated_values

from rnnbook import monitor as gm


@pytest.fixture(scope="module")
def values() -> dict:
    return generated_values("diagnosis/monitor_runs")


def numbers(spread: str) -> list[float]:
    """'31 (15–42)' -> [31.0, 15.0, 42.0]"""
    return [float(v) for v in spread.replace("(", " ").replace(")", " ").replace("–", " ").split()]


def test_each_run_is_named_correctly_in_every_seed(values):
    assert values["seeds"] == len(mr.SEEDS) >= 5
    for kind in ("exploding", "vanishing", "healthy"):
        assert values[f"{kind}_named"] == values["seeds"], kind


def test_exploding_runs_are_flagged_before_their_nan(values):
    assert values["nan_seeds"] == values["warned_seeds"] == values["seeds"]
    _, low, _ = numbers(values["warning_steps"])
    assert low >= 1  # the spike rule fires before the first NaN in every seed
    _, _, high = numbers(values["nan_step"])
    assert high < mr.STEPS / 2


def test_spike_factor_sits_between_the_healthy_and_the_exploding_runs(values):
    """The sentence beside SPIKE_FACTOR: healthy runs jump far less, exploding ones far more."""
    assert float(values["healthy_jump_max"]) * 3 < gm.SPIKE_FACTOR
    assert float(values["exploding_jump_min"]) > 3 * gm.SPIKE_FACTOR


def test_vanishing_ratio_stays_far_below_the_threshold_and_the_loss_at_the_baseline(values):
    assert float(values["vanishing_ratio_max"]) < gm.VANISHING_RATIO / 1000
    assert min(numbers(values["vanishing_loss"])) > 0.95
    assert max(numbers(values["healthy_loss"])) < 0.05
    assert min(numbers(values["healthy_ratio"])) > 10 * gm.VANISHING_RATIO


def test_printed_diagnoses(values):
    text = generated_output("diagnosis/monitor_runs")
    for kind in ("exploding", "vanishing", "healthy"):
        assert f"named {kind} in {values['seeds']} of {values['seeds']} seeds" in text
        assert f"\n{kind}: {kind}: " in text  # seed 0's diagnosis, first word the verdict
    assert "and the loss is stuck" in text


def test_loop_stops_at_the_first_nan_without_stepping():
    monitor = mr.exploding_run(seed=1)  # the quickest to blow up of seeds 0-4
    assert monitor.nonfinite_at is not None
    assert len(monitor.losses) == monitor.nonfinite_at + 1
    assert not math.isfinite(monitor.losses[-1]) or not math.isfinite(monitor.grad_norms[-1])
    assert monitor.diagnose().name == "exploding"


def test_summary_table_and_plot_from_short_runs(tmp_path):
    runs = {kind: [run(seed, steps=12) for seed in (0, 1)] for kind, run in mr.RUNS.items()}
    lines, values = mr.summary(runs)
    assert len(lines) == 4 and values["seeds"] == len(mr.SEEDS)
    table = mr.table(runs)
    assert table.count("\n") == 2 + 3 and "| exploding |" in table
    mr.plot(runs, str(tmp_path / "a.svg"))
    mr.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
