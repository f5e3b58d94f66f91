"""The YAML-quoting filters: whatever the string, both YAML readers get it back exactly."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gen.yamlsafe import block, is_plain_safe, quote

RUAMEL = YAML(typ="safe")

TRICKY = [
    "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "", " ", "1e3", "0o17", "0x1F", "2.1",
    ".inf", "-.inf", ".nan", "012", "1_000", "1:20", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "=", "<<", "- item", "? key", "key: value", "a #comment", "trailing ", " leading", "colon:",
    "*alias", "&anchor", "!tag", "%directive", "@at", "`tick", "|", ">", "{a: 1}", "[1]", "'single'",
    '"double"', "line1\nline2", "tab\there", "cr\rhere", "nul-free \x01 control", "\x7f del",
    "\x85 nel", "\u2028 ls", "\ufeff bom", "emoji 🚀", "rtl \u202eevil", "中文", "{{ 7*7 }}",
    "{% raw %}", "<< pipeline.git.branch >>", "$AWS_KEY", "/^v\\d+$/", "\\back\\slash",
]


@pytest.mark.parametrize("value", TRICKY)
def test_quoted_scalars_read_back_exactly_in_yaml_11_and_12(value: str) -> None:
    doc = f"k: {quote(value)}\n"
    assert yaml.safe_load(doc) == {"k": value}
    assert RUAMEL.load(doc) == {"k": value}


@pytest.mark.parametrize(
    "value",
    ["checkout", "$AWS_ACCESS_KEY_ID_STAGING", "/^\\d{4}\\.\\d+$/", "make deploy REGION=$AWS_REGION",
     "arn:aws:iam::123456789012:role/x", "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/repo:0.1",
     '(pipeline.git.branch == "main") or (pipeline.git.tag matches /^v$/)'],
)
def test_ordinary_values_stay_plain_as_people_write_them(value: str) -> None:
    assert quote(value) == value


@pytest.mark.parametrize("value", ["yes", "NULL", "2.1", "1e3", "a: b", "x #y", "- x", "", "12345"])
def test_values_a_reader_would_misread_are_quoted(value: str) -> None:
    assert not is_plain_safe(value)
    assert quote(value).startswith('"')


def test_non_strings() -> None:
    assert quote(True) == "true"
    assert quote(3) == "3"
    assert quote(float("inf")) == ".inf"


def test_multiline_command_is_a_literal_block() -> None:
    out = block([{"run": {"name": "x", "command": "set -e\nmake test\n"}}], 6)
    assert out == "      - run:\n          name: x\n          command: |\n            set -e\n            make test"
    assert yaml.safe_load("steps:\n" + out + "\n") == {"steps": [{"run": {"name": "x", "command": "set -e\nmake test\n"}}]}


VALUES = st.recursive(
    st.one_of(st.text(), st.booleans(), st.integers(), st.sampled_from(TRICKY)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(min_size=1), st.sampled_from(TRICKY[:30])), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(min_size=1), VALUES, min_size=1, max_size=4))
def test_block_output_reads_back_exactly(data: dict[str, object]) -> None:
    text = block(data, 0) + "\n"
    assert yaml.safe_load(text) == data
    assert RUAMEL.load(text) == data
