"""The library entry points the CLI calls. They return values and raise CigenError; they never print."""

from __future__ import annotations

from pathlib import Path

from gen.loader import load
from gen.plan import Plan, build_plan
from gen.render import render_plan


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
    return render_plan(plan_file(envs_path), templates)


def default_output(envs_path: Path) -> Path:
    """``.circleci/config.yml`` beside the envs file."""
    return envs_path.parent / ".circleci" / "config.yml"
