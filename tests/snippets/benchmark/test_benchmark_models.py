"""The benchmark's four models: parameter counts, shapes, the LRU's size, bad input."""

import pytest
import torch
from support import expected_output

from rnnbook import models as bm


def expected_count(kind: str, n_in: int, n_out: int) -> int:
    """Parameters by formula: gates x H x (n_in + H + 2 biases), plus the read-out."""
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    h = bm.HIDDEN[kind]
    return gates * h * (n_in + h + 2) + (h + 1) * n_out


@pytest.mark.parametrize("task", list(bm.TASK_SIZES))
def test_parameter_counts_match_the_formula_and_each_other(task):
    n_in, n_out = bm.TASK_SIZES[task]
    counts = {k: bm.count_parameters(bm.make_model(k, n_in, n_out)) for k in bm.KINDS}
    assert all(counts[k] == expected_count(k, n_in, n_out) for k in ("tanh", "lstm", "gru"))
    assert max(counts.values()) / min(counts.values()) < 1.04  # within 4% of each other


def test_printed_parameter_table():
    text = expected_output("benchmark/benchmark_models")
    for kind in ("tanh", "lstm", "gru"):
        adding, copy = (expected_count(kind, *bm.TASK_SIZES[t]) for t in ("adding", "copy"))
        assert f"{bm.LABELS[kind]:10s} {adding:7,d} {copy:7,d}  {bm.HIDDEN[kind]} units" in text
    assert "LRU " in text and "complex states" in text


@pytest.mark.parametrize("kind", bm.KINDS)
def test_one_output_per_step(kind):
    model = bm.make_model(kind, 10, 9)
    assert model(torch.zeros(3, 7, 10)).shape == (3, 7, 9)


def test_layers():
    assert isinstance(bm.make_model("lstm", 2, 1).rnn, torch.nn.LSTM)
    assert isinstance(bm.make_model("gru", 2, 1).rnn, torch.nn.GRU)
    tanh = bm.make_model("tanh", 2, 1).rnn
    assert isinstance(tanh, torch.nn.RNN) and tanh.nonlinearity == "tanh"
    lru = bm.make_model("lru", 2, 1)
    assert len(lru.blocks) == bm.LRU_LAYERS == 1
    radius = lru.blocks[0].lru.eigenvalues().abs()
    assert (radius < 1).all() and (radius > 0.89).all()  # the ring near the unit circle


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="unknown model kind 'elman'"):
        bm.Recurrent("elman", 2, 1)
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        bm.Recurrent("gru", 2, 1, hidden=0)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, steps, 2\)"):
        bm.make_model("tanh", 2, 1)(torch.zeros(3, 4))
