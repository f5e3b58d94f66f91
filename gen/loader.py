"""Read envs.toml into an :class:`~gen.models.EnvsFile`, turning every failure into an InputError.

This is the parse half of the parse/execute split: nothing here knows about jobs or YAML.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gen import records, textfile
from gen.errors import InputError
from gen.records import EnvsFile
from gen.textfile import dotted

if TYPE_CHECKING:
    import tomllib

    from pydantic import BaseModel, ValidationError
else:
    try:  # the standard library's TOML 1.0 parser, as released separately and compiled with mypyc: about
        # twice as fast on large files (bench/RESULTS.md). tomli 2.4 reads TOML 1.1, hence its pin.
        import tomli as tomllib
    except ImportError:  # pragma: no cover - no tomli on this platform
        import tomllib

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_text(path: Path) -> str:
    """Read envs.toml as text, or raise InputError saying plainly why not."""
    return textfile.read_text(path, kind="TOML", missing_hint="check the path, or run `cigen init`",
                              dir_hint="pass the path of envs.toml")


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML text; syntax errors carry line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        line = column = None
        if m:
            line, column = int(m.group(1)), int(m.group(2))
            msg = msg[: m.start()].strip()
        raise InputError(f"TOML syntax error: {msg}", file=path, line=line, column=column) from None
    except RecursionError:
        raise InputError("TOML is nested too deeply", file=path) from None


def load(path: Path) -> EnvsFile:
    """Read, parse and validate an envs file.

    Args:
        path: The envs.toml to read.

    Returns:
        The validated model (defaults not yet applied; see :func:`gen.plan.build_plan`).

    Raises:
        InputError: for any problem, naming the file and the dotted key.
    """
    data = parse_toml(read_text(path), path)
    return validate(data, path)


def validate(data: dict[str, Any], path: Path) -> EnvsFile:
    """Validate parsed TOML data against the models of :mod:`gen.models`.

    Well-formed data is read straight into records (:func:`gen.records.read`, no pydantic); anything
    else goes through the pydantic models, whose errors become the one-line InputError.
    """
    try:
        fast = records.read(data)
        if fast is not None:
            return fast
        # Imported only here: building the models is the slowest part of a small run (gen/records.py).
        from pydantic import ValidationError

        from gen import models

        try:
            model = models.EnvsFile.model_validate(data)
        except ValidationError as exc:
            raise _convert(exc, data, path) from None
        converted: EnvsFile = records.from_model(model)
        return converted
    except RecursionError:
        raise InputError("data is nested too deeply", file=path) from None


# --------------------------------------------------------------------------------------------------
# pydantic error → one line


def _clean_loc(loc: tuple[int | str, ...], data: Any, missing: bool) -> list[int | str]:
    """Keep only the parts of a pydantic location that are real keys of the input.

    pydantic inserts union member labels (``str``, ``list[str]``, tags) into locations; walking the
    raw data tells real keys from those labels without knowing pydantic's naming.
    """
    out: list[int | str] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        is_key = isinstance(node, dict) and isinstance(part, str) and part in node
        is_index = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if is_key or is_index:
            out.append(part)
            node = node[part]
        elif last and missing and isinstance(part, str) and isinstance(node, dict):
            out.append(part)
    return out


def _model_at(parts: list[int | str], data: Any) -> type[BaseModel] | None:
    """The model whose keys are allowed at ``parts`` (for "did you mean")."""
    from gen.models import AwsAuth, Defaults, DockerAuth, Environment, EnvsFile, RefFilter, RunSpec, RunStep

    if not parts:
        return EnvsFile
    head = parts[-1]
    if len(parts) == 1 and head == "defaults":
        return Defaults
    if len(parts) == 2 and parts[0] == "environments":
        return Environment
    if head == "aws_auth":
        return AwsAuth
    if head == "auth":
        return DockerAuth
    if head in ("branches", "tags"):
        return RefFilter
    if len(parts) >= 2 and parts[-2] == "steps" and isinstance(head, int):
        return RunStep
    if head == "run":
        return RunSpec
    return None


_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "dict": "a table",
    "list": "an array",
}

# pydantic's words for expected types, in TOML's words.
_EXPECTED = {
    "a valid string": "a string",
    "a valid dictionary": "a table",
    "a valid list": "an array",
    "a valid boolean": "a boolean (true or false)",
    "a valid integer": "an integer",
    "a valid number": "a number",
}


def _type_of(value: Any) -> str:
    name = type(value).__name__
    return _TYPE_NAMES.get(name, name)


def _masked(key: str) -> str:
    """Hide any credential-looking part of a dotted key (the secret guard runs after validation)."""
    from gen.secrets import scan_text  # here: gen.secrets imports this module

    for _, text, _ in scan_text(key):
        key = key.replace(text, "<secret>")
    return key


def _expected(err: Any) -> str:
    text = str(err["msg"]).removeprefix("Input should be ")
    if err["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return "a table"
    return _EXPECTED.get(text, text)


def _convert(exc: ValidationError, data: dict[str, Any], path: Path) -> InputError:
    # Group errors by the key they are really about: a union (`str | list[str]`) reports one error per
    # member for the same key, which the user should read as one problem ("a string or an array").
    groups: dict[str, list[Any]] = {}
    parts_of: dict[str, list[int | str]] = {}
    for err in exc.errors():
        parts = _clean_loc(tuple(err["loc"]), data, missing=err["type"] == "missing")
        key = dotted(parts)
        groups.setdefault(key, []).append(err)
        parts_of[key] = parts
    # The most specific key first (deepest; then the first reported). At equal depth an unknown key
    # wins: a misspelt key also makes the key it was meant to be "missing", and "did you mean" is the
    # message that says how to fix both.
    key = max(groups, key=lambda k: (len(parts_of[k]), any(e["type"] == "extra_forbidden" for e in groups[k])))
    errs = groups[key]
    parts = parts_of[key]
    etypes = [e["type"] for e in errs]
    hint: str | None = None
    err = errs[0]
    if "extra_forbidden" in etypes:
        message = "unknown key"
        model = _model_at(parts[:-1], data)
        if model is not None:
            allowed = list(model.model_fields)
            close = difflib.get_close_matches(str(parts[-1]), allowed, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "allowed keys: " + ", ".join(allowed)
    elif "missing" in etypes:
        message = "required key is missing"
        if key == "environments":
            hint = "add at least one [environments.<name>] table"
    elif "step_shape" in etypes:
        message = str(next(e for e in errs if e["type"] == "step_shape")["msg"])
        hint = 'e.g. "checkout", { run = "make test", name = "Unit tests" } or { save_cache = { … } }'
    elif all(t.endswith("_type") for t in etypes):
        expected = " or ".join(dict.fromkeys(_expected(e) for e in errs))
        message = f"expected {expected}, got {_type_of(err.get('input'))}"
    elif etypes == ["literal_error"]:
        expected = str(err["ctx"]["expected"]) if "ctx" in err else str(err["msg"])
        value = err.get("input")
        message = f"expected {expected}, got {_type_of(value)}"
        if isinstance(value, str):
            from gen.secrets import scan_text  # here: gen.secrets imports this module

            # Echo a short wrong word back, never anything that could be a credential.
            if len(value) <= 40 and not any(scan_text(value)):
                message += f" {value!r}"
        else:
            hint = "write the value as a quoted string"
    else:
        message = str(err["msg"])
    # Other keys with problems, not counting the union siblings of this one.
    extra = sum(1 for k in groups if k != key and not key.startswith(k + ".") and k != "")
    if extra:
        message += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    key = _masked(key)
    return InputError(message, file=path, key=key or None, hint=hint)
