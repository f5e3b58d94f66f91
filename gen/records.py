"""The validated envs file as plain frozen records, read without pydantic when the input is well formed.

:mod:`gen.models` is the definition of envs.toml: its pydantic models produce the JSON Schema and every
validation error message. Building those models costs more than everything else a small ``cigen render``
does (importing the rest of pydantic and compiling its validators: ~100 ms per process, see
bench/RESULTS.md), and most runs read a file that is valid. So the plan is built from these records, and
:func:`read` checks the parsed TOML against the same rules as the models (strict types, no unknown keys,
required keys, the same literals and step shapes). It returns None at the first thing it does not accept;
:func:`gen.loader.validate` then asks pydantic, which reports the error, or -- if pydantic accepts what
:func:`read` did not, which the tests say never happens -- converts its model with :func:`from_model`.

tests/test_records.py keeps the two in step: every record has the fields, defaults and types of its
model, and on generated documents :func:`read` accepts exactly what pydantic accepts, with equal data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

# The values the models' Literal fields admit (gen.models.EnvsFile.version / .filters, RunSpec.when).
VERSIONS = ("2.1", "2")
FILTER_STYLES = ("expression", "map")
WHEN = ("always", "on_success", "on_fail")


@dataclass(frozen=True, slots=True)
class AwsAuth:
    """See :class:`gen.models.AwsAuth`."""

    access_key_id: str | None = None
    secret_access_key: str | None = None
    oidc_role_arn: str | None = None


@dataclass(frozen=True, slots=True)
class DockerAuth:
    """See :class:`gen.models.DockerAuth`."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class RefFilter:
    """See :class:`gen.models.RefFilter`."""

    only: str | list[str] | None = None
    ignore: str | list[str] | None = None


@dataclass(frozen=True, slots=True)
class RunSpec:
    """See :class:`gen.models.RunSpec`."""

    command: str
    name: str | None = None
    shell: str | None = None
    environment: dict[str, str] | None = None
    background: bool | None = None
    working_directory: str | None = None
    no_output_timeout: str | None = None
    when: Literal["always", "on_success", "on_fail"] | None = None


@dataclass(frozen=True, slots=True)
class RunStep:
    """See :class:`gen.models.RunStep`."""

    run: str | RunSpec
    name: str | None = None


# A step: a step name, a run step, or any other single-key step table (gen.models.Step).
Step = str | RunStep | dict[str, Any]


@dataclass(frozen=True, slots=True)
class EnvFields:
    """See :class:`gen.models.EnvFields`."""

    image: str | None = None
    aws_auth: AwsAuth | None = None
    auth: DockerAuth | None = None
    resource_class: str | None = None
    context: str | list[str] | None = None
    environment: dict[str, str] | None = None
    branches: RefFilter | None = None
    tags: RefFilter | None = None
    requires: list[str] | None = None
    approval: bool | None = None
    steps: list[Step] | None = None


@dataclass(frozen=True, slots=True)
class Defaults(EnvFields):
    """See :class:`gen.models.Defaults`."""


@dataclass(frozen=True, slots=True)
class Environment(EnvFields):
    """See :class:`gen.models.Environment`."""

    job: str | None = None


@dataclass(frozen=True, slots=True)
class EnvsFile:
    """See :class:`gen.models.EnvsFile`."""

    environments: dict[str, Environment]
    version: Literal["2.1", "2"] = "2.1"
    filters: Literal["expression", "map"] = "expression"
    workflow: str = "main"
    defaults: Defaults | None = None
    allow_secrets: list[str] = field(default_factory=list)


RECORDS: tuple[type[Any], ...] = (AwsAuth, DockerAuth, RefFilter, RunSpec, RunStep, Defaults, Environment, EnvsFile)

# The models' field order, which pydantic's model_dump keeps (EnvsFile lists `environments` after the
# fields with defaults; a dataclass must put it first).
_ENVS_ORDER = ("version", "filters", "workflow", "defaults", "environments", "allow_secrets")


# --------------------------------------------------------------------------------------------------
# Reading: None means "not accepted here; ask pydantic". Exact types only: this is pydantic's strict
# mode for the types TOML produces (str, bool, list, dict; never a subclass).


class _Refused(Exception):
    """Raised inside :func:`read` at the first value it does not accept."""


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Refused
    return value


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    return _str(value)


def _opt_bool(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    raise _Refused


def _str_list(value: Any) -> list[str]:
    if type(value) is not list or any(type(v) is not str for v in value):
        raise _Refused
    return list(value)


def _opt_str_list(value: Any) -> list[str] | None:
    return None if value is None else _str_list(value)


def _str_or_list(value: Any) -> str | list[str] | None:
    if value is None or type(value) is str:
        return value
    return _str_list(value)


def _str_dict(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if type(value) is not dict or any(type(k) is not str or type(v) is not str for k, v in value.items()):
        raise _Refused
    return dict(value)


def _table(value: Any, allowed: frozenset[str]) -> dict[str, Any]:
    # extra="forbid": a key the model does not have is an error.
    if type(value) is not dict or not allowed.issuperset(value):
        raise _Refused
    return value


def _choice(value: Any, choices: tuple[str, ...]) -> Any:
    if type(value) is not str or value not in choices:
        raise _Refused
    return value


_AWS_KEYS = frozenset(f.name for f in fields(AwsAuth))
_DOCKER_KEYS = frozenset(f.name for f in fields(DockerAuth))
_FILTER_KEYS = frozenset(f.name for f in fields(RefFilter))
_SPEC_KEYS = frozenset(f.name for f in fields(RunSpec))
_STEP_KEYS = frozenset(f.name for f in fields(RunStep))
_DEFAULTS_KEYS = frozenset(f.name for f in fields(Defaults))
_ENV_KEYS = frozenset(f.name for f in fields(Environment))
_FILE_KEYS = frozenset(_ENVS_ORDER)


def _aws(value: Any) -> AwsAuth | None:
    if value is None:
        return None
    t = _table(value, _AWS_KEYS)
    return AwsAuth(_opt_str(t.get("access_key_id")), _opt_str(t.get("secret_access_key")),
                   _opt_str(t.get("oidc_role_arn")))


def _docker(value: Any) -> DockerAuth | None:
    if value is None:
        return None
    t = _table(value, _DOCKER_KEYS)
    if "username" not in t or "password" not in t:
        raise _Refused
    return DockerAuth(_str(t["username"]), _str(t["password"]))


def _ref_filter(value: Any) -> RefFilter | None:
    if value is None:
        return None
    t = _table(value, _FILTER_KEYS)
    return RefFilter(_str_or_list(t.get("only")), _str_or_list(t.get("ignore")))


def _run_spec(value: Any) -> RunSpec:
    t = _table(value, _SPEC_KEYS)
    if "command" not in t:
        raise _Refused
    when = t.get("when")
    return RunSpec(
        command=_str(t["command"]), name=_opt_str(t.get("name")), shell=_opt_str(t.get("shell")),
        environment=_str_dict(t.get("environment")), background=_opt_bool(t.get("background")),
        working_directory=_opt_str(t.get("working_directory")),
        no_output_timeout=_opt_str(t.get("no_output_timeout")),
        when=None if when is None else _choice(when, WHEN),
    )


def _step(value: Any) -> Step:
    # gen.models.Step's discriminator: a string is a step name; a table with `run` is a RunStep (and
    # must be a valid one); any other table is passed through; anything else is refused.
    if type(value) is str:
        return value
    if type(value) is not dict:
        raise _Refused
    if "run" not in value:
        if any(type(k) is not str for k in value):
            raise _Refused
        return dict(value)
    t = _table(value, _STEP_KEYS)
    run = t["run"]
    return RunStep(run if type(run) is str else _run_spec(run), _opt_str(t.get("name")))


def _steps(value: Any) -> list[Step] | None:
    if value is None:
        return None
    if type(value) is not list:
        raise _Refused
    return [_step(v) for v in value]


def _env_fields(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "image": _opt_str(t.get("image")),
        "aws_auth": _aws(t.get("aws_auth")),
        "auth": _docker(t.get("auth")),
        "resource_class": _opt_str(t.get("resource_class")),
        "context": _str_or_list(t.get("context")),
        "environment": _str_dict(t.get("environment")),
        "branches": _ref_filter(t.get("branches")),
        "tags": _ref_filter(t.get("tags")),
        "requires": _opt_str_list(t.get("requires")),
        "approval": _opt_bool(t.get("approval")),
        "steps": _steps(t.get("steps")),
    }


def read(data: Any) -> EnvsFile | None:
    """The records for parsed envs.toml data, or None if pydantic must decide (and explain).

    Args:
        data: What the TOML parser returned.
    """
    try:
        t = _table(data, _FILE_KEYS)
        if "environments" not in t:
            return None
        envs = t["environments"]
        if type(envs) is not dict:
            return None
        environments = {}
        for name, value in envs.items():
            if type(name) is not str:
                return None
            e = _table(value, _ENV_KEYS)
            environments[name] = Environment(**_env_fields(e), job=_opt_str(e.get("job")))
        defaults = t.get("defaults")
        return EnvsFile(
            environments=environments,
            version=_choice(t.get("version", "2.1"), VERSIONS),
            filters=_choice(t.get("filters", "expression"), FILTER_STYLES),
            workflow=_str(t.get("workflow", "main")),
            defaults=None if defaults is None else Defaults(**_env_fields(_table(defaults, _DEFAULTS_KEYS))),
            allow_secrets=_str_list(t.get("allow_secrets", [])),
        )
    except _Refused:
        return None


def from_model(model: Any) -> Any:
    """The record for a validated pydantic model of :mod:`gen.models` (recursively), by class name."""
    from pydantic import BaseModel

    def convert(value: Any) -> Any:
        if isinstance(value, BaseModel):
            cls = _BY_NAME[type(value).__name__]
            return cls(**{f.name: convert(getattr(value, f.name)) for f in fields(cls)})
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return convert(model)


_BY_NAME: dict[str, type[Any]] = {cls.__name__: cls for cls in RECORDS}
# Each record class's fields in its model's order.
_FIELD_ORDER: dict[type[Any], tuple[str, ...]] = {
    cls: _ENVS_ORDER if cls is EnvsFile else tuple(f.name for f in fields(cls)) for cls in RECORDS
}


def dump(record: Any) -> Any:
    """Plain data for a record, like pydantic's ``model_dump(exclude_none=True)`` of the model.

    Fields in the models' order; None-valued fields left out; nested records, lists and dicts copied.
    """
    names = _FIELD_ORDER.get(type(record))
    if names is not None:
        out = {}
        for name in names:
            value = getattr(record, name)
            if value is not None:
                out[name] = value if type(value) is str else dump(value)
        return out
    if isinstance(record, list):
        return [v if type(v) is str else dump(v) for v in record]
    if isinstance(record, dict):
        return {k: v if type(v) is str else dump(v) for k, v in record.items()}
    return record


def strings(record: Any, out: list[str]) -> list[str]:
    """Append every string of ``dump(record)`` to ``out``: values and table keys, in no promised order.

    The secret guard's quick first look (:func:`gen.secrets.could_hold_secret`) needs only the strings;
    collecting them from the records skips building the dump that its full scan walks. A loop over a
    stack with exact-type tests, and one C call per record for its field values: at 5,000 environments
    this is a hundred thousand values.
    """
    stack = [record]
    push, pop, add = stack.append, stack.pop, out.append
    while stack:
        cur = pop()
        kind = type(cur)
        if kind is str:
            add(cur)
        elif kind is list:
            stack.extend(cur)
        elif kind is dict:
            for k, v in cur.items():
                add(str(k))
                push(v)
        elif kind in _VALUES_OF:
            for name, value in zip(_FIELD_ORDER[kind], _VALUES_OF[kind](cur), strict=True):
                if value is not None:
                    add(name)
                    push(value)
        elif isinstance(cur, str):
            add(str(cur))
        elif isinstance(cur, dict):
            stack.append(dict(cur))
        elif isinstance(cur, list):
            stack.append(list(cur))
    return out


# Each record class's field values in _FIELD_ORDER, in one call.
def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) == 1:  # attrgetter of one name returns the value itself, not a 1-tuple
        return lambda record: (getattr(record, names[0]),)
    return operator.attrgetter(*names)


_VALUES_OF = {cls: _values_of(_FIELD_ORDER[cls]) for cls in RECORDS}
