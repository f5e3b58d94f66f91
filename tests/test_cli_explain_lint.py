"""`cigen explain` and `cigen lint` from the command line: output formats and exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gen.cli import app
from gen.lint import RULES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "lint"
runner = CliRunner()


def cigen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gen", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, check=False)


# -- lint ---------------------------------------------------------------------------------------------


def test_lint_clean_config_exits_0_and_prints_nothing_on_stdout() -> None:
    r = cigen("lint", str(CORPUS / "01-clean-expression.yml"))
    assert r.returncode == 0
    assert r.stdout == ""
    assert r.stderr == "cigen: 0 errors, 0 warnings\n"


def test_lint_warnings_only_exit_0() -> None:
    r = runner.invoke(app, ["lint", str(CORPUS / "13-version-2-key-in-2.1.yml")])
    assert r.exit_code == 0
    assert r.stdout.count(": warning: ") == 3
    assert "cigen: 0 errors, 3 warnings" in r.stderr


def test_lint_errors_exit_1_with_file_line_severity_path_message() -> None:
    path = CORPUS / "03-tag-upstream-no-tags.yml"
    r = cigen("lint", str(path))
    assert r.returncode == 1
    assert r.stdout.startswith(f"{path}:26: error: workflows.release.jobs.1.deploy.filters: deploy admits")
    assert r.stdout.rstrip().endswith("[tags-never-run]")
    assert r.stderr == "cigen: 1 error, 0 warnings\n"


def test_lint_yaml_that_does_not_parse_exits_2_with_one_line() -> None:
    path = CORPUS / "20-not-yaml.yml"
    r = cigen("lint", str(path))
    assert r.returncode == 2
    first, *rest = r.stderr.splitlines()
    assert first == (f"cigen: error: {path}:7:1: YAML syntax error: expected the node content, "
                     "but found '<stream end>'")
    assert rest == ["cigen: 0 errors, 0 warnings"]
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("make", ["missing", "directory", "binary"])
def test_lint_unreadable_input_exits_2(tmp_path: Path, make: str) -> None:
    path = tmp_path / "config.yml"
    if make == "directory":
        path.mkdir()
    elif make == "binary":
        path.write_bytes(b"version: 2.1\x00")
    r = runner.invoke(app, ["lint", str(path)])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"cigen: error: {path}: ")


def test_lint_several_files_reports_all_and_bad_input_wins(tmp_path: Path) -> None:
    r = runner.invoke(app, ["lint", str(CORPUS / "07-undefined-and-unknown-requires.yml"),
                            str(CORPUS / "20-not-yaml.yml"), str(CORPUS / "04-tags-partly-run.yml")])
    assert r.exit_code == 2
    assert "[undefined-job]" in r.stdout and "[tags-partly-run]" in r.stdout
    assert "YAML syntax error" in r.stderr


def test_lint_format_json() -> None:
    r = runner.invoke(app, ["lint", "--format", "json", str(CORPUS / "12-aws-auth-not-ecr.yml")])
    assert r.exit_code == 1
    findings = json.loads(r.stdout)
    assert [(f["line"], f["severity"], f["rule"], f["path"]) for f in findings] == [
        (10, "error", "aws-auth-not-ecr", "executors.hub.docker.0.aws_auth"),
        (21, "error", "aws-auth-not-ecr", "jobs.scan.docker.0.aws_auth"),
    ]
    assert findings[0]["file"] == str(CORPUS / "12-aws-auth-not-ecr.yml")
    assert r.stderr == ""  # json mode keeps stderr for errors only


def test_lint_defaults_to_circleci_config_yml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".circleci").mkdir()
    shutil.copy(CORPUS / "05-approval-no-tags.yml", tmp_path / ".circleci" / "config.yml")
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["lint"])
    assert r.exit_code == 1
    assert r.stdout.startswith(".circleci/config.yml:23: error: workflows.release.jobs.1.hold: ")


def test_lint_bad_format_is_a_usage_error() -> None:
    r = runner.invoke(app, ["lint", "--format", "xml", str(CORPUS / "01-clean-expression.yml")])
    assert r.exit_code == 2


def test_every_shipped_example_config_lints_without_errors() -> None:
    configs = sorted(str(p) for p in (ROOT / "examples").glob("*/.circleci/config.yml"))
    assert len(configs) >= 5
    r = cigen("lint", *configs)
    assert r.returncode == 0, r.stdout


# -- explain ------------------------------------------------------------------------------------------


def test_explain_envs_toml_table() -> None:
    r = cigen("explain", "examples/oidc/envs.toml", "--tag", "2025.3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "tag 2025.3 (examples/oidc/envs.toml)",
        "",
        "WORKFLOW  JOB                         STATUS          WHY",
        "release   staging                     runs            "
        "its own trigger does not admit tag 2025.3; it runs because production needs it",
        "release   hold-production (approval)  on hold         "
        "waits for manual approval; its filters admit tag 2025.3",
        "release   production                  after approval  "
        "after approval of hold-production; its own trigger admits tag 2025.3",
    ]


def test_explain_config_json() -> None:
    r = runner.invoke(app, ["explain", str(CORPUS / "06-approval-bypassed.yml"), "--branch", "feature/x",
                            "--format", "json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["event"] == {"kind": "branch", "name": "feature/x"}
    assert [(j["job"], j["type"], j["status"], j["runs"], j["reason"]) for j in data["jobs"]] == [
        ("test", "job", "runs", True, "filters"),
        ("hold-deploy", "approval", "skipped", False, "filtered"),
        ("deploy", "job", "runs", True, "filters"),
    ]


@pytest.mark.parametrize("args", [[], ["--branch", "main", "--tag", "v1"], ["--branch", ""],
                                  ["--tag", "v1", "--format", "yaml"]])
def test_explain_needs_exactly_one_event(args: list[str]) -> None:
    r = runner.invoke(app, ["explain", str(CORPUS / "01-clean-expression.yml"), *args])
    assert r.exit_code == 2


def test_explain_a_config_circleci_would_reject_exits_2_naming_file_line_and_path() -> None:
    path = CORPUS / "07-undefined-and-unknown-requires.yml"
    r = cigen("explain", str(path), "--branch", "main")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"cigen: error: {path}:25: workflows.ci.jobs.2.test.requires.0: "
                               "requires 'biuld'")
    assert len(r.stderr.splitlines()) == 1


def test_explain_defaults_to_envs_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "examples" / "basic" / "envs.toml", tmp_path / "envs.toml")
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["explain", "--branch", "main"])
    assert r.exit_code == 0
    assert "staging     runs     its own trigger admits branch main" in r.stdout


# -- render uses the same checks ----------------------------------------------------------------------


def test_render_leaves_the_existing_config_untouched_when_its_output_fails_lint(tmp_path: Path) -> None:
    # The key id is let past the envs.toml secret guard; lint, which has no allow list, refuses it.
    (tmp_path / "envs.toml").write_text(
        'allow_secrets = ["AKIAIOSFODNN7EXAMPLE"]\n[environments.staging]\nimage = "cimg/base:2024.02"\n'
        'steps = [{ run = "aws s3 cp x s3://b --key AKIAIOSFODNN7EXAMPLE" }]\n', encoding="utf-8")
    config = tmp_path / ".circleci" / "config.yml"
    config.parent.mkdir()
    config.write_bytes(b"# hand-tuned\nversion: 2.1\n")
    before = config.stat().st_mtime_ns
    r = cigen("render", str(tmp_path / "envs.toml"))
    assert r.returncode == 2
    assert "fails lint" in r.stderr and "nothing was written" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert config.read_bytes() == b"# hand-tuned\nversion: 2.1\n"
    assert config.stat().st_mtime_ns == before


def test_readme_documents_every_lint_rule_with_its_severity() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z0-9.-]+)` \| (error|warning) \|", readme, re.MULTILINE))
    assert documented == {rule: severity for rule, (severity, _) in RULES.items()}
