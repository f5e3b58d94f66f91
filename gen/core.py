"""The library entry points the CLI calls. They return values and raise CigenError; they never print."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gen.loader import load
from gen.plan import Plan, build_plan
from gen.render import render_plan

if TYPE_CHECKING:
    from gen.engine import Event, Explanation
    from gen.lint import Finding


def plan_file(envs_path: Path) -> Plan:
    """Load an envs file and resolve it into a checked plan."""
    return build_plan(load(envs_path), envs_path)


def render_file(envs_path: Path, templates: Path | None = None) -> str:
    """Render the config.yml text for an envs file (nothing is written).

    Args:
        envs_path: The envs.toml to read.
        templates: Optional directory of template overrides.

    Raises:
        CigenError: for bad input, a failing template, or output that fails its checks.
    """
    plan = plan_file(envs_path)
    if templates is not None:
        text = render_plan(plan, templates)
        check_rendered(text, envs_path)
        return text
    from gen import parallel

    # The shipped templates' data is known from the plan (gen.configdata), so linting it does not wait
    # for the text: on a large plan a forked child lints while this process renders (gen/parallel.py).
    pending = parallel.start(lint_plan, plan) if parallel.worth_it(len(plan.jobs)) else None
    try:
        text = render_plan(plan, with_data=pending is None)
        if pending is None:
            check_rendered(text, envs_path)
            return text
        errors = pending.result()
    finally:
        if pending is not None:
            pending.close()
    _stop_on_errors(lint_plan(plan) if errors is None else errors, envs_path)
    return text


def lint_plan(plan: Plan) -> list[Finding]:
    """The lint errors of the config the shipped templates render for ``plan``."""
    from gen.configdata import config_data
    from gen.lint import lint_data

    return lint_data(config_data(plan), errors_only=True)


def check_rendered(text: str, envs_path: Path) -> Any:
    """Run the lint checks on rendered config text: any error finding stops the write.

    Returns:
        The parsed config data.

    Raises:
        OutputError: naming the first error finding (its YAML path in the rendered config).

    """
    from gen.lint import lint_data
    from gen.render import parsed

    data = parsed(text)
    _stop_on_errors(lint_data(data, errors_only=True), envs_path)
    return data


def _stop_on_errors(errors: list[Finding], envs_path: Path) -> None:
    from gen.errors import OutputError

    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise OutputError(f"the rendered config fails lint at {first.path}: {first.message} [{first.rule}]"
                          f"{more}; nothing was written", file=envs_path)


def explain_file(path: Path, event: Event) -> Explanation:
    """Explain what CircleCI runs for ``event``.

    Args:
        path: An envs.toml (``*.toml``, rendered in memory) or a CircleCI config.yml.
        event: The git event.

    Raises:
        CigenError: bad input, or a config CircleCI would reject or cigen cannot evaluate.

    """
    from gen.engine import explain, read_config
    from gen.lint import parse_yaml_rt, read_yaml_file

    if path.suffix == ".toml":
        plan = plan_file(path)
        config = read_config(check_rendered(render_plan(plan), path))
        own = {wj.name: wj.own for wj in plan.workflow_jobs if not wj.approval}
        return explain(config, event, source=str(path), file=str(path), own=own)
    config = read_config(parse_yaml_rt(read_yaml_file(path), path))
    return explain(config, event, source=str(path), file=str(path))


def lint_file(path: Path) -> list[Finding]:
    """Lint one config.yml.

    Raises:
        InputError: the file cannot be read or is not YAML.

    """
    from gen.lint import lint_text, read_yaml_file

    return lint_text(read_yaml_file(path), path)


def default_output(envs_path: Path) -> Path:
    """``.circleci/config.yml`` beside the envs file."""
    return envs_path.parent / ".circleci" / "config.yml"
