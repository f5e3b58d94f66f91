"""Exact set questions about filter patterns, checked against Python's regex engine as the oracle."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gen import regexlang as rl


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (rl.Regex(r"^v\d+\.\d+\.\d+$"), "v0.0.0"),
        (rl.Regex(r"(^a|b)c"), "ac"),
        (rl.Regex(r"dev/*"), "dev"),  # a regex, not a glob: "dev" followed by any number of slashes
        (rl.Regex(r"a{3}b{2,4}"), "aaabb"),
        (rl.Regex(r"(?i)MAIN"), "main"),
        (rl.Regex(r"[^\d]+"), "a"),
        (rl.Regex(r"release/.*"), "release/"),
        (rl.ANY_NAME, "a"),
        (rl.inter(rl.Regex(r"^v.*"), rl.compl(rl.Regex(r"^v1.*"))), "v"),
        (rl.inter(rl.Prefix("rel"), rl.compl(rl.Exact("rel"))), "rela"),
        (rl.inter(rl.Regex(r"\d{4}\.\d+"), rl.compl(rl.Regex(r"2\d{3}\..*"))), "0000.0"),
    ],
)
def test_shortest_member(lang: rl.Lang, expected: str) -> None:
    assert rl.example(lang) == expected


@pytest.mark.parametrize(
    "lang",
    [
        rl.Regex(r"v1$x"),  # `$` in the middle: nothing can follow the end of the name
        rl.Regex(r"a^b"),  # `^` after a character
        rl.Regex(r"^$"),  # only the empty string, and a name is never empty
        rl.Regex(r"main branch"),  # git names have no spaces
        rl.Regex(r"feature/*.x$y"),
        rl.Exact("dev/*"),  # git names have no `*`
        rl.NO_NAME,
        rl.compl(rl.ANY_NAME),
        rl.Compl(rl.Regex(".*")),
        rl.inter(rl.Regex(r"v\d+"), rl.Regex(r"release-.*")),
        rl.inter(rl.Regex(r"^v\d+\.\d+\.\d+$"), rl.compl(rl.Regex(r"^v.*"))),
    ],
)
def test_empty(lang: rl.Lang) -> None:
    assert rl.is_empty(lang)


@pytest.mark.parametrize("body", [r"(?=a)a", r"(?!a)b", r"(?<=a)b", r"\bfoo", r"(a)\1", r"a*+", r"(?>a)"])
def test_unmodelled_constructs_are_refused_not_guessed(body: str) -> None:
    with pytest.raises(rl.Unsupported):
        rl.example(rl.Regex(body))


def test_a_regex_that_does_not_compile_is_unsupported() -> None:
    with pytest.raises(rl.Unsupported, match="does not compile"):
        rl.regex_of("(")


def test_a_huge_repeat_is_refused_instead_of_exhausting_memory() -> None:
    with pytest.raises(rl.Unsupported, match="too large"):
        rl.example(rl.Regex(r"(a{100}){300}"))


# -- property: the automata agree with Python's re on membership -----------------------------------

ATOMS = ["a", "b", "v", "1", ".", "/", "-", r"\d", r"\w", "[ab]", "[^a]", "."]


@st.composite
def regexes(draw: st.DrawFn, depth: int = 0) -> str:
    """Small regexes over a few characters, with anchors, groups, alternation and repeats."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["atom", "atom", "atom", "group", "anchor", "repeat"]))
        if kind == "group" and depth < 2:
            alts = [draw(regexes(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
            parts.append("(" + "|".join(alts) + ")")
        elif kind == "anchor":
            parts.append(draw(st.sampled_from(["^", "$"])))
        elif kind == "repeat":
            quantifier = draw(st.sampled_from(["*", "+", "?", "{2}", "{1,3}"]))
            parts.append(draw(st.sampled_from(ATOMS)) + quantifier)
        else:
            atom = draw(st.sampled_from(ATOMS))
            parts.append(re.escape(atom) if atom in ".-/" and draw(st.booleans()) else atom)
    return "".join(parts)


names = st.text(alphabet="abv1./-_ A", min_size=1, max_size=6)


def _member(lang: rl.Lang, name: str) -> bool:
    """The oracle: evaluate a formula directly with Python's re (whole-name match, git name rules)."""
    if re.search(r"[\x00-\x20\x7f~^:?*\[\\]", name):
        return False
    if isinstance(lang, rl.Regex):
        return re.fullmatch(lang.body, name, re.ASCII) is not None
    if isinstance(lang, rl.Exact):
        return name == lang.name
    if isinstance(lang, rl.Prefix):
        return name.startswith(lang.prefix)
    if isinstance(lang, rl.AnyName):
        return True
    if isinstance(lang, rl.Union):
        return any(_member(p, name) for p in lang.parts)
    if isinstance(lang, rl.Inter):
        return all(_member(p, name) for p in lang.parts)
    assert isinstance(lang, rl.Compl)
    return not _member(lang.part, name)


@settings(max_examples=300, deadline=None)
@given(body=regexes(), name=names)
def test_membership_agrees_with_python_re(body: str, name: str) -> None:
    lang = rl.Regex(body)
    assert (not rl.is_empty(rl.inter(rl.Exact(name), lang))) == _member(lang, name)


@settings(max_examples=200, deadline=None)
@given(a=regexes(), b=regexes(), name=names)
def test_boolean_combinations_agree_with_python_re(a: str, b: str, name: str) -> None:
    la, lb = rl.Regex(a), rl.Regex(b)
    for lang in (rl.union(la, lb), rl.inter(la, lb), rl.difference(la, lb), rl.compl(la)):
        assert (not rl.is_empty(rl.inter(rl.Exact(name), lang))) == _member(lang, name)


@settings(max_examples=200, deadline=None)
@given(a=regexes(), b=regexes())
def test_every_example_is_a_member_and_empty_means_empty(a: str, b: str) -> None:
    lang = rl.difference(rl.Regex(a), rl.Regex(b))
    found = rl.example(lang)
    if found is None:
        # Exhaustive over short names on the regexes' own alphabet: none may be a member.
        for name in ["a", "b", "v", "1", ".", "/", "-", "_", "ab", "v1", "a/", "1.", "aa", "bb", "a-b"]:
            assert not _member(lang, name)
    else:
        assert _member(lang, found)
