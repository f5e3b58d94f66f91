"""The console-script entry point: ``--version`` and ``--help`` answered without importing typer.

Importing typer (and the pydantic and rich machinery it brings) costs more than everything else
``cigen --version`` does, and ``--help`` builds the whole command tree just to print text that only
changes when gen/cli.py does. So:

* ``cigen --version`` prints the version straight away (what typer's eager option prints).
* ``cigen --help`` and ``cigen COMMAND --help`` print typer's own help, rendered beforehand into
  :mod:`gen._help` by ``python -m gen.launch --write-help`` -- but only when typer would print exactly
  those bytes: the program is called ``cigen``, gen/cli.py is the one the text was rendered from (its
  CRC is recorded), no standard stream is a terminal (typer's rich console then uses 80 columns and no
  colour), stdout is UTF-8 and no variable that changes rich's or typer's output is set. At a terminal,
  or on any doubt, typer renders the help itself. tests/test_launch.py checks the stored text against
  typer's output, so it cannot drift unnoticed.
* Everything else goes to :func:`gen.cli.main`.
"""

from __future__ import annotations

import gc
import os
import sys

# Variables that change how typer/rich render help (width, colour, terminal detection, rich on/off).
_RENDER_ENV = (
    "COLUMNS", "LINES", "TERMINAL_WIDTH", "JUPYTER_COLUMNS", "JUPYTER_LINES", "FORCE_COLOR", "PY_COLORS",
    "NO_COLOR", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TYPER_USE_RICH",
    "_TYPER_FORCE_DISABLE_TERMINAL",
)
PROGRAM = "cigen"


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
    from gen.cli import main as cli_main

    cli_main()


def stored_help(command: tuple[str, ...]) -> str | None:
    """The pre-rendered help of ``cigen [COMMAND] --help``, or None when typer must render it."""
    if os.name == "nt" or any(name in os.environ for name in _RENDER_ENV):
        return None
    if _program_name() != PROGRAM or _any_terminal() or not _utf8(sys.stdout):
        return None
    from gen import _help

    if cli_crc() != _help.CLI_CRC:
        return None  # gen/cli.py changed since the text was rendered
    return _help.TEXT.get(command)


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


def _any_terminal() -> bool:
    # rich sizes its console from the first of stdin, stdout, stderr that is a terminal.
    for fd in (0, 1, 2):
        try:
            os.get_terminal_size(fd)
        except (OSError, ValueError):
            continue
        return True
    return False


def _utf8(stream: object) -> bool:
    encoding = getattr(stream, "encoding", None)
    return isinstance(encoding, str) and encoding.lower().replace("-", "").replace("_", "") == "utf8"


def render_help(command: tuple[str, ...]) -> str:
    """Typer's own help for ``cigen [COMMAND] --help``, rendered in the conditions of the fast path."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in _RENDER_ENV}
    code = f"import sys; sys.argv[0] = {PROGRAM!r}; from gen.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, *command, "--help"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, encoding="utf-8", env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cigen {' '.join(command)} --help failed: {done.stderr}")
    return done.stdout


def commands() -> list[tuple[str, ...]]:
    """The root and every command of the typer app: each has a ``--help``."""
    import typer.main

    from gen.cli import app

    group = typer.main.get_command(app)
    names = sorted(getattr(group, "commands", {}))
    return [(), *((name,) for name in names)]


def write_help(path: str | None = None) -> str:
    """Render every help text with typer and write them, with gen/cli.py's CRC, to gen/_help.py."""
    target = path or os.path.join(os.path.dirname(__file__), "_help.py")
    lines = [
        '"""Typer\'s help texts for the fast path of gen.launch. Generated: python -m gen.launch --write-help."""',
        "",
        f"CLI_CRC = {cli_crc()}",
        "",
        "TEXT: dict[tuple[str, ...], str] = {",
    ]
    for command in commands():
        lines.append(f"    {command!r}: (")
        lines.extend(f"        {line!r}" for line in render_help(command).splitlines(keepends=True))
        lines.append("    ),")
    lines.append("}")
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-help"]:
        print(f"wrote {write_help()}")
    else:
        main()
