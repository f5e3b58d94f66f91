"""The command line: parse arguments, call the core, map errors to exit codes. Nothing else."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import typer.core

from gen import __version__
from gen.errors import EXIT_OK, CigenError
from gen.launch import HELP_WIDTH


@contextmanager
def _capped_help_width() -> Iterator[None]:
    """Typer's rich help at most HELP_WIDTH columns wide, as click's own help is (its formatter's max_width).

    typer sizes its help console to the whole terminal unless TERMINAL_WIDTH is set. Capped, every
    terminal at least 80 columns wide gets the same text, which gen.launch can then print without typer.
    Without rich (TYPER_USE_RICH=0) typer uses click's formatter, capped already.
    """
    if not typer.core.HAS_RICH:
        yield
        return
    from rich.console import Console
    from typer import rich_utils

    saved = rich_utils.MAX_WIDTH
    if saved is None:  # TERMINAL_WIDTH, when set, is the user's choice and stands
        rich_utils.MAX_WIDTH = min(Console().width, HELP_WIDTH)
    try:
        yield
    finally:
        rich_utils.MAX_WIDTH = saved


class _Group(typer.core.TyperGroup):
    """The app's group, its help capped at HELP_WIDTH columns."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, capped (see _capped_help_width)."""
        with _capped_help_width():
            super().format_help(ctx, formatter)


class _Command(typer.core.TyperCommand):
    """A command, its help capped at HELP_WIDTH columns."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Typer's help, capped (see _capped_help_width)."""
        with _capped_help_width():
            super().format_help(ctx, formatter)


app = typer.Typer(
    cls=_Group,
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


@app.command(cls=_Command)
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
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a config that cigen did not generate (kept as config.yml.bak first)."),
    ] = False,
) -> None:
    """Render envs.toml into .circleci/config.yml.

    An unchanged config is left untouched; a hand-written one is refused without --force.

    Example: cigen render envs.toml -o -
    """
    from gen.commands import run_render

    code = run_render(envs, output, templates, force)
    if code:
        raise typer.Exit(code)


@app.command(cls=_Command)
def check(
    envs: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(help="The envs files (several for a monorepo). Default: envs.toml.", show_default=False),
    ] = None,
    templates: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--templates", help="A directory whose *.yml.j2 files override the shipped ones by name."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No output when current, no diff when not (for hooks).")
    ] = False,
) -> None:
    """Check that each committed .circleci/config.yml is what its envs.toml renders. Never writes.

    Exit 0 when all are current, 1 with a unified diff when one is stale, hand-edited or missing, 2 on bad input.

    Example: cigen check services/api/envs.toml services/web/envs.toml
    """
    from gen.commands import run_check

    code = run_check(envs, templates, quiet)
    if code:
        raise typer.Exit(code)


@app.command(cls=_Command)
def explain(
    source: Annotated[
        Path, typer.Argument(help="envs.toml (rendered in memory) or any CircleCI config.yml.")
    ] = Path("envs.toml"),
    branch: Annotated[
        Optional[str], typer.Option("--branch", help="Explain a pipeline for this branch.")  # noqa: UP045
    ] = None,
    tag: Annotated[
        Optional[str], typer.Option("--tag", help="Explain a pipeline for this tag.")  # noqa: UP045
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table (default) or json.")] = "table",
) -> None:
    """Show, for a branch or tag, every workflow job: runs or skipped, and why.

    Example: cigen explain .circleci/config.yml --tag v1.2.3
    """
    if (branch is None) == (tag is None):
        raise typer.BadParameter("give exactly one of --branch NAME or --tag NAME")
    name = branch if branch is not None else tag
    if not name:
        raise typer.BadParameter("the branch or tag name is empty")
    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, not {fmt!r}")
    import json

    from gen.core import explain_file
    from gen.engine import Event, format_table

    try:
        result = explain_file(source, Event("branch" if branch is not None else "tag", name))
    except CigenError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        sys.stdout.write(format_table(result))


@app.command(cls=_Command)
def lint(
    files: Annotated[
        Optional[list[Path]], typer.Argument(help="Config files (default .circleci/config.yml).")  # noqa: UP045
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text (default) or json.")] = "text",
) -> None:
    """Check CircleCI configs (hand-written ones too): exit 1 on errors, 0 on warnings only.

    Example: cigen lint .circleci/config.yml
    """
    if fmt not in ("text", "json"):
        raise typer.BadParameter(f"--format must be text or json, not {fmt!r}")
    from gen.core import lint_file
    from gen.errors import EXIT_BAD_INPUT, EXIT_FINDINGS
    from gen.lint import counts, format_json, format_text

    findings = []
    bad_input = False
    for path in files or [Path(".circleci/config.yml")]:
        try:
            findings.extend(lint_file(path))
        except CigenError as exc:
            typer.echo(f"cigen: error: {exc.one_line()}", err=True)
            bad_input = True
    sys.stdout.write(format_json(findings) if fmt == "json" else format_text(findings))
    errors, warnings = counts(findings)
    if fmt == "text":
        typer.echo(f"cigen: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
                   err=True)
    if bad_input:
        raise typer.Exit(EXIT_BAD_INPUT)
    if errors:
        raise typer.Exit(EXIT_FINDINGS)


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema of envs.toml (for editors; the repository ships it as envs.schema.json).

    Point Taplo / Even Better TOML at it with a first line  #:schema ./envs.schema.json  in envs.toml.

    Example: cigen schema > envs.schema.json
    """
    from gen.schema import schema_text

    sys.stdout.write(schema_text())


def _ask(label: str, default: str | None, check: Callable[[str], object]) -> str:
    """Prompt until ``check`` accepts the answer (its InputError is shown, then asked again)."""
    def proc(value: str) -> str:
        try:
            check(value)
        except CigenError as exc:
            # typer's prompt shows a BadParameter and asks again.
            raise typer.BadParameter(exc.message + (f"; {exc.hint}" if exc.hint else "")) from None
        return value

    answer: str = typer.prompt(label, default=default, value_proc=proc)
    return answer


@app.command(cls=_Command)
def init(
    directory: Annotated[Path, typer.Argument(help="The repository's root folder.")] = Path("."),
    env: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--env", help="An environment, in order; repeat it. Default: staging, production.",
                     show_default=False),
    ] = None,
    account: Annotated[
        Optional[str], typer.Option("--account", help="12-digit AWS account id of the ECR registry.")  # noqa: UP045
    ] = None,
    region: Annotated[
        Optional[str], typer.Option("--region", help="AWS region of the ECR registry. Default: us-east-1.")  # noqa: UP045
    ] = None,
    repo: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--repo", help="ECR repository, e.g. org/app. Default: the folder's name."),
    ] = None,
    auth: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--auth", help="oidc (an IAM role, no stored keys) or keys (names of key variables). "
                     "Default: oidc.", metavar="oidc|keys"),
    ] = None,
    release_tags: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--release-tags", help="Tags the last environment deploys from, /regex/ or a name. "
                     "Default: /^v\\d+\\.\\d+\\.\\d+$/."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing envs.toml or config.yml (kept as .bak first).")
    ] = False,
) -> None:
    """Start a repository: write a commented envs.toml and its .circleci/config.yml.

    Asks for what is missing when run in a terminal; otherwise uses the defaults (--account is required).

    Example: cigen init --env staging --env production --account 123456789012 --region us-east-1 --repo org/app
    """
    from gen.init import init_repo, resolve_answers

    try:
        # Ask only a person at a terminal; a script or hook gets the defaults (or a clear error).
        answers = resolve_answers(directory, envs=env, account=account, region=region, repo=repo, auth=auth,
                                  release_tags=release_tags, ask=_ask if sys.stdin.isatty() else None)
        result = init_repo(directory, answers, force=force)
    except CigenError as exc:
        raise _fail(exc) from None
    for saved in result.backups:
        typer.echo(f"cigen: kept the previous file as {saved}", err=True)
    typer.echo(f"cigen: wrote {result.envs} and {result.config}; edit {result.envs}, then run "
               f"`cigen render {result.envs}`", err=True)


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
        from gen.commands import echo_err, internal_error

        echo_err(internal_error(exc))  # the line gen.launch's fast path prints too
        sys.exit(70)
