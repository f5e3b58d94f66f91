"""``cigen lint``: check any CircleCI config.yml (hand-written too) for what CircleCI would get wrong.

Every finding is an error (the config is rejected, never runs what it says, or leaks a secret) or a
warning (deprecated, or probably not what was meant), with its YAML path and line. The rules, with
the CircleCI rule each one implements, are listed in :data:`RULES` and in the README.

The filter semantics come from :mod:`gen.engine` (built on :mod:`gen.filters`); questions about sets
of names ("can this regex match any name?", "does the required job admit any of these tags?") are
answered exactly by :mod:`gen.regexlang`, and where a regex is outside what it models no claim is made.
"""

from __future__ import annotations

import difflib
import json
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gen import regexlang as rl
from gen.engine import (
    MISSING,
    Binary,
    Config,
    Expr,
    ExprFilter,
    Filter,
    FilterError,
    Lit,
    Logical,
    Not,
    PatternValue,
    Var,
    Workflow,
    WorkflowJob,
    YamlPath,
    graph_problems,
    line_of,
    read_config,
    read_filters,
)
from gen.errors import InputError
from gen.filters import Kind, Pattern, ref_name_problem, to_expression
from gen.textfile import dotted, read_text

Severity = Literal["error", "warning"]

#: rule id → (severity, what it means). The README's table is this one.
RULES: dict[str, tuple[Severity, str]] = {
    "config-version": ("error", "no top-level `version`, or not 2 / 2.1"),
    "config-structure": ("error", "workflows, jobs or a workflow job entry has the wrong shape"),
    "undefined-job": ("error", "a workflow runs a job that `jobs:` does not define"),
    "duplicate-job": ("error", "two entries of one workflow have the same name"),
    "unknown-requires": ("error", "`requires` names a job that is not in the workflow"),
    "requires-cycle": ("error", "`requires` form a cycle"),
    "filters-invalid": ("error", "filters CircleCI rejects: bad keys or types, a regex that does not "
                        "compile (RE2 for expression patterns), an expression that does not parse"),
    "pattern-unmatchable": ("error", "a regex or exact name that no whole branch/tag name can match"),
    "expression-needs-2.1": ("error", "expression filters in a `version: 2` config"),
    "tags-never-run": ("error", "a job admits tags, but none of the jobs it requires admits any of them"),
    "approval-no-tags": ("error", "an approval job admits no tag while a job behind it admits tags"),
    "approval-bypassed": ("error", "an approval job does not run where another required job does, so "
                          "CircleCI drops it from requires and the job behind it runs without approval"),
    "literal-secret": ("error", "a credential in aws_auth/auth that is not a $VARIABLE reference"),
    "aws-key-id": ("error", "an AWS access key id (AKIA…/ASIA…) anywhere in the file"),
    "secret-like": ("error", "a 40-character secret-access-key-like string anywhere in the file"),
    "aws-auth-not-ecr": ("error", "aws_auth on an image that is not on AWS ECR"),
    "workflows-version": ("warning", "`workflows: version:` in a 2.1 config (error: missing in a 2.0 "
                          "config)"),
    "map-filters": ("warning", "deprecated branches/tags map filters in a 2.1 config; the equivalent "
                    "expression is given"),
    "tags-partly-run": ("warning", "some tags a job admits are admitted by none of the jobs it requires"),
    "never-runs": ("warning", "a job whose filters admit no branch and no tag"),
    "filters-unsupported": ("warning", "a filter cigen cannot evaluate (other pipeline values, numbers); "
                            "the checks that need it are skipped"),
}


@dataclass(frozen=True)
class Finding:
    """One lint finding."""

    severity: Severity
    rule: str
    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return {"file": self.file, "line": self.line, "severity": self.severity, "rule": self.rule,
                "path": self.path, "message": self.message}

    def one_line(self) -> str:
        """``file:line: severity: path: message [rule]``."""
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        path = f"{self.path}: " if self.path else ""
        return " ".join(f"{where}{self.severity}: {path}{self.message} [{self.rule}]".splitlines())


# --------------------------------------------------------------------------------------------------
# Reading.

def read_yaml_file(path: Path) -> str:
    """Read a config file as text, or raise InputError saying plainly why not."""
    return read_text(path, kind="YAML", missing_hint="check the path", dir_hint="pass the path of a config.yml")



def parse_yaml_rt(text: str, file: str | Path | None) -> Any:
    """Parse YAML keeping line numbers (ruamel round-trip); a syntax error is an InputError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"YAML syntax error: {problem}", file=file,
                         line=mark.line + 1 if mark is not None else None,
                         column=mark.column + 1 if mark is not None else None) from None
    except RecursionError:
        raise InputError("YAML is nested too deeply", file=file) from None


# --------------------------------------------------------------------------------------------------
# Helpers.

# AWS access key ids: a four-letter prefix naming the kind of key, then 16 upper-case letters/digits
# (the same families gen.plan refuses as variable names).
AWS_KEY_ID = re.compile(
    r"(?<![A-Z0-9])(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])")
# An AWS secret access key: exactly 40 characters of the base64 alphabet, standing alone (it may
# follow `KEY=`; base64 padding after it means a longer encoded blob, not a key).
SECRET_40 = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
VAR_REF = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")
ECR_HOST = re.compile(r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?")


def _q(name: str) -> str:
    """Quote a name for a message."""
    return json.dumps(name, ensure_ascii=False)


def _is_secret_like(text: str) -> bool:
    return bool(re.search(r"[A-Z]", text) and re.search(r"[a-z]", text) and re.search(r"\d", text))


def _walk(node: Any, path: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    """Every string value in a document, with its path (keys are not values)."""
    stack: list[tuple[Any, YamlPath]] = [(node, path)]
    while stack:
        cur, p = stack.pop()
        if isinstance(cur, str):
            yield p, cur
        elif isinstance(cur, Mapping):
            stack.extend((v, (*p, str(k))) for k, v in reversed(list(cur.items())))
        elif isinstance(cur, list):
            stack.extend((v, (*p, i)) for i, v in reversed(list(enumerate(cur))))


class _Collector:
    def __init__(self, data: Any, file: str | None, errors_only: bool = False) -> None:
        self.data = data
        self.file = file
        self.errors_only = errors_only
        self.items: list[tuple[Severity, str, YamlPath, str]] = []

    def add(self, rule: str, path: YamlPath, message: str, severity: Severity | None = None) -> None:
        severity = severity or RULES[rule][0]
        if severity == "error" or not self.errors_only:
            self.items.append((severity, rule, path, message))

    def findings(self) -> list[Finding]:
        out = [Finding(sev, rule, dotted(path), msg, line_of(self.data, path), self.file)
               for sev, rule, path, msg in self.items]
        order = {id(f): i for i, f in enumerate(out)}
        return sorted(out, key=lambda f: (f.line is None, f.line or 0, order[id(f)]))


# --------------------------------------------------------------------------------------------------
# The checks.


def lint_data(data: Any, *, file: str | None = None, errors_only: bool = False) -> list[Finding]:
    """Lint a parsed config (round-trip data gives line numbers; plain data gives none).

    Args:
        data: The parsed config.
        file: The file name for the findings.
        errors_only: Leave warnings out (render needs only errors; a map-filter config of thousands of
            jobs has a warning per job).

    Returns:
        The findings, ordered by line.

    """
    c = _Collector(data, file, errors_only)
    config = read_config(data)
    for p in config.problems:
        c.add(p.rule, p.path, p.message)
    if not isinstance(data, Mapping):
        return c.findings()
    _check_version(c, config)
    filters: dict[tuple[str, str], Filter] = {}
    for wf in config.workflows:
        graph = graph_problems(wf)
        for p in graph:
            c.add(p.rule, p.path, p.message)
        for wj in wf.jobs:
            _check_job_defined(c, config, wj)
            f = _check_filters(c, config, wj)
            if f is not None:
                filters[(wf.name, wj.name)] = f
        if not graph:
            _check_flow(c, wf, filters)
    _check_images(c, data)
    _check_secrets(c, data)
    return c.findings()


def lint_text(text: str, file: str | Path | None = None) -> list[Finding]:
    """Parse (round-trip, for line numbers) and lint config text.

    Raises:
        InputError: the text is not YAML.

    """
    return lint_data(parse_yaml_rt(text, file), file=str(file) if file is not None else None)


def _check_version(c: _Collector, config: Config) -> None:
    v = config.version
    if v is None:
        c.add("config-version", (), "the config has no top-level version", "error")
        return
    if v not in ("2", "2.0", "2.1"):
        c.add("config-version", ("version",), f"version {v} is not one CircleCI reads (2 or 2.1)")
        return
    has_wf = bool(config.workflows) or config.workflows_version is not MISSING
    if v == "2.1" and config.workflows_version is not MISSING:
        c.add("workflows-version", ("workflows", "version"),
              "workflows: version: is a CircleCI 2.0 key; a 2.1 config ignores it (deprecated): remove it")
    elif v in ("2", "2.0") and has_wf and config.workflows_version not in (2, "2"):
        c.add("workflows-version", ("workflows",), "a version 2 config needs `version: 2` under workflows",
              "error")


def _check_job_defined(c: _Collector, config: Config, wj: WorkflowJob) -> None:
    if wj.approval or "/" in wj.job or wj.job in config.job_names:
        return
    close = difflib.get_close_matches(wj.job, sorted(config.job_names), n=1)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    c.add("undefined-job", wj.path, f"job {wj.job!r} is not defined under jobs{hint}")


def _check_filters(c: _Collector, config: Config, wj: WorkflowJob) -> Filter | None:
    try:
        f = read_filters(wj.filters_raw, wj.filters_path)
    except FilterError as exc:
        if exc.kind == "invalid":
            c.add("filters-invalid", exc.path, exc.message)
        else:
            c.add("filters-unsupported", exc.path, f"{exc.message}; checks that need this filter are skipped")
        return None
    if isinstance(f, ExprFilter):
        if config.version in ("2", "2.0"):
            c.add("expression-needs-2.1", wj.filters_path,
                  "expression filters need version: 2.1; use branches/tags map filters in a version 2 config")
        parsed = f.expr

        def check_names(r: _Collector) -> None:
            _check_expression_names(r, (), parsed)

        for severity, rule, message in _findings_of(("expression", f.text), check_names):
            c.add(rule, wj.filters_path, message, severity)
    elif f.written:
        for ppath, p in f.patterns:
            kind: Kind = "branch" if ppath[len(wj.filters_path)] == "branches" else "tag"

            def check_pattern(r: _Collector, p: Pattern = p, kind: Kind = kind) -> None:
                _check_pattern(r, (), p.raw, p.is_regex, p.body, kind)

            for severity, rule, message in _findings_of(("pattern", p.raw, kind), check_pattern):
                c.add(rule, ppath, message, severity)
        if config.version == "2.1" and not c.errors_only:  # the map-filters warning
            expr = to_expression(f.trigger)
            if expr is None:
                c.add("map-filters", wj.filters_path, "map filters are deprecated; these admit what no "
                      "filters admit (every branch, no tag): remove filters")
            else:
                c.add("map-filters", wj.filters_path,
                      f"map filters are deprecated; the equivalent expression is: filters: {expr}")
    langs = (f.language("branch"), f.language("tag"))
    if (isinstance(f, ExprFilter) or f.written) and None not in langs:
        try:
            if all(lang is not None and rl.is_empty(lang) for lang in langs):
                c.add("never-runs", wj.filters_path,
                      f"{wj.name} never runs: its filters admit no branch and no tag")
        except rl.Unsupported:
            pass
    return f


class _Recorder(_Collector):
    """Collects what a check of one filter or pattern finds, to be placed at each path that has it."""

    def __init__(self) -> None:
        super().__init__(None, None)


# A config repeats the same few filters on thousands of jobs: the findings of checking one expression
# or pattern depend on nothing else, so each is checked once (with every severity; the collector it
# is replayed into keeps what it wants) and its findings placed at each job's path.
_FILTER_FINDINGS: dict[tuple[str, ...], list[tuple[Severity, str, str]]] = {}


def _findings_of(key: tuple[str, ...], check: Callable[[_Collector], None]) -> list[tuple[Severity, str, str]]:
    found = _FILTER_FINDINGS.get(key)
    if found is None:
        recorder = _Recorder()
        check(recorder)
        found = [(severity, rule, message) for severity, rule, _, message in recorder.items]
        if len(_FILTER_FINDINGS) >= 4096:
            _FILTER_FINDINGS.clear()
        _FILTER_FINDINGS[key] = found
    return found


def _check_pattern(c: _Collector, path: YamlPath, raw: str, is_regex: bool, body: str, kind: Kind) -> None:
    what = "branch" if kind == "branch" else "tag"
    if is_regex:
        try:
            if rl.is_empty(rl.regex_of(body)):
                c.add("pattern-unmatchable", path, f"regex {raw} cannot match any whole {what} name "
                      "(a regex must match the entire name, and ^/$ anchor its ends)")
        except rl.Unsupported:
            pass
        return
    why = ref_name_problem(raw)
    if why is not None:
        hint = ""
        if raw.startswith("/") or raw.endswith("/"):
            hint = "; a regex is written /…/ with a slash at both ends"
        elif any(ch in raw for ch in "*?["):
            hint = "; filters have no globs: write a /regex/, e.g. /^" + re.escape(raw.split("*")[0]).replace(
                "/", "\\/") + ".*/"
        c.add("pattern-unmatchable", path, f"{raw!r} is an exact {what} name, and no {what} can be "
              f"named that: {why}{hint}")


def _check_expression_names(c: _Collector, path: YamlPath, e: Expr) -> None:
    """Comparisons of a git name with a literal no git name can ever equal, start with or match."""
    stack: list[Expr] = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, Logical):
            stack.extend((node.left, node.right))
        elif isinstance(node, Binary):
            var, lit = (node.left, node.right) if isinstance(node.left, Var) else (node.right, node.left)
            if not (isinstance(var, Var) and isinstance(lit, Lit)) or var.name not in (
                    "pipeline.git.branch", "pipeline.git.tag"):
                stack.extend((node.left, node.right))
                continue
            kind: Kind = "branch" if var.name.endswith("branch") else "tag"
            value = lit.value
            if node.op == "matches" and isinstance(value, PatternValue):
                _check_pattern(c, path, f"/{value.source}/", True, value.source, kind)
            elif node.op in ("==", "!=") and isinstance(value, str):
                why = ref_name_problem(value)
                if why is not None:
                    always = "false" if node.op == "==" else "true whenever it is set"
                    c.add("pattern-unmatchable", path,
                          f"{var.name} {node.op} {value!r} is always {always}: {why}")
            elif node.op == "starts-with" and isinstance(value, str) and node.left is var:
                try:
                    if rl.is_empty(rl.prefix(value)):
                        c.add("pattern-unmatchable", path,
                              f"no {kind} name starts with {value!r}: git names cannot contain those "
                              "characters")
                except rl.Unsupported:
                    pass


class _Flow:
    """The names each job of one workflow admits, runs for, and runs for behind an approval.

    ``runs``: admitted, and (with requires) at least one required job runs. ``gated``: runs, and is
    an approval job or has a running required job that is gated (so it waits for an approval).
    None means "cannot be computed" (a filter cigen cannot evaluate or analyse).
    """

    def __init__(self, wf: Workflow, filters: Mapping[tuple[str, str], Filter]) -> None:
        self.wf = wf
        self.filters = filters
        self.by_name = {wj.name: wj for wj in wf.jobs}
        alias = {wj.job: wj.name for wj in wf.jobs}
        self.ups = {wj.name: list(dict.fromkeys(r.name if r.name in self.by_name else alias[r.name]
                                                for r in wj.requires)) for wj in wf.jobs}
        self.memo: dict[tuple[str, str, Kind], rl.Lang | None] = {}

    def admitted(self, name: str, kind: Kind) -> rl.Lang | None:
        key = ("admitted", name, kind)
        if key not in self.memo:
            f = self.filters.get((self.wf.name, name))
            self.memo[key] = f.language(kind) if f is not None else None
        return self.memo[key]

    def runs(self, name: str, kind: Kind) -> rl.Lang | None:
        key = ("runs", name, kind)
        if key not in self.memo:
            own = self.admitted(name, kind)
            ups = [self.runs(u, kind) for u in self.ups[name]]
            if own is None or None in ups:
                self.memo[key] = None
            else:
                self.memo[key] = rl.inter(own, rl.union(*(u for u in ups if u is not None))) if ups else own
        return self.memo[key]

    def gated(self, name: str, kind: Kind) -> rl.Lang | None:
        key = ("gated", name, kind)
        if key not in self.memo:
            mine = self.runs(name, kind)
            ups = [self.gated(u, kind) for u in self.ups[name]]
            if mine is None or None in ups:
                self.memo[key] = None
            elif self.by_name[name].approval:
                self.memo[key] = mine
            else:
                self.memo[key] = rl.inter(mine, rl.union(*(u for u in ups if u is not None)))
        return self.memo[key]


def _check_flow(c: _Collector, wf: Workflow, filters: Mapping[tuple[str, str], Filter]) -> None:
    """Tags a job admits that the jobs it requires do not; approval jobs that are filtered out."""
    flow = _Flow(wf, filters)
    reported: set[tuple[str, str]] = set()
    tag_sets: dict[tuple[int, ...], tuple[str | None, bool, str | None]] = {}
    for wj in wf.jobs:
        ups = flow.ups[wj.name]
        if not ups:
            continue
        try:
            _check_bypass(c, wj, flow, reported)
            _check_tags(c, wj, ups, flow.by_name, flow.admitted, reported, tag_sets)
        except (rl.Unsupported, RecursionError):
            continue


def _check_tags(c: _Collector, wj: WorkflowJob, ups: list[str], by_name: Mapping[str, WorkflowJob],
                lang: Callable[[str, Kind], rl.Lang | None], reported: set[tuple[str, str]],
                tag_sets: dict[tuple[int, ...], tuple[str | None, bool, str | None]] | None = None) -> None:
    mine = lang(wj.name, "tag")
    up_langs = [lang(u, "tag") for u in ups]
    if mine is None or None in up_langs:
        return
    # The set questions depend only on the languages, which jobs with the same filters share (the
    # same objects, for the lifetime of the flow that owns them): answered once per combination.
    key = (id(mine), *map(id, up_langs))
    answers = tag_sets.get(key) if tag_sets is not None else None
    if answers is None:
        sample = rl.example(mine)
        disjoint = lost = None
        if sample is not None:
            upstream = rl.union(*(u for u in up_langs if u is not None))
            disjoint = rl.is_empty(rl.inter(mine, upstream))
            lost = None if disjoint else rl.example(rl.difference(mine, upstream))
        answers = (sample, bool(disjoint), lost)
        if tag_sets is not None:
            tag_sets[key] = answers
    sample, disjoint, lost = answers
    if sample is None:
        return
    if disjoint:
        holds = [u for u in ups if by_name[u].approval]
        if holds and len(holds) == len(ups):
            for h in holds:
                if (h, "approval-no-tags") not in reported:
                    reported.add((h, "approval-no-tags"))
                    c.add("approval-no-tags", by_name[h].path,
                          f"approval job {h} admits none of the tags {wj.name} admits (e.g. {_q(sample)}): "
                          f"on those tags it is filtered out and {wj.name} never runs; give {h} the same "
                          "tag filters")
            return
        c.add("tags-never-run", wj.filters_path,
              f"{wj.name} admits tags (e.g. {_q(sample)}), but none of the jobs it requires "
              f"({', '.join(ups)}) admits any of them: CircleCI never runs {wj.name} for those tags; give "
              "them matching tag filters")
        return
    if lost is not None:
        c.add("tags-partly-run", wj.filters_path,
              f"{wj.name} admits tag {_q(lost)}, which none of the jobs it requires ({', '.join(ups)}) "
              f"admits: CircleCI does not run {wj.name} for it")


def _check_bypass(c: _Collector, wj: WorkflowJob, flow: _Flow, reported: set[tuple[str, str]]) -> None:
    """Report a job that requires an approval job but can run with no approval at all.

    CircleCI drops a required job that does not run from ``requires``: when the approval job is
    filtered out (or skipped) and another required job runs, the job runs without approval.
    """
    ups = flow.ups[wj.name]
    holds = [u for u in ups if flow.by_name[u].approval]
    others = [u for u in ups if not flow.by_name[u].approval]
    if not holds or not others or wj.approval:
        return  # with only approval jobs required, running at all means running behind one
    for kind in ("branch", "tag"):
        k: Kind = "branch" if kind == "branch" else "tag"
        runs, gated = flow.runs(wj.name, k), flow.gated(wj.name, k)
        if runs is None or gated is None:
            continue
        name = rl.example(rl.difference(runs, gated))
        if name is None:
            continue
        at = rl.exact(name)
        running = [u for u in others if not rl.is_empty(rl.inter(at, flow.runs(u, k) or rl.NO_NAME))]
        for h in holds:
            if (h, kind) in reported:
                continue
            reported.add((h, kind))
            hl = flow.admitted(h, k)
            filtered = hl is not None and rl.is_empty(rl.inter(at, hl))
            why = "is filtered out" if filtered else "is skipped (none of the jobs it requires runs)"
            fix = (f"give {h} the {kind} filters of {wj.name}" if filtered
                   else f"make the jobs {h} requires run wherever {wj.name} does")
            no_tags = k == "tag" and hl is not None and rl.is_empty(hl)
            rule = "approval-no-tags" if no_tags else "approval-bypassed"
            c.add(rule, flow.by_name[h].path,
                  f"on {kind} {_q(name)} approval job {h} {why} while {', '.join(running)} runs, so CircleCI "
                  f"drops it from {wj.name}'s requires and {wj.name} runs without approval; {fix}")


def _docker_images(data: Mapping[str, Any]) -> Iterator[tuple[YamlPath, Mapping[str, Any]]]:
    for section in ("jobs", "executors"):
        block = data.get(section)
        if not isinstance(block, Mapping):
            continue
        for name, spec in block.items():
            if not isinstance(spec, Mapping) or not isinstance(spec.get("docker"), list):
                continue
            for i, image in enumerate(spec["docker"]):
                if isinstance(image, Mapping):
                    yield (section, str(name), "docker", i), image


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and (bool(VAR_REF.fullmatch(value)) or "<<" in value)


def _check_images(c: _Collector, data: Mapping[str, Any]) -> None:
    for ipath, image in _docker_images(data):
        ref = image.get("image")
        aws = image.get("aws_auth")
        if aws is not None and isinstance(ref, str) and "<<" not in ref and "$" not in ref:
            host = ref.split("/", 1)[0]
            if not ECR_HOST.fullmatch(host):
                c.add("aws-auth-not-ecr", (*ipath, "aws_auth"),
                      f"aws_auth is only for AWS ECR images, and {ref!r} is not on ECR "
                      "(<account>.dkr.ecr.<region>.amazonaws.com/…); use auth for other registries")
        creds_keys = (("aws_auth", ("aws_access_key_id", "aws_secret_access_key")), ("auth", ("password",)))
        for block, keys in creds_keys:
            creds = image.get(block)
            if not isinstance(creds, Mapping):
                continue
            for key in keys:
                value = creds.get(key)
                if value is not None and not _is_reference(value):
                    c.add("literal-secret", (*ipath, block, key),
                          f"{block}.{key} holds a literal value; a credential must never be in the config: "
                          "store it in a CircleCI context or project variable and write $NAME here")


def _check_secrets(c: _Collector, data: Any) -> None:
    if not _may_hold_secrets(data):
        return
    done = {p for _, rule, p, _ in c.items if rule == "literal-secret"}
    for path, text in _walk(data, ()):
        if path in done:
            continue
        if AWS_KEY_ID.search(text):
            c.add("aws-key-id", path, "this looks like an AWS access key id; a credential must never be in "
                  "the config: store it in a CircleCI context or project variable and use $NAME")
            continue
        for m in SECRET_40.finditer(text):
            if _is_secret_like(m.group()):
                c.add("secret-like", path, "this contains a 40-character string shaped like an AWS secret "
                      "access key; store secrets in a CircleCI context or project variable and use $NAME")
                break


def _may_hold_secrets(data: Any) -> bool:
    """Whether any string of ``data`` could give a secret finding: one regex pass over all of them.

    A config of thousands of jobs has tens of thousands of strings; walking them with their paths
    and two regex searches each was the largest part of linting one. Both regexes look around with
    classes that exclude the line break, so on the strings joined by line breaks they find exactly
    the matches they find in each string; only when one is found are paths worked out (the walk).
    """
    strings: list[str] = []
    stack: list[Any] = [data]
    while stack:  # the strings _walk visits (values, not keys), without building their paths
        cur = stack.pop()
        kind = type(cur)  # exact types first: the Mapping check is an abstract-base-class check, slow
        if kind is str or (kind is not dict and kind is not list and isinstance(cur, str)):
            strings.append(cur)
        elif kind is dict or (kind is not list and isinstance(cur, Mapping)):
            stack.extend(cur.values())
        elif kind is list or isinstance(cur, list):
            stack.extend(cur)
    blob = "\n".join(strings)
    # Both regexes open with a look-behind, which keeps re from searching for a literal start: on the
    # text of a thousand jobs each costs tens of milliseconds. Their wider forms are fast and rule out
    # nearly every config: the key id without its look-arounds, and any run of 40 characters of the
    # secret's alphabet (a plain substring search once those characters are mapped to "a").
    if _KEY_ID_WIDE.search(blob) is None and "a" * 40 not in blob.translate(_SECRET_ALPHABET_TO_A):
        return False
    return AWS_KEY_ID.search(blob) is not None or any(_is_secret_like(m.group()) for m in SECRET_40.finditer(blob))


_KEY_ID_WIDE = re.compile(AWS_KEY_ID.pattern.removeprefix("(?<![A-Z0-9])").removesuffix("(?![A-Z0-9])"))
_SECRET_ALPHABET_TO_A = str.maketrans(dict.fromkeys(string.ascii_letters + string.digits + "/+", "a"))


# --------------------------------------------------------------------------------------------------
# Output.


def format_text(findings: Sequence[Finding]) -> str:
    """One line per finding (empty string when there are none)."""
    return "".join(f.one_line() + "\n" for f in findings)


def format_json(findings: Sequence[Finding]) -> str:
    """Return the findings as a JSON list (ending in a newline)."""
    return json.dumps([f.as_dict() for f in findings], indent=2) + "\n"


def counts(findings: Sequence[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = sum(1 for f in findings if f.severity == "error")
    return errors, len(findings) - errors
