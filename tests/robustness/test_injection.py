"""Injection-proof rendering: for arbitrary valid models full of hostile text, the rendered config reads
back — as YAML 1.2 (ruamel.yaml) and as YAML 1.1 (PyYAML, like CircleCI) — as exactly the data the model
implies, Jinja syntax in values is never evaluated, and version 2.1 output passes CircleCI's schema.

Default run: CIGEN_PROPERTY_EXAMPLES (200) examples of the main property, half and a quarter as many
of the other two. The long run (README, "Robustness"):
``CIGEN_PROPERTY_EXAMPLES=100000 .venv/bin/python -m pytest tests/robustness/test_injection.py``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, currently_in_test_context, example, given, settings
from hypothesis import strategies as st
from robust_support import (
    EXAMPLES,
    effective,
    envs_models,
    hostile_text,
    load_pyyaml,
    load_ruamel,
    oracle,
    same,
    schema_errors,
    to_toml,
)

from gen.errors import InputError
from gen.loader import parse_toml, validate
from gen.plan import Filters, Plan, build_plan
from gen.render import render_plan
from gen.secrets import find_secrets

_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=_HEALTH)
PROPERTY_HALF = settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=_HEALTH)
PROPERTY_QUARTER = settings(max_examples=max(EXAMPLES // 4, 1), deadline=None, suppress_health_check=_HEALTH)

# Valid-looking models cigen refuses for a documented reason: not injection failures, so not counted.
# Anything else raised from a generated model fails the test.
_DOCUMENTED_REFUSALS = (
    "map filters cannot express",  # README: an exact map union would need regex lookahead
    "would never run",  # an environment admitting no branch and no tag
    "clashes with the job of environment",  # hold-<job> named like another job
)


def _filters_value(f: Filters) -> Any:
    """What the plan says the `filters` key holds (README: expression string or branches/tags maps)."""
    if f.empty:
        return None
    if f.expression is not None:
        return f.expression
    out: dict[str, Any] = {}
    for name, dim in (("branches", f.branches), ("tags", f.tags)):
        if dim is not None and dim.key is not None:
            out[name] = {dim.key: dim.patterns[0] if len(dim.patterns) == 1 else list(dim.patterns)}
    return out


def _plan(data: dict[str, Any], source: str = "envs.toml") -> tuple[Plan, dict[str, Any]]:
    text = to_toml(data)
    parsed = tomllib.loads(text)
    assert same(parsed, data), "the test's TOML writer lost data"
    path = Path(source)
    envs = validate(parse_toml(text, path), path)
    in_property = currently_in_test_context()
    if in_property:
        assume(not find_secrets(parsed))  # random text that happens to look like a credential
    try:
        plan = build_plan(envs, path)
    except InputError as exc:
        if in_property and any(reason in exc.message for reason in _DOCUMENTED_REFUSALS):
            assume(False)
        raise
    return plan, parsed


def check_rendered(data: dict[str, Any], source: str = "envs.toml", schema: bool = True) -> str:
    plan, parsed = _plan(data, source)
    text = render_plan(plan)
    filters_of = {wj.name: _filters_value(wj.filters) for wj in plan.workflow_jobs}
    expected = oracle(effective(parsed), filters_of)
    for load in (load_ruamel, load_pyyaml):
        got = load(text)
        assert same(got, expected), f"{load.__doc__}: read back differs\n{text}"
    if schema and data["version"] == "2.1":
        assert schema_errors(expected) == [], text
    # The header is comments only, whatever the file name: every line before `version:` starts with '#'.
    head = text.split("\nversion:")[0]
    assert all(line.startswith("#") for line in head.splitlines()), head
    _progress(schema)
    return text


_PASSED: Counter[str] = Counter()


def _progress(schema: bool) -> None:
    """Count passing examples; with CIGEN_PROPERTY_PROGRESS=FILE, write the counts there (long runs)."""
    _PASSED["schema-checked" if schema else "free passthrough"] += 1
    target = os.environ.get("CIGEN_PROPERTY_PROGRESS")
    if target and sum(_PASSED.values()) % 500 == 0:
        Path(target).write_text(json.dumps(dict(_PASSED)) + "\n")


_JINJA_ENV = {"version": "2.1", "filters": "expression", "environments": {"yes": {
    "image": "{{7*7}}", "context": ["{{ 7*7 }}", "{% raw %}x{% endraw %}"],
    "environment": {"ON": "{{ 7*7 }}", "X": "<< pipeline.git.branch >>"},
    # A regex as Jinja would read it; without spaces, so that a git branch can match it (cigen refuses a
    # regex that no branch or tag name can match, e.g. one that needs a space).
    "branches": {"only": ["{{x}}", "/{{7*7}}/"]},
    "steps": [{"run": "echo {{ 7*7 }} {% raw %}\n{#", "name": "{{ 7*7 }}"}],
}}}


@PROPERTY
@given(envs_models())
@example(_JINJA_ENV)
def test_rendered_config_is_exactly_the_model(data: dict[str, Any]) -> None:
    check_rendered(data)


@PROPERTY_HALF
@given(envs_models(schema_valid=False))
def test_passthrough_steps_carry_any_toml_value_exactly(data: dict[str, Any]) -> None:
    check_rendered(data, schema=False)


@PROPERTY_QUARTER
@given(envs_models(), hostile_text(1).filter(lambda s: "/" not in s and "\x00" not in s))
def test_envs_file_name_stays_in_the_header_comment(data: dict[str, Any], name: str) -> None:
    check_rendered(data, source=name)


def test_jinja_syntax_in_values_is_written_not_evaluated() -> None:
    text = check_rendered(_JINJA_ENV)
    assert "49" not in text
    assert text.count("{{ 7*7 }}") >= 4


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "null", "~", "1e3", "0o17", "2.1",
                                  ".inf", "true", "False", "<<", "=", "017", "1_000", "1:20", "2001-12-14"])
def test_yaml_words_stay_strings_everywhere(word: str) -> None:
    env = {"image": "cimg/base:2024.01", "environment": {"V": word}, "context": [word],
           "steps": [{"run": word, "name": word}, {"my-orb/cmd": {word: word}},
                     {"save_cache": {"key": word, "paths": [word]}}]}
    if word[0].isalpha() and word.islower():
        env["resource_class"] = word
    data = {"version": "2.1", "filters": "map", "environments": {"a": env}}
    check_rendered(data)


def test_bounded_example_count_is_configurable() -> None:
    # The long run is the same tests with more examples; the default stays a few hundred.
    assert EXAMPLES >= 100


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["2", "2.1"]))
def test_workflow_named_version_is_refused(version: str) -> None:
    data = {"version": version, "filters": "map", "workflow": "version",
            "environments": {"a": {"image": "cimg/base:1", "steps": ["checkout"]}}}
    path = Path("envs.toml")
    with pytest.raises(InputError, match="workflow"):
        build_plan(validate(tomllib.loads(to_toml(data)), path), path)
