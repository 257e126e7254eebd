"""The speed-up measurement: both methods agree, the table is computed right, bad input."""

import grad_speedup as gs
import pytest
from support import expected_output


def test_the_lengths_double():
    """T = 50, 100, 200: enough to see the gap widen with T (T = 400 cost 4 s per build)."""
    assert gs.LENGTHS == (50, 100, 200)


def test_both_methods_give_the_same_norms_on_short_sequences():
    rows = gs.measure(lengths=(3, 7), repeats=1)
    assert [row["T"] for row in rows] == [3, 7]
    for row in rows:
        assert row["gap"] < 1e-5
        assert row["one_pass_ms"] > 0 and row["many_passes_ms"] > 0


def test_the_printed_output_says_the_norms_agree_at_every_length():
    text = expected_output("vanishing/grad_speedup")
    for length in gs.LENGTHS:
        assert f"T = {length:3d}: one pass and {length} passes give the same norms" in text
    assert "DIFFERENT" not in text


def test_speedup_table_divides_the_slow_time_by_the_fast_one():
    rows = [
        {"T": 50, "one_pass_ms": 2.0, "many_passes_ms": 50.0, "gap": 0.0},
        {"T": 400, "one_pass_ms": 40.0, "many_passes_ms": 8000.0, "gap": 0.0},
    ]
    lines = gs.speedup_table(rows).splitlines()
    assert lines[0].startswith("| T | one backward pass (ms)")
    assert lines[2] == "| 50 | 2.0 | 50.0 | 25× |"
    assert lines[3] == "| 400 | 40.0 | 8000.0 | 200× |"


@pytest.mark.parametrize("length", [0, -3, 2.5, True])
def test_bad_lengths_are_refused(length):
    with pytest.raises(ValueError, match="length must be a positive integer"):
        gs.problem(length)


def test_bad_repeats_are_refused():
    cell, x = gs.problem(4)
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        gs.timed(gs.per_step_grad_norms, cell, x, 0)
