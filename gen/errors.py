"""The one error hierarchy of cigen.

Every failure a user can cause (a bad envs.toml, a broken template override, a file that cannot be
written) is raised as a :class:`CigenError`; the CLI prints ``str(error)`` as one line and exits with
``error.exit_code``. Library errors (``tomllib``, pydantic, Jinja, ruamel.yaml, ``OSError``) are
converted at the boundary where they happen, so nothing else ever reaches the user as a traceback.
"""

from __future__ import annotations

from pathlib import Path

#: Exit codes, documented in the README. 1 is reserved for "the answer is no" (stale config, lint errors).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_IO = 3


class CigenError(Exception):
    """Base class: a failure explained to the user in one line.

    Args:
        message: What is wrong, in plain words.
        file: The file the problem is in, if any.
        key: The dotted key inside that file (``environments.production.aws_auth``), if any.
        hint: How to fix it.
        line: 1-based line in ``file``, if known.
        column: 1-based column in ``file``, if known.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.key = key
        self.hint = hint
        self.line = line
        self.column = column
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Render ``file:line:col: key: message (hint)`` without newlines."""
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        hint = f"; fix: {self.hint}" if self.hint else ""
        text = f"{where}{key}{self.message}{hint}"
        # One line, always: user text quoted into a message must not break the line.
        return " ".join(text.splitlines())

    def with_file(self, file: str | Path) -> CigenError:
        """Return this error with ``file`` set if it had none (used when a caller knows the path)."""
        if self.file is None:
            self.file = str(file)
            self.args = (self.one_line(),)
        return self


class InputError(CigenError):
    """envs.toml (or a config.yml given to a command) is unreadable, malformed or invalid."""


class TemplateError(CigenError):
    """A template (shipped or a ``--templates`` override) failed or produced unparseable YAML."""


class OutputError(CigenError):
    """The rendered config failed a check, so it is not written."""


class OverwriteError(CigenError):
    """Writing would replace a file cigen did not generate (or, for ``init``, any file) without ``--force``."""


class WriteError(CigenError):
    """A file could not be written; the previous file is left as it was."""

    exit_code = EXIT_IO
