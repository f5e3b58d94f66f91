"""The rendered config as data, straight from the plan: what parsing the shipped templates' output gives.

``cigen render`` lints the config it writes (gen.core.check_rendered), and the lint reads data, not
text. Parsing a large config back into data with ruamel.yaml's pure-Python loader took seconds per
thousand environments; for the shipped templates the data is known without parsing: it is the plan,
laid out as templates/*.yml.j2 lay it out, with each value as YAML reads back what gen.yamlsafe wrote
(a string reads back as the same string: that is yamlsafe's guarantee). The text itself is still
parsed, by libyaml in C, to prove it is YAML (gen.render.check_yaml_syntax).

Template overrides can write anything, so their output is parsed in full instead. Tests render every
example, the synthetic benchmark files and generated plans, parse the text with ruamel.yaml, and
demand exactly this data: a change to a shipped template that is not made here fails them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from gen.plan import Executor, Plan


def config_data(plan: Plan) -> dict[str, Any]:
    """The data of the config the shipped templates render for ``plan`` (config.yml.j2 and its includes)."""
    data: dict[str, Any] = {}
    if plan.version == "2.1":
        data["version"] = 2.1
        data["executors"] = {job.executor.name: _docker(job.executor) for job in plan.jobs}
    else:
        data["version"] = 2
    jobs: dict[str, Any] = {}
    for job in plan.jobs:  # job.yml.j2
        body: dict[str, Any] = {"executor": job.executor.name} if plan.version == "2.1" else _docker(job.executor)
        if job.environment:
            body["environment"] = value_data(job.environment)
        body["steps"] = value_data(job.steps)
        jobs[job.name] = body
    data["jobs"] = jobs
    workflows: dict[str, Any] = {"version": 2} if plan.version == "2" else {}
    entries: list[Any] = []
    for wj in plan.workflow_jobs:  # workflow.yml.j2
        if not wj.approval and not wj.context and not wj.requires and wj.filters.empty:
            entries.append(wj.name)
            continue
        entry: dict[str, Any] = {}
        if wj.approval:
            entry["type"] = "approval"
        if wj.context:
            entry["context"] = list(wj.context)
        if wj.requires:
            entry["requires"] = list(wj.requires)
        if wj.filters.expression:
            entry["filters"] = wj.filters.expression
        elif not wj.filters.empty:
            filters: dict[str, Any] = {}
            for name, dim in (("branches", wj.filters.branches), ("tags", wj.filters.tags)):
                if dim:
                    filters[name] = {dim.key: dim.patterns[0] if len(dim.patterns) == 1 else list(dim.patterns)}
            entry["filters"] = filters
        entries.append({wj.name: entry})
    workflows[plan.workflow] = {"jobs": entries}
    data["workflows"] = workflows
    return data


def _docker(ex: Executor) -> dict[str, Any]:
    # docker.yml.j2
    image: dict[str, Any] = {"image": ex.image}
    if ex.aws_access_key_id:
        image["aws_auth"] = {"aws_access_key_id": "$" + ex.aws_access_key_id,
                             "aws_secret_access_key": "$" + (ex.aws_secret_access_key or "")}
    elif ex.oidc_role_arn:
        image["aws_auth"] = {"oidc_role_arn": ex.oidc_role_arn}
    elif ex.auth_password:
        image["auth"] = {"username": ex.auth_username, "password": "$" + ex.auth_password}
    out: dict[str, Any] = {"docker": [image]}
    if ex.resource_class:
        out["resource_class"] = ex.resource_class
    return out


def value_data(value: Any) -> Any:
    """What YAML reads back from ``gen.yamlsafe.block(value)`` / ``quote(value)``.

    Mappings and sequences keep their shape (keys as ``str(key)``); a string is itself; booleans,
    integers and floats are themselves (``true``/``false``, ``str(int)``, ``repr(float)`` or
    ``.inf``/``.nan`` read back as the same numbers in YAML 1.2); dates and times were written as
    their ISO text, quoted, so they read back as that text.
    """
    kind = type(value)  # exact types first: the Mapping and Sequence checks are slow abstract-class checks
    if kind is str:
        return value
    if kind is dict:
        return {str(k): value_data(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [value_data(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): value_data(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [value_data(v) for v in value]
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if not math.isnan(value) else math.nan
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as YAML")  # as yamlsafe.quote refuses it
