"""Reading a user's text file (envs.toml or a config.yml) with one plain-words error per failure.

Light on purpose (no pydantic, no YAML): both the TOML loader and ``cigen lint`` read through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gen.errors import InputError

# A generous ceiling: real envs files are a few KB; a 5,000-environment monorepo file is about 2 MB.
MAX_BYTES = 32 * 1024 * 1024


def read_text(path: Path, *, kind: str, missing_hint: str, dir_hint: str) -> str:
    """Read a UTF-8 text file, or raise InputError saying plainly why not.

    Args:
        path: The file to read.
        kind: What the file should hold, for the binary-file message (``"TOML"``, ``"YAML"``).
        missing_hint: The fix shown when the file does not exist.
        dir_hint: The fix shown when the path is a directory.
    """
    try:
        if path.is_dir():
            raise InputError("is a directory, not a file", file=path, hint=dir_hint)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"file is too large ({size} bytes, limit {MAX_BYTES})", file=path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path, hint=missing_hint) from None
    except PermissionError:
        raise InputError("permission denied while reading", file=path,
                         hint="make the file readable by this user") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if b"\x00" in data:
        raise InputError(f"is a binary file, not {kind} text", file=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start})", file=path, hint="save it as UTF-8") from None
    return text.removeprefix("\ufeff")


def dotted(parts: Sequence[int | str]) -> str:
    """``["environments", "prod", "steps", 0]`` → ``environments.prod.steps.0`` (odd keys quoted).

    The one way cigen writes a location, in envs.toml keys and config.yml paths alike.
    """
    out: list[str] = []
    for p in parts:
        s = str(p)
        if isinstance(p, str) and not re.fullmatch(r"[A-Za-z0-9_-]+", s):
            s = '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(s)
    return ".".join(out)
