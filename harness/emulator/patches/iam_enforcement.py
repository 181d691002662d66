"""IAM enforcement with real resource ARNs for the services moto authorizes against ``"*"``.

moto 5.2.5 computes a resource only for S3, SQS, IAM and STS; DynamoDB, Lambda, Step Functions,
CloudWatch Logs, Secrets Manager and Firehose are authorized against ``"*"``, so a policy scoped
to exact ARNs would deny everything. AWS (Service Authorization Reference, the "Resource types"
column of each service's actions; IAM User Guide, "IAM JSON policy elements: Resource"): each
action is authorized on the ARN of the resource it acts on — a table, a function, a state machine
or execution, a log group or stream, a secret, a Firehose stream
(``arn:aws:firehose:<region>:<account>:deliverystream/<name>``) — and the IAM action name is the
service's (``lambda:InvokeFunction`` for ``Invoke``).
Here each of those response classes gets an authorizer that derives the ARN(s) from the request
(BatchWriteItem & co. authorize every table they name) and maps API operation names to IAM action
names where they differ (``Invoke`` -> ``lambda:InvokeFunction``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from moto import settings
from moto.awslambda.responses import LambdaResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.firehose.responses import FirehoseResponse
from moto.iam.access_control import IAMRequest, IAMRequestBase
from moto.logs.responses import LogsResponse
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.responses import StepFunctionResponse
from werkzeug.exceptions import HTTPException

Resolver = Callable[[Any], list[str]]
AUTH_METHOD = "_authenticate_and_authorize_normal_action"

# API operation name -> IAM action name, where the two differ.
ACTION_ALIASES: dict[str, str] = {"Invoke": "InvokeFunction"}

# moto renders IAM refusals as query-protocol XML; these services speak JSON, so clients would see
# the bare HTTP status as error code. Re-raise with the code the real service returns.
JSON_ERROR_CODES: dict[str, str] = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


def _as_json_error(error: HTTPException, codes: dict[str, str] = JSON_ERROR_CODES) -> JsonRESTError:
    description = error.description or ""
    code = (
        description.split("<Code>", 1)[-1].split("</Code>", 1)[0] if "<Code>" in description else ""
    )
    message = (
        description.split("<Message>", 1)[-1].split("</Message>", 1)[0]
        if "<Message>" in description
        else description
    )
    json_error = JsonRESTError(codes.get(code, code or "AccessDeniedException"), message)
    json_error.code = error.code or 403
    return json_error


def _params(resp: Any) -> dict[str, Any]:
    body = resp.body
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, str) and body.strip().startswith("{"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _prefix(resp: Any, service: str) -> str:
    return f"arn:aws:{service}:{resp.region}:{resp.current_account}"


def dynamodb_resources(resp: Any) -> list[str]:
    params = _params(resp)
    names: list[str] = []
    if isinstance(params.get("TableName"), str):
        names.append(params["TableName"])
    names.extend(params.get("RequestItems", {}) or {})
    for item in params.get("TransactItems", []) or []:
        for op in item.values():
            if isinstance(op, dict) and isinstance(op.get("TableName"), str):
                names.append(op["TableName"])
    if not names:
        return ["*"]
    prefix = _prefix(resp, "dynamodb")
    return [n if n.startswith("arn:") else f"{prefix}:table/{n}" for n in dict.fromkeys(names)]


def lambda_resources(resp: Any) -> list[str]:
    parts = resp.path.split("?")[0].split("/")
    name: str | None = None
    if "functions" in parts:
        index = parts.index("functions")
        if index + 1 < len(parts) and parts[index + 1]:
            name = unquote(parts[index + 1])
    if name is None:
        candidate = _params(resp).get("FunctionName")
        name = candidate if isinstance(candidate, str) else None
    if name is None:
        return ["*"]
    if name.startswith("arn:"):
        return [name]
    qualifier = resp.querystring.get("Qualifier", [None])[0]
    arn = f"{_prefix(resp, 'lambda')}:function:{name}"
    return [f"{arn}:{qualifier}" if qualifier else arn]


def stepfunctions_resources(resp: Any) -> list[str]:
    params = _params(resp)
    for key in ("executionArn", "stateMachineArn", "resourceArn"):
        if isinstance(params.get(key), str):
            return [params[key]]
    if isinstance(params.get("name"), str) and resp._get_action() == "CreateStateMachine":
        return [f"{_prefix(resp, 'states')}:stateMachine:{params['name']}"]
    return ["*"]


def logs_resources(resp: Any) -> list[str]:
    params = _params(resp)
    group = params.get("logGroupName")
    if not isinstance(group, str):
        return ["*"]
    arn = f"{_prefix(resp, 'logs')}:log-group:{group}"
    stream = params.get("logStreamName")
    if resp._get_action() == "PutLogEvents" and isinstance(stream, str):
        return [f"{arn}:log-stream:{stream}"]
    return [arn]


def secretsmanager_resources(resp: Any) -> list[str]:
    """The secret's full ARN, which ends in "-" and six random characters (Secrets Manager user
    guide, "Secret ARN"): a SecretId given by name or partial ARN is looked up."""
    secret_id = _params(resp).get("SecretId")
    if not isinstance(secret_id, str):
        return ["*"]
    secret = secretsmanager_backends[resp.current_account][resp.region].secrets.get(secret_id)
    return [secret.arn if secret is not None else secret_id]


def firehose_resources(resp: Any) -> list[str]:
    name = _params(resp).get("DeliveryStreamName")
    if not isinstance(name, str):
        return ["*"]
    return [f"{_prefix(resp, 'firehose')}:deliverystream/{name}"]


RESOLVERS: dict[type, Resolver] = {
    DynamoHandler: dynamodb_resources,
    LambdaResponse: lambda_resources,
    StepFunctionResponse: stepfunctions_resources,
    LogsResponse: logs_resources,
    SecretsManagerResponse: secretsmanager_resources,
    FirehoseResponse: firehose_resources,
}


def _make_authorizer(resolver: Resolver) -> Callable[[Any, str], None]:
    def authorize(self: Any, resource: str = "*") -> None:
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        path = self.raw_path
        query = self.uri.split("?", 1)[1] if "?" in self.uri else ""
        if query:
            path += "?" + query
        action = self._get_action()
        for arn in resolver(self):
            try:
                request = IAMRequest(
                    account_id=self.current_account,
                    method=self.method,
                    path=path,
                    data=self.data,
                    body=self.raw_body,
                    headers=self.headers,
                    action=ACTION_ALIASES.get(action, action),
                )
            except HTTPException as error:
                raise _as_json_error(error) from error
            try:
                request.check_signature()
                request.check_action_permitted(arn)
            except HTTPException as error:
                raise _as_json_error(error) from error

    return authorize


def _json_sqs_errors(original: Callable[..., None]) -> Callable[..., None]:
    """SQS computes its own resource; only its refusals need the JSON protocol's shape."""

    def authorize(self: Any, resource: str = "*") -> None:
        try:
            original(self, resource)
        except HTTPException as error:
            if not self.headers.get("X-Amz-Target"):
                raise
            raise _as_json_error(error, {"InvalidClientTokenId": "InvalidClientTokenId"}) from error

    return authorize


BODYLESS_METHODS = frozenset({"GET", "HEAD", "DELETE"})


def _signed_payload(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Recompute SigV4 over the payload the client really signed.

    moto falls back to its parsed request data when the body is empty; for a REST-JSON ``GET``
    (Lambda ``GetFunctionConfiguration``, API Gateway ``GetApis`` …) that data is not empty, so
    the recomputed signature never matches and every such read fails ``InvalidSignature``.
    """

    def create_aws_request(self: Any) -> Any:
        request = original(self)
        if not self._body and self._method.upper() in BODYLESS_METHODS:
            request.data = b""
        return request

    return create_aws_request


@contextmanager
def enforced_iam() -> Iterator[None]:
    """Turn IAM enforcement on from the first request, with per-service resource resolution."""
    saved_count = settings.INITIAL_NO_AUTH_ACTION_COUNT
    saved_requests = ActionAuthenticatorMixin.request_count
    saved_methods = {
        cls: cls.__dict__.get("_authenticate_and_authorize_normal_action") for cls in RESOLVERS
    }
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    for cls, resolver in RESOLVERS.items():
        setattr(cls, AUTH_METHOD, _make_authorizer(resolver))
    sqs_original = SQSResponse.__dict__.get(AUTH_METHOD)
    setattr(SQSResponse, AUTH_METHOD, _json_sqs_errors(getattr(SQSResponse, AUTH_METHOD)))
    create_request = IAMRequestBase._create_aws_request
    IAMRequestBase._create_aws_request = _signed_payload(create_request)
    try:
        yield
    finally:
        IAMRequestBase._create_aws_request = create_request
        for cls, method in saved_methods.items():
            if method is None:
                delattr(cls, AUTH_METHOD)
            else:
                setattr(cls, AUTH_METHOD, method)
        if sqs_original is None:
            delattr(SQSResponse, AUTH_METHOD)
        else:
            setattr(SQSResponse, AUTH_METHOD, sqs_original)
        settings.INITIAL_NO_AUTH_ACTION_COUNT = saved_count
        ActionAuthenticatorMixin.request_count = saved_requests
