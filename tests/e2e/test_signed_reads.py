"""Signed REST-JSON reads (GET, empty body) pass SigV4 in the emulator, so IAM alone decides.

moto recomputes a GET's signature over its parsed request data instead of the empty payload the
client signed; the harness corrects that, or every Lambda / API Gateway read would fail with a
signature error whatever the caller's permissions.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.deploy import Deployment


def test_admin_reads_function_configuration_and_apis(dev: Deployment) -> None:
    name = dev.outputs["function_names"]["ingest"]
    config = dev.client("lambda").get_function_configuration(FunctionName=name)
    assert (config["FunctionName"], config["Handler"]) == (name, "handlers.ingest.handler")
    assert name in {f["FunctionName"] for f in dev.client("lambda").list_functions()["Functions"]}
    assert dev.outputs["http_api_id"] in {
        api["ApiId"] for api in dev.client("apigatewayv2").get_apis()["Items"]
    }


def test_a_role_without_the_permission_is_refused_by_iam_not_by_the_signature(
    dev: Deployment,
) -> None:
    role = str(dev.find("aws:lambda/function:Function", "workflow-ingest").inputs["role"])
    lam = dev.emulator.role_client(role, "lambda", "lambda.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        lam.get_function_configuration(FunctionName=dev.outputs["function_names"]["write"])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
