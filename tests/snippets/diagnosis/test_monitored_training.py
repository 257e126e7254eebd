"""The complete training script: the monitor in an ordinary loop, in its three situations
(plain float32, float16 autocast with a GradScaler, gradient accumulation), for nn.RNN,
nn.LSTM and nn.GRU; and what the page quotes from the script's own run."""

import math
import os
import platform
import subprocess
import sys

import pytest
import torch
from support import generated_output, generated_values
from torch import nn

from rnnbook import monitor as gm
from rnnbook import monitored_training as mt
from rnnbook import recall


def tiny_batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The recall task, 6 steps, batch 8."""
    return recall.remember_first_bit(8, 6, data)


def tiny_model(layer: type[nn.Module], seed: int = 0) -> mt.LastStep:
    torch.manual_seed(seed)
    return mt.LastStep(layer(2, 8, batch_first=True), nn.Linear(8, 1))


SITUATIONS = {
    "plain": {},
    "float16 + GradScaler": {"amp": torch.float16, "init_scale": 2.0**24},
    "accumulation": {"micro_batches": 4},
}


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("situation", SITUATIONS)
def test_one_record_per_optimizer_step_in_every_situation(layer, situation):
    options = dict(SITUATIONS[situation])
    # A fused nn.LSTM has no float16 kernel on the CPU: probe every step, which runs unrolled.
    probe_every = 1 if (layer is nn.LSTM and "amp" in options) else 3
    monitor = mt.train(
        tiny_model(layer), tiny_batches, lr=0.01, steps=9, probe_every=probe_every, **options
    )
    assert len(monitor.losses) == len(monitor.grad_norms) == 9
    assert monitor.nonfinite_at is None and monitor.diagnose().name != "exploding"
    if "amp" in options:
        assert 1 <= len(monitor.skipped) < 9  # 2**24 overflows float16 at first
        assert min(monitor.probes) == len(monitor.skipped)  # the skipped probe is retried
    else:
        assert monitor.skipped == [] and sorted(monitor.probes) == [0, 3, 6]
    for norms in monitor.probes.values():
        assert norms.shape == (6,) and bool(torch.isfinite(norms).all())


def test_accumulation_gives_the_records_of_one_batch():
    """float64: 4 micro-batches of 2 and one batch of 8 train the same model the same way."""

    def batches(data):
        x, y = tiny_batches(data)
        return x.double(), y.double()

    runs = [
        mt.train(
            tiny_model(nn.GRU).double(),
            batches,
            lr=0.1,
            steps=4,
            optimizer="sgd",
            micro_batches=parts,
            probe_every=2,
        )
        for parts in (1, 4)
    ]
    whole, split = runs
    assert split.losses == pytest.approx(whole.losses, rel=1e-10)
    assert split.grad_norms == pytest.approx(whole.grad_norms, rel=1e-10)
    assert sorted(split.probes) == sorted(whole.probes) == [0, 2]
    for step in (0, 2):
        torch.testing.assert_close(split.probes[step], whole.probes[step], rtol=1e-10, atol=0)


def test_the_loop_stops_at_the_first_nan_without_stepping_on_it():
    model = tiny_model(nn.RNN)
    monitor = mt.train(model, tiny_batches, lr=1e4, steps=50, optimizer="sgd")
    assert monitor.nonfinite_at is not None and len(monitor.losses) == monitor.nonfinite_at + 1
    assert not math.isfinite(monitor.grad_norms[-1]) or not math.isfinite(monitor.losses[-1])
    assert monitor.diagnose().name == "exploding"


def test_stop_below_ends_a_solved_run():
    monitor = mt.train(tiny_model(nn.GRU), tiny_batches, lr=0.01, steps=40, stop_below=10.0)
    assert len(monitor.losses) == 10  # the first moment the last 10 losses can be averaged


def test_bad_arguments_are_rejected():
    model = tiny_model(nn.RNN)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        mt.train(model, tiny_batches, lr=0.1, steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="does not split into 3 equal parts"):
        mt.train(model, tiny_batches, lr=0.1, steps=1, micro_batches=3)
    with pytest.raises(ValueError, match="micro_batches must be a positive integer"):
        mt.train(model, tiny_batches, lr=0.1, steps=1, micro_batches=0)


def test_page_output():
    """What the page says about the script's run."""
    values = generated_values("diagnosis/monitored_training")
    assert values["seeds"] >= 5
    assert values["solved"] == values["healthy"] == values["seeds"]
    assert values["small_ratio"] >= 1  # a solved run whose ratio is below the threshold
    assert values["skipped"] >= 3
    text = generated_output("diagnosis/monitored_training")
    assert text.count(f"{mt.STEPS} records, {mt.STEPS // 10} probes") == 3
    assert text.count("diagnosis healthy") == 3
    assert "to 1e-5: True" in text


X86 = pytest.mark.skipif(
    platform.machine().lower() not in {"x86_64", "amd64"}, reason="x86 CPU kernels (oneDNN)"
)


@X86
def test_a_fused_lstm_has_no_float16_cpu_kernel():
    with pytest.raises(RuntimeError), torch.autocast("cpu", dtype=torch.float16):
        nn.LSTM(2, 4, batch_first=True)(torch.randn(2, 4, 2))


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_under_bfloat16_autocast_the_probe_step_differs_by_rounding_only(layer):
    """The unrolled layer computes its matrix products in bfloat16 under CPU autocast, as the
    fused layers do: it differs from float32 by bfloat16 rounding, not more."""
    torch.manual_seed(0)
    rnn, x = layer(2, 8, batch_first=True), torch.randn(4, 12, 2)
    exact, _ = rnn(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        unrolled, _, _ = gm.unrolled(rnn, x)
    assert 1e-5 < (unrolled.float() - exact).abs().max() < 0.05


@X86
def test_without_avx512_a_fused_lstm_has_no_bfloat16_kernel():
    code = (
        "import torch\n"
        "with torch.autocast('cpu', dtype=torch.bfloat16):\n"
        "    torch.nn.LSTM(2, 4)(torch.randn(3, 2, 2))\n"
    )
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "could not create a primitive" in result.stderr
