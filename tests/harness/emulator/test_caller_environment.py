"""The embedded emulator ignores the caller's AWS environment (a CLI session's exports set)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from harness.emulator import Emulator
from tests.harness.emulated import function


def test_a_stale_cli_session_environment_reaches_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile stale]\nregion = eu-west-3\nendpoint_url = https://127.0.0.1:9\n")
    with socket.create_server(("127.0.0.1", 0)) as bogus:
        stale = {
            "AWS_ENDPOINT_URL": f"https://127.0.0.1:{bogus.getsockname()[1]}",
            "AWS_ENDPOINT_URL_S3": f"https://127.0.0.1:{bogus.getsockname()[1]}",
            "AWS_ACCESS_KEY_ID": "AKIASTALESESSIONKEY",
            "AWS_SECRET_ACCESS_KEY": "stale-secret",
            "AWS_SESSION_TOKEN": "stale-token",
            "AWS_CA_BUNDLE": str(tmp_path / "gone-ca.pem"),
            "AWS_PROFILE": "stale",
            "AWS_CONFIG_FILE": str(config),
            "AWS_REGION": "eu-west-3",
            "AWS_DEFAULT_REGION": "eu-west-3",
        }
        for name, value in stale.items():
            monkeypatch.setenv(name, value)
        with Emulator() as emulator:
            arn = function(emulator, "whoami", "whoami")
            answer = emulator.client("lambda").invoke(FunctionName=arn, Payload=b"{}")
            result = json.loads(answer["Payload"].read())
            seen_inside = {name: os.environ.get(name) for name in stale}
        bogus.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing ever connected to the stale endpoint
            bogus.accept()
    assert "FunctionError" not in answer, result
    assert result["arn"].startswith("arn:aws:sts::123456789012:assumed-role/whoami-role/")
    assert result["s3_endpoint"] == "https://s3.amazonaws.com"
    assert all(seen_inside[name] != value for name, value in stale.items())
    assert {name: os.environ[name] for name in stale} == stale  # given back on stop
