"""Bad input never gives a traceback and never damages files.

Every file in tests/data/invalid/, and the cases made at run time (an empty, binary, unreadable or
5 MB junk file, a directory, a missing file), is rendered through the CLI in a fresh folder beside a
pre-existing .circleci/config.yml. For each: exit code 2, exactly one line on stderr, no exception
escaping the CLI, the line names the file (and the dotted key where there is one) and equals its
reviewed snapshot (tests/robustness/__snapshots__/test_invalid_corpus/*.txt), and config.yml keeps its
bytes and its mtime. The corpus runs in-process (fast); a sample of every kind, and the unreadable file,
also run as real `python -m gen` processes, whose stderr must hold no traceback.

The unreadable file is mode 000. Root reads such a file anyway, and CI runs as root, so as root the CLI
process runs with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped: a real EACCES either way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from robust_support import REPO, can_drop_dac_capabilities, run_cli
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from typer.testing import CliRunner

from gen.cli import app

INVALID = REPO / "tests" / "data" / "invalid"
CASES = sorted(p.stem for p in INVALID.glob("*.toml"))
OLD_CONFIG = b"# hand-tuned, must survive\nversion: 2.1\njobs: {}\n"


class TextSnapshot(SingleFileSnapshotExtension):
    """One reviewed .txt file per case."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def snapshot_txt(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


def _prepare(folder: Path) -> tuple[Path, int]:
    config = folder / ".circleci" / "config.yml"
    config.parent.mkdir(parents=True)
    config.write_bytes(OLD_CONFIG)
    past = 1_600_000_000_000_000_000  # a fixed mtime in the past, so any rewrite would show
    os.utime(config, ns=(past, past))
    return config, past


def _check(result: subprocess.CompletedProcess[str], target: str, config: Path, mtime: int) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"cigen: error: {target}"), line  # names the file first
    assert config.read_bytes() == OLD_CONFIG
    assert config.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in config.parent.iterdir()) == ["config.yml"]  # no temp file left
    return line


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


def _make_empty(folder: Path) -> str:
    (folder / "envs.toml").write_bytes(b"")
    return "envs.toml"


def _make_binary(folder: Path) -> str:
    (folder / "envs.toml").write_bytes(bytes(range(256)) * 64)
    return "envs.toml"


def _make_junk(folder: Path) -> str:
    # 5 MB of printable junk with no structure at all (under the loader's size limit, so it is parsed).
    chunk = b"}{][=\"'#\\ junk \xc3\xa9\n"
    (folder / "envs.toml").write_bytes(chunk * (5 * 1024 * 1024 // len(chunk) + 1))
    return "envs.toml"


def _make_directory(folder: Path) -> str:
    (folder / "envs.toml").mkdir()
    return "envs.toml"


def _make_missing(folder: Path) -> str:
    return "envs.toml"


def _make_unreadable(folder: Path) -> str:
    # Mode 000. Root reads it anyway (CAP_DAC_OVERRIDE), so the test then runs the CLI with those
    # capabilities dropped (see run_cli): a real EACCES either way.
    path = folder / "envs.toml"
    path.write_text('version = "2.1"\n')
    path.chmod(0)
    return "envs.toml"


RUNTIME = {
    "empty_file": _make_empty,
    "binary_file": _make_binary,
    "junk_5mb": _make_junk,
    "directory": _make_directory,
    "missing_file": _make_missing,
    "unreadable_file": _make_unreadable,
}


def _in_process(target: str, folder: Path, monkeypatch: pytest.MonkeyPatch,
                ) -> subprocess.CompletedProcess[str]:
    """The CLI in this process (fast): any exception other than the CLI's own exit escapes and fails."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, ["render", target], catch_exceptions=False)
    return subprocess.CompletedProcess(["cigen", "render", target], result.exit_code, result.stdout,
                                       result.stderr)


@pytest.mark.parametrize("case", CASES)
def test_invalid_file(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      snapshot_txt: SnapshotAssertion) -> None:
    shutil.copyfile(INVALID / f"{case}.toml", tmp_path / "envs.toml")
    config, mtime = _prepare(tmp_path)
    line = _check(_in_process("envs.toml", tmp_path, monkeypatch), "envs.toml", config, mtime)
    assert line + "\n" == snapshot_txt


@pytest.mark.parametrize("case", sorted(RUNTIME))
def test_invalid_runtime_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              snapshot_txt: SnapshotAssertion) -> None:
    config, mtime = _prepare(tmp_path)
    target = RUNTIME[case](tmp_path)
    if case == "unreadable_file" and os.geteuid() == 0:
        if not can_drop_dac_capabilities():
            pytest.skip("running as root without CAP_SETPCAP: cannot make a file unreadable to this process")
        # Root reads a mode-000 file; the child process runs without the DAC-override capabilities.
        result = run_cli("render", target, cwd=tmp_path, without_dac_override=True)
    else:
        result = _in_process(target, tmp_path, monkeypatch)
    line = _check(result, target, config, mtime)
    assert line + "\n" == snapshot_txt


# The same checks through a real `python -m gen` process, for a sample of every kind of failure: what
# the user's terminal shows, with no traceback in it.
PROCESS_SAMPLE = ["toml_duplicate_table", "unknown_environment_key", "requires_cycle",
                  "secret_in_environment_value", "deeply_nested_arrays", "deeply_nested_tables"]


@pytest.mark.parametrize("case", [*PROCESS_SAMPLE, "binary_file", "junk_5mb", "directory", "missing_file"])
def test_invalid_input_in_a_real_process(case: str, tmp_path: Path, snapshot_txt: SnapshotAssertion) -> None:
    config, mtime = _prepare(tmp_path)
    if case in RUNTIME:
        target = RUNTIME[case](tmp_path)
    else:
        shutil.copyfile(INVALID / f"{case}.toml", tmp_path / "envs.toml")
        target = "envs.toml"
    line = _check(run_cli("render", target, cwd=tmp_path), target, config, mtime)
    assert line + "\n" == snapshot_txt
