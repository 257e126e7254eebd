"""The benchmark's protocol: settings, early stop, divergence, determinism, bad input."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from rnnbook import benchmark as bt

TINY = bt.Settings(lengths=(5,), steps=200, batch=32, lr=0.03, eval_every=50, test_size=256)


def test_a_run_stops_once_solved_and_records_the_step():
    run = bt.train_run(bt.ADDING, "gru", 5, TINY, seed=0)
    assert run.solved_at is not None and run.curve[-1][0] == run.solved_at
    assert run.final < bt.SOLVED_FRACTION * run.baseline
    assert [step for step, _ in run.curve] == list(range(50, run.solved_at + 1, 50))


def test_a_run_that_does_not_solve_gets_the_whole_budget():
    settings = dataclasses.replace(TINY, steps=100, lr=1e-5)
    run = bt.train_run(bt.ADDING, "tanh", 5, settings, seed=0)
    assert run.solved_at is None and [s for s, _ in run.curve] == [50, 100]


def test_training_is_deterministic():
    a = bt.train_run(bt.ADDING, "tanh", 5, dataclasses.replace(TINY, steps=100), seed=3)
    b = bt.train_run(bt.ADDING, "tanh", 5, dataclasses.replace(TINY, steps=100), seed=3)
    assert a.curve == b.curve


def test_clipping_is_applied_only_to_the_named_models(monkeypatch):
    clipped = []
    monkeypatch.setattr(bt.nn.utils, "clip_grad_norm_", lambda params, norm: clipped.append(norm))
    settings = bt.Settings(lengths=(3,), steps=2, batch=4, eval_every=1, test_size=4, clip=0.5)
    for kind in ("tanh", "lstm", "gru", "lru"):
        bt.train_run(bt.ADDING, kind, 3, settings, seed=0)
    assert clipped == [0.5, 0.5]  # the tanh RNN's two steps


def nan_task() -> bt.Task:
    return dataclasses.replace(bt.ADDING, loss=lambda out, y: (out[:, -1, 0] - y).sum() * math.nan)


def test_a_diverged_run_stops_and_says_so():
    run = bt.train_run(nan_task(), "tanh", 5, TINY, seed=0)
    assert len(run.curve) == 1 and run.diverged and run.solved_at is None


def test_solved_at_is_the_first_scored_step_below_5_percent():
    run = bt.Run("lstm", 100, 0, 0.03, 4641, 1 / 6, [(50, 0.1), (100, 0.005), (150, 0.001)])
    assert run.solved_at == 100 and run.ratio == pytest.approx(0.006)


def test_the_same_seed_gives_every_model_the_same_batches(monkeypatch):
    seen = {}

    def recording(rng, batch, length):
        x, y = bt.ADDING.make_batch(rng, batch, length)
        seen.setdefault(current[0], []).append(y.copy())
        return x, y

    task = dataclasses.replace(bt.ADDING, make_batch=recording)
    settings = bt.Settings(lengths=(4,), steps=3, batch=5, eval_every=1, test_size=6)
    current = [None]
    for kind in ("tanh", "lru"):
        current[0] = kind
        bt.train_run(task, kind, 4, settings, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(seen["tanh"], seen["lru"], strict=True))


def test_the_control_puts_both_marks_in_the_last_ten_steps():
    x, _y = bt.ADDING_LATE.make_batch(np.random.default_rng(0), 200, 100)
    marked = np.argwhere(x[..., 1] == 1)
    assert (marked[:, 1] >= 90).all() and len(marked) == 400
    assert bt.ADDING_LATE.baseline(100) == bt.ADDING.baseline(100)


def test_test_sets_are_fixed_per_length():
    x1, _y1 = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 20)
    x2, _y2 = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 20)
    assert np.array_equal(x1, x2) and x1.shape == (bt.ADDING_SETTINGS.test_size, 20, 2)


def test_protocol_constants_the_page_states():
    assert bt.ADDING_SETTINGS.lengths == (20, 100) and bt.COPY_SETTINGS.lengths == (100,)
    assert bt.ADDING_SETTINGS.steps == 600 and bt.COPY_SETTINGS.steps == 400
    for settings in (bt.ADDING_SETTINGS, bt.COPY_SETTINGS):
        assert settings.batch == 32 and settings.seeds == (0, 1, 2, 3, 4)
        assert settings.clipped == ("tanh",) and settings.clip == 1.0
        assert settings.lr == bt.LEARNING_RATES and settings.eval_every == 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be a positive integer"),
        ({"batch": 2.0}, "batch must be a positive integer"),
        ({"lengths": (1, 20)}, "lengths must be integers >= 2"),
        ({"seeds": ()}, "seeds must be non-negative integers"),
        ({"lr": -0.1}, "lr must be a positive finite number"),
        ({"lr": math.inf}, "lr must be a positive finite number"),
        ({"lr": (("elman", 0.1),)}, "lr pairs must name model kinds"),
        ({"clip": 0}, "clip must be a positive finite number"),
        ({"steps": 110, "eval_every": 50}, "multiple of eval_every"),
        ({"clipped": ("rnn",)}, "unknown model kinds"),
    ],
)
def test_bad_settings_get_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bt.Settings(**kwargs)


def test_a_missing_rate_is_a_clear_error():
    with pytest.raises(ValueError, match="no learning rate for 'gru'"):
        bt.Settings(lr=(("lstm", 0.1),)).lr_for("gru")


@pytest.mark.parametrize("kinds", [(), ("rnn",), ("lstm", "elman")])
def test_run_benchmark_rejects_unknown_models(kinds):
    with pytest.raises(ValueError, match="kinds must be a non-empty selection"):
        bt.run_benchmark(bt.ADDING, TINY, kinds)


def test_adding_loss_reads_only_the_last_step():
    targets = torch.tensor([1.0, 0.5])
    outputs = torch.zeros(2, 6, 1)
    outputs[:, -1, 0] = torch.tensor([1.0, 1.0])
    assert bt.last_step_mse(outputs, targets).item() == pytest.approx(0.125)
    outputs[:, :-1] = 99.0  # earlier outputs do not count
    assert bt.last_step_mse(outputs, targets).item() == pytest.approx(0.125)


def test_copy_loss_and_accuracy():
    _, y = bt.COPY.make_batch(np.random.default_rng(0), 4, 5)
    targets = torch.from_numpy(y)
    perfect = torch.nn.functional.one_hot(targets, 9).float() * 50.0
    assert bt.per_step_cross_entropy(perfect, targets).item() < 1e-6
    assert bt.recall_accuracy(perfect, targets) == 1.0
    blank = torch.zeros(4, 25, 9)
    blank[..., 0] = 50.0  # always "blank": right for T + 10 steps, wrong at every recall
    assert bt.recall_accuracy(blank, targets) == 0.0
    assert bt.COPY.memoryless(y, 5) == pytest.approx(bt.COPY.baseline(5), rel=1e-12)
