"""Statistics that decide: exact intervals for counts, exact tests between two arms.

A page that reports "k of n seeds" gives the exact (Clopper–Pearson) 95% interval; a page
that says one arm beats another names the test and its p: Fisher's exact test for two
counts, the exact Mann–Whitney (rank-sum) test for two samples of a continuous measure
(final loss, accuracy); McNemar's exact test when the two arms ran on the same seeds, so
that each seed is a pair. Every probability here is computed in exact rational arithmetic,
so it is the same on every machine; the prose helpers turn it into the words a page uses.

With five seeds per arm only 5/5 against 0/5 (p = 0.008), 4/5 against 0/5 and 5/5 against
1/5 (p = 0.048 each) reach p < 0.05 in Fisher's test; :func:`counts_differ` says which side of that line a pair
of counts is on, and :func:`count_phrase` / :func:`comparison_phrase` write it.

Taught in docs/protocol.md; run by snippets/protocol/five_seeds.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

LEVEL = 0.95  # the confidence level of every interval on the site
ALPHA = Fraction(1, 20)  # a difference is stated only when p < 1/20 (exact: p = 0.05 is not)


def _check_count(k: object, n: object, name: str = "k") -> tuple[int, int]:
    """(k, n) as ints after checking 0 <= k <= n, n >= 1; a clear error otherwise."""
    for label, v in ((name, k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{label} must be an int, got {type(v).__name__} {v!r}")
    assert isinstance(k, int) and isinstance(n, int)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"{name} must be between 0 and n = {n}, got {k}")
    return k, n


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in floating point (n is small here)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def _bisect(f: Callable[[float], float], target: float) -> float:
    """The p in [0, 1] where the increasing function f(p) crosses target."""
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def binomial_interval(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for a success probability after k of n.

    The lower end is 0 when k = 0 and the upper end 1 when k = n; otherwise each end is the
    p at which the observed count is just at the edge of a (1 - level)/2 tail.
    """
    k, n = _check_count(k, n)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    tail = (1 - level) / 2
    # P(X >= k) grows with p; P(X <= k) falls with it, so its complement grows.
    low = 0.0 if k == 0 else _bisect(lambda p: 1 - _binomial_cdf(k - 1, n, p), tail)
    high = 1.0 if k == n else _bisect(lambda p: 1 - _binomial_cdf(k, n, p), 1 - tail)
    return low, high


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> Fraction:
    """Two-sided p of Fisher's exact test for k1 of n1 against k2 of n2, as a fraction.

    Conditional on the total number of successes, the count in the first arm is
    hypergeometric; p sums the probabilities of every table no more likely than the one
    observed (the usual two-sided rule, as in R's fisher.test and SciPy's fisher_exact).
    The test is conservative: with few seeds its false-positive rate is well below 5%
    (docs/protocol.md computes it).
    """
    k1, n1 = _check_count(k1, n1, "k1")
    k2, n2 = _check_count(k2, n2, "k2")
    total = k1 + k2
    ways = math.comb(n1 + n2, total)
    probs = {
        a: Fraction(math.comb(n1, a) * math.comb(n2, total - a), ways)
        for a in range(max(0, total - n2), min(total, n1) + 1)
    }
    observed = probs[k1]
    return sum((q for q in probs.values() if q <= observed), Fraction(0))


def mcnemar_exact(first: Sequence[bool], second: Sequence[bool]) -> Fraction:
    """Two-sided p of McNemar's exact test for paired outcomes (seed i ran in both arms).

    Only the discordant pairs count: under the null hypothesis each is equally likely to
    have the event in the first arm only as in the second only, a fair coin."""
    if isinstance(first, str | bytes) or isinstance(second, str | bytes):
        raise TypeError("first and second must be sequences of booleans, one per seed")
    first, second = list(first), list(second)
    if len(first) != len(second) or not first:
        raise ValueError(
            f"first and second need one outcome per seed, got {len(first)} and {len(second)}"
        )
    if not all(isinstance(v, bool) for v in (*first, *second)):
        raise TypeError("first and second must hold booleans (True: the event happened)")
    only_first = sum(a and not b for a, b in zip(first, second, strict=True))
    only_second = sum(b and not a for a, b in zip(first, second, strict=True))
    n = only_first + only_second
    tail = sum(math.comb(n, i) for i in range(min(only_first, only_second) + 1))
    return min(Fraction(2 * tail, 2**n), Fraction(1))


def _midranks(values: Sequence[float]) -> list[Fraction]:
    """Ranks 1..N of `values`, ties sharing the mean of their ranks (exact halves)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks: list[Fraction] = [Fraction(0)] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for m in range(i, j + 1):
            ranks[order[m]] = Fraction(i + j + 2, 2)
        i = j + 1
    return ranks


def _check_sample(xs: Sequence[float], name: str) -> list[float]:
    """xs as a list of floats, at least one, no NaN; a clear error otherwise. An infinite
    loss (a run that diverged) is allowed: it ranks worst, it is not dropped."""
    if isinstance(xs, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(xs).__name__}")
    out = []
    for v in xs:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name} must hold numbers, got {type(v).__name__} {v!r}")
        if math.isnan(v):
            raise ValueError(f"{name} must not hold NaN (rank a diverged run as inf), got {v!r}")
        out.append(float(v))
    if not out:
        raise ValueError(f"{name} must hold at least one number")
    return out


def rank_sum_exact(xs: Sequence[float], ys: Sequence[float]) -> Fraction:
    """Two-sided p of the exact Mann–Whitney (Wilcoxon rank-sum) test, ties allowed.

    Under the null every split of the pooled midranks into groups of len(xs) and len(ys) is
    equally likely; p is the share of splits whose rank sum lies at least as far from its
    mean as the observed one (with ties this differs from doubling the smaller one-sided p,
    and from SciPy's method="exact", which ignores ties). Counted exactly by dynamic
    programming over the splits. It tests whether one arm's values tend to be lower than
    the other's (P(X < Y) against 1/2), not whether their medians differ.
    """
    a, b = _check_sample(xs, "xs"), _check_sample(ys, "ys")
    ranks = _midranks(a + b)
    doubled = [int(2 * r) for r in ranks]  # midranks are halves: work in integers
    m = len(a)
    # ways[j][s]: how many j-element subsets of the ranks seen so far have doubled sum s
    ways: list[dict[int, int]] = [{0: 1}] + [{} for _ in range(m)]
    for r in doubled:
        for j in range(min(m, len(doubled)), 0, -1):
            row = ways[j]
            for s, c in ways[j - 1].items():
                row[s + r] = row.get(s + r, 0) + c
    observed = sum(doubled[:m])
    mean = Fraction(m * sum(doubled), len(doubled))
    far = abs(observed - mean)
    extreme = sum(c for s, c in ways[m].items() if abs(s - mean) >= far)
    return Fraction(extreme, math.comb(len(doubled), m))


@dataclass(frozen=True)
class Comparison:
    """The outcome of one exact test between two arms, and what a page may say of it."""

    test: str  # "Fisher's exact test" or "exact rank-sum test"
    p: Fraction

    @property
    def decides(self) -> bool:
        """True when the test supports stating a difference (p below ALPHA)."""
        return self.p < ALPHA

    def p_text(self) -> str:
        """'p = 0.008' (two significant digits, never rounded down to 0)."""
        return f"p = {p_format(float(self.p))}"


def p_format(p: float) -> str:
    """A p-value as pages write it: '0.44', '0.048', '0.008', '2e-04', '1'.

    Two decimals from 0.1 up, two significant digits below, one below 0.01; never rounded
    onto a threshold it is not on: 0.0498 is '0.0498', not '0.05', and 0.00996 '0.0099'."""
    if not 0 <= p <= 1:
        raise ValueError(f"a p-value lies in [0, 1], got {p!r}")
    if p >= 0.995:
        return "1"
    if 0.0495 <= p < 0.05:
        return f"{p:.3g}"
    if p >= 0.01:
        return f"{p:.2g}" if p < 0.1 else f"{p:.2f}"
    if 0.0095 <= p < 0.01:
        return f"{p:.2g}"
    if p >= 0.001:
        return f"{p:.1g}"
    return f"{p:.0e}"


def counts_differ(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Fisher's exact test between two counts of solved seeds."""
    return Comparison("Fisher's exact test", fisher_exact(k1, n1, k2, n2))


def paired_counts_differ(first: Sequence[bool], second: Sequence[bool]) -> Comparison:
    """McNemar's exact test between two arms run on the same seeds."""
    return Comparison("McNemar's exact test", mcnemar_exact(first, second))


def samples_differ(xs: Sequence[float], ys: Sequence[float]) -> Comparison:
    """The exact rank-sum test between two samples of a continuous measure."""
    return Comparison("exact rank-sum test", rank_sum_exact(xs, ys))


def count_phrase(k: int, n: int, level: float = LEVEL) -> str:
    """'4 of 5 (95% interval 28–99%)': a count with its exact interval, in percent."""
    low, high = binomial_interval(k, n, level)
    return f"{k} of {n} ({level:.0%} interval {100 * low:.0f}–{100 * high:.0f}%)"


def comparison_phrase(k1: int, n1: int, k2: int, n2: int) -> str:
    """The wording follows the test: '5/5 against 0/5 (Fisher p = 0.008)', or
    '2/5 against 0/5 (Fisher p = 0.44; five seeds a side cannot tell them apart)'."""
    result = counts_differ(k1, n1, k2, n2)
    text = f"{k1}/{n1} against {k2}/{n2} (Fisher {result.p_text()}"
    if result.decides:
        return text + ")"
    seeds = f"{number_word(n1)} seed{'s' if n1 > 1 else ''} a side" if n1 == n2 else "these seeds"
    return f"{text}; {seeds} cannot tell them apart)"


def paired_comparison_phrase(first: Sequence[bool], second: Sequence[bool]) -> str:
    """'10/10 against 0/10 on the same seeds (McNemar p = 0.002)', or with '…; these seeds
    cannot tell them apart' when the test does not decide."""
    result = paired_counts_differ(first, second)
    n = len(first)
    text = (
        f"{sum(first)}/{n} against {sum(second)}/{n} on the same seeds (McNemar {result.p_text()}"
    )
    return text + (")" if result.decides else "; these seeds cannot tell them apart)")


def number_word(n: int) -> str:
    """'five' for 5 (zero to twenty), digits beyond: how prose writes a seed count."""
    words = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ]
    return words[n] if 0 <= n < len(words) else str(n)
