"""The book's statistics and protocol: exact numbers, checked against SciPy and enumeration."""

import ast
import itertools
import random
from fractions import Fraction

import pytest
from scipy import stats as sp
from support import ROOT

from rnnbook import protocol, stats


@pytest.mark.parametrize(
    ("k1", "k2", "p"),
    # The five-seed pairs the referees named, and the two that decide.
    [
        (2, 0, Fraction(4, 9)),
        (3, 0, Fraction(1, 6)),
        (4, 0, Fraction(1, 21)),
        (5, 0, Fraction(1, 126)),
        (5, 2, Fraction(1, 6)),
        (3, 5, Fraction(4, 9)),
    ],
)
def test_fisher_exact_five_seeds(k1, k2, p):
    assert stats.fisher_exact(k1, 5, k2, 5) == p
    assert stats.counts_differ(k1, 5, k2, 5).decides is (p < stats.ALPHA)


def test_fisher_exact_agrees_with_scipy():
    rng = random.Random(0)
    for _ in range(300):
        n1, n2 = rng.randint(1, 20), rng.randint(1, 20)
        k1, k2 = rng.randint(0, n1), rng.randint(0, n2)
        ours = float(stats.fisher_exact(k1, n1, k2, n2))
        theirs = sp.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
        assert ours == pytest.approx(min(theirs, 1.0), rel=1e-9, abs=1e-15)


def test_mcnemar_exact_agrees_with_a_sign_test_on_the_discordant_pairs():
    rng = random.Random(1)
    for _ in range(200):
        n = rng.randint(1, 30)
        first = [rng.random() < 0.6 for _ in range(n)]
        second = [rng.random() < 0.4 for _ in range(n)]
        b = sum(a and not c for a, c in zip(first, second, strict=True))
        c = sum(s and not a for a, s in zip(first, second, strict=True))
        theirs = 1.0 if b + c == 0 else sp.binomtest(b, b + c, 0.5).pvalue
        assert float(stats.mcnemar_exact(first, second)) == pytest.approx(theirs, rel=1e-9)
    # ten seeds, each blowing up in one arm only: 2 / 2^10; concordant pairs do not count
    assert stats.mcnemar_exact([True] * 10, [False] * 10) == Fraction(2, 1024)
    assert stats.mcnemar_exact([True] * 8 + [False] * 2, [False] * 10) == Fraction(2, 256)
    assert stats.paired_comparison_phrase([True] * 10, [False] * 10) == (
        "10/10 against 0/10 on the same seeds (McNemar p = 0.002)"
    )
    assert "cannot tell them apart" in stats.paired_comparison_phrase([True, False], [False] * 2)


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        ([True], [True, False], ValueError),
        ([], [], ValueError),
        ([1], [0], TypeError),
        ("10", "01", TypeError),
    ],
)
def test_mcnemar_refuses_unpaired_or_non_boolean_outcomes(first, second, error):
    with pytest.raises(error, match="first and second"):
        stats.mcnemar_exact(first, second)


def test_binomial_interval_agrees_with_scipy():
    for n in (1, 2, 5, 10, 20, 50):
        for k in range(n + 1):
            ci = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
            low, high = stats.binomial_interval(k, n)
            assert low == pytest.approx(ci.low, abs=1e-9)
            assert high == pytest.approx(ci.high, abs=1e-9)
    assert stats.binomial_interval(0, 5)[0] == 0.0 and stats.binomial_interval(5, 5)[1] == 1.0


def test_rank_sum_agrees_with_scipy_without_ties():
    rng = random.Random(1)
    for _ in range(100):
        xs = [rng.random() for _ in range(rng.randint(1, 8))]
        ys = [rng.random() for _ in range(rng.randint(1, 8))]
        theirs = sp.mannwhitneyu(xs, ys, method="exact").pvalue
        assert float(stats.rank_sum_exact(xs, ys)) == pytest.approx(theirs, rel=1e-9)


def brute_force_rank_sum(xs, ys):
    """Two-sided p by listing every relabelling of the pooled midranks."""
    ranks = sp.rankdata(list(xs) + list(ys))
    m, total = len(xs), len(xs) + len(ys)
    mean = Fraction(m) * Fraction(str(sum(ranks))) / total
    observed = abs(Fraction(str(sum(ranks[:m]))) - mean)
    splits = list(itertools.combinations(range(total), m))
    far = sum(abs(Fraction(str(sum(ranks[i] for i in c))) - mean) >= observed for c in splits)
    return Fraction(far, len(splits))


def test_rank_sum_with_ties_matches_enumeration():
    rng = random.Random(2)
    for _ in range(40):
        xs = [rng.choice([0.1, 0.2, 0.3]) for _ in range(rng.randint(1, 6))]
        ys = [rng.choice([0.2, 0.3, 0.4]) for _ in range(rng.randint(1, 6))]
        assert stats.rank_sum_exact(xs, ys) == brute_force_rank_sum(xs, ys)
    assert stats.rank_sum_exact([1.0, 1.0], [1.0, 1.0]) == 1


def test_a_diverged_run_ranks_worst_and_nan_is_refused():
    inf = float("inf")
    assert stats.rank_sum_exact([1.0, 2.0, inf], [3.0, 4.0, 5.0]) == stats.rank_sum_exact(
        [1.0, 2.0, 6.0], [3.0, 4.0, 5.0]
    )


def test_p_exactly_one_twentieth_does_not_decide():
    # 2/4 against 0/12 gives p = 1/20 exactly: not below 0.05, so no difference is stated.
    assert stats.fisher_exact(2, 4, 0, 12) == Fraction(1, 20)
    assert not stats.counts_differ(2, 4, 0, 12).decides
    assert "cannot tell them apart" in stats.comparison_phrase(2, 4, 0, 12)
    assert stats.comparison_phrase(0, 1, 1, 1).endswith(
        "(Fisher p = 1; one seed a side cannot tell them apart)"
    )


def test_the_smallest_rank_sum_p_is_two_over_the_splits():
    assert stats.rank_sum_exact([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == Fraction(2, 252)
    assert stats.rank_sum_exact([1, 2, 3], [4, 5, 6]) == Fraction(1, 10)


def test_the_wording_follows_the_test():
    assert stats.comparison_phrase(5, 5, 0, 5) == "5/5 against 0/5 (Fisher p = 0.008)"
    assert stats.comparison_phrase(4, 5, 0, 5) == "4/5 against 0/5 (Fisher p = 0.048)"
    assert stats.comparison_phrase(2, 5, 0, 5) == (
        "2/5 against 0/5 (Fisher p = 0.44; five seeds a side cannot tell them apart)"
    )
    assert stats.comparison_phrase(3, 10, 0, 5).endswith("these seeds cannot tell them apart)")
    assert stats.count_phrase(4, 5) == "4 of 5 (95% interval 28–99%)"
    assert stats.count_phrase(0, 5) == "0 of 5 (95% interval 0–52%)"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (1.0, "1"),
        (0.4444, "0.44"),
        (0.1667, "0.17"),
        (0.0476, "0.048"),
        (0.0079, "0.008"),
        (0.00021, "2e-04"),
        (0.0, "0e+00"),
    ],
)
def test_p_format(p, text):
    assert stats.p_format(p) == text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: stats.fisher_exact(6, 5, 0, 5), ValueError, "k1 must be between 0 and n = 5"),
        (lambda: stats.fisher_exact(1, 0, 0, 5), ValueError, "n must be at least 1"),
        (lambda: stats.fisher_exact(1.0, 5, 0, 5), TypeError, "k1 must be an int"),
        (lambda: stats.binomial_interval(True, 5), TypeError, "k must be an int"),
        (lambda: stats.binomial_interval(1, 5, level=1.5), ValueError, "level"),
        (lambda: stats.rank_sum_exact([], [1.0]), ValueError, "xs must hold at least one"),
        (lambda: stats.rank_sum_exact([float("nan")], [1.0]), ValueError, "must not hold NaN"),
        (lambda: stats.rank_sum_exact("abc", [1.0]), TypeError, "sequence of numbers"),
        (lambda: stats.rank_sum_exact([1.0], [None]), TypeError, "ys must hold numbers"),
        (lambda: stats.p_format(1.5), ValueError, "p-value"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_one_definition_of_solved():
    assert protocol.SOLVED_FRACTION == 0.05
    assert protocol.solved_threshold(1.0) == 0.05
    assert protocol.is_solved(0.049, 1.0) and not protocol.is_solved(0.05, 1.0)
    assert not protocol.is_solved(float("nan"), 1.0)
    assert not protocol.is_solved(float("inf"), 1.0)
    from rnnbook import benchmark, recall

    assert benchmark.SOLVED_FRACTION is protocol.SOLVED_FRACTION
    assert protocol.solved_threshold(recall.MEMORYLESS) == recall.SOLVED_LOSS
    # The benchmark, chrono, gates and vanishing pages take their threshold from here.
    assert not {"rnnbook/adding.py", "rnnbook/benchmark.py", "rnnbook/recall.py"} & {
        t.split(":")[0] for t in own_thresholds()
    }


def own_thresholds() -> list[str]:
    """Every module-level `SOLVED... = <number>` in the library and the snippets."""
    found = []
    for path in sorted([*ROOT.glob("rnnbook/*.py"), *ROOT.glob("snippets/*/*.py")]):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                pairs = (
                    zip(target.elts, node.value.elts, strict=False)
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                    else [(target, node.value)]
                )
                for name, value in pairs:
                    if (
                        isinstance(name, ast.Name)
                        and name.id.startswith("SOLVED")
                        and isinstance(value, ast.Constant)
                    ):
                        rel = path.relative_to(ROOT).as_posix()
                        found.append(f"{rel}: {name.id} = {value.value}")
    return found


def test_choose_rate_says_whether_the_grid_brackets_the_best():
    assert protocol.choose_rate({0.01: 0.3, 0.03: 0.1, 0.1: 0.2}) == protocol.RateChoice(0.03, True)
    assert protocol.choose_rate({0.01: 0.3, 0.03: 0.2, 0.1: 0.1}).bracketed is False
    # A diverged run is never best; ties go to the smaller rate.
    assert protocol.choose_rate({0.01: 0.3, 0.1: float("inf")}).rate == 0.01
    assert protocol.choose_rate({0.01: 0.2, 0.03: 0.2, 0.1: 0.5}).rate == 0.01


def test_matched_parameters():
    assert protocol.matched_parameters({"rnn": 4353, "lstm": 4300})
    assert not protocol.matched_parameters({"rnn": 4353, "skip": 8578})


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: protocol.solved_threshold(0.0), ValueError, "memoryless must be a positive"),
        (lambda: protocol.solved_threshold("1"), TypeError, "memoryless must be a number"),
        (lambda: protocol.is_solved(None, 1.0), TypeError, "test_loss must be a number"),
        (lambda: protocol.choose_rate({}), ValueError, "at least one"),
        (lambda: protocol.choose_rate({-0.1: 1.0}), ValueError, "positive and finite"),
        (lambda: protocol.choose_rate({0.1: float("nan")}), ValueError, "not a number"),
        (lambda: protocol.choose_rate({0.1: float("inf")}), ValueError, "every rate"),
        (lambda: protocol.matched_parameters({"a": 0}), ValueError, "positive ints"),
        (lambda: protocol.matched_parameters({"a": 3}, within=1.5), ValueError, "within"),
    ],
)
def test_protocol_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
