"""The monitor names the exploding, the vanishing and the healthy run correctly, on the same
runs the theory chapters show, and the page's table and thresholds hold these numbers."""

import math
from pathlib import Path

import exploding_run as er
import grad_monitor as gm
import monitor_runs as mr
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def runs() -> dict[str, gm.GradMonitor]:
    torch.set_num_threads(1)
    return {
        "exploding": mr.exploding_run(),
        "vanishing": mr.vanishing_run(),
        "healthy": mr.healthy_run(),
    }


def test_each_run_is_named_correctly(runs):
    for name, monitor in runs.items():
        diagnosis = monitor.diagnose()
        assert diagnosis.name == name
        assert diagnosis.first_aid == gm.SYMPTOMS[name].first_aid


def test_exploding_run_is_the_theory_chapters_run_and_is_caught_before_the_nan(runs):
    monitor = runs["exploding"]
    reference = er.train(lr=er.LR_HIGH, steps=er.STEPS)
    # Same model, data and optimiser; the unrolled cell differs from the fused kernel only
    # by float rounding, so the runs agree closely and end at the same step.
    assert monitor.nonfinite_at == reference.diverged_at == 31
    assert monitor.grad_norms[:29] == pytest.approx(reference.grad_norms[:29], rel=1e-3)
    # The spike test fires two steps before the NaN.
    step, factor = monitor.first_spike()
    assert step == 29 and f"{factor:.3g}" == "188"
    assert "jumped to 2e+02 at step 29, 188x the median" in monitor.diagnose().evidence
    assert len(monitor.nonfinite_params) == 6  # every parameter tensor


def test_vanishing_run_ratio_stays_far_below_the_threshold(runs):
    monitor = runs["vanishing"]
    assert monitor.nonfinite_at is None and len(monitor.losses) == mr.STEPS
    ratios = [(n[0] / n[-1]).item() for n in monitor.probes.values()]
    assert len(ratios) == mr.STEPS // gm.PROBE_EVERY and max(ratios) < 1e-6
    assert min(monitor.losses) > 0.9  # the loss never leaves the baseline
    assert monitor.first_spike() is None


def test_healthy_run_learns_without_spikes(runs):
    monitor = runs["healthy"]
    assert monitor.nonfinite_at is None and monitor.first_spike() is None
    assert sum(monitor.losses[-20:]) / 20 < 0.2
    assert monitor.early_to_late() > 100 * gm.VANISHING_RATIO


def test_spike_factor_sits_between_the_healthy_and_the_exploding_run(runs):
    """The sentence beside SPIKE_FACTOR: about 8x in the healthy run, 188x before the NaN."""
    _, healthy_jump = runs["healthy"].largest_jump()
    _, exploding_jump = runs["exploding"].first_spike()
    assert f"{healthy_jump:.0f}" == "8"
    assert healthy_jump < 10 < gm.SPIKE_FACTOR < exploding_jump
    assert "at most about 8x its recent median" in Path(gm.__file__).read_text(encoding="utf-8")


def test_page_output_and_table(runs):
    text = expected_output("diagnosis/monitor_runs")
    for label, monitor in runs.items():
        assert f"{label} run, {len(monitor.losses)} steps:\n  {monitor.diagnose()}\n" in text
        assert " | ".join(mr.row(label, monitor)).replace("**", "") in text
    assert "exploding | 32 | 0.935 → 2.78e+07 | 7.18e+08x (step 30)" in text
    assert "vanishing: ||dL/dh_1|| / ||dL/dh_T|| = 2.5e-09, below 1e-03." in text
    assert "healthy: largest jump 8.25x the recent median; early/late ratio 0.57." in text


def test_loop_stops_at_the_first_nan_without_stepping(runs):
    monitor = runs["exploding"]
    assert math.isnan(monitor.losses[-1]) and len(monitor.losses) == monitor.nonfinite_at + 1


def test_plot_is_byte_stable(tmp_path, runs):
    mr.plot(runs, str(tmp_path / "a.svg"))
    mr.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.svg").stat().st_size < 200_000
