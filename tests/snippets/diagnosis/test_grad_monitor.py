"""The monitor: its hooks read the exact per-step gradients during an ordinary backward pass
(checked against an independent float64 reference for nn.RNN, nn.LSTM and nn.GRU), the
probe step is the training step, mixed precision and gradient accumulation are handled,
the verdict rules, and the clear errors for wrong use. Training runs: test_monitor_runs.py."""

import math

import pytest
import torch
from support import expected_output, generated_output
from torch import nn

from rnnbook import monitor as gm
from rnnbook import recall as lrt

LAYERS = [nn.RNN, nn.LSTM, nn.GRU]
CELLS = {nn.RNN: nn.RNNCell, nn.LSTM: nn.LSTMCell, nn.GRU: nn.GRUCell}


def stacked_reference(rnn, x, loss_fn):
    """||dL/dh_t|| of layer 0 through torch's own cells (one per layer) and autograd.grad."""
    options = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, nn.RNN) else {}
    cells = []
    for layer in range(rnn.num_layers):
        size = rnn.input_size if layer == 0 else rnn.hidden_size
        cell = CELLS[type(rnn)](size, rnn.hidden_size, **options).to(x.dtype)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            setattr(cell, name, getattr(rnn, f"{name}_l{layer}"))
        cells.append(cell)
    seq = x if rnn.batch_first else x.transpose(0, 1)
    states, first = [], []
    hc = [(seq.new_zeros(len(seq), rnn.hidden_size),) * 2 for _ in cells]
    for t in range(seq.shape[1]):
        inp = seq[:, t]
        for layer, cell in enumerate(cells):
            if isinstance(cell, nn.LSTMCell):
                hc[layer] = cell(inp, hc[layer])
            else:
                hc[layer] = (cell(inp, hc[layer][0]),) * 2
            inp = hc[layer][0]
            if layer == 0:
                first.append(inp)
        states.append(inp)
    output = torch.stack(states, dim=1)
    loss = loss_fn(output if rnn.batch_first else output.transpose(0, 1))
    return torch.stack([g.norm() for g in torch.autograd.grad(loss, first)])


def hooked(rnn, x, loss_fn, **monitor_options):
    """What the monitor records for layer 0 during an ordinary backward pass."""
    monitor = gm.GradMonitor(rnn, **monitor_options)
    with monitor.probe():
        output, _ = rnn(x)
    loss = loss_fn(output)
    loss.backward()
    monitor.record(loss)
    return monitor


def last_step_loss(output):
    """A loss at the last step only (batch-first output)."""
    return output[:, -1].pow(2).mean()


def every_step_loss(output):
    """A loss that reads every step, so every h_t gets a direct gradient too."""
    return output.sin().mean()


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("loss_fn", [last_step_loss, every_step_loss])
def test_hooked_norms_equal_an_independent_float64_reference(layer, num_layers, loss_fn):
    torch.manual_seed(0)
    rnn = layer(3, 8, num_layers=num_layers, batch_first=True).double()
    x = torch.randn(4, 12, 3, dtype=torch.float64)
    monitor = hooked(rnn, x, loss_fn)
    reference = stacked_reference(rnn, x, loss_fn)
    assert monitor.probes[0].shape == (12,)
    torch.testing.assert_close(monitor.probes[0], reference, rtol=1e-10, atol=0)


def test_relu_rnn_and_the_snippets_own_check():
    torch.manual_seed(0)
    rnn = nn.RNN(2, 8, nonlinearity="relu", batch_first=True).double()
    readout = nn.Linear(8, 1).double()
    x = torch.randn(4, 10, 2, dtype=torch.float64)
    torch.testing.assert_close(
        gm.hooked_norms(rnn, x, readout), gm.reference_norms(rnn, x, readout), rtol=1e-10, atol=0
    )


@pytest.mark.parametrize("layer", LAYERS)
def test_the_probe_step_is_the_training_step(layer):
    """Unrolled with the same parameters: same output, same final state, same gradients."""
    torch.manual_seed(0)
    rnn = layer(3, 8, num_layers=2, batch_first=False).double()
    x = torch.randn(7, 4, 3, dtype=torch.float64)  # (T, batch, input)
    h0 = torch.randn(2, 4, 8, dtype=torch.float64)
    hx = (h0, torch.randn(2, 4, 8, dtype=torch.float64)) if layer is nn.LSTM else h0
    fused_out, fused_h = rnn(x, hx)
    fused_out.sin().sum().backward()
    fused_grads = [p.grad.clone() for p in rnn.parameters()]
    rnn.zero_grad()
    monitor = gm.GradMonitor(rnn)
    with monitor.probe():
        out, h_n = rnn(x, hx)
    out.sin().sum().backward()
    torch.testing.assert_close(out, fused_out, rtol=1e-12, atol=1e-12)
    pairs = zip(h_n, fused_h, strict=True) if layer is nn.LSTM else [(h_n, fused_h)]
    for mine, theirs in pairs:
        torch.testing.assert_close(mine, theirs, rtol=1e-12, atol=1e-12)
    for p, g in zip(rnn.parameters(), fused_grads, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=1e-10, atol=1e-12)
    assert "forward" not in vars(rnn)  # the fused forward is back


def test_probe_restores_the_forward_after_an_error_and_skips_other_steps():
    rnn = nn.GRU(2, 4, batch_first=True)
    monitor = gm.GradMonitor(rnn)
    with pytest.raises(RuntimeError), monitor.probe():
        assert "forward" in vars(rnn)
        rnn(torch.randn(2, 3, 5))  # wrong input size
    assert "forward" not in vars(rnn)
    monitor.probes[0] = torch.ones(3)  # pretend step 0 was probed and recorded
    monitor.losses.append(1.0)
    with monitor.probe():
        assert "forward" not in vars(rnn)  # step 1 is not a probe step


def test_one_record_per_optimizer_step_with_accumulation():
    """Four micro-batches of 2 give the records of one batch of 8 (float64, exact)."""
    torch.manual_seed(0)
    rnn, readout = nn.LSTM(2, 6, batch_first=True).double(), nn.Linear(6, 1).double()
    model = nn.ModuleDict({"rnn": rnn, "readout": readout})
    x, y = torch.randn(8, 9, 2, dtype=torch.float64), torch.randn(8, 1, dtype=torch.float64)
    records = []
    for parts in (1, 4):
        monitor = gm.GradMonitor(model)
        for _ in range(3):  # three optimizer steps without updates
            model.zero_grad()
            total = 0.0
            for xp, yp in zip(x.chunk(parts), y.chunk(parts), strict=True):
                with monitor.probe():
                    out, _ = rnn(xp)
                loss = nn.functional.mse_loss(readout(out[:, -1]), yp) / parts
                loss.backward()
                total += loss.item()
            monitor.record(total)
        records.append(monitor)
    whole, split = records
    assert len(split.losses) == len(split.grad_norms) == 3 and list(split.probes) == [0]
    assert split.losses == pytest.approx(whole.losses, rel=1e-12)
    assert split.grad_norms == pytest.approx(whole.grad_norms, rel=1e-12)
    torch.testing.assert_close(split.probes[0], whole.probes[0], rtol=1e-12, atol=0)


def amp_run(layer, amp, scaler=None, steps=12):
    """A few steps on one fixed batch, every step a probe; lr 0, so weights never change."""
    torch.manual_seed(0)
    rnn, readout = layer(2, 16, batch_first=True), nn.Linear(16, 1)
    model = nn.ModuleDict({"rnn": rnn, "readout": readout})
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(8, 20, 2, generator=g), torch.randn(8, 1, generator=g)
    monitor = gm.GradMonitor(model, scaler=scaler, probe_every=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    scaler = scaler or torch.amp.GradScaler("cpu", enabled=False)
    for _ in range(steps):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None):
            with monitor.probe():
                out, _ = rnn(x)
            prediction = readout(out[:, -1])
        loss = nn.functional.mse_loss(prediction.float(), y)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        monitor.record(loss)
        scaler.step(opt)
        scaler.update()
    return monitor


@pytest.mark.parametrize("layer", LAYERS)
def test_bfloat16_autocast_records_the_float32_norms_within_rounding(layer):
    exact, mixed = amp_run(layer, None, steps=1), amp_run(layer, torch.bfloat16, steps=1)
    torch.testing.assert_close(mixed.probes[0], exact.probes[0], rtol=0.03, atol=0)
    assert mixed.grad_norms[0] == pytest.approx(exact.grad_norms[0], rel=0.03)


@pytest.mark.parametrize("layer", LAYERS)
def test_grad_scaler_norms_are_unscaled_and_skipped_steps_are_no_explosion(layer):
    """A scaler starting at 2**24 overflows float16 for some steps and halves its scale each
    time; the monitor counts those steps as skipped, and reads unscaled numbers after."""
    exact = amp_run(layer, None, steps=1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**24)
    mixed = amp_run(layer, torch.float16, scaler)
    assert len(mixed.losses) == 12 and mixed.skipped == list(range(len(mixed.skipped)))
    assert 1 <= len(mixed.skipped) < 12
    assert mixed.nonfinite_at is None and mixed.diagnose().name != "exploding"
    assert f"{len(mixed.skipped)} steps skipped by the loss scaler" in mixed.diagnose().evidence
    assert all(math.isnan(mixed.grad_norms[s]) for s in mixed.skipped)
    first = len(mixed.skipped)  # the first step that was not skipped, same weights and batch
    assert sorted(mixed.probes) == list(range(first, 12))  # a skipped probe is retried
    torch.testing.assert_close(mixed.probes[first], exact.probes[0], rtol=0.03, atol=0)
    assert mixed.grad_norms[first] == pytest.approx(exact.grad_norms[0], rel=0.03)


def test_a_step_skipped_at_scale_one_is_an_explosion():
    layer = nn.Linear(1, 1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1.0)
    monitor = gm.GradMonitor(layer, scaler=scaler)
    layer.weight.grad, layer.bias.grad = torch.full((1, 1), math.inf), torch.zeros(1)
    monitor.record(1.0)
    assert monitor.skipped == [] and monitor.nonfinite_at == 0
    assert monitor.diagnose().name == "exploding"
    assert monitor.nonfinite_params == ["weight"]


def test_record_stores_the_norm_clip_grad_norm_returns():
    torch.manual_seed(0)
    rnn, readout = nn.RNN(2, 8, batch_first=True), nn.Linear(8, 1)
    model = nn.ModuleDict({"rnn": rnn, "readout": readout})
    out, _ = rnn(torch.randn(4, 6, 2))
    loss = readout(out[:, -1]).pow(2).mean()
    loss.backward()
    by_hand = math.sqrt(sum((p.grad.double() ** 2).sum().item() for p in model.parameters()))
    monitor = gm.GradMonitor(model)
    norm = monitor.record(loss)  # before clipping, as documented
    returned = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e-3)
    assert norm == pytest.approx(returned.item(), rel=1e-6) == pytest.approx(by_hand, rel=1e-6)
    assert monitor.grad_norms == [norm] and monitor.losses == [loss.item()]
    assert monitor.nonfinite_at is None and monitor.probes == {}  # no probe() was used


def test_track_hooks_states_you_unroll_yourself():
    torch.manual_seed(0)
    cell, readout = nn.RNNCell(2, 8), nn.Linear(8, 1)
    model = nn.ModuleDict({"cell": cell, "readout": readout})
    x = torch.randn(4, 6, 2)
    monitor = gm.GradMonitor(model, probe_every=2)
    assert monitor.rnn is None
    for _ in range(4):
        h, states = torch.zeros(4, 8), []
        for t in range(6):
            h = cell(x[:, t], h)
            states.append(h)
        monitor.track(states)  # a no-op on steps that are not probe steps
        loss = readout(states[-1]).pow(2).mean()
        model.zero_grad()
        loss.backward()
        monitor.record(loss)
    assert sorted(monitor.probes) == [0, 2]
    h, states = torch.zeros(4, 8), []
    for t in range(6):
        h = cell(x[:, t], h)
        states.append(h)
    grads = torch.autograd.grad(readout(h).pow(2).mean(), states)
    reference = torch.stack([g.norm() for g in grads])
    torch.testing.assert_close(monitor.probes[2], reference.double(), rtol=1e-5, atol=0)


def monitor_with(norms: list[float], losses: list[float] | None = None) -> gm.GradMonitor:
    """A monitor fed steps whose global gradient norm is exactly each value in `norms`."""
    weight = nn.Linear(1, 1, bias=False)
    monitor = gm.GradMonitor(weight)
    for value, loss in zip(norms, losses or [1.0] * len(norms), strict=True):
        weight.weight.grad = torch.full((1, 1), value)
        monitor.record(torch.tensor(loss))
    return monitor


def test_spike_threshold_and_nonfinite_values():
    calm = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0]
    assert monitor_with([*calm, 99.0]).diagnose().name == "healthy"
    spiked = monitor_with([*calm, 150.0, 1.0])
    assert spiked.first_spike() == (6, pytest.approx(150.0))
    assert spiked.diagnose().name == "exploding"
    assert "jumped to 1.5e+02 at step 6, 150x" in spiked.diagnose().evidence
    broken = monitor_with([1.0, float("inf"), 1.0])
    assert broken.nonfinite_at == 1 and broken.nonfinite_params == ["weight"]
    assert str(broken.diagnose()).startswith("exploding: NaN/Inf at step 1 in weight.")
    assert monitor_with([1.0, 1e6]).first_spike() is None  # MIN_WINDOW steps needed


def test_vanishing_needs_a_small_ratio_and_a_stuck_loss():
    flat = monitor_with([1.0] * 12)
    for step, ratio in enumerate([1e-5, 1e-5, 0.5, 1e-5, 1e-5]):
        flat.probes[step] = torch.tensor([ratio, 0.1, 1.0])
    assert flat.early_to_late() == pytest.approx(1e-5)
    assert flat.diagnose().name == "vanishing"
    assert "1.0e-05, below 1e-03, and the loss is stuck" in flat.diagnose().evidence
    flat.probes[9] = flat.probes[10] = flat.probes[11] = torch.tensor([0.5, 1.0])
    assert flat.diagnose().name == "healthy"  # only the last RECENT_PROBES count
    learned = monitor_with([1.0] * 40, [1.0] * 20 + [0.01] * 20)
    learned.probes[30] = torch.tensor([1e-6, 1.0])
    assert not learned.loss_is_stuck()
    assert learned.diagnose().name == "healthy"
    assert "small, but the loss fell" in learned.diagnose().evidence


def test_thresholds_sit_between_the_vanishing_chapters_runs():
    """VANISHING_RATIO: T = 10 was learned (ratio 8e-3), T = 20 was not (9e-5)."""
    learned, stuck = lrt.early_to_late_ratio(10), lrt.early_to_late_ratio(20)
    assert stuck < gm.VANISHING_RATIO / 5 and learned > gm.VANISHING_RATIO * 5


def test_page_output_and_table():
    text = generated_output("diagnosis/grad_monitor")
    assert text == expected_output("diagnosis/grad_monitor")  # exact: float64 and text
    assert text.count("agree to 1e-10: yes") == 3
    table = gm.table_markdown()
    assert table.count("\n") == 2 + len(gm.SYMPTOMS)
    assert "Not clipping, not a higher SGD learning rate" in gm.SYMPTOMS["vanishing"].first_aid
    for key, row in gm.SYMPTOMS.items():
        assert f"[{key}] {row.seen}\n" in text and f"  first aid: {row.first_aid}\n" in text


def test_wrong_use_gets_clear_errors():
    rnn = nn.RNN(2, 4, batch_first=True)
    with pytest.raises(ValueError, match="nothing recorded yet"):
        gm.GradMonitor(rnn).diagnose()
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        gm.GradMonitor([torch.zeros(2)])
    with pytest.raises(ValueError, match="probe_every must be at least 1"):
        gm.GradMonitor(rnn, probe_every=0)
    with pytest.raises(TypeError, match="probe_every must be a positive integer"):
        gm.GradMonitor(rnn, probe_every=2.5)
    with pytest.raises(ValueError, match="2 recurrent layers: pass rnn="):
        gm.GradMonitor(nn.ModuleList([rnn, nn.GRU(2, 4)]))
    with pytest.raises(ValueError, match="bidirectional"):
        gm.GradMonitor(nn.LSTM(2, 4, bidirectional=True))
    with pytest.raises(TypeError, match=r"expected an nn\.RNN, nn\.LSTM or nn\.GRU"):
        gm.GradMonitor(rnn, rnn=nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"call record\(\) after loss.backward\(\)"):
        gm.GradMonitor(rnn).record(1.0)
    with pytest.raises(ValueError, match="needs a batched input tensor"):
        gm.unrolled(rnn, torch.randn(5, 2))


@pytest.mark.parametrize("loss", [torch.ones(3), "0.5", True])
def test_non_scalar_loss_is_rejected(loss):
    rnn = nn.RNN(2, 4)
    rnn(torch.randn(3, 1, 2))[0].sum().backward()
    with pytest.raises(ValueError, match="loss must be a scalar tensor or a number"):
        gm.GradMonitor(rnn).record(loss)


def test_track_rejects_what_is_not_a_recurrence():
    torch.manual_seed(0)
    rnn = nn.RNN(2, 8, batch_first=True)
    output, _ = rnn(torch.randn(4, 6, 2))
    monitor = gm.GradMonitor(rnn)
    with pytest.raises(TypeError, match=r"fused nn\.RNN/LSTM/GRU carries only direct"):
        monitor.track(output)
    with pytest.raises(ValueError, match="not the states of a recurrence"):
        monitor.track(list(output.unbind(1)))
    per_step = nn.Linear(2, 8)  # the same layer on every x_t, no state carried over
    x = torch.randn(4, 6, 2)
    states = [torch.tanh(per_step(x[:, t])) for t in range(6)]
    with pytest.raises(ValueError, match="not the states of a recurrence"):
        monitor.track(states)
    with pytest.raises(ValueError, match="at least two hidden states"):
        monitor.track(states[:1])
    with pytest.raises(ValueError, match="in the autograd graph"):
        monitor.track([s.detach() for s in states])


def test_micro_batches_of_different_lengths_are_rejected():
    rnn = nn.GRU(2, 4, batch_first=True)
    monitor = gm.GradMonitor(rnn)
    with monitor.probe():
        rnn(torch.randn(2, 5, 2))
    with pytest.raises(ValueError, match="same length T"), monitor.probe():
        rnn(torch.randn(2, 6, 2))
