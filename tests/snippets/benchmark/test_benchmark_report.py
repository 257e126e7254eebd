"""Reporting: the table, the CSV, the figures and the timing note, and the verdict rules."""

import csv
import math

import benchmark_report as br
import benchmark_train as bt
import numpy as np
import pytest
import torch
from support import expected_output


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def fake_runs() -> list[bt.Run]:
    """Hand-made results for two models at two lengths (no training needed)."""
    return [
        bt.Run("tanh", 20, 0.001, 4687, 1 / 6, [(50, 0.17), (100, 0.16)]),
        bt.Run("lstm", 20, 0.03, 4641, 1 / 6, [(50, 0.05), (100, 0.000287)]),
        bt.Run("tanh", 50, 0.001, 4687, 1 / 6, [(50, 0.18), (100, 0.167)]),
        bt.Run("lstm", 50, 0.03, 4641, 1 / 6, [(50, 0.16), (100, 0.0011)]),
    ]


def test_rows_put_the_baseline_beside_every_result():
    table = br.rows(bt.ADDING, fake_runs())
    assert list(table[0]) == [
        "model", "parameters", "lr", "T", "test MSE", "baseline", "loss / baseline",
        "solved at step", "verdict",
    ]  # fmt: skip
    assert table[1] == {
        "model": "LSTM",
        "parameters": "4641",
        "lr": "0.03",
        "T": "20",
        "test MSE": "0.000287",
        "baseline": "0.167",
        "loss / baseline": "0.0017",
        "solved at step": "100",
        "verdict": "solved",
    }
    assert table[0]["verdict"] == "not learned" and table[0]["solved at step"] == "—"


def test_copy_rows_add_recall_accuracy():
    run = bt.Run("gru", 20, 0.03, 5781, bt.COPY.baseline(20), [(50, 0.42)], accuracy=0.3171)
    row = br.rows(bt.COPY, [run])[0]
    assert row["recall accuracy"] == "0.317" and row["baseline"] == "0.520"
    assert row["test cross-entropy"] == "0.420" and row["verdict"] == "partly learned"


def test_markdown_and_csv_hold_the_same_strings(tmp_path):
    table = br.rows(bt.ADDING, fake_runs())
    markdown = br.markdown_table(table)
    lines = markdown.splitlines()
    assert lines[1] == "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    assert lines[3] == "| LSTM | 4641 | 0.03 | 20 | 0.000287 | 0.167 | 0.0017 | 100 | solved |"
    narrow = br.markdown_table(table, leave_out=br.PAGE_LEAVES_OUT).splitlines()
    assert narrow[3] == "| LSTM | 20 | 0.000287 | 0.167 | 0.0017 | 100 | solved |"
    br.write_csv(table, str(tmp_path / "t.csv"))
    with open(tmp_path / "t.csv", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == table


def test_figures_are_byte_stable_svgs(tmp_path):
    for plot in (br.plot_final, br.plot_curves):
        a, b = tmp_path / "a.svg", tmp_path / "b.svg"
        plot(bt.ADDING, fake_runs(), str(a))
        plot(bt.ADDING, fake_runs(), str(b))
        assert a.read_bytes() == b.read_bytes()
        assert b"<svg" in a.read_bytes() and a.stat().st_size < 200_000


def test_number_formatting():
    assert br.number(0.000563) == "0.000563"
    assert br.number(0.1666) == "0.167"
    assert br.number(4.75e-05) == "4.75e-05"
    assert br.number(math.nan) == "diverged"
    assert br.number(None) == "—"
    assert br.number(0.00336, 2) == "0.0034"
    assert br.number(1.047, 2) == "1.0" and br.number(0.16, 3) == "0.160"
    assert br.number(12.3, 2) == "12"


def test_timing_note_is_a_list_item_with_versions_and_threads():
    note = br.timing_note("Copy task", 61.4, 59.9, torch.device("cpu"))
    assert note.startswith("- **Copy task**: 61 s of wall time, 60 s of CPU time, on cpu with 1")
    assert f"PyTorch {torch.__version__}" in note and f"NumPy {np.__version__}" in note
    assert note.endswith(")\n") and note.count("\n") == 1


def test_describe_prints_the_protocol_and_the_test_set_baseline():
    lines = br.describe(bt.ADDING, bt.ADDING_SETTINGS, ("tanh", "tanh_clip", "irnn"))
    assert lines[0].startswith("Adam, batch 32, 1500 steps, seed 0; learning rates: tanh RNN 0.001")
    assert lines[1] == "Gradient-norm clipping at 1 for tanh RNN + clip, IRNN"
    assert br.describe(bt.ADDING, bt.ADDING_SETTINGS, ("lstm",))[1].startswith("No model")
    _, y = bt.test_set(bt.ADDING, bt.ADDING_SETTINGS, 100)
    assert f"{np.mean((y - 1) ** 2):.4f} (T = 100)" in lines[3]


def test_run_and_report_writes_only_its_own_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bt, "pick_device", lambda: torch.device("cpu"))
    settings = bt.Settings(lengths=(3, 4), steps=4, batch=4, eval_every=2, test_size=8)
    br.run_and_report(bt.ADDING, settings, ("tanh", "gru"), "demo", "Demo")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["demo.csv", "demo.svg", "demo_curves.svg", "demo_table.md", "demo_timing.md"]
    out = capsys.readouterr().out
    page_table = br.read_table((tmp_path / "demo_table.md").read_text(encoding="utf-8"))
    printed = br.read_table(out)
    assert list(page_table[0]) == [k for k in printed[0] if k not in ("parameters", "lr")]
    for shown, full in zip(page_table, printed, strict=True):
        assert shown.items() <= full.items()  # every number on the page is in stdout
    with open(tmp_path / "demo.csv", encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == printed  # and every number of the CSV
    assert "wall time" not in out  # the timing stays out of stdout
    assert "**Demo**" in (tmp_path / "demo_timing.md").read_text(encoding="utf-8")


def test_page_output_states_the_thresholds():
    text = expected_output("benchmark/benchmark_report")
    assert "solved          L < 0.05 B" in text
    assert "T = 100: B = 0.1667, solved below 0.00833" in text
    assert "T =  20: B = 0.5199, solved below 0.02599" in text
    assert "T = 100: B = 0.1733, solved below 0.00866" in text


def test_read_table_round_trips():
    table = br.rows(bt.ADDING, fake_runs())
    assert br.read_table("Some text\n" + br.markdown_table(table) + "after\n") == table
    with pytest.raises(ValueError, match="no Markdown table"):
        br.read_table("no table here\n")
