"""Compare a job's output with its committed copy: exactly, or within declared tolerances.

Two kinds of output (see the how-it-is-built page):

* **Exact** results (NumPy demos, float64 checks, counts) are compared byte for byte.
* **Measurements** (float32 training, anything whose last digits depend on the CPU's
  instruction set) carry a tolerance in the committed copy, written right after the
  number it applies to::

      median last-20 loss 0.14{±0.08} over 7 seeds (range 0.09{±0.1}–0.31{±0.3})
      solved in 5{±1} of 5 seeds; loss 3.1e-04{±80%}; largest gradient norm 6e+01{×10}

  ``{±A}`` accepts ``|actual - expected| <= A``; ``{±P%}`` accepts a relative error of
  ``P`` percent; ``{×F}`` accepts a value within a factor ``F`` either way (same sign), for
  quantities that span decades. A number without a tolerance must be printed exactly as committed, and
  the text between numbers must match (runs of spaces count as one), so a verdict word
  or a changed label still fails. A file with no tolerance anywhere is compared byte for
  byte, which is what every exact output is.

``make regen`` rewrites a committed copy with the new numbers and keeps each tolerance
where the line still has the same shape, so tolerances are declared once, by hand,
next to the numbers they cover.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b"
TOLERANCE = r"\{(?P<kind>[±×])(?P<amount>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?P<percent>%?)\}"
# A number, optionally followed by its tolerance; numbers inside words are not numbers.
TOKEN = re.compile(rf"(?<![\w.])(?P<number>{NUMBER})(?:{TOLERANCE})?")
ANNOTATION = re.compile(TOLERANCE)
# Anything that starts like a tolerance, well-formed or not (checked by check_tolerances).
MARK = re.compile(r"\{[±×][^{}\s]*\}?")
FORMS = "{±0.05} (absolute), {±20%} (relative) or {×10} (a factor)"


class ToleranceSyntaxError(ValueError):
    """A committed copy holds a malformed tolerance."""


@dataclass(frozen=True)
class Field:
    """One number of a line, with the tolerance declared for it (None: exact)."""

    text: str
    amount: float | None = None
    relative: bool = False
    factor: bool = False  # {×F}: within a factor F

    @property
    def value(self) -> float:
        return float(self.text)

    def accepts(self, other: str) -> bool:
        if self.amount is None:
            return other == self.text
        expected, actual = self.value, float(other)
        if math.isnan(expected) or math.isinf(expected):
            return actual == expected or (math.isnan(expected) and math.isnan(actual))
        if not math.isfinite(actual):
            return False
        if self.factor:
            if expected == 0 or actual == 0 or (expected > 0) != (actual > 0):
                return actual == expected
            return abs(math.log(actual / expected)) <= math.log(self.amount) * (1 + 1e-12)
        allowed = self.amount / 100 * abs(expected) if self.relative else self.amount
        return abs(actual - expected) <= allowed * (1 + 1e-12) + 1e-300

    def describe(self) -> str:
        if self.amount is None:
            return f"{self.text} (exact)"
        if self.factor:
            return f"{self.text} within a factor {self.amount:g}"
        unit = "%" if self.relative else ""
        return f"{self.text} ± {self.amount:g}{unit}"

    def annotation(self) -> str:
        if self.amount is None:
            return ""
        if self.factor:
            return f"{{×{self.amount:g}}}"
        return f"{{±{self.amount:g}{'%' if self.relative else ''}}}"


@dataclass(frozen=True)
class Line:
    """A line split into its text (numbers replaced by a marker) and its numbers."""

    skeleton: str
    fields: tuple[Field, ...]


def parse_line(line: str) -> Line:
    """Split a committed or fresh line into skeleton and numbers (with any tolerances)."""
    parts, fields, last = [], [], 0
    for match in TOKEN.finditer(line):
        parts.append(line[last : match.start()])
        amount = match["amount"]
        fields.append(
            Field(
                match["number"],
                None if amount is None else float(amount),
                bool(match["percent"]),
                match["kind"] == "×",
            )
        )
        last = match.end()
    parts.append(line[last:])
    if any(ANNOTATION.search(part) or "{±" in part or "{×" in part for part in parts):
        raise ToleranceSyntaxError(f"a tolerance that follows no number: {line!r}")
    skeleton = "\x00".join(re.sub(r" +", " ", part) for part in parts)
    return Line(skeleton, tuple(fields))


def check_tolerances(text: str) -> None:
    """Raise ``ToleranceSyntaxError`` for the first malformed tolerance in a committed copy,
    naming its line and the fix (the caller adds the file's name)."""
    for number, line in enumerate(text.splitlines(), start=1):
        ends = {m.end() for m in TOKEN.finditer(line) if m["amount"] is not None}
        for mark in MARK.finditer(line):
            problem = _mark_problem(mark[0], mark.end() in ends)
            if problem:
                raise ToleranceSyntaxError(f"line {number}: {mark[0]!r} {problem}")


def _mark_problem(mark: str, after_number: bool) -> str | None:
    form = ANNOTATION.fullmatch(mark)
    if form is None:
        return f"is not a tolerance: write {FORMS}"
    amount = float(form["amount"])
    if not math.isfinite(amount):
        return f"is not a finite tolerance: write {FORMS}"
    if form["kind"] == "×" and (form["percent"] or amount <= 1):
        return "is not a factor: a factor is a number above 1, as in {×10}"
    if not after_number:
        return "follows no number: put it right after the number it covers, as in 0.14{±0.05}"
    return None


def has_tolerances(text: str) -> bool:
    return "{±" in text or "{×" in text


def strip_tolerances(text: str) -> str:
    """The committed copy as the snippet printed it: tolerances removed."""
    return ANNOTATION.sub("", text)


@dataclass(frozen=True)
class Mismatch:
    """Why one line failed: the line number and a sentence a contributor can act on."""

    line: int
    reason: str


def mismatches(expected: str, actual: str) -> list[Mismatch]:
    """Every line of ``actual`` that ``expected`` (with its tolerances) does not accept."""
    if not has_tolerances(expected):
        if expected == actual:
            return []
        return [_first_difference(expected, actual)]
    check_tolerances(expected)
    want, got = expected.splitlines(), actual.splitlines()
    problems = []
    if len(want) != len(got):
        problems.append(
            Mismatch(min(len(want), len(got)) + 1, f"{len(got)} lines, expected {len(want)}")
        )
    for number, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        expected_line, actual_line = parse_line(w), parse_line(g)
        if expected_line.skeleton != actual_line.skeleton:
            problems.append(Mismatch(number, f"text differs: {g.strip()!r}"))
            continue
        for field, value in zip(expected_line.fields, actual_line.fields, strict=True):
            if not field.accepts(value.text):
                problems.append(
                    Mismatch(number, f"{value.text} is outside {field.describe()}: {g.strip()!r}")
                )
    if not problems and expected.endswith("\n") != actual.endswith("\n"):
        problems.append(Mismatch(len(got), "final newline differs"))
    return problems


def _first_difference(expected: str, actual: str) -> Mismatch:
    want, got = expected.splitlines(), actual.splitlines()
    for number, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        if w != g:
            return Mismatch(number, f"{g.strip()!r}, expected {w.strip()!r} (exact output)")
    return Mismatch(min(len(want), len(got)) + 1, "lines added or removed (exact output)")


def carry_tolerances(expected: str, actual: str) -> tuple[str, list[int]]:
    """``actual`` with the tolerances of ``expected`` carried over line by line.

    Lines are aligned by their skeleton, so an inserted line does not shift the others'
    tolerances; returns the new text and the numbers of lines whose tolerances were lost
    (their shape changed: review them).
    """
    if not has_tolerances(expected):
        return actual, []
    check_tolerances(expected)
    want = expected.splitlines()
    got = actual.splitlines(keepends=True)
    parsed_want = [parse_line(w) for w in want]
    parsed_got = [parse_line(g.rstrip("\n")) for g in got]
    matcher = difflib.SequenceMatcher(
        a=[p.skeleton for p in parsed_want], b=[p.skeleton for p in parsed_got], autojunk=False
    )
    source: dict[int, Line] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            source[block.b + k] = parsed_want[block.a + k]
    lost = [
        i + 1
        for i, line in enumerate(parsed_want)
        if any(f.amount is not None for f in line.fields) and i not in _matched(matcher)
    ]
    out = []
    for i, line in enumerate(got):
        old = source.get(i)
        if old is None or not any(f.amount is not None for f in old.fields):
            out.append(line)
            continue
        annotations = iter([f.annotation() for f in old.fields])

        def annotated(match: re.Match[str], notes: Iterator[str] = annotations) -> str:
            return match["number"] + next(notes)

        out.append(TOKEN.sub(annotated, line))
    return "".join(out), lost


def _matched(matcher: difflib.SequenceMatcher) -> set[int]:
    return {b.a + k for b in matcher.get_matching_blocks() for k in range(b.size)}
