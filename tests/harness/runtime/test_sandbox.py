"""Before each invocation the handler package gets a fresh sandbox's state from the environment."""

from __future__ import annotations

import sys
import types

import boto3
import pytest
from aws_lambda_powertools import Logger, Metrics

from harness.runtime import sandbox


def s3_client() -> object:
    return boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )


def handler_package(monkeypatch: pytest.MonkeyPatch, **attributes: object) -> types.ModuleType:
    """``fakefns.core``: a handler module built before any function's environment existed."""
    package, module = types.ModuleType("fakefns"), types.ModuleType("fakefns.core")
    vars(module).update(attributes)
    monkeypatch.setitem(sys.modules, "fakefns", package)
    monkeypatch.setitem(sys.modules, "fakefns.core", module)
    return module


def test_powertools_settings_and_client_caches_are_a_fresh_sandboxs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    module = handler_package(
        monkeypatch,
        logger=Logger(),
        metrics=Metrics(),
        clients={"s3": client},
        settings={"s3": "not a client"},
    )
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "fn-service")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "FnNamespace")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "warning")
    sandbox.reset(sandbox.package_of("fakefns.core.handler"))
    logger, metrics = module.logger, module.metrics
    assert (logger.service, logger.log_level) == ("fn-service", 30)
    logger.clear_state()  # what inject_lambda_context(clear_state=True) does first
    assert logger.get_current_keys()["service"] == "fn-service"
    assert (metrics.service, metrics.namespace) == ("fn-service", "FnNamespace")
    assert module.clients == {}  # built again on first use, with this function's role
    assert module.settings == {"s3": "not a client"}


def test_each_sandbox_keeps_its_own_clients_warm(monkeypatch: pytest.MonkeyPatch) -> None:
    module = handler_package(monkeypatch, clients={})
    ingest_client, process_client = s3_client(), s3_client()
    sandboxes = sandbox.Sandboxes()
    sandboxes.enter("fakefns", "ingest")
    module.clients["s3"] = ingest_client  # built on first use, under Ingest's role
    sandboxes.enter("fakefns", "process")
    assert module.clients == {}  # cold: nothing of Ingest's
    module.clients["s3"] = process_client
    sandboxes.enter("fakefns", "ingest")
    assert module.clients == {"s3": ingest_client}  # warm: its own
    sandboxes.enter("fakefns", "process")
    assert module.clients == {"s3": process_client}


def test_a_client_built_at_import_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    handler_package(monkeypatch, s3=client)
    with pytest.raises(sandbox.ClientBuiltAtImport, match=r"fakefns\.core\.s3"):
        sandbox.reset("fakefns")


@pytest.mark.parametrize(
    ("handler", "package"),
    [
        ("handlers.ingest.handler", "handlers"),
        ("tests.harness.lambda_handlers.echo", "tests.harness"),
        ("main.handler", "main"),
    ],
)
def test_package_of(handler: str, package: str) -> None:
    assert sandbox.package_of(handler) == package
