"""The copy-memory task's layout and its memoryless baseline, exactly and empirically."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import expected_output

from rnnbook import copying as ct


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 16), delay=st.integers(1, 120), seed=st.integers(0, 2**32 - 1))
def test_layout(batch, delay, seed):
    inputs, targets = ct.copy_tokens(np.random.default_rng(seed), batch, delay)
    n = delay + 20
    assert inputs.shape == targets.shape == (batch, n)
    symbols = inputs[:, :10]
    assert symbols.min() >= 1 and symbols.max() <= 8
    assert np.all(inputs[:, 10 + delay - 1] == ct.DELIMITER)
    rest = np.delete(inputs[:, 10:], delay - 1, axis=1)
    assert np.all(rest == ct.BLANK)  # T - 1 blanks before the delimiter, 10 after
    assert np.all(targets[:, :-10] == ct.BLANK)
    assert np.array_equal(targets[:, -10:], symbols)


def test_one_hot_batch():
    x, y = ct.copy_batch(np.random.default_rng(0), 4, 20)
    tokens, _ = ct.copy_tokens(np.random.default_rng(0), 4, 20)
    assert x.shape == (4, 40, 10) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(x.argmax(-1), tokens) and np.all(x.sum(-1) == 1)


@pytest.mark.parametrize("delay", [1, 20, 50, 100, 1000])
def test_memoryless_baseline_is_exact(delay):
    assert ct.memoryless_baseline(delay) == 10 * math.log(8) / (delay + 20)
    _, targets = ct.copy_tokens(np.random.default_rng(delay), 500, delay)
    measured = ct.cross_entropy(ct.memoryless_log_probs(delay), targets)
    assert measured == pytest.approx(ct.memoryless_baseline(delay), rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=8, max_size=8))
def test_no_memoryless_guess_beats_uniform(weights):
    """Expected cross-entropy of any guess q over 8 equally likely symbols is >= ln 8."""
    q = np.asarray(weights) / np.sum(weights)
    assert -np.mean(np.log(q)) >= math.log(8) - 1e-12


def test_learned_frequencies_do_not_beat_the_baseline():
    """Fit per-step symbol frequencies on one batch, score another: no better than baseline."""
    delay = 20
    _, train = ct.copy_tokens(np.random.default_rng(1), 2000, delay)
    _, test = ct.copy_tokens(np.random.default_rng(2), 2000, delay)
    counts = np.stack([np.bincount(col, minlength=9) for col in train.T]) + 0.5
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    assert ct.cross_entropy(log_p, test) > ct.memoryless_baseline(delay)


def test_page_output():
    text = expected_output("benchmark/copy_task")
    inputs, targets = ct.copy_tokens(np.random.default_rng(0), 1, 5)
    assert f"input:  {ct.show(inputs[0])}" in text
    assert f"target: {ct.show(targets[0])}" in text
    for delay in (20, 50, 100):
        b = ct.memoryless_baseline(delay)
        assert f"T = {delay:3d}: formula {b:.4f}, measured on 10,000 sequences {b:.4f}" in text
    assert "formula 0.5199" in text and "formula 0.1733" in text
    assert "Recall accuracy without memory: 1/8 = 0.125" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ct.copy_tokens(None, 4, 10), TypeError, "numpy Generator"),
        (lambda: ct.copy_tokens(np.random.default_rng(0), 0, 10), ValueError, "batch must be >= 1"),
        (lambda: ct.copy_tokens(np.random.default_rng(0), 4, 0), ValueError, "delay must be >= 1"),
        (lambda: ct.copy_batch(np.random.default_rng(0), 4, 2.5), TypeError, "integer"),
        (lambda: ct.memoryless_baseline(-3), ValueError, "delay must be >= 1"),
        (lambda: ct.memoryless_log_probs(False), TypeError, "integer"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
