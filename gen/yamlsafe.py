r"""YAML-safe output of user values: the only way values reach the rendered text.

Rules implemented (YAML 1.2 as ruamel.yaml reads it, and YAML 1.1 as PyYAML and CircleCI read it):

* A string is written *plain* only when no reader could take it for anything else: it starts with a
  letter, ``_``, ``$``, ``(`` or ``/``; uses printable ASCII; contains no ``": "``, ``" #"``, tab or line
  break; does not end in ``:`` or a space; and is not a YAML 1.1/1.2 boolean or null word
  (``yes``, ``no``, ``on``, ``off``, ``y``, ``n``, ``true``, ``false``, ``null``, …). Starting with a
  letter rules out numbers, timestamps, ``.inf`` and ``~``.
* Anything else is double-quoted, with ``\\``, ``"`` and every character YAML does not allow raw
  (controls, DEL, C1, NEL, LS/PS, BOM, surrogates) escaped, so unicode text stays readable.
* In block context, a multi-line string with one or no trailing newline, no tab or carriage return,
  no trailing spaces and a non-blank first line is written as a ``|`` literal block, as people write
  commands by hand; the others are double-quoted.

The functions return :class:`YamlText`, which the Jinja environment's ``finalize`` hook demands of every
``{{ … }}`` output, so a template cannot emit a raw user string by mistake.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

#: Longest key written as `key: value`; YAML (1.1 and 1.2) allows 1024 characters before the colon.
MAX_IMPLICIT_KEY = 1000


class YamlText(str):
    """Text already made safe for YAML output."""

    __slots__ = ()


_PLAIN = re.compile(r"[A-Za-z_$/(][\x20-\x7e]*")
# A string starting with a digit is still plain-safe when it holds a letter that no YAML 1.1/1.2
# number, timestamp or special float can contain (so ECR hosts like 1234….dkr.ecr… stay readable).
_PLAIN_DIGIT = re.compile(r"[0-9][\x20-\x7e]*[g-np-suvwyG-NP-SUVWY][\x20-\x7e]*")
_WORDS = frozenset(
    ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "=", "<<"]
)  # compared case-insensitively: over-quoting "yEs" is harmless
# Characters written raw inside quotes. Excluded (so escaped): controls, DEL, C1 and NEL, the line and
# paragraph separators, the BOM, surrogates, and the invisible zero-width and bidirectional controls
# (U+200B-U+200F, U+202A-U+202E, U+2060-U+206F), which could make a reviewer read a different command
# than the one CircleCI runs. Written as the complement of those few ranges: the same set as listing the
# allowed ranges up to U+10FFFF, but compiled in about a millisecond instead of ~17 ms at every start.
_EXCLUDED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufffe\uffff"
_ALLOWED = re.compile(f"[^{_EXCLUDED}]")
# The same rules applied to a whole string in one regex call (a loop over characters in Python is the
# slowest part of writing thousands of jobs): every character allowed and not a tab (literal block
# lines), or additionally none that a double-quoted scalar must escape.
_LINE_ALLOWED = re.compile(f"[^\\t{_EXCLUDED}]*")
_NO_ESCAPE = re.compile(f'[^\\t\\n"\\\\{_EXCLUDED}]*')


def is_plain_safe(value: str) -> bool:
    """Whether ``value`` can be written as a plain scalar and read back as the same string."""
    return bool(
        (_PLAIN.fullmatch(value) or _PLAIN_DIGIT.fullmatch(value))
        and ": " not in value
        and " #" not in value
        and not value.endswith((":", " "))
        and value.lower() not in _WORDS
    )


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == '"':
        return '\\"'
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    if _ALLOWED.fullmatch(ch):
        return ch
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def double_quoted(value: str) -> str:
    """A YAML double-quoted scalar for ``value`` (one line; everything unsafe escaped)."""
    if _NO_ESCAPE.fullmatch(value):  # no character needs an escape (a regex is much faster than a loop)
        return f'"{value}"'
    return '"' + "".join(_escape_char(ch) for ch in value) + '"'


def quote(value: Any) -> YamlText:
    """A one-line YAML scalar for a string, bool, number or date (the ``q`` template filter)."""
    if type(value) is str:  # the common case, first; the same names recur in every job
        return _quote_str(value)
    if isinstance(value, YamlText):
        return value
    if isinstance(value, bool):
        return YamlText("true" if value else "false")
    if isinstance(value, int):
        return YamlText(str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return YamlText(".nan")
        if math.isinf(value):
            return YamlText(".inf" if value > 0 else "-.inf")
        text = repr(value)
        # YAML 1.1 (PyYAML, CircleCI) reads a float only with a dot in the mantissa: `1e+16` would be
        # the *string* "1e+16" there, so it is written `1.0e+16` (a float in YAML 1.1 and 1.2 alike).
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return YamlText(text)
    if isinstance(value, dt.date | dt.time):
        # TOML dates and times have no exact YAML 1.1/1.2 twin that both readers agree on: keep the text.
        return YamlText(double_quoted(value.isoformat()))
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    return _quote_str(value)


@lru_cache(maxsize=1 << 16)
def _quote_str(value: str) -> YamlText:
    # Cached: a config with thousands of jobs writes the same step names, branches and keys each time.
    return YamlText(value if is_plain_safe(value) else double_quoted(value))


def _literal_ok(value: str) -> bool:
    if "\n" not in value.rstrip("\n") or value.endswith("\n\n"):
        return False
    if "\r" in value or "\t" in value or value[:1] in (" ", "\n"):
        return False
    return all(not line.endswith(" ") and _all_allowed(line) for line in value.rstrip("\n").split("\n"))


def _all_allowed(text: str) -> bool:
    return _LINE_ALLOWED.fullmatch(text) is not None


def _scalar_block(value: Any, indent: int) -> str:
    """A scalar in block context: a ``|`` literal when that reads better and is exact."""
    if type(value) is str and "\n" not in value:  # one line (the common case): never a literal block
        return _quote_str(value)
    if isinstance(value, str) and not isinstance(value, YamlText) and _literal_ok(value):
        chomp = "" if value.endswith("\n") else "-"
        pad = " " * (indent + 2)
        body = "\n".join(pad + line if line else "" for line in value.rstrip("\n").split("\n"))
        return f"|{chomp}\n{body}"
    return quote(value)


def block(value: Any, indent: int) -> YamlText:
    """Block YAML for a mapping or list, every line indented by ``indent`` spaces (the ``yaml`` filter).

    Scalars are written by :func:`quote`, or as literal blocks in block context.
    """
    if type(value) is tuple and all(type(v) is str for v in value):
        # requires, context and filter patterns: the same few tuples of names recur in every job.
        return _block_of_names(value, indent)
    return YamlText("\n".join(_lines(value, indent)))


@lru_cache(maxsize=4096)
def _block_of_names(value: tuple[str, ...], indent: int) -> YamlText:
    return YamlText("\n".join(_lines(value, indent)))


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if _is_mapping(value):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for k, v in value.items():
            key = quote(str(k))
            if len(key) > MAX_IMPLICIT_KEY:
                # YAML limits an implicit key (`key: value`) to 1024 characters; longer keys are written
                # in the explicit form `? key` / `: value`, which both YAML 1.1 and 1.2 readers accept.
                out.append(pad + "? " + key)
                out.extend(_entry(pad + ":", v, indent))
            else:
                out.extend(_entry(pad + key + ":", v, indent))
        return out
    if _is_collection(value):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if type(item) is str:  # a plain string item: the common case, without the collection checks
                out.append(pad + "- " + _scalar_block(item, indent))
                continue
            sub = _lines(item, indent + 2) if _is_collection(item) and item else None
            if sub is None:
                out.append(pad + "- " + _scalar_block(item, indent) if not _is_collection(item)
                           else pad + "- " + ("{}" if _is_mapping(item) else "[]"))
            else:
                # The first line of the nested block moves up beside the dash.
                out.append(pad + "- " + sub[0][indent + 2:])
                out.extend(sub[1:])
        return out
    return [pad + _scalar_block(value, indent - 2)]


def _entry(head: str, value: Any, indent: int) -> list[str]:
    if type(value) is str:  # the common case, without the collection checks
        return [head + " " + _scalar_block(value, indent)]
    if _is_collection(value) and value:
        return [head, *_lines(value, indent + 2)]
    if _is_collection(value):
        return [head + (" {}" if _is_mapping(value) else " []")]
    return [head + " " + _scalar_block(value, indent)]


def _is_collection(value: Any) -> bool:
    kind = type(value)
    if kind is dict or kind is list or kind is tuple:  # exact types first: the ABC checks are slow
        return True
    if kind is str:
        return False
    return isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str))


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)
