"""Jinja's cache of compiled templates: the same output cold, warm, damaged or unwritable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import EXAMPLES, ROOT

RENDER_ALL = ("import sys; from pathlib import Path; from gen.core import render_file; "
              "sys.stdout.write(''.join(render_file(Path(p) / 'envs.toml') for p in sys.argv[1:]))")


def _render_all(tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", RENDER_ALL, *map(str, EXAMPLES)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def _expected() -> str:
    return "".join((p / ".circleci" / "config.yml").read_text(encoding="utf-8") for p in EXAMPLES)


def _cache_files(tmpdir: Path) -> list[Path]:
    return sorted(tmpdir.glob("_jinja2-cache-*/__cigen_*.cache"))


def test_cold_then_warm_cache_give_the_committed_configs(tmp_path: Path) -> None:
    cold = _render_all(tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert cold.stdout == _expected()
    files = _cache_files(tmp_path)
    assert len(files) == 5  # one per shipped template
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)  # private to the user
    warm = _render_all(tmp_path)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == _expected()


def test_a_damaged_cache_is_compiled_again(tmp_path: Path) -> None:
    assert _render_all(tmp_path).returncode == 0
    for f in _cache_files(tmp_path):
        f.write_bytes(b"j2 not what it seems")
    done = _render_all(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected()


def test_no_usable_temp_folder_means_no_cache_not_an_error(tmp_path: Path) -> None:
    unsafe = tmp_path / "tmp"
    unsafe.mkdir()
    (unsafe / f"_jinja2-cache-{os.getuid()}").write_text("a file where Jinja wants its private folder")
    done = _render_all(unsafe)
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected()
