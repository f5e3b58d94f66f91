"""One test per bug the robustness tests found in gen/ (each failed before its fix)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from robust_support import load_pyyaml, load_ruamel, schema_errors, to_toml

from gen.errors import InputError
from gen.loader import validate
from gen.plan import build_plan
from gen.render import render_plan
from gen.yamlsafe import block, quote


def _render(data: dict[str, Any]) -> str:
    path = Path("envs.toml")
    return render_plan(build_plan(validate(tomllib.loads(to_toml(data)), path), path))


def _one_env(**env: Any) -> dict[str, Any]:
    base = {"image": "cimg/base:2024.01", "steps": ["checkout"]}
    return {"version": "2.1", "environments": {"a": {**base, **env}}}


@pytest.mark.parametrize("value", [1e16, -1e16, 1e-05, 5e-324, 1e300, 2.5e-10])
def test_float_without_a_dot_is_a_float_in_yaml_1_1(value: float) -> None:
    # Bug: repr() gives "1e+16", which PyYAML (YAML 1.1, like CircleCI) reads as the *string* "1e+16".
    text = quote(value)
    assert load_pyyaml(text) == value
    assert load_ruamel(text) == value
    assert type(load_pyyaml(text)) is float


def test_float_in_a_passthrough_step_round_trips() -> None:
    text = _render(_one_env(steps=[{"my-orb/cmd": {"threshold": 1e16}}]))
    assert load_pyyaml(text)["jobs"]["a"]["steps"][0] == {"my-orb/cmd": {"threshold": 1e16}}


@pytest.mark.parametrize("length", [1000, 1024, 1100, 5000])
def test_long_keys_are_written_as_explicit_keys(length: int) -> None:
    # Bug: a key longer than 1024 characters is not a valid implicit YAML key: the output did not parse.
    key = "V" * length
    text = block({key: "x", "B": ["y"], "k" * length: {"n": [1]}}, 2)
    for load in (load_pyyaml, load_ruamel):
        assert load(text) == {key: "x", "B": ["y"], "k" * length: {"n": [1]}}


def test_long_environment_variable_name_renders() -> None:
    name = "V" * 1100
    data = _one_env(environment={name: "x"})
    text = _render(data)
    for load in (load_pyyaml, load_ruamel):
        assert load(text)["jobs"]["a"]["environment"] == {name: "x"}


@pytest.mark.parametrize(("where", "env"), [
    ("environments", None),
    ("job", {"job": "J" * 256}),
])
def test_names_longer_than_255_are_refused(where: str, env: dict[str, Any] | None) -> None:
    # Bug: an environment or job name of 1,100 characters made a YAML key too long to parse (a
    # TemplateError blaming the shipped templates); now a clear InputError names the key.
    if env is None:
        data = {"version": "2.1", "environments": {"a" * 256: {"image": "x", "steps": ["checkout"]}}}
    else:
        data = _one_env(**env)
    path = Path("envs.toml")
    with pytest.raises(InputError, match="the limit is 255") as info:
        build_plan(validate(tomllib.loads(to_toml(data)), path), path)
    assert info.value.key is not None and info.value.key.startswith("environments.")


def test_workflow_named_version_is_refused() -> None:
    # Bug: `workflows: {version: 2, version: {...}}` (2.0) or a workflow CircleCI reads as the
    # deprecated workflows version (2.1, schema error).
    data = {**_one_env(), "workflow": "version"}
    path = Path("envs.toml")
    with pytest.raises(InputError, match="cannot name a workflow") as info:
        build_plan(validate(tomllib.loads(to_toml(data)), path), path)
    assert info.value.key == "workflow"


@pytest.mark.parametrize("step", ["Checkout", "save_cache.v2", "a:b", "_x", {"Save_Cache": {"key": "k"}}])
def test_step_names_follow_circleci_schema(step: Any) -> None:
    # Bug: upper case, `.` and `:` were admitted in step names, giving a config CircleCI's schema rejects.
    path = Path("envs.toml")
    with pytest.raises(InputError, match="not a step name"):
        build_plan(validate(tomllib.loads(to_toml(_one_env(steps=[step]))), path), path)


@pytest.mark.parametrize("pattern", ["<< pipeline.git.branch >>", "release-<<x>>", "/^<<.*$/"])
def test_circleci_parameter_syntax_is_refused_in_patterns(pattern: str) -> None:
    # Bug: `<< … >>` in a pattern went into an expression filter, which CircleCI's schema refuses.
    path = Path("envs.toml")
    data = _one_env(branches={"only": [pattern]})
    with pytest.raises(InputError, match="'<<'") as info:
        build_plan(validate(tomllib.loads(to_toml(data)), path), path)
    assert info.value.key == "environments.a.branches.only.0"


def test_circleci_parameter_syntax_survives_in_commands_and_values() -> None:
    data = _one_env(environment={"BRANCH": "<< pipeline.git.branch >>"},
                    steps=[{"run": "echo << pipeline.parameters.x >>", "name": "<<x>>"}])
    text = _render(data)
    for load in (load_pyyaml, load_ruamel):
        got = load(text)
        assert got["jobs"]["a"]["environment"] == {"BRANCH": "<< pipeline.git.branch >>"}
        run = {"name": "<<x>>", "command": "echo << pipeline.parameters.x >>"}
        assert got["jobs"]["a"]["steps"] == [{"run": run}]
    assert schema_errors(load_pyyaml(text)) == []
