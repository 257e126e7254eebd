"""Short distances are learnt, long ones stay at the baseline: the numbers on the page."""

import itertools

import long_range_training as lrt
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def curves():
    torch.set_num_threads(1)
    return {T: lrt.train(T) for T in lrt.DISTANCES}


def test_short_distances_are_learnt_and_long_ones_are_not(curves):
    for T in (5, 10):
        assert lrt.window_means(curves[T])[-1] < 0.01
    for T in (20, 40):
        assert min(lrt.window_means(curves[T])) > 0.99  # never leaves the baseline


def test_early_gradient_share_falls_with_distance():
    ratios = [lrt.early_to_late_ratio(T) for T in lrt.DISTANCES]
    assert all(b < a / 10 for a, b in itertools.pairwise(ratios))
    assert ratios[2] < 1e-4 and ratios[3] < 1e-8  # T = 20 and T = 40, as the page says


def test_page_output(curves):
    text = expected_output("vanishing/long_range_training")
    for T, losses in curves.items():
        means = " ".join(f"{m:.2f}" for m in lrt.window_means(losses))
        ratio = lrt.early_to_late_ratio(T)
        assert f"T = {T:2d}: {means}   {ratio:.0e}\n" in text


def test_task():
    x, y = lrt.remember_first_bit(64, 7, torch.Generator().manual_seed(0))
    assert x.shape == (64, 7, 2) and y.shape == (64, 1)
    assert torch.equal(x[:, 0, 0:1], y) and set(y.flatten().tolist()) == {-1.0, 1.0}
    assert torch.all(x[:, 1:, 0] == 0) and torch.all(x[:, 0, 1] == 0)
    assert y.pow(2).mean().item() == 1.0  # the baseline: answering 0 scores exactly 1


def test_plot_is_byte_stable(tmp_path, curves):
    lrt.plot(curves, str(tmp_path / "a.svg"))
    lrt.plot(curves, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        lrt.remember_first_bit(4, 0, torch.Generator())
