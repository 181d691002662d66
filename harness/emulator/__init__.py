"""The embedded AWS emulator: moto in-process, IAM enforced from the first request.

``Emulator`` starts ``mock_aws`` with the ASL interpreter on and Docker off, creates an admin IAM
user and access key directly in moto's IAM backend (the only credentials the harness uses), and
installs the moto patches in their one order (``harness.emulator.patches.in_order``). Everything is
restored on ``stop``.

It has a working directory (``work_dir``: a temporary one unless given, removed on ``stop``) for
what the harness keeps outside moto: the Iceberg catalog and warehouse (``harness.runtime.iceberg``)
that Firehose streams deliver into (``firehose``: ``harness.runtime.firehose``).

The caller's AWS environment never reaches it: while it runs, every ``AWS_*`` variable (a CLI
session's ``AWS_ENDPOINT_URL``, keys, ``AWS_CA_BUNDLE``, ``AWS_PROFILE`` …) is set aside and the
shared config and credentials files are ``os.devnull``, so the emulator's clients, the functions'
and the state machine's all talk to the emulator alone; ``stop`` puts the environment back.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from harness.emulator import patches
from harness.emulator.credentials import Credentials
from harness.emulator.faults import FaultConfig, FaultInjector
from harness.emulator.patches.events import StateMachineTargets
from harness.runtime import LambdaRuntime
from harness.runtime import firehose as delivery
from harness.runtime.event_sources import SqsEventSources
from harness.runtime.iceberg import Warehouse

REGION = "us-east-1"
ADMIN_USER = "harness-admin"
REPO_ROOT = Path(__file__).resolve().parents[2]
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
_CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"})


@contextmanager
def without_caller_aws_environment() -> Iterator[None]:
    """Every ``AWS_*`` variable set aside, the shared config and credentials files empty."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    for name in saved:
        del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    try:
        yield
    finally:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            del os.environ[name]
        os.environ.update(saved)


class RoleNotAssumable(Exception):
    """The role's trust policy does not let the AWS service assume it."""


class Emulator:
    """One at a time per process: moto's backends and the patches are process-global."""

    region = REGION
    account_id = DEFAULT_ACCOUNT_ID
    _active: Emulator | None = None

    def __init__(
        self,
        *,
        retry_time_scale: float = 1.0,
        repo_root: Path = REPO_ROOT,
        faults: FaultConfig | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self.retry_time_scale = retry_time_scale
        self._own_work_dir = work_dir is None
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="harness-emulator-"))
        self.runtime = LambdaRuntime(self, repo_root)
        # Injected throttling/5xx/timeouts (harness.emulator.faults); None injects nothing.
        self.faults = FaultInjector(faults) if faults is not None else None
        self.runtime.faults = self.faults
        self.endpoint_url: str | None = None
        self._stack = ExitStack()
        self._session: boto3.session.Session | None = None  # made once the environment is clean
        self._lock = threading.RLock()
        self._clients: dict[tuple[str, Credentials, str | None], Any] = {}
        self._role_credentials: dict[tuple[str, str], Credentials] = {}
        self._admin: Credentials | None = None
        # EventBridge rules that target the state machine (harness.emulator.patches.events)
        self.event_targets = StateMachineTargets(
            self.assume_role, self.client, self.account_id, self.region
        )
        # SQS event-source mappings and their pollers (harness.runtime.event_sources)
        self.event_sources = SqsEventSources(self)
        # Iceberg tables (pyiceberg, sqlite catalog) and the Firehose streams delivering into them
        self.warehouse = Warehouse(self.work_dir / "iceberg")
        self.firehose = delivery.DeliveryStreams(self, self.warehouse)

    def start(self) -> Emulator:
        if Emulator._active is not None:
            raise RuntimeError("another Emulator is running in this process; stop it first")
        Emulator._active = self
        try:
            self._stack.enter_context(without_caller_aws_environment())
            self._stack.enter_context(mock_aws(config=MOTO_CONFIG))
            self._session = boto3.session.Session()
            self._admin = self._create_admin()
            for patch in patches.in_order(
                faults=self.faults,
                runtime=self.runtime,
                state_machine_client=self.state_machine_client,
                retry_time_scale=self.retry_time_scale,
                event_targets=self.event_targets,
                event_sources=self.event_sources,
                delivery_streams=self.firehose,
            ):
                self._stack.enter_context(patch)
        except BaseException:
            self._stack.close()
            Emulator._active = None
            raise
        return self

    def stop(self) -> None:
        self.firehose.stop()
        self._clients.clear()
        self._role_credentials.clear()
        self._stack.close()
        Emulator._active = None
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def admin(self) -> Credentials:
        if self._admin is None:
            raise RuntimeError("emulator not started")
        return self._admin

    def _create_admin(self) -> Credentials:
        iam = iam_backends[self.account_id]["aws"]
        iam.create_user(region_name=self.region, user_name=ADMIN_USER, path="/", tags=[])
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        iam.put_user_policy(ADMIN_USER, "administrator", json.dumps(policy))
        key = iam.create_access_key(ADMIN_USER)
        return Credentials(key.access_key_id, key.secret_access_key)

    def assume_role(self, role_arn: str, principal_service: str) -> Credentials:
        """Credentials of ``role_arn`` as the AWS service ``principal_service`` gets them.

        The service (not the harness user) assumes the role, so this goes through the STS backend,
        after checking that the role's trust policy allows that service.
        """
        with self._lock:
            cached = self._role_credentials.get((role_arn, principal_service))
            if cached is not None:
                return cached
            role = iam_backends[self.account_id]["aws"].get_role_by_arn(role_arn)
            if not trusts_service(role.assume_role_policy_document, principal_service):
                raise RoleNotAssumable(f"{role_arn} cannot be assumed by {principal_service}")
            assumed = sts_backends[self.account_id]["aws"].assume_role(
                region_name=self.region,
                role_session_name=principal_service.split(".")[0],
                role_arn=role_arn,
                policy="",
                duration=3600,
                external_id="",
            )
            credentials = Credentials(
                assumed.access_key_id, assumed.secret_access_key, assumed.session_token
            )
            self._role_credentials[(role_arn, principal_service)] = credentials
            return credentials

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        """A boto3 client for the emulator; admin credentials unless others are given."""
        creds = credentials or self.admin
        key = (service, creds, self.endpoint_url)
        with self._lock:
            if key not in self._clients:
                if self._session is None:
                    raise RuntimeError("emulator not started")
                self._clients[key] = self._session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=_CLIENT_CONFIG,
                    **creds.as_client_kwargs(),
                )
            return self._clients[key]

    def role_client(
        self, role_arn: str, service: str, principal: str = "lambda.amazonaws.com"
    ) -> Any:
        return self.client(service, self.assume_role(role_arn, principal))

    def state_machine_client(self, role_arn: str, service: str, region: str) -> Any:
        """A client with the credentials of ``role_arn`` as Step Functions assumes it."""
        return self.client(service, self.assume_role(role_arn, "states.amazonaws.com"))


def trusts_service(document: str | dict[str, Any], service: str) -> bool:
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principals = (statement.get("Principal") or {}).get("Service", [])
        principals = [principals] if isinstance(principals, str) else principals
        if (
            statement.get("Effect") == "Allow"
            and "sts:AssumeRole" in actions
            and service in principals
        ):
            return True
    return False
