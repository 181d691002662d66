"""The deployed HTTP API served locally, answering as API Gateway does: routes perform integrations.

moto stores an HTTP API's routes, integrations and stages but does not serve them. ``HttpApiServer``
answers on 127.0.0.1 with werkzeug's threaded WSGI server (a listen backlog of ``LISTEN_BACKLOG``,
one thread per connection): it looks the request's route up in what was deployed and, for an
``AWS_PROXY`` integration of subtype ``StepFunctions-StartExecution`` or ``SQS-SendMessage``,
assumes the integration's credentials role as ``apigateway.amazonaws.com`` and calls
StartExecution or SendMessage with that role's credentials — so the role's IAM policy is what
allows it, as in AWS. Request parameters are resolved as API Gateway does (``$request.body``,
``$request.header.<name>``, literals).

What API Gateway documents for HTTP APIs, and the harness reproduces:

- Routing (developer guide, "Routing API requests"): a full match of method and path, then
  ``ANY`` on the path, then ``$default``; no match answers 404 ``{"message":"Not Found"}``. The
  path is matched as sent, so ``//events``, ``/events/`` and other methods (``GET``, ``HEAD``,
  ``OPTIONS``, ``PATCH``) are 404. Routes with path variables are not served (the server
  refuses to start on such an API rather than answer differently).
- CORS ("Configure CORS for HTTP APIs"), for an API with a CORS configuration: preflights are
  answered by the gateway, CORS headers are given to the configured origins only
  (``harness.serve.cors``).
- Throttling ("Throttling requests to your HTTP API"): a token bucket per route, a token per
  request, of size ``ThrottlingBurstLimit`` refilled at ``ThrottlingRateLimit`` per second — the
  route's ``RouteSettings`` over the stage's ``DefaultRouteSettings``, else the account quotas
  (10,000 requests per second, burst 5,000); beyond it 429 ``{"message":"Too Many Requests"}``.
- Quotas ("Quotas for configuring and running an HTTP API"): a payload over 10 MB is 413.
- Errors API Gateway itself answers are JSON ``{"message": <reason phrase>}``; there is no
  ``Server`` header, every response carries ``apigw-requestid``, and each request that reaches a
  stage writes one access-log line in the stage's format (``$context`` variables) to its group.
- A first-class integration's error is passed through with the service's status: StartExecution's
  ``{"__type", "message"}``; a failure to call it at all (the role cannot be assumed) is 500
  ``{"message":"Internal Server Error"}``.

Beyond API Gateway, for StartExecution the body must be an execution input the pipeline can accept
(``handlers.limits.execution_input_problem``: JSON, standard, not too deep, within Step Functions'
limit with the margins for Ingest and SendToDLQ); a refused body gets that problem's status
(400/413) and message and starts nothing. On AWS, Step Functions refuses what is not JSON or over
256 KB with a 400. For SendMessage (the entry buffer) any body is sent as received, as AWS sends it
— the pipeline judges it — except one over the queue's ``MaximumMessageSize`` (UTF-8 bytes, what
SQS measures), which is 413 with the limit; on AWS, SendMessage refuses it with a 400
(``InvalidParameterValue``) and keeps nothing either. SendMessage's answer is the route's 200:
``{"MessageId", "MD5OfMessageBody"}``; SendMessage's answer lost on the way back is 503
``{"message":"Service Unavailable"}`` (the message may be in the queue: a client sends it again).

A request body that cannot be read as its headers declare (a ``Content-Length`` that is not a
number or is longer than the body, a broken chunked encoding, both at once) is 400
``{"message":"Bad Request"}`` once the client stops sending or ``body_timeout`` passes. Route
authorization (IAM / JWT) is recorded but not checked offline: there is no SigV4 or identity
provider here. Paths under ``/console`` and ``/tracker/`` are the harness's own (the local
console, ``harness.serve.console``), never the API's; ``RouteFaults`` make the route answer an
error instead of its own, before or after its integration, for tests.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from moto.sqs.models import sqs_backends
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Response

from components.builders.entry import INTEGRATION_SUBTYPE, SEND_MESSAGE_SUBTYPE
from handlers.limits import execution_input_problem
from harness.deploy.entry import deployed_api
from harness.emulator import Emulator, RoleNotAssumable
from harness.serve.console import Console, RouteFaults
from harness.serve.cors import PREFLIGHT_STATUS, Cors, is_preflight

API_GATEWAY = "apigateway.amazonaws.com"
STAGE = "$default"
LISTEN_BACKLOG = 1024
PAYLOAD_QUOTA = 10 * 1024 * 1024  # HTTP API payload size quota, 10 MB
ACCOUNT_BURST_LIMIT = 5000  # account-level throttling quotas per Region
ACCOUNT_RATE_LIMIT = 10_000.0
BODY_TIMEOUT = 5.0
# The request target as sent: http.server turns a leading "//" into "/", werkzeug's PATH_INFO too.
REQUEST_TARGET = "harness.request_target"
# Step Functions API reference, InvalidExecutionInput: the emulator's own message would carry the
# Python parser's text instead.
INVALID_INPUT_MESSAGE = "The provided JSON input data is not valid."
NOT_UTF8_MESSAGE = "execution input refused: the body is not UTF-8 text"
# The request parameters of SQS-SendMessage that the harness passes on (the rest are FIFO's).
SEND_MESSAGE_PARAMETERS = ("QueueUrl", "MessageBody", "DelaySeconds")
log = logging.getLogger(__name__)


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None  # None: no body (a preflight's 204)
    route_key: str = "-"
    integration_status: int | None = None
    integration_error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error_message(self) -> str | None:
        """``$context.error.message``: what API Gateway itself answered, if it did."""
        return None if self.integration_status or self.body is None else self.body.get("message")


# API Gateway's messages are the classic reason phrases (Python 3.13 renamed 413's).
PHRASES = {HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "Request Entity Too Large"}


def phrase(status: int) -> str:
    return PHRASES.get(HTTPStatus(status), HTTPStatus(status).phrase)


def gateway_error(status: HTTPStatus, route_key: str = "-") -> Answer:
    return Answer(status, {"message": phrase(status)}, route_key)


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; a request takes one or is throttled."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class HttpApiServer:
    """Serve one deployed HTTP API until ``stop``: on ``listening`` (a socket from ``bind``, which
    the server takes over) or else on ``host:port`` (0 = a free port)."""

    def __init__(
        self,
        emulator: Emulator,
        api_id: str,
        host: str = "127.0.0.1",
        port: int = 0,
        body_timeout: float = BODY_TIMEOUT,
        listening: socket.socket | None = None,
    ) -> None:
        self.emulator = emulator
        self.api_id = api_id
        self.body_timeout = body_timeout
        self._buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._log_stream: str | None = None
        self.faults = RouteFaults()
        self.console: Console | None = None  # the local console's paths, when serve adds it
        with listening or bind(host, port) as sock:
            _check_served(deployed_api(emulator, api_id))  # fails now if the API does not exist
            self._server = _Server(self, sock)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        request_id = uuid.uuid4().hex[:16]
        path = str(environ[REQUEST_TARGET]).split("?", 1)[0]
        if self.console is not None and Console.handles(path):
            return self._console_reply(self.console, environ, start_response, path)
        try:
            answer = self.cors_answer(environ)
        except Exception:
            log.exception("harness: HTTP API request %s failed", request_id)
            answer = gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR)
        payload = b"" if answer.body is None else json.dumps(answer.body).encode("utf-8")
        content_type = None if answer.body is None else "application/json"
        response = Response(payload, f"{answer.status} {phrase(answer.status)}",
                            {"apigw-requestid": request_id, **answer.headers},
                            content_type=content_type)  # fmt: skip
        if answer.body is None:
            response.headers.remove("Content-Type")
        fields = {
            "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "identity.sourceIp": environ.get("REMOTE_ADDR", "-"),
            "identity.userAgent": environ.get("HTTP_USER_AGENT", "-"),
            "routeKey": answer.route_key,
            "status": answer.status,
            "protocol": environ.get("SERVER_PROTOCOL", "-"),
            "responseLength": len(payload),
            "integrationStatus": answer.integration_status or "-",
            "integrationLatency": int((time.monotonic() - started) * 1000),
            "integrationErrorMessage": answer.integration_error or "-",
            "error.message": answer.error_message or "-",
        }
        try:
            self.access_log(fields)
        except Exception:
            log.exception("harness: access log line of request %s not written", request_id)
        return response(environ, start_response)

    def cors_answer(self, environ: dict[str, Any]) -> Answer:
        """The answer with the API's CORS behaviour (harness.serve.cors) and the armed faults.

        A preflight is the gateway's when no route takes OPTIONS on the path (a route for
        ``OPTIONS``, ``ANY`` or ``$default`` receives it instead, as the developer guide says of
        ``$default``). CORS headers go on the answers of requests that matched a route.
        """
        api = deployed_api(self.emulator, self.api_id)
        cors = Cors.of(api.cors_configuration)
        headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items()
                   if k.startswith("HTTP_")}  # fmt: skip
        origin = headers.get("origin")
        method = str(environ["REQUEST_METHOD"])
        path = str(environ[REQUEST_TARGET]).split("?", 1)[0]
        routes = {route.route_key for route in api.routes.values()}
        if (
            cors is not None
            and is_preflight(method, headers)
            and not {f"OPTIONS {path}", f"ANY {path}", "$default"} & routes
        ):
            return Answer(PREFLIGHT_STATUS, None, headers=cors.preflight_headers(origin))
        fault = self.faults.take("before")
        answer = gateway_error(HTTPStatus(fault)) if fault else self.answer(environ)
        if answer.integration_status and (fault := self.faults.take("after")):
            answer = gateway_error(HTTPStatus(fault), answer.route_key)
        if cors is not None and answer.route_key != "-":
            answer.headers.update(cors.response_headers(origin))
        return answer

    def _console_reply(
        self, console: Console, environ: dict[str, Any], start_response: Any, path: str
    ) -> Iterable[bytes]:
        method = str(environ["REQUEST_METHOD"])
        try:
            reply = console.respond(method, path, lambda: self._read_console_body(environ))
        except Exception:
            log.exception("harness: console request %s %s failed", method, path)
            reply = console.error(HTTPStatus.INTERNAL_SERVER_ERROR)
        status = f"{reply.status} {HTTPStatus(reply.status).phrase}"
        return Response(reply.body, status, reply.headers)(environ, start_response)

    def _read_console_body(self, environ: dict[str, Any]) -> bytes:
        body = self._read_body(environ)
        return b"" if isinstance(body, HTTPStatus) else body

    def answer(self, environ: dict[str, Any]) -> Answer:
        api = deployed_api(self.emulator, self.api_id)
        method = str(environ["REQUEST_METHOD"])
        path = str(environ[REQUEST_TARGET]).split("?", 1)[0]
        routes = {route.route_key: route for route in api.routes.values()}
        route_key = next(
            (key for key in (f"{method} {path}", f"ANY {path}", "$default") if key in routes), None
        )
        if route_key is None or not (routes[route_key].target or "").startswith("integrations/"):
            return gateway_error(HTTPStatus.NOT_FOUND)
        if not self._bucket(api, route_key).take():
            return gateway_error(HTTPStatus.TOO_MANY_REQUESTS, route_key)
        integration = api.integrations[routes[route_key].target.split("/", 1)[1]]
        subtype = integration.integration_subtype
        if integration.integration_type != "AWS_PROXY" or subtype not in (
            INTEGRATION_SUBTYPE,
            SEND_MESSAGE_SUBTYPE,
        ):
            raise NotImplementedError(f"harness: integration {subtype}")
        body = self._read_body(environ)
        if isinstance(body, HTTPStatus):
            return gateway_error(body, route_key)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Answer(HTTPStatus.BAD_REQUEST, {"message": NOT_UTF8_MESSAGE}, route_key)
        if subtype == SEND_MESSAGE_SUBTYPE:
            answer = self._send_message(integration, environ, text)
        else:
            problem = execution_input_problem(text)
            if problem is not None:
                return Answer(problem.status, {"message": problem.message}, route_key)
            answer = self._start_execution(integration, environ, text)
        answer.route_key = route_key
        return answer

    def _bucket(self, api: Any, route_key: str) -> TokenBucket:
        """The route's bucket, rebuilt when the stage's settings for it change."""
        stage = api.stages.get(STAGE)
        settings = {
            **((stage.default_route_settings or {}) if stage is not None else {}),
            **((stage.route_settings or {}).get(route_key, {}) if stage is not None else {}),
        }
        burst = int(settings.get("throttlingBurstLimit", ACCOUNT_BURST_LIMIT))
        rate = float(settings.get("throttlingRateLimit", ACCOUNT_RATE_LIMIT))
        with self._buckets_lock:
            bucket = self._buckets.get(route_key)
            if bucket is None or (bucket.burst, bucket.rate) != (burst, rate):
                bucket = self._buckets[route_key] = TokenBucket(burst, rate)
            return bucket

    def _read_body(self, environ: dict[str, Any]) -> bytes | HTTPStatus:
        """The body as its headers declare it, or the status that refuses it."""
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        encoding = environ.get("HTTP_TRANSFER_ENCODING")
        try:
            if encoding is not None:
                if length is not None or encoding.strip().lower() != "chunked":
                    return HTTPStatus.BAD_REQUEST
                # werkzeug's DechunkedInput decodes the chunks
                body = bytearray()
                while len(body) <= PAYLOAD_QUOTA and (chunk := stream.read(65536)):
                    body += chunk
            elif length is None:
                return b""
            else:
                if not (length.isascii() and length.isdigit()):
                    return HTTPStatus.BAD_REQUEST
                if len(length.lstrip("0")) > len(str(PAYLOAD_QUOTA)) or int(length) > PAYLOAD_QUOTA:
                    return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                body = stream.read(int(length))
                if len(body) != int(length):
                    return HTTPStatus.BAD_REQUEST
        except OSError:  # a read timeout, a broken chunk, a dropped connection
            return HTTPStatus.BAD_REQUEST
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE if len(body) > PAYLOAD_QUOTA else bytes(body)

    def _parameters(self, integration: Any, environ: dict[str, Any], body: str) -> dict[str, str]:
        headers = {key[5:].replace("_", "-"): str(value) for key, value in environ.items()
                   if key.startswith("HTTP_")}  # fmt: skip
        if "CONTENT_TYPE" in environ:
            headers["CONTENT-TYPE"] = str(environ["CONTENT_TYPE"])
        return resolve_parameters(integration.request_parameters or {}, headers, body)

    def _send_message(self, integration: Any, environ: dict[str, Any], body: str) -> Answer:
        params = self._parameters(integration, environ, body)
        queue_url, message = params.get("QueueUrl"), params.get("MessageBody")
        if queue_url and message is not None:
            name = queue_url.rstrip("/").rsplit("/", 1)[1]
            limit = int(sqs_backends[self.emulator.account_id][self.emulator.region]
                        .get_queue(name).maximum_message_size)  # fmt: skip
            size = len(message.encode("utf-8", "surrogatepass"))
            if size > limit:
                return Answer(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    {"message": f"body refused: {size} bytes, over the buffer's {limit}-byte "
                                "message limit; send smaller bodies"},
                )  # fmt: skip
        faults = self.emulator.faults
        try:
            credentials = self.emulator.assume_role(integration.credentials_arn, API_GATEWAY)
            with faults.on_behalf() if faults is not None else nullcontext():
                response = self.emulator.client("sqs", credentials).send_message(
                    **{k: v for k, v in params.items() if k in SEND_MESSAGE_PARAMETERS}
                )
        except RoleNotAssumable as error:
            answer = gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR)
            answer.integration_error = str(error)
            return answer
        except ClientError as error:
            status = int(error.response["ResponseMetadata"].get("HTTPStatusCode", 400))
            code, text = error.response["Error"]["Code"], error.response["Error"]["Message"]
            return Answer(status, {"__type": code, "message": text}, "-", status, text)
        except BotoCoreError as error:  # the integration's answer never came back
            answer = gateway_error(HTTPStatus.SERVICE_UNAVAILABLE)
            answer.integration_error = str(error)
            return answer
        return Answer(
            HTTPStatus.OK,
            {"MessageId": response["MessageId"], "MD5OfMessageBody": response["MD5OfMessageBody"]},
            "-",
            HTTPStatus.OK,
        )

    def _start_execution(self, integration: Any, environ: dict[str, Any], body: str) -> Answer:
        params = self._parameters(integration, environ, body)
        kwargs = {"stateMachineArn": params.get("StateMachineArn"), "input": params.get("Input")}
        # Without a mapped Name, Step Functions names the execution (a UUID); moto would use "None".
        kwargs["name"] = params.get("Name") or str(uuid.uuid4())
        try:
            credentials = self.emulator.assume_role(integration.credentials_arn, API_GATEWAY)
            response = self.emulator.client("stepfunctions", credentials).start_execution(
                **{k: v for k, v in kwargs.items() if v is not None}
            )
        except RoleNotAssumable as error:
            answer = gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR)
            answer.integration_error = str(error)
            return answer
        except ClientError as error:
            status = int(error.response["ResponseMetadata"].get("HTTPStatusCode", 400))
            code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
            if code == "InvalidExecutionInput":
                message = INVALID_INPUT_MESSAGE
            return Answer(status, {"__type": code, "message": message}, "-", status, message)
        return Answer(
            HTTPStatus.OK,
            {
                "executionArn": response["executionArn"],
                "startDate": response["startDate"].timestamp(),
            },
            "-",
            HTTPStatus.OK,
        )

    def access_log(self, fields: dict[str, Any]) -> None:
        """One line in the stage's access-log format to its log group (as API Gateway writes)."""
        api = deployed_api(self.emulator, self.api_id)
        stage = api.stages.get(STAGE)
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


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; ``OSError`` at once if the port is taken."""
    return socket.create_server((host, port), backlog=LISTEN_BACKLOG)


def _check_served(api: Any) -> None:
    """Fail closed on what this server would answer differently from API Gateway."""
    for route in api.routes.values():
        if "{" in route.route_key:
            raise NotImplementedError(f"harness: route {route.route_key!r} has path variables")


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server on an already listening socket; its own logs go to ours."""

    def __init__(self, api: HttpApiServer, listening: socket.socket) -> None:
        self.body_timeout = api.body_timeout
        host, port = listening.getsockname()[:2]
        super().__init__(host, port, api.wsgi, _RequestHandler, fd=listening.fileno())

    def log(self, type: str, message: str, *args: Any) -> None:
        log.error(message.rstrip(), *args)


class _RequestHandler(WSGIRequestHandler):
    """No ``Server`` header, JSON for the errors answered before the application, no access lines
    on stderr (the access log goes to CloudWatch Logs), a read timeout on every connection."""

    server: _Server

    def setup(self) -> None:
        self.request.settimeout(self.server.body_timeout)  # every read on the connection
        super().setup()

    def make_environ(self) -> Any:
        environ = super().make_environ()
        words = self.requestline.split()
        environ[REQUEST_TARGET] = words[1] if len(words) > 1 else ""
        return environ

    def send_response(self, code: int, message: str | None = None) -> None:
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        payload = json.dumps({"message": phrase(code)}).encode("utf-8")
        self.close_connection = True
        self.send_response(code, phrase(code))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug(message.rstrip(), *args)


def serve_deployed(
    emulator: Emulator, outputs: dict[str, Any], listening: socket.socket, stack: str
) -> HttpApiServer | None:
    """Start serving the stack's HTTP API (``http_api_id`` output) on ``listening``, with the local
    console beside it; without one, close it and return None."""
    api_id = outputs.get("http_api_id")
    if not api_id:
        listening.close()
        return None
    server = HttpApiServer(emulator, str(api_id), listening=listening)
    server.console = Console(emulator, outputs, stack, server.faults)
    return server.start()
