"""What a probe step costs: more than a fused step, never by orders of magnitude; the table
the page shows is the one this build measured."""

import probe_cost as pc
from support import GENERATED, expected_output, generated_output
from torch import nn


def test_output_is_the_setup_only():
    assert generated_output("diagnosis/probe_cost") == expected_output("diagnosis/probe_cost")


def test_probe_steps_cost_more_than_fused_steps_but_not_orders_of_magnitude():
    generated_output("diagnosis/probe_cost")  # brings the table up to date
    rows = (GENERATED / "diagnosis" / "probe_cost_timing.md").read_text().splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == ["`nn.RNN`", "`nn.LSTM`", "`nn.GRU`"]
    for row in rows:
        ratio = float(row.split("|")[2])
        assert 1.0 < ratio < 30.0, row


def test_table_format():
    text = pc.table({"RNN": 2.0, "LSTM": 3.5})
    assert text.splitlines()[2:] == ["| `nn.RNN` | 2.0 | 10% |", "| `nn.LSTM` | 3.5 | 25% |"]


def test_step_time_is_positive_for_both_paths():
    model = nn.ModuleDict({"rnn": nn.GRU(2, 4, batch_first=True), "readout": nn.Linear(4, 1)})
    x = pc.torch.randn(3, 5, 2)
    monitor = pc.GradMonitor(model)
    assert pc.step_time(model, x, None) > 0 and pc.step_time(model, x, monitor) > 0
    assert len(monitor.losses) == 1 and list(monitor.probes) == [0]
