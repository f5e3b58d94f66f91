"""The secret guard: no literal credential in envs.toml reaches a generated config.

A config.yml is committed and readable by everyone with access to the repository, and CircleCI prints
it in every build's "config" tab. Credentials belong in a CircleCI *context* or *project environment
variable*, referenced by name (``$NAME`` in a command, the variable's name in ``aws_auth``). This
module scans every string of an envs file that reaches the output (names, commands, step fields,
environment values, contexts, patterns, table keys) and refuses values that look like a credential:

* AWS access key ids (``AKIA…``, ``ASIA…`` and the other four-letter key-id prefixes, 20 characters);
* private-key blocks (``-----BEGIN … PRIVATE KEY-----``);
* well-known token shapes: GitHub (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``),
  GitLab (``glpat-``), Slack (``xoxb-``, ``xoxp-``, …) and Slack webhooks, Stripe live keys, Google API
  keys, npm tokens, CircleCI personal tokens, JSON web tokens;
* a literal password in a URL (``https://user:pa55@host``) and a literal ``Bearer``/``Basic`` token;
* secret-like strings: a run of 32 or more base64 characters (``A-Z a-z 0-9 + / =``) mixing upper case,
  lower case and digits, with the entropy and the character-class changes of random data; and any
  stand-alone run of exactly 40 such characters mixing the three (an AWS secret access key's shape,
  which the output lint refuses too). Hex digests (git SHAs, ``sha256:`` image digests) are lower-case
  only and never match; nor do paths, CamelCase names of other lengths and ``$VARIABLE`` references.

The escape hatch is explicit and per value: ``allow_secrets = ["<exact text>", …]`` at the top of
envs.toml. A finding is let through when the flagged text, or the whole value it is in, is listed.
Error messages never repeat the flagged text: they show its kind, its dotted key and a masked preview.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gen.errors import InputError
from gen.textfile import dotted

# (kind, regex). Order matters only for which kind is reported when two rules hit the same text.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key block", re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")),
    (
        "an AWS access key id",
        # The same boundaries as lint's aws-key-id rule, so nothing lint refuses in the output passes here.
        re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA|A3T[A-Z0-9])"
                   r"[A-Z0-9]{16}(?![A-Z0-9])"),
    ),
    (
        "a GitHub token",
        re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    ("a GitLab token", re.compile(r"(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}")),
    (
        "a Slack webhook URL",
        re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{8,}"),
    ),
    ("a Stripe live key", re.compile(r"(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{16,}")),
    ("a Google API key", re.compile(r"(?<![A-Za-z0-9])AIza[A-Za-z0-9_-]{35}")),
    ("an npm token", re.compile(r"(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}")),
    ("a CircleCI personal token", re.compile(r"(?<![A-Za-z0-9])CCIPAT_[A-Za-z0-9_]{20,}")),
    (
        "a JSON web token",
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
)
# scheme://user:password@host with a literal password (a $VARIABLE or << parameter >> is fine).
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:(?P<secret>[^\s/@]+)@")
# "Bearer <token>" / "Basic <token>" with a literal token.
_AUTH_TOKEN = re.compile(r"(?i)\b(?:bearer|basic)\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})")
# Candidate secret-like runs; their statistics decide (see _random_looking).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{32,}")
# Exactly 40 base64 characters standing alone, mixing upper case, lower case and digits: the shape of
# an AWS secret access key, which lint's secret-like rule refuses in the output whatever its entropy.
# Refused here too, so the error names the envs.toml key (and the file can allow it explicitly).
_SECRET_40 = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# Subresource-integrity hashes (sha256-<base64>) are digests, not secrets.
_DIGEST_PREFIX = re.compile(r"sha(?:1|224|256|384|512)[-:]$", re.IGNORECASE)

#: What every refusal tells the user to do.
HINT = (
    "store the value in a CircleCI context or project environment variable and refer to it by name "
    "($NAME in a command; the variable's name in aws_auth/auth); if it is not a secret, add the exact "
    "text to allow_secrets = [...] at the top of envs.toml"
)


@dataclass(frozen=True)
class Finding:
    """A credential-looking piece of text in one value of envs.toml."""

    key: str  # dotted key of the value in envs.toml (of its table, when the text is a key there)
    kind: str  # "an AWS access key id", …
    text: str  # the flagged text itself (never printed)
    start: int  # its offset in the value
    in_key: bool = False  # the text is in a table key, not a value


def _class(ch: str) -> int:
    if ch.isupper():
        return 0
    if ch.islower():
        return 1
    if ch.isdigit():
        return 2
    return 3


def _random_looking(token: str) -> bool:
    """Whether a base64 run has the statistics of random data rather than of words or paths.

    Measured on 20,000 random base64 strings per length, 99.9 % of 32-, 40- and 64-character ones have a
    Shannon entropy of at least 4.1, 4.36 and 4.83 bits per character, and at least 35 %, 38 % and 44 %
    of adjacent characters in different classes (upper/lower/digit/symbol). CamelCase names and paths of
    the same length fall below one of the two (words are long runs of one class). With the thresholds
    below, 99.81 %, 99.95 % and 99.99 % of such 32-, 40- and 64-character strings (those mixing upper
    case, lower case and digits) are flagged.
    """
    body = token.rstrip("=")
    n = len(body)
    if n < 32:
        return False
    classes = {_class(c) for c in body}
    if not {0, 1, 2} <= classes:  # upper case, lower case and digits all present
        return False
    counts = Counter(body)
    entropy = -sum(c / n * math.log2(c / n) for c in counts.values())
    changes = sum(_class(a) != _class(b) for a, b in itertools.pairwise(body)) / (n - 1)
    # Entropy a little under the 0.1 % quantile of random data for each length band; one class-change
    # threshold for all lengths (it is what keeps CamelCase words out).
    need_entropy = 4.0 if n < 40 else 4.25 if n < 64 else 4.7
    return entropy >= need_entropy and changes >= 0.38


def scan_text(value: str) -> Iterator[tuple[str, str, int]]:
    """Yield ``(kind, text, start)`` for every credential-looking piece of ``value``."""
    for kind, rx in _RULES:
        for m in rx.finditer(value):
            yield kind, m.group(0), m.start()
    for m in _URL_PASSWORD.finditer(value):
        secret = m.group("secret")
        if not secret.startswith(("$", "<<")):
            yield "a password written into a URL", secret, m.start("secret")
    for m in _AUTH_TOKEN.finditer(value):
        secret = m.group("secret")
        if any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret):
            yield "a literal authorization token", secret, m.start("secret")
    shaped: set[int] = set()
    for m in _SECRET_40.finditer(value):
        if {0, 1, 2} <= {_class(c) for c in m.group(0)}:
            shaped.add(m.start())
            yield "a 40-character string shaped like an AWS secret access key", m.group(0), m.start()
    for m in _BASE64_RUN.finditer(value):
        if _DIGEST_PREFIX.search(value[: m.start()]) or m.start() in shaped:
            continue
        if _random_looking(m.group(0)):
            yield "a random secret such as an AWS secret access key", m.group(0), m.start()


# find_secrets first asks whether anything in the file could be flagged at all, in one pass of C-speed
# searches over all its strings joined by line breaks, instead of every rule on every value (most files
# have nothing to report). The searches admit a superset of what scan_text flags, so a file they clear
# has no finding: each one is a rule's regex with its leading look-behind dropped (which only widens it,
# and lets re search for the literal prefix), or a wider pattern than the rule's; no rule can match
# across the line break between two values (its classes exclude the break and a dropped look-behind
# was a negated class); the 40-character key shape is also a 32-character base64 run.
# tests/robustness/test_secret_guard.py checks this against scan_text on generated values.
_PREFILTER = (
    *(re.compile(re.sub(r"^\(\?<!\[[^\]]*\]\)", "", rx.pattern)) for kind, rx in _RULES if kind != "a Stripe live key"),
    re.compile(r"k_live_[A-Za-z0-9]{16,}"),  # the Stripe rule without its [rs] (no literal prefix)
    re.compile(r"://[^\s/:@]+:[^\s/@]+@"),  # _URL_PASSWORD without its scheme
    re.compile(r"(?i)(?:bearer|basic)\s"),  # _AUTH_TOKEN's start, without \b
)
# Base64 characters → "a", so that a 32-character run (_BASE64_RUN) is a plain substring search.
_BASE64_TO_A = str.maketrans(dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", "a"))


def could_hold_secret(text: str) -> bool:
    """False only when :func:`scan_text` finds nothing in any line of ``text``."""
    return "a" * 32 in text.translate(_BASE64_TO_A) or any(rx.search(text) for rx in _PREFILTER)


def _strings(node: Any, out: list[str]) -> list[str]:
    """Every string :func:`_walk` yields (values and table keys), without their paths."""
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, Mapping):
        for k, v in node.items():
            out.append(str(k))
            _strings(v, out)
    elif isinstance(node, Sequence):
        for v in node:
            _strings(v, out)
    return out


def _walk(node: Any, key: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """Every string in ``node`` with its path: values, and table keys (a key is output too, as a name)."""
    if isinstance(node, str):
        yield key, node, False
    elif isinstance(node, Mapping):
        for k, v in node.items():
            yield key, str(k), True  # a key is reported at its table: its own path would repeat it
            yield from _walk(v, (*key, k))
    elif isinstance(node, Sequence):
        for i, v in enumerate(node):
            yield from _walk(v, (*key, i))


def find_secrets(data: Mapping[str, Any], allow: Sequence[str] = ()) -> list[Finding]:
    """Every credential-looking value in ``data`` (an envs file as plain data), minus the allowed ones.

    Args:
        data: The envs file as parsed (tables, arrays, strings, …); ``allow_secrets`` itself is skipped.
        allow: Exact texts that are not secrets: a finding is dropped when its text or its whole value
            is one of them.

    Returns:
        The findings in document order.

    """
    allowed = set(allow)
    out: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    data = {k: v for k, v in data.items() if k != "allow_secrets"}
    if not could_hold_secret("\n".join(_strings(data, []))):
        return out
    for parts, value, in_key in _walk(data, ()):
        if value in allowed:
            continue
        key = ""
        for kind, text, start in scan_text(value):
            key = key or dotted(parts)
            if text in allowed or (key, start, text) in seen:
                continue
            seen.add((key, start, text))
            out.append(Finding(key=key, kind=kind, text=text, start=start, in_key=in_key))
    return out


_PREFIXED_KINDS = frozenset(kind for kind, _ in _RULES)


def mask(text: str, kind: str) -> str:
    """Describe flagged text without revealing it, e.g. ``AKIA… 20 characters``.

    Only the shapes that start with a public prefix (``AKIA``, ``ghp_``, ``-----``, …) show their first
    four characters; a random secret, a password or a bearer token shows nothing of itself.
    """
    head = f"{text[:4]}… " if kind in _PREFIXED_KINDS else ""
    return f"{head}{len(text)} characters"


def check_secrets(data: Mapping[str, Any], allow: Sequence[str], path: str | Path) -> None:
    """Refuse an envs file holding a literal credential.

    Args:
        data: The envs file as plain data (e.g. ``EnvsFile.model_dump(exclude_none=True)``).
        allow: The file's ``allow_secrets`` list.
        path: The envs file, for the error message.

    Raises:
        InputError: naming the dotted key of the first finding and how to move the value out.

    """
    findings = find_secrets(data, allow)
    if not findings:
        return
    first = findings[0]
    more = len(findings) - 1
    tail = f" (and {more} more finding{'s' if more > 1 else ''})" if more else ""
    what = "a key of this table" if first.in_key else "this"
    raise InputError(
        f"{what} looks like {first.kind} ({mask(first.text, first.kind)} at character {first.start + 1}); "
        f"a credential must never be written into config.yml{tail}",
        file=path,
        key=first.key or None,
        hint=HINT,
    )
