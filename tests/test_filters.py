"""CircleCI filter semantics, union and both output styles (gen.filters)."""

from __future__ import annotations

import re

import pytest

from gen.filters import (
    ALL,
    Clause,
    ClauseKind,
    MapDimension,
    NotExpressible,
    Pattern,
    RefSet,
    Trigger,
    clause_from_lists,
    to_expression,
    to_map,
)


def refs(only: list[str] | None = None, ignore: list[str] | None = None, kind: str = "branch") -> RefSet:
    return RefSet.of(clause_from_lists(
        tuple(only) if only is not None else None,
        tuple(ignore) if ignore is not None else None,
        "branch" if kind == "branch" else "tag",
    ))


class TestPattern:
    def test_regex_must_match_the_whole_name(self) -> None:
        p = Pattern("/release/")
        assert p.matches("release")
        assert not p.matches("release/1.0")
        assert not p.matches("pre-release")

    def test_anything_without_slashes_is_an_exact_name(self) -> None:
        p = Pattern("main.*")
        assert p.matches("main.*")
        assert not p.matches("main-2")

    def test_a_lone_slash_is_an_exact_name(self) -> None:
        assert Pattern("/").matches("/")
        assert not Pattern("/").is_regex


class TestDefaults:
    def test_no_branch_filter_means_every_branch(self) -> None:
        assert refs().admits("anything")

    def test_no_tag_filter_means_no_tag(self) -> None:
        assert not refs(kind="tag").admits("v1.0.0")

    def test_only_empty_list_means_none(self) -> None:
        assert refs(only=[]).is_empty

    def test_ignore_match_all_means_none(self) -> None:
        assert refs(ignore=["/.*/"]).is_empty

    def test_only_beats_ignore(self) -> None:
        # CircleCI: "If both only and ignore are specified the only is considered before ignore."
        r = refs(only=["main"], ignore=["main"])
        assert r.admits("main")
        assert not r.admits("dev")


class TestUnion:
    def test_own_clauses_stay_first(self) -> None:
        a = refs(only=["main"])
        b = refs(only=["/^release\\/.*/"])
        u = a.union(b)
        assert [c.patterns[0].raw for c in u.clauses] == ["main", "/^release\\/.*/"]

    def test_union_with_all_is_all(self) -> None:
        assert refs(only=["main"]).union(refs()).is_all

    def test_exact_names_already_admitted_are_not_repeated(self) -> None:
        u = refs(ignore=["/^wip\\/.*/"]).union(refs(only=["main", "wip/x"]))
        assert u.clauses == (
            Clause(ClauseKind.IGNORE, (Pattern("/^wip\\/.*/"),)),
            Clause(ClauseKind.ONLY, (Pattern("wip/x"),)),
        )

    @pytest.mark.parametrize("name", ["main", "wip/x", "dev", "release/1"])
    def test_union_admits_exactly_either_side(self, name: str) -> None:
        a, b = refs(ignore=["/^wip\\/.*/"]), refs(only=["main", "wip/x"])
        assert a.union(b).admits(name) == (a.admits(name) or b.admits(name))


class TestToMap:
    def test_all_branches_is_omitted(self) -> None:
        assert to_map(RefSet((ALL,)), "branch") == MapDimension(None)

    def test_no_branch_is_ignore_everything(self) -> None:
        assert to_map(RefSet(), "branch") == MapDimension("ignore", ("/.*/",))

    def test_no_tag_is_omitted_and_all_tags_is_only_everything(self) -> None:
        assert to_map(RefSet(), "tag") == MapDimension(None)
        assert to_map(RefSet((ALL,)), "tag") == MapDimension("only", ("/.*/",))

    def test_only_lists_are_concatenated(self) -> None:
        u = refs(only=["main"]).union(refs(only=["/^v.*/", "main"]))
        assert to_map(u, "branch") == MapDimension("only", ("main", "/^v.*/"))

    def test_only_with_ignore_drops_ignored_names_that_only_admits(self) -> None:
        u = refs(ignore=["main", "/^wip\\/.*/"]).union(refs(only=["main"]))
        assert to_map(u, "branch") == MapDimension("ignore", ("/^wip\\/.*/",))

    def test_two_ignore_lists_keep_the_names_both_ignore(self) -> None:
        u = refs(ignore=["a", "b"]).union(refs(ignore=["b", "/^c.*/"]))
        assert to_map(u, "branch") == MapDimension("ignore", ("b",))

    def test_overlapping_regexes_are_refused_rather_than_guessed(self) -> None:
        u = refs(ignore=["/^a.*/"]).union(refs(ignore=["/^b.*/"]))
        with pytest.raises(NotExpressible):
            to_map(u, "branch")

    def test_only_regex_with_ignore_regex_is_refused(self) -> None:
        u = refs(ignore=["/^a.*/"]).union(refs(only=["/^ab.*/"]))
        with pytest.raises(NotExpressible):
            to_map(u, "branch")


class TestToExpression:
    def test_default_trigger_has_no_filters(self) -> None:
        assert to_expression(Trigger(refs(), RefSet())) is None

    def test_the_issue_example(self) -> None:
        t = Trigger(refs(), refs(only=["/^\\d{4}\\.\\d+$/"], kind="tag"))
        assert to_expression(t) == "pipeline.git.branch or (pipeline.git.tag matches /^\\d{4}\\.\\d+$/)"

    def test_exact_names_are_string_literals_with_escapes(self) -> None:
        t = Trigger(refs(only=['we"ird\\name']), RefSet())
        assert to_expression(t) == 'pipeline.git.branch == "we\\"ird\\\\name"'

    def test_ignore_is_all_but(self) -> None:
        t = Trigger(refs(ignore=["/^wip\\/.*/"]), RefSet())
        assert to_expression(t) == "pipeline.git.branch and not (pipeline.git.branch matches /^wip\\/.*$/)"

    @pytest.mark.parametrize(
        ("body", "written"),
        [
            ("^v\\d+$", "/^v\\d+$/"),  # already anchored: as written
            ("v\\d+", "/^v\\d+$/"),  # anchored so it must match the whole name, as map filters do
            ("a|b", "/^(?:a|b)$/"),  # top-level alternation is grouped before anchoring
            ("(a|b)c", "/^(a|b)c$/"),
            ("[|]x", "/^[|]x$/"),  # a | inside a class is not alternation
            ("a/b", "/^a\\/b$/"),  # an unescaped slash cannot end the literal early
            ("a\\$", "/^a\\$$/"),  # an escaped dollar is not an anchor
        ],
    )
    def test_regexes_are_written_to_match_the_whole_name(self, body: str, written: str) -> None:
        t = Trigger(RefSet(), refs(only=[f"/{body}/"], kind="tag"))
        expr = to_expression(t)
        assert expr == f"pipeline.git.tag matches {written}"

    @pytest.mark.parametrize("body", ["^v\\d+$", "v\\d+", "a|b", "(a|b)c", "[|]x", "a\\$", "^a|b$"])
    @pytest.mark.parametrize("name", ["v1", "v12", "a", "b", "ac", "bc", "|x", "a$", "xa", "ab", "v1x"])
    def test_written_regex_means_the_same_as_the_map_pattern(self, body: str, name: str) -> None:
        expr = to_expression(Trigger(RefSet(), refs(only=[f"/{body}/"], kind="tag")))
        assert expr is not None
        written = expr.removeprefix("pipeline.git.tag matches /")[:-1].replace("\\/", "/")
        assert (re.search(written, name) is not None) == Pattern(f"/{body}/").matches(name)


# --- property: the map form admits exactly the union -------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NAMES = ["main", "dev", "a", "ab", "b", "v1", "v1.2", "wip/x"]
PATTERNS = st.sampled_from([*NAMES, "/a.*/", "/v\\d+/", "/wip\\/.*/", "/.*/", "/b/"])
SIDES = st.tuples(
    st.one_of(st.none(), st.lists(PATTERNS, max_size=3)),
    st.one_of(st.none(), st.lists(PATTERNS, max_size=3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SIDES, min_size=1, max_size=4), st.sampled_from(["branch", "tag"]))
def test_map_form_admits_exactly_the_union(sides: list[tuple[list[str] | None, list[str] | None]],
                                           kind: str) -> None:
    union = RefSet()
    for only, ignore in sides:
        union = union.union(refs(only, ignore, kind))
    try:
        dim = to_map(union, "branch" if kind == "branch" else "tag")
    except NotExpressible:
        return
    back = refs(
        list(dim.patterns) if dim.key == "only" else None,
        list(dim.patterns) if dim.key == "ignore" else None,
        kind,
    )
    for name in [*NAMES, "zzz", "a/b", "v12"]:
        assert back.admits(name) == union.admits(name), (dim, name)
