"""A training loss near zero while the long-range target stays at chance."""

import mismatch as mm
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def results():
    torch.set_num_threads(1)
    return {T: mm.train(T) for T in mm.LENGTHS}


def test_task_targets():
    x, y = mm.short_and_long(16, 5, torch.Generator().manual_seed(0))
    assert x.shape == (16, 5, 2) and y.shape == (16, 5)
    assert torch.equal(y[:, 1:-1], x[:, :-2, 0]) and torch.equal(y[:, -1], x[:, 0, 0])
    assert torch.equal(x[:, :, 1], torch.tensor([0.0, 0, 0, 0, 1]).expand(16, 5))


def test_long_sequence_training_loss_looks_solved_but_long_target_is_at_chance(results):
    _, curve = results[30]
    end = curve[-1]
    assert end["loss"] < 0.05  # 95% below the baseline of 1...
    assert end["short"] < 1e-3 and end["short_acc"] == 1.0
    assert end["long"] > 0.95 and 0.45 < end["long_acc"] < 0.55  # ...the long target: chance
    # The training loss is just the long-range error diluted over T - 1 = 29 targets.
    assert end["loss"] == pytest.approx(end["long"] / 29, rel=0.05)


def test_short_sequence_learns_both(results):
    _, curve = results[10]
    assert curve[-1]["long"] < 0.01 and curve[-1]["long_acc"] == 1.0


def test_probing_the_training_loss_hides_the_vanishing_gradient(results):
    model, _ = results[30]
    whole, long_only = mm.probe_ratios(model, 30)
    assert whole > 1e-3  # the monitor's threshold would call this healthy
    assert long_only < 1e-8
    assert 1e7 < whole / long_only < 1e8  # "nearly eight orders of magnitude"


def test_page_output(results):
    text = expected_output("diagnosis/mismatch")
    for T, (model, curve) in results.items():
        cells = mm.row(T, model, curve)
        assert ", ".join(f"{h}: {v}" for h, v in zip(mm.HEADER, cells, strict=True)) in text
    assert "T: 30, training loss: 0.035, short-range error: 0.000, long-range error: 1.01" in text
    assert "long-range accuracy: 50%, early/late, training loss: 2.1e-02" in text
    assert "early/late, long-range loss: 4.0e-10" in text


def test_bad_length_is_rejected():
    with pytest.raises(ValueError, match="seq_len must be an integer >= 3"):
        mm.short_and_long(4, 2, torch.Generator())


def test_plot_is_byte_stable(tmp_path, results):
    curves = {T: c for T, (_, c) in results.items()}
    mm.plot(curves, str(tmp_path / "a.svg"))
    mm.plot(curves, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
