"""What ``mkdocs serve`` adds to a build: a preview that is up in seconds and never refuses.

``make build`` and CI run every job first and fail on any problem. A contributor who
previews wants something else: the site at once, and every problem shown, not a refusal.
Under ``mkdocs serve`` therefore:

* the runner works in a background thread, quick jobs first, while the server is up;
  each job writes its files as it finishes, and MkDocs' watcher rebuilds and reloads
  the page that shows them;
* an output that is not there yet is replaced on its page by a visible "being computed"
  mark (an include, a figure, a number in the prose), and a note at the top of the page
  says so;
* a job whose output drifted from its committed copy, or that crashed, gets a warning
  at the top of every page that shows it, with the runner's message and diff, and in
  the terminal; the rest of the site is served as usual;
* a job is run again only when its inputs change (snippets, expected outputs, labs, the
  library, the machinery): a failing one does not start a rebuild-and-reload cycle;
* whatever a failure prints is shown as text, never as Markdown or HTML, and a crash of
  the background runner itself is shown on every page;
* two caches make a rebuild after a text edit take a second or two: each distinct code
  block is highlighted once, and only pages whose HTML changed are re-indexed for search.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import textwrap
import threading
import traceback
from pathlib import Path

from gtt import runner

log = logging.getLogger("mkdocs.hooks.gtt")

INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>docs/generated/[^"]+)"[ \t]*$', re.M)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>generated/[^)\s]+)\)(?:\{[^}]*\})?")
COMPUTING = "⏳"
# What the jobs read, besides the snippets: `mkdocs serve` watches these too (gtt/hook.py).
INPUTS = ("snippets", "tests/expected", "docs/labs", "rnnbook", "gtt")


def inputs(project: runner.Project) -> tuple[tuple[str, int, int], ...]:
    """Every input file's path, size and modification time: a pass is due when it changes."""
    found = []
    for folder in INPUTS:
        for path in sorted((project.root / folder).rglob("*")):
            if "__pycache__" in path.parts:
                continue
            with contextlib.suppress(OSError):  # deleted meanwhile: the next look sees it
                stat = path.stat()
                if path.is_file():
                    found.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def banner(kind: str, title: str, intro: str, body: str) -> str:
    """An admonition that shows ``body`` verbatim: its fence is longer than any run of
    backticks in it, so nothing it holds can end the block or be read as Markdown/HTML."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    title = title.replace('"', "'")
    return (
        f'!!! {kind} "{title}"\n    {intro}\n\n'
        f"    {fence}text\n" + textwrap.indent(body, "    ", lambda _: True) + f"\n    {fence}\n"
    )


class Preview:
    """The background runner of one ``mkdocs serve`` session and what it has found."""

    def __init__(self, project: runner.Project):
        self.project = project
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again = False
        self.results: dict[str, runner.Result] = {}
        self.jobs: list[runner.Job] = []
        self.crash: str | None = None  # the traceback that stopped the last pass
        self.ran_on: tuple | None = None  # the inputs the last pass started from
        try:
            self.jobs = runner.discover(project)
        except Exception:  # shown on every page by annotate(); the next pass tries again
            self.crash = traceback.format_exc()

    # ---------------------------------------------------------------- the background run

    def start(self) -> None:
        """Bring docs/generated/ up to date in the background; never blocks a rebuild.

        Nothing to do if no input changed since the last pass began: a rebuild caused by
        that pass's own outputs does not run a failing job again."""
        now = inputs(self.project)
        with self.lock:
            if now == self.ran_on:
                return
            if self.thread is not None and self.thread.is_alive():
                self.again = True  # sources changed since that run started
                return
            self.thread = threading.Thread(target=self._loop, name="gtt-runner", daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while True:
            with self.lock:
                self.again = False
                self.ran_on = inputs(self.project)
            try:
                self.jobs = runner.discover(self.project)
                runner.run(
                    self.project,
                    strict=False,
                    quick_first=True,
                    log=log.info,
                    on_result=self._finished,
                )
                crash = None
            except Exception as exc:  # a broken project, a snippet that does not parse, a bug
                crash = traceback.format_exc()
                log.warning("snippet runner stopped (shown on every page): %s", exc)
            with self.lock:
                self.crash = crash
                if not self.again:
                    return

    def _finished(self, result: runner.Result) -> None:
        with self.lock:
            self.results[result.job.rel] = result
        for problem in result.problems:
            log.warning("%s\n(make serve shows this on the page; make build fails on it)", problem)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background run has finished (tests and scripts)."""
        while True:
            with self.lock:
                thread = self.thread
            if thread is None:
                return
            thread.join(timeout)
            with self.lock:
                if self.thread is thread and not thread.is_alive():
                    return

    # ---------------------------------------------------------------- the pages

    def owner(self, rel_path: str) -> runner.Job | None:
        """The job that writes ``generated/<chapter>/<file>`` (a path as a page writes it)."""
        path = self.project.generated / rel_path.split("generated/", 1)[1]
        return runner.owner(self.project, path, self.jobs)

    def mark(self, rel_path: str) -> str:
        """What stands in for a missing output: being computed, or failed."""
        job = self.owner(rel_path)
        who = f"`{job.rel}`" if job else "its snippet"
        with self.lock:
            result = self.results.get(job.rel) if job else None
        if result is not None and result.status == "failed":
            return f"✗ {who} failed: see the warning at the top of this page."
        return f"{COMPUTING} Being computed: {who} is running in the background; this fills in when it finishes."

    def missing_value(self, name: str, key: str) -> str:
        return f"{COMPUTING}"

    def annotate(self, markdown: str) -> str:
        """Marks for outputs not there yet, and a warning for each job that has a problem."""
        generated_root = self.project.root / "docs"
        missing: list[str] = []

        def include(match: re.Match) -> str:
            if (self.project.root / match["path"]).exists():
                return match[0]
            missing.append(match["path"])
            return match["indent"] + self.mark(match["path"])

        def image(match: re.Match) -> str:
            if (generated_root / match["path"]).exists():
                return match[0]
            missing.append(match["path"])
            return f"*{self.mark(match['path'])}* ({match['alt'][:80]}…)"

        text = IMAGE.sub(image, INCLUDE.sub(include, markdown))
        shown = {m["path"] for m in INCLUDE.finditer(markdown)} | {
            "docs/" + m["path"] for m in IMAGE.finditer(markdown)
        }
        owners = {job.rel for p in shown if (job := self.owner(p)) is not None}
        banners = []
        with self.lock:
            troubled = [
                r for rel, r in sorted(self.results.items()) if rel in owners and r.problems
            ]
            crash = self.crash
        if crash is not None:
            banners.append(
                banner(
                    "failure",
                    "The background snippet runner stopped",
                    "Outputs on this page may be stale; it runs again when a snippet, an "
                    "expected output or the library changes.",
                    crash,
                )
            )
        for result in troubled:
            banners.append(
                banner(
                    "failure",
                    f"Problem in {result.job.rel}",
                    "This preview shows this run's output anyway; `make build` and `make test` "
                    "fail until it is fixed (or accepted with `make regen`).",
                    "\n\n".join(result.problems),
                )
            )
        if missing:
            banners.append(
                f'!!! info "{COMPUTING} Some outputs on this page are being computed"\n'
                f"    {len(set(missing))} of them are not there yet. `make serve` runs the snippets "
                "in the background, quick ones first, and this page reloads as each one "
                "finishes.\n"
            )
        if not banners:
            return text
        return after_title(text, "\n".join(banners))


def after_title(markdown: str, block: str) -> str:
    """Insert ``block`` after the page's first heading (or at the top)."""
    match = re.search(r"^# .*$", markdown, re.M)
    if match is None:
        return block + "\n" + markdown
    return markdown[: match.end()] + "\n\n" + block + "\n" + markdown[match.end() :]


# --------------------------------------------------------------------------- rebuild speed


def remember_highlighting() -> None:
    """Under `mkdocs serve`, highlight each distinct code block once, not on every rebuild.

    Pygments takes about a third of a rebuild here; its output depends only on the block
    and the highlighter's settings, which together form the key.
    """
    from pymdownx.highlight import Highlight

    highlight = Highlight.highlight
    if getattr(highlight, "remembers", False):
        return
    remembered: dict[str, str] = {}

    def remembering_highlight(self, src, language, *args, **kwargs):
        settings = sorted((k, v) for k, v in vars(self).items() if k != "md")  # md: per page
        key = repr((settings, src, language, args, sorted(kwargs.items())))
        if key not in remembered:
            remembered[key] = highlight(self, src, language, *args, **kwargs)
        return remembered[key]

    remembering_highlight.remembers = True  # type: ignore[attr-defined]
    Highlight.highlight = remembering_highlight


def remember_search_entries() -> None:
    """Under `mkdocs serve`, re-index only pages whose HTML changed since the last rebuild.

    Material's search plugin parses every page's HTML on every rebuild, about half of a
    rebuild's time here (the pages hold long highlighted listings). An entry depends only
    on the page's URL, title, metadata and HTML, so it is reused when those are unchanged.
    """
    from material.plugins.search.plugin import SearchIndex

    index_page = SearchIndex.add_entry_from_context
    if getattr(index_page, "remembers", False):
        return
    remembered: dict[tuple, list[dict]] = {}

    def add_entry_from_context(self, page) -> None:
        key = (
            page.url,
            str(page.title),
            repr(page.meta),
            hashlib.sha256(page.content.encode()).hexdigest(),
        )
        if key in remembered:
            self.entries.extend(dict(entry) for entry in remembered[key])
            return
        before = len(self.entries)
        index_page(self, page)
        remembered[key] = [dict(entry) for entry in self.entries[before:]]

    add_entry_from_context.remembers = True  # type: ignore[attr-defined]
    SearchIndex.add_entry_from_context = add_entry_from_context


def speed_up_rebuilds() -> None:
    remember_search_entries()
    remember_highlighting()


def project_of(config) -> runner.Project:
    return runner.Project(Path(config["config_file_path"]).resolve().parent)
