"""Clients of what `harness serve` serves, for the e2e tests that talk to it as its users do.

``client``: a boto3 client of the served endpoint with the line's credentials and CA bundle (the
JSON line the command prints, as the ``harness_serve`` fixture yields it). ``cli``: the ops and
harness command lines run in this process beside the served emulator, their output read apart.
"""

from __future__ import annotations

import io
import subprocess
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, TextIO, cast

import boto3

from harness.cli import main as harness_main
from harness.runtime import streams
from ops.cli import main as ops_main

MAINS: dict[str, Callable[[list[str] | None], int]] = {"ops": ops_main, "harness": harness_main}


def client(ready: dict[str, Any], service: str) -> Any:
    """A boto3 client of ``service`` at the served endpoint, as the README's exports make one."""
    return boto3.client(
        service,
        endpoint_url=ready["endpoint_url"],
        verify=ready["ca_bundle"],
        region_name=ready["region"],
        aws_access_key_id=ready["aws_access_key_id"],
        aws_secret_access_key=ready["aws_secret_access_key"],
    )


def cli(module: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """What ``python -m <module> <argv>`` returns and prints, while the emulator runs here.

    Its output is read through the emulator's output routers, put back as ``sys.stdout`` and
    ``sys.stderr`` for the call (pytest reinstalls its own capture after a fixture's setup): this
    thread's writes are the CLI's, the functions' go to their log groups.
    """
    out, err = io.StringIO(), io.StringIO()
    with (
        redirect_stdout(cast(TextIO, streams.STDOUT)),
        redirect_stderr(cast(TextIO, streams.STDERR)),
        streams.captured(out, err),
    ):
        code = MAINS[module](list(argv))
    return subprocess.CompletedProcess([module, *argv], code, out.getvalue(), err.getvalue())


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy; its value, or AssertionError at timeout."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value
