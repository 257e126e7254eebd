"""The cost of truncation: delays below k are learned, delays of k or more are not."""

import pytest
import tbptt_reach as tr
import torch
from support import expected_output


def printed(delay: int, k: int) -> str:
    """The printed accuracy for one delay and truncation length."""
    lines = expected_output("fixes/tbptt_reach").splitlines()
    columns = lines[1].split()  # "delay d k = 4 k = 8"
    assert columns == ["delay", "d", *[w for t in tr.TRUNCATIONS for w in ("k", "=", str(t))]]
    row = next(ln.split() for ln in lines[2:] if ln.split()[0] == str(delay))
    return row[1 + tr.TRUNCATIONS.index(k)]


@pytest.mark.parametrize(("delay", "k"), [(3, 4), (4, 4), (7, 8), (8, 8)])
def test_accuracy_below_and_at_the_truncation_length(delay, k):
    torch.set_num_threads(1)
    accuracy = tr.echo_accuracy(delay, k)
    if delay < k:
        assert accuracy > 0.99
    else:
        assert accuracy < 0.7  # at most what the untrained state happens to keep
    assert printed(delay, k) == f"{accuracy:.0%}"


def test_page_output_has_the_cliff_at_k():
    for k in tr.TRUNCATIONS:
        for delay in tr.DELAYS:
            value = int(printed(delay, k).rstrip("%"))
            assert (value == 100) if delay < k else (value < 70)


def test_bad_arguments():
    with pytest.raises(ValueError, match="delay and k must be positive"):
        tr.echo_accuracy(0, 4)
    with pytest.raises(ValueError, match="delay and k must be positive"):
        tr.echo_accuracy(2, 0)


def test_plot_is_byte_stable(tmp_path):
    acc = {k: [0.5 + 0.05 * i for i in range(len(tr.DELAYS))] for k in tr.TRUNCATIONS}
    tr.plot(acc, str(tmp_path / "a.svg"))
    tr.plot(acc, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
