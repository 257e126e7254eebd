"""Two crawling losses: the early/late ratio tells a small learning rate from a vanishing
gradient, and a tenfold learning rate cures the first and blows up the second."""

import crawl
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def runs():
    torch.set_num_threads(1)
    return {(T, lr): crawl.recall_run(T, lr) for T, lr in crawl.RUNS}


def test_both_runs_crawl_for_the_first_100_steps(runs):
    for key in [(5, 0.003), (20, 0.1)]:
        assert crawl.mean(runs[key].losses[:100]) > 0.95


def test_the_ratio_separates_the_two_causes(runs):
    assert runs[(5, 0.003)].diagnose().name == "healthy"
    assert runs[(5, 0.003)].early_to_late() > 0.1
    assert runs[(20, 0.1)].diagnose().name == "vanishing"
    assert 1e-5 < runs[(20, 0.1)].early_to_late() < 1e-4  # "a few times 1e-5"


def test_tenfold_learning_rate_cures_only_the_small_learning_rate(runs):
    assert crawl.mean(runs[(5, 0.03)].losses[200:]) < 1e-3
    assert crawl.mean(runs[(5, 0.003)].losses[200:]) > 0.3  # still crawling at 0.003
    assert runs[(20, 1.0)].nonfinite_at == 16
    assert runs[(20, 1.0)].diagnose().name == "exploding"
    stuck = runs[(20, 0.3)]
    assert crawl.mean(stuck.losses[200:]) > 1.0 and stuck.diagnose().name == "vanishing"


def test_page_output(runs):
    text = expected_output("diagnosis/crawl")
    for (T, lr), m in runs.items():
        assert " | ".join(crawl.row(T, lr, m)) + "\n" in text
    assert "T = 5 | 0.003 | 0.977 | 0.649 | 6.7e-01 | healthy" in text
    assert "T = 20 | 0.1 | 1.010 | 1.006 | 2.6e-05 | vanishing" in text
    assert "T = 20 | 1 | NaN at step 16 | - |" in text


def test_plot_is_byte_stable(tmp_path, runs):
    crawl.plot(runs, str(tmp_path / "a.svg"))
    crawl.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
