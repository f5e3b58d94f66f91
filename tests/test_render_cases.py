"""Interesting inputs, rendered: each output reviewed as a .yml snapshot and checked by the validators."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML
from syrupy.assertion import SnapshotAssertion

from gen.core import render_file

from .conftest import circleci_schema_errors

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.0"
KEYS = 'aws_auth = { access_key_id = "AWS_KEY_ID", secret_access_key = "AWS_SECRET" }'

CASES = {
    # Approvals chained: each hold inherits what its job and everything after it admits.
    "approval-chain": f"""
[defaults]
image = "{ECR}"
{KEYS}
steps = ["checkout"]
[environments.dev]
[environments.qa]
requires = ["dev"]
approval = true
branches = {{ only = ["main", "/^release\\\\/.*/"] }}
[environments.prod]
requires = ["qa"]
approval = true
branches = {{ only = [] }}
tags = {{ only = ["/^v\\\\d+$/"] }}
""",
    # Map filters: an `ignore` upstream of an `only`, and two tag lists merged.
    "map-union": f"""
filters = "map"
[defaults]
image = "{ECR}"
{KEYS}
steps = ["checkout"]
[environments.build]
branches = {{ ignore = ["main", "/^wip\\\\/.*/"] }}
[environments.deploy]
requires = ["build"]
branches = {{ only = "main" }}
tags = {{ only = "/^v.*/" }}
[environments.hotfix]
requires = ["build"]
branches = {{ only = [] }}
tags = {{ only = ["/^hotfix-.*/", "/^v.*/"] }}
""",
    # Steps of every shape, a multi-line script and a passed-through table.
    "step-shapes": f"""
[environments.ci]
image = "{ECR}"
{KEYS}
steps = [
  "checkout",
  "setup_remote_docker",
  {{ run = "make test" }},
  {{ run = "make lint", name = "Lint" }},
  {{ run = {{ name = "Script", command = "set -eu\\nfor f in *.sh; do\\n  bash -n \\"$f\\"\\ndone\\n", shell = "/bin/bash", when = "always" }} }},
  {{ save_cache = {{ key = "v1-deps-{{{{ checksum \\"poetry.lock\\" }}}}", paths = ["~/.cache"] }} }},
  {{ store_test_results = {{ path = "reports" }} }},
]
""",
    # Values a YAML reader could misread, Jinja and CircleCI syntax, unicode: all kept as text.
    "hostile-values": f"""
[environments.ci]
image = "{ECR}"
{KEYS}
context = ["yes", "on: off"]
environment = {{ FLAG = "no", VERSION = "2.1", OCTAL = "0o17", EMPTY = "", JINJA = "{{{{ 7*7 }}}}", PIPE = "<< pipeline.git.branch >>", TEXT = "déploiement 🚀 \\u202e" }}
branches = {{ only = ["#not-a-comment", "yes", "{{{{x}}}}", "'quote\\"s"] }}
steps = [{{ run = "echo '{{% raw %}}' # and: colons", name = "- dash, *star, &amp, !tag" }}]
""",
    # Legacy 2.0 output with OIDC and a Docker Hub image side by side.
    "version-2-mixed-auth": f"""
version = "2"
filters = "map"
workflow = "build-and-ship"
[environments.build]
image = "cimg/python:3.12"
auth = {{ username = "$DOCKER_USER", password = "DOCKER_PASS" }}
resource_class = "large"
steps = ["checkout", {{ run = "make" }}]
[environments.ship]
image = "{ECR.replace(':1.0', '@sha256:' + 'ab' * 32)}"
aws_auth = {{ oidc_role_arn = "arn:aws:iam::123456789012:role/path/ship" }}
requires = ["build"]
tags = {{ only = "/.*/" }}
steps = [{{ run = "make ship" }}]
""",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_case(case: str, tmp_path: Path, yaml_snapshot: SnapshotAssertion) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(CASES[case], encoding="utf-8")
    text = render_file(envs)
    data = yaml.safe_load(text)
    assert YAML(typ="safe").load(text) == data
    if data["version"] == 2.1:
        assert circleci_schema_errors(data) == []
    assert text == yaml_snapshot


def test_hostile_values_arrive_as_written(tmp_path: Path) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(CASES["hostile-values"], encoding="utf-8")
    data = yaml.safe_load(render_file(envs))
    job = data["jobs"]["ci"]
    assert job["environment"] == {
        "FLAG": "no", "VERSION": "2.1", "OCTAL": "0o17", "EMPTY": "", "JINJA": "{{ 7*7 }}",
        "PIPE": "<< pipeline.git.branch >>", "TEXT": "déploiement 🚀 \u202e",
    }
    assert job["steps"] == [{"run": {"name": "- dash, *star, &amp, !tag",
                                     "command": "echo '{% raw %}' # and: colons"}}]
    assert data["workflows"]["main"]["jobs"][0]["ci"]["context"] == ["yes", "on: off"]


def test_step_script_is_a_literal_block_with_its_newline(tmp_path: Path) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(CASES["step-shapes"], encoding="utf-8")
    text = render_file(envs)
    assert "          command: |\n            set -eu\n" in text
    step = yaml.safe_load(text)["jobs"]["ci"]["steps"][4]
    assert step["run"]["command"] == 'set -eu\nfor f in *.sh; do\n  bash -n "$f"\ndone\n'
