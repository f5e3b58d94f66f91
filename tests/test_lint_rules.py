"""Focused checks of single lint rules: what is reported, and what must not be."""

from __future__ import annotations

import textwrap

import pytest

from gen.filters import ref_name_problem
from gen.lint import lint_text


def rules(text: str, head: str = "") -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in lint_text(head + textwrap.dedent(text), "c.yml")]


HEAD = """\
version: 2.1
jobs:
  a: {docker: [{image: cimg/base:2024.02}], steps: [{run: make}]}
  b: {docker: [{image: cimg/base:2024.02}], steps: [{run: make}]}
"""


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("main", None), ("feature/login-2", None), ("v1.2.3", None), ("ünïcode", None), ("a@b", None),
        ("release/*", "git names cannot contain '*'"), ("a b", "git names cannot contain ' '"),
        ("a..b", "git names cannot contain '..'"), ("/main", "git names cannot start or end with '/'"),
        ("a//b", "git names cannot contain '//'"), ("x.lock", "no part of a git name can end with '.lock'"),
        ("a/.b", "no part of a git name can start with '.'"), ("@", "git names cannot be '@'"),
        ("a@{1}", "git names cannot contain '@{'"), ("end.", "git names cannot end with '.'"),
        ("", "it is empty"),
    ],
)
def test_git_ref_name_rules(name: str, problem: str | None) -> None:
    assert ref_name_problem(name) == problem


def test_names_compared_either_way_round_are_checked() -> None:
    found = rules(head=HEAD, text="""\
    workflows:
      w:
        jobs:
          - a:
              filters: '"feature/*" == pipeline.git.branch or pipeline.git.tag starts-with "v~"'
    """)
    assert found.count(("pattern-unmatchable", "workflows.w.jobs.0.a.filters")) == 2


def test_a_constant_that_starts_with_the_name_is_not_a_prefix_check() -> None:
    # `"release/*" starts-with pipeline.git.branch` admits branches "r", "re", … : nothing to report.
    found = rules(head=HEAD, text="""\
    workflows:
      w:
        jobs:
          - a:
              filters: '"release/*" starts-with pipeline.git.branch'
    """)
    assert found == []


@pytest.mark.parametrize(
    "value",
    ["$AWS_SECRET_ACCESS_KEY", "${AWS_SECRET_ACCESS_KEY}", "<< parameters.secret >>",
     "<< pipeline.parameters.k >>"],
)
def test_references_are_not_literal_secrets(value: str) -> None:
    found = rules(f"""\
    version: 2.1
    jobs:
      a:
        docker:
          - image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1
            aws_auth: {{aws_access_key_id: $KEY_ID, aws_secret_access_key: "{value}"}}
        steps: [{{run: make}}]
    workflows: {{w: {{jobs: [a]}}}}
    """)
    assert found == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("git checkout 0123456789abcdef0123456789abcdef01234567", False),  # a SHA: lower-case hex only
        ("echo QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", False),  # 36 characters of base64
        ("echo ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn", False),  # 40 letters, no digit
        ("/home/circleci/project/src/main/java/Ab1/Cd", False),  # a 43-character run: longer than a key
        ("token=Ab1cdefghijklmnopqrstuvwxyzABCDEFGHIJKLM", True),  # after KEY=
        ("token=Ab1cdefghijklmnopqrstuvwxyzABCDEFGHIJKLM==", False),  # padded: a longer blob
        ("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end", True),
    ],
)
def test_secret_like_strings(text: str, expected: bool) -> None:
    found = rules(HEAD.replace("steps: [{run: make}]}\n  b", f"steps: [{{run: \"{text}\"}}]}}\n  b", 1)
                  + "workflows: {w: {jobs: [a, b]}}\n")
    assert (("secret-like", "jobs.a.steps.0.run") in found) is expected


def test_ecr_image_with_aws_auth_is_fine_and_parameters_are_not_judged() -> None:
    found = rules("""\
    version: 2.1
    jobs:
      a:
        parameters: {image: {type: string}}
        docker:
          - image: << parameters.image >>
            aws_auth: {oidc_role_arn: "arn:aws:iam::123456789012:role/x"}
          - image: 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/x@sha256:abc
            aws_auth: {oidc_role_arn: "arn:aws:iam::123456789012:role/x"}
        steps: [{run: make}]
    workflows: {w: {jobs: [a]}}
    """)
    assert found == []


def test_tags_never_run_is_reported_once_at_the_job_whose_requirement_lacks_the_tags() -> None:
    found = rules(head=HEAD, text="""\
      c: {docker: [{image: cimg/base:2024.02}], steps: [{run: make}]}
    workflows:
      w:
        jobs:
          - a
          - b:
              requires: [a]
              filters: pipeline.git.tag starts-with "v"
          - c:
              requires: [b]
              filters: pipeline.git.tag starts-with "v"
    """)
    # c's required job b admits its tags; b's required job a admits none: the finding is at b.
    assert found == [("tags-never-run", "workflows.w.jobs.1.b.filters")]


def test_unanalysable_regexes_make_no_claim() -> None:
    found = rules("""\
    version: 2
    jobs:
      a: {docker: [{image: cimg/base:2024.02}], steps: [{run: make}]}
      b: {docker: [{image: cimg/base:2024.02}], steps: [{run: make}]}
    workflows:
      version: 2
      w:
        jobs:
          - a:
              filters: {tags: {only: '/^(?!rc).*$/'}}
          - b:
              requires: [a]
              filters: {tags: {only: '/^rc\\d+$/'}}
    """)
    assert found == []  # look-ahead (valid Java) is not modelled: no tags-never-run guess
