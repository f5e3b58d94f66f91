"""What the README promises about keeping configs current is what cigen does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gen.cli import app

from .conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text()


def _block(after: str, lang: str) -> str:
    """The first ```lang block after the heading or sentence ``after``."""
    return README.split(after, 1)[1].split(f"```{lang}\n", 1)[1].split("```", 1)[0]


def test_pipeline_job_snippet_renders_as_shown(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "basic", repo)
    envs = repo / "envs.toml"
    envs.write_text(envs.read_text() + "\n" + _block("### In the pipeline", "toml"))
    done = run_cli("render", "-o", "-", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert _block("### In the pipeline", "yaml") in done.stdout
    config = yaml.safe_load(done.stdout)
    assert config["jobs"]["config-check"]["steps"][1]["run"]["command"].endswith(
        "pre-commit run cigen-check --all-files")
    assert "config-check" in config["workflows"]["deploy"]["jobs"]


def test_pre_commit_config_snippet_uses_a_hook_that_exists() -> None:
    from pre_commit.clientlib import load_manifest

    config = yaml.safe_load(_block("### pre-commit", "yaml"))
    ids = {h["id"] for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    used = [h["id"] for r in config["repos"] for h in r["hooks"]]
    assert used and set(used) <= ids


def test_schema_line_points_at_the_shipped_schema() -> None:
    line = _block("### Editor support", "toml").strip()
    assert line == "#:schema ./envs.schema.json"
    assert (ROOT / line.split()[-1]).is_file()


def test_every_command_is_in_the_commands_table() -> None:
    table = README.split("## Commands", 1)[1].split("###", 1)[0]
    for command in ("render", "check", "init", "schema"):
        assert f"| `cigen {command}" in table
    assert "| `cigen --version`" in table


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs patch(1)")
def test_check_diff_applies_with_patch(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "oidc", repo)
    envs = repo / "envs.toml"
    envs.write_text(envs.read_text().replace('"large"', '"xlarge"'))
    diff = run_cli("check", cwd=repo).stdout
    subprocess.run(["patch", "-p0", "--quiet"], input=diff, text=True, cwd=repo, check=True)
    assert run_cli("check", cwd=repo).returncode == 0


# -------------------------------------------------------------------------------------------------
# help and start-up


def test_every_command_help_shows_an_example() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"], terminal_width=200)
    assert top.exit_code == 0 and "Example: cigen" in top.output
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None]
    assert set(names) >= {"render", "check", "init", "schema"}
    for name in names:
        result = runner.invoke(app, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, name
        assert f"Example: cigen {name}" in result.output, name


def test_version() -> None:
    from gen import __version__

    done = run_cli("--version")
    assert (done.returncode, done.stdout) == (0, f"cigen {__version__}\n")


def test_cli_module_imports_no_heavy_library() -> None:
    # Start-up time: jinja2, pydantic and ruamel.yaml are imported by the commands that use them only.
    code = ("import sys, gen.cli; heavy = [m for m in ('jinja2', 'pydantic', 'ruamel.yaml') if m in sys.modules];"
            " print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
