"""Shared pieces of the robustness tests: a TOML writer, hostile-text strategies, valid-model
strategies, the independent oracle of what a model renders to, and the CircleCI schema validator.

The oracle is written from the README ("The output") and CircleCI's configuration reference, not from
gen/: it is what the tests compare cigen's output against.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from gen import regexlang as rl
from gen.filters import ref_name_problem

REPO = Path(__file__).resolve().parents[2]

#: Examples of the main property test in the default run (the other two run half and a quarter as
#: many); CIGEN_PROPERTY_EXAMPLES=100000 for the long run (README, "Robustness").
EXAMPLES = int(os.environ.get("CIGEN_PROPERTY_EXAMPLES", "200"))


def run_cli(*args: str, cwd: Path, without_dac_override: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gen ARGS`` in ``cwd`` with this worktree's code.

    ``without_dac_override``: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the child's capability
    bounding set (Linux), so that even root gets EACCES on a mode-000 file, as any user does.
    """
    env = {k: v for k, v in os.environ.items() if k != "CIGEN_DEBUG"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "gen", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120,
        preexec_fn=_drop_dac_capabilities if without_dac_override else None,
    )


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _drop_dac_capabilities() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def can_drop_dac_capabilities() -> bool:
    """Whether run_cli(without_dac_override=True) works here (root with CAP_SETPCAP on Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_drop_dac_capabilities,
                           capture_output=True, check=False)
    return probe.returncode == 0


# --------------------------------------------------------------------------------------------------
# A small, complete TOML 1.0 writer (tomllib can only read). Every string is a basic string with the
# characters TOML forbids raw escaped; the tests check that tomllib reads back exactly the same data.

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(data: dict[str, Any]) -> str:
    """Top-level values first, then ``[defaults]`` and one ``[environments.NAME]`` table each.

    Any data works (the fuzz tests give ``environments`` of every type); for envs-shaped data the
    layout is the one people write.
    """
    def pairs(table: dict[str, Any]) -> list[str]:
        return [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]

    defaults, envs = data.get("defaults"), data.get("environments")
    lines = pairs({k: v for k, v in data.items()
                   if not (k == "defaults" and isinstance(defaults, dict))
                   and not (k == "environments" and isinstance(envs, dict))})
    if isinstance(defaults, dict):
        lines += ["", "[defaults]", *pairs(defaults)]
    if isinstance(envs, dict):
        plain = {n: e for n, e in envs.items() if not isinstance(e, dict)}
        if plain or not envs:
            lines += ["", "[environments]", *pairs(plain)]
        for name, env in envs.items():
            if isinstance(env, dict):
                lines += ["", f"[environments.{toml_key(name)}]", *pairs(env)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Hostile text.

HOSTILE_ATOMS = [
    # YAML indicators and structure
    ": ", " #", "#", "- ", "-", "? ", "?", "*", "&", "!", "%", "@", "`", "|", ">", "{", "}", "[", "]",
    ",", "'", '"', "\\", ":", "---", "...", "|-", ">+", "&a", "*a", "!!str",
    "!!python/object/apply:os.system", "%YAML 1.1", "<<: *a", "{a: b}", "[a, b]", "- x", "? x", "a: b",
    "a #b", "#!",
    # white space and line breaks
    " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n", "\x85", "\u2028", "\u2029", "\xa0", "\u3000", "\ufeff",
    # YAML 1.1 / 1.2 words and numbers
    "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF", "true", "False", "TRUE",
    "null", "Null", "~", "1e3", "1E3", "0o17", "017", "0x1F", "0b101", "2.1", "-2.1", ".inf", "-.Inf", ".NaN",
    "1_000", "1:20", "190:20:30.15", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<", "0", "-0", "+1",
    # template and CI syntax
    "{{ 7*7 }}", "{{7*7}}", "{% raw %}", "{% endraw %}", "{% if true %}", "{#", "#}", "{{", "}}",
    "<< pipeline.git.branch >>", "<< pipeline.parameters.x >>", "<<parameters.p>>", "${X}", "$X", "$(id)",
    # unicode
    "\u202e", "\u200f", "\u200b", "\u05d0\u05d1\u05d2", "\u0645\u0631\u062d\u0628\u0627", "\U0001f600",
    "\U0001d518", "\u00e9", "e\u0301", "\x7f", "\x1b[31m", "\x00", "\x01", "\x08", "\uffff", "\ufffe",
    "\U0010ffff", "\u2026",
]

_atom = st.sampled_from(HOSTILE_ATOMS)
_any_char_text = st.text(max_size=6)  # all of unicode except surrogates


@cache
def hostile_text(min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings built from YAML indicators, special words, line breaks, template syntax and unicode."""
    text = st.lists(st.one_of(_atom, _atom, _any_char_text), min_size=min_size, max_size=6).map("".join)
    return text.filter(bool) if min_size else text  # one part may be empty text


@cache
def hostile_keys() -> st.SearchStrategy[str]:
    """Table keys: hostile text, sometimes repeated past YAML's 1024-character implicit-key limit."""
    base = hostile_text()
    return st.one_of(base, base, base, hostile_text(1).map(lambda s: s * (1100 // len(s) + 1)))


def _nonblank(s: str) -> bool:
    return bool(s.strip())


commands = hostile_text(1).filter(_nonblank)
# Contexts: plan refuses blank ones and line feeds.
contexts = hostile_text(1).filter(lambda s: _nonblank(s) and "\n" not in s)


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"


def _word(first: str, rest: str, max_rest: int = 12) -> st.SearchStrategy[str]:
    """A first character from ``first`` and up to ``max_rest`` more from ``rest`` (faster than from_regex)."""
    return st.builds(lambda a, b: a + b, st.sampled_from(first), st.text(alphabet=rest, max_size=max_rest))


def _boundary(member: st.SearchStrategy[str], words: list[str]) -> st.SearchStrategy[str]:
    """A restricted charset: random members and the YAML-hostile words it admits."""
    return st.one_of(st.sampled_from(words), member)


_YAML_WORDS = ["yes", "no", "on", "off", "y", "n", "true", "false", "null", "nan", "inf"]
# Names are at most 255 characters (plan.MAX_NAME), the longest is a boundary case too.
env_names = _boundary(
    _word(_LOWER, _LOWER + _DIGITS + "_-"),  # [a-z][a-z0-9_-]*
    [*_YAML_WORDS, "version", "a-", "a_", "x--", "e3", "o17", "x1f", "a" * 255, "z" + "-" * 254],
)
job_names = _boundary(
    _word(_LOWER + _UPPER, _LOWER + _UPPER + _DIGITS + "_-"),  # [A-Za-z][A-Za-z0-9_-]*
    [*_YAML_WORDS, "version", "Yes", "NO", "On", "OFF", "Y", "N", "Null", "NULL", "True", "FALSE", "Inf",
     "NaN", "E3", "J" * 255],
)
# `version` is reserved under `workflows` (plan refuses it; tested on its own).
workflow_names = job_names.filter(lambda n: n != "version")
# Variable names have no length limit: a 1,100-character one is longer than a YAML implicit key may be.
var_names = _boundary(
    _word(_LOWER + _UPPER + "_", _LOWER + _UPPER + _DIGITS + "_"),  # [A-Za-z_][A-Za-z0-9_]*
    [*_YAML_WORDS, "Y", "N", "NULL", "True", "_", "__", "E1", "NaN", "On", "V" * 1100],
)
# CircleCI step and command names (its schema: ^[a-z][a-z\d/_-]*$), with the YAML words they admit.
step_names = _boundary(
    _word(_LOWER, _LOWER + _DIGITS + "/_-"),
    ["checkout", "setup_remote_docker", "yes", "on", "null", "y", "n", "a/b", "a-", "off", "true", "no"],
)
resource_classes = _boundary(
    _word(_LOWER + _UPPER + _DIGITS, _LOWER + _UPPER + _DIGITS + "._/-"),  # [A-Za-z0-9][A-Za-z0-9._/-]*
    ["medium", "large", "arm.medium", "1e3", "0o17", "017", "2.1", "1_000", "0x1F", "yes", "No", "null",
     "123", "1.0", "0.", "1e-3", "ns/runner", "y", "2001-12-14"],
)

_REGION = st.sampled_from(["us-east-1", "eu-west-2", "ap-southeast-1", "us-gov-west-1", "cn-north-1"])
_ACCOUNT = st.text(alphabet=_DIGITS, min_size=12, max_size=12)
_ALNUM = st.text(alphabet=_LOWER + _DIGITS, min_size=1, max_size=6)
# <component>(/<component>)*, a component being alphanumeric runs joined by one of . _ -
_ECR_COMPONENT = st.builds(lambda first, rest: first + "".join(sep + part for sep, part in rest), _ALNUM,
                           st.lists(st.tuples(st.sampled_from("._-"), _ALNUM), max_size=2))
_ECR_REPO = st.lists(_ECR_COMPONENT, min_size=1, max_size=3).map("/".join)
_ECR_REF = st.one_of(
    st.just(""),
    _word(_LOWER + _UPPER + _DIGITS + "_", _LOWER + _UPPER + _DIGITS + "_.-", 10).map(lambda t: ":" + t),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(lambda h: "@sha256:" + h),
)
ecr_images = st.builds(lambda a, r, repo, ref: f"{a}.dkr.ecr.{r}.amazonaws.com/{repo}{ref}",
                       _ACCOUNT, _REGION, _ECR_REPO, _ECR_REF)
# Any image that is not on ECR: no white space (plan refuses it), not claiming to be ECR.
other_images = st.one_of(
    st.sampled_from(["cimg/base:2024.01", "ubuntu", "node:20", "yes", "~", "1e3", "*a", "&a", "!x", "%x",
                     "@x", "`x", "{{7*7}}", "<<x>>", "'", '"', "|", ">", "-x", "?x", "a:b", "a#b"]),
    hostile_text(1).filter(lambda s: s.strip() == s and not any(c.isspace() for c in s) and s != ""),
).filter(lambda s: ".dkr.ecr." not in s.partition("/")[0])
role_arns = st.builds(
    lambda part, acct, name: f"arn:{part}:iam::{acct}:role/{name}",
    st.sampled_from(["aws", "aws-cn", "aws-us-gov"]), _ACCOUNT,
    st.text(alphabet=_LOWER + _UPPER + _DIGITS + "+=,.@_/-", min_size=1, max_size=30),
)


def _regex_ok(raw: str) -> bool:
    # Plan rules: the regex compiles, and some whole git branch or tag name can match it (the language
    # check of gen.regexlang, tested against Python's re in tests/test_regexlang.py).
    try:
        re.compile(raw[1:-1])
    except re.error:
        return False
    try:
        return not rl.is_empty(rl.regex_of(raw[1:-1]))
    except rl.Unsupported:
        return True


# What `git check-ref-format` forbids in a branch or tag name: an exact name with it can never match,
# so cigen refuses it (plan._check_pattern).
_GIT_NAME_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{")


def _exact_ok(raw: str) -> bool:
    # Plan rules: not empty, no line break, `<<` refused (CircleCI parameter syntax); a /…/ shape is a
    # regex (it must compile); anything else is an exact name git could give a branch or tag.
    if not raw or "\n" in raw or "\r" in raw or "<<" in raw:
        return False
    if len(raw) >= 2 and raw.startswith("/") and raw.endswith("/"):
        return _regex_ok(raw)
    return _GIT_NAME_BAD.search(raw) is None and ref_name_problem(raw) is None


_REGEX_ATOMS = st.sampled_from([".*", ".+", r"\d+", r"\d{4}", "[a-z]+", "(a|b)", "a|b", "^", "$",
                                r"v\d+\.\d+", "release/", r"\/", "[^/]+", r"\.", "(?:x)", "[:#]", " ", "'",
                                '"', r"\\",
                                "{{ 7*7 }}", ": ", " #", "yes", "[{]", "[}]", r"\$"])
regexes = st.lists(st.one_of(_REGEX_ATOMS, hostile_text().map(re.escape)), min_size=1, max_size=4).map(
    lambda parts: "/" + "".join(parts) + "/"
).filter(lambda r: _regex_ok(r) and "\n" not in r and "\r" not in r and "<<" not in r)
exact_names = hostile_text(1).filter(_exact_ok)
patterns = st.one_of(exact_names, regexes, st.sampled_from(["main", "/.*/", "yes", "/^v\\d+$/"]))


@cache
def pattern_spec() -> st.SearchStrategy[Any]:
    return st.one_of(patterns, st.lists(patterns, max_size=3))


@cache
def ref_filter() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"only": pattern_spec(), "ignore": pattern_spec()})


# Any TOML value a passthrough step may carry (nested tables and arrays, every scalar type).
toml_scalars = st.one_of(
    hostile_text(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    # TOML offsets are whole minutes (no historic LMT offsets such as +00:19:32).
    st.datetimes(timezones=st.one_of(
        st.none(), st.just(dt.UTC),
        st.integers(-23 * 60 + 1, 23 * 60 - 1).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
    )),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_keys(), inner, max_size=3)),
    max_leaves=8,
)


@cache
def _run_spec() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"command": commands},
        optional={
            "name": hostile_text(),
            "shell": hostile_text(),
            "environment": st.dictionaries(hostile_keys(), hostile_text(), max_size=2),
            "background": st.booleans(),
            "working_directory": hostile_text(),
            "no_output_timeout": st.sampled_from(["20m", "1h", "30s", "10m"]),
            "when": st.sampled_from(["always", "on_success", "on_fail"]),
        },
    )


_text1 = hostile_text(1).filter(bool)  # save_cache needs a non-empty key
_str_or_list = st.one_of(hostile_text(), st.lists(hostile_text(), max_size=3))
# Built-in steps with bodies of the shape CircleCI's schema demands, every string hostile.
_builtin_steps = st.one_of(
    st.builds(lambda k, p: {"save_cache": {"key": k, "paths": p}}, _text1, _str_or_list),
    st.builds(lambda k: {"restore_cache": {"key": k}}, hostile_text()),
    st.builds(lambda k: {"restore_cache": {"keys": k}}, _str_or_list),
    st.builds(lambda p, d: {"store_artifacts": {"path": p, "destination": d}}, hostile_text(),
              hostile_text()),
    st.builds(lambda p: {"store_test_results": {"path": p}}, hostile_text()),
    st.builds(lambda r, p: {"persist_to_workspace": {"root": r, "paths": p}}, hostile_text(), _str_or_list),
    st.builds(lambda a: {"attach_workspace": {"at": a}}, hostile_text()),
    st.builds(lambda f: {"add_ssh_keys": {"fingerprints": f}}, _str_or_list),
    st.builds(lambda b: {"setup_remote_docker": {"docker_layer_caching": b}}, st.booleans()),
    st.builds(lambda p: {"checkout": {"path": p}}, hostile_text()),
)
_BUILTIN = {"run", "deploy", "checkout", "setup_remote_docker", "save_cache", "restore_cache",
            "store_artifacts", "store_test_results", "persist_to_workspace", "attach_workspace",
            "add_ssh_keys", "install_signing_bundle", "with_tool_cache", "when", "unless"}
# Command and orb-command invocations: a name and a table of parameters (or a string), any values.
_command_steps = st.builds(
    lambda k, v: {k: v},
    step_names.filter(lambda k: k not in _BUILTIN),
    st.one_of(hostile_text(), st.dictionaries(hostile_keys(), toml_values, max_size=3)),
)
# Anything at all behind a step name: not schema-valid CircleCI, but cigen passes it through, so the
# YAML layer must carry it exactly.
_free_steps = st.builds(lambda k, v: {k: v}, step_names.filter(lambda k: k != "run"), toml_values)


@cache
def steps_strategy(schema_valid: bool) -> st.SearchStrategy[list[Any]]:
    return st.lists(
        st.one_of(
            step_names,
            st.builds(lambda c: {"run": c}, commands),
            st.builds(lambda c, n: {"run": c, "name": n}, commands, hostile_text()),
            st.builds(lambda spec: {"run": spec}, _run_spec()),
            _builtin_steps,
            _command_steps if schema_valid else _free_steps,
        ),
        min_size=1,
        max_size=4,
    )


_DOLLAR = st.sampled_from(["", "$"])
_KEY_KIND = st.sampled_from(["none", "keys", "oidc"])
_USERNAMES = st.one_of(hostile_text(1).filter(lambda s: s and not s.startswith("$")),
                       var_names.map(lambda v: "$" + v))
_CONTEXTS = st.one_of(contexts, st.lists(contexts, max_size=3))
_VARIABLES = st.dictionaries(var_names, hostile_text(), max_size=3)


@st.composite
def auth_fields(draw: st.DrawFn) -> dict[str, Any]:
    """An image with matching credentials (or none)."""
    if draw(st.booleans()):
        image = draw(ecr_images)
        kind = draw(_KEY_KIND)
        if kind == "keys":
            return {"image": image, "aws_auth": {
                "access_key_id": draw(_DOLLAR) + draw(var_names),
                "secret_access_key": draw(_DOLLAR) + draw(var_names)}}
        if kind == "oidc":
            return {"image": image, "aws_auth": {"oidc_role_arn": draw(role_arns)}}
        return {"image": image}
    image = draw(other_images)
    if draw(st.booleans()):
        user = draw(_USERNAMES)
        return {"image": image, "auth": {"username": user, "password": draw(var_names)}}
    return {"image": image}


@st.composite
def env_tables(draw: st.DrawFn, names: list[str], index: int, job: str | None,
               schema_valid: bool) -> dict[str, Any]:
    env: dict[str, Any] = dict(draw(auth_fields()))
    if job is not None:
        env["job"] = job
    if draw(st.booleans()):
        env["resource_class"] = draw(resource_classes)
    if draw(st.booleans()):
        env["context"] = draw(_CONTEXTS)
    if draw(st.booleans()):
        env["environment"] = draw(_VARIABLES)
    if draw(st.booleans()):
        env["branches"] = draw(ref_filter())
    if draw(st.booleans()):
        env["tags"] = draw(ref_filter())
    earlier = names[:index]
    if earlier and draw(st.booleans()):
        env["requires"] = draw(st.lists(st.sampled_from(earlier), max_size=3))
    if draw(st.booleans()):
        env["approval"] = draw(st.booleans())
    env["steps"] = draw(steps_strategy(schema_valid))
    return env


_GROUP = ("image", "aws_auth", "auth")


@st.composite
def defaults_tables(draw: st.DrawFn, schema_valid: bool) -> dict[str, Any]:
    defaults: dict[str, Any] = dict(draw(auth_fields()))
    optional = {
        "resource_class": resource_classes,
        "context": _CONTEXTS,
        "environment": _VARIABLES,
        "branches": ref_filter(),
        "tags": ref_filter(),
        "approval": st.booleans(),
        "steps": steps_strategy(schema_valid),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            defaults[key] = draw(strategy)
    return defaults


@st.composite
def envs_models(draw: st.DrawFn, schema_valid: bool = True) -> dict[str, Any]:
    """A valid envs.toml as data: every field drawn from hostile text where its charset allows.

    Environments may inherit from ``[defaults]``; the image and its credentials are inherited as a group
    (an environment's own non-ECR image under a default aws_auth would be invalid, not hostile).
    ``schema_valid=False`` lets passthrough steps carry any TOML value (cigen passes them through).
    """
    version = draw(st.sampled_from(["2.1", "2"]))
    filters = "map" if version == "2" else draw(st.sampled_from(["expression", "map"]))
    names = draw(st.lists(env_names, min_size=1, max_size=4, unique=True))
    jobs = draw(st.lists(job_names, min_size=len(names), max_size=len(names), unique=True))
    explicit = [draw(st.booleans()) for _ in names]
    effective_jobs = [j if e else n for j, e, n in zip(jobs, explicit, names, strict=True)]
    assume(len(set(effective_jobs)) == len(names))
    data: dict[str, Any] = {"version": version, "filters": filters}
    if draw(st.booleans()):
        data["workflow"] = draw(workflow_names)
    defaults = draw(defaults_tables(schema_valid)) if draw(st.booleans()) else None
    envs: dict[str, Any] = {}
    for i, name in enumerate(names):
        job = jobs[i] if explicit[i] else None
        env = draw(env_tables(names, i, job, schema_valid))
        if defaults is not None:
            shared_credentials = "aws_auth" in defaults or "auth" in defaults
            if shared_credentials or draw(st.booleans()):
                for key in _GROUP:
                    env.pop(key, None)
            for key in defaults:
                if key not in _GROUP and draw(st.booleans()):
                    env.pop(key, None)
        envs[name] = env
    if defaults is not None:
        data["defaults"] = defaults
    data["environments"] = envs
    return data


def effective(data: dict[str, Any]) -> dict[str, Any]:
    """The model with ``[defaults]`` applied: an environment's own value wins, whole (README)."""
    defaults = data.get("defaults", {})
    out = {k: v for k, v in data.items() if k != "defaults"}
    out["environments"] = {n: {**defaults, **env} for n, env in data["environments"].items()}
    return out


# --------------------------------------------------------------------------------------------------
# The oracle: what a valid model must render to, per the README ("The output") and CircleCI's reference.


def plain_data(value: Any) -> Any:
    """TOML data as YAML carries it: dates and times become their ISO text (cigen writes them quoted)."""
    if isinstance(value, dict):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _var(raw: str) -> str:
    name = raw[1:] if raw.startswith("$") else raw
    return "$" + name


def oracle_executor(env: dict[str, Any]) -> dict[str, Any]:
    image: dict[str, Any] = {"image": env["image"]}
    aws = env.get("aws_auth")
    if aws and "oidc_role_arn" in aws:
        image["aws_auth"] = {"oidc_role_arn": aws["oidc_role_arn"]}
    elif aws:
        image["aws_auth"] = {"aws_access_key_id": _var(aws["access_key_id"]),
                             "aws_secret_access_key": _var(aws["secret_access_key"])}
    elif env.get("auth"):
        image["auth"] = {"username": env["auth"]["username"], "password": _var(env["auth"]["password"])}
    out: dict[str, Any] = {"docker": [image]}
    if "resource_class" in env:
        out["resource_class"] = env["resource_class"]
    return out


def oracle_step(step: Any) -> Any:
    if isinstance(step, str):
        return step
    if "run" in step and isinstance(step["run"], str):
        if "name" in step:
            return {"run": {"name": step["name"], "command": step["run"]}}
        return {"run": step["run"]}
    if "run" in step:
        spec = step["run"]
        body = {"name": spec["name"]} if "name" in spec else {}
        body["command"] = spec["command"]
        # The rest in the model's field order (RunSpec), as written after name and command.
        for k in ("shell", "environment", "background", "working_directory", "no_output_timeout", "when"):
            if k in spec:
                body[k] = spec[k]
        return {"run": body}
    return plain_data(step)


def topo_order(names: list[str], requires: dict[str, list[str]]) -> list[str]:
    """Dependencies first; among ready environments, the one declared first (README: jobs in order)."""
    done: list[str] = []
    while len(done) < len(names):
        ready = next(n for n in names if n not in done and all(r in done for r in requires[n]))
        done.append(ready)
    return done


def oracle(data: dict[str, Any], filters_of: dict[str, Any]) -> dict[str, Any]:
    """The config a valid model renders to. ``filters_of[(workflow job name)]`` is the plan's filters value
    (or None): the filter *semantics* are gen.filters' business and tested there; this checks the YAML
    layer carried them exactly."""
    envs: dict[str, dict[str, Any]] = data["environments"]
    names = list(envs)
    requires = {n: list(dict.fromkeys(envs[n].get("requires", []))) for n in names}
    order = topo_order(names, requires)
    job = {n: envs[n].get("job", n) for n in names}
    out: dict[str, Any] = {"version": 2.1 if data["version"] == "2.1" else 2}
    if data["version"] == "2.1":
        out["executors"] = {n: oracle_executor(envs[n]) for n in order}
    jobs: dict[str, Any] = {}
    for n in order:
        env = envs[n]
        body: dict[str, Any] = {"executor": n} if data["version"] == "2.1" else oracle_executor(env)
        if env.get("environment"):
            body["environment"] = dict(env["environment"])
        body["steps"] = [oracle_step(s) for s in env["steps"]]
        jobs[job[n]] = body
    out["jobs"] = jobs
    wf_jobs: list[Any] = []
    for n in order:
        upstream = [job[r] for r in requires[n]]
        if envs[n].get("approval"):
            hold = f"hold-{job[n]}"
            entry: dict[str, Any] = {"type": "approval"}
            if upstream:
                entry["requires"] = upstream
            if filters_of[hold] is not None:
                entry["filters"] = filters_of[hold]
            wf_jobs.append({hold: entry})
            upstream = [hold]
        ctx = envs[n].get("context")
        ctx_list = list(dict.fromkeys([ctx] if isinstance(ctx, str) else (ctx or [])))
        entry = {}
        if ctx_list:
            entry["context"] = ctx_list
        if upstream:
            entry["requires"] = upstream
        if filters_of[job[n]] is not None:
            entry["filters"] = filters_of[job[n]]
        wf_jobs.append({job[n]: entry} if entry else job[n])
    wf: dict[str, Any] = {"jobs": wf_jobs}
    workflows: dict[str, Any] = {"version": 2} if data["version"] == "2" else {}
    workflows[data.get("workflow", "main")] = wf
    out["workflows"] = workflows
    return out


def same(a: Any, b: Any) -> bool:
    """Deep equality that also tells 1 from 1.0 from True, "1" from 1, and treats NaN as equal to NaN."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# --------------------------------------------------------------------------------------------------
# YAML readers and the CircleCI schema.


def load_pyyaml(text: str) -> Any:
    """YAML 1.1, as CircleCI reads it (PyYAML's pure-Python safe loader)."""
    import yaml

    return yaml.load(text, Loader=yaml.SafeLoader)


def load_ruamel(text: str) -> Any:
    """YAML 1.2 (ruamel.yaml, safe)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


@lru_cache(maxsize=1)
def circleci_validator() -> Any:
    """check-jsonschema's vendored CircleCI schema, with its regex engine, built once."""
    from check_jsonschema.formats import FormatOptions
    from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
    from check_jsonschema.schema_loader import BuiltinSchemaLoader

    regex = RegexImplementation(RegexVariantName.default)
    return BuiltinSchemaLoader("vendor.circle-ci").get_validator(
        Path("config.yml"), {}, FormatOptions(regex_impl=regex), regex, False
    )


def schema_errors(data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in circleci_validator().iter_errors(data)]
