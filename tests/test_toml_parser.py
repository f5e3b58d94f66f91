"""envs.toml is read with tomli (compiled) when installed: the same language and messages as tomllib."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gen import loader

# TOML-ish text: keys, tables, arrays, inline tables, strings with escapes, numbers, dates, comments.
_PIECES = ["a", "b", "k1", " ", " = ", "=", "\n", "[", "]", "[[", "]]", "{", "}", ",", ".", '"', "'", '"""',
           "\\", "\\n", "\\e", "\\u00e9", "1", "-2", "3.5", "1e3", "0x1F", "_", "true", "false", "inf", "nan",
           "1979-05-27", "T07:32:00", "Z", "+01:00", "#", "é", "\t", "\r\n"]


def _outcome(module: Any, text: str) -> tuple[str, str]:
    try:
        return "ok", repr(module.loads(text))  # repr: NaN is not equal to itself
    except module.TOMLDecodeError as exc:
        return "error", str(exc)


@settings(max_examples=1500)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_same_results_and_messages_as_tomllib(text: str) -> None:
    assert _outcome(loader.tomllib, text) == _outcome(tomllib, text)


@pytest.mark.parametrize("text", [
    "a = { b = 1, }",        # TOML 1.1: trailing comma in an inline table
    "a = {\n b = 1\n}",      # TOML 1.1: newlines in an inline table
    'a = "\\e"',             # TOML 1.1: \e escape
    "a = 1979-05-27T07:32",  # TOML 1.1: seconds optional
])
def test_toml_1_1_is_refused_as_by_tomllib(text: str) -> None:
    with pytest.raises(loader.tomllib.TOMLDecodeError):
        loader.tomllib.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
