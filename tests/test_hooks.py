"""`.pre-commit-hooks.yaml`: valid for pre-commit, triggered by the right files, and its commands work."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pre_commit.clientlib import load_manifest

from .conftest import ROOT, run_cli

MANIFEST = ROOT / ".pre-commit-hooks.yaml"


@pytest.fixture(scope="module")
def hooks() -> dict[str, dict[str, Any]]:
    # load_manifest validates against pre-commit's own manifest schema and raises on any error.
    return {h["id"]: h for h in load_manifest(str(MANIFEST))}


def test_manifest_is_valid_and_offers_both_hooks(hooks: dict[str, dict[str, Any]]) -> None:
    assert set(hooks) == {"cigen-check", "cigen-render"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["description"]
    assert hooks["cigen-check"]["entry"] == "cigen check --quiet"
    assert hooks["cigen-render"]["entry"] == "cigen render"


def test_entry_is_the_installed_console_script(hooks: dict[str, dict[str, Any]]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for hook in hooks.values():
        assert hook["entry"].split()[0] in scripts


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("envs.toml", True),
        ("services/api/envs.toml", True),
        ("templates/header.yml.j2", True),
        ("ci/templates/job.yml.j2", True),
        (".circleci/config.yml", True),
        ("services/api/.circleci/config.yml", True),
        ("README.md", False),
        ("my-envs.toml", False),
        ("envs.toml.bak", False),
        (".circleci/config.yml.bak", False),
        ("templates/notes.txt", False),
        ("templates/sub/deeper.j2", False),
    ],
)
def test_files_pattern(hooks: dict[str, dict[str, Any]], path: str, runs: bool) -> None:
    for hook in hooks.values():
        # pre-commit matches `files` with re.search against repository-relative paths.
        assert bool(re.search(hook["files"], path)) is runs, (hook["id"], path)


def test_entries_do_what_the_hooks_promise(hooks: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "basic", repo)

    def run(hook: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*hooks[hook]["entry"].split()[1:], cwd=repo)

    assert run("cigen-check").returncode == 0
    assert run("cigen-check").stderr == ""  # quiet when all is well
    envs = repo / "envs.toml"
    envs.write_text(envs.read_text().replace("medium", "large"))
    failed = run("cigen-check")
    assert failed.returncode == 1 and "stale" in failed.stderr
    assert run("cigen-render").returncode == 0
    assert run("cigen-check").returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a checkout")
def test_pre_commit_runs_the_hooks_for_real(tmp_path: Path) -> None:
    """pre-commit installs this repository into its own venv and runs each hook in a user's repo."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "basic", repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "start"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)

    envs = repo / "envs.toml"
    envs.write_text(envs.read_text().replace("medium", "large"))
    # One try-repo run of both hooks (each run installs cigen afresh, so one run keeps this test short).
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert re.search(r"cigen check\.+Failed", out) and "stale" in out
    assert re.search(r"cigen render\.+Failed", out) and "files were modified by this hook" in out
    assert "resource_class: large" in (repo / ".circleci/config.yml").read_text()
    assert run_cli("check", cwd=repo).returncode == 0
