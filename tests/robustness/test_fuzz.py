"""Fuzzing the loader and renderer: every input ends in a rendered config or a clean CigenError.

Three hypothesis-driven targets feed ``gen.core.render_file`` (read, decode, TOML, models, plan,
secret guard, templates, parse-back) through a real file: arbitrary bytes; valid and invalid envs files
mutated byte-wise and token-wise; and structure-aware random TOML documents whose keys come from the
envs.toml vocabulary and whose values are any TOML value. Anything but a rendered config or a
CigenError (exit 2 or 3, one line) is a crash.

Default run: CIGEN_FUZZ_EXAMPLES (200) inputs per target. The long run (README, "Robustness"):
``CIGEN_FUZZ_EXAMPLES=100000 .venv/bin/python -m pytest tests/robustness/test_fuzz.py -s``; with
CIGEN_FUZZ_REPORT=FILE the counts of inputs and outcomes are written to FILE as well.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_support import HOSTILE_ATOMS, REPO, to_toml, toml_values

from gen.core import render_file
from gen.errors import CigenError

FUZZ_EXAMPLES = int(os.environ.get("CIGEN_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,  # inputs are cheap to find again; keep the runs independent
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

VALID_SEEDS = [p.read_bytes() for p in sorted((REPO / "examples").glob("*/envs.toml"))]
INVALID_SEEDS = [p.read_bytes() for p in sorted((REPO / "tests" / "data" / "invalid").glob("*.toml"))]

TOKENS = [
    b"[", b"]", b"[[", b"]]", b"{", b"}", b"=", b",", b".", b"#", b'"', b"'", b'"""', b"'''", b"\\", b"\n",
    b"\r\n", b"\t", b" ", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xc3", b"true", b"false", b"nan", b"-inf",
    b"1e3", b"0x1F", b"1979-05-27T07:32:00Z", b"07:32:00", b"1979-05-27", b"[defaults]",
    b"[environments.x]", b"[[environments.x.steps]]", b"image", b"aws_auth", b"auth", b"steps", b"run",
    b"command", b"requires", b"branches", b"tags", b"only", b"ignore", b"approval", b"context",
    b"environment", b"job", b"version", b"filters", b"workflow", b"allow_secrets", b'"2"', b'"2.1"',
    b'"map"', b'"expression"', b'"/.*/"', b'"/(/"', b"AKIAIOSFODNN7EXAMPLE",
    *[a.encode() for a in HOSTILE_ATOMS],
]


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A real envs file (valid example or corpus case) with a few byte- and token-level edits."""
    # Half the time a valid example, so that many mutants still get through to the plan and templates.
    data = bytearray(draw(st.sampled_from(VALID_SEEDS if draw(st.booleans()) else INVALID_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "token"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 80)))
            data[at:at] = data[at:end]
        else:
            data[at:at] = draw(st.sampled_from(TOKENS))
    return bytes(data)


_FIELD_NAMES = ["image", "aws_auth", "auth", "resource_class", "context", "environment", "branches", "tags",
                "requires", "approval", "steps", "job"]
_plausible: dict[str, st.SearchStrategy[Any]] = {
    "image": st.sampled_from(["cimg/base:2024.01", "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1",
                              "123456789012.dkr.ecr.eu-west-2.amazonaws.com/a@sha256:" + "ab" * 32, "",
                              " x"]),
    "aws_auth": st.fixed_dictionaries({}, optional={
        "access_key_id": st.sampled_from(["K", "$K", "1K", "A-B", "AKIAIOSFODNN7EXAMPLE"]),
        "secret_access_key": st.sampled_from(["S", "${S}", ""]),
        "oidc_role_arn": st.sampled_from(["arn:aws:iam::123456789012:role/r", "arn:x"]),
        "extra": st.just("x")}),
    "auth": st.fixed_dictionaries({}, optional={"username": st.sampled_from(["u", "$U", ""]),
                                                "password": st.sampled_from(["P", "$P", "1"])}),
    "branches": st.fixed_dictionaries({}, optional={"only": toml_values, "ignore": toml_values}),
    "tags": st.fixed_dictionaries({}, optional={"only": toml_values, "ignore": toml_values}),
    "requires": st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=3),
    "steps": st.lists(st.one_of(st.sampled_from(["checkout", "Checkout", "", "x y"]),
                                st.fixed_dictionaries({"run": toml_values}, optional={"name": toml_values}),
                                st.dictionaries(st.sampled_from(["run", "save_cache", "when", "a/b", "X"]),
                                                toml_values, max_size=2)), max_size=3),
}


@st.composite
def structured_documents(draw: st.DrawFn) -> bytes:
    """An envs.toml-shaped document: the right keys (and some wrong ones), any values, often plausible."""
    def value_for(field: str) -> Any:
        if field in _plausible and draw(st.booleans()):
            return draw(_plausible[field])
        return draw(toml_values)

    doc: dict[str, Any] = {}
    for key, choices in (("version", ["2.1", "2.1", "2", "3", 2.1]), ("filters", ["map", "expression", "x"]),
                         ("workflow", ["main", "deploy", "version", "a b"])):
        if draw(st.booleans()):
            doc[key] = draw(st.sampled_from(choices))
    if draw(st.booleans()):
        doc["defaults"] = {f: value_for(f) for f in draw(st.lists(st.sampled_from(_FIELD_NAMES), max_size=5,
                                                                    unique=True))}
    envs: dict[str, Any] = {}
    names = st.sampled_from(["a", "b", "c", "d", "e", "Prod", "x y"])
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        # A valid core, so some documents render; then any fields with plausible or arbitrary values.
        envs[name] = {"image": "cimg/base:2024.01", "steps": ["checkout"]}
        fields = draw(st.lists(st.sampled_from(_FIELD_NAMES), max_size=4, unique=True))
        envs[name].update({f: value_for(f) for f in fields[: draw(st.integers(0, len(fields)))]})
    doc["environments"] = envs if draw(st.integers(0, 9)) else draw(toml_values)
    if draw(st.integers(0, 4)) == 0:
        doc[draw(st.sampled_from(["enviroments", "allow_secrets", "x"]))] = draw(toml_values)
    return to_toml(doc).encode()


OUTCOMES: dict[str, Counter[str]] = {}


def _fuzz_one(target: str, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    counts = OUTCOMES.setdefault(target, Counter())
    try:
        text = render_file(path)
    except CigenError as exc:
        line = exc.one_line()
        assert "\n" not in line and line, repr(line)
        assert exc.exit_code in (2, 3)
        counts["refused: " + type(exc).__name__] += 1
    else:
        assert text.endswith("\n") and "version:" in text
        counts["rendered"] += 1
    counts["inputs"] += 1
    if counts["inputs"] % 1000 == 0:
        _write_report()


def _write_report() -> None:
    target = os.environ.get("CIGEN_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps({k: dict(v) for k, v in OUTCOMES.items()}, indent=1) + "\n")


def _report() -> None:
    _write_report()
    print("\nfuzz outcomes:", json.dumps({k: dict(v) for k, v in OUTCOMES.items()}))


def _run(target: str, strategy: st.SearchStrategy[bytes], path: Path) -> None:
    # Any exception other than CigenError escapes _fuzz_one and hypothesis reports it (minimised).
    @FUZZ
    @given(strategy)
    def fuzz(data: bytes) -> None:
        _fuzz_one(target, path, data)

    fuzz()
    _report()


TARGETS: dict[str, Callable[[], st.SearchStrategy[bytes]]] = {
    "arbitrary bytes": lambda: st.binary(max_size=4096),
    "mutated envs files": mutated_seeds,
    "structured documents": structured_documents,
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_fuzz_never_crashes(target: str, tmp_path: Path) -> None:
    _run(target, TARGETS[target](), tmp_path / "envs.toml")
    counts = OUTCOMES[target]
    assert counts["inputs"] >= FUZZ_EXAMPLES // 2  # the target really ran (hypothesis may dedupe)
