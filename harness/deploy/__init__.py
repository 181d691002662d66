"""Deploy the Pulumi program into the emulator: ``__main__.py`` under the emulator's Pulumi mocks.

``deploy`` runs the program for a stack with every resource created in the emulator
(``harness.deploy.mocks``: one creator per type in ``harness.deploy.registry``, the names checked by
``harness.deploy.rules``) and returns the ``Deployment``: the stack's outputs and a record of every
registration. ``Deployment.as_target()`` is how ops reaches it.
"""

from __future__ import annotations

import asyncio
import runpy
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.builders.settings import CONFIG_KEYS
from harness.deploy.mocks import PROJECT, EmulatorMocks, ResourceRecord
from harness.emulator import REPO_ROOT, Emulator
from ops.target import Target


@dataclass
class Deployment:
    stack: str
    emulator: Emulator
    outputs: dict[str, Any]
    records: list[ResourceRecord] = field(default_factory=list)

    def find(self, typ: str, name: str | None = None) -> ResourceRecord:
        matches = [x for x in self.records if x.type == typ and (name is None or x.name == name)]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} records of {typ} named {name!r}")
        return matches[0]

    def of_type(self, typ: str) -> list[ResourceRecord]:
        return [x for x in self.records if x.type == typ]

    def client(self, service: str) -> Any:
        return self.emulator.client(service)

    def as_target(self) -> Target:
        """This deployment as an ops Target, reached in-process with the admin credentials."""
        admin = self.emulator.admin
        return Target.for_emulator(
            self.outputs,
            region=self.emulator.region,
            access_key_id=admin.access_key_id,
            secret_access_key=admin.secret_access_key,
        )


def ensure_event_loop() -> None:
    """Give this thread an event loop if it has none.

    Pulumi's runtime creates futures outside a running loop and counts on asyncio to make the
    thread's loop implicitly, which Python 3.12 deprecated ("There is no current event loop").
    """
    policy = asyncio.get_event_loop_policy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            policy.get_event_loop()
        except (DeprecationWarning, RuntimeError):  # none yet (main thread / other threads)
            policy.set_event_loop(policy.new_event_loop())


def stack_config(stack: str, root: Path = REPO_ROOT) -> dict[str, str]:
    from components.builders.settings import load_stack_config

    return load_stack_config(root / f"Pulumi.{stack}.yaml")


def deploy(
    emulator: Emulator,
    stack: str = "dev",
    root: Path = REPO_ROOT,
    overrides: dict[str, str] | None = None,
    config_from: str | None = None,
) -> Deployment:
    """Run ``__main__.py`` for ``stack`` with every resource created in ``emulator``.

    ``overrides`` replace or add stack config values, keyed as in ``Pulumi.<stack>.yaml``
    (``activity-pipeline:workflowType``) — e.g. to deploy an EXPRESS workflow; a key the program
    does not read is refused. ``config_from``
    names the stack whose ``Pulumi.<stack>.yaml`` to read instead (a stack name of its own, the
    configuration of another). The config of a previous deploy in this process is replaced.
    """
    ensure_event_loop()
    mocks = EmulatorMocks(emulator)
    SETTINGS.rpc_manager.clear()  # a previous failed deploy may have left RPCs behind
    SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    config = stack_config(config_from or stack, root)
    known = set(config) | {f"{PROJECT}:{key}" for key in CONFIG_KEYS}
    unknown = sorted(set(overrides or {}) - known)
    if unknown:
        raise KeyError(f"overrides name keys the program does not read: {unknown}")
    pulumi.runtime.set_all_config(config | (overrides or {}))
    exports: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    original_export = pulumi.export

    def capture(name: str, value: Any) -> None:
        exports[name] = value

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        values: dict[str, Any] | None = _sync_await(pulumi.Output.from_input(exports).future())
        resolved.update(values or {})

    pulumi.export = capture
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        pulumi.export = original_export
    return Deployment(stack, emulator, resolved, mocks.records)
