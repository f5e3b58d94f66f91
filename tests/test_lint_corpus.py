"""The corpus: hand-written configs with their lint findings and explain tables, reviewed by hand.

Each ``tests/data/lint/*.yml`` says in a comment what it shows and, on an ``# events:`` line, which
git events to explain. The expected output is a syrupy snapshot stored as a plain ``.txt`` file in
``tests/__snapshots__/test_lint_corpus/``; every one was read and checked against CircleCI's rules
when it was written. Update with ``pytest --snapshot-update`` and review the diff the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from gen.engine import Event, explain, format_table, read_config
from gen.errors import InputError
from gen.lint import lint_text, parse_yaml_rt

CORPUS = Path(__file__).parent / "data" / "lint"
FILES = sorted(CORPUS.glob("*.yml"))


class TextSnapshot(SingleFileSnapshotExtension):
    """One readable .txt file per snapshot."""

    file_extension = "txt"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def snapshot_txt(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


def events_of(text: str) -> list[Event]:
    m = re.search(r"^# events: (.+)$", text, re.MULTILINE)
    assert m, "every corpus file names the events to explain"
    out = []
    for item in m.group(1).split(","):
        kind, name = item.split()
        assert kind in ("branch", "tag")
        out.append(Event("branch" if kind == "branch" else "tag", name))
    return out


def report(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    lines = ["== cigen lint"]
    try:
        findings = lint_text(text, path.name)
        lines.extend(f.one_line() for f in findings)
        if not findings:
            lines.append("(no findings)")
    except InputError as exc:
        lines.append(f"bad input: {exc.one_line()}")
        return "\n".join(lines) + "\n"
    config = read_config(parse_yaml_rt(text, path.name))
    for event in events_of(text):
        lines.append(f"== cigen explain --{event.kind} {event.name}")
        try:
            lines.append(format_table(explain(config, event, source=path.name, file=path.name)).rstrip("\n"))
        except InputError as exc:
            lines.append(f"error: {exc.one_line()}")
    return "\n".join(lines) + "\n"


def test_corpus_is_big_enough_and_uses_both_filter_styles() -> None:
    assert len(FILES) >= 15
    texts = [p.read_text(encoding="utf-8") for p in FILES]
    assert sum("filters: pipeline.git" in t for t in texts) >= 5
    assert sum(re.search(r"filters:\n\s+(branches|tags):", t) is not None for t in texts) >= 5


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus(path: Path, snapshot_txt: SnapshotAssertion) -> None:
    assert report(path) == snapshot_txt
