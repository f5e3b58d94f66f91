"""Shared fixtures: YAML snapshots as real .yml files, paths, and helpers to run the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/envs.toml"))


class YamlSnapshot(SingleFileSnapshotExtension):
    """One snapshot, one readable .yml file (reviewed like code)."""

    _write_mode = WriteMode.TEXT
    file_extension = "yml"


class TextSnapshot(SingleFileSnapshotExtension):
    """One snapshot, one readable .txt file."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


@pytest.fixture
def text_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gen`` as a user would, in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "gen", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )


def circleci_schema_errors(data: object) -> list[str]:
    """Validate against the CircleCI schema that `check-jsonschema --builtin-schema vendor.circle-ci` ships.

    In-process (the same schema file, loaded once) so that property tests can afford it; the CLI itself
    is exercised on every example in test_examples.py.
    """
    import json
    from importlib import resources

    import jsonschema

    global _SCHEMA_VALIDATOR
    if _SCHEMA_VALIDATOR is None:
        text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("circle-ci.json").read_text()
        _SCHEMA_VALIDATOR = jsonschema.Draft7Validator(json.loads(text))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _SCHEMA_VALIDATOR.iter_errors(data)]


_SCHEMA_VALIDATOR = None
