"""The deployed HTTP API, served locally: each route performs its declared integration.

moto stores an HTTP API's routes, integrations and stages but does not serve them. ``HttpApiServer``
answers on 127.0.0.1: it looks the request's route up in what was deployed (route key -> target
``integrations/<id>`` -> integration), and for an ``AWS_PROXY`` integration of subtype
``StepFunctions-StartExecution`` assumes the integration's credentials role as
``apigateway.amazonaws.com`` and calls StartExecution with that role's credentials — so the role's
IAM policy is what allows it, as in AWS. Request parameters are resolved as API Gateway does
(``$request.body``, ``$request.header.<name>``, literals).

Limits: a body over Step Functions' 256 KB input limit is refused with 413 and a body that is not
JSON with 400, before StartExecution (on AWS, Step Functions refuses both with a 400). Route
authorization (IAM / JWT) is recorded but not checked offline: there is no SigV4 or identity
provider here. Each request writes one access-log line, in the stage's format, to its log group.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.exceptions import ClientError

from components.entry_policies import INTEGRATION_SUBTYPE, MAX_INPUT_BYTES
from harness.emulator import Emulator, RoleNotAssumable
from harness.resources_entry import deployed_api

API_GATEWAY = "apigateway.amazonaws.com"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    integration_status: int | None = None
    integration_error: str | None = None


class HttpApiServer:
    """Serve one deployed HTTP API on ``host:port`` (0 = a free port) until ``stop``."""

    def __init__(
        self, emulator: Emulator, api_id: str, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.emulator = emulator
        self.api_id = api_id
        deployed_api(emulator, api_id)  # fails now if the API does not exist
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._log_lock = threading.Lock()
        self._log_stream: str | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> HttpApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HttpApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling ---------------------------------------------------------------------------
    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        api = deployed_api(self.emulator, self.api_id)
        route_key = f"{method} {path.split('?', 1)[0]}"
        routes = {route.route_key: route for route in api.routes.values()}
        route = routes.get(route_key) or routes.get("$default")
        if route is None or not (route.target or "").startswith("integrations/"):
            return Answer(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        integration = api.integrations[route.target.split("/", 1)[1]]
        if (integration.integration_type, integration.integration_subtype) != (
            "AWS_PROXY",
            INTEGRATION_SUBTYPE,
        ):
            return Answer(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                {"message": f"harness: integration {integration.integration_subtype} not served"},
            )
        if len(body) > MAX_INPUT_BYTES:
            return Answer(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                {
                    "message": f"Request body is {len(body)} bytes; the Step Functions input "
                    f"limit is {MAX_INPUT_BYTES} bytes"
                },
            )
        try:
            json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Answer(HTTPStatus.BAD_REQUEST, {"message": "Request body must be JSON"})
        return self._start_execution(integration, headers, body.decode("utf-8"))

    def _start_execution(self, integration: Any, headers: dict[str, str], body: str) -> Answer:
        params = resolve_parameters(integration.request_parameters or {}, headers, body)
        kwargs = {"stateMachineArn": params.get("StateMachineArn"), "input": params.get("Input")}
        # Without a mapped Name, Step Functions names the execution (a UUID); moto would use "None".
        kwargs["name"] = params.get("Name") or str(uuid.uuid4())
        try:
            credentials = self.emulator.assume_role(integration.credentials_arn, API_GATEWAY)
            response = self.emulator.client("stepfunctions", credentials).start_execution(
                **{k: v for k, v in kwargs.items() if v is not None}
            )
        except RoleNotAssumable as error:
            return Answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal Server Error"},
                          500, str(error))  # fmt: skip
        except ClientError as error:
            status = int(error.response["ResponseMetadata"].get("HTTPStatusCode", 400))
            code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
            return Answer(status, {"__type": code, "message": message}, status, message)
        return Answer(
            HTTPStatus.OK,
            {
                "executionArn": response["executionArn"],
                "startDate": response["startDate"].timestamp(),
            },
            200,
        )

    def access_log(self, fields: dict[str, Any]) -> None:
        """One line in the stage's access-log format to its log group (as API Gateway writes)."""
        api = deployed_api(self.emulator, self.api_id)
        stage = api.stages.get("$default")
        settings = (stage.access_log_settings if stage is not None else None) or {}
        if not settings.get("destinationArn"):
            return
        group = settings["destinationArn"].split(":log-group:", 1)[1].removesuffix(":*")
        template = json.loads(settings["format"])
        line = {key: fields.get(str(value).removeprefix("$context."), "-")
                for key, value in template.items()}  # fmt: skip
        logs = self.emulator.client("logs")
        with self._log_lock:
            if self._log_stream is None:
                self._log_stream = f"harness-{uuid.uuid4().hex[:8]}"
                logs.create_log_stream(logGroupName=group, logStreamName=self._log_stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=self._log_stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(line)}],
            )


def resolve_parameters(
    parameters: dict[str, str], headers: dict[str, str], body: str
) -> dict[str, str]:
    """API Gateway's parameter mapping for the sources the harness knows; a missing header maps
    to nothing (the parameter is left out)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    resolved: dict[str, str] = {}
    for name, source in parameters.items():
        if source == "$request.body":
            resolved[name] = body
        elif source.startswith("$request.header."):
            value = lowered.get(source.removeprefix("$request.header.").lower())
            if value:
                resolved[name] = value
        elif source.startswith("$"):
            raise ValueError(f"harness: request parameter source {source!r} is not supported")
        else:
            resolved[name] = source
    return resolved


def _handler(server: HttpApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            started = time.monotonic()
            request_id = uuid.uuid4().hex[:16]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = server.answer(self.command, self.path, dict(self.headers.items()), body)
            payload = json.dumps(answer.body).encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("apigw-requestid", request_id)
            self.end_headers()
            self.wfile.write(payload)
            server.access_log(
                {
                    "requestId": request_id,
                    "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                    "identity.sourceIp": self.client_address[0],
                    "identity.userAgent": self.headers.get("User-Agent", "-"),
                    "routeKey": f"{self.command} {self.path.split('?', 1)[0]}",
                    "status": answer.status,
                    "protocol": self.request_version,
                    "responseLength": len(payload),
                    "integrationStatus": answer.integration_status or "-",
                    "integrationLatency": int((time.monotonic() - started) * 1000),
                    "integrationErrorMessage": answer.integration_error or "-",
                }
            )

        do_POST = do_GET = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # the access log goes to CloudWatch Logs, not stderr

    return Handler


def serve_deployed(emulator: Emulator, outputs: dict[str, Any], port: int) -> HttpApiServer | None:
    """Start serving the stack's HTTP API (``http_api_id`` output) on ``port``; None without one."""
    api_id = outputs.get("http_api_id")
    return HttpApiServer(emulator, str(api_id), port=port).start() if api_id else None
