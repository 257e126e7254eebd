"""Learning rates and schedules on the exploding run: the table's seed-0 column."""

import exploding_run as er
import lr_schedule as ls
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def seed0():
    torch.set_num_threads(1)
    return {label: er.train(steps=ls.STEPS, seed=0, **kw) for label, kw in ls.SCHEDULES.items()}


def test_schedules():
    warm = ls.warmup(100)
    assert warm(0) == pytest.approx(0.01) and warm(99) == 1.0 and warm(250) == 1.0
    decay = ls.exponential_decay(0.1, 300)
    assert (
        decay(0) == 1.0
        and decay(150) == pytest.approx(0.1**0.5)
        and decay(300) == pytest.approx(0.1)
    )


def test_each_step_uses_its_scheduled_rate(seed0):
    h = seed0["decay 0.03 → 0.003"]
    assert h.lrs[0] == pytest.approx(0.03) and h.lrs[-1] == pytest.approx(0.03 * 0.1 ** (299 / 300))


def test_warmup_only_delays_the_explosion_and_decay_with_clipping_learns_fastest(seed0):
    assert seed0["constant 0.1"].diverged_at == 31
    assert seed0[f"warm-up to 0.1 over {ls.WARMUP} steps"].diverged_at > 31
    best = seed0["decay 0.1 → 0.01, clip_grad_norm_(1)"]
    assert best.diverged_at is None and sum(best.losses[-20:]) / 20 < 0.05
    assert int(ls.first_below(best)) < int(ls.first_below(seed0["constant 0.01"]))


def test_page_table_holds_the_seed0_numbers(seed0):
    text = expected_output("fixes/lr_schedule")
    for label, h in seed0.items():
        assert f"\n{label} | {ls.outcome(h)} | " in text
        assert text.split(f"\n{label} | ")[1].split("\n")[0].endswith(f" | {ls.first_below(h)}")
    assert "constant 0.1 | NaN at 31 | NaN at 15 | -" in text
    assert "decay 0.1 → 0.01, clip_grad_norm_(1) | 0.015 | 0.014 | 44" in text


def test_plot_is_byte_stable(tmp_path, seed0):
    runs = {label: [h] for label, h in seed0.items()}
    ls.plot(runs, str(tmp_path / "a.svg"))
    ls.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def printed_table() -> dict[str, list[str]]:
    """The printed table: schedule -> [one cell per seed..., below-0.5 step]."""
    rows = expected_output("fixes/lr_schedule").splitlines()[1:]
    return {r.split(" | ")[0]: r.split(" | ")[1:] for r in rows}


def test_the_pages_reading_of_the_table():
    table, n = printed_table(), len(ls.SEEDS)
    assert all(not v.startswith("NaN") for v in table["constant 0.01"][:n])
    assert all(v.startswith("NaN") for v in table[f"warm-up to 0.1 over {ls.WARMUP} steps"][:n])
    constant = [float(v) for v in table["constant 0.01"][:n]]
    decay = [float(v) for v in table["decay 0.03 → 0.003"][:n]]
    assert constant[1] > 5 * constant[0]  # the second seed ends far above the first
    assert all(0.8 < d / c < 1.25 for d, c in zip(decay, constant, strict=True))  # "about where"
    best = [float(v) for v in table["decay 0.1 → 0.01, clip_grad_norm_(1)"][:n]]
    for others in (constant, decay):
        assert all(b < o for b, o in zip(best, others, strict=True))  # lowest on every seed
    steps = [row[-1] for row in table.values() if row[-1] != "-"]
    assert min(int(s) for s in steps) == int(table["decay 0.1 → 0.01, clip_grad_norm_(1)"][-1])
