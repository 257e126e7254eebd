"""The memory of BPTT, counted exactly, and what checkpointing buys."""

import pytest
import torch
from support import expected_output
from torch import nn

from rnnbook import bptt_memory as bm

STATE = bm.BATCH * bm.HIDDEN * 4  # bytes of one float32 state of the batch


@pytest.fixture(scope="module")
def rnn():
    torch.manual_seed(0)
    return nn.RNNCell(bm.INPUT, bm.HIDDEN)


@pytest.mark.parametrize("length", [1, 7, 64])
def test_full_bptt_keeps_every_state(rnn, length):
    assert bm.full_bptt_bytes(rnn, length) == (length + 1) * STATE


def test_memory_grows_with_h(rnn):
    per_step = {}
    for hidden in (8, 32, 128):
        cell = nn.RNNCell(bm.INPUT, hidden)
        per_step[hidden] = bm.full_bptt_bytes(cell, 9) - bm.full_bptt_bytes(cell, 8)
    assert per_step == {h: bm.BATCH * h * 4 for h in per_step}


def test_gated_cells_keep_more_per_step():
    rnn_step = bm.BATCH * bm.HIDDEN * 4
    for kind in (nn.GRUCell, nn.LSTMCell):
        cell = kind(bm.INPUT, bm.HIDDEN)
        per_step = bm.full_bptt_bytes(cell, 9) - bm.full_bptt_bytes(cell, 8)
        assert per_step >= 4 * rnn_step  # at least the gates' values


@pytest.mark.parametrize("segment", [4, 8, 16])
def test_checkpointing_holds_segment_starts_and_recomputes_one_segment(rnn, segment):
    held, one = bm.checkpointed_bytes(rnn, 64, segment)
    assert held == (64 // segment + 1) * STATE
    assert one == segment * STATE


def test_checkpointing_leaves_the_gradient_unchanged_and_reruns_the_segments(rnn):
    reference, steps_full = bm.gradients(rnn, 64, None)
    grads, steps = bm.gradients(rnn, 64, 8)
    assert all(torch.equal(a, b) for a, b in zip(reference, grads, strict=True))
    assert steps_full == 64
    assert steps == 64 + 64 - 64 // 8  # each segment re-run up to its last step


def test_printed_output(rnn):
    text = expected_output("dynamics/bptt_memory")
    assert "False" not in text.split("2. ")[0]  # every (T + 1) B H 4 check holds
    assert "bit for bit: True" in text
    rows = {
        int(r[0]): [int(v.replace(",", "")) for v in r[1:4]]
        for r in (ln.split() for ln in text.split("3. ")[1].splitlines()[2:])
        if r and r[0].isdigit()
    }
    peaks = {m: v[2] for m, v in rows.items()}
    best = min(peaks, key=peaks.get)
    assert best == 16  # sqrt(256)
    assert peaks[best] < 0.15 * bm.full_bptt_bytes(rnn, bm.LONG)


def test_bad_arguments_are_refused(rnn):
    with pytest.raises(TypeError, match=r"need an nn\.RNNCell"):
        bm.Stepper(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="length must be a positive integer"):
        bm.inputs(0)
    with pytest.raises(ValueError, match="segment must be a positive integer"):
        bm.checkpointed_forward(rnn, bm.inputs(4), 0)


def test_the_counter_leaves_out_what_it_is_told_to(rnn):
    x = bm.inputs(3)
    with bm.SavedBytes() as everything:
        bm.Stepper(rnn).run(x, torch.zeros(bm.BATCH, bm.HIDDEN))
    with bm.SavedBytes(exclude=[*rnn.parameters(), x]) as activations:
        bm.Stepper(rnn).run(x, torch.zeros(bm.BATCH, bm.HIDDEN))
    assert everything.bytes == activations.bytes + rnn.weight_hh.nbytes + x.nbytes
