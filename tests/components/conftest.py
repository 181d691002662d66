"""Pulumi mocks for the component and program tests: one mock class, keyed on the resource type.

`PipelineMocks` returns realistic computed outputs (ARNs, ids, names, URLs) for every resource type
the program registers, records every registration so a test can look a resource up by type and
name and assert on its inputs, and answers exactly the three invokes the program makes; anything
else raises.
"""

from __future__ import annotations

import hashlib
import runpy
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from components.builders.settings import load_stack_config
from harness.deploy import ensure_event_loop

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "activity-pipeline"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"


@dataclass(frozen=True)
class Registration:
    typ: str
    name: str
    inputs: dict[str, Any]
    id: str
    state: dict[str, Any]


def _suffix(name: str, length: int = 7) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


class PipelineMocks(pulumi.runtime.Mocks):
    """Realistic outputs per `args.typ`; records registrations; unknown types/invokes raise."""

    KNOWN_CALLS = (
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:index/getPartition:getPartition",
        "aws:secretsmanager/getRandomPassword:getRandomPassword",
    )

    def __init__(self, region: str = "us-east-1", account_id: str = ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id
        self.registrations: list[Registration] = []
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._builders: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
            "aws:kms/key:Key": self._kms_key,
            "aws:kms/alias:Alias": self._kms_alias,
            "aws:s3/bucket:Bucket": self._bucket,
            "aws:s3/bucketVersioning:BucketVersioning": self._bucket_child,
            "aws:s3/bucketServerSideEncryptionConfiguration:"
            "BucketServerSideEncryptionConfiguration": self._bucket_child,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": self._bucket_child,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": self._bucket_child,
            "aws:s3/bucketPolicy:BucketPolicy": self._bucket_child,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": self._bucket_child,
            "aws:dynamodb/table:Table": self._table,
            "aws:cloudwatch/logGroup:LogGroup": self._log_group,
            "aws:iam/role:Role": self._role,
            "aws:iam/rolePolicy:RolePolicy": self._role_policy,
            "aws:lambda/function:Function": self._function,
            "aws:lambda/eventSourceMapping:EventSourceMapping": self._event_source_mapping,
            "aws:sqs/queue:Queue": self._queue,
            "aws:sfn/stateMachine:StateMachine": self._state_machine,
            "aws:sns/topic:Topic": self._topic,
            "aws:sns/topicSubscription:TopicSubscription": self._subscription,
            "aws:cloudwatch/metricAlarm:MetricAlarm": self._alarm,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter": self._metric_filter,
            "aws:cloudwatch/dashboard:Dashboard": self._dashboard,
            # analytics (Glue, Athena)
            "aws:glue/catalogDatabase:CatalogDatabase": self._glue_database,
            "aws:glue/catalogTable:CatalogTable": self._glue_table,
            "aws:athena/workgroup:Workgroup": self._athena_workgroup,
            "aws:athena/namedQuery:NamedQuery": self._named_query,
            "aws:iam/policy:Policy": self._iam_policy,
            # the curated Iceberg table (Glue optimizers, Firehose, its log stream)
            "aws:glue/catalogTableOptimizer:CatalogTableOptimizer": self._table_optimizer,
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": self._firehose_stream,
            "aws:cloudwatch/logStream:LogStream": self._log_stream,
            # entry points (HTTP API, EventBridge)
            "aws:apigatewayv2/api:Api": self._http_api,
            "aws:apigatewayv2/integration:Integration": self._api_child,
            "aws:apigatewayv2/route:Route": self._api_child,
            "aws:apigatewayv2/authorizer:Authorizer": self._api_child,
            "aws:apigatewayv2/stage:Stage": self._api_stage,
            "aws:cloudwatch/eventBus:EventBus": self._event_bus,
            "aws:cloudwatch/eventRule:EventRule": self._event_rule,
            "aws:cloudwatch/eventTarget:EventTarget": self._event_target,
            "aws:sqs/queuePolicy:QueuePolicy": self._queue_policy,
            # privacy (suppression salt)
            "aws:secretsmanager/secret:Secret": self._secret,
            "aws:secretsmanager/secretVersion:SecretVersion": self._secret_version,
        }

    # pulumi.runtime.Mocks

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith(f"{PROJECT}:"):  # our own components: no provider state
            resource_id, state = f"{args.name}-component", {}
        else:
            builder = self._builders.get(args.typ)
            if builder is None:
                raise NotImplementedError(f"PipelineMocks has no mock for resource type {args.typ}")
            resource_id, computed = builder(args.name, inputs)
            state = {**inputs, **computed}
        with self._lock:
            self.registrations.append(Registration(args.typ, args.name, inputs, resource_id, state))
        return resource_id, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[Any]] | dict[str, Any]:
        with self._lock:
            self.calls.append(args.token)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:{PARTITION}:iam::{self.account_id}:user/ci",
                "userId": "AIDAEXAMPLEUSERID",
                "id": self.account_id,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": "US East (N. Virginia)",
            }
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": PARTITION,
            }
        if args.token == "aws:secretsmanager/getRandomPassword:getRandomPassword":
            length = int(args.args["passwordLength"])
            return {"randomPassword": "S" * length, "id": "random"}
        raise NotImplementedError(f"PipelineMocks has no mock for invoke {args.token}")

    # lookups for tests

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.typ == typ]

    def find(self, typ: str, name: str) -> Registration:
        found = [r for r in self.registrations if r.typ == typ and r.name == name]
        if len(found) != 1:
            known = sorted(r.name for r in self.of_type(typ))
            raise AssertionError(f"expected one {typ} named {name!r}, found {len(found)}: {known}")
        return found[0]

    # per-type state

    def _arn(
        self, service: str, resource: str, *, region: bool = True, account: bool = True
    ) -> str:
        return (
            f"arn:{PARTITION}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def _kms_key(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        return key_id, {"keyId": key_id, "arn": self._arn("kms", f"key/{key_id}")}

    def _kms_alias(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return inputs["name"], {"arn": self._arn("kms", inputs["name"])}

    def _bucket(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if "bucket" in inputs:
            bucket = inputs["bucket"]
        elif "bucketPrefix" in inputs:
            bucket = f"{inputs['bucketPrefix']}20250101000000000000000001"
        else:
            bucket = f"{name}-{_suffix(name)}"
        return bucket, {
            "bucket": bucket,
            "arn": f"arn:{PARTITION}:s3:::{bucket}",
            "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "region": self.region,
        }

    def _bucket_child(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(inputs["bucket"]), {}

    def _table(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        table = inputs["name"]
        return table, {"arn": self._arn("dynamodb", f"table/{table}")}

    def _log_group(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = inputs["name"]
        return group, {"arn": self._arn("logs", f"log-group:{group}")}

    def _role(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        role = inputs.get("name") or f"{name}-{_suffix(name)}"
        return role, {
            "name": role,
            "arn": self._arn("iam", f"role/{role}", region=False),
            "uniqueId": f"AROA{_suffix(name, 16).upper()}",
        }

    def _role_policy(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        policy = inputs.get("name") or f"{name}-{_suffix(name)}"
        return f"{inputs['role']}:{policy}", {"name": policy}

    def _function(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        function = inputs["name"]
        arn = self._arn("lambda", f"function:{function}")
        return function, {
            "arn": arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "invokeArn": (
                f"arn:{PARTITION}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
                f"{arn}/invocations"
            ),
            "version": "$LATEST",
        }

    def _event_source_mapping(
        self, name: str, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        mapping = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        return mapping, {
            "uuid": mapping,
            "arn": self._arn("lambda", f"event-source-mapping:{mapping}"),
            "functionArn": inputs["functionName"],
            "state": "Enabled",
        }

    def _queue(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        queue = inputs["name"]
        url = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{queue}"
        return url, {"arn": self._arn("sqs", queue), "url": url}

    def _state_machine(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self._arn("states", f"stateMachine:{inputs['name']}")
        return arn, {"arn": arn, "status": "ACTIVE"}

    def _topic(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self._arn("sns", inputs["name"])
        return arn, {"arn": arn}

    def _subscription(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = f"{inputs['topic']}:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
        return arn, {"arn": arn}

    def _alarm(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return inputs["name"], {"arn": self._arn("cloudwatch", f"alarm:{inputs['name']}")}

    def _metric_filter(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return inputs["name"], {}

    def _dashboard(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        dashboard = inputs["dashboardName"]
        return dashboard, {
            "dashboardArn": self._arn("cloudwatch", f"dashboard/{dashboard}", region=False)
        }

    # analytics (Glue, Athena)

    def _glue_database(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        database = inputs["name"]
        return f"{self.account_id}:{database}", {
            "arn": self._arn("glue", f"database/{database}"),
            "catalogId": self.account_id,
        }

    def _glue_table(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        database, table = inputs["databaseName"], inputs["name"]
        return f"{self.account_id}:{database}:{table}", {
            "arn": self._arn("glue", f"table/{database}/{table}"),
            "catalogId": self.account_id,
        }

    def _table_optimizer(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        catalog, database = inputs["catalogId"], inputs["databaseName"]
        return f"{catalog},{database},{inputs['tableName']},{inputs['type']}", {}

    def _firehose_stream(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = self._arn("firehose", f"deliverystream/{inputs['name']}")
        return arn, {"arn": arn, "versionId": "1"}

    def _log_stream(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group, stream = inputs["logGroupName"], inputs["name"]
        return stream, {"arn": self._arn("logs", f"log-group:{group}:log-stream:{stream}")}

    def _athena_workgroup(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        workgroup = inputs["name"]
        return workgroup, {"arn": self._arn("athena", f"workgroup/{workgroup}")}

    def _named_query(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name)), {}

    def _secret(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # Secrets Manager appends "-" and six random characters to a secret's name in its ARN
        arn = self._arn("secretsmanager", f"secret:{inputs['name']}-{_suffix(name, 6)}")
        return arn, {"arn": arn}

    def _secret_version(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        version = str(uuid.UUID(_suffix(name, 32)))
        return f"{inputs['secretId']}|{version}", {"versionId": version, "arn": inputs["secretId"]}

    def _iam_policy(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        policy = inputs.get("name") or f"{name}-{_suffix(name)}"
        arn = self._arn("iam", f"policy/{policy}", region=False)
        return arn, {"arn": arn, "name": policy, "policyId": f"ANPA{_suffix(name, 16).upper()}"}

    # entry points (HTTP API, EventBridge)

    def _http_api(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        api_id = _suffix(name, 10)
        return api_id, {
            "arn": f"arn:{PARTITION}:apigateway:{self.region}::/apis/{api_id}",
            "apiEndpoint": f"https://{api_id}.execute-api.{self.region}.amazonaws.com",
            "executionArn": self._arn("execute-api", api_id),
        }

    def _api_child(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return _suffix(name), {}

    def _api_stage(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        api_id, stage = inputs["apiId"], inputs["name"]
        base = f"https://{api_id}.execute-api.{self.region}.amazonaws.com/"
        return stage, {
            "arn": f"arn:{PARTITION}:apigateway:{self.region}::/apis/{api_id}/stages/{stage}",
            "invokeUrl": base if stage == "$default" else f"{base}{stage}",
            "executionArn": self._arn("execute-api", f"{api_id}/{stage}"),
        }

    def _event_bus(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bus = inputs["name"]
        return bus, {"arn": self._arn("events", f"event-bus/{bus}")}

    def _event_rule(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        bus = inputs.get("eventBusName") or "default"
        path = inputs["name"] if bus == "default" else f"{bus}/{inputs['name']}"
        return f"{bus}|{inputs['name']}", {"arn": self._arn("events", f"rule/{path}")}

    def _event_target(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return f"{inputs.get('eventBusName', 'default')}-{inputs['rule']}-{inputs['targetId']}", {}

    def _queue_policy(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(inputs["queueUrl"]), {}


@dataclass(frozen=True)
class Request:
    """One RegisterResource request as the engine receives it (the URN the mock monitor made)."""

    urn: str
    typ: str
    name: str
    parent: str
    custom: bool
    dependencies: tuple[str, ...]
    aliases: tuple[Any, ...]  # pulumi.runtime.proto.alias_pb2.Alias
    inputs: dict[str, Any]


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, keeping what `Mocks.new_resource` is not told: the parent, the
    aliases and the dependencies of every registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method, by its name
        response = super().RegisterResource(request)
        inputs = (
            {}
            if request.type == "pulumi:pulumi:Stack"
            else rpc.deserialize_properties(request.object)
        )
        with self._lock:
            self.requests.append(
                Request(
                    urn=response.urn,
                    typ=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=request.custom,
                    dependencies=tuple(request.dependencies),
                    aliases=tuple(request.aliases),
                    inputs=dict(inputs),
                )
            )
        return response


def stack_config(stack: str) -> dict[str, str]:
    """Fully qualified config of a stack, read the way the harness reads it."""
    return load_stack_config(PROJECT_ROOT / f"Pulumi.{stack}.yaml")


@dataclass
class ProgramRun:
    mocks: PipelineMocks
    monitor: RecordingMonitor
    exports: dict[str, Any] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict)

    def find(self, typ: str, name: str) -> Registration:
        return self.mocks.find(typ, name)

    def of_type(self, typ: str) -> list[Registration]:
        return self.mocks.of_type(typ)


def _settle(build: Callable[[], Any]) -> Any:
    """Run ``build`` (which creates resources under the mocks) and return the value of what it
    returns once EVERY registration has finished.

    A check inside ``Output.all(...).apply(...)`` runs as soon as those outputs resolve, which can
    be before a resource they do not depend on (a bucket policy created after its bucket's
    protections, a second state machine) is registered: such a check races the program. Here the
    value is taken inside ``@pulumi.runtime.test``, which waits for every RPC, and the caller
    asserts afterwards on plain values and on the complete registrations.
    """
    box: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        return pulumi.Output.from_input(build()).apply(lambda value: box.update(value=value))

    program()
    return box["value"]


@pytest.fixture(autouse=True, scope="session")
def event_loop_for_pulumi() -> None:
    ensure_event_loop()


@pytest.fixture
def settle() -> Callable[[Callable[[], Any]], Any]:
    """``settle(build)``: ``build()``'s value once every registration has finished (see _settle)."""
    return _settle


@pytest.fixture
def mocks() -> Iterator[PipelineMocks]:
    """Fresh mocks for a component test; config is cleared afterwards."""
    instance = PipelineMocks()
    pulumi.runtime.set_mocks(instance, project=PROJECT, stack="test", preview=False)
    yield instance
    pulumi.runtime.set_all_config({})


def run_program(stack: str, overrides: dict[str, str] | None = None) -> ProgramRun:
    """Run `__main__.py` fresh under `PipelineMocks` with a stack's config; returns a ProgramRun.

    The program runs inside `@pulumi.runtime.test`, which waits for every registration; the exported
    outputs are resolved, so tests assert on plain values afterwards. The config stays set.
    """
    config = stack_config(stack) | (overrides or {})
    mocks = PipelineMocks(region=config["aws:region"])
    deployment = ProgramRun(mocks, RecordingMonitor(mocks))
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=False, monitor=deployment.monitor
    )
    pulumi.runtime.set_all_config(config)
    exported: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        deployment.namespace = runpy.run_path(str(PROJECT_ROOT / "__main__.py"))
        return pulumi.Output.all(**exported).apply(deployment.exports.update)

    original_export = pulumi.export
    pulumi.export = exported.__setitem__
    try:
        program()
    finally:
        pulumi.export = original_export
    return deployment


@pytest.fixture
def deploy() -> Iterator[Callable[..., ProgramRun]]:
    """`deploy(stack, overrides=None)`: `run_program`, fresh on every call; config is cleared
    afterwards."""
    yield run_program
    pulumi.runtime.set_all_config({})


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], ProgramRun]:
    """`stack_run(stack)`: one `run_program(stack)` (the stack's own config, no overrides) per
    worker, shared by every test that asks for it — for tests that only look at the registrations
    and exports (they must not change them). A test that changes the environment of the program,
    or needs overrides, takes `deploy`."""
    runs: dict[str, ProgramRun] = {}

    def run(stack: str) -> ProgramRun:
        if stack not in runs:
            runs[stack] = run_program(stack)
            pulumi.runtime.set_all_config({})
        return runs[stack]

    return run
