"""gen.launch: --version and --help without typer, identical to what typer prints."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile

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
    assert list(_help.TERMINAL_TEXT) == list(_help.TEXT), REGENERATE
    for command, text in _help.TEXT.items():
        assert text == launch.render_help(command), REGENERATE
        assert _help.TERMINAL_TEXT[command] == launch.render_help(command, terminal=True), REGENERATE


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


@pytest.mark.parametrize("env", [{"COLUMNS": "79"}, {"COLUMNS": "0"}, {"FORCE_COLOR": "1"}, {"TYPER_USE_RICH": "0"},
                                 {"TERMINAL_WIDTH": "100"}])
def test_typer_renders_the_help_when_the_output_would_differ(env: dict[str, str]) -> None:
    fast = _run(LAUNCH, "--help", **env)
    slow = _run(TYPER, "--help", **env)
    assert fast.stdout == slow.stdout
    assert "typer" in fast.stderr  # the fast path stood aside


@pytest.mark.parametrize("env", [{"COLUMNS": "200"}, {"COLUMNS": "80"}, {"LINES": "3"}, {"COLUMNS": "wide"}])
def test_fast_help_wherever_typer_prints_the_same(env: dict[str, str]) -> None:
    # typer's help is capped at 80 columns (gen.cli), so any width from 80 up gives the stored text; rich
    # reads COLUMNS only when it is a number; the height does not change the help.
    fast = _run(LAUNCH, "--help", **env)
    slow = _run(TYPER, "--help", **env)
    assert fast.stdout == slow.stdout == _help.TEXT[()]
    assert fast.stderr.strip() == "[]"


def _at_terminal(code: str, args: tuple[str, ...], columns: int, **extra: str) -> tuple[str, str]:
    # A person at a terminal of `columns` columns (stdin, stdout and stderr), TERM as most terminals set
    # it; the heavy-module report that LAUNCH prints at exit goes to a file instead of stderr.
    env = {k: v for k, v in _env().items() if k not in ("COLUMNS", "COLORTERM")}
    env.update({"TERM": "xterm-256color", **extra})
    with tempfile.TemporaryFile() as err:
        code_, out = launch.run_at_terminal([sys.executable, "-c", code, *args], env, columns,
                                            stderr=err.fileno(), cwd=str(ROOT))
        err.seek(0)
        assert code_ == 0
        return out, err.read().decode()


@pytest.mark.parametrize("columns", [80, 132])
@pytest.mark.parametrize("command", list(_help.TEXT))
def test_fast_help_at_a_terminal_is_typers_and_imports_nothing_heavy(command: tuple[str, ...], columns: int) -> None:
    fast, imported = _at_terminal(LAUNCH, (*command, "--help"), columns)
    slow, _ = _at_terminal(TYPER, (*command, "--help"), columns)
    assert fast == slow == _help.TERMINAL_TEXT[command]
    assert "\x1b[" in fast  # in colour, as typer prints it at a terminal
    assert imported.strip() == "[]"


@pytest.mark.parametrize("env", [{"TERM": "xterm"}, {"TERM": "xterm-16color"}, {"TERM": ""},
                                 {"COLORTERM": "truecolor"}, {"LINES": "5", "TERM": "screen-256color"}])
def test_one_colour_text_for_every_colour_terminal(env: dict[str, str]) -> None:
    # rich picks 8, 16, 256 or 24-bit colour from TERM and COLORTERM; typer's named colours come out alike.
    fast, imported = _at_terminal(LAUNCH, ("render", "--help"), 100, **env)
    slow, _ = _at_terminal(TYPER, ("render", "--help"), 100, **env)
    assert fast == slow == _help.TERMINAL_TEXT[("render",)]
    assert imported.strip() == "[]"


@pytest.mark.parametrize(("columns", "env"), [(60, {}), (120, {"TERM": "dumb"}), (120, {"NO_COLOR": "1"})])
def test_typer_renders_the_help_at_a_narrow_or_dumb_terminal(columns: int, env: dict[str, str]) -> None:
    fast, imported = _at_terminal(LAUNCH, ("--help",), columns, **env)
    slow, _ = _at_terminal(TYPER, ("--help",), columns, **env)
    assert fast == slow
    assert "typer" in imported  # the fast path stood aside
    if columns < launch.HELP_WIDTH:
        assert max(len(line) for line in _strip_colour(slow).splitlines()) == columns  # typer wraps to it


def _strip_colour(text: str) -> str:
    return re.sub("\x1b\\[[0-9;]*m", "", text)


def test_typer_renders_the_help_for_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "gen", "--help"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=ROOT)
    assert done.returncode == 0
    assert "Usage: python -m gen [OPTIONS] COMMAND" in done.stdout


def test_a_changed_cli_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launch, "_help_width", lambda: 80)
    monkeypatch.setattr(launch, "_program_name", lambda: "cigen")
    monkeypatch.setattr(launch, "_utf8", lambda stream: True)
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal: the plain text
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
