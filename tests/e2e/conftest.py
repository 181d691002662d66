"""e2e fixtures: the dev stack deployed into the embedded emulator.

``dev`` is deployed once per module where tests only add data; tests that break or patch the
emulator take ``fresh_dev`` (a new emulator and deployment each time, ~2 s). ``dev_direct`` is the
dev stack with its entry points direct (tests.e2e.modes.DIRECT), for the tests of the direct route
and rule.
Retry waits are scaled by 0.01 so Retry paths stay fast; the retry counts are unchanged.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.serve import serving
from harness.serve.http_api import bind
from tests.e2e.modes import DIRECT

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
SERVE_BUFFER_TIME_SCALE = 0.2


def load_event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def items_for_user(deployment: Deployment, user_id: str) -> list[dict[str, Any]]:
    ddb = deployment.client("dynamodb")
    items: list[dict[str, Any]] = ddb.query(
        TableName=deployment.outputs["table_name"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user_id}},
    )["Items"]
    return items


def count_items(deployment: Deployment) -> int:
    ddb = deployment.client("dynamodb")
    return int(ddb.scan(TableName=deployment.outputs["table_name"], Select="COUNT")["Count"])


@pytest.fixture(autouse=True)
def _quiet_interpreter() -> Iterator[None]:
    # moto's ASL interpreter logs every caught failure at ERROR with the whole state tree.
    logger = logging.getLogger("moto.stepfunctions")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def _deploy(overrides: dict[str, str] | None = None) -> Iterator[Deployment]:
    with Emulator(retry_time_scale=0.01) as emulator:
        yield deploy(emulator, "dev", overrides=overrides)


@pytest.fixture(scope="module")
def dev() -> Iterator[Deployment]:
    yield from _deploy()


@pytest.fixture(scope="module")
def dev_direct() -> Iterator[Deployment]:
    yield from _deploy(DIRECT)


@pytest.fixture
def fresh_dev() -> Iterator[Deployment]:
    yield from _deploy()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def harness_serve() -> Iterator[dict[str, Any]]:
    """What ``python -m harness serve`` serves, in this process: a fresh dev stack deployed and
    served by ``harness.serve.serving`` (the command's own code once deployed); yields the value of
    the JSON line the command prints when ready.

    The entry buffer's window and visibility timeout run at ``SERVE_BUFFER_TIME_SCALE`` (the
    window 5 s -> 1 s). The command itself (its JSON line, its ports, its signals) is tested as a
    subprocess in tests/harness/serve/test_serve_command.py and in-process in test_serve.py.
    Output of this process written while it serves goes where ``sys.stdout``/``sys.stderr`` went
    when it started (a test that reads it with ``capsys`` sets ``capsys`` up first).
    """
    with Emulator() as emulator:
        deployment = deploy(emulator, "dev")
        http_socket = bind("127.0.0.1", 0)
        with serving(
            emulator, deployment, free_port(), http_socket, SERVE_BUFFER_TIME_SCALE
        ) as ready:
            yield json.loads(json.dumps(ready))  # as a client reads the line
