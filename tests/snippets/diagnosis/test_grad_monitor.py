"""The monitor: what it records, in which order it must be called, what it concludes, and the
clear errors for wrong use. The three real runs are in test_monitor_runs.py."""

import math

import grad_monitor as gm
import long_range_training as lrt
import pytest
import torch
from step_grads import cell_from_rnn, unroll
from support import expected_output
from torch import nn


def tiny_rnn(seed: int = 0) -> tuple[nn.RNN, nn.Linear, nn.ModuleDict]:
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(2, 8, batch_first=True), nn.Linear(8, 1)
    return rnn, readout, nn.ModuleDict({"rnn": rnn, "readout": readout})


def loss_and_states(rnn, readout, T: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(4, T, 2, generator=g), torch.randn(4, 1, generator=g)
    states = unroll(cell_from_rnn(rnn), x)
    return nn.functional.mse_loss(readout(states[-1]), y), states


def monitor_with_norms(norms: list[float]) -> gm.GradMonitor:
    """A monitor fed steps whose global gradient norm is exactly each value in `norms`."""
    weight = nn.Linear(1, 1, bias=False)
    monitor = gm.GradMonitor()
    for value in norms:
        weight.weight.grad = torch.full((1, 1), value)
        monitor.record(torch.tensor(1.0), weight)
    return monitor


def test_record_stores_the_norm_clip_grad_norm_returns():
    rnn, readout, model = tiny_rnn()
    loss, _ = loss_and_states(rnn, readout)
    loss.backward()
    by_hand = math.sqrt(sum((p.grad.double() ** 2).sum().item() for p in model.parameters()))
    monitor = gm.GradMonitor()
    norm = monitor.record(loss, model)  # before clipping, as documented
    returned = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e-3)
    assert norm == pytest.approx(returned.item(), rel=1e-6) == pytest.approx(by_hand, rel=1e-6)
    assert monitor.grad_norms == [norm] and monitor.losses == [loss.item()]
    assert monitor.nonfinite_at is None


def test_documented_call_order_works_and_time_steps_match_step_grads():
    rnn, readout, model = tiny_rnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    monitor = gm.GradMonitor(probe_every=2)
    for step in range(5):
        loss, states = loss_and_states(rnn, readout, seed=step)
        if monitor.wants_time_steps():
            norms = monitor.time_steps(loss, states)
            assert norms.shape == (6,) and bool((norms > 0).all())
        optimizer.zero_grad()
        loss.backward()  # still possible: time_steps kept the graph
        monitor.record(loss, model)
        optimizer.step()
    assert sorted(monitor.probes) == [0, 2, 4] and len(monitor.losses) == 5
    diagnosis = monitor.diagnose()
    assert diagnosis.name == "healthy" and diagnosis.first_aid == gm.SYMPTOMS["healthy"].first_aid


def test_time_steps_after_backward_explains_the_order():
    rnn, readout, _ = tiny_rnn()
    loss, states = loss_and_states(rnn, readout)
    loss.backward()
    with pytest.raises(RuntimeError, match=r"call time_steps\(\) before loss.backward\(\)"):
        gm.GradMonitor().time_steps(loss, states)


def test_record_before_backward_is_an_error():
    rnn, readout, model = tiny_rnn()
    loss, _ = loss_and_states(rnn, readout)
    with pytest.raises(ValueError, match=r"call record\(\) after loss.backward\(\)"):
        gm.GradMonitor().record(loss, model)


def test_spike_threshold_and_nonfinite_values():
    calm = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0]
    assert monitor_with_norms([*calm, 99.0]).diagnose().name == "healthy"
    spiked = monitor_with_norms([*calm, 150.0, 1.0])
    assert spiked.first_spike() == (6, pytest.approx(150.0))
    assert spiked.diagnose().name == "exploding"
    assert "jumped to 1.5e+02 at step 6, 150x" in spiked.diagnose().evidence
    broken = monitor_with_norms([1.0, float("inf"), 1.0])
    assert broken.nonfinite_at == 1 and broken.nonfinite_params == ["weight"]
    assert str(broken.diagnose()).startswith("exploding: NaN/Inf at step 1 in weight.")
    # Too little history for a spike test: MIN_WINDOW steps are needed.
    assert monitor_with_norms([1.0, 1e6]).first_spike() is None


def test_vanishing_uses_the_median_of_recent_probes():
    monitor = monitor_with_norms([1.0] * 12)
    for step, ratio in enumerate([1e-5, 1e-5, 0.5, 1e-5, 1e-5]):
        monitor.probes[step] = torch.tensor([ratio, 0.1, 1.0])
    assert monitor.early_to_late() == pytest.approx(1e-5)
    assert monitor.diagnose().name == "vanishing"
    assert "1.0e-05, below 1e-03" in monitor.diagnose().evidence
    monitor.probes[9] = monitor.probes[10] = monitor.probes[11] = torch.tensor([0.5, 1.0])
    assert monitor.diagnose().name == "healthy"  # only the last RECENT_PROBES count


def test_thresholds_sit_between_the_vanishing_chapters_runs():
    """VANISHING_RATIO: T = 10 was learned (ratio 8e-3), T = 20 was not (9e-5)."""
    torch.set_num_threads(1)
    learned, stuck = lrt.early_to_late_ratio(10), lrt.early_to_late_ratio(20)
    assert f"{learned:.0e}" == "8e-03" and f"{stuck:.0e}" == "9e-05"
    assert stuck < gm.VANISHING_RATIO < learned


def test_symptom_table_rows_and_page_table():
    assert set(gm.SYMPTOMS) == {"exploding", "vanishing", "slow", "recency", "healthy"}
    table = gm.table_markdown()
    assert table.count("\n") == 2 + len(gm.SYMPTOMS)
    assert "Not clipping, not a higher learning rate" in gm.SYMPTOMS["vanishing"].first_aid
    assert "`clip_grad_norm_`" in gm.SYMPTOMS["exploding"].first_aid
    text = expected_output("diagnosis/grad_monitor")
    for key, row in gm.SYMPTOMS.items():
        assert f"[{key}] {row.seen}\n" in text and f"  first aid: {row.first_aid}\n" in text


@pytest.mark.parametrize(
    ("loss", "message"),
    [(torch.ones(3), "loss must be a scalar"), ("0.5", "loss must be a scalar")],
)
def test_non_scalar_loss_is_rejected(loss, message):
    rnn, readout, model = tiny_rnn()
    _, states = loss_and_states(rnn, readout)
    with pytest.raises(ValueError, match=message):
        gm.GradMonitor().time_steps(loss, states)
    with pytest.raises(ValueError, match=message):
        gm.GradMonitor().record(loss, model)


def test_empty_history_is_an_error():
    with pytest.raises(ValueError, match="nothing recorded yet"):
        gm.GradMonitor().diagnose()


def test_record_needs_a_module():
    with pytest.raises(TypeError, match=r"model must be an nn\.Module"):
        gm.GradMonitor().record(torch.tensor(1.0), [torch.zeros(2)])


def test_fused_rnn_output_is_not_a_list_of_states():
    rnn, readout, _ = tiny_rnn()
    output, _ = rnn(torch.randn(4, 6, 2))
    loss = readout(output[:, -1]).mean()
    with pytest.raises(TypeError, match=r"fused nn\.RNN"):
        gm.GradMonitor().time_steps(loss, output)
    with pytest.raises(ValueError, match="not the states of a recurrence"):
        gm.GradMonitor().time_steps(loss, list(output.unbind(1)))


def test_a_model_without_recurrent_state_is_rejected():
    torch.manual_seed(0)
    per_step = nn.Linear(2, 8)  # the same layer on every x_t, no state carried over
    x = torch.randn(4, 6, 2)
    states = [torch.tanh(per_step(x[:, t])) for t in range(6)]
    loss = torch.stack(states).pow(2).mean()
    with pytest.raises(ValueError, match="not the states of a recurrence"):
        gm.GradMonitor().time_steps(loss, states)
    with pytest.raises(ValueError, match="at least two hidden states"):
        gm.GradMonitor().time_steps(loss, states[:1])
    with pytest.raises(ValueError, match="in the autograd graph"):
        gm.GradMonitor().time_steps(loss, [s.detach() for s in states])
