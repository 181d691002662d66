"""``python -m harness serve``: real clients through the HTTPS server on 127.0.0.1, and the
command's end on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from harness.cli import main
from tests.e2e.conftest import free_port, load_event
from tests.e2e.served import client


def test_serve_runs_the_pipeline_for_an_external_client(harness_serve: dict[str, Any]) -> None:
    ready = harness_serve
    endpoint = urlparse(ready["endpoint_url"])
    assert (endpoint.scheme, endpoint.hostname) == ("https", "127.0.0.1")
    outputs = ready["outputs"]
    sfn = client(ready, "stepfunctions")
    event = load_event("page_view.json")
    arn = sfn.start_execution(
        stateMachineArn=outputs["state_machine_arn"],
        name="serve-page-view",
        input=json.dumps(event),
    )["executionArn"]
    deadline = time.monotonic() + 60
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status == "SUCCEEDED"

    items = client(ready, "dynamodb").query(
        TableName=outputs["table_name"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": event["user_id"]}},
    )["Items"]
    assert [i["event_id"]["S"] for i in items] == [event["event_id"]]
    dlq = client(ready, "sqs").receive_message(QueueUrl=outputs["dlq_url"])
    assert dlq.get("Messages", []) == []
    # the raw copy is readable over TLS (the bucket policy denies anything else)
    s3 = client(ready, "s3")
    [raw] = s3.list_objects_v2(Bucket=outputs["raw_bucket_name"], Prefix="ingest/")["Contents"]
    body = s3.get_object(Bucket=outputs["raw_bucket_name"], Key=raw["Key"])["Body"].read()
    assert json.loads(body) == event


def test_serve_ends_cleanly_on_sigterm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command's main, in this process, until SIGTERM: its JSON line on stdout and in the
    file, then status 0, one line on stderr and the TLS folder gone."""
    json_file = tmp_path / "serve.json"
    served = threading.Event()  # main has returned: nothing may signal this process any more

    def terminate_once_ready() -> None:
        while not served.is_set():
            if json_file.exists() and json_file.read_text(encoding="utf-8"):
                os.kill(os.getpid(), signal.SIGTERM)  # serve's handler, in the main thread
                return
            time.sleep(0.1)

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    terminator = threading.Thread(target=terminate_once_ready, daemon=True)
    terminator.start()
    args = ["--port", str(free_port()), "--http-port", str(free_port())]
    try:
        code = main(["serve", *args, "--json-file", str(json_file)])
    finally:
        served.set()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    terminator.join()
    out, err = capsys.readouterr()
    line = json_file.read_text(encoding="utf-8")
    assert (code, out) == (0, line)
    assert err.endswith("harness serve: stopped\n"), err
    assert not Path(json.loads(line)["ca_bundle"]).parent.exists()
