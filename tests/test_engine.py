"""The engine: CircleCI's expression grammar and semantics, map filters, and job verdicts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gen import regexlang as rl
from gen.engine import (
    Binary,
    Event,
    ExprFilter,
    ExprSyntaxError,
    FilterError,
    Lit,
    Logical,
    MapFilter,
    Not,
    PatternValue,
    Var,
    check_expression,
    evaluate,
    explain,
    expression_language,
    parse_expression,
    read_config,
    read_filters,
)
from gen.errors import InputError

B, T = "pipeline.git.branch", "pipeline.git.tag"


def branch(name: str) -> Event:
    return Event("branch", name)


def tag(name: str) -> Event:
    return Event("tag", name)


def admits(text: str, event: Event) -> bool:
    expr = parse_expression(text)
    assert check_expression(expr) is None
    return evaluate(expr, event)


# -- grammar and precedence ---------------------------------------------------------------------------


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    e = parse_expression("not a or b and c")
    assert isinstance(e, Logical) and e.op == "or"
    assert isinstance(e.left, Not) and isinstance(e.left.operand, Var)
    assert isinstance(e.right, Logical) and e.right.op == "and"


def test_equality_and_builtins_bind_tighter_than_and() -> None:
    e = parse_expression(f'{B} == "main" and {T} starts-with "v"')
    assert isinstance(e, Logical) and e.op == "and"
    assert isinstance(e.left, Binary) and e.left.op == "=="
    assert isinstance(e.right, Binary) and e.right.op == "starts-with"


def test_literals_and_escapes() -> None:
    e = parse_expression(r'"a\"b\\c" == "x\y"')
    assert isinstance(e, Binary) and isinstance(e.left, Lit) and isinstance(e.right, Lit)
    assert e.left.value == 'a"b\\c'
    assert e.right.value == "x\\y"  # a backslash before anything else stays a backslash


def test_a_pattern_literal_unescapes_only_the_slash() -> None:
    e = parse_expression(rf"{B} matches /^wip\/\d+$/")
    assert isinstance(e, Binary) and isinstance(e.right, Lit)
    value = e.right.value
    assert isinstance(value, PatternValue) and value.source == r"^wip/\d+$"


def test_upper_case_keywords_and_bang() -> None:
    assert admits(f'{B} == "x" OR TRUE AND NOT FALSE', branch("main"))
    assert admits(f'!({B} == "x")', branch("main"))
    assert admits(f'{B} != "x"', branch("main"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'{B} = "main"', "incomplete operator at column 21: expected =="),
        (f'{B} == "main', "unterminated string starting at column 24"),
        (f"{B} matches /^v.*", "unterminated pattern starting at column 29"),
        (f'({B} == "main"', "expected ')' at column 31"),
        ("and", "expected an expression at column 1, found 'and'"),
        (f'{B} == "a" "b"', "unexpected '\"b\"' at column 28 after a complete expression"),
        (f"{B} == @", "unexpected character '@' at column 24"),
        ("", "expected an expression at column 1, found the end"),
        (f"{B} matches /(/", "does not compile"),
        (f"{B} matches /^(?!wip)/", "RE2 has no look-ahead"),
        (rf"{B} matches /(a)\1/", "RE2 has no back-references"),
        (f"{B} matches /a*+/", "RE2 has no possessive repeats"),
        (rf"{B} matches /^x(?<!y)/", "RE2 has no look-ahead or look-behind"),
        (rf"{B} matches /^v\Z/", r"RE2 has no \Z"),
        (f"{B} matches /^é€$/", "not ASCII or Latin-1"),
        (f"{B} matches /{'a' * 257}/", "longer than CircleCI's limit of 256 bytes"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ExprSyntaxError, match=re.escape(message)):
        parse_expression(text)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ('pipeline.parameters.deploy == "yes"', "unsupported", "not pipeline.parameters.deploy"),
        (f"{B} == 1", "unsupported", "number literals"),
        ("pipeline.number > 3", "unsupported", "not pipeline.number"),
        (f'{B} contains "x"', "unsupported", "'contains'"),
        ('true starts-with "x"', "invalid", "needs string operands"),
        (f'{B} matches "main"', "invalid", "needs a /pattern/ on its right"),
        ("/x/ matches /x/", "invalid", "needs a string on its left"),
        (f"({B} or true) starts-with \"v\"", "unsupported", "only between strings"),
        (f'({B} == "x") starts-with "v"', "invalid", "needs string operands"),
        (rf"{B} matches /^\p{{L}}+$/", "unsupported", r"\p{…}"),
        (rf"{B} matches /^[a-z]\z/", "unsupported", r"\z"),
    ],
)
def test_what_cigen_does_not_evaluate_is_named(text: str, kind: str, message: str) -> None:
    problem = check_expression(parse_expression(text))
    assert problem is not None
    assert problem[0] == kind
    assert message in problem[1]


# -- CircleCI's evaluation rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "event", "expected"),
    [
        (B, branch("main"), True),
        (B, tag("v1"), False),  # a tag pipeline has no branch: undefined is falsy
        (f'{B} != "main"', tag("v1"), False),  # undefined infects comparisons: undefined, not true
        (f'not ({B} == "main")', tag("v1"), True),  # not undefined is true
        (f"{B} or {T}", tag("v1"), True),
        (f'{B} and not ({B} matches /^wip\\/.*$/)', branch("wip/x"), False),
        (f'{B} and not ({B} matches /^wip\\/.*$/)', branch("main"), True),
        (f'{B} and not ({B} matches /^wip\\/.*$/)', tag("wip/x"), False),
        (f"{T} matches /v\\d+/", tag("v12"), True),
        (f"{T} matches /v\\d+/", tag("xv12"), False),  # matches is a whole-name match
        (f"{T} matches /v\\d+/", tag("v12x"), False),
        (f"{B} matches /a|ab/", branch("ab"), True),
        (f'{T} starts-with "release-"', tag("release-1"), True),
        (f'{T} starts-with "release-"', branch("release-1"), False),
        ('true == "true"', branch("x"), False),  # equality is type-sensitive
        (f'"" == {B}', branch("x"), False),
        (f"{T} == {T}", branch("x"), False),  # undefined is not even equal to itself
        (f"{B} matches /\\d+/", branch("١٢"), False),  # \d is ASCII, as in RE2 and Java
    ],
)
def test_evaluation(text: str, event: Event, expected: bool) -> None:
    assert admits(text, event) is expected


@pytest.mark.parametrize(
    ("text", "branch_name", "tag_name"),
    [
        ('(pipeline.git.branch == "main") or (pipeline.git.tag matches /^v\\d+\\.\\d+\\.\\d+$/)',
         "main", "v1.2.3"),
        ('(pipeline.git.branch == "main" or pipeline.git.branch matches /^release\\/.*$/) or '
         "(pipeline.git.tag matches /^\\d{4}\\.\\d+$/)", "release/7", "2025.3"),
        ("(pipeline.git.branch and not (pipeline.git.branch matches /^wip\\/.*$/ or "
         "pipeline.git.branch matches /^dependabot\\/.*$/)) or "
         "(pipeline.git.tag matches /^v\\d+\\.\\d+\\.\\d+$/)", "feature", "v0.0.1"),
        ("pipeline.git.branch or (pipeline.git.tag matches /^(?:a|b)$/)", "anything", "b"),
    ],
)
def test_every_form_the_renderer_writes(text: str, branch_name: str, tag_name: str) -> None:
    assert admits(text, branch(branch_name))
    assert admits(text, tag(tag_name))
    assert not admits(text, tag("nope"))


# -- the set of names an expression admits equals evaluation, name by name -----------------------------

NAME_ALPHABET = "abv1./-"


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["atom"] * 3 + (["not", "and", "or"] if depth < 3 else [])))
    if kind == "not":
        return f"not ({draw(expressions(depth + 1))})"
    if kind in ("and", "or"):
        return f"({draw(expressions(depth + 1))}) {kind} ({draw(expressions(depth + 1))})"
    var = draw(st.sampled_from([B, T]))
    lit = draw(st.text(alphabet=NAME_ALPHABET, min_size=0, max_size=3))
    regex = draw(st.sampled_from(["a.*", r"v\d+", r"[ab]+\/?", ".", "a|ab", "(^b|a)$"]))
    return draw(st.sampled_from([
        var, "true", "false",
        f'{var} == "{lit}"', f'"{lit}" == {var}', f'{var} != "{lit}"',
        f'{var} starts-with "{lit}"', f'"{lit}" starts-with {var}',
        f"{var} matches /{regex}/",
        f"{var} == {draw(st.sampled_from([B, T]))}",
    ]))


@settings(max_examples=300, deadline=None)
@given(text=expressions(), kind=st.sampled_from(["branch", "tag"]),
       name=st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=4))
def test_expression_language_matches_evaluation(text: str, kind: str, name: str) -> None:
    expr = parse_expression(text)
    assert check_expression(expr) is None
    event = Event("branch" if kind == "branch" else "tag", name)
    lang = expression_language(expr, event.kind)
    assert lang is not None
    member = not rl.is_empty(rl.inter(rl.exact(name), lang))
    assert member == evaluate(expr, event)


# -- map filters --------------------------------------------------------------------------------------


def test_map_filter_defaults_and_only_beats_ignore() -> None:
    none = read_filters(None, ("f",))
    assert isinstance(none, MapFilter) and not none.written
    assert none.admits(branch("anything")) and not none.admits(tag("v1"))
    raw = {"branches": {"only": "main", "ignore": "main"}, "tags": {"only": ["/^v.*/", "x"]}}
    f = read_filters(raw, ("f",))
    assert f.admits(branch("main")) and not f.admits(branch("dev"))
    assert f.admits(tag("v1")) and f.admits(tag("x")) and not f.admits(tag("av1"))
    assert read_filters({"tags": {"ignore": "/^wip.*/"}}, ("f",)).admits(tag("v1"))
    assert not read_filters({"branches": {"only": []}}, ("f",)).admits(branch("main"))


@pytest.mark.parametrize(
    ("raw", "kind", "path", "message"),
    [
        ({"branch": {"only": "main"}}, "invalid", ("f", "branch"), "unknown filter key 'branch'"),
        ({"branches": {"onlyy": "main"}}, "invalid", ("f", "branches", "onlyy"), "use only or ignore"),
        ({"tags": {"only": [2025]}}, "invalid", ("f", "tags", "only"), "a string or a list of strings"),
        ({"tags": {"only": ["v1", "/(/"]}}, "invalid", ("f", "tags", "only", 1), "does not compile"),
        ({"tags": "v1"}, "invalid", ("f", "tags"), "a map with only and/or ignore"),
        (["main"], "invalid", ("f",), "a map (branches/tags) or an expression"),
        ("pipeline.git.branch ==", "invalid", ("f",), "expression does not parse"),
        ('pipeline.trigger.type == "api"', "unsupported", ("f",), "pipeline.trigger.type"),
    ],
)
def test_filter_errors_name_the_yaml_path(
    raw: Any, kind: str, path: tuple[str | int, ...], message: str
) -> None:
    with pytest.raises(FilterError) as info:
        read_filters(raw, ("f",))
    assert info.value.kind == kind
    assert info.value.path == path
    assert message in info.value.message


def test_expression_filter_object() -> None:
    f = read_filters('pipeline.git.tag starts-with "v"', ("f",))
    assert isinstance(f, ExprFilter)
    assert f.admits(tag("v9")) and not f.admits(branch("v9"))


# -- verdicts -----------------------------------------------------------------------------------------


def load(text: str) -> Any:
    return YAML(typ="rt").load(text)


def verdicts(text: str, event: Event) -> dict[str, tuple[str, str]]:
    expl = explain(read_config(load(text)), event, source="t.yml", file="t.yml")
    return {v.job: (v.status, v.reason) for v in expl.verdicts}


FANIN = """
version: 2.1
jobs: {lint: {}, build: {}, publish: {}}
workflows:
  main:
    jobs:
      - lint
      - build:
          filters: {branches: {only: main}}
      - publish:
          requires: [lint, build]
"""


def test_a_required_job_that_is_filtered_out_is_dropped_when_another_runs() -> None:
    # CircleCI forum, "Jobs Run if a Required Job is Filtered": publish still runs off main.
    v = verdicts(FANIN, branch("dev"))
    assert v == {
        "lint": ("runs", "filters"), "build": ("skipped", "filtered"), "publish": ("runs", "filters")
    }
    expl = explain(read_config(load(FANIN)), branch("dev"), source="t")
    assert "build skipped and dropped from its requires" in expl.verdicts[2].detail


CHAIN = """
version: 2.1
jobs: {lint: {}, build: {}, publish: {}}
workflows:
  main:
    jobs:
      - lint
      - build:
          requires: [lint]
          filters: {branches: {only: main}}
      - publish:
          requires: [build]
"""


def test_a_job_whose_required_jobs_are_all_skipped_does_not_run() -> None:
    v = verdicts(CHAIN, branch("dev"))
    assert v["publish"] == ("skipped", "upstream-skipped")
    assert verdicts(CHAIN, branch("main"))["publish"] == ("runs", "filters")
    # On a tag nothing has tag filters: everything is filtered (not "upstream skipped").
    assert set(verdicts(CHAIN, tag("v1")).values()) == {("skipped", "filtered")}


APPROVAL = """
version: 2.1
jobs: {build: {}, deploy: {}, notify: {}}
workflows:
  main:
    jobs:
      - build
      - hold:
          type: approval
          requires: [build]
      - deploy:
          requires: [hold]
      - notify:
          requires: [deploy]
"""


def test_approval_jobs_hold_everything_behind_them() -> None:
    v = verdicts(APPROVAL, branch("main"))
    assert v == {"build": ("runs", "filters"), "hold": ("on hold", "approval"),
                 "deploy": ("after approval", "filters"), "notify": ("after approval", "filters")}
    expl = explain(read_config(load(APPROVAL)), branch("main"), source="t")
    assert expl.verdicts[3].detail.startswith("after approval of hold;")


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (FANIN.replace("requires: [lint, build]", "requires: [lint, biuld]"),
         "workflows.main.jobs.2.publish.requires.1", 'did you mean "build"?'),
        (CHAIN.replace("requires: [lint]", "requires: [publish]"),
         "workflows.main.jobs.1.build.requires", "requires form a cycle: build -> publish -> build"),
        (CHAIN.replace("{branches: {only: main}}", '"pipeline.parameters.x == true"'),
         "workflows.main.jobs.1.build.filters", "cigen evaluates only pipeline.git.branch"),
    ],
)
def test_explain_refuses_invalid_or_unevaluable_configs(text: str, key: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        explain(read_config(load(text)), branch("main"), source="t.yml", file="t.yml")
    assert info.value.key == key
    assert info.value.line is not None
    assert message in info.value.message
    assert info.value.one_line().startswith(f"t.yml:{info.value.line}: {key}: ")
