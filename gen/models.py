"""The typed shape of envs.toml (pydantic v2, strict, frozen, unknown keys refused).

These models check *shape and types* only. Rules that need more than one field or the whole file
(an ECR image needs ``aws_auth`` of the right form, ``requires`` names an environment, no cycles, …)
live in :mod:`gen.plan`, which reports them with the same dotted keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, WithJsonSchema


class _Strict(BaseModel):
    # extra="forbid": a typo in envs.toml is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


StrOrList = str | list[str]


class AwsAuth(_Strict):
    """How CircleCI authenticates to AWS ECR to pull the image: static keys or an OIDC role."""

    access_key_id: str | None = Field(
        None,
        description="Name of the CircleCI variable holding the access key id (rendered as $NAME).",
        examples=["AWS_ACCESS_KEY_ID_STAGING"],
    )
    secret_access_key: str | None = Field(
        None,
        description="Name of the CircleCI variable holding the secret access key (rendered as $NAME).",
        examples=["AWS_SECRET_ACCESS_KEY_STAGING"],
    )
    oidc_role_arn: str | None = Field(
        None,
        description="IAM role CircleCI assumes through OIDC to pull the image.",
        examples=["arn:aws:iam::210987654321:role/circleci-ecr-pull"],
    )


class DockerAuth(_Strict):
    """``docker login`` credentials for a private image that is not on ECR."""

    username: str = Field(
        description="A literal user name, or $NAME for a CircleCI variable.", examples=["mydockerhub-user"]
    )
    password: str = Field(
        description="Name of the CircleCI variable holding the password (rendered as $NAME).",
        examples=["DOCKERHUB_PASSWORD"],
    )


class RefFilter(_Strict):
    """Branch or tag filter: ``only`` and/or ``ignore``, each a pattern or a list of patterns.

    A pattern written ``/…/`` is a regular expression that must match the whole name; anything else
    is an exact name. When both are given, ``only`` wins (CircleCI considers ``only`` first).
    """

    only: StrOrList | None = Field(
        None,
        description="Run only for these names: exact names or /regex/ (whole name). [] means none.",
        examples=["main", ["main", "/^release\\/.*/"], ["/^\\d{4}\\.\\d+$/"], []],
    )
    ignore: StrOrList | None = Field(
        None,
        description="Run for every name except these: exact names or /regex/ (whole name).",
        examples=[["/^wip\\/.*/"], "gh-pages"],
    )


class RunSpec(_Strict):
    """The table form of a ``run`` step."""

    command: str = Field(description="The shell command.", examples=["make test"])
    name: str | None = Field(None, description="The step's title in the CircleCI UI.", examples=["Unit tests"])
    shell: str | None = Field(None, description="Shell that runs the command.", examples=["/bin/bash -eo pipefail"])
    environment: dict[str, str] | None = Field(
        None, description="Non-secret environment variables for this step only.", examples=[{"LOG_LEVEL": "debug"}]
    )
    background: bool | None = Field(None, description="Run the command in the background.", examples=[True])
    working_directory: str | None = Field(
        None, description="Folder the command runs in.", examples=["~/project/service"]
    )
    no_output_timeout: str | None = Field(
        None, description="How long the command may print nothing before it is stopped.", examples=["20m"]
    )
    when: Literal["always", "on_success", "on_fail"] | None = Field(
        None, description="Run the step always, only after success (default), or only after a failure.",
        examples=["always"],
    )


class RunStep(_Strict):
    """``{ run = "cmd" }``, ``{ run = "cmd", name = "…" }`` or ``{ run = { command = …, … } }``."""

    run: str | RunSpec = Field(
        description="The shell command, or a table with command, name, shell, environment, ….",
        examples=["make test", {"command": "make deploy", "name": "Deploy", "no_output_timeout": "20m"}],
    )
    name: str | None = Field(
        None, description="The step's title in the CircleCI UI (with run = \"cmd\").", examples=["Unit tests"]
    )


def _step_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "step-name"
    if isinstance(value, dict):
        return "step-run" if "run" in value else "step-other"
    if isinstance(value, RunStep):
        return "step-run"
    return None


Step = Annotated[
    Annotated[str, Tag("step-name")]
    | Annotated[RunStep, Tag("step-run")]
    # Its schema excludes `run` so that, in the JSON Schema's oneOf, a run step matches only RunStep.
    | Annotated[
        dict[str, Any],
        Tag("step-other"),
        WithJsonSchema({
            "type": "object", "minProperties": 1, "maxProperties": 1, "not": {"required": ["run"]},
            "description": "Any other CircleCI step, as a table with one key.",
            "examples": [{"setup_remote_docker": {"docker_layer_caching": True}}],
        }),
    ],
    Discriminator(
        _step_kind,
        custom_error_type="step_shape",
        custom_error_message="a step is a string, a { run = … } table or a single-key step table",
    ),
]


class EnvFields(_Strict):
    """Keys an environment may set; every one may also be given in ``[defaults]``."""

    image: str | None = Field(
        None,
        description="Docker image. ECR: <12 digits>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@sha256:<64 hex>].",
        examples=["123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.4.2"],
    )
    aws_auth: AwsAuth | None = Field(
        None,
        description="ECR pull credentials: { access_key_id, secret_access_key } variable names, or { oidc_role_arn }.",
        examples=[
            {"access_key_id": "AWS_ACCESS_KEY_ID_STAGING", "secret_access_key": "AWS_SECRET_ACCESS_KEY_STAGING"},
            {"oidc_role_arn": "arn:aws:iam::123456789012:role/circleci-ecr-pull"},
        ],
    )
    auth: DockerAuth | None = Field(
        None,
        description="Credentials for a private image that is not on ECR.",
        examples=[{"username": "mydockerhub-user", "password": "DOCKERHUB_PASSWORD"}],
    )
    resource_class: str | None = Field(
        None, description="CircleCI resource class (machine size) of the job.", examples=["medium", "large"]
    )
    context: StrOrList | None = Field(
        None, description="CircleCI context(s) the job may read variables from.", examples=[["aws-staging"]]
    )
    environment: dict[str, str] | None = Field(
        None, description="Non-secret job environment variables.", examples=[{"DEPLOY_ENV": "staging"}]
    )
    branches: RefFilter | None = Field(
        None,
        description="Branches this environment runs on (default: all).",
        examples=[{"only": "main"}, {"ignore": ["/^wip\\/.*/"]}, {"only": []}],
    )
    tags: RefFilter | None = Field(
        None,
        description="Git tags this environment runs on (default: none).",
        examples=[{"only": "/^v\\d+\\.\\d+\\.\\d+$/"}],
    )
    requires: list[str] | None = Field(
        None, description="Environments whose job must succeed first.", examples=[["staging"]]
    )
    approval: bool | None = Field(
        None, description="Gate this environment's job behind a manual approval job hold-<job>.", examples=[True]
    )
    steps: list[Step] | None = Field(
        None,
        description='Job steps: "checkout", { run = "cmd", name = "…" }, or any single-key CircleCI step table.',
        examples=[["checkout", {"run": "make test", "name": "Unit tests"}]],
    )


class Defaults(EnvFields):
    """Values every environment inherits; an environment's own value wins (whole values, not merged)."""


class Environment(EnvFields):
    """One deployment environment: its image, credentials, steps and when it runs."""

    job: str | None = Field(
        None, description="CircleCI job name (default: the environment's name).", examples=["deploy"]
    )


class EnvsFile(_Strict):
    """The whole envs.toml."""

    version: Literal["2.1", "2"] = Field(
        "2.1", description='Emitted config version: "2.1", or "2" for the legacy inline form.', examples=["2.1"]
    )
    filters: Literal["expression", "map"] = Field(
        "expression",
        description="Filter style: expression strings (current) or branches/tags maps (deprecated).",
        examples=["expression", "map"],
    )
    workflow: str = Field("main", description="Workflow name.", examples=["main", "deploy"])
    defaults: Defaults | None = Field(
        None,
        description="Values every environment inherits (any environment key except job).",
        examples=[{"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.4.2", "resource_class": "medium"}],
    )
    environments: dict[str, Environment] = Field(
        description="The environments by name (a lowercase letter, then a-z 0-9 _ -), in the order jobs are listed.",
        examples=[{"staging": {"branches": {"only": "main"}}}],
    )
    allow_secrets: list[str] = Field(
        default_factory=list,
        description="Exact texts the envs.toml secret guard must let through because they are not "
        "credentials; nothing else is exempt (and lint still refuses AWS key shapes in the output).",
        examples=[["https://anonymous:anonymous@mirror.example.org/simple"]],
    )
