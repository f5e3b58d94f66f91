"""gen.launch's own parsing of `cigen render` / `cigen check`: the values typer would pass, or "ask typer".

Three promises: (a) whenever the fast parser answers, typer (gen/cli.py, the one definition of the
command line) calls the same command with the same values -- and so never where typer reports a usage
error; (b) both paths print the same bytes and exit with the same code on real files; (c) the fast
path imports none of typer, click, rich (nor, once envs.toml validation no longer needs it, pydantic).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gen import commands, launch
from gen.cli import app

from .conftest import ROOT

BASIC = ROOT / "examples" / "basic"
runner = CliRunner()


# ---------------------------------------------------------------------------------------------------
# (a) the fast parser against typer's own parsing


@contextmanager
def _recording() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Replace the command functions typer's commands call with recorders of their arguments."""
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def recorder(name: str) -> Callable[..., int]:
        def record(*args: Any, **kwargs: Any) -> int:
            assert not kwargs, "gen.cli passes the values positionally, as parse_fast returns them"
            calls.append((name, args))
            return 0
        return record

    with patch.object(commands, "run_render", recorder("render")), \
            patch.object(commands, "run_check", recorder("check")):
        yield calls


def typer_call(args: Sequence[str]) -> tuple[list[tuple[str, tuple[Any, ...]]], int]:
    """What typer calls for ``cigen ARGS`` (nothing on a usage error), and its exit code."""
    with _recording() as calls:
        result = runner.invoke(app, list(args))
    return calls, result.exit_code


def assert_agrees(args: Sequence[str]) -> launch.FastCall | None:
    fast = launch.parse_fast(args)
    if fast is not None:
        calls, code = typer_call(args)
        assert calls == [fast], f"typer calls {calls} (exit {code}) for {args!r}, the fast parser says {fast}"
        assert code == 0
    return fast


E = Path("envs.toml")
P = Path

# Each row reviewed against click's parser (typer._click.parser): the values typer passes, or None
# where the fast parser must leave the arguments to typer.
TABLE: list[tuple[list[str], object]] = [
    # render: positional, -o in all four spellings, --templates, --force, order, repeats
    (["render"], ("render", (E, None, None, False))),
    (["render", "a.toml"], ("render", (P("a.toml"), None, None, False))),
    (["render", "a.toml", "-o", "-"], ("render", (P("a.toml"), "-", None, False))),
    (["render", "-o", "out.yml", "a.toml"], ("render", (P("a.toml"), "out.yml", None, False))),
    (["render", "-oout.yml"], ("render", (E, "out.yml", None, False))),
    (["render", "-o-"], ("render", (E, "-", None, False))),
    (["render", "--output", "x/y.yml"], ("render", (E, "x/y.yml", None, False))),
    (["render", "--output=x.yml"], ("render", (E, "x.yml", None, False))),
    (["render", "--output=-"], ("render", (E, "-", None, False))),
    (["render", "--output=a=b"], ("render", (E, "a=b", None, False))),  # split at the first "="
    (["render", "--templates", "t", "--force"], ("render", (E, None, P("t"), True))),
    (["render", "--templates=t/", "s.toml"], ("render", (P("s.toml"), None, P("t"), False))),
    (["render", "--force", "--force"], ("render", (E, None, None, True))),
    (["render", "-o", "a", "--output", "b", "-oc"], ("render", (E, "c", None, False))),  # the last one wins
    (["render", "--templates=t", "--templates", "u"], ("render", (E, None, P("u"), False))),
    (["render", "-"], ("render", (P("-"), None, None, False))),  # a lone "-" is a positional to click
    (["render", "--", "-o"], ("render", (P("-o"), None, None, False))),  # after "--", all positionals
    (["render", "-o", "x", "--", "--"], ("render", (P("--"), "x", None, False))),
    (["render", "--", "--force"], ("render", (P("--force"), None, None, False))),
    (["render", "é.toml", "-o", "ü.yml"], ("render", (P("é.toml"), "ü.yml", None, False))),
    (["render", "with space.toml"], ("render", (P("with space.toml"), None, None, False))),
    # check: zero or more positionals, --templates, --quiet / -q
    (["check"], ("check", (None, None, False))),
    (["check", "a.toml"], ("check", ([P("a.toml")], None, False))),
    (["check", "a", "-q", "b", "--quiet", "c"], ("check", ([P("a"), P("b"), P("c")], None, True))),
    (["check", "--templates", "t", "a"], ("check", ([P("a")], P("t"), False))),
    (["check", "--templates=t"], ("check", (None, P("t"), False))),
    (["check", "-"], ("check", ([P("-")], None, False))),
    (["check", "a", "--", "-q", "--"], ("check", ([P("a"), P("-q"), P("--")], None, False))),
    # left to typer: help, unknown or misspelt options, other commands' options, values a flag or
    # option cannot have, missing / empty / dash values, extra positionals, combined short flags
    (["render", "--help"], None),
    (["render", "-h"], None),
    (["check", "--help"], None),
    (["render", "--version"], None),
    (["--version", "render"], None),
    (["render", "--out", "x"], None),
    (["render", "--outputs=x"], None),
    (["render", "-x"], None),
    (["render", "-q"], None),
    (["check", "-o", "x"], None),
    (["check", "--force"], None),
    (["render", "--no-force"], None),
    (["render", "--force=1"], None),
    (["render", "--force="], None),
    (["check", "--quiet=yes"], None),
    (["check", "-qq"], None),
    (["check", "-q1"], None),
    (["render", "-o"], None),
    (["render", "--output"], None),
    (["render", "--templates"], None),
    (["render", "-o", ""], None),
    (["render", "--output="], None),
    (["render", "--templates="], None),
    (["render", ""], None),
    (["check", "a", ""], None),
    (["check", "--", ""], None),
    (["render", "-o", "--force"], None),  # click would write to a file named "--force"
    (["render", "-o", "-x"], None),
    (["render", "--output=-x"], None),
    (["render", "--templates", "-"], None),
    (["render", "--templates=-t"], None),
    (["render", "-o=x"], None),  # click: the value "=x"
    (["render", "-o", "--"], None),
    (["render", "a", "b"], None),
    (["render", "a", "--", "b"], None),
    (["render", "--", "a", "--"], None),
    (["render", "a\0b"], None),
    (["explain", "envs.toml", "--tag", "v1"], None),
    (["lint"], None),
    ([], None),
    (["Render"], None),
]


@pytest.mark.parametrize(("args", "expected"), TABLE, ids=[" ".join(a) or "(none)" for a, _ in TABLE])
def test_fast_parser_table(args: list[str], expected: object) -> None:
    assert launch.parse_fast(args) == expected
    assert_agrees(args)
    if expected is not None:  # the reviewed values are typer's (not only the fast parser's)
        calls, _ = typer_call(args)
        assert calls == [expected]


def test_the_fast_parser_knows_exactly_the_options_of_gen_cli() -> None:
    # A changed or added option in gen/cli.py must be taught to gen.launch (or it stays typer's alone).
    import typer.main

    group = typer.main.get_command(app)
    for name in ("render", "check"):
        params = group.commands[name].params
        options = {p.name: (sorted(p.opts), p.is_flag, p.nargs, p.multiple, p.envvar, p.secondary_opts)
                   for p in params if p.param_type_name == "option"}
        expected = {dest: (sorted(o for o, d in launch._VALUE_OPTIONS[name].items() if d == dest), False, 1, False,
                           None, []) for dest in set(launch._VALUE_OPTIONS[name].values())}
        expected |= {dest: (sorted(o for o, d in launch._FLAGS[name].items() if d == dest), True, 1, False, None, [])
                     for dest in set(launch._FLAGS[name].values())}
        assert options == expected
        arguments = [(p.name, p.nargs, p.envvar) for p in params if p.param_type_name == "argument"]
        assert arguments == [("envs", 1 if name == "render" else -1, None)]


def test_usage_errors_are_never_parsed_fast() -> None:
    for args in (["render", "a", "b"], ["render", "--force=1"], ["render", "-o"], ["check", "-x"]):
        calls, code = typer_call(args)
        assert (calls, code) == ([], 2)
        assert launch.parse_fast(args) is None


def test_not_on_windows_where_click_expands_globs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert launch.parse_fast(["render", "*.toml"]) is not None
    monkeypatch.setattr(os, "name", "nt")
    assert launch.parse_fast(["render", "*.toml"]) is None


def test_not_during_shell_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_CIGEN_COMPLETE", "bash_complete")
    assert launch.parse_fast(["render"]) is None
    monkeypatch.setenv("_CIGEN_COMPLETE", "")
    assert launch.parse_fast(["render"]) is not None


def test_an_unreadable_templates_or_check_path_is_typers_usage_error(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # As if this user could not read it (chmod cannot take that from root): typer asks os.access too.
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and real_access(path, mode))
    for args in (["render", "--templates", str(locked)], ["check", str(locked)], ["check", "--templates", str(locked)]):
        assert launch.parse_fast(args) is None
        assert typer_call(args) == ([], 2)
    # render's envs argument has readable=False in gen/cli.py (the loader reports it instead), and a path
    # that does not exist is not checked
    assert assert_agrees(["render", str(locked)]) is not None
    assert assert_agrees(["check", str(tmp_path / "nothing")]) is not None


# Tokens a command line is built from: every spelling of every option, values and paths (mostly, so
# that many lines are ordinary ones the fast parser answers), and near misses, "-", "--", empty strings,
# unknown options and a bit of arbitrary text.
_ORDINARY = [
    "-o", "--output", "--templates", "--force", "--quiet", "-q", "--output=x.yml", "--output=-", "--output=a=b",
    "--templates=t", "--templates=u", "-ox", "-oy.yml", "-o-", "-", "--", "a.toml", "dir/b.toml", "é", "x=y",
]
_UNUSUAL = [
    "--output=", "--output=-x", "--templates=", "--templates=-", "-o=x", "-oo", "-o--", "-oq", "-q=1", "-qq",
    "-qo", "--force=1", "--force=", "--quiet=", "--no-force", "--out", "--help", "-h", "--version", "-x",
    "--bogus", "", " ", "render", "check", "-1", "---", "--=x", "-=", "=",
]
_ordinary = st.sampled_from(_ORDINARY)
_token = st.one_of(_ordinary, _ordinary, _ordinary, st.sampled_from(_UNUSUAL), st.text(max_size=4))
_argv = st.tuples(st.sampled_from(["render", "check"]),
                  st.one_of(st.lists(_ordinary, max_size=7), st.lists(_token, max_size=7))).map(
    lambda t: [t[0], *t[1]])


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_argv)
def test_whenever_the_fast_parser_answers_typer_agrees(args: list[str]) -> None:
    event("fast" if assert_agrees(args) is not None else "typer")


# ---------------------------------------------------------------------------------------------------
# (b) the same bytes and exit codes, fast and through typer, on real files

FAST = [sys.executable, "-m", "gen"]
TYPER = [sys.executable, "-c", "from gen.cli import main; main()"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CIGEN_DEBUG", "PYTHONUNBUFFERED")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _run(cmd: list[str], cwd: Path, stdout: int | None = subprocess.PIPE, **env: str) -> tuple[str, str, int]:
    done = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                          env=_env(**env), timeout=120, check=False)
    return (done.stdout or b"").decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"), \
        done.returncode


def _repo(where: Path, setup: Callable[[Path], None] | None) -> Path:
    shutil.copytree(BASIC, where)
    if setup is not None:
        setup(where)
    return where


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _stale(repo: Path) -> None:
    config = repo / ".circleci" / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("steps:", "steps: # edited", 1), encoding="utf-8")


def _hand_written(repo: Path) -> None:
    (repo / ".circleci" / "config.yml").write_text("version: 2.1\njobs: {}\n", encoding="utf-8")


def _missing(repo: Path) -> None:
    (repo / ".circleci" / "config.yml").unlink()


def _bad_envs(repo: Path) -> None:
    (repo / "envs.toml").write_text('version = 1\n[environments.staging]\nimage = 7\n', encoding="utf-8")


def _monorepo(repo: Path) -> None:
    for name, change in (("api", None), ("web", _stale), ("worker", _missing), ("bad", _bad_envs)):
        service = repo / "services" / name
        shutil.copytree(BASIC, service)
        if change is not None:
            change(service)


CASES: list[tuple[str, list[str], Callable[[Path], None] | None]] = [
    ("render to stdout", ["render", "envs.toml", "-o", "-"], None),
    ("render to stdout, default envs", ["render", "--output=-"], None),
    ("render writes a new file", ["render", "envs.toml", "-o", "out/config.yml"], None),
    ("render unchanged", ["render"], None),
    ("render over a stale config", ["render", "envs.toml"], _stale),
    ("render refuses a hand-written config", ["render", "envs.toml"], _hand_written),
    ("render --force keeps a backup", ["render", "--force", "envs.toml"], _hand_written),
    ("render a bad envs.toml", ["render", "envs.toml", "-o", "-"], _bad_envs),
    ("render a missing envs.toml", ["render", "nope.toml", "-o", "-"], None),
    ("render with missing templates", ["render", "--templates", "nowhere", "-o", "-"], None),
    ("check current", ["check"], None),
    ("check current, quiet", ["check", "-q"], None),
    ("check stale", ["check", "envs.toml"], _stale),
    ("check stale, quiet", ["check", "--quiet"], _stale),
    ("check hand-written", ["check"], _hand_written),
    ("check missing", ["check"], _missing),
    ("check bad envs.toml", ["check"], _bad_envs),
    ("check several files", ["check", "services/api/envs.toml", "services/web/envs.toml",
                             "services/worker/envs.toml", "services/bad/envs.toml", "envs.toml"], _monorepo),
    ("check several files, quiet", ["check", "-q", "services/web/envs.toml", "services/api/envs.toml"],
     _monorepo),
]


@pytest.mark.parametrize(("args", "setup"), [(a, s) for _, a, s in CASES], ids=[c[0] for c in CASES])
def test_fast_path_prints_what_typer_prints(tmp_path: Path, args: list[str],
                                            setup: Callable[[Path], None] | None) -> None:
    assert launch.parse_fast(args) is not None  # the case is one the fast path takes
    fast_repo, typer_repo = _repo(tmp_path / "fast", setup), _repo(tmp_path / "typer", setup)
    fast = _run([*FAST, *args], fast_repo)
    slow = _run([*TYPER, *args], typer_repo)
    assert fast == slow
    assert _tree(fast_repo) == _tree(typer_repo)  # and did the same to the files


def _large_envs(repo: Path) -> None:
    # A config far larger than stdout's buffer, so that the broken pipe is met while writing (and the
    # committed config, the basic example's, is stale: check prints a long diff).
    subprocess.run([sys.executable, str(ROOT / "bench" / "synth.py"), "40", "-o", str(repo / "envs.toml")],
                   check=True)


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_a_closed_stdout_ends_both_paths_alike(tmp_path: Path, large: bool, unbuffered: bool) -> None:
    # Buffered, a small output meets the broken pipe only in Python's flush at exit; a large one, or any
    # output with PYTHONUNBUFFERED, while the command writes (typer's main then exits 1).
    repo = _repo(tmp_path / "repo", _large_envs if large else _stale)
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    outcomes: dict[str, list[tuple[str, str, int]]] = {"fast": [], "typer": []}
    for label, cmd in (("fast", FAST), ("typer", TYPER)):
        for args in (["render", "-o", "-"], ["check"]):
            read, write = os.pipe()
            os.close(read)  # nobody reads: every write to stdout is a broken pipe
            try:
                outcomes[label].append(_run([*cmd, *args], repo, stdout=write, **env))
            finally:
                os.close(write)
    assert outcomes["fast"] == outcomes["typer"]
    codes = [code for _, _, code in outcomes["fast"]]
    assert codes == ([120, 1] if not large and not unbuffered else [1, 1]), outcomes["fast"]


# What each path does with an exception escaping the command (gen.core.render_file raising it).
_RAISE = ("import sys, errno, gen.core, gen.errors\n"
          "def boom(*a, **k):\n    raise {exc}\n"
          "gen.core.render_file = boom\n"
          "sys.argv[0] = 'cigen'\n"
          "from {module} import main\nmain()\n")


@pytest.mark.parametrize(("exc", "code"), [
    ("RuntimeError('boom')", 70),
    ("OSError(errno.ENOSPC, 'No space left on device')", 70),
    ("BrokenPipeError(errno.EPIPE, 'Broken pipe')", 1),
    ("KeyboardInterrupt()", 130),
    ("gen.errors.WriteError('disk full', file='x')", 3),
])
def test_errors_escaping_a_command_map_to_the_same_exit_codes(exc: str, code: int) -> None:
    outcomes = []
    for module in ("gen.launch", "gen.cli"):
        src = _RAISE.format(exc=exc, module=module)
        outcomes.append(_run([sys.executable, "-c", src, "render", "envs.toml", "-o", "-"], BASIC))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] == code


def test_cigen_debug_shows_the_traceback_on_the_fast_path() -> None:
    src = _RAISE.format(exc="RuntimeError('boom')", module="gen.launch")
    done = subprocess.run([sys.executable, "-c", src, "render", "-o", "-"], cwd=BASIC, capture_output=True,
                          text=True, env=_env(CIGEN_DEBUG="1"), timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr


# ---------------------------------------------------------------------------------------------------
# (c) what the fast path imports

_IMPORTS = ("import atexit, sys; sys.argv[0] = 'cigen'; atexit.register(lambda: print(' '.join(sorted("
            "m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'rich', 'pydantic', 'pydantic_core', "
            "'ruamel', 'shellingham'))), file=sys.stderr)); from gen.launch import main; main()")


def _heavy_imports(args: list[str], cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _IMPORTS, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=_env(), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {m.split(".")[0] for m in done.stderr.splitlines()[-1].split()}


@pytest.mark.parametrize("args", [["render", "envs.toml", "-o", "-"], ["check"], ["check", "-q", "envs.toml"]])
def test_render_and_check_do_not_import_typer(tmp_path: Path, args: list[str]) -> None:
    repo = _repo(tmp_path / "repo", None)
    assert _heavy_imports(args, repo).isdisjoint({"typer", "click", "rich", "shellingham", "ruamel"})


# Valid envs.toml files are read into gen.records without pydantic (the models only explain errors).
@pytest.mark.parametrize("args", [["render", "envs.toml", "-o", "-"], ["check"]])
def test_render_and_check_do_not_import_pydantic(tmp_path: Path, args: list[str]) -> None:
    repo = _repo(tmp_path / "repo", None)
    assert _heavy_imports(args, repo).isdisjoint({"pydantic", "pydantic_core"})


def test_unusual_arguments_still_go_to_typer(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", None)
    done = subprocess.run([sys.executable, "-c", _IMPORTS, "render", "-o", "", "envs.toml"], cwd=repo,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_env(), timeout=120,
                          check=False)
    assert done.returncode == 0
    assert "typer" in done.stderr.splitlines()[-1]
