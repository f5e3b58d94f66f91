"""The resolved plan: defaults applied, every cross-field rule checked, jobs ordered, filters propagated.

This is the execute half's input: templates receive a :class:`Plan` and nothing else. Every rule that
can fail reports an :class:`~gen.errors.InputError` naming the dotted key in envs.toml it is about.
"""

from __future__ import annotations

import difflib
import heapq
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gen.errors import InputError
from gen.filters import (
    Kind,
    MapDimension,
    NotExpressible,
    Pattern,
    RefSet,
    Trigger,
    clause_from_lists,
    ref_name_problem,
    to_expression,
    to_map,
    union_all,
)
from gen.records import AwsAuth, Defaults, DockerAuth, Environment, EnvsFile, RefFilter, RunSpec, RunStep, dump, strings
from gen.secrets import check_secrets, could_hold_secret

ENV_NAME = re.compile(r"[a-z][a-z0-9_-]*")
# CircleCI job and workflow names as its schema admits them in `requires`.
JOB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESOURCE_CLASS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
MAX_NAME = 255  # environment, job and workflow names
# A step or command name, as CircleCI's config schema admits it for steps (^[a-z][a-z\d/_-]*$).
STEP_NAME = re.compile(r"[a-z][a-z0-9/_-]*")
ROLE_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}")
# AWS access key ids: a four-letter prefix naming the kind of key, then 16 upper-case/digits.
AWS_KEY_ID = re.compile(r"(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}")
# An AWS secret access key: 40 characters of base64 alphabet, mixing cases and digits.
SECRET_40 = re.compile(r"[A-Za-z0-9/+=]{40}")

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>[:tag|@sha256:<digest>]
ECR_HOST = re.compile(
    r"(?P<account>[^.]*)\.dkr\.ecr\.(?P<region>[^.]*)\.amazonaws\.com(?:\.cn)?"
)
ECR_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
ECR_REPO = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
ECR_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
ECR_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# Exactly the characters for which str.isspace() is true (for str patterns both ask Py_UNICODE_ISSPACE),
# in one regex call instead of a Python loop over the image name.
WHITESPACE = re.compile(r"\s")

# What `git check-ref-format` forbids anywhere in a ref name (sequences like `..` and `@{` included).
_GIT_NAME_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{")

FilterStyle = Literal["expression", "map"]
_KINDS: tuple[Kind, Kind] = ("branch", "tag")


@dataclass(frozen=True)
class Executor:
    """Where a job runs: its image and how CircleCI authenticates to pull it."""

    name: str
    image: str
    aws_access_key_id: str | None = None  # variable names, without `$`
    aws_secret_access_key: str | None = None
    oidc_role_arn: str | None = None
    auth_username: str | None = None  # literal or `$NAME`
    auth_password: str | None = None  # variable name, without `$`
    resource_class: str | None = None


@dataclass(frozen=True)
class Job:
    """A CircleCI job: one per environment."""

    name: str
    env: str
    executor: Executor
    environment: dict[str, str]
    steps: tuple[Any, ...]


@dataclass(frozen=True)
class Filters:
    """A workflow job's filters in the chosen style; all None means no ``filters`` key."""

    expression: str | None = None
    branches: MapDimension | None = None
    tags: MapDimension | None = None

    @property
    def empty(self) -> bool:
        """No filters key is written."""
        return self.expression is None and self.branches is None and self.tags is None


@dataclass(frozen=True)
class WorkflowJob:
    """One entry of the workflow's ``jobs`` list: an environment's job or its approval hold."""

    name: str
    env: str
    approval: bool
    requires: tuple[str, ...]
    context: tuple[str, ...]
    own: Trigger  # the environment's trigger as the user wrote it (holds: none of their own)
    admitted: Trigger  # own ∪ everything downstream: what the rendered filters admit
    filters: Filters


@dataclass(frozen=True)
class Plan:
    """Everything the templates need, resolved and checked."""

    version: Literal["2.1", "2"]
    filter_style: FilterStyle
    workflow: str
    source: str  # envs file name for the header
    jobs: tuple[Job, ...]
    workflow_jobs: tuple[WorkflowJob, ...]
    triggers: dict[str, Trigger] = field(default_factory=dict)  # env → its own trigger
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)  # env → required envs
    job_names: dict[str, str] = field(default_factory=dict)  # env → job name


# --------------------------------------------------------------------------------------------------


class _Ctx:
    """Carries the file path so every error names it, and what this build has already worked out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Thousands of environments share a handful of images, patterns and filters: each distinct
        # one is checked, built or written once (bench/RESULTS.md has the before and after).
        self.images: dict[str, bool] = {}  # image → is on ECR (checked and valid)
        self.patterns_ok: set[str] = set()  # filter patterns already checked
        self.triggers: dict[tuple[Any, ...], Trigger] = {}  # (only, ignore) × 2 → one shared Trigger
        self.filters: dict[Trigger, Filters] = {}  # admitted trigger → its rendered filters

    def fail(self, key: str, message: str, hint: str | None = None) -> InputError:
        return InputError(message, file=self.path, key=key, hint=hint)


def _pick(env: Environment, defaults: Defaults | None, name: str, env_key: str) -> tuple[Any, str]:
    """An environment's own value, else the default's; with the dotted key it came from."""
    value = getattr(env, name)
    if value is not None:
        return value, f"{env_key}.{name}"
    if defaults is not None and getattr(defaults, name) is not None:
        return getattr(defaults, name), f"defaults.{name}"
    return None, f"{env_key}.{name}"


def _as_list(value: str | list[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def check_var_name(ctx: _Ctx, key: str, raw: str) -> str:
    """A CircleCI variable *name* (leading ``$`` allowed), never a credential. Returns it without ``$``."""
    name = raw[1:] if raw.startswith("$") else raw
    if name.startswith("{") and name.endswith("}"):
        name = name[1:-1]
    if AWS_KEY_ID.fullmatch(name):
        raise ctx.fail(
            key,
            "this looks like an AWS access key id, not a variable name; a credential must never be in envs.toml",
            "store the key in a CircleCI context or project variable and give its name here",
        )
    if SECRET_40.fullmatch(name) and re.search(r"[a-z]", name) and re.search(r"\d", name):
        raise ctx.fail(
            key,
            "this looks like a 40-character secret access key, not a variable name",
            "store the secret in a CircleCI context or project variable and give its name here",
        )
    if not VAR_NAME.fullmatch(name):
        raise ctx.fail(
            key,
            f"{raw!r} is not a variable name",
            "use letters, digits and _ only, not starting with a digit (e.g. AWS_ACCESS_KEY_ID_STAGING)",
        )
    return name


def _check_length(ctx: _Ctx, key: str, name: str) -> None:
    # Names become YAML keys, and YAML allows an implicit key at most 1024 characters; a generous
    # fixed limit keeps every name (and `hold-<job>`) far inside it.
    if len(name) > MAX_NAME:
        raise ctx.fail(key, f"name is {len(name)} characters long, the limit is {MAX_NAME}",
                       "use a shorter name")


def _check_ecr(ctx: _Ctx, key: str, image: str) -> bool:
    """Whether ``image`` is on ECR; raises if it claims to be but is malformed."""
    host, slash, rest = image.partition("/")
    m = ECR_HOST.fullmatch(host)
    if m is None:
        if ".dkr.ecr." in host:
            raise ctx.fail(key, f"malformed ECR host {host!r}",
                           "expected <12-digit account>.dkr.ecr.<region>.amazonaws.com")
        return False
    expect = "<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@sha256:<64 hex>]"
    if not re.fullmatch(r"\d{12}", m.group("account")):
        raise ctx.fail(key, f"ECR account id {m.group('account')!r} is not 12 digits", expect)
    if not ECR_REGION.fullmatch(m.group("region")):
        raise ctx.fail(key, f"ECR region {m.group('region')!r} is not an AWS region", "e.g. us-east-1")
    if not slash or not rest:
        raise ctx.fail(key, "ECR image has no repository", expect)
    repo, reference = rest, None
    if "@" in rest:
        repo, _, reference = rest.partition("@")
        if not ECR_DIGEST.fullmatch(reference):
            raise ctx.fail(key, f"ECR digest {reference!r} is not sha256:<64 lowercase hex>", expect)
    elif ":" in rest:
        repo, _, reference = rest.rpartition(":")
        if not ECR_TAG.fullmatch(reference):
            raise ctx.fail(key, f"ECR tag {reference!r} is not a valid image tag",
                           "letters, digits, _ . -, up to 128, not starting with . or -")
    if not ECR_REPO.fullmatch(repo):
        raise ctx.fail(key, f"ECR repository {repo!r} is not valid",
                       "lowercase letters, digits and . _ - / separators")
    return True


def _executor(ctx: _Ctx, env_name: str, env: Environment, defaults: Defaults | None) -> Executor:
    env_key = f"environments.{env_name}"
    image, image_key = _pick(env, defaults, "image", env_key)
    if image is None:
        raise ctx.fail(image_key, "no image for this environment", "set image here or in [defaults]")
    is_ecr = ctx.images.get(image)
    if is_ecr is None:
        if not image or image != image.strip() or WHITESPACE.search(image):
            raise ctx.fail(image_key, f"image {image!r} is empty or contains white space")
        is_ecr = ctx.images[image] = _check_ecr(ctx, image_key, image)
    aws: AwsAuth | None
    aws, aws_key = _pick(env, defaults, "aws_auth", env_key)
    auth: DockerAuth | None
    auth, auth_key = _pick(env, defaults, "auth", env_key)
    rc, rc_key = _pick(env, defaults, "resource_class", env_key)
    if rc is not None and not RESOURCE_CLASS.fullmatch(rc):
        raise ctx.fail(rc_key, f"{rc!r} is not a resource class", "e.g. small, medium, large, arm.medium")
    if aws is not None and auth is not None:
        raise ctx.fail(aws_key, "give either aws_auth (ECR) or auth (other registries), not both")
    ex = Executor(name=env_name, image=image, resource_class=rc)
    if aws is not None:
        if not is_ecr:
            raise ctx.fail(
                aws_key,
                f"aws_auth is only for AWS ECR images, and {image!r} is not on ECR",
                "use auth = { username, password } for other private registries, or fix the image",
            )
        keys = (aws.access_key_id, aws.secret_access_key)
        if aws.oidc_role_arn is not None:
            if any(k is not None for k in keys):
                raise ctx.fail(aws_key, "give either static keys or oidc_role_arn, not both")
            if not ROLE_ARN.fullmatch(aws.oidc_role_arn):
                raise ctx.fail(f"{aws_key}.oidc_role_arn", f"{aws.oidc_role_arn!r} is not an IAM role ARN",
                               "arn:aws:iam::<12-digit account>:role/<name>")
            return Executor(name=env_name, image=image, resource_class=rc, oidc_role_arn=aws.oidc_role_arn)
        if keys == (None, None):
            raise ctx.fail(aws_key, "aws_auth is empty",
                           "give { access_key_id, secret_access_key } variable names or { oidc_role_arn }")
        for sub, val in (("access_key_id", keys[0]), ("secret_access_key", keys[1])):
            if val is None:
                raise ctx.fail(f"{aws_key}.{sub}", "missing: static keys need both access_key_id and "
                               "secret_access_key", "add the name of the variable that holds it")
        kid = check_var_name(ctx, f"{aws_key}.access_key_id", str(keys[0]))
        sec = check_var_name(ctx, f"{aws_key}.secret_access_key", str(keys[1]))
        return Executor(name=env_name, image=image, resource_class=rc,
                        aws_access_key_id=kid, aws_secret_access_key=sec)
    if auth is not None:
        if is_ecr:
            raise ctx.fail(auth_key, "ECR images authenticate with aws_auth, not auth",
                           "use aws_auth = { access_key_id, secret_access_key } or { oidc_role_arn }")
        user = auth.username
        if not user:
            raise ctx.fail(f"{auth_key}.username", "is empty")
        if user.startswith("$"):
            user = "$" + check_var_name(ctx, f"{auth_key}.username", user)
        pw = check_var_name(ctx, f"{auth_key}.password", auth.password)
        return Executor(name=env_name, image=image, resource_class=rc, auth_username=user, auth_password=pw)
    return ex


def _trigger(ctx: _Ctx, env_key: str, branches: RefFilter | None, b_key: str,
             tags: RefFilter | None, t_key: str) -> Trigger:
    lists: list[tuple[tuple[str, ...] | None, tuple[str, ...] | None]] = []
    for spec, key in ((branches, b_key), (tags, t_key)):
        only = ignore = None
        if spec is not None:
            only, ignore = _as_list(spec.only), _as_list(spec.ignore)
            for sub, pats in (("only", only), ("ignore", ignore)):
                for i, raw in enumerate(pats or ()):
                    if raw in ctx.patterns_ok:
                        continue
                    pkey = f"{key}.{sub}" + (f".{i}" if not isinstance(getattr(spec, sub), str) else "")
                    _check_pattern(ctx, pkey, raw)
                    ctx.patterns_ok.add(raw)
        lists.append((only, ignore))
    shared = ctx.triggers.get(tuple(lists))
    if shared is None:
        sets = [RefSet.of(clause_from_lists(only, ignore, kind))
                for (only, ignore), kind in zip(lists, _KINDS, strict=True)]
        shared = ctx.triggers[tuple(lists)] = Trigger(sets[0], sets[1])
    return shared


def _check_pattern(ctx: _Ctx, key: str, raw: str) -> None:
    if raw == "":
        raise ctx.fail(key, "empty pattern", "write an exact name or a /regex/")
    if "\n" in raw or "\r" in raw:
        raise ctx.fail(key, "a branch or tag pattern cannot contain a line break")
    if "<<" in raw:
        # In a 2.1 config CircleCI fills in `<< … >>` before filters are read, and its schema refuses
        # `<<…>>` in expression filters; cigen could not know what the pattern admits when propagating.
        raise ctx.fail(key, "a branch or tag pattern cannot contain '<<' (CircleCI parameter syntax)",
                       "write the branch or tag names themselves, or a /regex/")
    p = Pattern(raw)
    if p.is_regex:
        try:
            p.compiled  # noqa: B018 - compiling is the check
        except re.error as exc:
            raise ctx.fail(key, f"regex {raw} does not compile: {exc}") from None
        # The check lint makes of the rendered filters (rule pattern-unmatchable), made here so that the
        # error names this key: CircleCI matches a filter regex against the whole name, and git names
        # have rules of their own, so some regexes that compile can match no branch or tag at all.
        from gen import regexlang as rl

        try:
            empty = rl.is_empty(rl.regex_of(p.body))
        except rl.Unsupported:  # lint cannot decide it either
            empty = False
        if empty:
            raise ctx.fail(key, f"regex {raw} cannot match any whole branch or tag name",
                           "a filter regex must match the entire name (^ and $ anchor its ends, and "
                           "git names have no spaces, ~ ^ : ? * [ \\ or '..')")
    else:
        bad = _GIT_NAME_BAD.search(raw)
        if bad:
            # git check-ref-format: such a branch or tag cannot exist, so the filter could never match.
            raise ctx.fail(key, f"{raw!r} cannot be a git branch or tag name (it contains {bad.group()!r})",
                           "git names have no spaces, control characters, ~ ^ : ? * [ \\ or '..'; "
                           "for a pattern write a /regex/")
        why = ref_name_problem(raw)
        if why is not None:
            raise ctx.fail(key, f"{raw!r} cannot be a git branch or tag name: {why}",
                           "write the name as git has it, or a /regex/")


def _steps(ctx: _Ctx, steps: list[Any] | None, key: str) -> tuple[Any, ...]:
    if not steps:
        raise ctx.fail(key, "no steps", 'give at least one step, e.g. steps = ["checkout", { run = "make test" }]')
    out: list[Any] = []
    for i, step in enumerate(steps):
        skey = f"{key}.{i}"
        if isinstance(step, str):
            if not STEP_NAME.fullmatch(step):
                raise ctx.fail(skey, f"{step!r} is not a step name",
                               'lowercase letters, digits, _ - and /, e.g. "checkout" or "aws-cli/setup"')
            out.append(step)
        elif isinstance(step, RunStep):
            out.append(_run_step(ctx, step, skey))
        else:
            if len(step) != 1:
                raise ctx.fail(skey, f"a step table has exactly one key, this one has {len(step)}",
                               "split it into several steps")
            (name,) = step
            if not STEP_NAME.fullmatch(name):
                raise ctx.fail(f"{skey}.{name}", f"{name!r} is not a step name",
                               'lowercase letters, digits, _ - and /, e.g. "save_cache" or "aws-cli/setup"')
            out.append(dict(step))
    return tuple(out)


def _run_step(ctx: _Ctx, step: RunStep, key: str) -> Any:
    if isinstance(step.run, str):
        if not step.run.strip():
            raise ctx.fail(f"{key}.run", "empty command")
        if step.name is None:
            return {"run": step.run}
        return {"run": {"name": step.name, "command": step.run}}
    spec: RunSpec = step.run
    if step.name is not None:
        raise ctx.fail(f"{key}.name", "name is given both beside and inside the run table",
                       "keep only run.name")
    if not spec.command.strip():
        raise ctx.fail(f"{key}.run.command", "empty command")
    body = dump(spec)
    ordered = {"name": body.pop("name")} if "name" in body else {}
    ordered["command"] = body.pop("command")
    ordered.update(body)
    return {"run": ordered}


def _topo_order(ctx: _Ctx, names: list[str], requires: dict[str, tuple[str, ...]]) -> list[str]:
    """Kahn's algorithm, ties broken by declaration order; reports a cycle with its path."""
    index = {n: i for i, n in enumerate(names)}
    indeg = {n: len(requires[n]) for n in names}
    down: dict[str, list[str]] = {n: [] for n in names}
    for n in names:
        for r in requires[n]:
            down[r].append(n)
    heap = [index[n] for n in names if indeg[n] == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        n = names[heapq.heappop(heap)]
        order.append(n)
        for d in down[n]:
            indeg[d] -= 1
            if indeg[d] == 0:
                heapq.heappush(heap, index[d])
    if len(order) < len(names):
        left = {n for n in names if indeg[n] > 0}
        start = min(left, key=index.__getitem__)
        path = [start]
        seen = {start}
        cur = start
        while True:
            nxt = next(r for r in requires[cur] if r in left)
            if nxt in seen:
                cycle = [*path[path.index(nxt):], nxt]
                break
            path.append(nxt)
            seen.add(nxt)
            cur = nxt
        raise ctx.fail(f"environments.{cycle[0]}.requires", "requires form a cycle: " + " -> ".join(cycle),
                       "remove one of these requirements")
    return order


def build_plan(envs: EnvsFile, path: Path) -> Plan:
    """Apply defaults, check every cross-field rule, order jobs and propagate filters.

    Args:
        envs: The validated envs file.
        path: Where it was read from (for error messages and the header).

    Raises:
        InputError: naming the dotted key of the first problem found.
    """
    ctx = _Ctx(path)
    # Secrets first: a credential is refused whatever else is wrong with the file (gen/secrets.py).
    if could_hold_secret("\n".join(strings(envs, []))):  # one quick look clears nearly every file
        check_secrets(dump(envs), envs.allow_secrets, path)
    if not JOB_NAME.fullmatch(envs.workflow):
        raise ctx.fail("workflow", f"{envs.workflow!r} is not a workflow name",
                       "letters, digits, _ and -, starting with a letter")
    _check_length(ctx, "workflow", envs.workflow)
    if envs.workflow == "version":
        # `workflows.version` is a key of its own in CircleCI configs (required in version 2).
        raise ctx.fail("workflow", '"version" cannot name a workflow: CircleCI reads workflows.version as a key',
                       'choose another name, e.g. workflow = "main"')
    if envs.version == "2" and envs.filters == "expression":
        raise ctx.fail("filters", 'expression filters need version = "2.1"',
                       'set filters = "map" for version 2, or version = "2.1"')
    if not envs.environments:
        raise ctx.fail("environments", "no environments", "add at least one [environments.<name>] table")
    defaults = envs.defaults
    names = list(envs.environments)
    job_names: dict[str, str] = {}
    taken: dict[str, str] = {}
    for name, env in envs.environments.items():
        env_key = f"environments.{name}"
        if not ENV_NAME.fullmatch(name):
            raise ctx.fail(env_key, f"{name!r} is not an environment name",
                           "a lowercase letter first, then lowercase letters, digits, _ or -")
        _check_length(ctx, env_key, name)
        job = env.job if env.job is not None else name
        if not JOB_NAME.fullmatch(job):
            raise ctx.fail(f"{env_key}.job", f"{job!r} is not a job name",
                           "letters, digits, _ and -, starting with a letter")
        _check_length(ctx, f"{env_key}.job", job)
        if job in taken:
            raise ctx.fail(f"{env_key}.job", f"job name {job!r} is already used by environment {taken[job]!r}")
        taken[job] = name
        job_names[name] = job
    holds: dict[str, str] = {}
    requires: dict[str, tuple[str, ...]] = {}
    approvals: dict[str, bool] = {}
    for name, env in envs.environments.items():
        env_key = f"environments.{name}"
        req, req_key = _pick(env, defaults, "requires", env_key)
        req = list(req or [])
        for i, r in enumerate(req):
            if r == name:
                raise ctx.fail(f"{req_key}.{i}", f"environment {name!r} requires itself")
            if r not in envs.environments:
                close = difflib.get_close_matches(r, names, n=1)
                raise ctx.fail(f"{req_key}.{i}", f"requires {r!r}, which is not an environment",
                               f'did you mean "{close[0]}"?' if close else "known: " + ", ".join(names))
        requires[name] = tuple(dict.fromkeys(req))
        approval, _ = _pick(env, defaults, "approval", env_key)
        approvals[name] = bool(approval)
        if approvals[name]:
            hold = f"hold-{job_names[name]}"
            if hold in taken:
                raise ctx.fail(f"{env_key}.approval",
                               f"the approval job {hold!r} clashes with the job of environment {taken[hold]!r}",
                               "rename that job")
            taken[hold] = name
            holds[name] = hold
    order = _topo_order(ctx, names, requires)

    # Own triggers, as written.
    own: dict[str, Trigger] = {}
    jobs: dict[str, Job] = {}
    contexts: dict[str, tuple[str, ...]] = {}
    for name, env in envs.environments.items():
        env_key = f"environments.{name}"
        branches, b_key = _pick(env, defaults, "branches", env_key)
        tags, t_key = _pick(env, defaults, "tags", env_key)
        trig = _trigger(ctx, env_key, branches, b_key, tags, t_key)
        if trig.is_never:
            raise ctx.fail(env_key, "this environment admits no branch and no tag, so it would never run",
                           "give it branches or tags (tags = { only = [...] } for releases)")
        own[name] = trig
        ctx_val, ctx_key = _pick(env, defaults, "context", env_key)
        ctx_list = _as_list(ctx_val) or ()
        for i, c in enumerate(ctx_list):
            if not c.strip() or "\n" in c:
                raise ctx.fail(f"{ctx_key}.{i}" if isinstance(ctx_val, list) else ctx_key,
                               "a context name cannot be empty or span lines")
        contexts[name] = tuple(dict.fromkeys(ctx_list))
        variables, v_key = _pick(env, defaults, "environment", env_key)
        for var in variables or {}:
            if not VAR_NAME.fullmatch(var):
                raise ctx.fail(f"{v_key}.{var}", f"{var!r} is not an environment variable name",
                               "letters, digits and _, not starting with a digit")
        steps, s_key = _pick(env, defaults, "steps", env_key)
        jobs[name] = Job(
            name=job_names[name],
            env=name,
            executor=_executor(ctx, name, env, defaults),
            environment=dict(variables or {}),
            steps=_steps(ctx, steps, s_key),
        )

    # Propagation: every job admits at least what everything downstream of it admits, because
    # CircleCI skips a job whose requirements were filtered out (and runs no job for a tag unless
    # its filters admit that tag). Reverse topological order makes this one pass over the edges.
    downstream: dict[str, list[str]] = {n: [] for n in names}
    for n in names:
        for r in requires[n]:
            downstream[r].append(n)
    # union_all is the fold own ∪ admitted[d1] ∪ admitted[d2] ∪ … in one pass, so a job that thousands
    # of jobs require costs as much as its dependents, not its dependents squared.
    admitted: dict[str, Trigger] = {}
    for n in reversed(order):
        below = [admitted[d] for d in downstream[n]]
        admitted[n] = own[n] if not below else Trigger(
            union_all(own[n].branches, [t.branches for t in below]),
            union_all(own[n].tags, [t.tags for t in below]),
        )

    wjobs: list[WorkflowJob] = []
    for n in order:
        upstream = tuple(job_names[r] for r in requires[n])
        if n in holds:
            wjobs.append(WorkflowJob(
                name=holds[n], env=n, approval=True, requires=upstream, context=(),
                own=Trigger(RefSet(), RefSet()), admitted=admitted[n],
                filters=_filters(ctx, envs.filters, n, admitted[n]),
            ))
            upstream = (holds[n],)
        wjobs.append(WorkflowJob(
            name=job_names[n], env=n, approval=False, requires=upstream, context=contexts[n],
            own=own[n], admitted=admitted[n], filters=_filters(ctx, envs.filters, n, admitted[n]),
        ))
    return Plan(
        version=envs.version,
        filter_style=envs.filters,
        workflow=envs.workflow,
        source=path.name,
        jobs=tuple(jobs[n] for n in order),
        workflow_jobs=tuple(wjobs),
        triggers=own,
        requires=requires,
        job_names=job_names,
    )


def _filters(ctx: _Ctx, style: FilterStyle, env: str, trig: Trigger) -> Filters:
    known = ctx.filters.get(trig)  # the style is the file's, so the trigger alone decides
    if known is not None:
        return known
    if style == "expression":
        known = ctx.filters[trig] = Filters(expression=to_expression(trig))
        return known
    try:
        b = to_map(trig.branches, "branch")
        t = to_map(trig.tags, "tag")
    except NotExpressible as exc:
        raise ctx.fail(
            f"environments.{env}",
            f"map filters cannot express what this job must admit ({exc}) without regex lookahead",
            'use filters = "expression", or make the patterns of dependent environments agree',
        ) from None
    known = ctx.filters[trig] = Filters(branches=b if b.key else None, tags=t if t.key else None)
    return known
