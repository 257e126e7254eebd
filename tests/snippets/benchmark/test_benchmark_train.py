"""The shared training loop and reporting: protocol checks, determinism, files, bad input."""

import dataclasses
import math

import benchmark_train as bt
import numpy as np
import pytest
import torch
from support import expected_output


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest, and reproducibly, on one thread (as the snippets do)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TINY = bt.Settings(lengths=(5,), steps=200, batch=32, lr=0.01, eval_every=50, test_size=256)


def test_a_gated_model_learns_a_short_adding_problem():
    run = bt.train_run(bt.ADDING, "gru", 5, TINY, torch.device("cpu"))
    assert [step for step, _ in run.curve] == [50, 100, 150, 200]
    assert run.solved and run.solved_at == 200  # below 5% of 1/6 after 200 steps at T = 5
    assert run.parameters == 4589 and run.baseline == pytest.approx(1 / 6)


def test_training_is_deterministic():
    task = bt.ADDING
    a = bt.train_run(task, "tanh_clip", 5, TINY, torch.device("cpu"))
    b = bt.train_run(task, "tanh_clip", 5, TINY, torch.device("cpu"))
    assert a.curve == b.curve


def test_clipping_is_applied_only_to_the_named_models(monkeypatch):
    clipped = []
    monkeypatch.setattr(bt.nn.utils, "clip_grad_norm_", lambda params, norm: clipped.append(norm))
    settings = bt.Settings(
        lengths=(3,), steps=2, batch=4, eval_every=1, test_size=4, clip=0.5,
        clipped=("tanh_clip", "irnn"),
    )  # fmt: skip
    for kind in ("tanh", "tanh_clip", "irnn", "lstm"):
        bt.train_run(bt.ADDING, kind, 3, settings, torch.device("cpu"))
    assert clipped == [0.5] * 4  # two steps each for tanh_clip and irnn


def test_per_model_learning_rates():
    rates = tuple((kind, 0.001 * (i + 1)) for i, kind in enumerate(bt.KINDS))
    settings = bt.Settings(lr=rates)
    assert [settings.lr_for(k) for k in bt.KINDS] == [0.001, 0.002, 0.003, 0.004, 0.005]
    assert bt.Settings(lr=0.02).lr_for("gru") == 0.02


def test_pick_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bt.pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert bt.pick_device() == torch.device("cuda")


def nan_task() -> bt.Task:
    return dataclasses.replace(bt.ADDING, loss=lambda out, y: (out[:, -1, 0] - y).sum() * math.nan)


def test_a_diverged_run_stops_and_says_so():
    run = bt.train_run(nan_task(), "tanh", 5, TINY, torch.device("cpu"))
    assert len(run.curve) == 1 and run.diverged
    assert run.verdict == "diverged" and run.solved_at is None


def make_run(final: float, curve=None) -> bt.Run:
    curve = curve or [(50, 0.2), (100, final)]
    return bt.Run("lstm", 100, 0.03, 4641, 1 / 6, curve)


@pytest.mark.parametrize(
    ("final", "verdict"),
    [
        (0.008, "solved"),
        (0.0084, "partly learned"),
        (0.149, "partly learned"),
        (0.15, "not learned"),
        (0.3, "not learned"),
    ],
)
def test_verdicts_against_the_baseline(final, verdict):
    assert make_run(final).verdict == verdict


def test_solved_at_is_the_first_scored_step_below_5_percent():
    run = make_run(0.001, [(50, 0.1), (100, 0.005), (150, 0.02), (200, 0.001)])
    assert run.solved_at == 100 and run.solved


def test_progress_bar_is_silent_when_not_a_terminal(capsys):
    settings = bt.Settings(lengths=(3,), steps=2, batch=2, eval_every=1, test_size=2)
    bt.run_benchmark(bt.ADDING, settings, kinds=("gru",), device=torch.device("cpu"))
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_smoke_output():
    text = expected_output("benchmark/benchmark_train")
    assert "Smoke run: adding problem, T = 10, 300 steps, baseline MSE 1/6" in text
    for line in text.splitlines()[1:]:
        ratio, verdict = line.split("(")[1].rstrip(")").split(" of the baseline: ")
        expected = (
            "solved"
            if float(ratio) < 0.05
            else "not learned"
            if float(ratio) >= 0.9
            else "partly learned"
        )
        assert verdict == expected, line
    assert "GRU" in text and "solved" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be a positive integer"),
        ({"batch": 2.0}, "batch must be a positive integer"),
        ({"lengths": (1, 20)}, "lengths must be integers >= 2"),
        ({"lengths": ()}, "lengths must be integers >= 2"),
        ({"lr": -0.1}, "lr must be a positive finite number"),
        ({"lr": math.inf}, "lr must be a positive finite number"),
        ({"lr": (("gru", 0.1),)}, "must name every model kind once"),
        ({"clip": 0}, "clip must be a positive finite number"),
        ({"steps": 110, "eval_every": 50}, "multiple of eval_every"),
        ({"clipped": ("rnn",)}, "unknown model kinds"),
    ],
)
def test_bad_settings_get_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bt.Settings(**kwargs)


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


def test_memoryless_scores_on_the_test_set():
    _, y = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 100)
    assert bt.ADDING.memoryless(y, 100) == pytest.approx(1 / 6, abs=0.02)  # 1000 samples
    x1, y1 = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 20)
    x2, y2 = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 20)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert x1.shape == (1000, 20, 2)


def test_every_model_sees_the_same_batches(monkeypatch):
    seen = {}

    def recording(rng, batch, length):
        x, y = bt.ADDING.make_batch(rng, batch, length)
        seen.setdefault(current[0], []).append(y.copy())
        return x, y

    task = dataclasses.replace(bt.ADDING, make_batch=recording)
    settings = bt.Settings(lengths=(4,), steps=3, batch=5, eval_every=1, test_size=6)
    current = [None]
    for kind in ("tanh", "lstm"):
        current[0] = kind
        bt.train_run(task, kind, 4, settings, torch.device("cpu"))
    assert all(np.array_equal(a, b) for a, b in zip(seen["tanh"], seen["lstm"], strict=True))


def test_protocol_constants_the_page_states():
    for settings in (bt.ADDING_SETTINGS, bt.COPY_SETTINGS):
        assert settings.lengths == (20, 50, 100) and settings.batch == 32 and settings.seed == 0
        assert settings.clipped == ("tanh_clip", "irnn") and settings.clip == 1.0
        assert settings.lr == bt.LEARNING_RATES
    assert bt.ADDING_SETTINGS.steps == 1500 and bt.COPY_SETTINGS.steps == 400
    rates = dict(bt.LEARNING_RATES)
    assert rates["tanh"] == rates["tanh_clip"]  # clipping is the only difference


@pytest.mark.parametrize("kinds", [(), ("rnn",), ("lstm", "elman")])
def test_run_benchmark_rejects_unknown_models(kinds):
    with pytest.raises(ValueError, match="kinds must be a non-empty selection"):
        bt.run_benchmark(bt.ADDING, TINY, kinds=kinds)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_trains_on_the_gpu():
    run = bt.train_run(bt.ADDING, "gru", 5, TINY, torch.device("cuda"))
    assert len(run.curve) == 4
