"""Comparing outputs: byte for byte, or within the tolerances declared next to numbers."""

from __future__ import annotations

import shutil

import pytest

from gtt import runner
from gtt.compare import (
    ToleranceSyntaxError,
    carry_tolerances,
    has_tolerances,
    mismatches,
    parse_line,
    strip_tolerances,
)


def test_a_file_without_tolerances_is_compared_byte_for_byte():
    assert mismatches("a 1.3\n", "a 1.3\n") == []
    [problem] = mismatches("a 1.3\nb 2\n", "a 1.31\nb 2\n")
    assert problem.line == 1 and "(exact output)" in problem.reason
    assert mismatches("a 1.3\n", "a 1.3") != []  # even a final newline
    assert mismatches("a  1.3\n", "a 1.3\n") != []  # and spacing


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("loss 0.14{±0.05}", "loss 0.19", True),
        ("loss 0.14{±0.05}", "loss 0.09", True),
        ("loss 0.14{±0.05}", "loss 0.2", False),
        ("loss 3.1e-04{±50%}", "loss 4.6e-04", True),
        ("loss 3.1e-04{±50%}", "loss 4.7e-04", False),
        ("loss 3.1e-04{±50%}", "loss nan", False),
        ("step 31{±10}", "step 40", True),
        ("k 5{±1} of 5", "k 4 of 5", True),
        ("k 5{±1} of 5", "k 4 of 6", False),  # the untoleranced 5 is exact
        ("norm nan{±1}", "norm nan", True),
        ("norm inf{±1}", "norm inf", True),
        ("norm inf{±1}", "norm 1e308", False),
        ("| a |   0.5{±0.1} |", "| a | 0.55 |", True),  # alignment spaces count as one
        ("verdict solved 0.5{±0.1}", "verdict failed 0.5", False),  # words are exact
        ("norm 6e+01{×10}", "norm 5.9e+02", True),
        ("norm 6e+01{×10}", "norm 6.1", True),
        ("norm 6e+01{×10}", "norm 5e+00", False),
        ("norm 6e+01{×10}", "norm -6e+01", False),
    ],
)
def test_numbers_with_a_tolerance(expected, actual, ok):
    assert (mismatches(expected + "\n", actual + "\n") == []) is ok


def test_the_message_names_line_number_value_and_tolerance():
    [problem] = mismatches("x 1\nloss 0.14{±0.05} (5 seeds)\n", "x 1\nloss 0.25 (5 seeds)\n")
    assert problem.line == 2
    assert problem.reason == "0.25 is outside 0.14 ± 0.05: 'loss 0.25 (5 seeds)'"
    [problem] = mismatches("a 1{±1}\n", "a 1\nb 2\n")
    assert problem.reason == "2 lines, expected 1"


def test_numbers_inside_words_are_text():
    line = parse_line("W_hh x1 T=100 lr*||g|| 8.4e+08 seeds 1-7 h₄₀")
    assert [f.text for f in line.fields] == ["100", "8.4e+08", "1", "7"]


def test_a_stray_tolerance_is_a_clear_error():
    with pytest.raises(ToleranceSyntaxError, match="follows no number"):
        mismatches("loss {±0.1}\n", "loss \n")
    with pytest.raises(ToleranceSyntaxError):
        parse_line("loss 0.1{±x}")


@pytest.mark.parametrize(
    ("mark", "says"),
    [
        ("{±}", "is not a tolerance: write {±0.05}"),
        ("{±abc}", "is not a tolerance: write {±0.05}"),
        ("{±0.1", "is not a tolerance"),  # unclosed
        (
            "{×0}",
            "is not a factor: a factor is a number above 1, as in {×10}",
        ),  # was "math domain error"
        ("{×0.5}", "is not a factor"),  # could never accept anything
        ("{×10%}", "is not a factor"),
        ("{±1e999}", "is not a finite tolerance"),
    ],
)
def test_a_malformed_tolerance_names_its_line_and_the_fix(mark, says):
    """Planted: a malformed mark on line 2 of a committed copy, in both uses of the copy."""
    expected = f"seeds 5\nloss 0.14{mark} at step 3\n"
    for use in (mismatches, carry_tolerances):
        with pytest.raises(ToleranceSyntaxError) as caught:
            use(expected, "seeds 5\nloss 0.15 at step 3\n")
        assert str(caught.value).startswith(f"line 2: {mark!r} {says}")


def test_strip_and_detect():
    text = "a 0.14{±0.05}, b 2{±10%}, c 3e+04{×10}\n"
    assert has_tolerances(text) and not has_tolerances(strip_tolerances(text))
    assert strip_tolerances(text) == "a 0.14, b 2, c 3e+04\n"
    assert (
        carry_tolerances(text, "a 0.2, b 3, c 1e+05\n")[0]
        == "a 0.2{±0.05}, b 3{±10%}, c 1e+05{×10}\n"
    )


def test_regen_carries_tolerances_across_inserted_and_changed_lines():
    old = "head 1\nloss 0.14{±0.05}\n| LSTM | 5{±1} of 5 |\ntail\n"
    new = "head 2\nnew line 7\nloss 0.31\n| LSTM | 4 of 5 |\ntail\n"
    text, lost = carry_tolerances(old, new)
    assert text == "head 2\nnew line 7\nloss 0.31{±0.05}\n| LSTM | 4{±1} of 5 |\ntail\n"
    assert lost == []
    text, lost = carry_tolerances(old, "head 1\nloss changed 0.2 shape\ntail\n")
    assert "{±" not in text and lost == [2, 3]
    assert carry_tolerances("plain 1\n", "plain 2\n") == ("plain 2\n", [])


def test_a_build_names_the_expected_file_of_a_malformed_tolerance(tmp_path, monkeypatch):
    """Planted: {×0} in a committed copy, through a whole run: one line naming the file,
    the line and the fix (it was 'math domain error', naming nothing)."""
    monkeypatch.setenv("GTT_PRELOAD", "0")
    project = runner.Project(tmp_path)
    (tmp_path / "gtt").mkdir()
    shutil.copy(runner.Project().style, project.style)
    (project.snippets / "ch").mkdir(parents=True)
    (project.snippets / "ch" / "loss.py").write_text("print('loss 0.2')\n", encoding="utf-8")
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "loss.txt").write_text("loss 0.14{×0}\n", encoding="utf-8")
    with pytest.raises(runner.RunnerError) as failure:
        runner.run(project, log=lambda _: None)
    assert (
        "tests/expected/ch/loss.txt: line 1: '{×0}' is not a factor: "
        "a factor is a number above 1, as in {×10}"
    ) in str(failure.value)
