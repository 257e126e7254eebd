"""Run every snippet and lab, write their outputs into docs/generated/, check them.

Data flows one way: snippets/ -> this runner -> docs/generated/ -> pages -> site.

* Each snippet (``snippets/<chapter>/<name>.py``) runs as a reader would run it: its
  *bundle* (the file and every snippet it imports, directly or not) is copied into an
  empty folder and ``python <name>.py`` runs there, in its own process, on the CPU (GPUs
  are hidden), with one thread and a timeout. On Linux the process is forked from a
  server that has imported numpy, torch and matplotlib once (``gtt/preload.py``);
  ``GTT_PRELOAD=0`` starts a fresh interpreter instead. Its stdout becomes
  ``docs/generated/<chapter>/<name>.txt``; every file it writes (figures, tables, the
  ``<name>.json`` of values that pages quote in their prose) must be named ``<name>*``
  and is copied beside it, with ``<name>.zip`` (the bundle, for readers to download) and
  ``<name>.download.md`` (the sentence a page shows beside the listing).
* Each lab (``docs/labs/<name>.py``, jupytext percent format) is executed from a clean
  kernel into ``docs/generated/labs/<name>.ipynb``; any failing cell fails the run.
* A snippet's stdout, and its ``<name>.json`` if it writes one, are compared with the
  committed copies in ``tests/expected/<chapter>/``: byte for byte, or within the
  tolerances the committed copy declares next to its numbers (``gtt/compare.py``). A
  difference is reported with the line, the number, the tolerance and a unified diff.
  ``--regen`` rewrites the committed copies instead (keeping their tolerances).
* Results are cached by a hash of the source, the library modules it imports, the style
  file, the library versions and the CPU settings: an unchanged job is not re-run. The
  outputs of each job's last few keys are kept in ``.cache/runner/`` (``gtt/store.py``),
  so builds under other settings (`make test`, `make serve`) reuse each other's runs.
* All failures are collected and reported together, then the run fails (``strict``);
  ``mkdocs serve`` runs it non-strict and shows the failures on the pages instead.
* Files are written only when their content changes, so ``mkdocs serve`` does not loop.
* A job cannot hang, flood or alter the build: stdin closed, its process group killed at
  its end and at its timeout (``gtt/processes.py``), a timeout derived from its last
  run and a cap on its outputs (``gtt/limits.py``), and the checkout compared before and
  after the jobs (``gtt/worktree.py``).

Usage: ``python -m gtt.runner [--regen] [--jobs N] [--force] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import functools
import hashlib
import io
import json
import os
import platform
import select
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from gtt import compare as compare_text
from gtt import limits, processes, store, worktree
from gtt.store import sha

ROOT = Path(__file__).resolve().parents[1]
CACHE_VERSION = "2"  # 2: the store, and bundles in every snippet's outputs
LIBRARIES = ("numpy", "torch", "matplotlib", "nbclient", "ipykernel", "jupytext")
CACHE = ".cache/runner"  # the store and its index, in the checkout (ignored by git)
MANIFEST = "manifest.json"
MANIFEST_REL = f"{CACHE}/{MANIFEST}"
TIMINGS = "_runner"
# Settings that change which CPU kernels run, and so the last digits of a result: part of
# the cache key, so a build under another (simulated) CPU really re-runs.
CPU_SETTINGS = (
    "ATEN_CPU_CAPABILITY",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_CBWR",
    "ONEDNN_MAX_CPU_ISA",
    "OPENBLAS_CORETYPE",
    "NPY_DISABLE_CPU_FEATURES",
)
# The kernels every job runs with on an x86-64 machine with AVX2: the libraries otherwise
# choose by the CPU they find, and two machines of one kind differ. Seen on two 2-core
# "AMD EPYC" machines: OpenBLAS picked SkylakeX kernels on one and Haswell kernels on the
# other, so a float64 NumPy matrix product, iterated 1000 times in mean_of_logs.py, printed
# other third digits; MKL (PyTorch's BLAS) and PyTorch's own kernels choose the same way.
# Pinned to AVX2, both machines compute the same bits. A variable already set in the
# environment wins, so `ATEN_CPU_CAPABILITY=default make build` still tests another CPU.
PINNED_KERNELS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2",  # MKL's conditional numerical reproducibility
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so a bundle is byte-stable
# Another CPU, simulated on this one by choosing other kernels (`--as-cpu NAME`): a build
# under it must pass with the outputs committed on the contributor's machine.
SIMULATED_CPUS = {
    # PyTorch's non-vectorised kernels; MKL, oneDNN and OpenBLAS on their AVX (not AVX2)
    # code paths: other digits everywhere, at 1.06 times the measured jobs' time (385 s
    # against 362 s on one machine; the SSE paths cost 1.4 times).
    "default": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_CBWR": "AVX",
        "MKL_ENABLE_INSTRUCTIONS": "AVX",
        "ONEDNN_MAX_CPU_ISA": "AVX",
        "OPENBLAS_CORETYPE": "Sandybridge",
    },
}


@functools.cache
def has_avx2() -> bool:
    """True on an x86-64 Linux machine whose CPU reports AVX2 (where the pins apply); read
    once per process."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx2" in flags


def pinned_kernels() -> dict[str, str]:
    """PINNED_KERNELS where they apply (x86-64 with AVX2), less what the environment sets."""
    if not has_avx2():
        return {}
    return {k: v for k, v in PINNED_KERNELS.items() if not os.environ.get(k)}


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

    @property
    def cache(self) -> Path:
        return self.root / CACHE


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
        """The committed copy of its stdout (snippets only)."""
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
    rewrote: list[str] = field(default_factory=list)  # their paths, from the checkout's root


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
                "snippet names must be unique (a bundle puts them in one folder)"
            )
        seen[job.name] = job.rel
    return jobs


def snippet_modules(project: Project) -> dict[str, Path]:
    """Module name -> snippet file: what ``import <name>`` finds inside a bundle."""
    return {j.name: j.source for j in discover(project) if j.kind == "snippet"}


def snippet_dirs(project: Project) -> list[Path]:
    """Every folder holding snippets (tests import snippets by name from these)."""
    return sorted(
        {p.parent for p in project.snippets.rglob("*.py") if "__pycache__" not in p.parts}
    )


def local_imports(source: Path, modules: dict[str, Path]) -> set[Path]:
    """Snippet files that ``source`` imports, directly or through each other."""
    found: set[Path] = set()
    todo = [source]
    while todo:
        path = todo.pop()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: Iterable[str] = ()
            if isinstance(node, ast.Import):
                names = (alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = (node.module.split(".")[0],)
            for name in names:
                imported: Path | None = modules.get(name)
                if name == "rnnbook" and isinstance(node, ast.Import | ast.ImportFrom):
                    imported = None  # the book's library (bridge until the runner split)
                    found.add(library_file(source, "__init__"))
                    for sub in library_names(node):
                        lib = library_file(source, sub)
                        if lib.exists() and lib not in found:
                            found.add(lib)
                            todo.append(lib)
                if imported is not None and imported not in found and imported != source:
                    found.add(imported)
                    todo.append(imported)
    return found


def library_file(source: Path, module: str) -> Path:
    """``rnnbook/<module>.py`` of the checkout that holds ``source``."""
    root = next(p for p in source.parents if (p / "rnnbook").is_dir())
    return root / "rnnbook" / f"{module}.py"


def library_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The rnnbook modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name.split(".")[1] for a in node.names if a.name.startswith("rnnbook.")]
    if node.module == "rnnbook":
        return [a.name for a in node.names]
    return [node.module.split(".")[1]] if node.module and "." in node.module else []


def bundle_name(path: Path) -> str:
    """A bundled file's name inside the bundle (library modules keep their folder)."""
    return f"rnnbook/{path.name}" if path.parent.name == "rnnbook" else path.name


def bundle(source: Path, modules: dict[str, Path]) -> list[Path]:
    """The files a reader needs to run ``source``: itself first, then what it imports."""
    return [source, *sorted(local_imports(source, modules), key=lambda p: p.name)]


def cpu_settings() -> dict[str, str]:
    """The environment variables that select CPU kernels, as a job gets them."""
    found = {name: os.environ[name] for name in CPU_SETTINGS if os.environ.get(name)}
    return {**pinned_kernels(), **found}


def library_versions() -> dict[str, str]:
    """Versions that can change a result: Python and the scientific stack."""
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "absent"
    return versions


def cache_key(
    job: Job, modules: dict[str, Path], versions: dict[str, str], cpu: dict[str, str] | None = None
) -> str:
    """Hash of everything that can change a job's output."""
    return keyed_by_cpu(content_key(job, modules, versions), cpu)


def keyed_by_cpu(content: str, cpu: dict[str, str] | None = None) -> str:
    """The cache key: the content key and the CPU settings the job runs under."""
    settings = json.dumps({**cpu_settings(), **(cpu or {})}, sort_keys=True)
    return sha(f"{content}\n{settings}".encode())


def content_key(job: Job, modules: dict[str, Path], versions: dict[str, str]) -> str:
    """Hash of everything that can change a job's output except the CPU settings."""
    digest = hashlib.sha256()
    digest.update(f"{CACHE_VERSION}\n{job.kind}\n{job.rel}\n".encode())
    for path in [job.source, *sorted(local_imports(job.source, modules))]:
        digest.update(path.relative_to(job.project.root).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(job.project.style.read_bytes())
    if job.kind == "lab":  # how a lab is executed is part of its result, and where it links
        digest.update((job.project.root / "gtt" / "labs.py").read_bytes())
        digest.update(os.environ.get("GTT_SITE_URL", "").encode())
    digest.update(json.dumps(versions, sort_keys=True).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- files


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds exactly that; True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a watching `mkdocs serve` never reads half a file
    return True


def load_manifest(project: Project, log: Callable[[str], None] = print) -> dict[str, dict]:
    """The cache index: job -> key, seconds, files. A damaged one is reported in one line;
    what it cannot vouch for is taken again from the store or re-run (the run writes a whole
    one again)."""
    path = project.cache / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # cut short, not JSON, not UTF-8
        log(f"runner: {MANIFEST_REL}: unreadable ({exc}); checking them again")
        return {}
    if not isinstance(data, dict):
        log(f"runner: {MANIFEST_REL}: not a JSON object; checking them again")
        return {}
    damaged = sorted(rel for rel, entry in data.items() if not valid_entry(entry))
    if damaged:
        log(
            f"runner: {MANIFEST_REL}: damaged entries for {', '.join(damaged)}; checking them again"
        )
    return {rel: entry for rel, entry in data.items() if rel not in damaged}


def valid_entry(entry: object) -> bool:
    """An entry of the cache index as run_job() writes it."""
    if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
        return False
    files, seconds = entry.get("files"), entry.get("seconds", 0.0)
    return (
        isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
        and isinstance(seconds, int | float)
        and not isinstance(seconds, bool)
    )


def cache_hit(job: Job, key: str, entry: dict | None) -> bool:
    """True if the job's recorded outputs match ``key`` and are still on disk, unaltered."""
    if not entry or entry.get("key") != key:
        return False
    for name, digest in entry.get("files", {}).items():
        path = job.out_dir / name
        if not path.exists() or sha(path.read_bytes()) != digest:
            return False
    return True


def zip_bundle(files: dict[str, bytes]) -> bytes:
    """The bundle as a zip archive, byte-stable (fixed times, fixed order)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def download_note(job: Job, files: dict[str, bytes]) -> str:
    """The Markdown a page shows beside a whole-file listing: what to download and run."""
    link = f"generated/{job.chapter}/{job.name}.zip"
    if len(files) == 1:
        what = f"`{job.name}.py` on its own"
    else:
        others = ", ".join(f"`{name}`" for name in list(files)[1:])
        count = "the file" if len(files) == 2 else f"the {len(files) - 1} files"
        what = f"`{job.name}.py` and {count} it imports ({others})"
    return (
        '<p class="gtt-download" markdown="span">'
        f"[Download `{job.name}.zip`]({link}){{ download }}: {what}. "
        f"Unzip it into an empty folder and run `python {job.name}.py`.</p>\n"
    )


# --------------------------------------------------------------------------- execution


def run_env(
    project: Project, threads: int = 1, cpu: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment every job runs in: CPU only, deterministic, headless, one style, fixed threads.

    `cpu` adds the settings of a simulated CPU (SIMULATED_CPUS)."""
    env = os.environ.copy()
    env.update(pinned_kernels())
    env.update(cpu or {})
    env.pop("PYTHONPATH", None)  # a snippet finds what it imports in its own folder
    env.update(
        CUDA_VISIBLE_DEVICES="",  # the page's numbers are CPU numbers, for every contributor
        HIP_VISIBLE_DEVICES="",
        MPLBACKEND="Agg",
        MATPLOTLIBRC=str(project.style),
        SOURCE_DATE_EPOCH="0",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        TQDM_DISABLE="1",
        PYTHONBREAKPOINT="0",  # a breakpoint() left in a snippet is a no-op, not a prompt
    )
    return env


MEASURED_AS_CPU = "GTT_MEASURED_AS_CPU"


def measured_as_cpu() -> dict[str, str] | None:
    """The simulated CPU that measured jobs run as (``GTT_MEASURED_AS_CPU``; `make test` sets
    it), or None: their outputs must then pass against copies committed on another CPU."""
    name = os.environ.get(MEASURED_AS_CPU, "")
    if not name:
        return None
    if name not in SIMULATED_CPUS:
        raise RunnerError(
            f"{MEASURED_AS_CPU} must be one of {', '.join(SIMULATED_CPUS)}, got {name!r}"
        )
    return SIMULATED_CPUS[name]


def use_preload() -> bool:
    """Fork snippets from a warm server (Linux, unless ``GTT_PRELOAD=0``)."""
    return sys.platform.startswith("linux") and os.environ.get("GTT_PRELOAD", "1") != "0"


class Preloaded:
    """One ``gtt/preload.py`` server per run, started when the first snippet needs it.

    Every wait on it is bounded: a server that does not answer a request within the job's
    timeout (plus START_TIMEOUT if the request started it: it imports torch first) is
    killed, the next job starts a new one, and the job fails. The job's own timeout
    starts with the reply."""

    SERVER = Path(__file__).with_name("preload.py")
    START_TIMEOUT = 120.0

    def __init__(self, project: Project, cpu: dict[str, str] | None = None):
        self.project, self.cpu = project, cpu or {}
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> subprocess.Popen:
        if self.proc is None:  # the CPU settings must be set before torch is imported
            self.proc = subprocess.Popen(
                [sys.executable, str(self.SERVER)],
                cwd=self.project.root,
                env=run_env(self.project, cpu=self.cpu),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self.proc

    def run(self, script: Path, workdir: Path, timeout: float) -> tuple[int | None, bytes, bytes]:
        """Exit code (None: timed out), stdout and stderr of ``python script`` in ``workdir``."""
        with tempfile.TemporaryDirectory(prefix="gtt-io-") as io_dir:
            files = {key: os.path.join(io_dir, key) for key in ("stdout", "stderr", "status")}
            request = {"script": str(script), "cwd": str(workdir), **files}
            with self.lock:
                starting = self.proc is None
                proc = self.start()
                wait = timeout + (self.START_TIMEOUT if starting else 0.0)
                assert proc.stdin is not None  # started with stdin=PIPE
                try:
                    proc.stdin.write((json.dumps(request) + "\n").encode())
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass  # it stopped: the reply below is empty
                reply = self._reply(proc, time.monotonic() + wait)
                if reply is None:
                    self._kill()
                    raise RunnerError(
                        f"the snippet server (gtt/preload.py) did not answer within "
                        f"{wait:.0f} s; try GTT_PRELOAD=0"
                    )
            if not reply:
                raise RunnerError("the snippet server (gtt/preload.py) stopped; try GTT_PRELOAD=0")
            pid = json.loads(reply)["pid"]
            status, code = Path(files["status"]), None
            deadline = time.monotonic() + timeout
            while not status.exists():
                if proc.poll() is not None:
                    raise RunnerError("the snippet server (gtt/preload.py) died; try GTT_PRELOAD=0")
                if time.monotonic() > deadline:
                    processes.end_group(pid)  # the server reaps it and writes its status
                    while not status.exists() and proc.poll() is None:
                        time.sleep(0.02)
                    break
                time.sleep(0.02)
            else:
                code = int(status.read_text())
            stdout, stderr = (limits.read_capped(Path(files[n])) for n in ("stdout", "stderr"))
            return code, stdout, stderr

    @staticmethod
    def _reply(proc: subprocess.Popen, deadline: float) -> bytes | None:
        """The server's one-line reply; b"" if it closed its end, None if none by ``deadline``.

        Not ``readline()``: that blocks for as long as a stuck server stays stuck."""
        assert proc.stdout is not None  # started with stdout=PIPE
        fd, line = proc.stdout.fileno(), b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            line += chunk
        return line

    def _kill(self) -> None:
        """Stop a server that no longer answers, and the snippets it forked (each in a
        group of its own); the next request starts a fresh server."""
        if self.proc is not None:
            processes.end_tree(self.proc.pid)
            self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    if pipe is not None:
                        pipe.close()
            self.proc = None

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._kill()
                return
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def execute(
    job: Job,
    workdir: Path,
    timeout: float,
    preloaded: Preloaded | None = None,
    files: dict[str, bytes] | None = None,
    cpu: dict[str, str] | None = None,
) -> tuple[bytes, list[str]]:
    """Run one job in ``workdir`` (a snippet with its bundle copied in); return stdout, problems."""
    env = run_env(job.project, cpu=cpu)
    if job.kind == "snippet":
        for name, data in (files or {job.source.name: job.source.read_bytes()}).items():
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_bytes(data)
        script = workdir / job.source.name
    if job.kind == "snippet" and preloaded is not None:
        try:
            code, stdout, stderr = preloaded.run(script, workdir, timeout)
        except RunnerError as exc:  # the server, not the snippet: still this job's failure
            return b"", [f"{job.rel}: {exc}"]
        if code is None:
            return b"", [f"{job.rel}: timed out after {timeout:.0f} s ({limits.MORE_TIME})"]
        if code != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-25:]
            return b"", [f"{job.rel}: exited with status {code}\n" + "\n".join(tail)]
        return stdout, []
    if job.kind == "snippet":
        cmd = [sys.executable, str(script)]
    else:
        cmd = [
            sys.executable,
            "-m",
            "gtt.labs",
            str(job.source),
            str(workdir / f"{job.name}.ipynb"),
        ]
        env["PYTHONPATH"] = str(job.project.root)  # for gtt.labs; labs import no snippet
        env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures inline
    code, stdout, stderr = processes.run(cmd, workdir, env, timeout)
    if code is None:
        return b"", [f"{job.rel}: timed out after {timeout:.0f} s ({limits.MORE_TIME})"]
    if code != 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-25:]
        return b"", [f"{job.rel}: exited with status {code}\n" + "\n".join(tail)]
    if job.kind == "lab":
        return b"", []
    return stdout, []


def collect(
    job: Job, workdir: Path, stdout: bytes, files: dict[str, bytes] | None = None
) -> tuple[dict[str, bytes], list[str]]:
    """The files a job produced, keyed by their name in ``docs/generated/<chapter>/``."""
    produced: dict[str, bytes] = {}
    problems = []
    inputs = files or {}
    sizes = {f"{job.name}.txt (stdout)": len(stdout)} if job.kind == "snippet" else {}
    for path in workdir.rglob("*"):
        name = path.relative_to(workdir).as_posix()
        if path.is_file() and name not in inputs:
            sizes[name] = path.stat().st_size
    if too_big := limits.output_problem(sizes):
        return {}, [f"{job.rel}: {too_big}"]  # not read: it may be a runaway log
    if job.kind == "snippet":
        produced[f"{job.name}.txt"] = stdout
    for path in sorted(workdir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        name = path.relative_to(workdir).as_posix()
        if name in inputs:
            if path.read_bytes() != inputs[name]:
                problems.append(f"{job.rel}: changed {name}, a file of its own bundle")
            continue
        if not name.startswith(job.name) or name in (f"{job.name}.zip", f"{job.name}.download.md"):
            problems.append(
                f"{job.rel}: wrote {name!r}; a job's files must be named {job.name}* "
                "(and not .zip or .download.md, which the runner writes) so that jobs in "
                "one chapter cannot overwrite each other"
            )
            continue
        produced[name] = path.read_bytes()
    if job.kind == "snippet" and files:
        produced[f"{job.name}.zip"] = zip_bundle(files)
        produced[f"{job.name}.download.md"] = download_note(job, files).encode()
    return produced, problems


def unreadable_problem(job: Job, exc: SyntaxError | ValueError) -> str:
    """``snippets/ch/x.py, line 3: SyntaxError: ...`` (naming the imported file if it is
    that one which does not parse), with the offending line."""
    if not isinstance(exc, SyntaxError):
        return f"{job.rel}: cannot be read as Python source: {exc}"
    where = Path(exc.filename or job.source)
    with contextlib.suppress(ValueError):
        where = where.relative_to(job.project.root)
    place = f"{where.as_posix()}, line {exc.lineno}"
    head = place if where.as_posix() == job.rel else f"{job.rel}: imports {place}"
    text = (exc.text or "").strip()
    return f"{head}: SyntaxError: {exc.msg}" + (f"\n    {text}" if text else "")


def measured(job: Job) -> bool:
    """True if the job's committed outputs declare tolerances: a measurement, whose digits
    depend on the CPU (float32 training), not an exact result."""
    if job.expected is None:  # a lab
        return False
    copies = [job.expected, job.expected.with_suffix(".json")]
    return any(
        path.exists()
        and compare_text.has_tolerances(path.read_text(encoding="utf-8", errors="replace"))
        for path in copies
    )


def compared_outputs(job: Job, produced: dict[str, bytes]) -> list[tuple[str, Path]]:
    """(generated name, committed copy) pairs a snippet's outputs are checked against."""
    if job.expected is None:  # a lab
        return []
    pairs = [(f"{job.name}.txt", job.expected)]
    if f"{job.name}.json" in produced:
        pairs.append((f"{job.name}.json", job.expected.with_suffix(".json")))
    return pairs


def compare(
    job: Job, actual: bytes, regen: bool, result: Result, expected_path: Path | None = None
) -> None:
    """Check one output against its committed copy (or rewrite the copy with ``regen``).

    The committed copy may declare tolerances next to its numbers (gtt/compare.py); one
    without any is compared byte for byte."""
    expected_path = expected_path or job.expected
    if expected_path is None:
        return
    rel_expected = expected_path.relative_to(job.project.root).as_posix()
    try:
        old = expected_path.read_text(encoding="utf-8") if expected_path.exists() else None
    except UnicodeDecodeError as exc:
        if not regen:  # regen rewrites it, which is the fix
            result.problems.append(
                f"{rel_expected}: not UTF-8 text (byte {exc.start}); "
                "restore it (git restore) or rewrite it with `make regen`"
            )
            return
        old = None
    new = actual.decode("utf-8", "replace")
    try:
        problems = [] if old is None else compare_text.mismatches(old, new)
    except compare_text.ToleranceSyntaxError as exc:
        result.problems.append(f"{rel_expected}: {exc}")
        return
    if old is not None and not problems:
        return
    diff = "".join(
        difflib.unified_diff(
            compare_text.strip_tolerances(old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{rel_expected} (committed)",
            tofile=f"{job.rel} (this run)",
        )
    )
    if diff and not diff.endswith("\n"):
        diff += "\n\\ No newline at end of file\n"
    if regen:
        text, lost = compare_text.carry_tolerances(old or "", new)
        write_if_changed(expected_path, text.encode("utf-8"))
        result.rewrote.append(rel_expected)
        note = "".join(
            f"  (committed line {n} had tolerances and changed shape: declare them again)\n"
            for n in lost
        )
        result.changed.append(f"{rel_expected}\n{note}{diff}")
    elif old is None:
        result.problems.append(
            f"{job.rel}: no committed output {rel_expected}; "
            "run `make regen` to create it, then review and commit it"
        )
    else:
        kind = (
            "within its declared tolerances"
            if compare_text.has_tolerances(old)
            else "byte for byte"
        )
        lines = "".join(f"  line {m.line}: {m.reason}\n" for m in problems)
        result.problems.append(
            f"{job.rel}: output differs from {rel_expected} (compared {kind})\n{lines}{diff}"
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
    files: dict[str, bytes] | None = None,
    cpu: dict[str, str] | None = None,
    kept: store.Store | None = None,
    content: str = "",
    any_cpu: bool = False,
) -> tuple[Result, dict | None]:
    """Execute (or reuse) one job; return its result and its new manifest entry.

    Reused, in this order: the outputs in docs/generated/ if the index says they are this
    key's; else this key's run in the store ``kept``; else, with ``any_cpu`` (a preview,
    which may show a run under other CPU settings), any stored run of the ``content`` key."""
    if not force and entry is not None and cache_hit(job, key, entry):
        result = Result(job, "cached", entry.get("seconds", 0.0))
        on_disk = {name: (job.out_dir / name).read_bytes() for name in entry.get("files", {})}
        for name, expected in compared_outputs(job, on_disk):
            compare(job, on_disk[name], regen, result, expected)
        return result, entry
    stored = None
    if not force and kept is not None:
        stored = kept.load(job.rel, key)
        if stored is None and any_cpu:
            stored = kept.load_any_cpu(job.rel, content)
    if stored is not None:
        result = Result(job, "cached", stored.seconds)
        for name, data in stored.files.items():
            write_if_changed(job.out_dir / name, data)
        for name, expected in compared_outputs(job, stored.files):
            compare(job, stored.files[name], regen, result, expected)
        return result, manifest_entry(stored.key, stored.seconds, stored.cpu, stored.files)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"gtt-{job.name}-") as tmp:
        stdout, problems = execute(job, Path(tmp), timeout, preloaded, files, cpu)
        seconds = time.perf_counter() - start
        if problems:
            return Result(job, "failed", seconds, problems), None
        produced, problems = collect(job, Path(tmp), stdout, files)
    result = Result(job, "ran", seconds, problems)
    if problems:
        result.status = "failed"
        return result, None
    for name, data in produced.items():
        write_if_changed(job.out_dir / name, data)
    for name, expected in compared_outputs(job, produced):
        compare(job, produced[name], regen, result, expected)
    settings = {**cpu_settings(), **(cpu or {})}
    if kept is not None:
        kept.save(job.rel, key, content, produced, round(seconds, 2), settings)
    return result, manifest_entry(key, round(seconds, 2), settings, produced)


def manifest_entry(key: str, seconds: float, cpu: dict[str, str], files: dict[str, bytes]) -> dict:
    """What the index records of the outputs now in docs/generated/."""
    return {
        "key": key,
        "seconds": seconds,
        "cpu": cpu,
        "files": {name: sha(data) for name, data in files.items()},
    }


def prune(project: Project, manifest: dict[str, dict], jobs: list[Job]) -> None:
    """Remove generated files no job claims (a renamed figure, a deleted snippet).

    Folders named ``_*`` hold reports about the build itself (timings, ``make bench``)."""
    claimed = set()
    for job in jobs:
        for name in manifest.get(job.rel, {}).get("files", {}):
            claimed.add((job.out_dir / name).resolve())
    for path in project.generated.rglob("*"):
        rel = path.relative_to(project.generated)
        keep = not path.is_file() or rel.parts[0].startswith("_")
        if not keep and path.resolve() not in claimed:
            path.unlink()


def owner(project: Project, generated_file: Path, jobs: list[Job] | None = None) -> Job | None:
    """The job whose output ``docs/generated/<chapter>/<file>`` is (longest name prefix)."""
    try:
        rel = generated_file.resolve().relative_to(project.generated.resolve())
    except ValueError:
        return None
    chapter = rel.parent.as_posix()
    candidates = [
        j
        for j in (jobs if jobs is not None else discover(project))
        if j.chapter == chapter and rel.name.startswith(j.name)
    ]
    return max(candidates, key=lambda j: len(j.name), default=None)


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


def schedule(jobs: list[Job], manifest: dict[str, dict], quick_first: bool) -> list[Job]:
    """The order to start jobs in.

    A build wants the longest jobs first (the workers then finish together); a preview
    wants the quick ones first, so that most pages are complete within seconds. The
    seconds of a job's last run decide; a job never run counts as long (it may be)."""

    def cost(job: Job) -> float:
        return manifest.get(job.rel, {}).get("seconds", 1e6 if job.kind == "snippet" else 1e5)

    if quick_first:
        return sorted(jobs, key=lambda j: (j.chapter == "benchmark", j.kind == "lab", cost(j)))
    return sorted(jobs, key=lambda j: -cost(j))


def run(
    project: Project = Project(),
    *,
    regen: bool = False,
    force: bool = False,
    jobs: int | None = None,
    only: Iterable[str] = (),
    timeout: float | None = None,
    log: Callable[[str], None] = print,
    strict: bool = True,
    quick_first: bool = False,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Bring docs/generated/ up to date; raise RunnerError listing every failure.

    With ``strict=False`` nothing is raised: the results carry the problems (``mkdocs
    serve`` shows them on the pages). ``on_result`` is called as each job finishes.
    ``timeout`` (else ``GTT_TIMEOUT``) is one limit for every job; without either each
    job gets its own, from its last recorded time (gtt/limits.py)."""
    all_jobs = discover(project)
    wanted = set(only)
    unknown = wanted - {j.name for j in all_jobs}
    if unknown:
        raise RunnerError(f"no snippet or lab named {', '.join(sorted(unknown))}")
    selected = [j for j in all_jobs if not wanted or j.name in wanted]
    modules = {j.name: j.source for j in all_jobs if j.kind == "snippet"}
    versions = library_versions()
    manifest = load_manifest(project, log)
    try:
        fixed = timeout if timeout is not None else limits.fixed_timeout()
    except limits.LimitError as exc:
        raise RunnerError(str(exc)) from None
    timeouts = {
        j.rel: limits.timeout_for(manifest.get(j.rel, {}).get("seconds"), fixed) for j in selected
    }
    workers = jobs or default_jobs()
    measured_cpu = measured_as_cpu()
    cpus = {j.rel: measured_cpu if measured_cpu and measured(j) else None for j in selected}
    preloaded = (
        {name: Preloaded(project, cpu) for name, cpu in (("native", None), ("other", measured_cpu))}
        if use_preload()
        else {}
    )
    lock = threading.Lock()

    # Keys first, in this thread: ast.parse is not thread-safe in CPython 3.11 (concurrent
    # calls can fail with "AST constructor recursion depth mismatch").
    # Each bundle's files are read once, here: an editor saving a snippet during the run
    # cannot make what ran differ from what is zipped and checked. A job whose file (or a
    # file it imports) does not parse fails here, reported with the others.
    keys, contents, bundles, unreadable = {}, {}, {}, {}
    for j in selected:
        try:
            contents[j.rel] = content_key(j, modules, versions)
            keys[j.rel] = keyed_by_cpu(contents[j.rel], cpus[j.rel])
            if j.kind == "snippet":
                bundles[j.rel] = {bundle_name(p): p.read_bytes() for p in bundle(j.source, modules)}
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes, not UTF-8
            unreadable[j.rel] = unreadable_problem(j, exc)

    def save_manifest() -> None:
        ordered = {j.rel: manifest[j.rel] for j in all_jobs if j.rel in manifest}
        write_if_changed(
            project.cache / MANIFEST,
            (json.dumps(ordered, indent=1, sort_keys=True) + "\n").encode(),
        )

    def one(job: Job) -> Result:
        if job.rel in unreadable:
            result = Result(job, "failed", problems=[unreadable[job.rel]])
            log(f"failed  {job.rel}  (does not parse)")
            if on_result is not None:
                on_result(result)
            return result
        with progress.job(job.rel):
            result, entry = run_job(
                job,
                keys[job.rel],
                manifest.get(job.rel),
                regen,
                force,
                timeouts[job.rel],
                preloaded.get("other" if cpus[job.rel] else "native"),
                bundles.get(job.rel),
                cpus[job.rel],
                kept,
                contents[job.rel],
                any_cpu=not strict,  # a preview may show a run under other CPU settings
            )
        with lock:
            if entry is not None:
                manifest[job.rel] = entry
                if result.status == "ran":
                    save_manifest()  # a preview stopped half-way keeps what finished
        if result.status != "cached":
            log(f"{result.status:>6}  {job.rel}  ({result.seconds:.1f} s)")
        if on_result is not None:
            on_result(result)
        return result

    kept = store.Store(project.cache)
    guard = worktree.Guard(project.root, log)
    order = schedule(selected, manifest, quick_first)
    try:
        with limits.Progress(log) as progress, ThreadPoolExecutor(max_workers=workers) as pool:
            done = dict(zip([j.rel for j in order], pool.map(one, order), strict=True))
    finally:
        for server in preloaded.values():
            server.close()
    results = [done[j.rel] for j in selected]  # reported in discovery order
    problems = [p for r in results for p in r.problems]
    ran = [r.job.rel for r in results if r.status != "cached" and r.job.rel not in unreadable]
    if changed := guard.problem({path for r in results for path in r.rewrote}, ran):
        problems.append(changed)
        log(f"runner: {changed}")

    save_manifest()
    if not wanted:  # a partial run (--only, a test) leaves the whole build's reports alone
        prune(project, manifest, all_jobs)
        write_if_changed(project.generated / TIMINGS / "timings.md", timing_table(results).encode())
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
    if problems and strict:
        where = f"{sum(bool(r.problems) for r in results)} job(s)"
        if len(problems) > sum(len(r.problems) for r in results):
            where += " and the checkout"
        raise RunnerError(f"{len(problems)} problem(s) in {where}:\n\n" + "\n\n".join(problems))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gtt.runner", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--regen", action="store_true", help="rewrite tests/expected/ on purpose")
    parser.add_argument("--force", action="store_true", help="ignore the cache, re-run everything")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    parser.add_argument("--only", nargs="*", default=(), help="run just these snippet/lab names")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds every job may run (default: GTT_TIMEOUT, else max(60, 5 x its last "
        "run time), 600 for a job never run)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    parser.add_argument(
        "--as-cpu",
        choices=sorted(SIMULATED_CPUS),
        help="run the jobs as on another CPU (other kernels, same machine)",
    )
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.timeout is not None and not args.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    if args.as_cpu:
        os.environ.update(SIMULATED_CPUS[args.as_cpu])
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
