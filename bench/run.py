"""The benchmark: cigen beside its floors and beside CircleCI's official config SDK. Writes bench/RESULTS.md.

    python bench/run.py            # the full run (a few minutes); the committed RESULTS.md comes from one
    python bench/run.py --quick    # fewer repetitions, for iterating (do not commit its RESULTS.md)

Run it with the Python of the environment cigen is installed in (``.venv/bin/python bench/run.py``): the
``cigen`` console script beside that interpreter is what is measured. Node and npm must be on PATH; the
SDK (``@circleci/circleci-config-sdk``) is installed into bench/.scratch/ (git-ignored) on first use.

What is measured (every comparison interleaved: one run of each contender per round, rounds repeated):

1. Whole-process latency of ``cigen --version``, ``--help``, ``render`` of an example and ``check`` of an
   up-to-date copy of it, beside ``python -c pass`` and the import floor of the dependencies.
2. ``cigen render`` against a Node script building the same config with the SDK, for 10, 1,000 and 5,000
   synthetic environments (map filters: the SDK writes no expression filters): time, CPU, peak memory,
   rendered size, and a check that both configs hold the same executors, jobs and workflow.
3. In-process render time (each step) and peak memory for 10 to 5,000 environments in both filter
   styles, with the ratio of consecutive sizes so that non-linear growth shows.
4. The same runs' instruction counts under callgrind (when valgrind is on PATH; not with --quick unless
   named): the instructions per extra environment at 100-1,000 and at 1,000-5,000, which timing noise
   and the memory hierarchy do not move.

Child processes run without PYTHONDONTWRITEBYTECODE (bytecode caches as in a normal install), with
stdin, stdout and stderr not terminals (as in hooks and CI) unless said otherwise.
"""

from __future__ import annotations

import argparse
import fcntl
import itertools
import json
import os
import platform
import pty
import select
import shutil
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRATCH = HERE / ".scratch"
SDK_PACKAGE = "@circleci/circleci-config-sdk"
SDK_VERSION = "0.12.5"  # the latest release (the SDK is no longer maintained)
IMPORT_FLOOR = "import jinja2, pydantic, ruamel.yaml, typer"
# The smallest typer command line: what parsing one option costs (typer builds pydantic adapters).
TYPER_APP = (
    "import typer\napp = typer.Typer()\n@app.command()\ndef hello(name: str = 'x') -> None:\n"
    "    print(name)\napp()"
)

sys.path.insert(0, str(HERE))
from synth import synth  # noqa: E402

# --------------------------------------------------------------------------------------------------
# Running and timing processes.


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss: int  # peak resident set, KiB
    code: int


@dataclass
class Series:
    label: str
    samples: list[Sample] = field(default_factory=list)

    def _vals(self, attr: str) -> list[float]:
        return [float(getattr(s, attr)) for s in self.samples]

    def median(self, attr: str = "wall") -> float:
        return statistics.median(self._vals(attr))

    def low(self, attr: str = "wall") -> float:
        return min(self._vals(attr))

    def high(self, attr: str = "wall") -> float:
        return max(self._vals(attr))

    def spread(self, attr: str = "wall") -> str:
        return f"{fmt_s(self.low(attr))}–{fmt_s(self.high(attr))}"


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # Variables that change how typer/rich render help: as in a plain hook or CI shell.
    for name in ("COLUMNS", "LINES", "TERMINAL_WIDTH", "FORCE_COLOR", "PY_COLORS", "NO_COLOR", "GITHUB_ACTIONS",
                 "COLORTERM"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def run_once(cmd: Sequence[str], cwd: Path | None = None, tty: int = 0) -> Sample:
    """Run ``cmd`` to completion; wall time, the child's own CPU time and peak RSS (os.wait4).

    ``tty``: the columns of a terminal to run it at (0: no terminal).
    """
    if tty:
        return _run_in_pty(cmd, cwd, tty)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode)


def _run_in_pty(cmd: Sequence[str], cwd: Path | None, columns: int) -> Sample:
    # A terminal on all three standard streams, as when a person types the command, sized as a terminal
    # window is (not by COLUMNS, which shells do not export), with the TERM most terminals set.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=child_env({"TERM": "xterm-256color"}), stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    while True:  # drain the terminal so the child never blocks on a full buffer
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        elif proc.poll() is not None:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    os.close(master)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status))


@dataclass
class Contender:
    label: str
    cmd: list[str]
    cwd: Path | None = None
    tty: int = 0  # columns of the terminal it runs at; 0: none


def interleave(contenders: Sequence[Contender], rounds: int, warmup: int = 1) -> dict[str, Series]:
    """Run every contender once per round, in a rotating order, after ``warmup`` untimed rounds."""
    series = {c.label: Series(c.label) for c in contenders}
    for r in range(warmup + rounds):
        order = list(contenders[r % len(contenders):]) + list(contenders[: r % len(contenders)])
        for c in order:
            sample = run_once(c.cmd, c.cwd, c.tty)
            if sample.code != 0:
                raise SystemExit(f"bench: {c.label!r} exited with {sample.code}: {' '.join(c.cmd)}")
            if r >= warmup:
                series[c.label].samples.append(sample)
    return series


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def fmt_mb(kib: float) -> str:
    return f"{kib / 1024:.0f} MB"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


# --------------------------------------------------------------------------------------------------
# The environment.


def capture(cmd: Sequence[str], cwd: Path | None = None) -> str:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> list[tuple[str, str]]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        kib = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
                  .split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return [
        ("machine", f"{cpu or 'unknown CPU'}, {os.cpu_count()} cores, {mem or 'unknown'} RAM"),
        ("system", platform.platform()),
    ]


def versions(python: str, sdk_dir: Path) -> list[tuple[str, str]]:
    code = (
        "import json, importlib.metadata as m, yaml\n"
        "names = ['cigen', 'jinja2', 'pydantic', 'pydantic-core', 'typer', 'click', 'rich', 'ruamel.yaml',"
        " 'PyYAML', 'tomli']\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'not installed'\n"
        "out['PyYAML'] += ' (libyaml: ' + ('yes' if yaml.__with_libyaml__ else 'no') + ')'\n"
        "try:\n"
        "    import tomli; out['tomli'] += ' (compiled)' if tomli.__file__.endswith(('.so', '.pyd')) else ''\n"
        "except ImportError: pass\n"
        "print(json.dumps(out))\n"
    )
    deps = json.loads(capture([python, "-c", code]) or "{}")
    sdk = "not installed"
    pkg = sdk_dir / "node_modules" / "@circleci" / "circleci-config-sdk" / "package.json"
    if pkg.is_file():
        sdk = json.loads(pkg.read_text())["version"].lstrip("v")
    node_yaml = sdk_dir / "node_modules" / "yaml" / "package.json"
    rows = [
        ("Python", capture([python, "-c", "import sys; print(sys.version.split()[0])"])),
        ("Node", capture(["node", "--version"]) or "not found"),
        (SDK_PACKAGE, sdk + (f" (yaml {json.loads(node_yaml.read_text())['version']})" if node_yaml.is_file()
                             else "")),
        ("cigen", f"{deps.pop('cigen', '?')} at {capture(['git', 'rev-parse', '--short', 'HEAD'], ROOT) or '?'}"
         + (" + uncommitted changes" if capture(["git", "status", "--porcelain", "gen", "templates"], ROOT)
            else "")),
    ]
    rows += [(k, v) for k, v in deps.items()]
    return rows


def ensure_sdk(skip: bool) -> Path | None:
    """Install the SDK into bench/.scratch/sdk with npm (once); None when skipped or impossible."""
    target = SCRATCH / "sdk"
    if (target / "node_modules" / "@circleci" / "circleci-config-sdk").is_dir():
        return target
    if skip or shutil.which("npm") is None or shutil.which("node") is None:
        return None
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text('{"private": true}\n')
    print(f"bench: npm install {SDK_PACKAGE}@{SDK_VERSION} into {target}", file=sys.stderr)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                    f"{SDK_PACKAGE}@{SDK_VERSION}"], cwd=target, check=True)
    return target


# --------------------------------------------------------------------------------------------------
# Inputs: synthetic envs files, the SDK's spec of the same config, and a check that outputs agree.


def synth_file(n: int, style: str) -> Path:
    path = SCRATCH / "synth" / f"envs-{n}-{style}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = synth(n, style)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def sdk_spec(envs: Path, python: str) -> Path:
    """The SDK script's input, from cigen's resolved plan (filters already propagated; untimed)."""
    spec = envs.with_suffix(".sdk.json")
    code = r"""
import json, sys
from pathlib import Path
from gen.loader import load
from gen.plan import build_plan
path = Path(sys.argv[1])
plan = build_plan(load(path), path)
def aws(ex):
    if ex.aws_access_key_id:
        return {"aws_access_key_id": "$" + ex.aws_access_key_id,
                "aws_secret_access_key": "$" + ex.aws_secret_access_key}
    if ex.oidc_role_arn:
        return {"oidc_role_arn": ex.oidc_role_arn}
    return None
def dim(d):
    return {d.key: d.patterns[0] if len(d.patterns) == 1 else list(d.patterns)}
def filters(f):
    out = {}
    if f.branches: out["branches"] = dim(f.branches)
    if f.tags: out["tags"] = dim(f.tags)
    return out or None
json.dump({
    "workflow": plan.workflow,
    "executors": [{"name": j.executor.name, "image": j.executor.image, "resource_class": j.executor.resource_class,
                   "aws_auth": aws(j.executor)} for j in plan.jobs],
    "jobs": [{"name": j.name, "executor": j.executor.name, "environment": j.environment, "steps": list(j.steps)}
             for j in plan.jobs],
    "workflow_jobs": [{"name": w.name, "approval": w.approval, "requires": list(w.requires),
                       "context": list(w.context), "filters": filters(w.filters)} for w in plan.workflow_jobs],
}, open(sys.argv[2], "w"))
"""
    subprocess.run([python, "-c", code, str(envs), str(spec)], check=True, env=child_env())
    return spec


COMPARE = r"""
import json, sys
import yaml

def normalise(config):
    # The parts both generators must agree on, in one shape (the SDK writes executor: {name: x}).
    def step(s):
        if isinstance(s, dict) and isinstance(s.get("run"), str):
            return {"run": {"command": s["run"]}}
        return s
    jobs = {name: {"executor": j["executor"]["name"] if isinstance(j["executor"], dict) else j["executor"],
                   "environment": j.get("environment", {}), "steps": [step(s) for s in j["steps"]]}
            for name, j in config["jobs"].items()}
    workflows = {}
    for wname, wf in config["workflows"].items():
        if wname == "version":
            continue
        entries = []
        for entry in wf["jobs"]:
            name, body = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
            entries.append([name, {k: body[k] for k in sorted(body)}])
        workflows[wname] = entries
    return {"version": config["version"], "executors": config.get("executors", {}), "jobs": jobs,
            "workflows": workflows}

loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
a, b = (normalise(yaml.load(open(p, encoding="utf-8").read(), Loader=loader)) for p in sys.argv[1:3])
wf = next(iter(a["workflows"].values()))
print(json.dumps([a == b, {"executors": len(a["executors"]), "jobs": len(a["jobs"]), "workflow entries": len(wf),
                           "approvals": sum(1 for _, body in wf if body.get("type") == "approval")}]))
"""


def compare_outputs(python: str, cigen_out: Path, sdk_out: Path) -> tuple[bool, dict[str, int]]:
    """Whether both configs say the same, parsed and normalised; and what they hold.

    In a child process: this process must stay small, because Linux counts the parent's resident size
    at exec into each child's peak (ru_maxrss), and the children's peaks are what part 2 reports.
    """
    done = subprocess.run([python, "-c", COMPARE, str(cigen_out), str(sdk_out)], capture_output=True, text=True,
                          check=True, env=child_env())
    same, counts = json.loads(done.stdout)
    return bool(same), counts


# --------------------------------------------------------------------------------------------------
# The three parts.


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    targets: list[tuple[str, str, str, bool | None]] = field(default_factory=list)  # what, target, got, ok

    def add(self, *text: str) -> None:
        self.lines.extend(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join(" --- " for _ in header) + "|")
        self.lines.extend("| " + " | ".join(r) + " |" for r in rows)
        self.lines.append("")


def part_cli(report: Report, python: str, cigen: list[str], rounds: int) -> None:
    basic = ROOT / "examples" / "basic"
    repo = SCRATCH / "repo"  # an up-to-date repository: the basic example, config and all
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(basic, repo)
    has_check = subprocess.run([*cigen, "check", "--help"], capture_output=True, env=child_env(),
                               stdin=subprocess.DEVNULL).returncode == 0
    contenders = [
        Contender("python -c pass", [python, "-c", "pass"]),
        Contender("import floor", [python, "-c", IMPORT_FLOOR]),
        Contender("cigen --version", [*cigen, "--version"]),
        Contender("cigen --help", [*cigen, "--help"]),
        # As a person types it: the stored colour text (gen.launch), typer's help being capped at 80 columns.
        Contender("cigen --help at a terminal", [*cigen, "--help"], tty=120),
        Contender("cigen render (example)", [*cigen, "render", str(basic / "envs.toml"), "-o", "-"]),
    ]
    if has_check:
        contenders.append(Contender("cigen check (up to date)", [*cigen, "check"], cwd=repo))
    # Context, not targets: the floor plus what pydantic costs once it builds a model (cigen's envs
    # models, and typer's own option adapters, need that), the smallest typer command line, and --help
    # at a terminal narrower than 80 columns (typer renders it there, wrapped to the terminal's width).
    contenders += [
        Contender("import floor + one pydantic model",
                  [python, "-c", IMPORT_FLOOR + "\nclass M(pydantic.BaseModel):\n    x: int = 0\nM(x=1)"]),
        Contender("a typer app with one option", [python, "-c", TYPER_APP, "--name", "x"]),
        Contender("cigen --help at a 60-column terminal", [*cigen, "--help"], tty=60),
    ]
    series = interleave(contenders, rounds)
    floor = series["import floor"].median()
    report.add("## 1. Command latency (whole process)", "",
               f"{rounds} interleaved rounds after one warm-up round. Ratios are of medians, to the import floor "
               f"(`python -c \"{IMPORT_FLOOR}\"`). CPU is the child's user + system time.", "")
    rows = []
    for c in contenders:
        s = series[c.label]
        cmd = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(c.cmd)).replace("\n", "; ")
        cmd = cmd.replace(str(ROOT) + "/", "").replace(str(basic) + "/", "examples/basic/")
        rows.append([f"{c.label}<br>`{cmd if len(cmd) < 70 else cmd[:67] + '…'}`", fmt_s(s.median()), s.spread(),
                     fmt_s(s.median("cpu")), f"{s.median() / floor:.2f}"])
    report.table(["command", "median", "min–max", "CPU (median)", "× import floor"], rows)
    if not has_check:
        report.add("`cigen check`: **not available in this build** (`cigen check --help` fails); the case runs "
                   "once the command exists.", "")

    def target(label: str, limit: float) -> None:
        if label not in series:
            report.targets.append((f"`{label}` ≤ {limit} × import floor", f"≤ {limit}", "not available in this "
                                   "build", None))
            return
        ratio = series[label].median() / floor
        report.targets.append((f"`{label}` vs import floor", f"< {limit}" if limit == 0.5 else f"≤ {limit}",
                               f"{ratio:.2f}", ratio < limit if limit == 0.5 else ratio <= limit))

    target("cigen --version", 0.5)
    target("cigen --help", 0.5)
    target("cigen --help at a terminal", 0.5)
    target("cigen render (example)", 1.25)
    target("cigen check (up to date)", 1.1)


def part_sdk(report: Report, python: str, cigen: list[str], sdk_dir: Path | None, sizes: Sequence[int],
             rounds: dict[int, int]) -> None:
    report.add("## 2. The peer: CircleCI's config SDK, whole process", "")
    if sdk_dir is None:
        report.add("Skipped: node/npm not available or `--skip-sdk`.", "")
        for n in (1000, 5000):
            report.targets.append((f"cigen/SDK at {n:,} environments", "≤ 1.00", "not measured", None))
        return
    report.add(
        "`cigen render envs.toml -o -` against `node bench/sdk_config.js spec.json -` (the SDK building the same "
        "config; stdout of both to /dev/null). Synthetic environments from bench/synth.py with map filters, the "
        "only filter style the SDK writes. The SDK's input is cigen's resolved plan as JSON (filters already "
        "propagated, prepared untimed), so the SDK does less work than cigen: no TOML, no validation, no "
        "propagation, no parse-back. Its `aws_auth` objects go through `DockerExecutor`'s image properties (the "
        "SDK types static keys; an OIDC `{oidc_role_arn}` object is passed through unchanged).", "")
    rows = []
    equal_rows = []
    for n in sizes:
        envs = synth_file(n, "map")
        spec = sdk_spec(envs, python)
        out_dir = SCRATCH / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        ours, theirs = out_dir / f"cigen-{n}.yml", out_dir / f"sdk-{n}.yml"
        subprocess.run([*cigen, "render", str(envs), "-o", str(ours)], check=True, env=child_env(),
                       stdin=subprocess.DEVNULL, capture_output=True)
        subprocess.run(["node", str(HERE / "sdk_config.js"), str(spec), str(theirs)], check=True, env=child_env())
        same, counts = compare_outputs(python, ours, theirs)
        equal_rows.append([f"{n:,}", "yes" if same else "**no**", *(f"{v:,}" for v in counts.values()),
                           f"{ours.stat().st_size:,}", f"{theirs.stat().st_size:,}"])
        series = interleave([
            Contender("cigen", [*cigen, "render", str(envs), "-o", "-"]),
            Contender("sdk", ["node", str(HERE / "sdk_config.js"), str(spec), "-"]),
        ], rounds.get(n, 3))
        a, b = series["cigen"], series["sdk"]
        ratio = a.median() / b.median()
        rows.append([f"{n:,}", f"{fmt_s(a.median())} ({a.spread()})", f"{fmt_s(b.median())} ({b.spread()})",
                     f"**{ratio:.2f}**", f"{a.median('cpu') / b.median('cpu'):.2f}",
                     fmt_mb(a.high("rss")), fmt_mb(b.high("rss"))])
        if n in (1000, 5000):
            report.targets.append((f"cigen/SDK at {n:,} environments", "≤ 1.00", f"{ratio:.2f}", ratio <= 1.0))
        if n == 5000:
            peak = a.high("rss")
            report.targets.append(("peak memory of `cigen render` at 5,000 environments", "< 130 MB",
                                   fmt_mb(peak), peak < 130 * 1024))
    report.table(["environments", "cigen median (min–max)", "SDK median (min–max)", "cigen/SDK", "CPU ratio",
                  "cigen peak RSS", "SDK peak RSS"], rows)
    report.add("Both outputs, parsed and normalised (the SDK writes `executor: {name: …}` and `setup: false`), "
               "compared field by field:", "")
    report.table(["environments", "same config", "executors", "jobs", "workflow entries", "approval jobs",
                  "cigen bytes", "SDK bytes"], equal_rows)


STAGES = r"""
import gc, json, resource, sys, time
from pathlib import Path
gc.disable()  # as the cigen command runs (gen.launch)
from gen import loader, plan as planner, render
path = Path(sys.argv[1])
t = [time.perf_counter()]
cpu0 = time.process_time()
def lap():
    t.append(time.perf_counter())
data = loader.parse_toml(loader.read_text(path), path); lap()
envs = loader.validate(data, path); lap()
plan = planner.build_plan(envs, path); lap()
text = render.environment(None).get_template(render.ENTRY_TEMPLATE).render(plan=plan)
text = text.rstrip("\n") + "\n"; lap()
# What render_plan and check_rendered do after Jinja: prove the text is YAML, get its data, lint it.
if render.check_yaml_syntax(text):
    from gen.configdata import config_data
    data = config_data(plan)
else:
    data = render.parse_yaml(text)
lap()
from gen.lint import lint_data
findings = lint_data(data, errors_only=True); lap()  # as gen.core.check_rendered
steps = [b - a for a, b in zip(t, t[1:])]
print(json.dumps({"steps": steps, "total": t[-1] - t[0], "cpu": time.process_time() - cpu0,
                  "bytes": len(text.encode()),
                  "jobs": len(plan.jobs), "entries": len(plan.workflow_jobs),
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
STEP_NAMES = ["read + TOML", "validate", "plan", "Jinja", "YAML check + data", "lint"]


def part_inprocess(report: Report, python: str, sizes: Sequence[int], rounds: int) -> None:
    report.add("## 3. In-process render time and memory, by size", "",
               "Each run is a fresh process: imports first (not timed), then the steps `cigen render` takes, timed "
               f"one by one; the median of {rounds} runs, the sizes interleaved (one run of each size per round, "
               "so that a slower spell of the machine falls on all sizes alike). Peak RSS is the whole process's. "
               "×prev is the ratio to the next smaller size: linear growth shows as ×10 from 10 to 100 and 100 to "
               "1,000, ×5 from 1,000 to 5,000.", "")
    for style in ("expression", "map"):
        rows = []
        prev: tuple[int, float] | None = None
        totals: dict[int, float] = {}
        files = {n: synth_file(n, style) for n in sizes}
        runs: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
        for _ in range(rounds):
            for n in sizes:
                done = subprocess.run([python, "-c", STAGES, str(files[n])], capture_output=True, text=True,
                                      env=child_env(), stdin=subprocess.DEVNULL, check=True)
                runs[n].append(json.loads(done.stdout))
        for n in sizes:
            results = runs[n]
            total = statistics.median(r["total"] for r in results)
            steps = [statistics.median(r["steps"][i] for r in results) for i in range(len(STEP_NAMES))]
            growth = f"×{total / prev[1]:.1f} (n ×{n / prev[0]:g})" if prev else ""
            totals[n] = total
            r0 = results[0]
            cpu = statistics.median(r["cpu"] for r in results)
            rows.append([f"{n:,}", fmt_s(total), f"{fmt_s(min(r['total'] for r in results))}–"
                         f"{fmt_s(max(r['total'] for r in results))}", fmt_s(cpu), growth,
                         *(fmt_s(s) for s in steps), f"{r0['bytes']:,}", f"{r0['jobs']:,} / {r0['entries']:,}",
                         fmt_mb(max(r["rss"] for r in results))])
            prev = (n, total)
        report.add(f"### filters = \"{style}\"", "")
        report.table(["environments", "render (median)", "min–max", "CPU", "×prev", *STEP_NAMES, "bytes",
                      "jobs / workflow entries", "peak RSS"], rows)
        if 1000 in totals and 5000 in totals:
            ratio = totals[5000] / totals[1000]
            report.targets.append((f"in-process time 5,000 / 1,000 environments ({style})", "< 5.0",
                                   f"{ratio:.2f}", ratio < 5.0))
            if 100 in totals:
                # The ratio of totals is under 5 only by the fixed cost of a run; the cost of one more
                # environment shows growth itself: the same at both ends when linear, far more when quadratic.
                low = (totals[1000] - totals[100]) / 900
                high = (totals[5000] - totals[1000]) / 4000
                report.add(f"Cost of one more environment: {low * 1e6:.0f} µs from 100 to 1,000 environments, "
                           f"{high * 1e6:.0f} µs from 1,000 to 5,000 (×{high / low:.2f}).", "")


def part_instructions(report: Report, python: str, sizes: Sequence[int]) -> None:
    report.add("## 4. Instructions, by size (callgrind)", "")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        report.add("Skipped: valgrind is not on PATH.", "")
        return
    report.add(
        "The run of section 3 (imports, then every step of a render) under `valgrind --tool=callgrind`, "
        "which counts the instructions executed: the same count for the same input to a fraction of a per "
        "cent (hash seeds vary), whatever else the machine does, so it shows how the work grows with none "
        "of the timing noise and none of the memory hierarchy's effects. The imports are the same at every "
        "size, so the instructions per extra environment between two sizes are the growth: equal at both "
        "ends when linear.", "")

    def count(envs: Path) -> int:
        done = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", STAGES,
                               str(envs)], capture_output=True, text=True, env=child_env(),
                              stdin=subprocess.DEVNULL, check=True)
        return int(done.stderr.rsplit("Collected :", 1)[1].split()[0])

    from concurrent.futures import ThreadPoolExecutor

    rows = []
    for style in ("expression", "map"):
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counts = dict(zip(sizes, pool.map(count, [synth_file(n, style) for n in sizes]), strict=True))
        per_env = [(counts[b] - counts[a]) / (b - a) for a, b in itertools.pairwise(sizes)]
        rows.append([style, *(f"{counts[n] / 1e6:,.0f} M" for n in sizes),
                     *(f"{x / 1e6:.3f} M" for x in per_env), f"×{per_env[-1] / per_env[0]:.3f}"])
    spans = [f"per environment, {a:,}→{b:,}" for a, b in itertools.pairwise(sizes)]
    report.table(["filters", *(f"{n:,} environments" for n in sizes), *spans, "last / first"], rows)


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark cigen; writes bench/RESULTS.md.")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for iterating")
    parser.add_argument("--rounds", type=int, help="rounds for the command latencies (default 20, quick 5)")
    parser.add_argument("--skip-sdk", action="store_true", help="do not install or run the SDK")
    parser.add_argument("--only", choices=("cli", "sdk", "inprocess", "instructions"), action="append",
                        help="run only these parts (repeatable; --quick leaves out instructions unless named)")
    parser.add_argument("-o", "--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    python = sys.executable
    script = Path(python).parent / "cigen"
    if not script.is_file():
        raise SystemExit(f"bench: no cigen script beside {python}; install cigen there first (pip install -e .)")
    cigen = [str(script)]
    parts = set(args.only or ("cli", "sdk", "inprocess", *(() if args.quick else ("instructions",))))
    rounds = args.rounds or (5 if args.quick else 20)
    sdk_rounds = {10: 3, 1000: 2, 5000: 2} if args.quick else {10: 10, 1000: 7, 5000: 5}
    inproc_rounds = 2 if args.quick else 7

    SCRATCH.mkdir(parents=True, exist_ok=True)
    sdk_dir = ensure_sdk(args.skip_sdk or "sdk" not in parts)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    report = Report()
    steps: list[tuple[str, Callable[[], None]]] = [
        ("cli", lambda: part_cli(report, python, cigen, rounds)),
        ("sdk", lambda: part_sdk(report, python, cigen, sdk_dir, (10, 1000, 5000), sdk_rounds)),
        ("inprocess", lambda: part_inprocess(report, python, (10, 100, 1000, 5000), inproc_rounds)),
        ("instructions", lambda: part_instructions(report, python, (100, 1000, 5000))),
    ]
    for name, step in steps:
        if name in parts:
            print(f"bench: {name}", file=sys.stderr)
            step()
    load_after = os.getloadavg()
    took = (datetime.now(UTC) - started).total_seconds()

    head = [
        "# cigen benchmark results", "",
        f"Written by `python bench/run.py{' --quick' if args.quick else ''}` on {started:%Y-%m-%d %H:%M} UTC in "
        f"{took / 60:.1f} min. Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after: "
        "other work on the machine slows every contender of an interleaved comparison alike, which is why "
        "the comparisons are ratios measured in the same rounds.", "",
    ]
    env_rows = [*machine(), *versions(python, sdk_dir or SCRATCH / "sdk")]
    head.append("| | |")
    head.append("| --- | --- |")
    head += [f"| {k} | {v} |" for k, v in env_rows]
    head += ["", "## Targets", ""]
    head.append("| target | limit | measured | |")
    head.append("| --- | --- | --- | --- |")
    for what, limit, got, ok in report.targets:
        head.append(f"| {what} | {limit} | {got} | {'n/a' if ok is None else verdict(ok)} |")
    head.append("")
    notes = HERE / "NOTES.md"
    tail = ["", notes.read_text(encoding="utf-8")] if notes.is_file() else []
    args.output.write_text("\n".join([*head, *report.lines, *tail]).rstrip("\n") + "\n", encoding="utf-8")
    print(f"bench: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
