"""Harness unit fixtures: an emulator with every patch installed and nothing deployed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.creds import Credentials
from harness.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(retry_time_scale=0.01) as emu:
        yield emu


UserFactory = Callable[[str, dict[str, Any]], tuple[str, Credentials]]


@pytest.fixture
def make_user(emulator: Emulator) -> UserFactory:
    """An IAM user with one inline policy; returns its ARN and access key."""

    def make(name: str, policy: dict[str, Any]) -> tuple[str, Credentials]:
        iam = emulator.client("iam")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    return make
