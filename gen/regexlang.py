r"""Sets of git ref names described by filter patterns: is a set empty, give its shortest member.

This module does not decide what a filter *means* (that is :mod:`gen.filters` and :mod:`gen.engine`);
it answers exact questions about the sets of names those meanings describe, so that ``cigen lint``
can say "this regex can never match a whole name" or "no tag this job admits is admitted by the job
it requires (for example ``v0.0.0``)" without guessing from samples.

A set is a small formula (:class:`Lang`) over leaves — a ``/regex/`` that must match the whole name,
an exact name, a prefix, every name — combined with union, intersection and complement. Each leaf is
compiled to an NFA (Thompson construction from Python's regex parse tree), the formula is explored
as a product of lazily determinised leaves over a finite partition of the alphabet, and a
breadth-first search finds the shortest member, or proves there is none.

Rules implemented:

* The universe is the non-empty strings of characters git allows in a ref name (``git
  check-ref-format``: no ASCII control character, space, DEL, ``~ ^ : ? * [ \\``). Rules about
  sequences (``..``, ``@{``, a leading ``/``) are not modelled, so the universe is slightly larger
  than git's; every "empty" answer is still exact for real names.
* Regexes are read as CircleCI's engines read them for branch and tag names: ``\\d``, ``\\w`` and
  ``\\s`` are ASCII classes (Java and RE2 defaults), ``^`` and ``$`` anchor at the ends of the name
  (a name has no line break, so multi-line mode changes nothing).
* Constructs whose language is not regular or not modelled here (look-around, back-references,
  word boundaries, atomic groups, possessive repeats) raise :class:`Unsupported`: callers then make
  no claim rather than a wrong one.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

with warnings.catch_warnings():
    # sre_parse is the stdlib's own regex parser; its public alias is deprecated, not its behaviour.
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse

MAX_CODEPOINT = 0x10FFFF
#: Exploration limits: beyond them a question is answered with Unsupported, never with a guess.
MAX_NFA_STATES = 20_000
MAX_PRODUCT_STATES = 50_000

Interval = tuple[int, int]  # inclusive bounds
CharSet = tuple[Interval, ...]  # sorted, disjoint, non-adjacent


class Unsupported(ValueError):
    """The pattern uses a construct whose set of names this module does not model."""


# --------------------------------------------------------------------------------------------------
# Character sets as interval lists.


def _normalise(intervals: Iterable[Interval]) -> CharSet:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(cs: CharSet) -> CharSet:
    out: list[Interval] = []
    nxt = 0
    for lo, hi in cs:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CODEPOINT:
        out.append((nxt, MAX_CODEPOINT))
    return tuple(out)


def _intersect(a: CharSet, b: CharSet) -> CharSet:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _chars(text: str) -> CharSet:
    return _normalise((ord(c), ord(c)) for c in text)


ALL_CHARS: CharSet = ((0, MAX_CODEPOINT),)
#: Characters git allows in a ref name (``git check-ref-format``).
NAME_CHARS: CharSet = _complement(_normalise([(0, 0x20), (0x7F, 0x7F), *_chars("~^:?*[\\")]))

_DIGIT = _chars("0123456789")
_WORD = _normalise([(ord("0"), ord("9")), (ord("A"), ord("Z")), (ord("a"), ord("z")), (ord("_"), ord("_"))])
_SPACE = _chars(" \t\n\r\f\v")
_LINEBREAK = _chars("\n")
_UPPER = ((ord("A"), ord("Z")),)
_LOWER = ((ord("a"), ord("z")),)


def _fold(cs: CharSet) -> CharSet:
    """Add the other ASCII case of every letter (re.IGNORECASE under re.ASCII)."""
    extra: list[Interval] = []
    for lo, hi in _intersect(cs, _UPPER):
        extra.append((lo + 32, hi + 32))
    for lo, hi in _intersect(cs, _LOWER):
        extra.append((lo - 32, hi - 32))
    return _normalise([*cs, *extra])


# --------------------------------------------------------------------------------------------------
# The formula.


@dataclass(frozen=True)
class Lang:
    """A set of names; build one with :func:`regex_of`, :func:`exact`, :func:`prefix`, :func:`union`."""


@dataclass(frozen=True)
class Regex(Lang):
    """The names a regex matches *whole* (the regex body, without slashes)."""

    body: str


@dataclass(frozen=True)
class Exact(Lang):
    """One name."""

    name: str


@dataclass(frozen=True)
class Prefix(Lang):
    """The non-empty names starting with ``prefix``."""

    prefix: str


@dataclass(frozen=True)
class AnyName(Lang):
    """Every non-empty name."""


@dataclass(frozen=True)
class Union(Lang):
    """Names in any part (no parts: the empty set)."""

    parts: tuple[Lang, ...]


@dataclass(frozen=True)
class Inter(Lang):
    """Names in every part."""

    parts: tuple[Lang, ...]


@dataclass(frozen=True)
class Compl(Lang):
    """Non-empty names not in ``part``."""

    part: Lang


ANY_NAME: Lang = AnyName()
NO_NAME: Lang = Union(())


def union(*parts: Lang) -> Lang:
    """Return the union, flattened (an empty union is the empty set)."""
    flat: list[Lang] = []
    for p in parts:
        if isinstance(p, Union):
            flat.extend(p.parts)
        elif isinstance(p, AnyName):
            return ANY_NAME
        else:
            flat.append(p)
    unique = tuple(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else Union(unique)


def inter(*parts: Lang) -> Lang:
    """Return the intersection (of nothing: every name)."""
    flat: list[Lang] = []
    for p in parts:
        if isinstance(p, Inter):
            flat.extend(p.parts)
        elif p == NO_NAME:
            return NO_NAME
        elif not isinstance(p, AnyName):
            flat.append(p)
    unique = tuple(dict.fromkeys(flat))
    if not unique:
        return ANY_NAME
    return unique[0] if len(unique) == 1 else Inter(unique)


def compl(part: Lang) -> Lang:
    """Return the names not in ``part``."""
    if isinstance(part, Compl):
        return part.part
    if isinstance(part, AnyName):
        return NO_NAME
    if part == NO_NAME:
        return ANY_NAME
    return Compl(part)


def difference(a: Lang, b: Lang) -> Lang:
    """Names in ``a`` and not in ``b``."""
    return inter(a, compl(b))


# --------------------------------------------------------------------------------------------------
# NFAs with anchors.

_NONE, _CARET, _DOLLAR = 0, 1, 2


class _NFA:
    """Thompson NFA: character edges carry a CharSet, epsilon edges may carry an anchor."""

    def __init__(self) -> None:
        self.eps: list[list[tuple[int, int]]] = []
        self.edges: list[list[tuple[CharSet, int]]] = []
        self.start = 0
        self.final = 0

    def new(self) -> int:
        if len(self.eps) >= MAX_NFA_STATES:
            raise Unsupported("the pattern is too large to analyse")
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1


_C = sre_parse  # constants (LITERAL, IN, …) are re-exported by sre_parse
_MAXREPEAT: Any = _C.MAXREPEAT


class _Builder:
    def __init__(self, nfa: _NFA) -> None:
        self.nfa = nfa

    def seq(self, items: Sequence[Any], icase: bool) -> tuple[int, int]:
        start = cur = self.nfa.new()
        for op, av in items:
            s, e = self.node(op, av, icase)
            self.nfa.eps[cur].append((_NONE, s))
            cur = e
        return start, cur

    def chars(self, cs: CharSet, icase: bool) -> tuple[int, int]:
        s, e = self.nfa.new(), self.nfa.new()
        self.nfa.edges[s].append((_fold(cs) if icase else cs, e))
        return s, e

    def node(self, op: Any, av: Any, icase: bool) -> tuple[int, int]:
        nfa = self.nfa
        if op is _C.LITERAL:
            return self.chars(((av, av),), icase)
        if op is _C.NOT_LITERAL:
            cs = _fold(((av, av),)) if icase else ((av, av),)
            return self.chars(_complement(cs), False)
        if op is _C.ANY:
            return self.chars(ALL_CHARS, False)
        if op is _C.IN:
            return self.chars(self.charclass(av, icase), False)
        if op is _C.BRANCH:
            s, e = nfa.new(), nfa.new()
            for alt in av[1]:
                bs, be = self.seq(alt, icase)
                nfa.eps[s].append((_NONE, bs))
                nfa.eps[be].append((_NONE, e))
            return s, e
        if op is _C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            sub_icase = (icase or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            return self.seq(sub, sub_icase)
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT):
            lo, hi, sub = av
            return self.repeat(lo, hi, sub, icase)
        if op is _C.AT:
            s, e = nfa.new(), nfa.new()
            if av in (_C.AT_BEGINNING, _C.AT_BEGINNING_STRING):
                nfa.eps[s].append((_CARET, e))
            elif av in (_C.AT_END, _C.AT_END_STRING):
                nfa.eps[s].append((_DOLLAR, e))
            else:
                raise Unsupported("word boundaries (\\b, \\B) are not analysed")
            return s, e
        names = {
            "ASSERT": "look-ahead/look-behind",
            "ASSERT_NOT": "negative look-ahead/look-behind",
            "GROUPREF": "a back-reference",
            "GROUPREF_EXISTS": "a conditional group",
            "ATOMIC_GROUP": "an atomic group",
            "POSSESSIVE_REPEAT": "a possessive repeat",
        }
        raise Unsupported(f"{names.get(str(op), str(op).lower())} is not analysed")

    def repeat(self, lo: int, hi: Any, sub: Any, icase: bool) -> tuple[int, int]:
        nfa = self.nfa
        start = cur = nfa.new()
        for _ in range(lo):
            s, e = self.seq(sub, icase)
            nfa.eps[cur].append((_NONE, s))
            cur = e
        if hi is _MAXREPEAT or hi == _MAXREPEAT:
            s, e = self.seq(sub, icase)
            loop = nfa.new()
            nfa.eps[cur].append((_NONE, loop))
            nfa.eps[loop].append((_NONE, s))
            nfa.eps[e].append((_NONE, loop))
            return start, loop
        end = nfa.new()
        nfa.eps[cur].append((_NONE, end))
        for _ in range(hi - lo):
            s, e = self.seq(sub, icase)
            nfa.eps[cur].append((_NONE, s))
            nfa.eps[e].append((_NONE, end))
            cur = e
        return start, end

    def charclass(self, items: Sequence[Any], icase: bool) -> CharSet:
        negate = False
        parts: list[Interval] = []
        for op, av in items:
            if op is _C.NEGATE:
                negate = True
            elif op is _C.LITERAL:
                parts.append((av, av))
            elif op is _C.RANGE:
                parts.append((av[0], av[1]))
            elif op is _C.CATEGORY:
                parts.extend(self.category(av))
            else:
                raise Unsupported(f"character class item {op} is not analysed")
        cs = _normalise(parts)
        if icase:
            cs = _fold(cs)
        return _complement(cs) if negate else cs

    @staticmethod
    def category(cat: Any) -> CharSet:
        table: dict[str, CharSet] = {
            "CATEGORY_DIGIT": _DIGIT,
            "CATEGORY_NOT_DIGIT": _complement(_DIGIT),
            "CATEGORY_SPACE": _SPACE,
            "CATEGORY_NOT_SPACE": _complement(_SPACE),
            "CATEGORY_WORD": _WORD,
            "CATEGORY_NOT_WORD": _complement(_WORD),
            "CATEGORY_LINEBREAK": _LINEBREAK,
            "CATEGORY_NOT_LINEBREAK": _complement(_LINEBREAK),
        }
        try:
            return table[str(cat)]
        except KeyError:
            raise Unsupported(f"class {cat} is not analysed") from None


@lru_cache(maxsize=4096)
def _regex_nfa(body: str) -> _NFA:
    try:
        parsed = sre_parse.parse(body, re.ASCII)
    except re.error as exc:
        raise Unsupported(f"the regex does not compile: {exc}") from None
    except RecursionError:
        raise Unsupported("the regex is nested too deeply") from None
    nfa = _NFA()
    icase = bool(parsed.state.flags & re.IGNORECASE)
    try:
        nfa.start, nfa.final = _Builder(nfa).seq(parsed.data, icase)
    except RecursionError:
        raise Unsupported("the regex is nested too deeply") from None
    return nfa


def _literal_nfa(text: str, open_end: bool) -> _NFA:
    nfa = _NFA()
    b = _Builder(nfa)
    items: list[tuple[Any, Any]] = [(_C.LITERAL, ord(c)) for c in text]
    if open_end:
        items.append((_C.MAX_REPEAT, (0, _MAXREPEAT, [(_C.ANY, None)])))
    nfa.start, nfa.final = b.seq(items, False)
    return nfa


def _leaf_nfa(leaf: Lang) -> _NFA:
    if isinstance(leaf, Regex):
        return _regex_nfa(leaf.body)
    if isinstance(leaf, Exact):
        return _literal_nfa(leaf.name, False)
    if isinstance(leaf, Prefix):
        return _literal_nfa(leaf.prefix, True)
    raise TypeError(f"not a leaf: {leaf!r}")


# --------------------------------------------------------------------------------------------------
# Lazy determinisation and the product search.

_DState = frozenset[tuple[int, bool]]  # (NFA state, passed a `$`)


class _Leaf:
    """One NFA, determinised on demand over the shared symbol alphabet."""

    def __init__(self, nfa: _NFA, symbol_masks: list[list[int]]) -> None:
        self.nfa = nfa
        self.masks = symbol_masks  # per NFA state, per edge: bit mask of symbols the edge accepts
        self.memo: dict[tuple[_DState, int], _DState] = {}
        self.start = self.closure([(nfa.start, False)], at_start=True)

    def closure(self, seeds: Iterable[tuple[int, bool]], at_start: bool) -> _DState:
        seen = set(seeds)
        stack = list(seen)
        while stack:
            q, ended = stack.pop()
            for anchor, t in self.nfa.eps[q]:
                if anchor == _CARET and not at_start:
                    continue
                item = (t, ended or anchor == _DOLLAR)
                if item not in seen:
                    seen.add(item)
                    stack.append(item)
        return frozenset(seen)

    def step(self, state: _DState, sym: int) -> _DState:
        key = (state, sym)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        bit = 1 << sym
        nxt = []
        for q, ended in state:
            if ended:
                continue
            for (_, t), mask in zip(self.nfa.edges[q], self.masks[q], strict=True):
                if mask & bit:
                    nxt.append((t, False))
        result = self.closure(nxt, at_start=False) if nxt else frozenset()
        self.memo[key] = result
        return result

    def accepts(self, state: _DState) -> bool:
        return any(q == self.nfa.final for q, _ in state)


_PREFERRED = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_/"


def _representative(lo: int, hi: int) -> int:
    for ch in _PREFERRED:
        if lo <= ord(ch) <= hi:
            return ord(ch)
    return lo


def _compile(lang: Lang, leaves: list[Lang]) -> Callable[[Sequence[bool]], bool]:
    """Return a predicate over the leaves' acceptance flags, registering leaves in ``leaves``."""
    if isinstance(lang, AnyName):
        return lambda flags: True
    if isinstance(lang, Regex | Exact | Prefix):
        if lang not in leaves:
            leaves.append(lang)
        i = leaves.index(lang)
        return lambda flags: flags[i]
    if isinstance(lang, Union):
        subs = [_compile(p, leaves) for p in lang.parts]
        return lambda flags: any(s(flags) for s in subs)
    if isinstance(lang, Inter):
        subs = [_compile(p, leaves) for p in lang.parts]
        return lambda flags: all(s(flags) for s in subs)
    if isinstance(lang, Compl):
        sub = _compile(lang.part, leaves)
        return lambda flags: not sub(flags)
    raise TypeError(f"unknown set {lang!r}")


@lru_cache(maxsize=4096)
def example(lang: Lang) -> str | None:
    """Return the shortest name in ``lang`` (readable characters first), or None if it is empty.

    Raises:
        Unsupported: a regex uses a construct that is not modelled, or the search is too large.

    """
    leaves: list[Lang] = []
    accept = _compile(lang, leaves)
    nfas = [_leaf_nfa(leaf) for leaf in leaves]
    # The alphabet: elementary intervals of the name characters, cut at every edge's boundaries.
    cuts = {NAME_CHARS[0][0]}
    for nfa in nfas:
        for edges in nfa.edges:
            for cs, _ in edges:
                for lo, hi in cs:
                    cuts.add(lo)
                    cuts.add(hi + 1)
    for lo, hi in NAME_CHARS:
        cuts.add(lo)
        cuts.add(hi + 1)
    points = sorted(cuts)
    symbols: list[Interval] = []
    for lo, end in itertools.pairwise(points):
        if _intersect(((lo, end - 1),), NAME_CHARS) == ((lo, end - 1),):
            symbols.append((lo, end - 1))
    # Readable witnesses first: order symbols by their representative's preference.
    reps = [_representative(lo, hi) for lo, hi in symbols]
    order = sorted(range(len(symbols)), key=lambda i: (
        _PREFERRED.index(chr(reps[i])) if chr(reps[i]) in _PREFERRED else len(_PREFERRED), reps[i]))
    runtime: list[_Leaf] = []
    for nfa in nfas:
        masks: list[list[int]] = []
        for edges in nfa.edges:
            row = []
            for cs, _ in edges:
                m = 0
                for i, (lo, hi) in enumerate(symbols):
                    if _intersect(cs, ((lo, hi),)):
                        m |= 1 << i
                row.append(m)
            masks.append(row)
        runtime.append(_Leaf(nfa, masks))
    # A product state is the tuple of the leaves' DFA states; the start (empty name) is kept apart,
    # because a state equal to it but reached after consuming characters is a different question.
    start = tuple(leaf.start for leaf in runtime)
    parent: dict[tuple[_DState, ...], tuple[tuple[_DState, ...] | None, int]] = {}
    queue: deque[tuple[_DState, ...] | None] = deque([None])
    while queue:
        cur = queue.popleft()
        states = start if cur is None else cur
        for sym in order:
            nxt = tuple(leaf.step(st, sym) for leaf, st in zip(runtime, states, strict=True))
            if nxt in parent:
                continue
            parent[nxt] = (cur, sym)
            if len(parent) > MAX_PRODUCT_STATES:
                raise Unsupported("the patterns are too complex to compare")
            if accept([leaf.accepts(st) for leaf, st in zip(runtime, nxt, strict=True)]):
                out: list[str] = []
                node: tuple[_DState, ...] | None = nxt
                while node is not None:
                    prev, s = parent[node]
                    out.append(chr(reps[s]))
                    node = prev
                return "".join(reversed(out))
            queue.append(nxt)
    return None


def is_empty(lang: Lang) -> bool:
    """Whether no name is in ``lang``.

    Raises:
        Unsupported: as for :func:`example`.

    """
    return example(lang) is None


def regex_of(body: str) -> Lang:
    """Return the names a ``/body/`` filter regex matches whole (checking it can be analysed)."""
    _regex_nfa(body)
    return Regex(body)


def constructs(body: str) -> frozenset[str]:
    """Return the names of the parse-tree operations a regex uses (``ASSERT``, ``GROUPREF`` …).

    Raises:
        re.error: the regex does not compile.

    """
    found: set[str] = set()
    stack: list[Any] = [sre_parse.parse(body, re.ASCII).data]
    while stack:
        items = stack.pop()
        for op, av in items:
            found.add(str(op))
            if op is _C.AT:
                found.add(str(av))
            if isinstance(av, tuple | list):
                for x in av:
                    if isinstance(x, sre_parse.SubPattern):
                        stack.append(x.data)
                    elif isinstance(x, list):
                        stack.extend(y.data for y in x if isinstance(y, sre_parse.SubPattern))
            if isinstance(av, sre_parse.SubPattern):
                stack.append(av.data)
    return frozenset(found)


def exact(name: str) -> Lang:
    """Return the set of the one name ``name``."""
    return Exact(name)


def prefix(text: str) -> Lang:
    """Return the names starting with ``text``."""
    return Prefix(text) if text else ANY_NAME
