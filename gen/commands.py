"""The bodies of ``cigen render`` and ``cigen check``: plain functions that return the exit code.

Two front ends call them with the same values: the typer commands in :mod:`gen.cli` (the one
definition of the command line, its help and its errors) and the fast path of :mod:`gen.launch`,
which parses the ordinary argument lists of these two commands itself so that a pre-commit hook
does not pay for importing typer. So this module imports nothing of typer, click, rich or pydantic,
and everything either front end prints comes from here, written the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gen.errors import EXIT_OK, CigenError


def echo_err(message: str) -> None:
    """Write one line to stderr and flush it (what ``typer.echo(message, err=True)`` wrote here)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def internal_error(exc: BaseException) -> str:
    """The one line a bug (an exception that is not a CigenError) is reported with, exit code 70."""
    return (f"cigen: internal error: {type(exc).__name__}: {exc} (set CIGEN_DEBUG=1 for a traceback; "
            "please report it)")


def run_render(envs: Path, output: str | None, templates: Path | None, force: bool) -> int:
    """``cigen render``: render ``envs`` and write it (or print it, for ``-o -``).

    Args:
        envs: The envs.toml.
        output: Where to write; ``"-"`` for stdout; None or empty for ``.circleci/config.yml`` beside
            ``envs``.
        templates: Optional directory of template overrides.
        force: Replace a config that cigen did not generate (a backup is kept).

    Returns:
        The exit code: 0, or the code of the CigenError that stopped it (its one line is on stderr).
    """
    from gen.core import default_output, render_file
    from gen.writer import write_rendered

    try:
        text = render_file(envs, templates)
        if output == "-":
            sys.stdout.write(text)
            return EXIT_OK
        target = Path(output) if output else default_output(envs)
        outcome = write_rendered(target, text, force=force, templates=templates)
    except CigenError as exc:
        echo_err(f"cigen: error: {exc.one_line()}")
        return exc.exit_code
    if outcome.action == "unchanged":
        echo_err(f"cigen: unchanged {target}")
        return EXIT_OK
    kept = f" (the previous file is kept as {outcome.backup})" if outcome.backup is not None else ""
    echo_err(f"cigen: wrote {target}{kept}")
    return EXIT_OK


def run_check(envs: list[Path] | None, templates: Path | None, quiet: bool) -> int:
    """``cigen check``: is each committed config what its envs file renders? Never writes.

    Args:
        envs: The envs files; None or empty for ``envs.toml``.
        templates: Optional directory of template overrides.
        quiet: No message when current and no diff when not (errors and findings are still one line each).

    Returns:
        The exit code: 0 all current, 1 one is stale / hand-written / missing, 2 bad input.
    """
    from gen.check import check_files, overall_exit

    results = check_files(envs or [Path("envs.toml")], templates)
    for result in results:
        if result.error is not None:
            echo_err(f"cigen: error: {result.message}")
        elif result.status == "current":
            if not quiet:
                echo_err(f"cigen: {result.message}")
        else:
            if not quiet:
                sys.stdout.write(result.diff)
                sys.stdout.flush()
            echo_err(f"cigen: {result.message}")
    return overall_exit(results)
