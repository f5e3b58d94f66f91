"""The command line: parse arguments, call the core, map errors to exit codes. Nothing else."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gen import __version__
from gen.errors import EXIT_OK, CigenError

app = typer.Typer(
    name="cigen",
    help="Generate a complete, correct CircleCI config.yml from a typed envs.toml.\n\n"
    "Example: cigen render envs.toml",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(exc: CigenError) -> typer.Exit:
    typer.echo(f"cigen: error: {exc.one_line()}", err=True)
    return typer.Exit(exc.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cigen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Generate a complete, correct CircleCI config.yml from a typed envs.toml."""


@app.command()
def render(
    # readable=False: the loader reports an unreadable file in cigen's one-line form (click's own check
    # would print a multi-line usage box instead).
    envs: Annotated[Path, typer.Argument(help="The envs file.", readable=False)] = Path("envs.toml"),
    output: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on 3.11
        typer.Option("-o", "--output", help="Where to write; '-' for stdout. Default: .circleci/config.yml "
                     "beside the envs file."),
    ] = None,
    templates: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--templates", help="A directory whose *.yml.j2 files override the shipped ones by name."),
    ] = None,
) -> None:
    """Render envs.toml into .circleci/config.yml.

    Example: cigen render envs.toml -o -
    """
    from gen.core import default_output, render_file
    from gen.writer import atomic_write

    try:
        text = render_file(envs, templates)
        if output == "-":
            sys.stdout.write(text)
            return
        target = Path(output) if output else default_output(envs)
        atomic_write(target, text)
    except CigenError as exc:
        raise _fail(exc) from None
    typer.echo(f"cigen: wrote {target}", err=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except CigenError as exc:  # pragma: no cover - commands convert their own errors
        typer.echo(f"cigen: error: {exc.one_line()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, no traceback unless asked for
        if os.environ.get("CIGEN_DEBUG"):
            raise
        typer.echo(f"cigen: internal error: {type(exc).__name__}: {exc} (set CIGEN_DEBUG=1 for a traceback; "
                   "please report it)", err=True)
        sys.exit(70)
