"""Run every snippet and lab, write their outputs into docs/generated/, check them.

Data flows one way: snippets/ -> this runner -> docs/generated/ -> pages -> site.

* Each snippet (``snippets/<chapter>/<name>.py``) runs as ``python <name>.py`` in its own
  process, in an empty working folder, with a timeout. On Linux the process is forked
  from a server that has imported numpy, torch and matplotlib once (``gtt/preload.py``),
  which saves seconds per snippet; ``GTT_PRELOAD=0`` starts a fresh interpreter instead. Its stdout becomes
  ``docs/generated/<chapter>/<name>.txt``; every file it writes (figures, tables) must be
  named ``<name>*`` and is copied beside it.
* Each lab (``docs/labs/<name>.py``, jupytext percent format) is executed from a clean
  kernel into ``docs/generated/labs/<name>.ipynb``; any failing cell fails the run.
* A snippet's stdout is compared with the committed copy ``tests/expected/<chapter>/<name>.txt``;
  a difference is reported as a unified diff naming the snippet. ``--regen`` rewrites the
  committed copies instead and prints what changed.
* Results are cached by a hash of the source, the in-repo modules it imports, the style
  file and the library versions: an unchanged job is not re-run.
* All failures are collected and reported together, then the run fails.
* Files are written only when their content changes, so ``mkdocs serve`` does not loop.

Usage: ``python -m gtt.runner [--regen] [--jobs N] [--force] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_VERSION = "1"
LIBRARIES = ("numpy", "torch", "matplotlib", "nbclient", "ipykernel", "jupytext")
DEFAULT_TIMEOUT = 600.0
MANIFEST = ".runner-cache.json"
TIMINGS = "_runner"
# Reports `make bench` writes and pages include; a placeholder stands in until it has run.
BENCH_REPORTS = ("_bench/report.md",)
BENCH_PLACEHOLDER = (
    '!!! info "No benchmark report in this build"\n'
    "    `make bench` has not been run on the machine that built this copy of the site.\n"
)


class RunnerError(Exception):
    """One or more jobs failed; the message lists every failure."""


@dataclass(frozen=True)
class Project:
    """Where things live, relative to one checkout (a temporary copy works too)."""

    root: Path = ROOT

    @property
    def snippets(self) -> Path:
        return self.root / "snippets"

    @property
    def labs(self) -> Path:
        return self.root / "docs" / "labs"

    @property
    def expected(self) -> Path:
        return self.root / "tests" / "expected"

    @property
    def generated(self) -> Path:
        return self.root / "docs" / "generated"

    @property
    def style(self) -> Path:
        return self.root / "gtt" / "matplotlibrc"


@dataclass(frozen=True)
class Job:
    """One snippet or lab to execute."""

    kind: str  # "snippet" or "lab"
    source: Path
    project: Project

    @property
    def name(self) -> str:
        return self.source.stem

    @property
    def rel(self) -> str:
        """Path shown in messages, relative to the checkout (``snippets/first_look/x.py``)."""
        return self.source.relative_to(self.project.root).as_posix()

    @property
    def chapter(self) -> str:
        if self.kind == "lab":
            return "labs"
        return self.source.parent.relative_to(self.project.snippets).as_posix()

    @property
    def out_dir(self) -> Path:
        return self.project.generated / self.chapter

    @property
    def expected(self) -> Path | None:
        if self.kind == "lab":
            return None
        return self.project.expected / self.chapter / f"{self.name}.txt"


@dataclass
class Result:
    """What happened to one job."""

    job: Job
    status: str  # "ran", "cached" or "failed"
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # expected files rewritten by --regen


# --------------------------------------------------------------------------- discovery


def discover(project: Project = Project()) -> list[Job]:
    """All snippets and labs, sorted by path; snippet names must be unique site-wide."""
    jobs = [
        Job("snippet", p, project)
        for p in sorted(project.snippets.rglob("*.py"))
        if not p.name.startswith("_") and "__pycache__" not in p.parts
    ]
    if project.labs.is_dir():
        jobs += [Job("lab", p, project) for p in sorted(project.labs.glob("*.py"))]
    seen: dict[str, str] = {}
    for job in jobs:
        if job.kind == "snippet" and job.name in seen:
            raise RunnerError(
                f"two snippets are both named {job.name!r}: {seen[job.name]} and {job.rel}; "
                "snippet names must be unique (they are imported by name)"
            )
        seen[job.name] = job.rel
    return jobs


def snippet_dirs(project: Project) -> list[Path]:
    """Every folder holding snippets: the import path snippets and labs run with."""
    return sorted(
        {p.parent for p in project.snippets.rglob("*.py") if "__pycache__" not in p.parts}
    )


def local_imports(source: Path, modules: dict[str, Path]) -> set[Path]:
    """Snippet files that ``source`` imports, directly or through each other."""
    found: set[Path] = set()
    todo = [source]
    while todo:
        tree = ast.parse(todo.pop().read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: Iterable[str] = ()
            if isinstance(node, ast.Import):
                names = (alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = (node.module.split(".")[0],)
            for name in names:
                path = modules.get(name)
                if path is not None and path not in found and path != source:
                    found.add(path)
                    todo.append(path)
    return found


def library_versions() -> dict[str, str]:
    """Versions that can change a result: Python and the scientific stack."""
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "absent"
    return versions


def cache_key(job: Job, modules: dict[str, Path], versions: dict[str, str]) -> str:
    """Hash of everything that can change a job's output."""
    digest = hashlib.sha256()
    digest.update(f"{CACHE_VERSION}\n{job.kind}\n{job.rel}\n".encode())
    for path in [job.source, *sorted(local_imports(job.source, modules))]:
        digest.update(path.relative_to(job.project.root).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(job.project.style.read_bytes())
    if job.kind == "lab":  # how a lab is executed is part of its result
        digest.update((job.project.root / "gtt" / "labs.py").read_bytes())
    digest.update(json.dumps(versions, sort_keys=True).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- files


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds exactly that; True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_manifest(project: Project) -> dict[str, dict]:
    path = project.generated / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def cache_hit(job: Job, key: str, entry: dict | None) -> bool:
    """True if the job's recorded outputs match ``key`` and are still on disk, unaltered."""
    if not entry or entry.get("key") != key:
        return False
    for name, digest in entry.get("files", {}).items():
        path = job.out_dir / name
        if not path.exists() or sha(path.read_bytes()) != digest:
            return False
    return True


# --------------------------------------------------------------------------- execution


def run_env(project: Project, threads: int = 1) -> dict[str, str]:
    """Environment every job runs in: deterministic, headless, one style, fixed threads."""
    env = os.environ.copy()
    path = [str(d) for d in snippet_dirs(project)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env.update(
        PYTHONPATH=os.pathsep.join(path),
        MPLBACKEND="Agg",
        MATPLOTLIBRC=str(project.style),
        SOURCE_DATE_EPOCH="0",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        TQDM_DISABLE="1",
    )
    return env


def use_preload() -> bool:
    """Fork snippets from a warm server (Linux, unless ``GTT_PRELOAD=0``)."""
    return sys.platform.startswith("linux") and os.environ.get("GTT_PRELOAD", "1") != "0"


class Preloaded:
    """One ``gtt/preload.py`` server per run, started when the first snippet needs it."""

    def __init__(self, project: Project):
        self.project = project
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen:
        if self.proc is None:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("preload.py"))],
                cwd=self.project.root,
                env=run_env(self.project),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self.proc

    def run(self, script: Path, workdir: Path, timeout: float) -> tuple[int | None, bytes, bytes]:
        """Exit code (None: timed out), stdout and stderr of ``python script`` in ``workdir``."""
        with tempfile.TemporaryDirectory(prefix="gtt-io-") as io:
            files = {key: os.path.join(io, key) for key in ("stdout", "stderr", "status")}
            request = {"script": str(script), "cwd": str(workdir), **files}
            with self.lock:
                proc = self.start()
                proc.stdin.write((json.dumps(request) + "\n").encode())
                proc.stdin.flush()
                reply = proc.stdout.readline()
            if not reply:
                raise RunnerError("the snippet server (gtt/preload.py) stopped; try GTT_PRELOAD=0")
            pid = json.loads(reply)["pid"]
            status, code = Path(files["status"]), None
            deadline = time.monotonic() + timeout
            while not status.exists():
                if proc.poll() is not None:
                    raise RunnerError("the snippet server (gtt/preload.py) died; try GTT_PRELOAD=0")
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    while not status.exists():
                        time.sleep(0.02)
                    break
                time.sleep(0.02)
            else:
                code = int(status.read_text())
            return code, Path(files["stdout"]).read_bytes(), Path(files["stderr"]).read_bytes()

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
            self.proc.stdout.close()


def execute(
    job: Job, workdir: Path, timeout: float, preloaded: Preloaded | None = None
) -> tuple[bytes, list[str]]:
    """Run one job in ``workdir``; return its main output and any problems."""
    env = run_env(job.project)
    if job.kind == "snippet" and preloaded is not None:
        code, stdout, stderr = preloaded.run(job.source, workdir, timeout)
        if code is None:
            return b"", [f"{job.rel}: timed out after {timeout:.0f} s"]
        if code != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-25:]
            return b"", [f"{job.rel}: exited with status {code}\n" + "\n".join(tail)]
        return stdout, []
    if job.kind == "snippet":
        cmd = [sys.executable, str(job.source)]
    else:
        cmd = [
            sys.executable,
            "-m",
            "gtt.labs",
            str(job.source),
            str(workdir / f"{job.name}.ipynb"),
        ]
        env["PYTHONPATH"] = os.pathsep.join([str(job.project.root), env["PYTHONPATH"]])
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures inline
    try:
        proc = subprocess.run(
            cmd, cwd=workdir, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return b"", [f"{job.rel}: timed out after {timeout:.0f} s"]
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-25:]
        return b"", [f"{job.rel}: exited with status {proc.returncode}\n" + "\n".join(tail)]
    if job.kind == "lab":
        return b"", []
    return proc.stdout, []


def collect(job: Job, workdir: Path, stdout: bytes) -> tuple[dict[str, bytes], list[str]]:
    """The files a job produced, keyed by their name in ``docs/generated/<chapter>/``."""
    files: dict[str, bytes] = {}
    problems = []
    if job.kind == "snippet":
        files[f"{job.name}.txt"] = stdout
    for path in sorted(workdir.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(workdir).as_posix()
        if not name.startswith(job.name):
            problems.append(
                f"{job.rel}: wrote {name!r}; a job's files must be named {job.name}* "
                "so that jobs in one chapter cannot overwrite each other"
            )
            continue
        files[name] = path.read_bytes()
    return files, problems


def compare(job: Job, actual: bytes, regen: bool, result: Result) -> None:
    """Check a snippet's stdout against its committed copy (or rewrite it with ``regen``)."""
    expected_path = job.expected
    if expected_path is None:
        return
    rel_expected = expected_path.relative_to(job.project.root).as_posix()
    old = expected_path.read_bytes() if expected_path.exists() else None
    if old == actual:
        return
    diff = "".join(
        difflib.unified_diff(
            (old or b"").decode("utf-8", "replace").splitlines(keepends=True),
            actual.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"{rel_expected} (committed)",
            tofile=f"{job.rel} (this run)",
        )
    )
    if regen:
        write_if_changed(expected_path, actual)
        result.changed.append(f"{rel_expected}\n{diff}")
    elif old is None:
        result.problems.append(
            f"{job.rel}: no committed output {rel_expected}; "
            "run `make regen` to create it, then review and commit it"
        )
    else:
        result.problems.append(
            f"{job.rel}: output differs from {rel_expected}\n{diff}"
            "If the change is intended, run `make regen` and commit the new expected output."
        )


def run_job(
    job: Job,
    key: str,
    entry: dict | None,
    regen: bool,
    force: bool,
    timeout: float,
    preloaded: Preloaded | None = None,
) -> tuple[Result, dict | None]:
    """Execute (or reuse) one job; return its result and its new manifest entry."""
    if not force and cache_hit(job, key, entry):
        result = Result(job, "cached", entry.get("seconds", 0.0))
        if job.kind == "snippet":
            compare(job, (job.out_dir / f"{job.name}.txt").read_bytes(), regen, result)
        return result, entry
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"gtt-{job.name}-") as tmp:
        stdout, problems = execute(job, Path(tmp), timeout, preloaded)
        seconds = time.perf_counter() - start
        if problems:
            return Result(job, "failed", seconds, problems), None
        files, problems = collect(job, Path(tmp), stdout)
    result = Result(job, "ran", seconds, problems)
    if problems:
        result.status = "failed"
        return result, None
    for name, data in files.items():
        write_if_changed(job.out_dir / name, data)
    if job.kind == "snippet":
        compare(job, stdout, regen, result)
    new_entry = {
        "key": key,
        "seconds": round(seconds, 2),
        "files": {name: sha(data) for name, data in files.items()},
    }
    return result, new_entry


def prune(project: Project, manifest: dict[str, dict], jobs: list[Job]) -> None:
    """Remove generated files no job claims (a renamed figure, a deleted snippet).

    Folders named ``_*`` hold reports about the build itself (timings, ``make bench``)."""
    claimed = set()
    for job in jobs:
        for name in manifest.get(job.rel, {}).get("files", {}):
            claimed.add((job.out_dir / name).resolve())
    for path in project.generated.rglob("*"):
        rel = path.relative_to(project.generated)
        keep = not path.is_file() or path.name == MANIFEST or rel.parts[0].startswith("_")
        if not keep and path.resolve() not in claimed:
            path.unlink()


def timing_table(results: list[Result]) -> str:
    """Markdown table of execution times, slowest first (as sphinx-gallery shows them)."""
    rows = sorted(results, key=lambda r: (-r.seconds, r.job.rel))
    total = sum(r.seconds for r in results)
    lines = [
        "| job | kind | last run (s) | this build |",
        "|---|---|---:|---|",
        *(f"| `{r.job.rel}` | {r.job.kind} | {r.seconds:.2f} | {r.status} |" for r in rows),
        f"| **total** | | **{total:.2f}** | "
        f"{sum(r.status == 'ran' for r in results)} ran, "
        f"{sum(r.status == 'cached' for r in results)} cached |",
    ]
    return "\n".join(lines) + "\n"


def default_jobs() -> int:
    """Worker processes: ``GTT_JOBS`` if set, else one per core."""
    value = os.environ.get("GTT_JOBS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise RunnerError(f"GTT_JOBS must be a positive integer, got {value!r}")
        return int(value)
    return os.cpu_count() or 1


def run(
    project: Project = Project(),
    *,
    regen: bool = False,
    force: bool = False,
    jobs: int | None = None,
    only: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Bring docs/generated/ up to date; raise RunnerError listing every failure."""
    all_jobs = discover(project)
    wanted = set(only)
    unknown = wanted - {j.name for j in all_jobs}
    if unknown:
        raise RunnerError(f"no snippet or lab named {', '.join(sorted(unknown))}")
    selected = [j for j in all_jobs if not wanted or j.name in wanted]
    modules = {j.name: j.source for j in all_jobs if j.kind == "snippet"}
    versions = library_versions()
    manifest = load_manifest(project)
    workers = jobs or default_jobs()
    preloaded = Preloaded(project) if use_preload() else None

    # Keys first, in this thread: ast.parse is not thread-safe in CPython 3.11 (concurrent
    # calls can fail with "AST constructor recursion depth mismatch").
    keys = {job.rel: cache_key(job, modules, versions) for job in selected}

    def one(job: Job) -> tuple[Result, dict | None]:
        key = keys[job.rel]
        entry = manifest.get(job.rel)
        result, entry = run_job(job, key, entry, regen, force, timeout, preloaded)
        if result.status != "cached":
            log(f"{result.status:>6}  {job.rel}  ({result.seconds:.1f} s)")
        return result, entry

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, selected))  # map keeps the discovery order
    finally:
        if preloaded is not None:
            preloaded.close()

    results = [r for r, _ in outcomes]
    for result, entry in outcomes:
        if entry is not None:
            manifest[result.job.rel] = entry
    manifest = {j.rel: manifest[j.rel] for j in all_jobs if j.rel in manifest}
    write_if_changed(
        project.generated / MANIFEST,
        (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode(),
    )
    if not wanted:
        prune(project, manifest, all_jobs)
    write_if_changed(project.generated / TIMINGS / "timings.md", timing_table(results).encode())
    for report in BENCH_REPORTS:
        if not (project.generated / report).exists():
            write_if_changed(project.generated / report, BENCH_PLACEHOLDER.encode())
    write_if_changed(
        project.generated / TIMINGS / "timings.json",
        json.dumps(
            [{"job": r.job.rel, "status": r.status, "seconds": r.seconds} for r in results],
            indent=1,
        ).encode(),
    )

    for result in results:
        for change in result.changed:
            log(f"rewrote {change}")
    cached = sum(r.status == "cached" for r in results)
    log(f"runner: {len(results)} jobs, {cached} cached, {len(results) - cached} executed")
    problems = [p for r in results for p in r.problems]
    if problems:
        raise RunnerError(
            f"{len(problems)} problem(s) in {sum(bool(r.problems) for r in results)} job(s):\n\n"
            + "\n\n".join(problems)
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gtt.runner", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--regen", action="store_true", help="rewrite tests/expected/ on purpose")
    parser.add_argument("--force", action="store_true", help="ignore the cache, re-run everything")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    parser.add_argument("--only", nargs="*", default=(), help="run just these snippet/lab names")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per job")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        run(
            Project(args.root.resolve()),
            regen=args.regen,
            force=args.force,
            jobs=args.jobs,
            only=args.only,
            timeout=args.timeout,
        )
    except RunnerError as exc:
        print(f"runner: FAILED\n{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
