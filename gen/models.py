"""The typed shape of envs.toml (pydantic v2, strict, frozen, unknown keys refused).

These models check *shape and types* only. Rules that need more than one field or the whole file
(an ECR image needs ``aws_auth`` of the right form, ``requires`` names an environment, no cycles, …)
live in :mod:`gen.plan`, which reports them with the same dotted keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag


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

    only: StrOrList | None = Field(None, examples=[["main"], ["/^\\d{4}\\.\\d+$/"]])
    ignore: StrOrList | None = Field(None, examples=[["/^wip\\/.*/"]])


class RunSpec(_Strict):
    """The table form of a ``run`` step."""

    command: str = Field(description="The shell command.", examples=["make test"])
    name: str | None = Field(None, description="The step's title in the CircleCI UI.")
    shell: str | None = None
    environment: dict[str, str] | None = None
    background: bool | None = None
    working_directory: str | None = None
    no_output_timeout: str | None = Field(None, examples=["20m"])
    when: Literal["always", "on_success", "on_fail"] | None = None


class RunStep(_Strict):
    """``{ run = "cmd" }``, ``{ run = "cmd", name = "…" }`` or ``{ run = { command = …, … } }``."""

    run: str | RunSpec
    name: str | None = None


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
    | Annotated[dict[str, Any], Tag("step-other")],
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
    )
    auth: DockerAuth | None = Field(None, description="Credentials for a private image that is not on ECR.")
    resource_class: str | None = Field(None, examples=["medium", "large"])
    context: StrOrList | None = Field(
        None, description="CircleCI context(s) the job may read variables from.", examples=[["aws-staging"]]
    )
    environment: dict[str, str] | None = Field(
        None, description="Non-secret job environment variables.", examples=[{"DEPLOY_ENV": "staging"}]
    )
    branches: RefFilter | None = Field(None, description="Branches this environment runs on (default: all).")
    tags: RefFilter | None = Field(None, description="Git tags this environment runs on (default: none).")
    requires: list[str] | None = Field(
        None, description="Environments whose job must succeed first.", examples=[["staging"]]
    )
    approval: bool | None = Field(None, description="Gate this environment's job behind a manual approval job.")
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
        "2.1", description='Emitted config version: "2.1", or "2" for the legacy inline form.'
    )
    filters: Literal["expression", "map"] = Field(
        "expression", description="Filter style: expression strings (current) or branches/tags maps (deprecated)."
    )
    workflow: str = Field("main", description="Workflow name.")
    defaults: Defaults | None = None
    environments: dict[str, Environment] = Field(description="The environments, in the order jobs are listed.")
    allow_secrets: list[str] = Field(
        default_factory=list,
        description="Exact texts the secret guard must let through because they are not credentials "
        "(e.g. a documentation example key); nothing else is exempt.",
        examples=[["AKIAIOSFODNN7EXAMPLE"]],
    )
