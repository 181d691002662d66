"""The CI workflows' supply-chain policy, read from .github/workflows.

Every `uses:` is pinned to a full commit SHA with its release in a comment, every checkout drops
its credentials, permissions are granted per job, and `id-token: write` (OIDC) goes only to the
jobs that assume an AWS role.
"""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
USES_LINE = re.compile(r"^\s*(- )?uses:")
PINNED_LINE = re.compile(r"^\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
SHA_REF = re.compile(r"@[0-9a-f]{40}$")


def policy_violations(text: str) -> list[str]:
    """Every way a workflow's text breaks the policy, one line each (empty when it complies)."""
    workflow = yaml.safe_load(text)
    problems = []
    top_permissions = workflow.get("permissions")
    if top_permissions != {}:
        problems.append(f"workflow permissions must be {{}}, not {top_permissions!r}")
    for number, line in enumerate(text.splitlines(), start=1):
        if USES_LINE.match(line) and not PINNED_LINE.match(line):
            problems.append(f"line {number}: {line.strip()!r} lacks a SHA pin and version comment")
    for job_id, job in workflow["jobs"].items():
        steps: list[dict[str, Any]] = job.get("steps", [])
        uses = [step["uses"] for step in steps if "uses" in step]
        uses += [job["uses"]] if "uses" in job else []
        problems += [
            f"{job_id}: {ref} is not a commit SHA" for ref in uses if not SHA_REF.search(ref)
        ]
        problems += [
            f"{job_id}: checkout without persist-credentials: false"
            for step in steps
            if step.get("uses", "").startswith("actions/checkout@")
            and step.get("with", {}).get("persist-credentials") is not False
        ]
        permissions = job.get("permissions")
        if not isinstance(permissions, dict):
            problems.append(f"{job_id}: no job-level permissions map")
            continue
        assumes_role = any(ref.startswith(f"{AWS_CREDENTIALS}@") for ref in uses)
        if assumes_role and permissions.get("id-token") != "write":
            problems.append(f"{job_id}: configures AWS credentials without id-token: write")
        if not assumes_role and "id-token" in permissions:
            problems.append(f"{job_id}: id-token granted to a job that assumes no AWS role")
    return problems


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_workflow_follows_the_policy(path: Path) -> None:
    assert policy_violations(path.read_text()) == []


def test_the_three_workflows_are_checked() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == [
        "ci.yml",
        "deploy.yml",
        "preview.yml",
    ]


SHA = "0123456789abcdef0123456789abcdef01234567"


def test_each_breach_is_reported() -> None:
    text = f"""
name: bad
on: push
permissions:
  contents: read
  id-token: write
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v7
      - uses: actions/setup-python@{SHA}
  deploy:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@{SHA} # v7.0.1
        with:
          persist-credentials: true
      - uses: {AWS_CREDENTIALS}@{SHA} # v6.2.3
  loose:
    runs-on: ubuntu-latest
    steps:
      - run: "true"
"""
    assert policy_violations(text) == [
        "workflow permissions must be {}, not {'contents': 'read', 'id-token': 'write'}",
        "line 13: '- uses: actions/checkout@v7' lacks a SHA pin and version comment",
        f"line 14: '- uses: actions/setup-python@{SHA}' lacks a SHA pin and version comment",
        "build: actions/checkout@v7 is not a commit SHA",
        "build: checkout without persist-credentials: false",
        "build: id-token granted to a job that assumes no AWS role",
        "deploy: checkout without persist-credentials: false",
        "deploy: configures AWS credentials without id-token: write",
        "loose: no job-level permissions map",
    ]
