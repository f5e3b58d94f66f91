"""Branch and tag filter semantics: patterns, admitted sets, their union, and how they are written.

This is the one place that knows what CircleCI's job filters mean. Rules implemented (CircleCI
configuration reference, ``workflows.<name>.jobs.<job>.filters``):

* A pattern ``/re/`` is a regular expression that must match the *whole* name; any other string is an
  exact name.
* ``branches``: with neither ``only`` nor ``ignore`` every branch runs the job.
  ``tags``: with neither, the job runs for *no* tag.
* ``only`` is considered before ``ignore``: when ``only`` is given, the job runs for exactly the names
  that match it, and ``ignore`` has no effect.
* A branch pipeline has no tag and a tag pipeline has no branch.

An admitted set is kept as a union of *clauses* (everything / these names / all but these names), which
is exact for both output styles: expression filters write the union with ``or``; map filters collapse
it to a single ``only`` or ``ignore`` list where that is possible without regex lookahead, and say so
clearly where it is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from typing import Literal

Kind = Literal["branch", "tag"]


@dataclass(frozen=True)
class Pattern:
    """One filter entry: ``/regex/`` (whole-name match) or an exact name."""

    raw: str

    @property
    def is_regex(self) -> bool:
        """Whether this entry is written ``/…/``."""
        return len(self.raw) >= 2 and self.raw.startswith("/") and self.raw.endswith("/")

    @property
    def body(self) -> str:
        """The regex body (between the slashes) or the exact name."""
        return self.raw[1:-1] if self.is_regex else self.raw

    @cached_property
    def compiled(self) -> re.Pattern[str] | None:
        r"""The compiled regex, or None for an exact name. Raises ``re.error`` for a bad regex.

        ``re.ASCII``: CircleCI matches map filters with Java regexes and expression patterns with
        RE2; in both, ``\\d``, ``\\w`` and ``\\s`` are ASCII classes by default.
        """
        return re.compile(self.body, re.ASCII) if self.is_regex else None

    def matches(self, name: str) -> bool:
        """Whether ``name`` is matched: exact equality, or a regex matching the whole name."""
        rx = self.compiled
        if rx is None:
            return name == self.raw
        return rx.fullmatch(name) is not None

    @property
    def matches_everything(self) -> bool:
        """Whether this is one of the conventional match-all regexes (``/.*/``, ``/.+/``)."""
        return self.raw in ("/.*/", "/.+/", "/^.*$/", "/^.+$/")


class ClauseKind(Enum):
    """The three shapes a single filter dimension can take."""

    ALL = "all"
    ONLY = "only"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Clause:
    """One admitted set of names: everything, ``only`` these, or all but (``ignore``) these."""

    kind: ClauseKind
    patterns: tuple[Pattern, ...] = ()

    def admits(self, name: str) -> bool:
        """Whether a name is in this set."""
        if self.kind is ClauseKind.ALL:
            return True
        hit = any(p.matches(name) for p in self.patterns)
        return hit if self.kind is ClauseKind.ONLY else not hit


ALL = Clause(ClauseKind.ALL)


def _dedupe(patterns: tuple[Pattern, ...] | list[Pattern]) -> tuple[Pattern, ...]:
    return tuple(dict.fromkeys(patterns))


def clause_from_lists(only: tuple[str, ...] | None, ignore: tuple[str, ...] | None, kind: Kind) -> Clause | None:
    """Build the clause a user's ``{only, ignore}`` table means, or None for "no name at all".

    Args:
        only: The ``only`` entries, or None when the key is absent.
        ignore: The ``ignore`` entries, or None when the key is absent.
        kind: ``"branch"`` (default: all) or ``"tag"`` (default: none).
    """
    if only is not None:  # only beats ignore (CircleCI: "only is considered before ignore")
        pats = _dedupe([Pattern(p) for p in only])
        if any(p.matches_everything for p in pats):
            return ALL
        return Clause(ClauseKind.ONLY, pats) if pats else None
    if ignore is not None:
        pats = _dedupe([Pattern(p) for p in ignore])
        if any(p.matches_everything for p in pats):
            return None
        return Clause(ClauseKind.IGNORE, pats) if pats else ALL
    return ALL if kind == "branch" else None


@dataclass(frozen=True)
class RefSet:
    """A union of clauses for one dimension (branches or tags). Empty means no name at all."""

    clauses: tuple[Clause, ...] = ()

    @classmethod
    def of(cls, clause: Clause | None) -> RefSet:
        """A set of one clause (or the empty set)."""
        return cls(() if clause is None else (clause,))

    @property
    def is_empty(self) -> bool:
        """Admits no name."""
        return not self.clauses

    @property
    def is_all(self) -> bool:
        """Admits every name."""
        return any(c.kind is ClauseKind.ALL for c in self.clauses)

    def admits(self, name: str) -> bool:
        """Whether a name is in the union."""
        return any(c.admits(name) for c in self.clauses)

    def union(self, other: RefSet) -> RefSet:
        """The union, keeping this set's clauses first (so a job's own trigger stays as written).

        Exact names that this set already admits are not repeated from ``other`` (``main`` need not
        be listed beside "all but wip/*"): the meaning is the same and the filter reads as written.
        """
        if self.is_all:
            return self
        if other.is_all:
            return RefSet((ALL,))
        merged = dict.fromkeys(self.clauses)
        for c in other.clauses:
            if c in merged:
                continue
            if c.kind is ClauseKind.ONLY:
                pats = tuple(p for p in c.patterns if p.is_regex or not self.admits(p.raw))
                if not pats:
                    continue
                c = Clause(ClauseKind.ONLY, pats)
            merged[c] = None
        return RefSet(tuple(merged))


def union_all(first: RefSet, others: Iterable[RefSet]) -> RefSet:
    """``first.union(a).union(b)…`` in one pass, however many sets are joined.

    The pairwise fold copies the growing set, and tests each exact name against all of it, at every
    step: quadratic for a job that thousands of jobs require. Here the clauses so far and the names
    they admit are kept in indexes, so the work is linear in the clauses joined. The result is the
    fold's, clause for clause and in the same order (``first`` itself when nothing is added).
    """
    if first.is_all:
        return first
    merged = dict.fromkeys(first.clauses)
    index = _AdmitsIndex()
    index.add(first.clauses)
    for other in others:
        if other.is_all:
            return RefSet((ALL,))
        # As in RefSet.union, an exact name is dropped when the set *before* this step admits it, so
        # this step's clauses join the index only after the step.
        added: dict[Clause, None] = {}
        for c in other.clauses:
            if c in merged or c in added:
                continue
            if c.kind is ClauseKind.ONLY:
                pats = tuple(p for p in c.patterns if p.is_regex or not index.admits(p.raw))
                if not pats:
                    continue
                c = Clause(ClauseKind.ONLY, pats)
            added[c] = None
        new = [c for c in added if c not in merged]
        if new:
            merged.update(dict.fromkeys(new))
            index.add(new)
    return first if len(merged) == len(first.clauses) else RefSet(tuple(merged))


class _AdmitsIndex:
    """What a union of (non-ALL) clauses admits, answered without scanning every clause for a name."""

    def __init__(self) -> None:
        self.names: set[str] = set()  # exact names of `only` clauses
        self.regexes: dict[Pattern, None] = {}  # regexes of `only` clauses
        self.ignores: list[Clause] = []  # `ignore` clauses: each admits what it does not match

    def add(self, clauses: Iterable[Clause]) -> None:
        for c in clauses:
            if c.kind is ClauseKind.ONLY:
                for p in c.patterns:
                    if p.is_regex:
                        self.regexes[p] = None
                    else:
                        self.names.add(p.raw)
            elif c.kind is ClauseKind.IGNORE:
                self.ignores.append(c)

    def admits(self, name: str) -> bool:
        return (name in self.names or any(p.matches(name) for p in self.regexes)
                or any(c.admits(name) for c in self.ignores))


@dataclass(frozen=True)
class Trigger:
    """The git events a workflow job admits: a set of branches and a set of tags."""

    branches: RefSet
    tags: RefSet

    def admits(self, kind: Kind, name: str) -> bool:
        """Whether a pipeline for ``branch NAME`` or ``tag NAME`` passes these filters."""
        return (self.branches if kind == "branch" else self.tags).admits(name)

    def union(self, other: Trigger) -> Trigger:
        """Both triggers' events."""
        return Trigger(self.branches.union(other.branches), self.tags.union(other.tags))

    @property
    def is_default(self) -> bool:
        """Every branch and no tag: what a job with no ``filters`` key does."""
        return self.branches.is_all and self.tags.is_empty

    @property
    def is_never(self) -> bool:
        """No branch and no tag."""
        return self.branches.is_empty and self.tags.is_empty


DEFAULT_TRIGGER = Trigger(RefSet((ALL,)), RefSet())


# --------------------------------------------------------------------------------------------------
# Map filters: collapse a union into one `only` or `ignore` list.


class NotExpressible(ValueError):
    """A union of clauses has no exact single ``only``/``ignore`` form without regex lookahead."""


@dataclass(frozen=True)
class MapDimension:
    """What one ``branches:``/``tags:`` map says: omitted, ``only: [...]`` or ``ignore: [...]``."""

    key: Literal["only", "ignore"] | None
    patterns: tuple[str, ...] = ()


def _intersect(a: tuple[Pattern, ...], b: tuple[Pattern, ...]) -> tuple[Pattern, ...]:
    """Patterns matching exactly the names both ``a`` and ``b`` match.

    Exact for exact names (a name is kept when the other side matches it) and for a regex that the
    other side repeats or covers with a match-all; a regex against a side made only of exact names
    contributes nothing beyond those names. Anything else would need regex intersection.

    Raises:
        NotExpressible: when two different regexes would have to be intersected.
    """
    out: list[Pattern] = []
    for side, other in ((a, b), (b, a)):
        for p in side:
            if not p.is_regex:
                if any(q.matches(p.raw) for q in other):
                    out.append(p)
            elif any(q == p or q.matches_everything for q in other):
                out.append(p)
            elif any(q.is_regex for q in other):
                raise NotExpressible(f"the union of ignore {p.raw} with ignore {_names(other)}")
    return _dedupe(out)


def to_map(refs: RefSet, kind: Kind) -> MapDimension:
    """Write a union as a single map-filter dimension (see module docstring for the rules).

    Raises:
        NotExpressible: when the exact union needs regex lookahead (use expression filters then).
    """
    default_all = kind == "branch"
    if refs.is_all:
        return MapDimension(None) if default_all else MapDimension("only", ("/.*/",))
    if refs.is_empty:
        return MapDimension("ignore", ("/.*/",)) if default_all else MapDimension(None)
    only: list[Pattern] = []
    ignore: tuple[Pattern, ...] | None = None
    for c in refs.clauses:
        if c.kind is ClauseKind.ONLY:
            only.extend(c.patterns)
        elif ignore is None:
            ignore = c.patterns
        else:  # all-but-A ∪ all-but-B = all but (A ∩ B)
            ignore = _intersect(ignore, c.patterns)
    if ignore is None:
        return MapDimension("only", tuple(p.raw for p in _dedupe(only)))
    # only(O) ∪ all-but(I) = all but (I minus O): an ignored name that `only` admits must be dropped.
    result: list[str] = []
    for p in ignore:
        if any(q == p or q.matches_everything for q in only):
            continue
        if not p.is_regex:
            if any(q.matches(p.raw) for q in only):
                continue
        elif only and not all(not q.is_regex and not p.matches(q.raw) for q in only):
            raise NotExpressible(f"the union of only {_names(tuple(only))} with ignore {p.raw}")
        result.append(p.raw)
    if not result:
        return MapDimension(None) if default_all else MapDimension("only", ("/.*/",))
    return MapDimension("ignore", tuple(result))


def _names(patterns: tuple[Pattern, ...]) -> str:
    return ", ".join(p.raw for p in patterns)


# --------------------------------------------------------------------------------------------------
# Expression filters.

_VAR = {"branch": "pipeline.git.branch", "tag": "pipeline.git.tag"}


def _expr_string(value: str) -> str:
    """A double-quoted expression string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expr_regex(body: str) -> str:
    """A ``/…/`` regex literal that matches the whole name, as map filters do.

    CircleCI's map filters require a regex to match the entire name. ``matches`` in an expression is
    documented as a whole-string match too, but CircleCI's Go evaluator only checks whether the
    leftmost-first match spans the string (so ``"ab" matches /a|ab/`` is false there), while its
    Java and TypeScript evaluators do a true full match. Anchoring the body as ``^(?:…)$`` makes all
    of them agree with the map-filter meaning. An unescaped ``/`` is escaped so it cannot end the
    literal early.
    """
    out: list[str] = []
    escaped = False
    for ch in body:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "/":
            out.append("\\/")
        else:
            out.append(ch)
    text = "".join(out)
    # A leading ^ and trailing $ are no-ops once the whole body is anchored: drop them, then anchor.
    if text.startswith("^"):
        text = text[1:]
    if text.endswith("$") and not _escaped_at_end(text):
        text = text[:-1]
    if _has_top_level_alternation(text):
        text = f"(?:{text})"
    return f"/^{text}$/"


def _escaped_at_end(text: str) -> bool:
    """Whether the last character of ``text`` is escaped by an odd run of backslashes."""
    run = len(text[:-1]) - len(text[:-1].rstrip("\\"))
    return run % 2 == 1


def _has_top_level_alternation(text: str) -> bool:
    depth = 0
    in_class = False
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def _expr_match(kind: Kind, p: Pattern) -> str:
    var = _VAR[kind]
    if p.is_regex:
        return f"{var} matches {_expr_regex(p.body)}"
    return f"{var} == {_expr_string(p.raw)}"


def _expr_clause(kind: Kind, c: Clause) -> tuple[str, bool]:
    """The expression for one clause and whether it is compound (needs parentheses when or-ed)."""
    var = _VAR[kind]
    if c.kind is ClauseKind.ALL:
        return var, False
    alts = [_expr_match(kind, p) for p in c.patterns]
    if c.kind is ClauseKind.ONLY:
        return " or ".join(alts), True
    inner = " or ".join(alts)
    return f"{var} and not ({inner})", True


@lru_cache(maxsize=1024)  # pure; lint writes the expression of the same few map filters for every job
def to_expression(trigger: Trigger) -> str | None:
    """Write a trigger as a CircleCI expression filter; None when it is the default (no filters key)."""
    if trigger.is_default:
        return None
    parts: list[tuple[str, bool]] = []
    for kind, refs in (("branch", trigger.branches), ("tag", trigger.tags)):
        k: Kind = "branch" if kind == "branch" else "tag"
        if refs.is_all:
            parts.append(_expr_clause(k, ALL))
        else:
            parts.extend(_expr_clause(k, c) for c in refs.clauses)
    if not parts:
        return "false"
    if len(parts) == 1:
        return parts[0][0]
    return " or ".join(f"({text})" if compound else text for text, compound in parts)


# What `git check-ref-format` forbids anywhere in a ref name (control characters, space, ~ ^ : ? * [ \).
_GIT_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def ref_name_problem(name: str) -> str | None:
    """Why no git branch or tag can be named ``name`` (``git check-ref-format``), or None."""
    if not name:
        return "it is empty"
    bad = _GIT_FORBIDDEN.search(name)
    if bad:
        return f"git names cannot contain {bad.group()!r}"
    if name == "@":
        return "git names cannot be '@'"
    for seq in ("..", "@{", "//"):
        if seq in name:
            return f"git names cannot contain {seq!r}"
    if name.startswith("/") or name.endswith("/"):
        return "git names cannot start or end with '/'"
    if name.endswith("."):
        return "git names cannot end with '.'"
    for part in name.split("/"):
        if part.startswith("."):
            return "no part of a git name can start with '.'"
        if part.endswith(".lock"):
            return "no part of a git name can end with '.lock'"
    return None
