"""Run one side computation in a forked child while the parent goes on: a large render uses two cores.

A render of thousands of environments spends about a third of its time linting the config data
(built from the plan) and most of the rest rendering the text with Jinja and proving it YAML; the two
need only the plan, not each other. CI machines have two cores or more (CircleCI's medium resource
class has two), so :func:`gen.core.render_file` forks after the plan is built: the child lints, the
parent renders, and the parent waits for the child's findings. bench/RESULTS.md has the gain.

It is an optimisation only, never a change in behaviour: the child computes a pure function of what
it inherited and sends the value back pickled; if anything goes wrong on the way (no fork on this
platform, the child crashed, was killed, or raised), :meth:`Pending.result` returns None and the
caller computes the value itself, in-process, as it would without a child. Forking is skipped when it
cannot pay or might not be safe: a small plan, a single usable core, a machine already busy (its load
average at or above the cores less one half), a caller running other threads, or
``CIGEN_PARALLEL=0``. ``CIGEN_PARALLEL=1`` forks whatever the size and load (the tests use it).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Below this many jobs the fork costs about what the overlap saves (bench/RESULTS.md).
MIN_JOBS = 200


def worth_it(jobs: int) -> bool:
    """Whether to fork for a side computation over a plan of ``jobs`` jobs."""
    setting = os.environ.get("CIGEN_PARALLEL", "")
    if setting == "0" or not _can_fork():
        return False
    if setting == "1":
        return True
    if jobs < MIN_JOBS:
        return False
    cores = _cores()
    if cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return load < cores - 0.5


def _can_fork() -> bool:
    # Linux only: on macOS a forked child of a process that used some system frameworks can crash, and
    # Windows has no fork. Elsewhere everything runs in one process, as it always could. Never from a
    # program that runs other threads (cigen used as a library): the child would inherit their locks
    # in whatever state they were, and Python 3.12+ warns about exactly that.
    if not (hasattr(os, "fork") and sys.platform.startswith("linux")):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Pending(Generic[T]):
    """A value being computed in a forked child."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid: int | None = pid
        self._fd: int | None = fd

    def result(self) -> T | None:
        """Wait for the child; its value, or None if it did not deliver one (the caller computes it)."""
        import pickle

        if self._fd is None:
            return None
        fd, self._fd = self._fd, None  # the file object below owns it from here
        try:
            with os.fdopen(fd, "rb") as fh:
                payload = fh.read()
            status, value = pickle.loads(payload)
        except Exception:  # an empty or cut-off pipe (the child died), an unpicklable value, …
            status, value = "error", None
        self.close()
        return value if status == "ok" else None

    def close(self) -> None:
        """Stop the child if it still runs and reap it (no zombie is left, whatever happened)."""
        import signal

        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def start(fn: Callable[..., T], *args: object) -> Pending[T] | None:
    """Compute ``fn(*args)`` in a forked child; None if no child could be started.

    The child inherits the parent's memory (``args`` are not copied or pickled); only the result
    travels back, pickled. The child never returns into the caller's code: it leaves with ``os._exit``,
    so no buffered output, ``atexit`` handler or ``finally`` of the parent runs twice.
    """
    import pickle

    if not _can_fork():
        return None
    # Anything buffered now would be written by both processes if the child flushed it; it does not
    # (os._exit), but flushing first also keeps the order of the parent's own output plain.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            try:
                payload = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # reported as a failure; the parent computes the value itself
                payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(payload)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return Pending(pid, read_fd)
