"""Which pipeline the ops commands act on: a real stack, or the emulator that `harness serve` runs.

Both are described by one JSON document passed with ``--outputs FILE`` (``-`` for stdin):

- a real stack: ``pulumi stack output --json > outputs.json`` (credentials and region come from the
  usual AWS chain — environment, profile, SSO — and ``--region`` or the ``region`` output);
- the emulator: the JSON line ``python -m harness serve`` prints, which holds ``endpoint_url``
  (HTTPS), the ``ca_bundle`` that certifies it, ``region``, the credentials that exist in the
  emulator and the stack ``outputs``.

``--endpoint-url`` overrides the endpoint in either case. In-process callers (the harness, the
tests) build the emulator's Target with ``Target.for_emulator``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from ops.commands import CommandError

REQUIRED_OUTPUTS = ("state_machine_arn", "table_name", "raw_bucket_name", "dlq_url")


class TargetError(CommandError):
    """The --outputs document cannot describe a pipeline."""


@dataclass(frozen=True)
class Target:
    outputs: dict[str, Any]
    region: str
    endpoint_url: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    emulator: bool = False  # the harness's emulator: polled fast, SQS read without long polls
    # `harness serve`'s line: the emulator's Iceberg warehouse, and how much faster than the
    # configured intervals its streams deliver
    iceberg_warehouse: str | None = None
    buffer_time_scale: float = 1.0

    @classmethod
    def for_emulator(
        cls,
        outputs: Mapping[str, Any],
        *,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        endpoint_url: str | None = None,
        ca_bundle: str | None = None,
    ) -> Target:
        """A stack deployed in the emulator, reached in-process (no ``endpoint_url``: moto
        intercepts the calls) or through ``harness serve``'s endpoint."""
        credentials = {
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
        }
        return cls(dict(outputs), region, endpoint_url, credentials, ca_bundle, emulator=True)

    @classmethod
    def from_document(
        cls, document: Any, *, endpoint_url: str | None = None, region: str | None = None
    ) -> Target:
        if not isinstance(document, dict):
            raise TargetError("--outputs must hold a JSON object")
        credentials: dict[str, str] = {}
        ca_bundle: str | None = None
        warehouse: str | None = None
        scale = 1.0
        if isinstance(document.get("outputs"), dict):  # the line `harness serve` prints
            outputs = document["outputs"]
            endpoint_url = endpoint_url or document.get("endpoint_url")
            region = region or document.get("region")
            ca_bundle = document.get("ca_bundle")
            if isinstance(document.get("iceberg_warehouse"), str):
                warehouse = document["iceberg_warehouse"]
            if isinstance(document.get("buffer_time_scale"), int | float):
                scale = float(document["buffer_time_scale"])
            for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"):
                if document.get(key):
                    credentials[key] = str(document[key])
        else:  # `pulumi stack output --json`
            outputs = document
        missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
        if missing:
            raise TargetError(f"--outputs lacks the stack output(s) {', '.join(missing)}")
        region = region or outputs.get("region")
        if not region:
            raise TargetError("no region: pass --region or use outputs that carry `region`")
        emulator = isinstance(document.get("outputs"), dict)
        return cls(
            dict(outputs),
            str(region),
            endpoint_url,
            credentials,
            ca_bundle,
            emulator,
            iceberg_warehouse=warehouse,
            buffer_time_scale=scale,
        )

    def client(self, service: str) -> Any:
        session = boto3.session.Session(
            aws_access_key_id=self.credentials.get("aws_access_key_id"),
            aws_secret_access_key=self.credentials.get("aws_secret_access_key"),
            aws_session_token=self.credentials.get("aws_session_token"),
            region_name=self.region,
        )
        return session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            verify=self.ca_bundle,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    @property
    def state_machine_arn(self) -> str:
        return str(self.outputs["state_machine_arn"])

    @property
    def recovery_state_machine_arn(self) -> str:
        """The operators' state machine (replay, redrive, sweep); TargetError when not deployed."""
        value = self.outputs.get("recovery_state_machine_arn")
        if not value:
            raise TargetError(
                "the outputs have no `recovery_state_machine_arn`: deploy this version of the "
                "stack (replay, redrive and sweep run through the recovery state machine)"
            )
        return str(value)

    @property
    def table_name(self) -> str:
        return str(self.outputs["table_name"])

    @property
    def raw_bucket_name(self) -> str:
        return str(self.outputs["raw_bucket_name"])

    @property
    def dlq_url(self) -> str:
        return str(self.outputs["dlq_url"])

    @property
    def workflow_type(self) -> str:
        return str(self.outputs.get("workflow_type", "STANDARD"))

    @property
    def receive_wait(self) -> int:
        """Seconds an SQS receive long-polls: 1 on AWS (an empty answer from one sampled server
        says little), 0 in the emulator, whose queues answer from one place."""
        return 0 if self.emulator else 1


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--outputs",
        required=True,
        metavar="FILE",
        help="`pulumi stack output --json` of a stack, or the JSON line `harness serve` printed "
        "(- reads stdin)",
    )
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="AWS endpoint override (e.g. the emulator's URL)"
    )
    parser.add_argument(
        "--region", metavar="REGION", help="AWS region (default: the outputs' `region`)"
    )


def target_from_args(args: argparse.Namespace) -> Target:
    """The Target ``--outputs`` describes; TargetError (one line) when it cannot be read."""
    source = args.outputs
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"--outputs {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TargetError(f"--outputs {source}: not UTF-8 text ({exc.reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TargetError(f"--outputs {source} is not JSON: {exc}") from None
    return Target.from_document(document, endpoint_url=args.endpoint_url, region=args.region)
