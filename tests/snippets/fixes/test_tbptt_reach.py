"""The cost of truncation: delays below k2 are learned, delays of k2 or more are not."""

import re

import pytest
import tbptt_reach as tr
from support import generated_output, generated_values


def table() -> dict[tuple[int, int], tuple[str, float, float]]:
    """(k2, d) -> (gradient path, median accuracy, lowest seed), from this build's output."""
    found = {}
    for line in generated_output("fixes/tbptt_reach").splitlines():
        m = re.fullmatch(
            r"k₂ = (\d+) \| d = (\d+) \| (reachable|cut off) \| (\d+)% \((\d+)%\)", line
        )
        if m:
            found[int(m[1]), int(m[2])] = (m[3], float(m[4]), float(m[5]))
    return found


def test_every_truncation_and_delay_is_reported():
    assert sorted(table()) == sorted((k2, d) for k2 in tr.TRUNCATIONS for d in tr.delays_around(k2))


def test_the_cliff_sits_at_k2():
    for (k2, d), (path, median, lowest) in table().items():
        assert path == ("reachable" if d < k2 else "cut off")
        if d < k2:
            assert lowest >= 95  # every seed learns a reachable echo
        else:
            assert median <= 70  # chance is 50; what is left is not learned memory


def test_a_shared_memory_reaches_past_the_truncation():
    values = generated_values("fixes/tbptt_reach")
    assert values["shared_delay"] == values["shared_k2"] + 1
    assert int(values["shared_accuracy"].rstrip("%")) >= 90


def test_bad_arguments():
    with pytest.raises(ValueError, match="k2 must be a positive integer"):
        tr.echo_accuracy(0, (2,))
    with pytest.raises(ValueError, match="delay must be a positive integer"):
        tr.echo_accuracy(4, (0,))
