"""A training loss near its floor while the long-range target stays at chance, in every
seed; and a probe with the training loss that hides the vanishing long-range gradient."""

import mismatch as mm
import pytest
import torch
from support import generated_output, generated_values

from rnnbook.monitor import VANISHING_RATIO


@pytest.fixture(scope="module")
def values() -> dict:
    return generated_values("diagnosis/mismatch")


def numbers(spread: str) -> list[float]:
    """'50% (48%–51%)' -> [50.0, 48.0, 51.0]"""
    cleaned = spread.replace("%", " ").replace("(", " ").replace(")", " ").replace("–", " ")
    return [float(v) for v in cleaned.split()]


def test_task_targets():
    x, y = mm.short_and_long(16, 5, torch.Generator().manual_seed(0))
    assert x.shape == (16, 5, 2) and y.shape == (16, 5)
    assert torch.equal(y[:, 1:-1], x[:, :-2, 0]) and torch.equal(y[:, -1], x[:, 0, 0])
    assert torch.equal(x[:, :, 1], torch.tensor([0.0, 0, 0, 0, 1]).expand(16, 5))


def test_long_sequence_training_loss_looks_solved_but_long_target_is_at_chance(values):
    n = values["seeds"]
    assert n >= 5 and values["short_learned_30"] == n and values["long_chance_30"] == n
    assert max(numbers(values["loss_30"])) < 0.05  # 95% below the baseline of 1 ...
    assert min(numbers(values["long_30"])) > 0.9  # ... while the long target scores ~1
    assert max(numbers(values["short_30"])) < 0.01
    # The training loss is the long-range error diluted over T - 1 = 29 targets.
    loss, long = numbers(values["loss_30"])[0], numbers(values["long_30"])[0]
    assert loss == pytest.approx(long / 29, rel=0.1)


def test_short_sequence_learns_both(values):
    assert values["long_learned_10"] == values["short_learned_10"] == values["seeds"]
    assert max(numbers(values["long_10"])) < 0.05


def test_probing_the_training_loss_hides_the_vanishing_gradient(values):
    n = values["seeds"]
    assert values["whole_above_30"] == n  # the monitor would call this healthy
    assert values["long_below_30"] == n
    assert max(numbers(values["ratio_long_30"])) < VANISHING_RATIO / 1e4
    assert min(numbers(values["gap_30"])) > 1e5


def test_probe_ratios_on_an_untrained_model():
    torch.manual_seed(0)
    whole, long_only = mm.probe_ratios(mm.Tagger(), 30)
    assert whole > 1e3 * long_only  # h_1 feeds the target at t = 2 directly


def test_page_output(values):
    text = generated_output("diagnosis/mismatch")
    assert text.startswith("answering 0 scores 1 on every target")
    for T in mm.LENGTHS:
        assert f"T: {T}, training loss: {values[f'loss_{T}']}" in text


def test_bad_length_is_rejected():
    with pytest.raises(ValueError, match="seq_len must be an integer >= 3"):
        mm.short_and_long(4, 2, torch.Generator())
