"""The shipped examples: current, valid for CircleCI's schema, identical under two YAML parsers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML
from syrupy.assertion import SnapshotAssertion

from gen.core import render_file

from .conftest import EXAMPLES

IDS = [p.name for p in EXAMPLES]


def test_every_scenario_of_the_issue_is_shipped() -> None:
    assert set(IDS) >= {"seed", "basic", "oidc", "multi-region", "dockerhub"}


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_checked_in_config_equals_a_fresh_render(example: Path) -> None:
    committed = (example / ".circleci" / "config.yml").read_text(encoding="utf-8")
    assert render_file(example / "envs.toml") == committed


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_render_is_deterministic(example: Path) -> None:
    assert render_file(example / "envs.toml") == render_file(example / "envs.toml")


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_example_snapshot(example: Path, yaml_snapshot: SnapshotAssertion) -> None:
    assert render_file(example / "envs.toml") == yaml_snapshot


@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_ruamel_and_pyyaml_read_the_same_data(example: Path) -> None:
    text = render_file(example / "envs.toml")
    assert YAML(typ="safe").load(text) == yaml.safe_load(text)


def test_every_21_example_passes_the_circleci_schema() -> None:
    files = [
        str(p / ".circleci" / "config.yml")
        for p in EXAMPLES
        if yaml.safe_load((p / ".circleci" / "config.yml").read_text())["version"] == 2.1
    ]
    assert len(files) >= 4
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.circle-ci", *files],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# The CircleCI 2.0 documentation's ECR example, typed in from the issue: the seed example must
# reproduce it as data. The account id is ours; everything else is the documented config.
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/repo:0.1"
AWS_AUTH = {
    "aws_access_key_id": "$AWS_ACCESS_KEY_ID_STAGING",
    "aws_secret_access_key": "$AWS_SECRET_ACCESS_KEY_STAGING",
}
SEED = {
    "version": 2,
    "jobs": {
        "build": {
            "docker": [{"image": IMAGE, "aws_auth": AWS_AUTH}],
            "steps": [
                {"run": {"name": "Every Day Tests", "command": "testing...."}},
                {"run": {"name": "Deploy to Staging Infrastructure",
                         "command": "something something darkside.... cli"}},
            ],
        },
        "deploy": {
            "docker": [{"image": IMAGE, "aws_auth": AWS_AUTH}],
            "steps": [
                {"run": {"name": "Full Test Suite", "command": "testing...."}},
                {"run": {"name": "Deploy to Production Infrastructure",
                         "command": "something something darkside.... cli"}},
            ],
        },
    },
    "workflows": {
        "version": 2,
        "main": {
            "jobs": [
                {"build": {"filters": {"tags": {"only": "/^\\d{4}\\.\\d+$/"}}}},
                {"deploy": {
                    "requires": ["build"],
                    "filters": {"branches": {"ignore": "/.*/"}, "tags": {"only": "/^\\d{4}\\.\\d+$/"}},
                }},
            ]
        },
    },
}


def test_seed_reproduces_the_circleci_20_example_as_data() -> None:
    text = (Path(__file__).resolve().parent.parent / "examples" / "seed" / ".circleci" / "config.yml").read_text()
    assert yaml.safe_load(text) == SEED
    assert YAML(typ="safe").load(text) == SEED
