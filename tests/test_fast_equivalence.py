"""The speed-ups of issue 6 change no output: each fast path equals the plain code it replaced.

The reference implementations below are the straightforward versions the fast paths replaced; the
property tests feed both the same arbitrary input (all of Unicode, including the characters that
must be escaped) and demand identical results.
"""

from __future__ import annotations

import re
from collections import UserDict
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gen import yamlsafe
from gen.filters import ALL, Clause, ClauseKind, Pattern, RefSet, union_all
from gen.yamlsafe import _ALLOWED, _PLAIN, YamlText

# Text that hits every branch: plain ASCII, quotes and backslashes, tabs and line breaks, C0/C1
# controls, the invisible and bidirectional controls, surrogates and astral characters.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('abc:#-"\\\t\n\r $/(0')),
        st.characters(codec=None, min_codepoint=0, max_codepoint=0x3000),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.characters(min_codepoint=0xFE00, max_codepoint=0x1F700),
    ),
    max_size=40,
)


# The allowed characters as gen.yamlsafe listed them before issue 6 (slow to compile); the module now
# writes the complement, which must be the very same set.
_ALLOWED_AS_LISTED = re.compile(
    "[\t\n\x20-\x7e\xa0-\u200a\u2010-\u2027\u202f-\u205f\u2070-\ud7ff\ue000-\ufefe"
    "\uff00-\ufffd\U00010000-\U0010ffff]"
)


def test_allowed_characters_are_the_listed_set_for_every_code_point() -> None:
    for code in range(0x110000):
        ch = chr(code)
        listed = _ALLOWED_AS_LISTED.fullmatch(ch) is not None
        assert (yamlsafe._ALLOWED.fullmatch(ch) is not None) == listed, hex(code)
        assert (yamlsafe._LINE_ALLOWED.fullmatch(ch) is not None) == (listed and ch != "\t"), hex(code)
        assert (yamlsafe._NO_ESCAPE.fullmatch(ch) is not None) == (listed and ch not in '\t\n"\\'), hex(code)


def reference_all_allowed(text: str) -> bool:
    return all(_ALLOWED.fullmatch(ch) and ch != "\t" for ch in text)


def reference_double_quoted(value: str) -> str:
    if _PLAIN.fullmatch(value) and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return '"' + "".join(yamlsafe._escape_char(ch) for ch in value) + '"'


def reference_quote_str(value: str) -> str:
    return value if yamlsafe.is_plain_safe(value) else reference_double_quoted(value)


@settings(max_examples=500)
@given(TEXT)
def test_line_check_equals_per_character_check(text: str) -> None:
    assert yamlsafe._all_allowed(text) == reference_all_allowed(text)


@settings(max_examples=500)
@given(TEXT)
def test_double_quoted_equals_per_character_escaping(text: str) -> None:
    assert yamlsafe.double_quoted(text) == reference_double_quoted(text)


@settings(max_examples=500)
@given(TEXT)
def test_cached_quote_equals_uncached(text: str) -> None:
    first = yamlsafe.quote(text)
    assert first == reference_quote_str(text)
    assert yamlsafe.quote(text) == first  # a cache hit gives the same text
    assert isinstance(first, YamlText)


def test_quote_keeps_its_type_dispatch() -> None:
    # The str fast path must not swallow the other types (bool is an int, YamlText is a str).
    assert yamlsafe.quote(True) == "true"
    assert yamlsafe.quote(3) == "3"
    marked = YamlText('"already"')
    assert yamlsafe.quote(marked) is marked
    assert yamlsafe.quote("yes") == '"yes"'


class _Frozen(dict[str, str]):
    """A Mapping that is not exactly a dict: the slow ABC path must still be taken."""


def _ref_lines(value: Any, indent: int) -> list[str]:
    # gen.yamlsafe._lines before issue 6, with the abstract-base-class checks.
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for k, v in value.items():
            out.extend(_ref_entry(pad + yamlsafe.quote(str(k)) + ":", v, indent))
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            sub = _ref_lines(item, indent + 2) if _ref_is_collection(item) and item else None
            if sub is None:
                out.append(pad + "- " + yamlsafe._scalar_block(item, indent) if not _ref_is_collection(item)
                           else pad + "- " + ("{}" if isinstance(item, Mapping) else "[]"))
            else:
                out.append(pad + "- " + sub[0][indent + 2:])
                out.extend(sub[1:])
        return out
    return [pad + yamlsafe._scalar_block(value, indent - 2)]


def _ref_entry(head: str, value: Any, indent: int) -> list[str]:
    if _ref_is_collection(value) and value:
        return [head, *_ref_lines(value, indent + 2)]
    if _ref_is_collection(value):
        return [head + (" {}" if isinstance(value, Mapping) else " []")]
    return [head + " " + yamlsafe._scalar_block(value, indent)]


def _ref_is_collection(value: Any) -> bool:
    return isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str))


class _Table(UserDict[str, Any]):
    """A Mapping that is not a dict, so the general (abstract base class) path is exercised too."""


@settings(max_examples=300)
@given(st.recursive(
    st.one_of(TEXT, st.booleans(), st.integers()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), inner, max_size=3),
        st.dictionaries(st.text("abcxyz", min_size=1, max_size=4), inner, max_size=3).map(_Table),
    ),
    max_leaves=10,
), st.sampled_from([0, 2, 6, 12]))
def test_block_equals_the_abstract_base_class_version(value: Any, indent: int) -> None:
    assert yamlsafe._is_collection(value) == _ref_is_collection(value)
    assert yamlsafe._is_mapping(value) == isinstance(value, Mapping)
    assert yamlsafe._lines(value, indent) == _ref_lines(value, indent)
    if isinstance(value, dict | list | tuple | _Table):
        assert yamlsafe.block(value, indent) == "\n".join(_ref_lines(value, indent))


@settings(max_examples=300)
@given(st.lists(TEXT, max_size=4).map(tuple), st.sampled_from([0, 12, 16]))
def test_cached_block_of_names_equals_the_plain_block(names: tuple[str, ...], indent: int) -> None:
    assert yamlsafe.block(names, indent) == "\n".join(_ref_lines(names, indent))
    assert yamlsafe.block(names, indent) == "\n".join(_ref_lines(names, indent))  # from the cache


# --------------------------------------------------------------------------------------------------
# Filter propagation: the one-pass union of many sets equals the pairwise fold it replaced.

_RAW = ["main", "dev", "a1", "b2", "/^a.*/", "/b./", "/.*/", "/^v\\d+$/", "release/1", "/^release\\/.*/"]
_CLAUSE = st.one_of(
    st.just(ALL),
    st.builds(lambda ps: Clause(ClauseKind.ONLY, tuple(dict.fromkeys(Pattern(p) for p in ps))),
              st.lists(st.sampled_from(_RAW), min_size=1, max_size=3)),
    st.builds(lambda ps: Clause(ClauseKind.IGNORE, tuple(dict.fromkeys(Pattern(p) for p in ps))),
              st.lists(st.sampled_from(_RAW), min_size=1, max_size=3)),
)
# Mostly without ALL (the interesting case), sometimes with it (the early exits).
_REFSET = st.one_of(
    st.lists(_CLAUSE.filter(lambda c: c.kind is not ClauseKind.ALL), max_size=4).map(
        lambda cs: RefSet(tuple(dict.fromkeys(cs)))),
    st.lists(_CLAUSE, max_size=3).map(lambda cs: RefSet(tuple(dict.fromkeys(cs)))),
)


@settings(max_examples=400)
@given(_REFSET, st.lists(_REFSET, max_size=8))
def test_union_all_equals_the_pairwise_fold(first: RefSet, others: list[RefSet]) -> None:
    fold = first
    for other in others:
        fold = fold.union(other)
    assert union_all(first, others) == fold


def test_union_all_of_nothing_new_is_the_same_object() -> None:
    main = RefSet.of(Clause(ClauseKind.ONLY, (Pattern("main"),)))
    assert union_all(main, [main, RefSet()]) is main


_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1"
_PATTERNS = ["main", "dev", "/^a.*/", "/^v\\d+$/", "/^wip\\/.*/", "/.*/", "rel"]
_REF_FILTER = st.one_of(
    st.none(),
    st.fixed_dictionaries({"only": st.lists(st.sampled_from(_PATTERNS), max_size=2)}),
    st.fixed_dictionaries({"ignore": st.lists(st.sampled_from(_PATTERNS), min_size=1, max_size=2)}),
)


@st.composite
def _envs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 9))
    environments: dict[str, Any] = {}
    for i in range(n):
        env: dict[str, Any] = {
            "requires": sorted(set(draw(st.lists(st.integers(0, max(i - 1, 0)), max_size=3)))) if i else [],
            "tags": {"only": "/^v\\d+$/"},  # every environment runs for release tags: never "never runs"
        }
        env["requires"] = [f"e{r}" for r in env["requires"]]
        for dim in ("branches", "tags"):
            spec = draw(_REF_FILTER)
            if spec is not None:
                env[dim] = spec
        env["approval"] = draw(st.booleans())
        environments[f"e{i}"] = env
    return {"filters": draw(st.sampled_from(["expression", "map"])),
            "defaults": {"image": _IMAGE, "steps": ["checkout"]}, "environments": environments}


@settings(max_examples=200, deadline=None)
@given(_envs())
def test_plan_propagation_and_filters_equal_the_plain_fold(data: dict[str, Any]) -> None:
    # What build_plan computed with its caches and union_all must be what the definition says: each
    # job admits its own trigger folded with everything its dependents admit, and its filters are
    # that trigger written out.
    from pathlib import Path

    from gen.errors import InputError
    from gen.filters import to_expression, to_map
    from gen.loader import validate
    from gen.plan import build_plan

    try:
        plan = build_plan(validate(data, Path("envs.toml")), Path("envs.toml"))
    except InputError as exc:  # an environment that never runs, or a map union needing lookahead
        assert "never run" in exc.message or "lookahead" in exc.message, exc.message
        return
    below: dict[str, list[str]] = {n: [] for n in plan.requires}
    for n, reqs in plan.requires.items():
        for r in reqs:
            below[r].append(n)
    expected: dict[str, Any] = {}
    for wj in reversed(plan.workflow_jobs):
        if wj.env in expected:
            continue
        acc = plan.triggers[wj.env]
        for d in below[wj.env]:
            acc = acc.union(expected[d])
        expected[wj.env] = acc
    for wj in plan.workflow_jobs:
        assert wj.admitted == expected[wj.env]
        if plan.filter_style == "expression":
            assert wj.filters.expression == to_expression(wj.admitted)
        else:
            b, t = to_map(wj.admitted.branches, "branch"), to_map(wj.admitted.tags, "tag")
            assert (wj.filters.branches, wj.filters.tags) == (b if b.key else None, t if t.key else None)


def test_whitespace_regex_is_str_isspace_for_every_code_point() -> None:
    from gen.plan import WHITESPACE

    for code in range(0x110000):
        ch = chr(code)
        assert (WHITESPACE.search(ch) is not None) == ch.isspace(), hex(code)


# --------------------------------------------------------------------------------------------------
# lint: the one-pass secret pre-check finds something exactly when the per-string walk does.

_KEYISH = st.sampled_from([
    "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPL", "AKIAIOSFOD", "NN7EXAMPLE",  # a key id, too short, halves
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG", "/bPxRfiCYEXAMPLEKEY",  # a secret, halves
    "AKIA", "ASIA", "A3TX", "akia", "KEY=", "/", "+", "=", "\n", " ", "x", "Z9",
])
_B64 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456789/+=", min_size=0, max_size=44)
_SECRETISH = st.lists(st.one_of(_KEYISH, _B64), max_size=4).map("".join)
_DOCS = st.recursive(
    st.one_of(_SECRETISH, st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_SECRETISH, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=600)
@given(_DOCS)
def test_secret_precheck_agrees_with_the_walk(doc: Any) -> None:
    from gen import lint

    def walk_finds() -> bool:
        for _, text in lint._walk(doc, ()):
            if lint.AWS_KEY_ID.search(text):
                return True
            if any(lint._is_secret_like(m.group()) for m in lint.SECRET_40.finditer(text)):
                return True
        return False

    assert lint._may_hold_secrets(doc) == walk_finds()


# --------------------------------------------------------------------------------------------------
# engine.read_filters: map filters are read once per distinct value, then placed at each path.

_FILTER_VALUES = st.recursive(
    st.one_of(st.sampled_from(["main", "/^v.*/", "/[/", "a b", "/.*/", "release/*"]), st.integers(0, 2),
              st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["branches", "tags", "only", "ignore", "other"]), inner, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=400)
@given(_FILTER_VALUES, st.lists(st.one_of(st.text("abc", min_size=1, max_size=3), st.integers(0, 3)),
                                min_size=1, max_size=4))
def test_cached_map_filters_equal_a_fresh_read_at_every_path(raw: Any, path: list[Any]) -> None:
    from gen import engine

    def outcome(read: Any) -> Any:
        try:
            f = read()
        except engine.FilterError as exc:
            return ("error", exc.kind, exc.path, exc.message)
        return ("ok", f)

    if raw is None or isinstance(raw, str):
        return
    for where in (tuple(path), ("elsewhere", *path)):
        cached = outcome(lambda where=where: engine.read_filters(raw, where))
        fresh = outcome(lambda where=where: engine._read_map_filters(raw, where))
        assert cached == fresh


def test_errors_only_lint_is_the_errors_of_the_full_lint() -> None:
    from pathlib import Path

    from gen.lint import lint_data, parse_yaml_rt

    corpus = sorted((Path(__file__).parent / "data" / "lint").glob("*.yml"))
    assert corpus
    for path in corpus:
        try:
            data = parse_yaml_rt(path.read_text(encoding="utf-8"), path)
        except Exception:  # the corpus has a file that is not YAML on purpose
            continue
        full = lint_data(data, file=str(path))
        assert lint_data(data, file=str(path), errors_only=True) == [f for f in full if f.severity == "error"]


def test_lint_findings_are_the_same_with_cold_and_warm_filter_caches() -> None:
    from pathlib import Path

    from gen import engine, lint

    corpus = sorted((Path(__file__).parent / "data" / "lint").glob("*.yml"))
    datas = []
    for path in corpus:
        try:
            datas.append((path, lint.parse_yaml_rt(path.read_text(encoding="utf-8"), path)))
        except Exception:  # the corpus has a file that is not YAML on purpose
            continue
    lint._FILTER_FINDINGS.clear()
    engine._MAP_FILTERS.clear()
    cold = [lint.lint_data(data, file=str(path)) for path, data in datas]
    warm = [lint.lint_data(data, file=str(path)) for path, data in datas]
    assert cold == warm
    assert any(cold)  # the corpus has findings to compare
