"""Pulumi mocks that create every resource in the emulator and record each registration.

``new_resource`` creates the resource through its creator (``harness.deploy.registry``) after
``harness.deploy.rules`` has checked the names pulumi-aws and AWS would refuse, and returns its
real state, so ARNs, names and URLs flow into policies and the state-machine definition as in
``pulumi up``. Every registration is recorded: ``created`` (a physical resource in the emulator),
``component`` or ``provider`` (none by nature). A type in no row of the registry raises, as does an
invoke the mocks do not answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import rpc

from harness.deploy import registry, rules
from harness.emulator import Emulator

PROJECT = "activity-pipeline"
COMPONENT_PREFIX = f"{PROJECT}:"


class UnknownResourceType(Exception):
    """A declared resource type the harness does not create."""


class UnknownInvoke(Exception):
    """The program called a provider function the harness does not answer."""


@dataclass
class ResourceRecord:
    type: str
    name: str
    physical_id: str | None
    status: str  # created | component | provider
    inputs: dict[str, Any]
    state: dict[str, Any]


def integral_numbers(value: Any) -> Any:
    """Mocks deliver every number as a float (protobuf Struct), AWS APIs want integers; and a
    secret input (``pulumi.Output.secret``) as Pulumi's secret wrapper, the API its value."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return integral_numbers(value["value"])
        return {k: integral_numbers(v) for k, v in value.items()}
    return value


class EmulatorMocks(pulumi.runtime.Mocks):
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.records: list[ResourceRecord] = []
        self._lock = threading.Lock()  # the runtime registers resources from a thread pool

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = integral_numbers(dict(args.inputs))
        with self._lock:
            if args.typ.startswith(COMPONENT_PREFIX):
                record = ResourceRecord(args.typ, args.name, None, "component", inputs, {})
            elif args.typ.startswith("pulumi:providers:"):
                record = ResourceRecord(args.typ, args.name, None, "provider", inputs, {})
            elif args.typ in registry.CREATORS:
                rules.check(args.typ, args.name, inputs)  # what a real deploy refuses
                creator = registry.CREATORS[args.typ]
                physical_id, state = creator(self.emulator, args.name, inputs)
                record = ResourceRecord(args.typ, args.name, physical_id, "created", inputs, state)
            else:
                raise UnknownResourceType(
                    f"{args.typ} ({args.name}): the harness cannot create it; add a creator to "
                    "harness.deploy.registry.CREATORS"
                )
            self.records.append(record)
        return (record.physical_id or f"{args.name}_id"), record.state or inputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        emu = self.emulator
        answers: dict[str, Callable[[], dict[str, Any]]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda: {
                "accountId": emu.account_id,
                "arn": f"arn:aws:iam::{emu.account_id}:user/harness-admin",
                "userId": emu.admin.access_key_id,
                "id": emu.account_id,
            },
            "aws:index/getRegion:getRegion": lambda: {
                "name": emu.region,
                "region": emu.region,
                "id": emu.region,
                "description": "US East (N. Virginia)",
                "endpoint": f"ec2.{emu.region}.amazonaws.com",
            },
            # the salt of the suppression list, drawn by the emulator as Secrets Manager would
            "aws:secretsmanager/getRandomPassword:getRandomPassword": lambda: {
                "randomPassword": emu.client("secretsmanager").get_random_password(
                    PasswordLength=int(args.args["passwordLength"]),
                    ExcludePunctuation=bool(args.args.get("excludePunctuation", False)),
                    IncludeSpace=bool(args.args.get("includeSpace", False)),
                )["RandomPassword"],
                "id": emu.region,
            },
            "aws:index/getPartition:getPartition": lambda: {
                "partition": "aws",
                "id": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            },
        }
        if args.token not in answers:
            raise UnknownInvoke(f"harness mocks: unknown invoke token {args.token}")
        return answers[args.token](), []
