"""`--templates DIR`: an override is the user's own code, but values still reach it only through the
quoting filters, and an override that fails or emits something that is not YAML is an error naming the
template, with nothing written."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from robust_support import REPO, load_pyyaml, run_cli, to_toml

from gen.errors import TemplateError
from gen.loader import validate
from gen.plan import Plan, build_plan
from gen.render import default_templates_dir, render_plan

SHIPPED_JOB = (default_templates_dir() / "job.yml.j2").read_text()
HOSTILE = {"version": "2.1", "environments": {"yes": {
    "image": "cimg/base:2024.01",
    "environment": {"X": "a: b\n- c #d", "Y": "{{ 7*7 }}"},
    "steps": [{"run": "echo 'x: y' # z\n--- !!python/object", "name": "*a &b"}],
}}}


def _plan() -> Plan:
    path = Path("envs.toml")
    return build_plan(validate(tomllib.loads(to_toml(HOSTILE)), path), path)


def _override(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "tpl"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("expr", [
    "job.name",  # no filter at all
    "job.name | q | upper",  # a filter after q makes plain text again
    "job.name | q ~ ''",
    "(job.name | q)[0:3]",
    "job.name | safe",
    "job.environment.X | string",
    "job.steps | yaml(6) | replace('\"', '')",
])
def test_a_value_without_the_quoting_filters_is_refused(tmp_path: Path, expr: str) -> None:
    folder = _override(tmp_path, "job.yml.j2", f"  {{{{ {expr} }}}}:\n" + SHIPPED_JOB.split("\n", 1)[1])
    with pytest.raises(TemplateError) as info:
        render_plan(_plan(), folder)
    assert "without the q or yaml filter" in info.value.message
    assert info.value.file == str(folder / "job.yml.j2")
    assert info.value.line == 1


def test_a_set_block_cannot_smuggle_text_out(tmp_path: Path) -> None:
    text = "{% set raw %}{{ job.name | q }}{% endset %}  {{ raw }}:\n" + SHIPPED_JOB.split("\n", 1)[1]
    with pytest.raises(TemplateError, match="without the q or yaml filter"):
        render_plan(_plan(), _override(tmp_path, "job.yml.j2", text))


def test_filter_blocks_are_refused(tmp_path: Path) -> None:
    # A filter block would post-process rendered text: here it would take the quotes off every value.
    text = "{% filter replace('\"', '') %}" + SHIPPED_JOB + "{% endfilter %}"
    folder = _override(tmp_path, "job.yml.j2", text)
    with pytest.raises(TemplateError, match="filter") as info:
        render_plan(_plan(), folder)
    assert info.value.file == str(folder / "job.yml.j2")


def test_an_override_that_raises_is_named(tmp_path: Path) -> None:
    folder = _override(tmp_path, "header.yml.j2", "# header\n{{ (1 / 0) | q }}\n")
    with pytest.raises(TemplateError, match="ZeroDivisionError") as info:
        render_plan(_plan(), folder)
    assert info.value.file == str(folder / "header.yml.j2")
    assert info.value.line == 2


def test_templates_that_include_each_other_forever(tmp_path: Path) -> None:
    folder = _override(tmp_path, "job.yml.j2", '{% include "job.yml.j2" %}')
    with pytest.raises(TemplateError, match="include each other"):
        render_plan(_plan(), folder)


@pytest.mark.parametrize("bad", [
    "  {{ job.name | q }}:\n    executor: [unclosed\n",  # a flow sequence never closed
    "  {{ job.name | q }}:\n   executor: x\n  steps: 1\n    bad: indent\n",  # broken indentation
    "  {{ job.name | q }}:\n    executor: x\n    executor: y\n",  # a duplicate key
])
def test_an_override_emitting_non_yaml_is_named(tmp_path: Path, bad: str) -> None:
    folder = _override(tmp_path, "job.yml.j2", bad)
    _override(tmp_path, "header.yml.j2", (default_templates_dir() / "header.yml.j2").read_text())
    with pytest.raises(TemplateError, match="not valid YAML") as info:
        render_plan(_plan(), folder)
    assert info.value.file == str(folder / "job.yml.j2")  # the culprit, not the harmless header override


def test_a_faithful_override_keeps_every_value_exact(tmp_path: Path) -> None:
    folder = _override(tmp_path, "job.yml.j2", "{# my house style #}\n" + SHIPPED_JOB)
    shipped = load_pyyaml(render_plan(_plan()))
    assert load_pyyaml(render_plan(_plan(), folder)) == shipped
    assert shipped["jobs"]["yes"]["environment"] == {"X": "a: b\n- c #d", "Y": "{{ 7*7 }}"}


@pytest.mark.parametrize("override", [
    "  {{ job.name }}:\n",  # an unquoted value
    "  {{ job.name | q }}:\n    executor: [unclosed\n",  # not YAML
])
def test_cli_writes_nothing_when_an_override_fails(tmp_path: Path, override: str) -> None:
    shutil.copyfile(REPO / "examples" / "basic" / "envs.toml", tmp_path / "envs.toml")
    folder = _override(tmp_path, "job.yml.j2", override)
    config = tmp_path / ".circleci" / "config.yml"
    config.parent.mkdir()
    config.write_bytes(b"# hand-tuned\nversion: 2.1\n")
    past = 1_600_000_000_000_000_000
    os.utime(config, ns=(past, past))
    result = run_cli("render", "envs.toml", "--templates", "tpl", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("cigen: error: tpl/job.yml.j2"), lines[0]
    assert config.read_bytes() == b"# hand-tuned\nversion: 2.1\n"
    assert config.stat().st_mtime_ns == past
    assert [p.name for p in config.parent.iterdir()] == ["config.yml"]
    assert folder.is_dir()
