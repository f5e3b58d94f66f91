"""The JSON Schema of envs.toml, generated from the pydantic models (the one source of truth).

Editors use it for completion and hover docs (Taplo / Even Better TOML: a ``#:schema`` line at the top
of envs.toml). The repository ships it as ``envs.schema.json``; a test keeps that file current.

It checks shape and types only, like :mod:`gen.models`: rules across fields (an ECR image needs
``aws_auth``, ``requires`` names an environment, …) are cigen's to report, so a file the schema
accepts may still be refused by ``cigen render``, but never the other way round.
"""

from __future__ import annotations

import json
from typing import Any

from gen.models import EnvsFile

#: Pydantic writes draft 2020-12. Every keyword it uses here (``$ref`` into ``$defs`` by JSON pointer,
#: ``anyOf``, ``oneOf``, ``not``, ``enum``, ``additionalProperties``) means the same in draft 7, which
#: older editor tooling implements; a test validates the examples under both.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def envs_schema() -> dict[str, Any]:
    """Build the JSON Schema of envs.toml, with a description and examples for every key."""
    body = EnvsFile.model_json_schema()
    body["title"] = "envs.toml (cigen)"
    body["description"] = (
        "The deployment environments of a repository, rendered by `cigen render` into .circleci/config.yml."
    )
    return {"$schema": DIALECT, **body}


def schema_text() -> str:
    """The schema as the text of envs.schema.json: 2-space JSON, keys in model order, one final newline."""
    return json.dumps(envs_schema(), indent=2, ensure_ascii=False) + "\n"
