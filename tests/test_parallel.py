"""gen.parallel: a forked child computes a value the parent would otherwise compute; never a change in result."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gen import core, parallel
from gen.errors import OutputError

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="cigen forks only on Linux")


def _synth(n: int, style: str) -> str:
    spec = importlib.util.spec_from_file_location("bench_synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.synth(n, style)
    return text


INHERITED = {"value": 0}


def _child_view() -> tuple[int, int]:
    return os.getpid(), INHERITED["value"]


def _raise() -> None:
    raise ValueError("boom")


def _die() -> None:
    os._exit(3)


def _unpicklable() -> Any:
    return lambda: None


def test_the_child_computes_from_inherited_memory() -> None:
    INHERITED["value"] = 41  # set after import: only a fork (not a fresh process) sees it
    pending = parallel.start(_child_view)
    assert pending is not None
    result = pending.result()
    assert result is not None
    pid, value = result
    assert pid != os.getpid()
    assert value == 41


@pytest.mark.parametrize("fn", [_raise, _die, _unpicklable], ids=["raises", "exits", "unpicklable"])
def test_a_failing_child_gives_none_and_is_reaped(fn: Any) -> None:
    pending = parallel.start(fn)
    assert pending is not None
    pid = pending._pid
    assert pending.result() is None
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


def test_close_stops_and_reaps_a_running_child() -> None:
    import time

    pending = parallel.start(time.sleep, 60)
    assert pending is not None
    pid = pending._pid
    pending.close()
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert pending.result() is None  # nothing to read after close


def test_worth_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIGEN_PARALLEL", raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert parallel.worth_it(parallel.MIN_JOBS)
    assert not parallel.worth_it(parallel.MIN_JOBS - 1)  # too small to pay for the fork
    monkeypatch.setattr(os, "getloadavg", lambda: (1.6, 1.0, 1.0))
    assert not parallel.worth_it(5000)  # the other core is busy
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    monkeypatch.setattr(parallel, "_cores", lambda: 1)
    assert not parallel.worth_it(5000)
    monkeypatch.setenv("CIGEN_PARALLEL", "1")
    assert parallel.worth_it(1)
    monkeypatch.setenv("CIGEN_PARALLEL", "0")
    monkeypatch.setattr(parallel, "_cores", lambda: 8)
    assert not parallel.worth_it(5000)


def _render(envs: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> str:
    monkeypatch.setenv("CIGEN_PARALLEL", setting)
    try:
        return core.render_file(envs)
    except OutputError as exc:
        return f"error: {exc.one_line()}"


ENVS = [*sorted((ROOT / "examples").glob("*/envs.toml"))]


@pytest.mark.parametrize("envs", ENVS, ids=lambda p: p.parent.name)
def test_same_output_with_and_without_the_child(envs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _render(envs, monkeypatch, "1") == _render(envs, monkeypatch, "0")


@pytest.mark.parametrize("style", ["expression", "map"])
def test_same_output_for_a_large_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(_synth(parallel.MIN_JOBS + 50, style), encoding="utf-8")
    assert _render(envs, monkeypatch, "1") == _render(envs, monkeypatch, "0")


def test_a_lint_error_found_in_the_child_stops_the_render(monkeypatch: pytest.MonkeyPatch) -> None:
    # The plan refuses what lint would refuse in cigen's own output, so the error is injected: a lint
    # that says which process ran it.
    from gen import lint

    def lint_data(data: Any, **kwargs: Any) -> list[lint.Finding]:
        return [lint.Finding("error", "never-runs", "workflows.main.jobs.0.staging", f"linted by {os.getpid()}")]

    monkeypatch.setattr(lint, "lint_data", lint_data)
    envs = ROOT / "examples" / "basic" / "envs.toml"
    with_child, in_process = _render(envs, monkeypatch, "1"), _render(envs, monkeypatch, "0")
    assert in_process == (f"error: {envs}: the rendered config fails lint at workflows.main.jobs.0.staging: "
                          f"linted by {os.getpid()} [never-runs]; nothing was written")
    assert with_child.startswith("error: ") and with_child != in_process  # the child's pid
    assert with_child.replace(with_child.split("linted by ")[1].split(" ")[0], str(os.getpid())) == in_process


def test_a_child_that_dies_is_made_up_for_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = core.lint_plan
    calls: list[int] = []

    def lint_or_die(plan: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        calls.append(1)
        return real(plan)

    monkeypatch.setattr(core, "lint_plan", lint_or_die)
    envs = ROOT / "examples" / "basic" / "envs.toml"
    assert _render(envs, monkeypatch, "1") == (envs.parent / ".circleci" / "config.yml").read_text(encoding="utf-8")
    assert calls == [1]  # the parent linted after the child failed


def test_the_command_prints_once(tmp_path: Path) -> None:
    # A child that flushed the parent's buffers would repeat output; it leaves with os._exit.
    envs = tmp_path / "envs.toml"
    envs.write_text(_synth(parallel.MIN_JOBS + 10, "map"), encoding="utf-8")
    outs = []
    for setting in ("1", "0"):
        done = subprocess.run([sys.executable, "-m", "gen", "render", str(envs), "-o", "-"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=False,
                              env={**os.environ, "CIGEN_PARALLEL": setting, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr
        outs.append((done.stdout, done.stderr))
    assert outs[0] == outs[1]
    assert outs[0][0].count("\nversion: 2.1\n") == 1


def test_no_fork_while_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setenv("CIGEN_PARALLEL", "1")
    assert parallel.worth_it(5000)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.worth_it(5000)
        assert parallel.start(_child_view) is None
    finally:
        stop.set()
        thread.join()
