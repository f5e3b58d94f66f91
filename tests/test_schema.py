"""envs.schema.json: current, documented key by key, and in agreement with the models it comes from."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gen.models import EnvsFile
from gen.schema import envs_schema, schema_text

from .conftest import ROOT, run_cli

SCHEMA_FILE = ROOT / "envs.schema.json"
EXAMPLE_FILES = sorted((ROOT / "examples").glob("*/envs.toml"))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


def test_shipped_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), "envs.schema.json is stale: run `cigen schema > envs.schema.json`"


def test_cigen_schema_prints_it() -> None:
    done = run_cli("schema")
    assert done.returncode == 0
    assert done.stdout == SCHEMA_FILE.read_text()
    assert done.stderr == ""


@pytest.mark.parametrize("validator", [jsonschema.Draft202012Validator, jsonschema.Draft7Validator])
def test_schema_is_a_valid_json_schema(schema: dict[str, Any], validator: Any) -> None:
    validator.check_schema(schema)


def _objects(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every object schema with properties, anywhere in the schema."""
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "properties" in node:
            out.append((where, node))
        for k, v in node.items():
            out.extend(_objects(v, f"{where}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_objects(v, f"{where}/{i}"))
    return out


def test_every_key_has_a_description_and_examples(schema: dict[str, Any]) -> None:
    missing = [
        f"{where}/properties/{name}: {need}"
        for where, obj in _objects(schema)
        for name, prop in obj["properties"].items()
        for need in ("description", "examples")
        if not prop.get(need)
    ]
    assert missing == []
    # and the models are all there, with their own descriptions
    assert set(schema["$defs"]) >= {"AwsAuth", "DockerAuth", "RefFilter", "RunSpec", "RunStep", "Defaults",
                                    "Environment"}
    assert all(d.get("description") for d in schema["$defs"].values())


def test_every_example_in_the_schema_is_valid_for_its_key(schema: dict[str, Any]) -> None:
    checked = 0
    for _where, obj in _objects(schema):
        for name, prop in obj["properties"].items():
            sub = {**prop, "$defs": schema["$defs"]}
            for example in prop["examples"]:
                errors = [e.message for e in jsonschema.Draft202012Validator(sub).iter_errors(example)]
                assert errors == [], f"{name}: example {example!r}: {errors}"
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("validator", [jsonschema.Draft202012Validator, jsonschema.Draft7Validator])
def test_every_example_envs_file_validates(schema: dict[str, Any], path: Path, validator: Any) -> None:
    data = tomllib.loads(path.read_text())
    assert [e.message for e in validator(schema).iter_errors(data)] == []


def test_readme_reference_block_validates(schema: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## envs.toml reference", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    data = tomllib.loads(block)
    assert [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data)] == []


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[environments.a]\nimagee = "x"\n', "Additional properties"),
        ('[environments.a]\napproval = "yes"\n', "is not valid"),
        ('version = "3"\n[environments.a]\n', "is not one of"),
        ('[environments.a]\nsteps = [{ run = "x", nme = "y" }]\n', "is not valid"),
        ('[environments.a]\nsteps = [3]\n', "is not valid"),
        ('[environments.a]\naws_auth = { role = "x" }\n', "is not valid"),
        ("[defaults]\njob = \"x\"\n[environments.a]\n", "is not valid"),
        ("workflow = \"w\"\n", "'environments' is a required property"),
    ],
)
def test_schema_rejects_what_the_models_reject(schema: dict[str, Any], toml: str, words: str) -> None:
    data = tomllib.loads(toml)
    with pytest.raises(ValidationError):
        EnvsFile.model_validate(data)
    messages = " | ".join(e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert words in messages


# Values that are right for some keys and wrong for others, so random documents hit both sides.
_VALUES = st.sampled_from([
    "x", "main", 3, True, [], ["a"], [1], {}, {"only": "main"}, {"ignore": ["/^wip/"]}, {"only": 3},
    {"oidc_role_arn": "arn"}, {"access_key_id": "A", "secret_access_key": "B"}, {"username": "u", "password": "P"},
    {"DEPLOY_ENV": "x"}, {"K": 1}, ["checkout", {"run": "make"}], [{"run": {"command": "c", "when": "always"}}],
    [{"run": {"command": "c", "when": "sometimes"}}], [{"save_cache": {"paths": ["x"]}}], [{"run": "c", "x": 1}],
    "2", "2.1", "map", "expression",
])
_KEYS = st.sampled_from(["image", "aws_auth", "auth", "resource_class", "context", "environment", "branches",
                         "tags", "requires", "approval", "steps", "job", "unknown"])


@settings(max_examples=300, deadline=None)
@given(
    top=st.dictionaries(st.sampled_from(["version", "filters", "workflow"]), _VALUES, max_size=3),
    envs=st.dictionaries(st.sampled_from(["staging", "production"]), st.dictionaries(_KEYS, _VALUES, max_size=4),
                         max_size=2),
)
def test_schema_and_models_agree(top: dict[str, Any], envs: dict[str, Any]) -> None:
    data = {**top, "environments": envs}
    try:
        EnvsFile.model_validate(data)
        model_ok = True
    except ValidationError:
        model_ok = False
    schema_ok = jsonschema.Draft202012Validator(envs_schema()).is_valid(data)
    assert schema_ok == model_ok, data
