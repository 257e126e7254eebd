"""Input-dependent decay keeps or erases on purpose: exact checks and the build's measurements."""

import numpy as np
import pytest
import selective_decay as sd
import torch
from support import generated_output, generated_values


def test_task_targets_the_latest_mark():
    x, y = sd.marked_values(np.random.default_rng(3), 200, length=30)
    assert x.shape == (200, 30, 2) and y.shape == (200,)
    assert torch.all(x[:, 0, 1] == 1)
    for row, target in zip(x, y, strict=True):
        latest = torch.nonzero(row[:, 1]).max()
        assert row[latest, 0] == target


def test_hand_set_rule_is_exact_and_its_gradient_is_one_then_zero():
    x, y = sd.marked_values(np.random.default_rng(4), 300)
    assert torch.equal(sd.hand_set_states(x)[-1][:, 0], y)
    marks, grads = sd.gradient_example()
    latest = max(i for i, m in enumerate(marks) if m == 1)
    assert grads[latest:].tolist() == [1.0] * (len(marks) - latest)
    assert grads[:latest].tolist() == [0.0] * latest


def test_decay_depends_on_the_input():
    torch.manual_seed(0)
    model = sd.Selective()
    with torch.no_grad():
        model.w.copy_(torch.tensor([0.0, 16.0], dtype=torch.float64))
        model.b.fill_(-8.0)
    x, _ = sd.marked_values(np.random.default_rng(5), 10)
    a = model.decay(x)[..., 0]
    marked = x[..., 1] == 1
    assert a[marked].max() < 0.01 and a[~marked].min() > 0.99


def test_page_claims():
    values = generated_values("linear/selective_decay")
    assert values["lti_error"] > 0.8  # fixed decays keep by age: close to predicting 0
    assert values["learned_median"] < 0.05
    text = generated_output("linear/selective_decay")
    assert "largest |h_T - y| = 0.0" in text
    seeds = [line for line in text.splitlines() if line.startswith("  seed ")]
    assert len(seeds) == len(sd.SEEDS) == values["seeds"]
    errors = [float(line.split("= ")[1].split(";")[0]) for line in seeds]
    assert max(errors) < 0.5  # every seed far below the time-invariant model's error
    keep = [float(line.rsplit("elsewhere ", 1)[1]) for line in seeds]
    assert min(keep) > 0.95  # learned: keep at unmarked steps


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match=r"\(batch, T, 2\)"):
        sd.hand_set_states(torch.ones(2, 5, 3))
    with pytest.raises(ValueError, match=r"\(batch, T, 2\)"):
        sd.Selective()(torch.ones(5, 2))
    with pytest.raises(ValueError, match="batch and length"):
        sd.marked_values(np.random.default_rng(0), 0)
