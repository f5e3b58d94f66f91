"""gen.launch: --version and --help without typer, identical to what typer prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gen import __version__, _help, launch

from .conftest import ROOT

REGENERATE = "the stored help is out of date: run  python -m gen.launch --write-help  and review the diff"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in launch._RENDER_ENV}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _run(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # As the console script runs: __main__ has no package and argv[0] is the program name; no standard
    # stream is a terminal.
    return subprocess.run([sys.executable, "-c", code, *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, encoding="utf-8", env=_env(**env), cwd=ROOT, timeout=120)


# Reports (on exit, however the program exits) which heavy modules were imported.
LAUNCH = ("import atexit, sys; sys.argv[0] = 'cigen'; atexit.register(lambda: print(sorted(m for m in "
          "('typer', 'pydantic', 'jinja2', 'rich') if m in sys.modules), file=sys.stderr)); "
          "from gen.launch import main; main()")
TYPER = "import sys; sys.argv[0] = 'cigen'; from gen.cli import main; main()"


def test_the_stored_help_is_current() -> None:
    assert launch.cli_crc() == _help.CLI_CRC, REGENERATE
    assert list(_help.TEXT) == launch.commands(), REGENERATE
    for command, text in _help.TEXT.items():
        assert text == launch.render_help(command), REGENERATE


@pytest.mark.parametrize("command", list(_help.TEXT))
def test_fast_help_is_typers_help_and_imports_nothing_heavy(command: tuple[str, ...]) -> None:
    fast = _run(LAUNCH, *command, "--help")
    slow = _run(TYPER, *command, "--help")
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout
    assert fast.stderr.strip() == "[]"  # none of typer, pydantic, jinja2, rich was imported


def test_fast_version_is_typers_version_and_imports_nothing_heavy() -> None:
    fast = _run(LAUNCH, "--version")
    slow = _run(TYPER, "--version")
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout == f"cigen {__version__}\n"
    assert fast.stderr.strip() == "[]"


@pytest.mark.parametrize("env", [{"COLUMNS": "120"}, {"FORCE_COLOR": "1"}, {"TYPER_USE_RICH": "0"}])
def test_typer_renders_the_help_when_the_output_would_differ(env: dict[str, str]) -> None:
    fast = _run(LAUNCH, "--help", **env)
    slow = _run(TYPER, "--help", **env)
    assert fast.stdout == slow.stdout
    assert "typer" in fast.stderr  # the fast path stood aside


def test_typer_renders_the_help_for_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "gen", "--help"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=ROOT)
    assert done.returncode == 0
    assert "Usage: python -m gen [OPTIONS] COMMAND" in done.stdout


def test_a_changed_cli_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "_any_terminal", lambda: False)
    monkeypatch.setattr(launch, "_program_name", lambda: "cigen")
    monkeypatch.setattr(launch, "_utf8", lambda stream: True)
    for name in launch._RENDER_ENV:
        monkeypatch.delenv(name, raising=False)
    assert launch.stored_help(()) == _help.TEXT[()]
    monkeypatch.setattr(_help, "CLI_CRC", (_help.CLI_CRC or 0) + 1)
    assert launch.stored_help(()) is None
    assert launch.stored_help(("no-such-command",)) is None


def test_everything_else_goes_to_typer() -> None:
    # (`render` and `check` with ordinary arguments have a fast path of their own: tests/test_fast_argv.py)
    done = _run(LAUNCH, "lint", str(ROOT / "examples" / "basic" / ".circleci" / "config.yml"))
    assert done.returncode == 0
    assert done.stderr.startswith("cigen: 0 errors, 0 warnings\n")
    assert "typer" in done.stderr
    bad = _run(LAUNCH, "--version", "--bogus")
    assert bad.returncode == 2 and "No such option" in bad.stderr


def test_commands_run_without_the_cyclic_garbage_collector() -> None:
    code = ("import atexit, gc, sys; sys.argv[0] = 'cigen'; "
            "atexit.register(lambda: print('gc enabled:', gc.isenabled(), file=sys.stderr)); "
            "from gen.launch import main; main()")
    done = _run(code, "render", str(ROOT / "examples" / "basic" / "envs.toml"), "-o", "-")
    assert done.returncode == 0
    assert "gc enabled: False" in done.stderr
