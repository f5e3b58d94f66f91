"""Synthetic envs.toml files of any size, for the benchmark and its tests.

The shape is a monorepo deploying many services through the same stages, so that every feature
whose cost could grow faster than the number of environments is exercised at every size:

* one ``build`` environment that every service's ``test`` requires: a wide fan-out;
* each service is a chain ``test -> staging -> qa -> canary`` whose canary fans out to four
  production regions; and each service's ``test`` also requires the previous service's ``staging``,
  so the services form one long chain through the whole file (filters propagate along all of it);
* approvals (canary, two of the four regions), static ECR keys and OIDC roles, per-environment
  images, variables and contexts, steps from ``[defaults]`` and per-environment steps;
* branch ``only``/``ignore`` lists and tag filters, written in either filter style.

The patterns come from a fixed vocabulary (as in a real repository, where every service deploys
from ``main`` and release tags), so the rendered size grows linearly with the number of
environments: any super-linear time is the generator's fault, not the input's.

Usage: ``python bench/synth.py N [--filters expression|map] [-o FILE]`` (stdout by default).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

RELEASE_TAG = r"/^v\d+\.\d+\.\d+$/"
REGIONS = ("us-east-1", "eu-central-1", "ap-southeast-2", "sa-east-1")
STAGES = ("test", "staging", "qa", "canary", *(f"prod-{r.split('-')[0]}" for r in REGIONS))


def _s(value: str) -> str:
    """A TOML basic string (JSON string escapes are a subset of TOML's)."""
    return json.dumps(value)


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def _table(items: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k} = {_s(v)}" for k, v in items.items()) + " }"


def _environment(k: int, stage: str, previous_staging: str | None) -> Iterator[str]:
    """The TOML lines of one environment: service ``k`` at ``stage``."""
    name = f"s{k:04d}-{stage}"
    account = f"{100000000000 + k:012d}"
    region = REGIONS[k % len(REGIONS)]
    yield f"[environments.{name}]"
    if stage.startswith("prod-"):
        region = REGIONS[[r.split("-")[0] for r in REGIONS].index(stage[5:])]
        yield f'image = "{account}.dkr.ecr.{region}.amazonaws.com/svc{k}/api:{k % 7}.{k % 13}.{k % 5}"'
        yield "resource_class = \"large\""
    var = name.upper().replace("-", "_")
    if k % 3 == 2:  # a third of the services pull through an OIDC role, the rest with static keys
        yield f'aws_auth = {{ oidc_role_arn = "arn:aws:iam::{account}:role/ecr-pull-{stage}" }}'
    else:
        yield (f'aws_auth = {{ access_key_id = "AWS_ACCESS_KEY_ID_{var}", '
               f'secret_access_key = "AWS_SECRET_ACCESS_KEY_{var}" }}')
    yield "environment = " + _table({"SERVICE": f"svc{k}", "STAGE": stage, "AWS_REGION": region})
    if stage == "test":
        yield 'branches = { ignore = ["/^wip\\\\/.*/", "/^dependabot\\\\/.*/"] }'
        yield "requires = " + _list(["build", *([previous_staging] if previous_staging else [])])
        yield 'context = "ci"'
        return
    yield f"context = {_list(['deploy', f'svc{k}-{stage}'])}"
    if stage == "staging":
        yield 'branches = { only = "main" }'
        yield f'requires = ["s{k:04d}-test"]'
    elif stage == "qa":
        yield 'branches = { only = ["main", "develop"] }'
        yield f'requires = ["s{k:04d}-staging"]'
    elif stage == "canary":
        yield 'branches = { only = "main" }'
        yield f"tags = {{ only = {_s(RELEASE_TAG)} }}"
        yield f'requires = ["s{k:04d}-qa"]'
        yield "approval = true"
    else:
        yield "branches = { only = [] }"
        yield f"tags = {{ only = [{_s(RELEASE_TAG)}] }}"
        yield f'requires = ["s{k:04d}-canary"]'
        if stage in ("prod-us", "prod-eu"):
            yield "approval = true"
        yield "steps = ["
        yield '  "checkout",'
        yield '  { run = { name = "Deploy", command = "make deploy\\nmake smoke-test", no_output_timeout = "20m" } },'
        yield "]"


def synth(n: int, filters: str = "expression") -> str:
    """An envs.toml with exactly ``n`` environments (``n >= 1``) in the given filter style."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if filters not in ("expression", "map"):
        raise ValueError("filters is 'expression' or 'map'")
    lines = [
        f"# Synthetic: {n} environments (bench/synth.py {n} --filters {filters}).",
        'version = "2.1"',
        f'filters = "{filters}"',
        'workflow = "deploy"',
        "",
        "[defaults]",
        'image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1.4.2"',
        'resource_class = "medium"',
        'steps = ["checkout", { run = "make test", name = "Unit tests" }, '
        '{ run = "make deploy", name = "Deploy" }]',
        "",
        "[environments.build]",
        'aws_auth = { access_key_id = "AWS_ACCESS_KEY_ID_BUILD", secret_access_key = "AWS_SECRET_ACCESS_KEY_BUILD" }',
        'steps = ["checkout", { run = "make build", name = "Build" }]',
    ]
    count = 1
    k = 0
    previous_staging: str | None = None
    while count < n:
        for stage in STAGES:
            if count == n:
                break
            lines.append("")
            lines.extend(_environment(k, stage, previous_staging))
            count += 1
        previous_staging = f"s{k:04d}-staging"
        k += 1
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, help="number of environments")
    parser.add_argument("--filters", choices=("expression", "map"), default="expression")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    text = synth(args.n, args.filters)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
