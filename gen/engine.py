r"""What CircleCI runs for a git event: filters of any config.yml, ``requires`` and approval jobs.

Built on :mod:`gen.filters` (the meaning of map filters: ``/re/`` whole-name match vs exact name,
``only`` beats ``ignore``, branches default to all, tags to none). This module adds:

* a parser and evaluator for CircleCI *expression* filters (the subset below, with CircleCI's own
  grammar, precedence and undefined-value rules), and the set of names an expression admits;
* reading the workflows of a parsed config.yml (job entries, ``name:``, ``requires`` in both
  forms, approval jobs, both filter styles), with YAML paths for every error;
* the verdict for every workflow job for one event (``branch NAME`` or ``tag NAME``).

CircleCI rules implemented (configuration reference, ``workflows.<name>.jobs.<job>.filters`` and
``requires``; expression language: CircleCI's ``expr`` library, which CircleCI names as its evaluator):

* A job runs for an event only when its filters admit the event. With no ``filters`` every branch
  and no tag admits it ("CircleCI does not run workflows for tags unless you explicitly specify tag
  filters").
* A job that requires other jobs runs only when at least one of them runs: required jobs that were
  filtered out are dropped from ``requires``, and a job whose required jobs were *all* filtered out
  (or skipped for the same reason) does not run. CircleCI's support forum documents both halves
  ("Jobs Run if a Required Job is Filtered": a job with requirements does not run "when EVERY
  required job is filtered", but runs when "at least one of them does run").
* An approval job (``type: approval``) that runs holds the workflow: the jobs that require it run
  only after someone approves it. Approval jobs are filtered like any other job.
* In a branch pipeline ``pipeline.git.tag`` is not set, and in a tag pipeline ``pipeline.git.branch``
  is not set; an unset pipeline value is ``undefined`` (falsy; a comparison with it is undefined).

Expression grammar (CircleCI's ``expr``; weakest binding first)::

    expression -> or
    or         -> and ( ("or" | "OR") and )*
    and        -> equality ( ("and" | "AND") equality )*
    equality   -> comparison ( ("==" | "!=" | "starts-with" | "matches" | "contains") comparison )*
    comparison -> unary ( (">=" | ">" | "<=" | "<") unary )*
    unary      -> ("not" | "NOT" | "!") unary | primary
    primary    -> "true" | "false" | STRING | PATTERN | NUMBER | IDENTIFIER | "(" expression ")"
    STRING     -> '"' ( '\\"' | '\\\\' | any other character )* '"'
    PATTERN    -> "/" ( "\\/" | any other character )* "/"     (RE2; at most 256 bytes, Latin-1)
    IDENTIFIER -> [A-Za-z][A-Za-z0-9_?-]* ( "." [A-Za-z0-9_?-]+ )*

cigen *evaluates* the part a branch/tag filter needs: ``pipeline.git.branch``, ``pipeline.git.tag``,
string and pattern literals, ``true``/``false``, ``and``, ``or``, ``not``, ``==``, ``!=``,
``starts-with`` and ``matches`` (a whole-name match). Anything else that CircleCI accepts (other
pipeline values, numbers, ``<``, ``contains``) is reported as unsupported, naming the YAML path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from gen import regexlang as rl
from gen.errors import InputError
from gen.filters import (
    DEFAULT_TRIGGER,
    Clause,
    ClauseKind,
    Kind,
    Pattern,
    RefSet,
    Trigger,
    clause_from_lists,
)
from gen.textfile import dotted

YamlPath = tuple[str | int, ...]

BRANCH_VAR = "pipeline.git.branch"
TAG_VAR = "pipeline.git.tag"
_GIT_VARS = {BRANCH_VAR: "branch", TAG_VAR: "tag"}
#: CircleCI's scanner limit for a pattern literal, in UTF-8 bytes.
MAX_PATTERN_BYTES = 256


def yaml_path(parts: Sequence[str | int]) -> str:
    """``("workflows", "main", "jobs", 1)`` → ``workflows.main.jobs.1`` (odd keys quoted)."""
    return dotted(parts)


def line_of(root: Any, path: Sequence[str | int]) -> int | None:
    """Return the 1-based line of ``path`` in a ruamel round-trip document (None for plain data)."""
    node = root
    for i, part in enumerate(path):
        lc = getattr(node, "lc", None)
        last = i == len(path) - 1
        try:
            if lc is not None and last:
                pos = lc.key(part) if isinstance(node, Mapping) else lc.item(part)
                return int(pos[0]) + 1
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    lc = getattr(node, "lc", None)
    if lc is not None and path:
        return int(lc.line) + 1
    return None


@dataclass(frozen=True)
class Event:
    """A git event: a pipeline for a branch or for a tag."""

    kind: Kind
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


# ==================================================================================================
# Expressions: scanner and parser.


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int
    value: Any = None


class ExprSyntaxError(ValueError):
    """An expression CircleCI itself would reject (message says what and where)."""


_KEYWORDS = {
    "and": "AND", "AND": "AND", "or": "OR", "OR": "OR", "not": "NOT", "NOT": "NOT",
    "true": "TRUE", "TRUE": "TRUE", "false": "FALSE", "FALSE": "FALSE",
}
_BUILTINS = ("starts-with", "matches", "contains")
_IDENT_TAIL = re.compile(r"[A-Za-z0-9_?-]")


@dataclass(frozen=True)
class PatternValue:
    """A pattern literal: its RE2 source and (when Python can compile it) the compiled regex."""

    source: str
    compiled: re.Pattern[str] | None
    unsupported: str | None = None  # why cigen cannot evaluate it, when CircleCI could


_RE2_LACKS = {
    "ASSERT": "look-ahead or look-behind",
    "ASSERT_NOT": "look-ahead or look-behind",
    "GROUPREF": "back-references",
    "GROUPREF_EXISTS": "conditional groups",
    "ATOMIC_GROUP": "atomic groups",
    "POSSESSIVE_REPEAT": "possessive repeats",
    "AT_END_STRING": "\\Z (use $)",
}


def _check_re2(body: str) -> str | None:
    """Why RE2 (CircleCI's expression regex engine) rejects a regex Python accepts, or None."""
    try:
        used = rl.constructs(body)
    except re.error:
        return None  # reported by the compile step
    for op, what in _RE2_LACKS.items():
        if op in used:
            return f"RE2 has no {what}"
    return None


def _scan(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        start = i
        if c in " \t\r\n":
            i += 1
            continue
        if c in "()":
            tokens.append(_Token("LPAREN" if c == "(" else "RPAREN", c, i))
            i += 1
        elif c == "!":
            if text.startswith("!=", i):
                tokens.append(_Token("NE", "!=", i))
                i += 2
            else:
                tokens.append(_Token("NOT", "!", i))
                i += 1
        elif c == "=":
            if not text.startswith("==", i):
                raise ExprSyntaxError(f"incomplete operator at column {i + 1}: expected ==")
            tokens.append(_Token("EQ", "==", i))
            i += 2
        elif c in "<>":
            op = c + "=" if text.startswith("=", i + 1) else c
            tokens.append(_Token("CMP", op, i))
            i += len(op)
        elif c == '"':
            i += 1
            buf: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    buf.append(text[i + 1])
                    i += 2
                else:
                    buf.append(text[i])
                    i += 1
            if i >= n:
                raise ExprSyntaxError(f"unterminated string starting at column {start + 1}")
            i += 1
            tokens.append(_Token("STRING", text[start:i], start, "".join(buf)))
        elif c == "/":
            i += 1
            pbuf: list[str] = []
            while i < n and text[i] != "/":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "/":
                    pbuf.append("/")
                    i += 2
                    continue
                if ord(text[i]) > 0xFF:
                    raise ExprSyntaxError(
                        f"pattern character {text[i]!r} at column {i + 1} is not ASCII or Latin-1, "
                        "which CircleCI requires in patterns")
                pbuf.append(text[i])
                i += 1
            if i >= n:
                raise ExprSyntaxError(f"unterminated pattern starting at column {start + 1}")
            i += 1
            tokens.append(_Token("PATTERN", text[start:i], start, _pattern(start, "".join(pbuf))))
        elif c.isdigit() and c.isascii():
            while i < n and text[i].isdigit() and text[i].isascii():
                i += 1
            tokens.append(_Token("NUMBER", text[start:i], start, int(text[start:i])))
        elif c.isascii() and c.isalpha():
            i += 1
            while i < n and (_IDENT_TAIL.match(text[i]) or (
                    text[i] == "." and i + 1 < n and _IDENT_TAIL.match(text[i + 1]))):
                i += 1
            word = text[start:i]
            if word in _BUILTINS:
                tokens.append(_Token("BUILTIN", word, start))
            else:
                tokens.append(_Token(_KEYWORDS.get(word, "IDENT"), word, start))
        else:
            raise ExprSyntaxError(f"unexpected character {c!r} at column {i + 1}")
    tokens.append(_Token("EOF", "", n))
    return tokens


def _pattern(pos: int, body: str) -> PatternValue:
    if len(body.encode("utf-8")) > MAX_PATTERN_BYTES:
        raise ExprSyntaxError(f"pattern at column {pos + 1} is longer than CircleCI's limit of "
                              f"{MAX_PATTERN_BYTES} bytes")
    why = _check_re2(body)
    if why is not None:
        raise ExprSyntaxError(f"pattern /{body}/ at column {pos + 1} does not compile: {why}")
    try:
        return PatternValue(body, re.compile(body, re.ASCII))
    except re.error as exc:
        if re.search(r"\\[pPz]", body):
            # Valid RE2 that Python's re cannot compile: CircleCI accepts it, cigen cannot evaluate it.
            return PatternValue(body, None, "it uses \\p{…} or \\z, which cigen's regex engine lacks")
        raise ExprSyntaxError(f"pattern /{body}/ at column {pos + 1} does not compile: {exc}") from None


# AST ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """A literal: bool, str, int or pattern."""

    value: bool | str | int | PatternValue
    pos: int


@dataclass(frozen=True)
class Var:
    """An identifier (a pipeline value)."""

    name: str
    pos: int


@dataclass(frozen=True)
class Not:
    """``not x``."""

    operand: Expr
    pos: int


@dataclass(frozen=True)
class Logical:
    """``a and b`` / ``a or b`` (short-circuit, returning an operand's value)."""

    op: Literal["and", "or"]
    left: Expr
    right: Expr
    pos: int


@dataclass(frozen=True)
class Binary:
    """A binary operator: ``==``, ``!=``, ``starts-with``, ``matches``, ``contains``, ``<`` and so on."""

    op: str
    left: Expr
    right: Expr
    pos: int


Expr = Lit | Var | Not | Logical | Binary


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self, *kinds: str) -> _Token | None:
        tok = self.tokens[self.i]
        if tok.kind in kinds:
            self.i += 1
            return tok
        return None

    def parse(self) -> Expr:
        expr = self.or_()
        tok = self.peek()
        if tok.kind != "EOF":
            raise ExprSyntaxError(f"unexpected {tok.text!r} at column {tok.pos + 1} after a complete "
                                  "expression")
        return expr

    def or_(self) -> Expr:
        expr = self.and_()
        while (tok := self.take("OR")) is not None:
            expr = Logical("or", expr, self.and_(), tok.pos)
        return expr

    def and_(self) -> Expr:
        expr = self.equality()
        while (tok := self.take("AND")) is not None:
            expr = Logical("and", expr, self.equality(), tok.pos)
        return expr

    def equality(self) -> Expr:
        expr = self.comparison()
        while (tok := self.take("EQ", "NE", "BUILTIN")) is not None:
            expr = Binary(tok.text, expr, self.comparison(), tok.pos)
        return expr

    def comparison(self) -> Expr:
        expr = self.unary()
        while (tok := self.take("CMP")) is not None:
            expr = Binary(tok.text, expr, self.unary(), tok.pos)
        return expr

    def unary(self) -> Expr:
        tok = self.take("NOT")
        if tok is not None:
            return Not(self.unary(), tok.pos)
        return self.primary()

    def primary(self) -> Expr:
        tok = self.peek()
        self.i += 1
        if tok.kind == "TRUE":
            return Lit(True, tok.pos)
        if tok.kind == "FALSE":
            return Lit(False, tok.pos)
        if tok.kind in ("STRING", "PATTERN", "NUMBER"):
            return Lit(tok.value, tok.pos)
        if tok.kind == "IDENT":
            return Var(tok.text, tok.pos)
        if tok.kind == "LPAREN":
            expr = self.or_()
            if self.take("RPAREN") is None:
                nxt = self.peek()
                raise ExprSyntaxError(f"expected ')' at column {nxt.pos + 1}")
            return expr
        self.i -= 1
        what = "the end" if tok.kind == "EOF" else repr(tok.text)
        raise ExprSyntaxError(f"expected an expression at column {tok.pos + 1}, found {what}")


@lru_cache(maxsize=1024)
def parse_expression(text: str) -> Expr:
    """Parse a CircleCI expression (the whole grammar above).

    Raises:
        ExprSyntaxError: where and why CircleCI would reject it.

    """
    try:
        return _Parser(_scan(text)).parse()
    except RecursionError:
        raise ExprSyntaxError("the expression is nested too deeply") from None


# Support check ---------------------------------------------------------------------------------

_Type = Literal["str", "bool", "pattern", "num", "any"]


def _static_type(e: Expr) -> _Type:
    if isinstance(e, Lit):
        v = e.value
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, str):
            return "str"
        if isinstance(v, int):
            return "num"
        return "pattern"
    if isinstance(e, Var):
        return "str" if e.name in _GIT_VARS else "any"
    if isinstance(e, Not | Binary):
        return "bool"
    lt, rt = _static_type(e.left), _static_type(e.right)
    return lt if lt == rt else "any"


def check_expression(e: Expr) -> tuple[Literal["invalid", "unsupported"], str] | None:
    """Return the first problem that stops cigen from evaluating ``e``, or None.

    ``invalid``: CircleCI would fail evaluating it too (an operand of the wrong type).
    ``unsupported``: valid for CircleCI, outside the part cigen evaluates.
    """
    if isinstance(e, Lit):
        if isinstance(e.value, int) and not isinstance(e.value, bool):
            return "unsupported", f"number literals (column {e.pos + 1}) are not evaluated by cigen"
        if isinstance(e.value, PatternValue) and e.value.unsupported:
            return "unsupported", f"pattern /{e.value.source}/ cannot be evaluated: {e.value.unsupported}"
        return None
    if isinstance(e, Var):
        if e.name not in _GIT_VARS:
            return "unsupported", (f"cigen evaluates only {BRANCH_VAR} and {TAG_VAR}, not {e.name} "
                                   f"(column {e.pos + 1})")
        return None
    if isinstance(e, Not):
        return check_expression(e.operand)
    for side in (e.left, e.right):
        problem = check_expression(side)
        if problem is not None:
            return problem
    if isinstance(e, Logical):
        return None
    where = f"{e.op!r} at column {e.pos + 1}"
    if e.op in ("<", "<=", ">", ">="):
        return "unsupported", f"numeric comparison {where} is not evaluated by cigen"
    if e.op == "contains":
        return "unsupported", f"{where} is not evaluated by cigen"
    lt, rt = _static_type(e.left), _static_type(e.right)
    if e.op == "starts-with":
        for t in (lt, rt):
            if t == "any":
                return "unsupported", f"{where}: cigen evaluates it only between strings"
            if t != "str":
                return "invalid", f"{where} needs string operands (CircleCI fails evaluating it)"
    if e.op == "matches":
        if rt != "pattern":
            return ("unsupported" if rt == "any" else "invalid",
                    f"{where} needs a /pattern/ on its right (CircleCI fails evaluating it)")
        if lt == "any":
            return "unsupported", f"{where}: cigen evaluates it only on strings"
        if lt != "str":
            return "invalid", f"{where} needs a string on its left (CircleCI fails evaluating it)"
    return None


# Evaluation -------------------------------------------------------------------------------------


class _Undefined:
    """CircleCI's ``undefined``: the value of a pipeline value that is not set."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()
_Value = bool | str | int | PatternValue | _Undefined


def _truthy(v: _Value) -> bool:
    if isinstance(v, _Undefined):
        return False
    if isinstance(v, bool):
        return v
    return True  # strings (even empty), numbers and patterns are truthy in expr


def _equal(a: _Value, b: _Value) -> bool:
    if isinstance(a, PatternValue) and isinstance(b, PatternValue):
        return a.source == b.source
    return type(a) is type(b) and a == b


def _eval(e: Expr, env: Mapping[str, _Value]) -> _Value:
    if isinstance(e, Lit):
        return e.value
    if isinstance(e, Var):
        return env.get(e.name, UNDEFINED)
    if isinstance(e, Not):
        return not _truthy(_eval(e.operand, env))
    if isinstance(e, Logical):
        left = _eval(e.left, env)
        if (e.op == "or") == _truthy(left):
            return left
        return _eval(e.right, env)
    left, right = _eval(e.left, env), _eval(e.right, env)
    if isinstance(left, _Undefined) or isinstance(right, _Undefined):
        return UNDEFINED  # undefined "infects" every comparison
    if e.op == "==":
        return _equal(left, right)
    if e.op == "!=":
        return not _equal(left, right)
    if e.op == "starts-with" and isinstance(left, str) and isinstance(right, str):
        return left.startswith(right)
    if e.op == "matches" and isinstance(left, str) and isinstance(right, PatternValue):
        rx = right.compiled
        return rx is not None and rx.fullmatch(left) is not None
    raise ValueError(f"cannot evaluate {e.op!r} here; check_expression first")  # pragma: no cover


def event_env(event: Event) -> dict[str, _Value]:
    """Return the pipeline values an event sets (the other git value stays undefined)."""
    return {BRANCH_VAR if event.kind == "branch" else TAG_VAR: event.name}


def evaluate(e: Expr, event: Event) -> bool:
    """Whether a (checked) expression admits the event."""
    return _truthy(_eval(e, event_env(event)))


# The set of names an expression admits ----------------------------------------------------------


class _NoLang(Exception):
    pass


def _operand(e: Expr, kind: Kind) -> tuple[str, Any]:
    """("name", None) for the event's own name, ("const", value) for anything constant."""
    if isinstance(e, Lit):
        return "const", e.value
    if isinstance(e, Var) and e.name in _GIT_VARS:
        return ("name", None) if _GIT_VARS[e.name] == kind else ("const", UNDEFINED)
    raise _NoLang


def _truthy_lang(e: Expr, kind: Kind) -> rl.Lang:
    if isinstance(e, Lit):
        return rl.ANY_NAME if _truthy(e.value) else rl.NO_NAME
    if isinstance(e, Var):
        kind_of = _GIT_VARS.get(e.name)
        if kind_of is None:
            raise _NoLang
        return rl.ANY_NAME if kind_of == kind else rl.NO_NAME
    if isinstance(e, Not):
        return rl.compl(_truthy_lang(e.operand, kind))
    if isinstance(e, Logical):
        a, b = _truthy_lang(e.left, kind), _truthy_lang(e.right, kind)
        return rl.union(a, b) if e.op == "or" else rl.inter(a, b)
    (lk, lv), (rk, rv) = _operand(e.left, kind), _operand(e.right, kind)
    if isinstance(lv, _Undefined) or isinstance(rv, _Undefined):
        return rl.NO_NAME
    if lk == "const" and rk == "const":
        return rl.ANY_NAME if _truthy(_eval(e, {})) else rl.NO_NAME
    if e.op in ("==", "!="):
        if lk == "name" and rk == "name":
            same = rl.ANY_NAME
        else:
            const = rv if lk == "name" else lv
            same = rl.exact(const) if isinstance(const, str) and const else rl.NO_NAME
        return same if e.op == "==" else rl.compl(same)
    if e.op == "starts-with":
        if lk == "name" and rk == "name":
            return rl.ANY_NAME
        if lk == "name":
            return rl.prefix(str(rv))
        text = str(lv)  # "constant" starts-with name: the name is a prefix of the constant
        return rl.union(*(rl.exact(text[:k]) for k in range(1, len(text) + 1)))
    if e.op == "matches" and lk == "name" and isinstance(rv, PatternValue):
        try:
            return rl.regex_of(rv.source)
        except rl.Unsupported:
            raise _NoLang from None
    raise _NoLang


def expression_language(e: Expr, kind: Kind) -> rl.Lang | None:
    """Return the names (of ``kind``) a checked expression admits, or None if that is unknown."""
    try:
        return _truthy_lang(e, kind)
    except _NoLang:
        return None


# ==================================================================================================
# Filters of a workflow job.


@dataclass(frozen=True)
class MapFilter:
    """``filters: {branches: …, tags: …}`` (or no filters at all: ``written`` is False)."""

    trigger: Trigger
    written: bool
    patterns: tuple[tuple[YamlPath, Pattern], ...] = ()  # every pattern with its YAML path
    has_tags: bool = False

    def admits(self, event: Event) -> bool:
        """Whether the event passes."""
        return self.trigger.admits(event.kind, event.name)

    def language(self, kind: Kind) -> rl.Lang | None:
        """Return the names of ``kind`` admitted, or None when a regex cannot be analysed."""
        refs = self.trigger.branches if kind == "branch" else self.trigger.tags
        try:
            return refset_language(refs)
        except rl.Unsupported:
            return None


@dataclass(frozen=True)
class ExprFilter:
    """``filters: <expression>``."""

    text: str
    expr: Expr

    def admits(self, event: Event) -> bool:
        """Whether the event passes."""
        return evaluate(self.expr, event)

    def language(self, kind: Kind) -> rl.Lang | None:
        """Return the names of ``kind`` admitted, or None when that cannot be computed."""
        if parse_expression(self.text) is self.expr:  # as read_filters made it: cached by its text
            return _text_language(self.text, kind)
        return expression_language(self.expr, kind)


# A config repeats the same few filters on thousands of jobs: what only depends on a filter's text is
# worked out once per text. (Keyed by the text, not the parsed Expr: Lit(True) == Lit(1).)
@lru_cache(maxsize=1024)
def _checked_expression(text: str) -> tuple[Expr, tuple[Literal["invalid", "unsupported"], str] | None]:
    expr = parse_expression(text)
    return expr, check_expression(expr)


@lru_cache(maxsize=1024)
def _text_language(text: str, kind: Kind) -> rl.Lang | None:
    return expression_language(parse_expression(text), kind)


Filter = MapFilter | ExprFilter
NO_FILTERS = MapFilter(DEFAULT_TRIGGER, written=False)


def pattern_language(p: Pattern) -> rl.Lang:
    """Return the names one map-filter entry matches (rl.Unsupported for unanalysable regexes)."""
    return rl.regex_of(p.body) if p.is_regex else rl.exact(p.raw)


def clause_language(c: Clause) -> rl.Lang:
    """Return the names a clause admits."""
    if c.kind is ClauseKind.ALL:
        return rl.ANY_NAME
    pats = rl.union(*(pattern_language(p) for p in c.patterns))
    return pats if c.kind is ClauseKind.ONLY else rl.compl(pats)


@lru_cache(maxsize=1024)  # pure; a config repeats the same few filters on thousands of jobs
def refset_language(refs: RefSet) -> rl.Lang:
    """Return the names a union of clauses admits."""
    return rl.union(*(clause_language(c) for c in refs.clauses))


class FilterError(ValueError):
    """A filter CircleCI would reject (``invalid``) or cigen cannot evaluate (``unsupported``)."""

    def __init__(self, kind: Literal["invalid", "unsupported"], path: YamlPath, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = path
        self.message = message


def read_filters(raw: Any, path: YamlPath) -> Filter:
    """Read a job's ``filters`` value (``path`` is its YAML path).

    Raises:
        FilterError: naming the YAML path of the problem.

    """
    if raw is None:
        return NO_FILTERS
    if isinstance(raw, str):
        try:
            expr, problem = _checked_expression(raw)
        except ExprSyntaxError as exc:
            raise FilterError("invalid", path, f"expression does not parse: {exc}") from None
        if problem is not None:
            raise FilterError(problem[0], path, problem[1])
        return ExprFilter(raw, expr)
    # Map filters: read once per distinct value (a config repeats the same few on thousands of jobs),
    # with paths relative to the filters key, then placed at ``path``.
    key = _frozen(raw)
    read = _MAP_FILTERS.get(key) if key is not None else None
    if read is None:
        try:
            read = _read_map_filters(raw, ())
        except FilterError as exc:
            read = exc
        if key is not None:
            if len(_MAP_FILTERS) >= 4096:
                _MAP_FILTERS.clear()
            _MAP_FILTERS[key] = read
    if isinstance(read, FilterError):
        raise FilterError(read.kind, (*path, *read.path), read.message)
    return MapFilter(read.trigger, written=True, patterns=tuple(((*path, *rel), p) for rel, p in read.patterns),
                     has_tags=read.has_tags)


_MAP_FILTERS: dict[Any, MapFilter | FilterError] = {}


def _frozen(value: Any) -> Any:
    """A hashable image of YAML data that tells apart what reading it tells apart (None: cannot)."""
    if type(value) is str:  # the common case first (the Mapping check is a slow abstract-class check)
        return (str, value)
    if isinstance(value, Mapping):
        items = tuple((_frozen(k), _frozen(v)) for k, v in value.items())
        return None if any(k is None or v is None for k, v in items) else ("map", items)
    if isinstance(value, list):
        parts = tuple(_frozen(v) for v in value)
        return None if any(v is None for v in parts) else ("list", parts)
    try:
        hash(value)
    except TypeError:
        return None
    return (type(value), value)


def _read_map_filters(raw: Any, path: YamlPath) -> MapFilter:
    if not isinstance(raw, Mapping):
        raise FilterError("invalid", path, "filters must be a map (branches/tags) or an expression string")
    for key in raw:
        if key not in ("branches", "tags"):
            raise FilterError("invalid", (*path, str(key)), f"unknown filter key {key!r} "
                              "(map filters have branches and tags)")
    dims: list[RefSet] = []
    patterns: list[tuple[YamlPath, Pattern]] = []
    for dim, kind in (("branches", "branch"), ("tags", "tag")):
        spec = raw.get(dim)
        dpath = (*path, dim)
        lists: dict[str, tuple[str, ...] | None] = {"only": None, "ignore": None}
        if spec is not None:
            if not isinstance(spec, Mapping):
                raise FilterError("invalid", dpath, f"{dim} must be a map with only and/or ignore")
            for key, value in spec.items():
                if key not in lists:
                    raise FilterError("invalid", (*dpath, str(key)),
                                      f"unknown key {key!r} (use only or ignore)")
                kpath = (*dpath, key)
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                    raise FilterError("invalid", kpath, f"{key} must be a string or a list of strings")
                for i, v in enumerate(items):
                    ppath: YamlPath = kpath if isinstance(value, str) else (*kpath, i)
                    p = Pattern(v)
                    if p.is_regex:
                        try:
                            p.compiled  # noqa: B018 - compiling is the check
                        except re.error as exc:
                            if re.search(r"\\[pPz]", p.body):
                                raise FilterError("unsupported", ppath, f"regex {v} uses \\p{{…}} or \\z, "
                                                  "which cigen's regex engine lacks") from None
                            raise FilterError("invalid", ppath,
                                              f"regex {v} does not compile: {exc}") from None
                    patterns.append((ppath, p))
                lists[key] = tuple(items)
        k: Kind = "branch" if kind == "branch" else "tag"
        dims.append(RefSet.of(clause_from_lists(lists["only"], lists["ignore"], k)))
    return MapFilter(Trigger(dims[0], dims[1]), written=True, patterns=tuple(patterns),
                     has_tags=raw.get("tags") is not None)


# ==================================================================================================
# Reading a config's workflows.


@dataclass(frozen=True)
class Problem:
    """A structural problem in a config (CircleCI would reject the config)."""

    rule: str
    path: YamlPath
    message: str


@dataclass(frozen=True)
class Requirement:
    """One entry of ``requires``."""

    name: str
    path: YamlPath


@dataclass(frozen=True)
class WorkflowJob:
    """One entry of a workflow's ``jobs`` list."""

    name: str  # what `requires` refers to: `name:` if given, else the job
    job: str  # the job it runs (a key of `jobs`, an orb job, or the approval's own name)
    approval: bool
    requires: tuple[Requirement, ...]
    filters_raw: Any
    path: YamlPath  # of the entry's key (…jobs.<i>.<job>) or of the plain string entry
    params_path: YamlPath
    matrix: bool = False

    @property
    def filters_path(self) -> YamlPath:
        """YAML path of this entry's ``filters``."""
        return (*self.params_path, "filters")


@dataclass(frozen=True)
class Workflow:
    """A workflow and its jobs, in the order written."""

    name: str
    jobs: tuple[WorkflowJob, ...]
    path: YamlPath
    condition: bool = False  # has `when:` / `unless:` (not evaluated by cigen)


@dataclass(frozen=True)
class Config:
    """The parts of a config.yml that decide what runs."""

    version: str | None
    workflows: tuple[Workflow, ...]
    job_names: frozenset[str]
    problems: tuple[Problem, ...]
    workflows_version: Any
    data: Any = field(repr=False, compare=False, default=None)


#: ``Config.workflows_version`` when the config has no ``workflows: version:``.
MISSING: Any = object()


def _version_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        return repr(v) if v != int(v) else str(int(v))
    return str(v)


def read_config(data: Any) -> Config:
    """Read the workflows of a parsed config.yml; structural problems are collected, not raised."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return Config(None, (), frozenset(), (Problem("config-structure", (), "a CircleCI config is a "
                      "YAML map (version, jobs, workflows)"),), MISSING, data)
    jobs = data.get("jobs")
    job_names = frozenset(str(k) for k in jobs) if isinstance(jobs, Mapping) else frozenset()
    if jobs is not None and not isinstance(jobs, Mapping):
        problems.append(Problem("config-structure", ("jobs",), "jobs must be a map of job names"))
    raw_wfs = data.get("workflows")
    workflows: list[Workflow] = []
    wf_version: Any = MISSING
    if raw_wfs is not None and not isinstance(raw_wfs, Mapping):
        problems.append(Problem("config-structure", ("workflows",), "workflows must be a map"))
        raw_wfs = None
    for wf_name, wf in (raw_wfs or {}).items():
        if wf_name == "version" and not isinstance(wf, Mapping):
            wf_version = wf
            continue
        wpath: YamlPath = ("workflows", str(wf_name))
        if not isinstance(wf, Mapping) or not isinstance(wf.get("jobs"), list):
            problems.append(Problem("config-structure", wpath, "a workflow needs a jobs list"))
            continue
        entries: list[WorkflowJob] = []
        for i, entry in enumerate(wf["jobs"]):
            epath: YamlPath = (*wpath, "jobs", i)
            wj = _read_entry(entry, epath, problems)
            if wj is not None:
                entries.append(wj)
        workflows.append(Workflow(str(wf_name), tuple(entries), wpath,
                                  condition="when" in wf or "unless" in wf))
    return Config(_version_text(data.get("version")), tuple(workflows), job_names, tuple(problems),
                  wf_version, data)


def _read_entry(entry: Any, epath: YamlPath, problems: list[Problem]) -> WorkflowJob | None:
    if isinstance(entry, str):
        return WorkflowJob(entry, entry, False, (), None, epath, epath)
    if not isinstance(entry, Mapping) or len(entry) != 1:
        problems.append(Problem("config-structure", epath,
                                "a workflow job is a job name or a map with one job name as its key"))
        return None
    ((job, params),) = entry.items()
    job = str(job)
    ppath: YamlPath = (*epath, job)
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        problems.append(Problem("config-structure", ppath, "the job's parameters must be a map"))
        return None
    name = params.get("name")
    node = job
    if isinstance(name, str) and "<<" not in name:
        node = name
    approval = params.get("type") == "approval"
    reqs: list[Requirement] = []
    raw_req = params.get("requires")
    if raw_req is not None:
        if not isinstance(raw_req, list):
            problems.append(Problem("config-structure", (*ppath, "requires"), "requires must be a list"))
        else:
            for j, r in enumerate(raw_req):
                rpath: YamlPath = (*ppath, "requires", j)
                if isinstance(r, Mapping) and len(r) == 1:  # `- build: [success, failed]`
                    r = next(iter(r))
                if not isinstance(r, str):
                    problems.append(Problem("config-structure", rpath, "a requires entry is a job name"))
                elif "<<" not in r:
                    reqs.append(Requirement(r, rpath))
    return WorkflowJob(node, job, approval, tuple(reqs), params.get("filters"), ppath, ppath,
                       matrix="matrix" in params)


def graph_problems(wf: Workflow) -> list[Problem]:
    """Duplicate names, ``requires`` outside the workflow, and cycles (CircleCI rejects all three)."""
    out: list[Problem] = []
    seen: dict[str, WorkflowJob] = {}
    for wj in wf.jobs:
        if wj.name in seen and not wj.matrix:
            out.append(Problem("duplicate-job", wj.path, f"{wj.name!r} appears twice in workflow "
                               f"{wf.name!r}; give one of the entries its own name: parameter"))
        seen.setdefault(wj.name, wj)
    known = set(seen) | {wj.job for wj in wf.jobs}
    for wj in wf.jobs:
        for r in wj.requires:
            if r.name not in known:
                close = difflib.get_close_matches(r.name, sorted(known), n=1)
                hint = f'; did you mean "{close[0]}"?' if close else ""
                out.append(Problem("unknown-requires", r.path, f"requires {r.name!r}, which is not a job "
                                   f"of workflow {wf.name!r}{hint}"))
    for cycle in _cycles(wf):
        first = next(wj for wj in wf.jobs if wj.name == cycle[0])
        out.append(Problem("requires-cycle", (*first.params_path, "requires"),
                           "requires form a cycle: " + " -> ".join(cycle)))
    return out


def _edges(wf: Workflow) -> dict[str, list[str]]:
    names = {wj.name for wj in wf.jobs}
    alias = {wj.job: wj.name for wj in wf.jobs}  # `requires: [build]` also names a matrix/renamed job
    out: dict[str, list[str]] = {}
    for wj in wf.jobs:
        lst = out.setdefault(wj.name, [])
        for r in wj.requires:
            target = r.name if r.name in names else alias.get(r.name)
            if target is not None and target not in lst:
                lst.append(target)
    return out


def _cycles(wf: Workflow) -> Iterator[list[str]]:
    edges = _edges(wf)
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for root in edges:
        if state.get(root):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if state.get(nxt) == 1:
                cyc = [*path[path.index(nxt):], nxt]
                key = frozenset(cyc)
                if key not in reported:
                    reported.add(key)
                    yield cyc
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(edges.get(nxt, []))))


def topo_order(wf: Workflow) -> list[str]:
    """Job names, upstream first (a graph without cycles; ties keep the written order)."""
    edges = _edges(wf)
    order: list[str] = []
    done: set[str] = set()
    for root in edges:
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            if expanded:
                done.add(node)
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((r, False) for r in reversed(edges[node]) if r not in done)
    return order


# ==================================================================================================
# Verdicts.

Status = Literal["runs", "on hold", "after approval", "skipped"]


@dataclass(frozen=True)
class Verdict:
    """What CircleCI does with one workflow job for one event, and why."""

    workflow: str
    job: str
    approval: bool
    status: Status
    reason: str  # own-trigger | filters | needed-downstream | approval | filtered | upstream-skipped
    detail: str

    @property
    def runs(self) -> bool:
        """Whether the job appears in the pipeline (an approval job on hold counts)."""
        return self.status != "skipped"

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {"workflow": self.workflow, "job": self.job, "type": "approval" if self.approval else "job",
                "status": self.status, "runs": self.runs, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True)
class Explanation:
    """Every workflow job's verdict for one event, in the order the config lists them."""

    event: Event
    source: str
    verdicts: tuple[Verdict, ...]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {"event": {"kind": self.event.kind, "name": self.event.name}, "source": self.source,
                "jobs": [v.as_dict() for v in self.verdicts], "notes": list(self.notes)}


def compile_filters(wj: WorkflowJob, config: Config, file: str | None) -> Filter:
    """Read a job's filters, or raise an InputError naming the file, YAML path and line."""
    try:
        return read_filters(wj.filters_raw, wj.filters_path)
    except FilterError as exc:
        hint = None
        if exc.kind == "unsupported":
            hint = "cigen explain evaluates branch and tag filters only; `cigen lint` still checks the rest"
        raise InputError(exc.message, file=file, key=yaml_path(exc.path), line=line_of(config.data, exc.path),
                         hint=hint) from None


def explain(config: Config, event: Event, *, source: str, file: str | None = None,
            own: Mapping[str, Trigger] | None = None) -> Explanation:
    """Decide, for every workflow job, whether CircleCI runs it for ``event`` and why.

    Args:
        config: The read config.
        event: The git event.
        source: What to call the input in the result (a file name).
        file: The file to name in errors.
        own: For configs cigen rendered: each generated job's own trigger as written in envs.toml,
            so a job admitted only for a downstream job is explained as such.

    Raises:
        InputError: the config is one CircleCI would reject, or uses filters cigen cannot evaluate.

    """
    problems = list(config.problems)
    for wf in config.workflows:
        problems.extend(graph_problems(wf))
    if problems:
        p = problems[0]
        raise InputError(p.message, file=file, key=yaml_path(p.path) or None,
                         line=line_of(config.data, p.path),
                         hint="run `cigen lint` for every problem")
    verdicts: list[Verdict] = []
    notes: list[str] = []
    for wf in config.workflows:
        if wf.condition:
            notes.append(f"workflow {wf.name!r} has when:/unless:, which cigen does not evaluate; "
                         "its jobs are shown as if the condition were true")
        verdicts.extend(_explain_workflow(wf, config, event, file, own))
    return Explanation(event, source, tuple(verdicts), tuple(notes))


def _describe_filters(f: Filter, event: Event, admitted: bool) -> str:
    if isinstance(f, MapFilter) and not f.written:
        if event.kind == "branch":
            return "no filters: every branch runs it"
        return "no filters: CircleCI runs a job for a tag only when its filters admit that tag"
    if isinstance(f, MapFilter) and event.kind == "tag" and not admitted and not f.has_tags:
        return "no tag filters: CircleCI runs a job for a tag only when its filters admit that tag"
    return f"its filters {'admit' if admitted else 'do not admit'} {event}"


def _explain_workflow(wf: Workflow, config: Config, event: Event, file: str | None,
                      own: Mapping[str, Trigger] | None) -> list[Verdict]:
    by_name = {wj.name: wj for wj in wf.jobs}
    edges = _edges(wf)
    down: dict[str, list[str]] = {n: [] for n in edges}
    for n, ups in edges.items():
        for u in ups:
            down[u].append(n)
    filters = {wj.name: compile_filters(wj, config, file) for wj in wf.jobs}
    status: dict[str, Status] = {}
    result: dict[str, Verdict] = {}
    for name in topo_order(wf):
        wj = by_name[name]
        f = filters[name]
        admitted = f.admits(event)
        if not admitted:
            status[name] = "skipped"
            result[name] = Verdict(wf.name, name, wj.approval, "skipped", "filtered",
                                   "filtered: " + _describe_filters(f, event, False))
            continue
        # CircleCI drops required jobs that do not run from `requires`; a job none of whose required
        # jobs run is skipped (CircleCI forum, "Jobs Run if a Required Job is Filtered").
        ups = edges[name]
        running = [u for u in ups if status[u] != "skipped"]
        if ups and not running:
            status[name] = "skipped"
            why = ", ".join(f"{u} ({result[u].reason.replace('-', ' ')})" for u in ups)
            result[name] = Verdict(wf.name, name, wj.approval, "skipped", "upstream-skipped",
                                   f"every job it requires is skipped: {why}")
            continue
        parts: list[str] = []
        reason = "filters"
        if own is not None and name in own and not wj.approval:
            if own[name].admits(event.kind, event.name):
                reason, text = "own-trigger", f"its own trigger admits {event}"
            else:
                needers = [d for d in _downstream(name, down)
                           if d in own and not by_name[d].approval and own[d].admits(event.kind, event.name)]
                reason = "needed-downstream"
                text = (f"its own trigger does not admit {event}; it runs because "
                        f"{_names(needers)} need{'s' if len(needers) == 1 else ''} it")
        else:
            text = _describe_filters(f, event, True)
        parts.append(text)
        dropped = [u for u in ups if status[u] == "skipped"]
        if dropped:
            parts.append(f"{_names(dropped)} skipped and dropped from its requires")
        waiting = [u for u in running if status[u] in ("on hold", "after approval")]
        st: Status
        if wj.approval:
            st, reason = "on hold", "approval"
            parts.insert(0, "waits for manual approval")
        elif waiting:
            gates = sorted({g for u in waiting for g in _gates(u, status, edges)}, key=list(edges).index)
            st = "after approval"
            parts.insert(0, f"after approval of {_names(gates)}")
        else:
            st = "runs"
        status[name] = st
        result[name] = Verdict(wf.name, name, wj.approval, st, reason, "; ".join(parts))
    return [result[wj.name] for wj in wf.jobs if wj.name in result]


def _downstream(name: str, down: Mapping[str, list[str]]) -> list[str]:
    seen: list[str] = []
    stack = list(down.get(name, []))
    while stack:
        n = stack.pop(0)
        if n not in seen:
            seen.append(n)
            stack.extend(down.get(n, []))
    return seen


def _gates(name: str, status: Mapping[str, Status], edges: Mapping[str, list[str]]) -> list[str]:
    """Return the approval jobs on hold that ``name`` (on hold or after approval) waits for."""
    if status[name] == "on hold":
        return [name]
    out: list[str] = []
    for u in edges[name]:
        if status[u] in ("on hold", "after approval"):
            out.extend(g for g in _gates(u, status, edges) if g not in out)
    return out


def _names(names: Sequence[str]) -> str:
    if not names:
        return "nothing"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


# ==================================================================================================
# Output.


def format_table(expl: Explanation) -> str:
    """Return a readable, aligned table of the verdicts (ending in a newline)."""
    rows = [("WORKFLOW", "JOB", "STATUS", "WHY")]
    rows.extend((v.workflow, v.job + (" (approval)" if v.approval else ""), v.status, v.detail)
                for v in expl.verdicts)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{expl.event} ({expl.source})", ""]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    for note in expl.notes:
        lines.append(f"note: {note}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
