"""How fast the site builds, and how heavy its pages are: ``make bench``.

Measures, on a scratch copy of this checkout (the working tree is never touched):

* the **reference workload** (``reference_seconds``): ``nn.LSTM`` with 64 units on the
  adding problem at T = 100, batch 64, 200 Adam steps, fresh batches, one thread. Its
  time on this machine is the unit every other cost is expressed in, since machines
  differ in speed; it is timed before and after the builds, and the median is used;
* cold build (empty docs/generated/, every snippet and lab run), with each job's seconds
  and reference units and the total against the budget; warm build (nothing changed)
  and a build with execution switched off (``GTT_NO_EXEC=1``), medians of several runs;
* a fresh clone under ``mkdocs serve``: seconds until its first page is served (the
  snippets then run in the background);
* a text-only edit under ``mkdocs serve``: seconds from saving a page to the rebuilt
  site, and which jobs re-ran (none should); a snippet edit: which jobs re-ran (only that
  snippet should);
* each page's total transfer in Chromium (HTML, CSS, JS, fonts, math, figures) and every
  figure's size.

Writes build/bench/report.md and report.json and prints the report. Targets are checked
and reported, never asserted: this is not a test.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from gtt import checkout, runner

# The reference workload is timed with the kernels every job runs with (runner.PINNED_KERNELS,
# read by PyTorch when it is first imported, below): with this machine's own AVX-512 kernels
# it took 1.70 s instead of 2.99 s, which would have priced every job in a unit 43% too small.
os.environ.update(runner.pinned_kernels())

ROOT = runner.ROOT
REPORT_DIR = ROOT / "build" / "bench"
SUMMARY = re.compile(r"runner: (\d+) jobs, (\d+) cached, (\d+) executed")
RAN = re.compile(r"ran\s+(\S+)\s+\(")
TARGETS = {
    "warm_ratio": 1.2,
    "serve_edit_seconds": 3.0,
    "cold_units": 137.0,  # the cold run of every job, in reference units
    "first_page_seconds": 60.0,
    "page_bytes": 1.5e6,
    "figure_bytes": 200e3,
}
REFERENCE = {"hidden": 64, "length": 100, "batch": 64, "steps": 200}


@dataclass
class Build:
    seconds: float
    ran: list[str]
    log: str


@dataclass
class Report:
    machine: dict[str, str] = field(default_factory=dict)
    builds: dict[str, list[float]] = field(default_factory=dict)
    ran: dict[str, list[str]] = field(default_factory=dict)
    serve_edit: list[float] = field(default_factory=list)
    first_page: float = float("nan")
    reference: list[float] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    pages: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists() and (found := re.search(r"MemTotal:\s+(\d+)", meminfo.read_text())):
        memory = f"{int(found.group(1)) / 2**20:.0f} GiB"
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "runner workers": str(runner.default_jobs()),
    }
    info.update(runner.library_versions())
    return info


def copy_checkout(dst: Path) -> Path:
    """A scratch copy of what a build needs, without any generated output or cache."""
    return checkout.copy(dst)


def build(where: Path, **env: str) -> Build:
    """One ``mkdocs build --strict`` in ``where``; its wall time and the jobs it ran."""
    start = time.perf_counter()
    proc = checkout.build(where / "mkdocs.yml", where / "site", **env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: build failed in {where}:\n{proc.stderr[-3000:]}")
    return Build(seconds, RAN.findall(proc.stderr), proc.stderr)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_edit(where: Path, runs: int) -> tuple[list[float], list[str]]:
    """Seconds from saving a Markdown page to `mkdocs serve` having rebuilt the site."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=where,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        start_new_session=True,
    )
    lines: list[str] = []
    stderr = proc.stderr
    assert stderr is not None  # started with stderr=PIPE

    def wait_for(pattern: str, after: int, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = stderr.readline()
            if not line:
                break
            lines.append(line)
            if re.search(pattern, line):
                return len(lines)
        raise SystemExit(f"bench: mkdocs serve never logged {pattern!r}:\n{''.join(lines)}")

    seconds, ran = [], []
    try:
        seen = wait_for(r"Serving on", 0)
        page = where / "docs" / "index.md"
        for i in range(runs):
            time.sleep(1.5)  # let the watcher settle
            start = time.perf_counter()
            with page.open("a", encoding="utf-8") as handle:
                handle.write(f"\n<!-- bench edit {i} -->\n")
            seen = wait_for(r"Reloading browsers", seen)
            seconds.append(time.perf_counter() - start)
        ran = RAN.findall("".join(lines))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return seconds, ran


def snippet_edit(where: Path) -> list[str]:
    """Touch one snippet's comment and rebuild: the jobs that re-ran."""
    snippet = where / "snippets" / "first_look" / "norm_decay.py"
    snippet.write_text(snippet.read_text() + "\n# bench: a comment changes the hash only\n")
    return build(where).ran


def reference_seconds() -> float:
    """Seconds for the reference workload on this machine (the unit of every budget).

    nn.LSTM, 64 units, on the adding problem (T = 100, batch 64, fresh batches), 200 Adam
    steps on one thread: a fixed piece of work that exercises what the site's training
    snippets spend their time on. Self-contained on purpose: it does not change when a
    snippet does."""
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        generator = torch.Generator().manual_seed(0)
        hidden, length, batch = REFERENCE["hidden"], REFERENCE["length"], REFERENCE["batch"]
        lstm, readout = nn.LSTM(2, hidden, batch_first=True), nn.Linear(hidden, 1)
        optimizer = torch.optim.Adam([*lstm.parameters(), *readout.parameters()], lr=1e-3)
        rows = torch.arange(batch)
        start = time.perf_counter()
        for _ in range(REFERENCE["steps"]):
            values = torch.rand(batch, length, generator=generator)
            marks = torch.zeros(batch, length)
            marks[rows, torch.randint(0, length // 2, (batch,), generator=generator)] = 1
            marks[rows, torch.randint(length // 2, length, (batch,), generator=generator)] = 1
            states, _ = lstm(torch.stack([values, marks], dim=-1))
            target = (values * marks).sum(dim=1)
            loss = nn.functional.mse_loss(readout(states[:, -1]).squeeze(-1), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)


def first_page(where: Path, timeout: float = 300) -> float:
    """Seconds from starting `mkdocs serve` on a fresh copy (nothing generated) to its home
    page being served; the snippets keep running in the background afterwards."""
    import urllib.request

    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=where,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        start_new_session=True,
    )
    try:
        while time.perf_counter() - start < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    if answer.status == 200 and b"Gradients Through Time" in answer.read():
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.2)
        return float("nan")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


PAGE_WEIGHT = """() => performance.getEntriesByType("resource").concat(
  performance.getEntriesByType("navigation")).map(
    e => ({name: e.name, bytes: e.encodedBodySize, raw: e.decodedBodySize}))"""
# What GitHub Pages (and any usual web server) compresses on the way to the reader.
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".txt", ".xml", ".ipynb", ".map"}


class Served(http.server.SimpleHTTPRequestHandler):
    """Static files as a real host serves them: text gzip-compressed when the browser asks."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (path.is_file() and path.suffix in COMPRESSED and wants_gzip):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def page_weights(site: Path) -> list[dict]:
    """Bytes each page transfers in Chromium, from the Resource Timing entries."""
    chromium = Path(os.environ.get("GTT_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        return []

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Served, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    out = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"]
            )
            for path in pages:
                page = browser.new_page()
                url = f"http://127.0.0.1:{server.server_port}/{'' if path == '.' else path + '/'}"
                page.goto(url, wait_until="networkidle")
                page.wait_for_timeout(300)
                entries = page.evaluate(PAGE_WEIGHT)
                out.append(
                    {
                        "page": "/" if path == "." else f"/{path}/",
                        "bytes": sum(e["bytes"] for e in entries),
                        "uncompressed": sum(e["raw"] for e in entries),
                        "requests": len(entries),
                    }
                )
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(report: Report) -> str:
    """The report as Markdown, for the 'How this site is built' page."""
    b = {k: median(v) for k, v in report.builds.items()}
    ratio = b["warm"] / b["no-exec"]
    unit = median(report.reference)
    total = sum(job["seconds"] for job in report.jobs)
    lines = [
        f"Measured by `make bench` on {report.machine['date']}.",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| warm build within {TARGETS['warm_ratio']}× of a no-execution build "
        f"| {b['warm']:.2f} s vs {b['no-exec']:.2f} s: **{ratio:.2f}×** "
        f"| {verdict(ratio <= TARGETS['warm_ratio'])} |",
        f"| text-only edit under `mkdocs serve` rebuilt in < {TARGETS['serve_edit_seconds']:.0f} s, "
        "no job re-run "
        f"| {median(report.serve_edit):.2f} s; re-ran: {', '.join(report.ran['serve']) or 'nothing'} "
        f"| {verdict(median(report.serve_edit) < TARGETS['serve_edit_seconds'] and not report.ran['serve'])} |",
        f"| snippet edit re-runs only that snippet "
        f"| re-ran: {', '.join(report.ran['snippet']) or 'nothing'} "
        f"| {verdict(report.ran['snippet'] == ['snippets/first_look/norm_decay.py'])} |",
        f"| cold run of every job <= {TARGETS['cold_units']:.0f} reference units "
        f"(the reference workload took {unit:.2f} s here) "
        f"| {total:.0f} job-seconds = **{total / unit:.1f} units** "
        f"({b['cold']:.0f} s of wall time on {report.machine['runner workers']} workers) "
        f"| {verdict(total / unit <= TARGETS['cold_units'])} |",
        f"| a fresh clone's `mkdocs serve` shows its first page in < "
        f"{TARGETS['first_page_seconds']:.0f} s "
        f"| {report.first_page:.1f} s | {verdict(report.first_page < TARGETS['first_page_seconds'])} |",
    ]
    heavy = [p for p in report.pages if p["bytes"] > TARGETS["page_bytes"]]
    big = [f for f in report.figures if f["bytes"] > TARGETS["figure_bytes"]]
    if report.pages:
        largest = max(report.pages, key=lambda p: p["bytes"])
        lines.append(
            f"| every page < {TARGETS['page_bytes'] / 1e6:.1f} MB transferred (text gzip-compressed, "
            "as GitHub Pages serves it) "
            f"| largest: `{largest['page']}`, {largest['bytes'] / 1e6:.2f} MB "
            f"({largest['uncompressed'] / 1e6:.2f} MB uncompressed) "
            f"| {verdict(not heavy)} |"
        )
    if report.figures:
        largest = max(report.figures, key=lambda f: f["bytes"])
        lines.append(
            f"| every figure < {TARGETS['figure_bytes'] / 1e3:.0f} kB "
            f"| largest: `{largest['figure']}`, {largest['bytes'] / 1e3:.0f} kB "
            f"| {verdict(not big)} |"
        )
    lines += ["", "**Builds** (seconds; median of the runs listed)", ""]
    lines += ["| build | median | runs |", "|---|---:|---|"]
    for name, values in report.builds.items():
        lines.append(f"| {name} | {median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    if report.jobs:
        lines += [
            "",
            f"**Execution time of each job** (cold build; one unit = the reference workload, "
            f"{unit:.2f} s here: median of {', '.join(f'{r:.2f}' for r in report.reference)} s)",
            "",
        ]
        lines += ["| job | seconds | units |", "|---|---:|---:|"]
        for job in sorted(report.jobs, key=lambda j: -j["seconds"]):
            lines.append(f"| `{job['job']}` | {job['seconds']:.1f} | {job['seconds'] / unit:.2f} |")
        lines.append(f"| **total** | **{total:.1f}** | **{total / unit:.1f}** |")
    if report.pages:
        lines += [
            "",
            "**Page weight**: bytes a first visit transfers in Chromium (HTML, CSS, JS, fonts, "
            "math, figures, search index), text served gzip-compressed as GitHub Pages serves "
            "it, and the same files uncompressed",
            "",
        ]
        lines += [
            "| page | transferred (kB) | uncompressed (kB) | requests |",
            "|---|---:|---:|---:|",
        ]
        for page in report.pages:
            lines.append(
                f"| `{page['page']}` | {page['bytes'] / 1e3:.0f} "
                f"| {page['uncompressed'] / 1e3:.0f} | {page['requests']} |"
            )
    lines += ["", "**Machine**", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in report.machine.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gtt.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per warm/no-exec/serve timing")
    parser.add_argument(
        "--cold-runs", type=int, default=1, help="cold builds (each runs everything)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cold_runs < 1:
        parser.error("--runs and --cold-runs must be at least 1")

    report = Report(machine=machine())
    print("bench: reference workload ...", flush=True)
    report.reference = [reference_seconds() for _ in range(3)]
    with tempfile.TemporaryDirectory(prefix="gtt-bench-") as tmp:
        print("bench: a fresh clone's first page under mkdocs serve ...", flush=True)
        report.first_page = first_page(copy_checkout(Path(tmp) / "first"))
        cold = []
        for i in range(args.cold_runs):
            where = copy_checkout(Path(tmp) / f"cold{i}")
            print(f"bench: cold build {i + 1}/{args.cold_runs} ...", flush=True)
            cold.append(build(where))
        where = Path(tmp) / "cold0"
        report.builds["cold"] = [c.seconds for c in cold]
        report.jobs = json.loads((where / "docs/generated/_runner/timings.json").read_text())
        print("bench: warm and no-exec builds ...", flush=True)
        warm = [build(where) for _ in range(args.runs)]
        report.builds["warm"] = [w.seconds for w in warm]
        report.builds["no-exec"] = [build(where, GTT_NO_EXEC="1").seconds for _ in range(args.runs)]
        print("bench: text edit under mkdocs serve ...", flush=True)
        report.serve_edit, report.ran["serve"] = serve_edit(where, args.runs)
        print("bench: snippet edit ...", flush=True)
        report.ran["snippet"] = snippet_edit(where)
        print("bench: page weights ...", flush=True)
        report.pages = page_weights(where / "site")
        report.figures = [
            {"figure": p.relative_to(where / "site").as_posix(), "bytes": p.stat().st_size}
            for p in sorted((where / "site" / "generated").rglob("*.svg"))
        ]
    report.reference += [reference_seconds() for _ in range(2)]  # after: the machine may drift

    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    text = markdown(report)
    (REPORT_DIR / "report.md").write_text(text, encoding="utf-8")
    (REPORT_DIR / "report.json").write_text(json.dumps(report.__dict__, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
