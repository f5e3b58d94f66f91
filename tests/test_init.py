"""`cigen init`: a starter that renders, validates and passes `cigen check` at once; flags, prompts, refusal."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from gen.check import check_file
from gen.cli import app
from gen.init import Answers, init_repo, starter_toml
from gen.loader import load

from .conftest import ROOT, run_cli

FLAGS = ["--env", "staging", "--env", "production", "--account", "123456789012", "--region", "us-east-1",
         "--repo", "org/app", "--auth", "oidc", "--release-tags", r"/^v\d+\.\d+\.\d+$/"]
runner = CliRunner()


def _schema_errors(envs: Path) -> list[str]:
    schema = json.loads((ROOT / "envs.schema.json").read_text())
    data = tomllib.loads(envs.read_text())
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]


def test_init_with_flags_then_check_passes(tmp_path: Path, text_snapshot: SnapshotAssertion) -> None:
    repo = tmp_path / "app"
    done = run_cli("init", str(repo), *FLAGS)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"wrote {repo / 'envs.toml'} and {repo / '.circleci/config.yml'}" in done.stderr
    assert sorted(p.name for p in repo.iterdir()) == [".circleci", "envs.toml"]
    check = run_cli("check", cwd=repo)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stderr == "cigen: .circleci/config.yml is current with envs.toml\n"
    assert _schema_errors(repo / "envs.toml") == []
    assert (repo / "envs.toml").read_text() == text_snapshot


def test_oidc_starter_shape(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path), *FLAGS).returncode == 0
    envs = load(tmp_path / "envs.toml")
    assert list(envs.environments) == ["staging", "production"]
    assert envs.defaults is not None
    assert envs.defaults.image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:latest"
    staging, production = envs.environments["staging"], envs.environments["production"]
    assert staging.aws_auth is not None and production.aws_auth is not None
    assert staging.aws_auth.oidc_role_arn == "arn:aws:iam::123456789012:role/circleci-ecr-pull-staging"
    assert production.aws_auth.oidc_role_arn == "arn:aws:iam::123456789012:role/circleci-ecr-pull-production"
    assert staging.context == ["aws-staging"]
    # first on main, last on release tags only, after the previous one, behind an approval
    assert staging.branches is not None and staging.branches.only == "main"
    assert staging.tags is None and not staging.approval and not staging.requires
    assert production.branches is not None and production.branches.only == []
    assert production.tags is not None and production.tags.only == r"/^v\d+\.\d+\.\d+$/"
    assert production.requires == ["staging"] and production.approval is True
    config = (tmp_path / ".circleci/config.yml").read_text()
    assert "- hold-production:\n          type: approval\n" in config
    assert "filters: (pipeline.git.branch == \"main\") or (pipeline.git.tag matches /^v\\d+\\.\\d+\\.\\d+$/)" in config


def test_keys_starter_names_variables_per_environment(tmp_path: Path) -> None:
    flags = ["--env", "staging", "--env", "prod-eu", "--account", "210987654321", "--region", "eu-west-1",
             "--repo", "team/svc", "--auth", "keys"]
    assert run_cli("init", str(tmp_path), *flags).returncode == 0
    envs = load(tmp_path / "envs.toml")
    auth = envs.environments["prod-eu"].aws_auth
    assert auth is not None
    assert (auth.access_key_id, auth.secret_access_key) == ("AWS_ACCESS_KEY_ID_PROD_EU", "AWS_SECRET_ACCESS_KEY_PROD_EU")
    assert envs.environments["staging"].context is None
    config = (tmp_path / ".circleci/config.yml").read_text()
    assert "aws_access_key_id: $AWS_ACCESS_KEY_ID_STAGING\n" in config
    assert "aws_secret_access_key: $AWS_SECRET_ACCESS_KEY_PROD_EU\n" in config
    assert run_cli("check", str(tmp_path / "envs.toml")).returncode == 0


def test_one_environment_runs_on_main_and_release_tags_without_a_gate(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path), "--env", "production", "--account", "123456789012").returncode == 0
    env = load(tmp_path / "envs.toml").environments["production"]
    assert env.branches is not None and env.branches.only == "main"
    assert env.tags is not None and env.tags.only == r"/^v\d+\.\d+\.\d+$/"
    assert not env.approval and not env.requires
    assert run_cli("check", str(tmp_path / "envs.toml")).returncode == 0


def test_three_environments_chain(tmp_path: Path) -> None:
    done = run_cli("init", str(tmp_path), "--env", "dev,staging", "--env", "prod", "--account", "123456789012")
    assert done.returncode == 0, done.stderr
    envs = load(tmp_path / "envs.toml").environments
    assert list(envs) == ["dev", "staging", "prod"]
    assert envs["staging"].requires == ["dev"] and envs["prod"].requires == ["staging"]
    assert envs["prod"].approval and not envs["staging"].approval


def test_defaults_without_a_terminal(tmp_path: Path) -> None:
    repo = tmp_path / "My Service"
    done = run_cli("init", str(repo), "--account", "123456789012", input="")
    assert done.returncode == 0, done.stderr
    envs = load(repo / "envs.toml")
    assert list(envs.environments) == ["staging", "production"]
    assert envs.defaults is not None
    assert envs.defaults.image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-service:latest"
    assert envs.environments["staging"].aws_auth is not None
    assert envs.environments["staging"].aws_auth.oidc_role_arn is not None


def test_account_is_required_without_a_terminal(tmp_path: Path) -> None:
    done = run_cli("init", str(tmp_path / "x"), input="")
    assert done.returncode == 2
    assert done.stderr.startswith("cigen: error: --account: missing")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--account", "12345678901"], "--account: '12345678901' is not an AWS account id"),
        (["--account", "12345678901a"], "is not an AWS account id"),
        (["--region", "us_east_1"], "--region: 'us_east_1' is not an AWS region"),
        (["--repo", "Org/App"], "--repo: 'Org/App' is not an ECR repository name"),
        (["--repo", "org//app"], "is not an ECR repository name"),
        (["--auth", "password"], "--auth: 'password' is not an auth kind"),
        (["--env", "Prod"], "--env: 'Prod' is not an environment name"),
        (["--env", "a", "--env", "a"], "--env: environment 'a' is given twice"),
        (["--env", ","], "--env: no environment given"),
        (["--release-tags", "/v[/"], "--release-tags: regex /v[/ does not compile"),
        (["--release-tags", " "], "--release-tags: the release tag pattern is empty"),
        (["--release-tags", "/back\\\\slash/"], "--release-tags: regex /back\\\\slash/ cannot match any whole tag name"),
        (["--release-tags", "v1 final"], "--release-tags: no tag can be named 'v1 final'"),
    ],
)
def test_bad_flags_are_exit_2_and_write_nothing(tmp_path: Path, flags: list[str], words: str) -> None:
    if "--account" not in flags:
        flags = [*flags, "--account", "123456789012"]
    done = run_cli("init", str(tmp_path / "repo"), *flags, input="")
    assert done.returncode == 2
    assert words in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "repo").exists()


@pytest.mark.parametrize("existing", ["envs.toml", ".circleci/config.yml"])
def test_refuses_to_overwrite_then_force_keeps_a_backup(tmp_path: Path, existing: str) -> None:
    target = tmp_path / existing
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# mine\n")
    done = run_cli("init", str(tmp_path), *FLAGS)
    assert done.returncode == 2
    assert "refusing to overwrite" in done.stderr and "--force" in done.stderr
    assert target.read_text() == "# mine\n"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == sorted(
        {existing, *([".circleci"] if existing.startswith(".circleci") else [])})

    done = run_cli("init", str(tmp_path), *FLAGS, "--force")
    assert done.returncode == 0, done.stderr
    backup = target.with_name(target.name + ".bak")
    assert backup.read_text() == "# mine\n"
    assert f"kept the previous file as {backup}" in done.stderr
    assert run_cli("check", str(tmp_path / "envs.toml")).returncode == 0


def test_force_over_identical_files_keeps_no_backup(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path), *FLAGS).returncode == 0
    assert run_cli("init", str(tmp_path), *FLAGS, "--force").returncode == 0
    assert sorted(p.name for p in tmp_path.rglob("*")) == [".circleci", "config.yml", "envs.toml"]


def test_init_help_shows_every_flag_and_an_example() -> None:
    r = runner.invoke(app, ["init", "--help"], terminal_width=200)
    assert r.exit_code == 0
    for flag in ("--env", "--account", "--region", "--repo", "--auth", "--release-tags", "--force"):
        assert flag in r.output
    assert "Example: cigen init --env staging --env production" in r.output


# -------------------------------------------------------------------------------------------------
# prompts, in a real terminal (a pseudo-terminal: `init` asks only when stdin is a terminal)


def _run_in_terminal(args: list[str], cwd: Path, answers: str) -> tuple[int, str]:
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gen", *args], cwd=cwd, stdin=follower, stdout=follower,
                            stderr=follower, env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "dumb"})
    os.close(follower)
    os.write(leader, answers.encode())  # the terminal holds typed lines until the program reads them
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the program has exited and closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return proc.wait(timeout=60), out.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_prompts_in_a_terminal_with_a_wrong_answer_asked_again(tmp_path: Path) -> None:
    answers = "\n".join([
        "dev, prod",        # environments
        "42",               # account: wrong, asked again
        "123456789012",     # account
        "",                 # region: default
        "team/api",         # repo
        "keys",             # auth
        "",                 # release tags: default
    ]) + "\n"
    code, out = _run_in_terminal(["init", "repo"], tmp_path, answers)
    assert code == 0, out
    assert "Environments, in order (comma-separated) [staging,production]:" in out
    assert "'42' is not an AWS account id" in out
    assert "AWS region of the registry [us-east-1]:" in out
    assert "ECR repository [repo]:" in out
    envs = load(tmp_path / "repo/envs.toml")
    assert list(envs.environments) == ["dev", "prod"]
    assert envs.defaults is not None
    assert envs.defaults.image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:latest"
    auth = envs.environments["prod"].aws_auth
    assert auth is not None and auth.access_key_id == "AWS_ACCESS_KEY_ID_PROD"
    assert run_cli("check", str(tmp_path / "repo/envs.toml")).returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_flags_given_are_not_asked_for(tmp_path: Path) -> None:
    code, out = _run_in_terminal(["init", "repo", "--account", "123456789012", "--env", "live"], tmp_path,
                                 "\n\n\n\n")
    assert code == 0, out
    assert "Environments" not in out and "account" not in out
    assert "AWS region of the registry" in out and "Release tags" in out
    assert list(load(tmp_path / "repo/envs.toml").environments) == ["live"]


# -------------------------------------------------------------------------------------------------
# property: whatever valid answers, the result renders and passes check


_ENV = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
_REPO = st.from_regex(r"[a-z0-9]{1,5}(?:[._-][a-z0-9]{1,3})?(?:/[a-z0-9]{1,5})?", fullmatch=True)
_TAGS = st.sampled_from([r"/^v\d+\.\d+\.\d+$/", r"/^\d{4}\.\d+$/", "release", "v1.0", r"/it's-a-tag/",
                         r'/^"quoted"$/', r"/^rel\/\d+$/", r"/^(?:v|release-)\d+$/"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    envs=st.lists(_ENV, min_size=1, max_size=4, unique=True),
    account=st.from_regex(r"\d{12}", fullmatch=True),
    region=st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"]),
    repo=_REPO,
    auth=st.sampled_from(["oidc", "keys"]),
    tags=_TAGS,
)
def test_any_valid_answers_give_a_repo_that_passes_check(
    tmp_path_factory: pytest.TempPathFactory, envs: list[str], account: str, region: str, repo: str,
    auth: str, tags: str,
) -> None:
    answers = Answers(envs=tuple(envs), account=account, region=region, repo=repo,
                      auth="oidc" if auth == "oidc" else "keys", release_tags=tags)
    root = tmp_path_factory.mktemp("init")
    result = init_repo(root, answers)
    assert result.envs.read_text() == starter_toml(answers)
    loaded = load(result.envs)
    assert list(loaded.environments) == envs
    last = loaded.environments[envs[-1]]
    assert last.tags is not None and last.tags.only == tags
    assert check_file(result.envs).status == "current"


def test_resolve_answers_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    from gen.init import resolve_answers

    asked: list[tuple[str, str | None]] = []
    typed = {"AWS account id": "123456789012", "ECR repository": "team/api"}

    def ask(question: str, default: str | None, check: object) -> str:
        asked.append((question, default))
        answer = next((v for k, v in typed.items() if question.startswith(k)), default)
        assert answer is not None
        assert callable(check)
        check(answer)  # what the prompt does with each answer
        return answer

    answers = resolve_answers(tmp_path / "svc", envs=["live"], account=None, region=None, repo=None,
                              auth="keys", release_tags=None, ask=ask)
    assert [q for q, _ in asked] == ["AWS account id of the ECR registry (12 digits)", "AWS region of the registry",
                                     "ECR repository", "Release tags (/regex/ or a tag name)"]
    assert dict(asked)["ECR repository"] == "svc"  # the folder's name is the default
    assert answers == Answers(envs=("live",), account="123456789012", region="us-east-1", repo="team/api",
                              auth="keys", release_tags=r"/^v\d+\.\d+\.\d+$/")
