"""Loop and parallel scan: same numbers (float64), the work counts, and the timing table's form.

No timing is asserted: the times depend on the machine and its load."""

import lru_scan as ls
import pytest
import torch
from support import expected_output


def test_model_and_selective_gaps_are_rounding_only():
    out_gap, grad_gap = ls.model_gaps(seed=3)
    assert out_gap < 1e-12 and grad_gap < 1e-10
    out_gap, grad_gap = ls.selective_gaps(seed=3)
    assert out_gap < 1e-12 and grad_gap < 1e-10


@pytest.mark.parametrize("T", [1, 2, 5, 16, 17, 100, 1024])
def test_work_counts(T):
    loop_steps, levels, scan_ops = ls.work(T)
    assert loop_steps == T
    assert 2**levels >= T and (levels == 0 or 2 ** (levels - 1) < T)
    # the scan's multiply-adds: every level touches all but the first d positions
    d, expected = 1, 0
    while d < T:
        expected += T - d
        d *= 2
    assert scan_ops == expected
    assert scan_ops <= T * levels


def test_timing_table_has_every_size_and_length(monkeypatch):
    monkeypatch.setattr(ls, "time_recurrence", lambda batch, N, T, scan: 0.002 if scan else 0.004)
    rows = ls.timing_table().splitlines()[2:]
    expected = [(n, T) for n, (_, _, top) in ls.SIZES.items() for T in ls.LENGTHS if top >= T]
    assert len(rows) == len(expected)
    assert all(row.endswith("| 4.0 | 2.0 | 2.0 |") for row in rows)


def test_time_recurrence_returns_positive_seconds():
    torch.set_num_threads(1)
    assert ls.time_recurrence(2, 3, 8, scan=True) > 0
    assert ls.time_recurrence(2, 3, 8, scan=False) > 0


def test_page_output():
    text = expected_output("linear/lru_scan")
    assert text.count(": True") == 4 and "False" not in text
    assert "  1024        1024          10            1024            9217" in text
