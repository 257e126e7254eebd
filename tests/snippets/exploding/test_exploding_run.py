"""The exploding run: NaN at the high learning rate, finite at the low one, and a clean API."""

import math

import exploding_run as er
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def fast() -> er.History:
    torch.set_num_threads(1)
    return er.train(lr=er.LR_HIGH, steps=er.STEPS)


@pytest.fixture(scope="module")
def slow() -> er.History:
    torch.set_num_threads(1)
    return er.train(lr=er.LR_LOW, steps=er.STEPS)


def test_high_learning_rate_reaches_nan_after_a_gradient_spike(fast):
    assert fast.diverged_at == 31
    assert len(fast.losses) == len(fast.grad_norms) == len(fast.lrs) == 32
    assert math.isnan(fast.losses[-1]) and math.isnan(fast.grad_norms[-1])
    assert all(math.isfinite(v) for v in fast.losses[:-1])
    # Calm, then a spike: the gradient norm jumps by more than 10^8 within three steps.
    assert max(fast.grad_norms[:29]) < 20
    assert fast.grad_norms[30] / fast.grad_norms[27] > 1e8
    # The recurrent matrix had drifted from its initial 1.1 to about 1.5 before the blow-up,
    # then one step of lr * (a gradient of a few hundred) threw it to about 18.
    assert fast.recurrent_norms[0] == pytest.approx(1.1, abs=1e-5)
    assert 1.45 < fast.recurrent_norms[28] < 1.6
    assert 100 < fast.grad_norms[29] < 1000 and 15 < fast.recurrent_norms[30] < 20


def test_ten_times_lower_learning_rate_stays_finite_and_learns(slow):
    assert slow.diverged_at is None
    assert len(slow.losses) == er.STEPS
    assert all(math.isfinite(v) for v in slow.losses + slow.grad_norms)
    first, last = sum(slow.losses[:20]) / 20, sum(slow.losses[-20:]) / 20
    assert first > 1.0 and last < 0.2
    assert max(slow.recurrent_norms) < 1.6
    assert min(slow.grad_norms) > 0.2 and max(slow.grad_norms) < 60  # the figure's range


def test_page_output_holds_these_numbers(fast, slow):
    text = expected_output("exploding/exploding_run")
    assert er.summary(f"lr = {er.LR_HIGH}", fast) in text
    assert er.summary(f"lr = {er.LR_LOW}", slow) in text
    assert "non-finite at step 31 (loss nan, gradient norm nan)" in text
    assert "last 20 steps: 0.14" in text
    assert "largest step lr*||g|| 8.4e+07" in text and "largest step lr*||g|| 5.7e-01" in text
    assert "  30  2.8e+07    8.4e+08        18.1\n" in text
    assert "seeds 1-7: non-finite at step 15, 41, 24, 42, 285, 142, None" in text


def test_other_seeds_blow_up_too():
    torch.set_num_threads(1)
    assert [er.train(lr=er.LR_HIGH, steps=60, seed=s).diverged_at for s in (1, 3)] == [15, 24]


def test_grad_norm_is_the_global_norm_before_clipping():
    """History.grad_norms is what clip_grad_norm_ returns: the norm before it clips."""
    torch.set_num_threads(1)
    plain = er.train(lr=er.LR_HIGH, steps=1)
    clipped = er.train(lr=er.LR_HIGH, steps=1, clip_norm=0.01)
    by_value = er.train(lr=er.LR_HIGH, steps=1, clip_value=1e-4)
    model = er.make_model(0)
    x, y = er.make_batch(er.BATCH, er.SEQ_LEN, torch.Generator().manual_seed(0))
    torch.nn.functional.mse_loss(model(x), y).backward()
    norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item()
    for h in (plain, clipped, by_value):
        assert h.grad_norms[0] == pytest.approx(norm, rel=1e-5)
        assert h.grad_norms[0] > 0.01


def test_clipping_changes_the_run_and_keeps_it_finite():
    torch.set_num_threads(1)
    clipped = er.train(lr=er.LR_HIGH, steps=60, clip_norm=1.0)
    assert clipped.diverged_at is None and len(clipped.losses) == 60
    assert er.train(lr=er.LR_HIGH, steps=60, clip_value=0.1).diverged_at is None


def test_schedule_sets_each_steps_learning_rate():
    torch.set_num_threads(1)
    h = er.train(lr=0.05, steps=4, lr_schedule=lambda step: 1.0 / (step + 1))
    assert h.lrs == pytest.approx([0.05, 0.025, 0.05 / 3, 0.0125])
    assert er.train(lr=0.05, steps=0).losses == []


def test_task_shapes_and_baseline():
    x, y = er.make_batch(4096, er.SEQ_LEN, torch.Generator().manual_seed(1))
    assert x.shape == (4096, er.SEQ_LEN, 1) and y.shape == (4096, 1)
    # The target has variance 1: answering 0 scores an MSE of about 1.
    assert y.pow(2).mean().item() == pytest.approx(1.0, abs=0.06)


def test_model_init_scale_is_the_recurrent_singular_value():
    model = er.make_model(3, hidden_size=16, init_scale=0.5)
    s = torch.linalg.svdvals(model.rnn.weight_hh_l0.detach())
    assert torch.allclose(s, torch.full((16,), 0.5), atol=1e-5)
    assert model.rnn.nonlinearity == "relu" and model.rnn.batch_first


def test_plot_is_byte_stable(tmp_path, fast, slow):
    runs = {"a": fast, "b": slow}
    er.plot(runs, str(tmp_path / "a.svg"))
    er.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.svg").stat().st_size < 200_000


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0, "steps": 5}, ValueError, "lr must be a positive"),
        ({"lr": float("nan"), "steps": 5}, ValueError, "lr must be a positive"),
        ({"lr": 0.1, "steps": -1}, ValueError, "steps must be a non-negative"),
        ({"lr": 0.1, "steps": 2.5}, ValueError, "steps must be a non-negative"),
        ({"lr": 0.1, "steps": 5, "clip_norm": 1.0, "clip_value": 1.0}, ValueError, "at most one"),
        ({"lr": 0.1, "steps": 5, "clip_norm": -1.0}, ValueError, "clip_norm must be"),
        ({"lr": 0.1, "steps": 5, "clip_value": 0}, ValueError, "clip_value must be"),
        ({"lr": 0.1, "steps": 5, "lr_schedule": 0.5}, TypeError, "lr_schedule"),
    ],
)
def test_bad_train_arguments_get_a_clear_error(kwargs, error, message):
    with pytest.raises(error, match=message):
        er.train(**kwargs)


def test_bad_task_and_model_arguments_get_a_clear_error():
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        er.make_batch(4, 0, torch.Generator())
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        er.make_batch(2.0, 5, torch.Generator())
    with pytest.raises(ValueError, match="init_scale must be positive"):
        er.make_model(0, init_scale=0.0)
