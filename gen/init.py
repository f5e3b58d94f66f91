"""``cigen init``: a commented starter envs.toml that renders, validates and passes ``cigen check`` at once.

The answers (flags or prompts) are validated here, each failure an :class:`InputError` naming the flag.
The starter's shape, chosen to be the common case and easy to edit:

* every environment pulls ``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:latest`` (from ``[defaults]``);
* ``--auth keys``: ``aws_auth`` names the variables ``AWS_ACCESS_KEY_ID_<ENV>`` / ``AWS_SECRET_ACCESS_KEY_<ENV>``;
  ``--auth oidc``: ``aws_auth`` names the role ``arn:aws:iam::<account>:role/circleci-ecr-pull-<env>`` and the
  job uses a context ``aws-<env>`` (CircleCI gives OIDC tokens to jobs that use at least one context);
* the first environment runs on ``main``; each later one requires the one before it; the last runs on
  release tags only, behind a manual approval (with one environment: ``main`` and release tags, no gate).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gen.errors import InputError, OverwriteError

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
# An ECR repository name, as AWS documents it: lowercase components separated by . _ - and /.
REPO = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
ENV_NAME = re.compile(r"[a-z][a-z0-9_-]*")

DEFAULT_ENVS = ("staging", "production")
DEFAULT_REGION = "us-east-1"
DEFAULT_AUTH = "oidc"
DEFAULT_RELEASE_TAGS = r"/^v\d+\.\d+\.\d+$/"

Auth = Literal["oidc", "keys"]


@dataclass(frozen=True)
class Answers:
    """What ``init`` needs to know, validated."""

    envs: tuple[str, ...]
    account: str
    region: str
    repo: str
    auth: Auth
    release_tags: str


# --------------------------------------------------------------------------------------------------
# validation: one function per answer, usable as a prompt's value check too


def parse_envs(values: Sequence[str]) -> tuple[str, ...]:
    """Environment names from ``--env`` flags (each may also be a comma-separated list), in order.

    Raises:
        InputError: empty, a bad name, or a name given twice.
    """
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        raise InputError("no environment given", key="--env", hint="e.g. --env staging --env production")
    seen: set[str] = set()
    for name in names:
        if not ENV_NAME.fullmatch(name):
            raise InputError(f"{name!r} is not an environment name", key="--env",
                             hint="a lowercase letter first, then lowercase letters, digits, _ or -")
        if name in seen:
            raise InputError(f"environment {name!r} is given twice", key="--env")
        seen.add(name)
    return tuple(names)


def check_account(value: str) -> str:
    """A 12-digit AWS account id.

    Raises:
        InputError: anything else.
    """
    value = value.strip().replace("-", "")
    if not ACCOUNT.fullmatch(value):
        raise InputError(f"{value!r} is not an AWS account id", key="--account",
                         hint="give the 12 digits of the account that owns the ECR repository")
    return value


def check_region(value: str) -> str:
    """An AWS region name such as ``us-east-1``.

    Raises:
        InputError: anything else.
    """
    value = value.strip()
    if not REGION.fullmatch(value):
        raise InputError(f"{value!r} is not an AWS region", key="--region", hint="e.g. us-east-1, eu-west-1")
    return value


def check_repo(value: str) -> str:
    """An ECR repository name such as ``org/app``.

    Raises:
        InputError: anything else.
    """
    value = value.strip()
    if not REPO.fullmatch(value):
        raise InputError(f"{value!r} is not an ECR repository name", key="--repo",
                         hint="lowercase letters and digits, separated by . _ - or /, e.g. org/app")
    return value


def check_auth(value: str) -> Auth:
    """``oidc`` or ``keys``.

    Raises:
        InputError: anything else.
    """
    value = value.strip().lower()
    if value == "oidc":
        return "oidc"
    if value == "keys":
        return "keys"
    raise InputError(f"{value!r} is not an auth kind", key="--auth",
                     hint="oidc (an IAM role, no stored keys) or keys (variable names of static keys)")


def check_release_tags(value: str) -> str:
    """A tag pattern: ``/regex/`` (must compile) or an exact tag name.

    Raises:
        InputError: empty, multi-line, or a regex that does not compile.
    """
    from gen.filters import Pattern

    value = value.strip()
    if not value or "\n" in value or "\r" in value:
        raise InputError("the release tag pattern is empty or spans lines", key="--release-tags",
                         hint=f"e.g. '{DEFAULT_RELEASE_TAGS}'")
    from gen import regexlang
    from gen.filters import ref_name_problem

    pattern = Pattern(value)
    if not pattern.is_regex:
        why = ref_name_problem(value)
        if why is not None:
            raise InputError(f"no tag can be named {value!r}: {why}", key="--release-tags",
                             hint=f"write a /regex/ (slashes at both ends), e.g. '{DEFAULT_RELEASE_TAGS}'")
        return value
    try:
        pattern.compiled  # noqa: B018 - compiling is the check
    except re.error as exc:
        raise InputError(f"regex {value} does not compile: {exc}", key="--release-tags") from None
    try:
        # The same question `cigen lint` asks (pattern-unmatchable): could any git tag name match it whole?
        empty = regexlang.is_empty(regexlang.regex_of(pattern.body))
    except regexlang.Unsupported:
        empty = False  # not analysable here; the rendered config's lint check still runs
    if empty:
        raise InputError(f"regex {value} cannot match any whole tag name", key="--release-tags",
                         hint="git tag names have no spaces, ~ ^ : ? * [ \\ or control characters")
    return value


def default_repo(directory: Path) -> str:
    """A repository name from the folder's name (``My App`` → ``my-app``), or ``app``."""
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return name if name and REPO.fullmatch(name) else "app"


#: A prompt: (question, default or None, check raising InputError) → the answer typed.
Ask = Callable[[str, str | None, Callable[[str], object]], str]


def resolve_answers(
    directory: Path,
    *,
    envs: Sequence[str] | None,
    account: str | None,
    region: str | None,
    repo: str | None,
    auth: str | None,
    release_tags: str | None,
    ask: Ask | None,
) -> Answers:
    """Turn flags into validated answers, asking for each missing one when ``ask`` is given.

    Without ``ask`` (stdin is not a terminal) a missing answer takes its default; ``account`` has none.

    Raises:
        InputError: a flag's value is invalid, or ``account`` is missing and cannot be asked for.
    """
    if ask is not None:
        if envs is None:
            envs = [ask("Environments, in order (comma-separated)", ",".join(DEFAULT_ENVS),
                        lambda v: parse_envs([v]))]
        if account is None:
            account = ask("AWS account id of the ECR registry (12 digits)", None, check_account)
        if region is None:
            region = ask("AWS region of the registry", DEFAULT_REGION, check_region)
        if repo is None:
            repo = ask("ECR repository", default_repo(directory), check_repo)
        if auth is None:
            auth = ask("How CircleCI pulls the image: oidc or keys", DEFAULT_AUTH, check_auth)
        if release_tags is None:
            release_tags = ask("Release tags (/regex/ or a tag name)", DEFAULT_RELEASE_TAGS, check_release_tags)
    if account is None:
        raise InputError("missing: required when not run in a terminal (nothing to ask in)", key="--account",
                         hint="e.g. --account 123456789012")
    return Answers(
        envs=parse_envs(envs if envs is not None else DEFAULT_ENVS),
        account=check_account(account),
        region=check_region(region if region is not None else DEFAULT_REGION),
        repo=check_repo(repo if repo is not None else default_repo(directory)),
        auth=check_auth(auth if auth is not None else DEFAULT_AUTH),
        release_tags=check_release_tags(release_tags if release_tags is not None else DEFAULT_RELEASE_TAGS),
    )


# --------------------------------------------------------------------------------------------------
# the starter file


def _toml_string(value: str) -> str:
    """A TOML string: literal ('…') when it can be, so a regex reads as written; else basic ("…")."""
    if "'" not in value and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return f"'{value}'"
    out = []
    for c in value:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _var_suffix(env: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", env.upper())


def _row(code: str, comment: str = "") -> str:
    # Comments line up in one column, as people align them by hand.
    return f"{code:<44} # {comment}" if comment else code


def starter_toml(a: Answers) -> str:
    """The commented starter envs.toml for these answers."""
    image = f"{a.account}.dkr.ecr.{a.region}.amazonaws.com/{a.repo}:latest"
    tags = _toml_string(a.release_tags)
    lines = [
        "# The deployment environments of this repository, for cigen.",
        "# Edit this file, then run `cigen render` to regenerate .circleci/config.yml (never edit that by hand);",
        "# `cigen check` fails while the two disagree. Every key is described in cigen's README;",
        "# for completion in your editor: `cigen schema > envs.schema.json` and a first line",
        "#   #:schema ./envs.schema.json",
        "",
        _row('version = "2.1"', 'CircleCI config version: "2.1", or "2" for the legacy form'),
        _row('filters = "expression"', '"expression", or "map" (for CircleCI Server before 4.8)'),
        _row('workflow = "main"', "the workflow's name"),
        "",
        _row("[defaults]", "every environment inherits these; its own value wins"),
        "# The private ECR image the jobs run in. Pin a tag (or @sha256:…) rather than `latest`.",
        f'image = "{image}"',
        'resource_class = "medium"',
    ]
    last = len(a.envs) - 1
    for i, env in enumerate(a.envs):
        lines += ["", f"[environments.{env}]"]
        if a.auth == "oidc":
            if i == 0:
                lines.append("# CircleCI assumes this IAM role through OIDC to pull the image: no stored keys.")
                lines.append("# OIDC tokens are given to jobs that use a context: create it in Organization "
                             "Settings > Contexts.")
            lines.append(f'aws_auth = {{ oidc_role_arn = "arn:aws:iam::{a.account}:role/circleci-ecr-pull-{env}" }}')
            lines.append(f'context = ["aws-{env}"]')
        else:
            suffix = _var_suffix(env)
            if i == 0:
                lines.append("# The NAMES of the CircleCI variables (project settings or a context) holding the "
                             "ECR pull keys,")
                lines.append("# never the keys themselves.")
            lines.append(f'aws_auth = {{ access_key_id = "AWS_ACCESS_KEY_ID_{suffix}", '
                         f'secret_access_key = "AWS_SECRET_ACCESS_KEY_{suffix}" }}')
        lines.append(_row(f'environment = {{ DEPLOY_ENV = "{env}" }}', "non-secret job variables"))
        if last == 0:
            lines.append(_row('branches = { only = "main" }', "every push to main"))
            lines.append(_row(f"tags = {{ only = {tags} }}", "and release tags"))
        elif i == 0:
            lines.append(_row('branches = { only = "main" }', "every push to main"))
        elif i < last:
            lines.append(_row('branches = { only = "main" }', "after the one before it, on main"))
            lines.append(f'requires = ["{a.envs[i - 1]}"]')
        else:
            lines.append(_row("branches = { only = [] }", "no branch:"))
            lines.append(_row(f"tags = {{ only = {tags} }}", "release tags only (cigen makes the jobs it"))
            lines.append(_row(f'requires = ["{a.envs[i - 1]}"]', "requires run for these tags too)"))
            lines.append(_row("approval = true", f"a manual approval job hold-{env} gates it"))
        lines.append(_row("steps = [", "replace with your own steps") if i == 0 else "steps = [")
        lines.append('  "checkout",')
        if i == 0:
            lines.append('  { run = "make test", name = "Test" },')
        lines.append(f'  {{ run = "make deploy", name = "Deploy to {env}" }},')
        lines.append("]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# doing it


@dataclass(frozen=True)
class InitResult:
    """The files ``init`` wrote, and the backups it kept with ``--force``."""

    envs: Path
    config: Path
    backups: tuple[Path, ...]


def init_repo(directory: Path, answers: Answers, *, force: bool = False) -> InitResult:
    """Write ``envs.toml`` and its rendered ``.circleci/config.yml`` into ``directory``.

    Both are rendered and checked in memory first; nothing is written unless both are good.

    Args:
        directory: The repository's root (created if missing).
        answers: Validated answers.
        force: Replace existing files, keeping each as ``<name>.bak`` first.

    Raises:
        OverwriteError: envs.toml or config.yml exists and ``force`` is false (nothing written).
        CigenError: the starter does not render (a bug) or a file cannot be written.
    """
    from gen.check import read_existing
    from gen.core import check_rendered, default_output
    from gen.loader import parse_toml, validate
    from gen.plan import build_plan
    from gen.render import render_plan
    from gen.writer import atomic_write, backup

    envs_path = directory / "envs.toml"
    config_path = default_output(envs_path)
    envs_text = starter_toml(answers)
    config_text = render_plan(build_plan(validate(parse_toml(envs_text, envs_path), envs_path), envs_path))
    # The same lint gate render and check apply, so what init writes always passes `cigen check`.
    check_rendered(config_text, envs_path)
    existing = [(p, read_existing(p)) for p in (envs_path, config_path)]
    if not force:
        for path, data in existing:
            if data is not None:
                raise OverwriteError("refusing to overwrite an existing file", file=path,
                                     hint="pass --force to replace it (it is kept as a .bak file first)")
    backups: list[Path] = []
    for (path, data), text in zip(existing, (envs_text, config_text), strict=True):
        if data is not None and data != text.encode("utf-8"):
            backups.append(backup(path))
    for path, text in ((envs_path, envs_text), (config_path, config_text)):
        atomic_write(path, text)
    return InitResult(envs=envs_path, config=config_path, backups=tuple(backups))
