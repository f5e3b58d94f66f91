"""Writing files without ever leaving a half-written one behind.

The rule for every file cigen writes (config.yml, envs.toml, backups):

* The new content goes to a temporary file in the same folder (so the rename cannot cross file
  systems), is fsynced, then renamed over the target in one step. A failure at any step (creating
  the temporary file, writing, setting its mode, fsync, rename) raises :class:`WriteError`, removes the
  temporary file and leaves the previous file byte-for-byte as it was.
* The mode of an existing file is kept; a new file gets ``0o666`` less the umask, like any file an
  editor creates.
* A symbolic link is written through: its target is replaced and the link stays a link.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gen.errors import OverwriteError, WriteError


def _umask() -> int:
    # os.umask can only be read by setting it; set it straight back (cigen is single-threaded).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode a new file gets: ``0o666`` less the process umask."""
    return 0o666 & ~_umask()


def _resolve(path: Path) -> Path:
    # Write through a symlink rather than replacing the link itself with a regular file.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _is_special(path: Path) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    if stat.S_ISDIR(st.st_mode):
        return False  # mkstemp/replace report a directory as a WriteError
    return not stat.S_ISREG(st.st_mode)


def _write_special(target: Path, blob: bytes, shown: Path) -> None:
    try:
        with open(target, "wb") as fh:
            fh.write(blob)
    except OSError as exc:
        raise WriteError(f"cannot write: {exc.strerror or exc}", file=shown) from None


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename.

    A failure at any step leaves the previous file byte-for-byte intact and removes the temp file.

    Args:
        path: The file to write (its folder is created if missing).
        data: The new content; ``str`` is encoded as UTF-8 as it is, with no newline translation.
        mode: Permission bits for the file. Default: those of the existing file, or ``0o666 & ~umask``.

    Raises:
        WriteError: naming the file and the step that failed.
    """
    blob = data.encode("utf-8") if isinstance(data, str) else data
    target = _resolve(path)
    if _is_special(target):
        # A device or FIFO (`-o /dev/null`, a pipe): renaming over it would replace the device with a
        # regular file, so write into it instead; there is no previous content to protect.
        _write_special(target, blob, path)
        return
    tmp: str | None = None
    fd = -1
    step = "create its folder"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode is None:
            step = "read the mode of the existing file"
            try:
                mode = os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                mode = new_file_mode()
        step = "create a temporary file beside it"
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        step = "write"
        view = memoryview(blob)
        while view:
            # os.write may write less than asked (a full disk, a signal); loop until all is written.
            written = os.write(fd, view)
            view = view[written:]
        step = "set the file mode"
        os.chmod(tmp, mode)
        step = "flush to disk (fsync)"
        os.fsync(fd)
        step = "close the temporary file"
        os.close(fd)
        fd = -1
        step = "rename the temporary file into place"
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise WriteError(
            f"cannot {step}: {exc.strerror or exc}",
            file=path,
            hint="the previous file, if any, is unchanged",
        ) from None
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; best effort, as the new file is already in place."""
    with contextlib.suppress(OSError, AttributeError):
        dfd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def backup(path: Path) -> Path:
    """Copy ``path`` (bytes and mode) to ``<name>.bak`` beside it before it is overwritten.

    An existing ``.bak`` with the same bytes is reused; one with other bytes is kept too, and the copy
    goes to the first free ``.bak.1``, ``.bak.2``, …: nothing a user had is ever lost.

    Returns:
        The backup's path.

    Raises:
        WriteError: the file could not be read or the backup could not be written (``path`` is untouched).
    """
    source = _resolve(path)
    try:
        data = source.read_bytes()
        mode = os.stat(source).st_mode & 0o7777
    except OSError as exc:
        raise WriteError(f"cannot read it to back it up: {exc.strerror or exc}", file=path) from None
    base = path.with_name(path.name + ".bak")
    candidate = base
    n = 0
    while True:
        try:
            if candidate.read_bytes() == data:
                return candidate
        except FileNotFoundError:
            break
        except OSError:
            pass  # unreadable or a folder: leave it alone and take the next name
        n += 1
        candidate = base.with_name(f"{base.name}.{n}")
    atomic_write(candidate, data, mode=mode)
    return candidate


@dataclass(frozen=True)
class WriteOutcome:
    """What writing a rendered file did."""

    path: Path
    action: Literal["unchanged", "created", "updated"]
    backup: Path | None = None  # where the replaced file was kept, if it was


def write_rendered(path: Path, text: str, *, force: bool = False, templates: Path | None = None) -> WriteOutcome:
    """Write a rendered config under the write rule of :mod:`gen.check`, or leave it alone.

    * Same bytes as the rule would write: nothing is touched (not even the mtime): ``unchanged``.
    * An existing file without the generated-file marker (hand-written) is refused unless ``force``;
      with ``force`` it is first kept as ``<name>.bak`` (see :func:`backup`).
    * Otherwise the file is replaced atomically, keeping its line endings and mode.

    Args:
        path: The config file.
        text: The rendered text (LF line endings).
        force: Replace a hand-written file (after backing it up).
        templates: The template overrides used, named in the error if the output lacks the marker.

    Raises:
        OverwriteError: a hand-written file is in the way and ``force`` is false (nothing written).
        TemplateError: the rendered text lacks the marker.
        InputError: the existing file cannot be read.
        WriteError: the backup or the file could not be written (the previous file is intact).
    """
    from gen.check import compare, require_marker

    require_marker(text, templates)
    if _is_special(_resolve(path)):
        # A device or pipe (`-o /dev/null`) holds no config to protect or compare: stream into it.
        atomic_write(path, text)
        return WriteOutcome(path, "updated")
    cmp = compare(path, text)
    status = cmp.status
    if status == "current":
        return WriteOutcome(path, "unchanged")
    saved: Path | None = None
    if status == "hand-written":
        if not force:
            raise OverwriteError(
                "refusing to overwrite: this file was not generated by cigen (its first line is not "
                "the generated-file header)",
                file=path,
                hint="move it away, or pass --force to replace it (it is kept as a .bak file first)",
            )
        saved = backup(path)
    atomic_write(path, cmp.expected)
    return WriteOutcome(path, "created" if status == "missing" else "updated", saved)
