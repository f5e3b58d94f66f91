"""The secret guard (gen/secrets.py): no literal credential in envs.toml reaches config.yml."""

from __future__ import annotations

import hashlib
import random
import string
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from robust_support import load_pyyaml, to_toml

from gen.errors import InputError
from gen.loader import validate
from gen.plan import build_plan
from gen.render import render_plan
from gen.secrets import HINT, could_hold_secret, find_secrets, scan_text

# Documentation example values and made-up tokens of the real shapes (none is a live credential).
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
POSITIVE = {
    "aws key id": f"aws configure set aws_access_key_id {AWS_KEY_ID}",
    "aws session key id": "ASIAY34FZKBOKMUTVV7A",
    "aws secret": f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
    "private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "openssh key": "-----BEGIN OPENSSH PRIVATE KEY-----",
    "pgp key": "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "github classic": "ghp_" + "a1B2c3D4e5F6" * 3,
    "github fine-grained": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "slack bot": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack webhook": "curl https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "npm": "npm_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6",
    "circleci": "CCIPAT_" + "Lw7x8RZkh3Rdwa5n2hWbqQ_0123456789abcdef",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "url password": "git clone https://deploy:hunter2hunter2@git.example.com/org/repo.git",
    "bearer": 'curl -H "Authorization: Bearer 0a1B2c3D4e5F6g7H8i9J" https://api.example.com',
    "random 32": "token=Xq3vB8nR2kL9pW4sT7yZ1cF6hJ0mD5aG",
    # Exactly 40 mixed base64 characters is an AWS secret access key's shape: refused even when it reads
    # like words, as the output lint refuses it (so the error names the envs.toml key instead).
    "secret key shape": "SomeVeryLongCamelCaseIdentifierName12345",
    "key id after a lowercase letter": "aws_access_key_idAKIAIOSFODNN7EXAMPLE",
}
NEGATIVE = {
    "git sha": "git checkout 3f786850e387550fdab836ed7e6dc881de23001b",
    "sha256 digest": "123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app@sha256:" + "0123456789abcdef" * 4,
    "upper-case hex": "3F786850E387550FDAB836ED7E6DC881DE23001B",
    "role arn": "arn:aws:iam::210987654321:role/circleci-ecr-pull",
    "variable": "aws s3 cp x s3://bucket --sse-kms-key-id $AWS_SECRET_ACCESS_KEY_PRODUCTION_US_EAST_1",
    "braced variable": "echo ${AWS_SECRET_ACCESS_KEY}",
    "bearer variable": 'curl -H "Authorization: Bearer $API_TOKEN" https://api.example.com',
    "url variable password": "git clone https://deploy:$DEPLOY_PASSWORD@git.example.com/org/repo.git",
    "url parameter password": "git clone https://deploy:<< pipeline.parameters.pw >>@git.example.com/r.git",
    "camel case": "SomeVeryLongCamelCaseIdentifierName123456",  # 41: exactly 40 is the AWS secret shape
    "path": "/home/circleci/project/node_modules/.bin/some-long-tool-name",
    "java path": "src/test/java/com/example/MyApplicationTests/Integration2",
    "uuid": str(uuid.UUID(int=0x1234567890ABCDEF1234567890ABCDEF)),
    "sri hash": "integrity sha512-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv" * 2,
    "parameter": "<< pipeline.parameters.deploy_token >>",
    "variable name": "AWS_SECRET_ACCESS_KEY_PRODUCTION",
    "docker image": "cimg/python:3.12.4-browsers",
    "sentence": "Deploy the production environment after the approval of the release manager",
}


@pytest.mark.parametrize("case", sorted(POSITIVE))
def test_credential_shapes_are_found(case: str) -> None:
    assert list(scan_text(POSITIVE[case])), case


@pytest.mark.parametrize("case", sorted(NEGATIVE))
def test_ordinary_values_are_not_flagged(case: str) -> None:
    assert list(scan_text(NEGATIVE[case])) == [], case


def test_random_40_character_secrets_are_found_and_hex_digests_are_not() -> None:
    # Seeded, so the result is fixed: measured, not hoped. AWS secret access keys are 40 base64 chars.
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + "+/"
    secrets = ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(2000)]
    mixed = [s for s in secrets if any(c.isupper() for c in s) and any(c.islower() for c in s)
             and any(c.isdigit() for c in s)]
    found = sum(1 for s in mixed if list(scan_text(s)))
    assert found / len(mixed) >= 0.995, found / len(mixed)
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(2000)]
    digests += [hashlib.sha1(str(i).encode()).hexdigest() for i in range(2000)]
    assert [d for d in digests if list(scan_text(d))] == []


def _base_env(**fields: Any) -> dict[str, Any]:
    return {"image": "cimg/base:2024.01", "steps": ["checkout"], **fields}


# Every kind of field that reaches the output, with a credential in it, and the dotted key to expect.
FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("command", {"environments": {"a": _base_env(steps=[{"run": POSITIVE["aws key id"]}])}},
     "environments.a.steps.0.run"),
    ("step name", {"environments": {"a": _base_env(steps=[{"run": "make", "name": AWS_SECRET}])}},
     "environments.a.steps.0.name"),
    ("run table", {"environments": {"a": _base_env(steps=[{"run": {"command": "make",
                                                                   "environment": {"T": AWS_SECRET}}}])}},
     "environments.a.steps.0.run.environment.T"),
    ("passthrough step", {"environments": {"a": _base_env(steps=[{"my-orb/cmd": {"k": [POSITIVE["jwt"]]}}])}},
     'environments.a.steps.0."my-orb/cmd".k.0'),
    ("environment value", {"environments": {"a": _base_env(environment={"KEY": AWS_SECRET})}},
     "environments.a.environment.KEY"),
    # A key is reported at its table, so the message does not repeat the key.
    ("environment name", {"environments": {"a": _base_env(environment={AWS_KEY_ID: "x"})}},
     "environments.a.environment"),
    ("context", {"environments": {"a": _base_env(context=["ctx", POSITIVE["slack bot"]])}},
     "environments.a.context.1"),
    ("branch", {"environments": {"a": _base_env(branches={"only": [POSITIVE["github classic"]]})}},
     "environments.a.branches.only.0"),
    ("tag regex", {"environments": {"a": _base_env(tags={"only": f"/^{AWS_KEY_ID}$/"})}},
     "environments.a.tags.only"),
    ("image", {"environments": {"a": _base_env(image=f"registry.example.com/{AWS_KEY_ID}:1")}},
     "environments.a.image"),
    ("auth username", {"environments": {"a": _base_env(auth={"username": AWS_KEY_ID, "password": "PW"})}},
     "environments.a.auth.username"),
    ("aws_auth name", {"environments": {"a": _base_env(
        image="123456789012.dkr.ecr.us-east-1.amazonaws.com/org/app:1",
        aws_auth={"access_key_id": "KEY_ID", "secret_access_key": AWS_SECRET})}},
     "environments.a.aws_auth.secret_access_key"),
    ("job name", {"environments": {"a": _base_env(job=AWS_KEY_ID)}}, "environments.a.job"),
    ("workflow", {"workflow": AWS_KEY_ID, "environments": {"a": _base_env()}}, "workflow"),
    ("resource class", {"environments": {"a": _base_env(resource_class=AWS_KEY_ID)}},
     "environments.a.resource_class"),
    ("defaults", {"defaults": {"environment": {"K": AWS_SECRET}}, "environments": {"a": _base_env()}},
     "defaults.environment.K"),
]


def _plan(data: dict[str, Any]) -> Any:
    path = Path("envs.toml")
    return build_plan(validate(tomllib.loads(to_toml(data)), path), path)


@pytest.mark.parametrize(("field", "data", "key"), FIELDS, ids=[f[0] for f in FIELDS])
def test_every_field_is_guarded(field: str, data: dict[str, Any], key: str) -> None:
    with pytest.raises(InputError) as info:
        _plan(data)
    err = info.value
    assert err.key == key, field
    assert err.hint == HINT
    line = err.one_line()
    assert "CircleCI context or project environment variable" in line
    assert "allow_secrets" in line
    # The message never repeats the credential (it would end up in CI logs).
    for value in (AWS_KEY_ID, AWS_SECRET, POSITIVE["jwt"], POSITIVE["slack bot"], POSITIVE["github classic"]):
        assert value not in line


def test_allow_list_lets_exact_values_through_and_nothing_else() -> None:
    env = _base_env(environment={"EXAMPLE_KEY": AWS_KEY_ID, "EXAMPLE_SECRET": AWS_SECRET},
                    steps=[{"run": f"aws configure set aws_access_key_id {AWS_KEY_ID}"}])
    data: dict[str, Any] = {"allow_secrets": [AWS_KEY_ID, AWS_SECRET], "environments": {"a": env}}
    text = render_plan(_plan(data))
    expected = {"EXAMPLE_KEY": AWS_KEY_ID, "EXAMPLE_SECRET": AWS_SECRET}
    assert load_pyyaml(text)["jobs"]["a"]["environment"] == expected
    assert "allow_secrets" not in text  # the allow list itself is not output
    # Another credential is still refused.
    env["environment"]["OTHER"] = "AKIAJ7EXAMPLEZZZZZZZ"
    with pytest.raises(InputError) as info:
        _plan(data)
    assert info.value.key == "environments.a.environment.OTHER"


def test_allow_list_entry_may_be_the_whole_value() -> None:
    command = f"echo {AWS_SECRET} | base64 -d"
    data = {"allow_secrets": [command], "environments": {"a": _base_env(steps=[{"run": command}])}}
    assert _plan(data).jobs[0].steps == ({"run": command},)


def test_findings_report_every_key() -> None:
    data = {"environments": {"a": _base_env(environment={"A": AWS_KEY_ID, "B": AWS_SECRET})}}
    keys = [f.key for f in find_secrets(data)]
    assert keys == ["environments.a.environment.A", "environments.a.environment.B"]


def test_examples_are_clean() -> None:
    from robust_support import REPO

    for envs in sorted((REPO / "examples").glob("*/envs.toml")):
        assert find_secrets(tomllib.loads(envs.read_text())) == [], envs


def test_a_wrong_literal_is_not_echoed_when_it_looks_like_a_secret() -> None:
    # Model validation runs before the guard, so its messages must not print a credential either.
    steps = [{"run": {"command": "make", "when": AWS_KEY_ID}}]
    with pytest.raises(InputError) as info:
        validate(tomllib.loads(to_toml({"environments": {"a": _base_env(steps=steps)}})), Path("envs.toml"))
    assert "expected 'always', 'on_success' or 'on_fail', got a string" in info.value.message
    assert AWS_KEY_ID not in info.value.one_line()


def test_an_unknown_key_that_is_a_credential_is_not_echoed() -> None:
    with pytest.raises(InputError) as info:
        validate(tomllib.loads(to_toml({AWS_KEY_ID: "x", "environments": {}})), Path("envs.toml"))
    assert info.value.key == "<secret>"
    assert AWS_KEY_ID not in info.value.one_line()


def test_the_readme_allow_list_example_works() -> None:
    url = "https://anonymous:anonymous@mirror.example.org/simple"
    env = _base_env(environment={"PIP_INDEX_URL": url})
    with pytest.raises(InputError, match="a password written into a URL"):
        _plan({"environments": {"a": env}})
    text = render_plan(_plan({"allow_secrets": [url], "environments": {"a": env}}))
    assert load_pyyaml(text)["jobs"]["a"]["environment"] == {"PIP_INDEX_URL": url}


# find_secrets skips the per-value scan when one search of all values joined by line breaks finds
# nothing; that is only sound if every value scan_text flags still matches once joined.
_PIECES = st.one_of(
    st.sampled_from([*POSITIVE.values(), "bearer ", "Basic\t", "https://u:", "@host", "ghp_", "=", "/", "+",
                     "\n", "-----BEGIN", "sha256-", "eyJ", "."]),
    st.text(alphabet=string.ascii_letters + string.digits + "+/=_-.:@ \n", max_size=50),
    st.text(max_size=8),
)
_VALUES = st.lists(_PIECES, max_size=6).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=4))
def test_the_joined_prefilter_never_misses_what_scan_text_finds(values: list[str]) -> None:
    for value in values:
        if any(scan_text(value)):
            assert could_hold_secret("\n".join(values))
    # The whole guard: what every value's scan finds (one finding per key, offset and text).
    doc = {"environments": {f"e{i}": {"x": v} for i, v in enumerate(values)}}
    expected = []
    for i, value in enumerate(values):
        seen = set()
        for kind, text, start in scan_text(value):
            if (start, text) not in seen:
                seen.add((start, text))
                expected.append((f"environments.e{i}.x", kind, text))
    assert [(f.key, f.kind, f.text) for f in find_secrets(doc)] == expected
