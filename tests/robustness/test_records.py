"""gen.records reads envs.toml without pydantic; gen.models stays the definition. Keep them in step.

* Shape: every record has its model's fields, in the model's order, with the same defaults, the same
  required keys and the same types (annotations compared after unwrapping Annotated and unions).
* Behaviour: on valid documents and on documents with one part broken (a value replaced by any TOML
  value, a key removed, an unknown or misplaced key added), ``records.read`` accepts exactly what
  pydantic accepts, and what it reads equals pydantic's model (dumped, and converted to records).
"""

from __future__ import annotations

import subprocess
import sys
import types
import typing
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined
from robust_support import REPO, envs_models, hostile_keys, toml_values

from gen import models, records
from gen.loader import parse_toml, validate
from gen.secrets import _walk

PAIRS = [(getattr(models, cls.__name__), cls) for cls in records.RECORDS]


def _describe(tp: Any) -> str:
    """A canonical text for a type: Annotated unwrapped, unions flattened and sorted, classes by name."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _describe(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(sorted({_describe(a) for a in typing.get_args(tp)}))
    if origin is typing.Literal:
        return "Literal[" + ", ".join(sorted(map(repr, typing.get_args(tp)))) + "]"
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_describe(a) for a in typing.get_args(tp))}]"
    if tp is type(None):
        return "None"
    if tp is Any:
        return "Any"
    return str(tp.__name__)


@pytest.mark.parametrize(("model", "record"), PAIRS, ids=[r.__name__ for _, r in PAIRS])
def test_record_has_the_models_fields(model: type[BaseModel], record: type[Any]) -> None:
    hints = typing.get_type_hints(record, vars(records))
    by_name = {f.name: f for f in fields(record)}
    order = list(records._ENVS_ORDER) if record is records.EnvsFile else list(by_name)
    assert order == list(model.model_fields)
    assert set(order) == set(by_name)
    for name, info in model.model_fields.items():
        f = by_name[name]
        assert _describe(hints[name]) == _describe(info.annotation), name
        if info.is_required():
            assert f.default is MISSING and f.default_factory is MISSING, name
        elif info.default_factory is not None:
            assert f.default_factory is not MISSING and f.default_factory() == info.default_factory(), name  # type: ignore[call-arg]
        else:
            assert info.default is not PydanticUndefined and f.default == info.default, name


def test_literal_choices_are_the_models() -> None:
    def args(model: type[BaseModel], name: str) -> set[str]:
        return {a for a in typing.get_args(model.model_fields[name].annotation) if isinstance(a, str)} or {
            a for m in typing.get_args(model.model_fields[name].annotation) for a in typing.get_args(m)}

    assert set(records.VERSIONS) == args(models.EnvsFile, "version")
    assert set(records.FILTER_STYLES) == args(models.EnvsFile, "filters")
    assert set(records.WHEN) == args(models.RunSpec, "when")


# --------------------------------------------------------------------------------------------------


def _pydantic(data: Any) -> models.EnvsFile | None:
    try:
        return models.EnvsFile.model_validate(data)
    except ValidationError:
        return None


def _assert_same(data: Any) -> bool:
    """read() accepts exactly what pydantic accepts, with the same data. Returns whether accepted."""
    fast = records.read(data)
    model = _pydantic(data)
    assert (fast is None) == (model is None), (fast, model)
    if model is not None:
        assert records.dump(fast) == model.model_dump(exclude_none=True)
        assert records.from_model(model) == fast
        # The secret guard's quick look sees exactly the strings its full scan walks.
        walked = [value for _, value, _ in _walk(records.dump(fast), ())]
        assert sorted(records.strings(fast, [])) == sorted(walked)
    return model is not None


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


_KNOWN_KEYS = sorted({f.name for cls in records.RECORDS for f in fields(cls)})
_ODD_VALUES = st.one_of(toml_values, st.none(), st.just({}), st.just([]), st.just({"run": "x"}),
                        st.sampled_from(["2.1", "2", "map", "expression", "always", "main"]))


@st.composite
def broken_documents(draw: st.DrawFn) -> Any:
    """A valid document with one part broken: replaced, removed or given an extra key."""
    import copy

    data = copy.deepcopy(draw(envs_models(schema_valid=False)))
    path = draw(st.sampled_from(_paths(data)))
    op = draw(st.sampled_from(["replace", "remove", "add"]))
    if not path:
        return draw(_ODD_VALUES) if op == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "replace":
        parent[last] = draw(_ODD_VALUES)
    elif op == "remove":
        del parent[last]
    else:
        target = parent[last]
        if isinstance(target, dict):
            target[draw(st.one_of(st.sampled_from(_KNOWN_KEYS), hostile_keys()))] = draw(_ODD_VALUES)
        elif isinstance(target, list):
            target.append(draw(_ODD_VALUES))
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(envs_models(schema_valid=False))
def test_read_equals_pydantic_on_valid_documents(data: dict[str, Any]) -> None:
    assert _assert_same(data)


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(broken_documents())
def test_read_equals_pydantic_on_broken_documents(data: Any) -> None:
    event("accepted" if _assert_same(data) else "refused")


@pytest.mark.parametrize("data", [
    None, [], "x", {}, {"environments": {}}, {"environments": []}, {"environments": {"a": None}},
    {"environments": {1: {}}}, {"environments": {"a": {}}, "version": 2.1}, {"environments": {"a": {}}, "x": 1},
    {"environments": {"a": {"steps": [{"run": {"name": "n"}}]}}},
    {"environments": {"a": {"steps": [{"run": None}]}}},
    {"environments": {"a": {"steps": [{"run": "x", "other": 1}]}}},
    {"environments": {"a": {"steps": [{}]}}},
    {"environments": {"a": {"steps": [{"a": 1, "b": 2}]}}},
    {"environments": {"a": {"steps": [1]}}},
    {"environments": {"a": {"auth": {"username": "u"}}}},
    {"environments": {"a": {"aws_auth": {}}}},
    {"environments": {"a": {"branches": {"only": ["a", 1]}}}},
    {"environments": {"a": {"environment": {"A": 1}}}},
    {"environments": {"a": {"approval": "yes"}}},
    {"environments": {"a": {"job": None}}},
    {"environments": {"a": {}}, "defaults": {"job": "x"}},
    {"environments": {"a": {}}, "allow_secrets": None},
    {"environments": {"a": {}}, "defaults": None},
    {"environments": {"a": {"steps": [{"run": {"command": "c", "when": "never"}}]}}},
])
def test_read_equals_pydantic_on_edge_cases(data: Any) -> None:
    _assert_same(data)


@pytest.mark.parametrize("envs", sorted((REPO / "examples").glob("*/envs.toml")), ids=lambda p: p.parent.name)
def test_examples_are_read_without_pydantic(envs: Path) -> None:
    data = parse_toml(envs.read_text(encoding="utf-8"), envs)
    assert _assert_same(data)
    assert validate(data, envs) == records.read(data)


def test_a_valid_render_imports_no_pydantic() -> None:
    # The point of gen.records: a valid envs.toml renders without importing pydantic.
    code = ("import sys; from pathlib import Path; from gen.core import render_file; "
            "render_file(Path('examples/basic/envs.toml')); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_invalid_input_still_gets_the_pydantic_message(tmp_path: Path) -> None:
    from gen.errors import InputError

    with pytest.raises(InputError) as info:
        validate({"environments": {"staging": {"imgae": "x"}}}, tmp_path / "envs.toml")
    assert info.value.key == "environments.staging.imgae"
    assert info.value.hint == 'did you mean "image"?'
