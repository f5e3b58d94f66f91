"""gen.configdata gives exactly what parsing the shipped templates' output gives."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gen import configdata
from gen.core import plan_file
from gen.errors import CigenError
from gen.loader import validate
from gen.plan import build_plan
from gen.render import environment, parsed, render_plan

from .conftest import EXAMPLES, ROOT
from .test_render_cases import CASES


def _parse(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _render_text(plan: Any) -> str:
    return environment(None).get_template("config.yml.j2").render(plan=plan).rstrip("\n") + "\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example(example: Path) -> None:
    plan = plan_file(example / "envs.toml")
    assert configdata.config_data(plan) == _parse((example / ".circleci" / "config.yml").read_text())


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_render_case(tmp_path: Path, case: str) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(CASES[case])
    try:
        plan = plan_file(envs)
    except CigenError:
        pytest.skip("a case that the plan refuses")
    assert configdata.config_data(plan) == _parse(_render_text(plan))


def _synth() -> Any:
    spec = importlib.util.spec_from_file_location("bench_synth", ROOT / "bench" / "synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synth


@pytest.mark.parametrize("style", ["expression", "map"])
@pytest.mark.parametrize("n", [1, 2, 9, 17, 40])
def test_synthetic_files(tmp_path: Path, n: int, style: str) -> None:
    envs = tmp_path / "envs.toml"
    envs.write_text(_synth()(n, style))
    plan = plan_file(envs)
    assert configdata.config_data(plan) == _parse(_render_text(plan))


def test_render_hands_the_lint_this_data_for_the_shipped_templates() -> None:
    plan = plan_file(EXAMPLES[0] / "envs.toml")
    text = render_plan(plan)
    assert parsed(text) == configdata.config_data(plan)


# Step tables are passed through: any TOML value can reach the yaml filter.
_SCALARS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="ab \n\t:#-'\"\\", max_size=10),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.times(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(dt.UTC))),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text("abcxyz_-", min_size=1, max_size=5), inner, max_size=3)),
    max_leaves=8,
)


def _same(a: Any, b: Any) -> bool:
    # == but with NaN equal to itself (YAML's .nan reads back as a NaN).
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), _VALUES, min_size=1, max_size=3),
       command=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
       variables=st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,6}", fullmatch=True), st.text(max_size=12),
                                 max_size=3),
       version=st.sampled_from(["2", "2.1"]))
def test_generated_steps_and_values(params: dict[str, Any], command: str, variables: dict[str, str],
                                    version: str) -> None:
    data = {
        "version": version, "filters": "map",
        "environments": {"ci": {
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.0",
            "aws_auth": {"oidc_role_arn": "arn:aws:iam::123456789012:role/r"},
            "environment": variables,
            "branches": {"only": ["main", "/^release\\/.*/"]},
            "steps": ["checkout", {"run": command, "name": "x"}, {"save_cache": params}],
        }},
    }
    try:
        plan = build_plan(validate(data, Path("envs.toml")), Path("envs.toml"))
    except CigenError:
        return  # not an envs file cigen accepts (a variable name that looks like a key, say)
    try:
        text = _render_text(plan)
    except TypeError:
        return  # a value yamlsafe refuses to write: the render fails, no data is needed
    assert _same(configdata.config_data(plan), _parse(text))
