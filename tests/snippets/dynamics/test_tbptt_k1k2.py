"""TBPTT(k1, k2): exact where it should be, and what it costs."""

import pytest
import tbptt_k1k2 as tk
import torch
from support import expected_output


def full_bptt_gradient(length: int = 16) -> list[torch.Tensor]:
    """Plain BPTT over the whole stream, losses at every step (written independently)."""
    model, (x, y) = tk.Echo(), tk.stream(length)
    h, loss = torch.zeros(tk.BATCH, tk.HIDDEN), 0.0
    for t in range(length):
        h = model.cell(x[t], h)
        loss = loss + (model.readout(h) - y[t]).square().mean()
    loss.backward()
    return [p.grad for p in model.parameters()]


def test_one_window_over_everything_is_full_bptt():
    for a, b in zip(tk.first_gradient(16, 16), full_bptt_gradient(16), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_counts_follow_k1_and_k2():
    x, y = tk.stream(64)
    for k1, k2 in ((8, 8), (4, 16), (1, 4)):
        stats = tk.tbptt(tk.Echo(), x, y, k1, k2)
        windows = [min(end, k2) for end in range(k1, 65, k1)]
        assert stats["updates"] == 64 // k1
        assert stats["forward"] == stats["backward"] == sum(windows)


def test_memory_is_set_by_k2_not_by_the_stream_length():
    held = []
    for length in (64, 128):
        x, y = tk.stream(length)
        held.append(tk.tbptt(tk.Echo(), x, y, 16, 32)["bytes"])
    assert held[0] == held[1]
    state = tk.BATCH * tk.HIDDEN * 4
    assert held[0] == (32 + 1) * state + 16 * tk.BATCH * 4  # k2 + 1 states, k1 losses


def test_printed_table():
    lines = expected_output("dynamics/tbptt_k1k2").splitlines()[2:]
    rows = {ln[:15].strip(): ln[15:].split() for ln in lines}
    assert rows["full BPTT"][:3] == ["1", "256", "256"]
    assert rows["TBPTT(4, 32)"][:3] == ["64", "1936", "1936"]
    assert rows["TBPTT(4, 32)"][-3:] == ["29", "to", "32"]
    full = int(rows["full BPTT"][3].replace(",", ""))
    assert int(rows["TBPTT(32, 32)"][3].replace(",", "")) < full / 7


def test_bad_lengths_are_refused():
    x, y = tk.stream(8)
    with pytest.raises(ValueError, match="k2 >= k1 needed"):
        tk.tbptt(tk.Echo(), x, y, 4, 2)
    with pytest.raises(ValueError, match="k1 must be a positive integer"):
        tk.tbptt(tk.Echo(), x, y, 0, 2)
