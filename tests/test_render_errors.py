"""Invalid envs.toml: exit 2, one line naming file, dotted key and the problem; nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import run_cli

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.0"
KEYS = 'aws_auth = { access_key_id = "AWS_KEY_ID", secret_access_key = "AWS_SECRET" }'
OK_ENV = f'image = "{ECR}"\n{KEYS}\nsteps = ["checkout"]\n'

CASES = {
    "toml-syntax": ("[environments.staging\nimage = 1\n", "", "TOML syntax error", ":1:"),
    "unknown-key": (f"[environments.staging]\n{OK_ENV}brnaches = {{ only = 'main' }}\n",
                    "environments.staging.brnaches", "unknown key", 'did you mean "branches"'),
    "unknown-nested-key": (f'[environments.staging]\nimage = "{ECR}"\nsteps = ["checkout"]\n'
                           'aws_auth = { access_key_id = "A", secret_acess_key = "B" }\n',
                           "environments.staging.aws_auth.secret_acess_key", "unknown key",
                           'did you mean "secret_access_key"'),
    "wrong-type": (f"[environments.staging]\n{OK_ENV}approval = 'yes'\n",
                   "environments.staging.approval", "expected a boolean (true or false)", "got a string"),
    "aws-auth-on-non-ecr": ('[environments.staging]\nimage = "acme/app:1"\nsteps = ["checkout"]\n'
                            f"{KEYS}\n", "environments.staging.aws_auth", "only for AWS ECR images", "auth ="),
    "half-key-pair": (f'[environments.staging]\nimage = "{ECR}"\nsteps = ["checkout"]\n'
                      'aws_auth = { access_key_id = "AWS_KEY_ID" }\n',
                      "environments.staging.aws_auth.secret_access_key", "need both", "variable"),
    "requires-unknown": (f"[environments.staging]\n{OK_ENV}\n[environments.production]\n{OK_ENV}"
                         'requires = ["stagin"]\n', "environments.production.requires.0",
                         "not an environment", 'did you mean "staging"'),
    "cycle": (f"[environments.a]\n{OK_ENV}requires = ['b']\n[environments.b]\n{OK_ENV}requires = ['a']\n",
              "environments.a.requires", "cycle: a -> b -> a", ""),
    "bad-regex": (f"[environments.staging]\n{OK_ENV}tags = {{ only = '/^v(\\d+$/' }}\n",
                  "environments.staging.tags.only", "does not compile", "/^v(\\d+$/"),
    "malformed-ecr-account": (f'[environments.staging]\nimage = "12345.dkr.ecr.us-east-1.amazonaws.com/a:1"\n'
                              f'{KEYS}\nsteps = ["checkout"]\n', "environments.staging.image",
                              "not 12 digits", ""),
    "key-as-variable-name": (f'[environments.staging]\nimage = "{ECR}"\nsteps = ["checkout"]\n'
                             'aws_auth = { access_key_id = "AKIAIOSFODNN7EXAMPLE", secret_access_key = "S" }\n',
                             "environments.staging.aws_auth.access_key_id", "looks like an AWS access key id",
                             "CircleCI context"),
    "defaults-key-named": (f'[defaults]\nimage = "acme/app:1"\n{KEYS}\n[environments.staging]\n'
                           'steps = ["checkout"]\n', "defaults.aws_auth", "only for AWS ECR images", ""),
    "never-runs": (f"[environments.staging]\n{OK_ENV}branches = {{ only = [] }}\n",
                   "environments.staging", "would never run", "tags"),
    "expression-on-v2": (f'version = "2"\n[environments.staging]\n{OK_ENV}', "filters",
                         'expression filters need version = "2.1"', ""),
    "map-not-expressible": (f'filters = "map"\n[environments.a]\n{OK_ENV}branches = {{ ignore = "/^a.*/" }}\n'
                            f"[environments.b]\n{OK_ENV}branches = {{ ignore = '/^b.*/' }}\nrequires = ['a']\n",
                            "environments.a", "map filters cannot express", 'filters = "expression"'),
    "workflow-named-version": (f'workflow = "version"\n[environments.staging]\n{OK_ENV}', "workflow",
                               "cannot name a workflow", ""),
    "impossible-branch-name": (f"[environments.staging]\n{OK_ENV}branches = {{ only = 'feature: x' }}\n",
                               "environments.staging.branches.only", "cannot be a git branch or tag name", "/regex/"),
    "no-steps": (f'[environments.staging]\nimage = "{ECR}"\n{KEYS}\n', "environments.staging.steps",
                 "no steps", ""),
    "bad-step-shape": (f'[environments.staging]\nimage = "{ECR}"\n{KEYS}\nsteps = [1]\n',
                       "environments.staging.steps.0", "a step is a string", ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(case: str, tmp_path: Path) -> None:
    text, key, message, extra = CASES[case]
    envs = tmp_path / "envs.toml"
    envs.write_text(text, encoding="utf-8")
    config = tmp_path / ".circleci" / "config.yml"
    config.parent.mkdir()
    config.write_bytes(b"# hand-tuned config\nversion: 2.1\n")
    os.utime(config, (1_000_000_000, 1_000_000_000))
    done = run_cli("render", str(envs))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert "Traceback" not in done.stderr
    assert line.startswith(f"cigen: error: {envs}")
    if key:
        assert f": {key}: " in line
    assert message in line
    assert extra in line
    assert config.read_bytes() == b"# hand-tuned config\nversion: 2.1\n"
    assert config.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yml"]


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text('workflow = "main"\nversion = = "2"\n')
    done = run_cli("render", str(envs), "-o", "-")
    assert done.returncode == 2
    assert f"{envs}:2:11: TOML syntax error" in done.stderr


def test_missing_file(tmp_path: Path) -> None:
    done = run_cli("render", str(tmp_path / "nope.toml"))
    assert done.returncode == 2
    assert "nope.toml: file not found" in done.stderr
