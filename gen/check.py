"""Is the committed config what envs.toml renders? The one comparison `check` and `render` share.

The write rule (documented in the README, "Safe writes"), applied the same way by both commands so
that ``cigen check`` passes exactly when ``cigen render`` would leave the file untouched:

* Rendered text ends in exactly one newline; a missing final newline or extra blank lines at the end
  of the committed file are differences (normalised on the next render).
* Line endings follow the existing file: if its first line ends in CRLF, the whole file is written
  with CRLF (say, a Windows checkout with ``core.autocrlf``); otherwise LF. A new file gets LF.
* A UTF-8 byte-order mark is not written; one in the committed file is a difference.
* The file mode is not content: it never makes a file stale, and writing keeps it (see gen.writer).

The first line of a generated file starts with :data:`gen.render.HEADER_MARK`; a file without it was
written by hand, and ``render`` refuses to replace it without ``--force``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gen.errors import EXIT_FINDINGS, EXIT_OK, CigenError, InputError, TemplateError
from gen.render import HEADER_MARK

Status = Literal["current", "stale", "hand-written", "missing"]

_BOM = b"\xef\xbb\xbf"


def has_marker(data: bytes) -> bool:
    """Whether ``data`` (a config file's bytes) starts with the generated-file header line."""
    first = data.removeprefix(_BOM).split(b"\n", 1)[0].rstrip(b"\r")
    return first.startswith(HEADER_MARK.encode("utf-8"))


def uses_crlf(data: bytes) -> bool:
    """Whether the first line break of ``data`` is CRLF (the rule's choice of line ending)."""
    end = data.find(b"\n")
    return end > 0 and data[end - 1 : end] == b"\r"


def conform(text: str, existing: bytes | None) -> bytes:
    """The exact bytes ``text`` (LF, as rendered) is written as over ``existing`` (None: no file).

    Args:
        text: Rendered config text with LF line endings.
        existing: The bytes of the file it would replace, or None.
    """
    data = text.encode("utf-8")
    if existing is not None and uses_crlf(existing):
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return data


def require_marker(text: str, templates: Path | None) -> None:
    """Refuse rendered text that does not start with the marker (a header override that dropped it).

    Without the marker the next ``render`` would take its own output for a hand-written file.

    Raises:
        TemplateError: naming the header template.
    """
    if not has_marker(text.encode("utf-8")):
        where = templates / "header.yml.j2" if templates is not None else "header.yml.j2"
        raise TemplateError(
            f"the rendered config does not start with {HEADER_MARK!r}",
            file=where,
            hint="keep that first line: it is how cigen tells a generated config from a hand-written one",
        )


def read_existing(path: Path) -> bytes | None:
    """The bytes of ``path``, or None if there is no such file.

    Raises:
        InputError: it exists but cannot be read (a folder, no permission, …).
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError("is a directory, not a config file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the existing config: {exc.strerror or exc}", file=path) from None


@dataclass(frozen=True)
class Comparison:
    """A rendered config next to the file it would replace."""

    path: Path
    expected: bytes  # what writing would put there, after the line-ending rule
    existing: bytes | None  # None: no such file

    @property
    def status(self) -> Status:
        """``current``, ``missing``, ``hand-written`` (no marker) or ``stale`` (differs)."""
        if self.existing is None:
            return "missing"
        if self.existing == self.expected:
            return "current"
        if not has_marker(self.existing):
            return "hand-written"
        return "stale"

    def diff(self, source: str) -> str:
        """A unified diff from the file as it is to what ``source`` renders ("" when current).

        Both header lines name the config file (so ``patch -p0`` can apply it); the label after the tab
        says which side is which.
        """
        if self.existing == self.expected:
            return ""
        old = _lines(self.existing or b"")
        new = _lines(self.expected)
        out: list[str] = []
        for line in difflib.unified_diff(
            old,
            new,
            fromfile=str(self.path),
            tofile=str(self.path),
            fromfiledate="(missing)" if self.existing is None else "(committed)",
            tofiledate=f"(expected from {source})",
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def compare(path: Path, text: str) -> Comparison:
    """Compare rendered ``text`` with the file at ``path`` under the write rule.

    Raises:
        InputError: the file exists but cannot be read.
    """
    existing = read_existing(path)
    return Comparison(path=path, expected=conform(text, existing), existing=existing)


@dataclass(frozen=True)
class CheckResult:
    """The answer for one envs file: is its config current? ``error`` set when it could not be told."""

    envs: Path
    config: Path | None
    status: Status | Literal["error"]
    message: str  # one line, for the user
    diff: str = ""
    error: CigenError | None = None

    @property
    def exit_code(self) -> int:
        """0 current, 1 stale / hand-written / missing, the error's code otherwise."""
        if self.error is not None:
            return self.error.exit_code
        return EXIT_OK if self.status == "current" else EXIT_FINDINGS


def _render_cmd(envs: Path, templates: Path | None, force: bool = False) -> str:
    opts = (" --force" if force else "") + (f" --templates {templates}" if templates is not None else "")
    return f"cigen render{opts} {envs}"


def check_file(envs: Path, templates: Path | None = None, config: Path | None = None) -> CheckResult:
    """Render ``envs`` in memory and compare it with its committed config. Never writes.

    Args:
        envs: The envs.toml.
        templates: Optional template overrides, as for ``render``.
        config: The config to compare; default ``.circleci/config.yml`` beside ``envs``.

    Raises:
        CigenError: bad input, a failing template, or an unreadable config (exit 2).
    """
    from gen.core import default_output, render_file

    text = render_file(envs, templates)
    require_marker(text, templates)
    target = config if config is not None else default_output(envs)
    cmp = compare(target, text)
    status = cmp.status
    fix = _render_cmd(envs, templates)
    messages: dict[Status, str] = {
        "current": f"{target} is current with {envs}",
        "missing": f"{target}: missing; fix: run `{fix}`",
        "stale": f"{target}: stale: differs from what {envs} renders (out of date, or edited by hand); "
        f"fix: run `{fix}` (make hand edits in {envs}: render replaces them)",
        "hand-written": f"{target}: not generated by cigen (no {HEADER_MARK!r} header); fix: move what it "
        f"needs into {envs} and run `{_render_cmd(envs, templates, force=True)}` (keeps it as a .bak)",
    }
    return CheckResult(envs=envs, config=target, status=status, message=messages[status],
                       diff=cmp.diff(str(envs)))


def check_files(paths: Sequence[Path], templates: Path | None = None) -> list[CheckResult]:
    """Check several envs files (a monorepo); each gets its own result, errors included.

    A bad envs file does not stop the others from being checked.
    """
    results: list[CheckResult] = []
    for envs in paths:
        try:
            results.append(check_file(envs, templates))
        except CigenError as exc:
            results.append(CheckResult(envs=envs, config=None, status="error", message=exc.one_line(),
                                       error=exc))
    return results


def overall_exit(results: Iterable[CheckResult]) -> int:
    """The exit code of a check run: the worst of its results (2 bad input > 1 stale > 0 current)."""
    return max((r.exit_code for r in results), default=EXIT_OK)
