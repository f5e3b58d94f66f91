"""The console-script entry point: the common command lines answered without importing typer.

Importing typer (and the pydantic and rich machinery it brings) costs more than everything else
``cigen --version`` does, and typer 0.29 then builds a pydantic TypeAdapter per option of the command
it runs: about 160 ms of CPU per ``cigen render``, more than issue 6 allows the whole command above
the import floor. gen/cli.py stays the one definition of the command line (its options, help and usage
errors); this module only recognises the argument lists whose meaning is beyond doubt. So:

* ``cigen --version`` prints the version straight away (what typer's eager option prints).
* ``cigen --help`` and ``cigen COMMAND --help`` print typer's own help, rendered beforehand into
  :mod:`gen._help` by ``python -m gen.launch --write-help`` -- but only when typer would print exactly
  those bytes: the program is called ``cigen``, gen/cli.py is the one the text was rendered from (its
  CRC is recorded), stdout is UTF-8, no variable that changes rich's or typer's output is set, and the
  width rich would give the help is at least :data:`HELP_WIDTH`, at which gen/cli.py caps it (as click
  caps its own help). Two texts are stored: in colour, for stdout at a terminal (typer's styles are
  named colours, the same codes whatever colours the terminal has), and plain, for stdout elsewhere.
  At a narrower or dumb terminal, or on any doubt, typer renders the help itself. tests/test_launch.py
  checks the stored texts against typer's output, so they cannot drift unnoticed.
* ``cigen render`` and ``cigen check`` with ordinary arguments (:func:`parse_fast`: the positionals and
  the options of gen/cli.py in the forms click parses, nothing that starts with ``-`` otherwise) run
  :mod:`gen.commands` directly -- the functions typer's commands call -- with the values typer would
  pass, and map errors to exit codes as typer and :func:`gen.cli.main` do. Anything unusual (a help or
  unknown option, a missing or empty value, Windows, where click expands globs, shell completion) goes
  to typer, which parses it or prints its usage error. tests/test_fast_argv.py checks, over generated
  argument lists, that whenever this parser answers, typer calls the command with the same values, and
  that both paths print the same bytes and exit with the same code.
* Everything else goes to :func:`gen.cli.main`.
"""

from __future__ import annotations

import gc
import os
import sys

# Not typing.TYPE_CHECKING: importing typing would cost `cigen --version` more than all it does.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Literal, TextIO

    #: ``cigen render``'s values in the order gen.cli passes them to gen.commands.run_render.
    RenderValues = tuple[Path, str | None, Path | None, bool]
    #: ``cigen check``'s values in the order gen.cli passes them to gen.commands.run_check.
    CheckValues = tuple[list[Path] | None, Path | None, bool]
    FastCall = tuple[Literal["render"], RenderValues] | tuple[Literal["check"], CheckValues]

# Variables that change how typer/rich render help (width, colour, terminal detection, rich on/off).
# COLUMNS is read as rich reads it (_help_width); LINES does not change the help (tests/test_launch.py).
_RENDER_ENV = (
    "TERMINAL_WIDTH", "JUPYTER_COLUMNS", "JUPYTER_LINES", "FORCE_COLOR", "PY_COLORS",
    "NO_COLOR", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TYPER_USE_RICH",
    "_TYPER_FORCE_DISABLE_TERMINAL",
)
PROGRAM = "cigen"
#: The most columns cigen's help takes (gen.cli caps typer's rich help there, as click caps its own).
HELP_WIDTH = 80


def main() -> None:
    """Console-script entry point (``cigen``), also used by ``python -m gen``."""
    args = sys.argv[1:]
    if args == ["--version"]:
        from gen import __version__

        sys.stdout.write(f"cigen {__version__}\n")
        return
    if args and args[-1] == "--help":
        text = stored_help(tuple(args[:-1]))
        if text is not None:
            sys.stdout.write(text)
            return
    # One command, then the process exits: the cyclic garbage collector would only re-walk the growing
    # heap of imported modules and parsed input (a fifth of the CPU time at 5,000 environments), while
    # reference counting frees everything cigen discards. See bench/RESULTS.md.
    gc.disable()
    call = parse_fast(args)
    if call is not None:
        code = run_fast(call)
        if code:
            sys.exit(code)
        return
    from gen.cli import main as cli_main

    cli_main()


# The options of `render` and `check` in gen/cli.py: the ones taking a value (name -> parameter), and the
# flags. Short options are the single-letter ones; click also reads a short option's value attached
# (-oVALUE) and a long one's after "=" (--output=VALUE).
_VALUE_OPTIONS = {
    "render": {"-o": "output", "--output": "output", "--templates": "templates"},
    "check": {"--templates": "templates"},
}
_FLAGS = {"render": {"--force": "force"}, "check": {"--quiet": "quiet", "-q": "quiet"}}


def parse_fast(args: Sequence[str]) -> FastCall | None:
    """The values typer would call ``render`` or ``check`` with for ``args``, or None: let typer parse.

    Accepts only what click parses to those values beyond doubt: positionals (``-`` is one), options
    spelled as in gen/cli.py (``-o V``, ``-oV``, ``--output V``, ``--output=V``, ``--templates``
    likewise, ``--force``, ``--quiet``/``-q``), options among positionals, a repeated option (click keeps
    the last value) and ``--``, after which click takes every token as a positional. A value must be
    non-empty and must not start with ``-`` (except ``-`` for ``--output``: stdout). Anything else --
    help, unknown options, a flag given a value, a missing value, an extra positional -- is None.

    Args:
        args: The command line after the program name (``sys.argv[1:]``).
    """
    if not args or args[0] not in _FLAGS or os.name == "nt" or _completing():
        return None
    command = args[0]
    value_options, flags = _VALUE_OPTIONS[command], _FLAGS[command]
    values: dict[str, str] = {}
    set_flags: set[str] = set()
    positionals: list[str] = []
    rest = list(args[1:])
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token == "--":  # click: every token after it is a positional, "--" and "-x" included
            positionals.extend(rest[i:])
            break
        if token == "-" or not token.startswith("-"):
            positionals.append(token)
            continue
        name, eq, attached = token.partition("=")
        if not token.startswith("--") and len(token) > 2 and token[:2] in value_options:
            name, eq, attached = token[:2], "=", token[2:]  # -oVALUE (click: the rest of the token)
            if attached.startswith("="):
                return None  # -o=V means the value "=V" to click: leave that surprise to typer
        if name in flags and not eq:
            set_flags.add(flags[name])
            continue
        if name not in value_options:
            return None
        if not eq:
            if i == len(rest):
                return None
            attached = rest[i]
            i += 1
        dest = value_options[name]
        if not attached or (attached.startswith("-") and not (attached == "-" and dest == "output")):
            return None
        values[dest] = attached  # click: the last of a repeated option wins
    if any(not p or "\0" in p for p in [*positionals, *values.values()]):
        return None  # typer reads "" as ".", and a NUL cannot be a path
    from pathlib import Path

    templates = Path(values["templates"]) if "templates" in values else None
    if templates is not None and not _readable(templates):
        return None
    if command == "render":
        if len(positionals) > 1:
            return None
        envs = Path(positionals[0]) if positionals else Path("envs.toml")
        return "render", (envs, values.get("output"), templates, "force" in set_flags)
    paths = [Path(p) for p in positionals]
    if not all(_readable(p) for p in paths):
        return None
    return "check", (paths or None, templates, "quiet" in set_flags)


def _completing() -> bool:
    # typer answers shell completion when _<PROG>_COMPLETE is set (prog: how cigen was invoked).
    return any(name.startswith("_") and name.endswith("_COMPLETE") and value for name, value in os.environ.items())


def _readable(path: Path) -> bool:
    # typer's check of a Path parameter with readable=True (the default; render's envs argument turns it
    # off): a path that exists but cannot be read is a usage error there.
    try:
        os.stat(path)
    except OSError:
        return True
    return os.access(path, os.R_OK)


def run_fast(call: FastCall) -> int:
    """Run a command :func:`parse_fast` recognised; errors mapped to exit codes as the typer path does.

    A CigenError is its one line and code (gen.cli.main), Ctrl-C 130 and a broken pipe on stdout or stderr
    1 (typer's main, which then silences the flush at exit), any other exception the internal-error line
    and 70 (gen.cli.main; re-raised when CIGEN_DEBUG is set).
    """
    from gen import commands
    from gen.errors import CigenError

    try:
        try:
            if call[0] == "render":
                return commands.run_render(*call[1])
            return commands.run_check(*call[1])
        except KeyboardInterrupt:
            return 130
        except OSError as exc:
            import errno

            if exc.errno != errno.EPIPE:
                raise
            sys.stdout = _PacifyFlush(sys.stdout)
            sys.stderr = _PacifyFlush(sys.stderr)
            return 1
    except CigenError as exc:  # the commands convert their own; as gen.cli.main, should one escape
        commands.echo_err(f"cigen: error: {exc.one_line()}")
        return exc.exit_code
    except Exception as exc:
        if os.environ.get("CIGEN_DEBUG"):
            raise
        commands.echo_err(commands.internal_error(exc))
        return 70


class _PacifyFlush:
    """A standard stream whose flush ignores a broken pipe (click's PacifyFlushWrapper, as typer uses it).

    Python flushes stdout and stderr at exit; after a broken pipe that would print a second error.
    """

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            import errno

            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> object:
        return getattr(self.wrapped, attr)


def stored_help(command: tuple[str, ...]) -> str | None:
    """The pre-rendered help of ``cigen [COMMAND] --help``, or None when typer must render it."""
    if os.name == "nt" or any(name in os.environ for name in _RENDER_ENV):
        return None
    # Below HELP_WIDTH typer wraps the help to the terminal, so no stored text is what it would print.
    if _program_name() != PROGRAM or _help_width() < HELP_WIDTH or not _utf8(sys.stdout):
        return None
    colour = sys.stdout.isatty()  # as rich decides (its Console.is_terminal, the variables aside)
    if colour and os.environ.get("TERM", "").strip().lower() in ("dumb", "unknown"):
        return None
    from gen import _help

    if cli_crc() != _help.CLI_CRC:
        return None  # gen/cli.py changed since the text was rendered
    return (_help.TERMINAL_TEXT if colour else _help.TEXT).get(command)


def cli_crc() -> int | None:
    """CRC-32 of gen/cli.py, whose commands and help strings the stored help was rendered from."""
    import zlib

    try:
        with open(os.path.join(os.path.dirname(__file__), "cli.py"), "rb") as fh:
            return zlib.crc32(fh.read())
    except OSError:
        return None


def _program_name() -> str:
    # As click names the program in "Usage: ..." (typer._click.utils._detect_program_name).
    main_module = sys.modules.get("__main__")
    if getattr(main_module, "__package__", None) in (None, ""):
        return os.path.basename(sys.argv[0])
    return "python -m"  # anything but PROGRAM: `python -m gen --help` is rendered by typer


def _help_width() -> int:
    # As rich sizes its console (Console.__init__ and .size): a numeric COLUMNS as it is, 0 included;
    # else the first of stdin, stdout, stderr that is a terminal, 0 there or no terminal at all being 80.
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        try:
            return int(columns)
        except ValueError:  # digits int() does not read ("²"): leave them to rich
            return 0
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


def _utf8(stream: object) -> bool:
    encoding = getattr(stream, "encoding", None)
    return isinstance(encoding, str) and encoding.lower().replace("-", "").replace("_", "") == "utf8"


def render_help(command: tuple[str, ...], terminal: bool = False) -> str:
    """Typer's own help for ``cigen [COMMAND] --help``, rendered in the conditions of the fast path.

    Args:
        command: The command whose help it is; ``()`` for the program's.
        terminal: Render it at an 80-column terminal (in colour) instead of into a pipe (plain).
    """
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in _RENDER_ENV and k not in ("COLUMNS", "COLORTERM")}
    code = f"import sys; sys.argv[0] = {PROGRAM!r}; from gen.cli import main; main()"
    argv = [sys.executable, "-c", code, *command, "--help"]
    if terminal:
        env["TERM"] = "xterm-256color"
        returncode, out = run_at_terminal(argv, env, HELP_WIDTH)
        err = out
    else:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                              env=env, check=False)
        returncode, out, err = done.returncode, done.stdout, done.stderr
    if returncode != 0:
        raise RuntimeError(f"cigen {' '.join(command)} --help failed: {err}")
    return out


def run_at_terminal(argv: Sequence[str], env: dict[str, str], columns: int, stderr: int | None = None,
                    cwd: str | None = None) -> tuple[int, str]:
    """Run ``argv`` with a terminal of ``columns`` columns on its standard streams; its exit code and output.

    The terminal is in raw mode, so the output is the bytes the program wrote (no line feed turned into
    carriage return + line feed). POSIX only: for tests and ``--write-help``.

    Args:
        argv: The program and its arguments.
        env: Its environment.
        columns: The terminal's width (its height is 24).
        stderr: Where standard error goes instead of the terminal (a file descriptor), if anywhere.
        cwd: Its working directory.
    """
    import fcntl
    import pty
    import struct
    import subprocess
    import termios
    import tty

    master, slave = pty.openpty()
    try:
        tty.setraw(slave)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave if stderr is None else stderr,
                                env=env, cwd=cwd, close_fds=True)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:  # until the child has exited and closed its end: EIO on Linux, b"" elsewhere
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8")


def commands() -> list[tuple[str, ...]]:
    """The root and every command of the typer app: each has a ``--help``."""
    import typer.main

    from gen.cli import app

    group = typer.main.get_command(app)
    names = sorted(getattr(group, "commands", {}))
    return [(), *((name,) for name in names)]


def write_help(path: str | None = None) -> str:
    """Render every help text with typer, plain and at a terminal, into gen/_help.py with gen/cli.py's CRC."""
    target = path or os.path.join(os.path.dirname(__file__), "_help.py")
    lines = [
        '"""Typer\'s help texts for the fast path of gen.launch. Generated: python -m gen.launch --write-help."""',
        "",
        f"CLI_CRC = {cli_crc()}",
        "",
    ]
    for name, terminal in (("TEXT", False), ("TERMINAL_TEXT", True)):
        lines.append(f"{name}: dict[tuple[str, ...], str] = {{")
        for command in commands():
            lines.append(f"    {command!r}: (")
            lines.extend(f"        {line!r}" for line in render_help(command, terminal).splitlines(keepends=True))
            lines.append("    ),")
        lines.extend(["}", ""])
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines))
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-help"]:
        print(f"wrote {write_help()}")
    else:
        main()
