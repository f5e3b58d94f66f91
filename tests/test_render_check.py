"""The renderer's output, read back by the engine, runs exactly what envs.toml says.

The expected verdicts are computed here, independently of gen/: an environment's job runs for an
event iff its own trigger admits the event, or the trigger of some environment downstream of it
(transitively, through ``requires``) does. A trigger is the envs.toml ``branches``/``tags`` tables
read by the documented rules: ``/re/`` matches the whole name, anything else is an exact name,
``only`` beats ``ignore``, branches default to all and tags to none.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gen.core import check_rendered, render_file
from gen.engine import Event, explain, read_config
from gen.errors import InputError, OutputError
from gen.loader import validate
from gen.plan import build_plan
from gen.render import parse_yaml, render_plan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


# -- the oracle -----------------------------------------------------------------------------------


def _matches(pattern: str, name: str) -> bool:
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.fullmatch(pattern[1:-1], name) is not None
    return pattern == name


def _admits_dim(spec: dict[str, Any] | None, name: str, default: bool) -> bool:
    if not spec:
        return default
    only, ignore = spec.get("only"), spec.get("ignore")
    if only is not None:
        return any(_matches(p, name) for p in ([only] if isinstance(only, str) else only))
    if ignore is not None:
        return not any(_matches(p, name) for p in ([ignore] if isinstance(ignore, str) else ignore))
    return default


def _value(envs: dict[str, Any], env: str, key: str) -> Any:
    own = envs["environments"][env]
    if key in own:
        return own[key]
    return (envs.get("defaults") or {}).get(key)


def own_admits(envs: dict[str, Any], env: str, event: Event) -> bool:
    if event.kind == "branch":
        return _admits_dim(_value(envs, env, "branches"), event.name, True)
    return _admits_dim(_value(envs, env, "tags"), event.name, False)


def expected_runs(envs: dict[str, Any], event: Event) -> dict[str, bool]:
    names = list(envs["environments"])
    requires = {n: list(_value(envs, n, "requires") or []) for n in names}

    def downstream(n: str) -> set[str]:
        out: set[str] = set()
        stack = [d for d in names if n in requires[d]]
        while stack:
            d = stack.pop()
            if d not in out:
                out.add(d)
                stack.extend(x for x in names if d in requires[x])
        return out

    return {n: own_admits(envs, n, event) or any(own_admits(envs, d, event) for d in downstream(n))
            for n in names}


def job_name(envs: dict[str, Any], env: str) -> str:
    return str(envs["environments"][env].get("job", env))


def engine_runs(config_data: Any, event: Event) -> dict[str, bool]:
    expl = explain(read_config(config_data), event, source="rendered")
    return {v.job: v.runs for v in expl.verdicts}


def assert_agrees(envs: dict[str, Any], config_data: Any, event: Event) -> None:
    got = engine_runs(config_data, event)
    want = expected_runs(envs, event)
    for env, runs in want.items():
        job = job_name(envs, env)
        assert got[job] == runs, f"{event}: {job} runs={got[job]}, envs.toml says {runs}"
        if _value(envs, env, "approval"):
            assert got[f"hold-{job}"] == runs, f"{event}: hold-{job} runs={got[f'hold-{job}']}"


# -- the shipped examples -------------------------------------------------------------------------

SAMPLE_EVENTS = [Event("branch", n) for n in ("main", "dev", "release/1.2", "wip/x", "dependabot/npm")] + [
    Event("tag", n) for n in ("v1.2.3", "v1.2", "2025.3", "v", "release-1", "v10.0.0")
]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "envs.toml").is_file()))
def test_every_example_runs_what_its_envs_toml_says(example: str) -> None:
    envs_path = EXAMPLES / example / "envs.toml"
    envs = tomllib.loads(envs_path.read_text(encoding="utf-8"))
    text = render_file(envs_path)  # includes the lint check: raises if the output has errors
    data = parse_yaml(text)
    for event in SAMPLE_EVENTS:
        assert_agrees(envs, data, event)


# -- random environment graphs --------------------------------------------------------------------

EXACT = ["main", "dev", "v1", "release/x"]
REGEXES = ["/^v.*/", "/ma.*/", "/^release\\/.*/", "/v\\d+/", "/.*/", "/d.v|main/"]
BRANCHES = ["main", "dev", "v1", "mango", "release/x", "feature", "ma"]
TAGS = ["v1", "v22", "main", "release/x", "x1", "ma", "dev"]

patterns = st.sampled_from(EXACT + REGEXES)
pattern_lists = st.one_of(patterns, st.lists(patterns, max_size=3))
ref_filters = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"only": pattern_lists, "ignore": pattern_lists}),
)


@st.composite
def envs_files(draw: st.DrawFn) -> dict[str, Any]:
    style = draw(st.sampled_from(["expression", "map"]))
    version = "2.1" if style == "expression" else draw(st.sampled_from(["2", "2.1"]))
    n = draw(st.integers(1, 5))
    envs: dict[str, Any] = {}
    for i in range(n):
        name = f"e{i}"
        env: dict[str, Any] = {}
        earlier = [f"e{j}" for j in range(i)]
        if earlier:
            env["requires"] = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=min(3, i)))
        if draw(st.booleans()):
            env["approval"] = True
        for key in ("branches", "tags"):
            spec = draw(ref_filters)
            if spec is not None:
                env[key] = spec
        envs[name] = env
    return {
        "version": version,
        "filters": style,
        "workflow": "w",
        "defaults": {"image": "cimg/base:2024.02", "steps": [{"run": "make"}]},
        "environments": envs,
    }


def _render(envs: dict[str, Any]) -> Any:
    path = Path("envs.toml")
    try:
        plan = build_plan(validate(envs, path), path)
    except InputError as exc:
        # Allowed: map filters that would need regex lookahead, and an environment that never runs.
        assume("without regex lookahead" not in exc.message)
        assume("would never run" not in exc.message)
        raise
    return check_rendered(render_plan(plan), path)  # the lint check must pass on every render


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(envs=envs_files(), branches=st.lists(st.sampled_from(BRANCHES), min_size=1, max_size=3, unique=True),
       tags=st.lists(st.sampled_from(TAGS), min_size=1, max_size=3, unique=True))
def test_rendered_config_runs_what_envs_toml_says(envs: dict[str, Any], branches: list[str],
                                                  tags: list[str]) -> None:
    data = _render(envs)
    for event in [Event("branch", b) for b in branches] + [Event("tag", t) for t in tags]:
        assert_agrees(envs, data, event)


# -- render never writes a config that fails lint -------------------------------------------------

# The two secrets are let past the envs.toml secret guard (gen/secrets.py), so that what these tests
# exercise is the lint gate on the rendered output, which has no allow list.
ENVS = """\
allow_secrets = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]

[defaults]
image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.0"
aws_auth = {{ oidc_role_arn = "arn:aws:iam::123456789012:role/pull" }}

[environments.staging]
{extra}
steps = [{{ run = "{command}" }}]
"""


@pytest.mark.parametrize(
    ("extra", "command", "message"),
    [
        ("", "aws s3 cp x s3://b --key AKIAIOSFODNN7EXAMPLE", "[aws-key-id]"),
        ('environment = { TOKEN = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }', "make", "[secret-like]"),
    ],
)
def test_render_refuses_output_that_fails_lint(
    tmp_path: Path, extra: str, command: str, message: str
) -> None:
    envs_path = tmp_path / "envs.toml"
    envs_path.write_text(ENVS.format(extra=extra, command=command), encoding="utf-8")
    with pytest.raises(OutputError) as info:
        render_file(envs_path)
    assert message in info.value.message
    assert "nothing was written" in info.value.message


def test_an_impossible_exact_name_is_refused_in_envs_toml_before_lint(tmp_path: Path) -> None:
    # `release/*` is not a glob in CircleCI; as an exact name it can never exist. The plan refuses it
    # with the envs.toml key, before the rendered config would fail lint's pattern-unmatchable rule.
    envs_path = tmp_path / "envs.toml"
    envs_path.write_text(ENVS.format(extra='branches = { only = "release/*" }', command="make"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        render_file(envs_path)
    assert info.value.key == "environments.staging.branches.only"
    assert "cannot be a git branch or tag name" in info.value.message


@pytest.mark.parametrize(("extra", "key", "message"), [
    # `$` then `x`: the regex needs a character after the end of the name.
    ('tags = { only = "/^v1$x/" }', "environments.staging.tags.only", "cannot match any whole branch or tag name"),
    # A space: git names have none.
    ('branches = { only = ["main", "/release .*/"] }', "environments.staging.branches.only.1",
     "cannot match any whole branch or tag name"),
    ('branches = { ignore = "feature/" }', "environments.staging.branches.ignore",
     "cannot start or end with '/'"),
    ('tags = { only = "v1.lock" }', "environments.staging.tags.only", "can end with '.lock'"),
])
def test_an_unmatchable_pattern_is_refused_in_envs_toml_before_lint(
    tmp_path: Path, extra: str, key: str, message: str
) -> None:
    # What lint's pattern-unmatchable rule would refuse in the rendered config, the plan refuses with
    # the envs.toml key it came from.
    envs_path = tmp_path / "envs.toml"
    envs_path.write_text(ENVS.format(extra=extra, command="make"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        render_file(envs_path)
    assert info.value.key == key
    assert message in info.value.message
