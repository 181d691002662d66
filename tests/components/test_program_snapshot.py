"""The deployed program, resource by resource, against a snapshot recorded from the program.

For dev and prod, every registration of `__main__.py` under PipelineMocks is recorded by its URN,
with its type, name, parent, custom flag, dependencies and inputs.
JSON text inputs (policy documents, state-machine definitions, the dashboard body, the event
pattern, the access-log format) are parsed, so key order is no difference; list order is.

A resource keeps its identity through a refactoring only by an alias (Pulumi: "Refactoring with
aliases"). A fresh registration is matched to the recorded URN it answers to the way the engine
matches state: its own URN, its aliases (pulumi-aws's type aliases too), and every child under
each URN its parent answers to (the SDK's `all_aliases` / `inherited_child_alias`, in
`pulumi.runtime.resource`). So renaming a component's type token with an alias keeps the
snapshot; renaming it without one does not.

The Lambda code archive is recorded as its shape (the `handlers` package, its files named by their
path inside it): which files it holds is handler code, checked by test_main_program.

A deliberate change to the program re-records the snapshot in the same commit:
`RECORD_PROGRAM_SNAPSHOT=1 .venv/bin/python -m pytest <this file>` writes the files (and fails, so
a recording run is never mistaken for a check); a resource recorded before keeps its recorded URN.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
HANDLERS = ROOT / "handlers"
STACK_TYPE = "pulumi:pulumi:Stack"
RECORD = os.environ.get("RECORD_PROGRAM_SNAPSHOT") == "1"

ProgramRun = Any  # conftest.ProgramRun (fixtures only: test modules do not import conftest)
Deploy = Callable[..., ProgramRun]


def _urn(stack: str, project: str, parent: str | None, typ: str, name: str) -> str:
    """A URN as the engine builds it: the parent's qualified type (none for the stack's own
    children), `$`, the type. (The mock monitor keeps only the parent's last type.)"""
    qualified = typ if parent is None else f"{parent.split('::')[2]}${typ}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def known_urns(requests: list[Any], stack: str, project: str) -> dict[str, list[str]]:
    """Registered URN -> every URN the resource answers to, its own first: its aliases
    (pulumi-aws's type aliases too) and, for every URN its parent answers to, the same under
    that parent."""
    known: dict[str, list[str]] = {}
    for request in requests:  # a parent registers before its children
        if request.typ == STACK_TYPE:
            continue
        on_stack = not request.parent or request.parent.split("::")[2] == STACK_TYPE
        parents: list[str | None] = [None] if on_stack else list(known[request.parent])
        parent_name = "" if on_stack else request.parent.rsplit("::", 1)[1]
        urns = [_urn(stack, project, parents[0], request.typ, request.name)]
        forms: list[tuple[str, str, str | None, bool]] = [(request.typ, request.name, None, False)]
        for alias in request.aliases:
            if alias.HasField("urn"):
                urns.append(alias.urn)
                continue
            spec = alias.spec
            forms.append(
                (spec.type or request.typ, spec.name or request.name, spec.parentUrn, spec.noParent)
            )
        for typ, name, own_parent, no_parent in forms:
            if no_parent or own_parent:
                urns.append(_urn(stack, project, own_parent or None, typ, name))
                continue
            for parent in parents:
                child = name
                if parent is not None and name.startswith(parent_name):
                    # `{parent}-…` follows the parent's aliased name (inherited_child_alias)
                    child = parent.rsplit("::", 1)[1] + name[len(parent_name) :]
                urns.append(_urn(stack, project, parent, typ, child))
        known[request.urn] = list(dict.fromkeys(urns))
    return known


def state_urn(urns: list[str], recorded: Any) -> str:
    """The one URN the recorded state holds for a resource (its own URN when it is new)."""
    held = [urn for urn in urns if urn in recorded]
    if len(held) > 1:
        raise AssertionError(f"{urns[0]} answers to several recorded resources: {held}")
    return held[0] if held else urns[0]


def normalize(value: Any, where: str) -> Any:
    """Plain JSON for a snapshot: JSON text parsed (`{"$json": ...}`), assets by path."""
    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                return {"$json": normalize(json.loads(value), where)}
            except json.JSONDecodeError:
                return value
        return value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: normalize(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, pulumi.AssetArchive):
        if _is_handlers_package(value):
            return {"$archive": "the handlers package: its .py and .json files by their path"}
        return {"$archive": {key: normalize(item, where) for key, item in value.assets.items()}}
    if isinstance(value, pulumi.FileAsset):
        return {"$file": Path(str(value.path)).resolve().relative_to(ROOT).as_posix()}
    if isinstance(value, pulumi.StringAsset):
        return {"$string": value.text}
    raise TypeError(f"{where}: no snapshot form for {type(value).__name__}")


def _is_handlers_package(archive: pulumi.AssetArchive) -> bool:
    return bool(archive.assets) and all(
        isinstance(asset, pulumi.FileAsset)
        and Path(str(asset.path)).resolve() == (HANDLERS / key).resolve()
        for key, asset in archive.assets.items()
    )


def snapshot(deployment: ProgramRun, stack: str, recorded: Any = ()) -> dict[str, Any]:
    """The registrations by the URN ``recorded`` holds for each (their own URN if none)."""
    requests = list(deployment.monitor.requests)
    known = known_urns(requests, stack, "activity-pipeline")
    urns = {urn: state_urn(answers, recorded) for urn, answers in known.items()}
    resources: dict[str, Any] = {}
    for request in requests:
        if request.typ == STACK_TYPE:
            continue
        urn = urns[request.urn]
        if urn in resources:
            raise AssertionError(f"two resources answer to {urn}")
        qualified_type, name = urn.split("::")[2:4]
        resources[urn] = {
            "type": qualified_type.rsplit("$", 1)[-1],
            "name": name,
            "parent": urns.get(request.parent),  # None: the stack's own child
            "custom": request.custom,
            "dependencies": sorted(urns[dep] for dep in request.dependencies),
            "inputs": normalize(request.inputs, urn),
        }
    return dict(sorted(resources.items()))


def differences(recorded: Any, current: Any, where: str = "") -> list[str]:
    """Every path at which ``current`` differs from ``recorded``, down to the leaf."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        found = [f"gone: {where}{key!r}" for key in recorded if key not in current]
        found += [f"new: {where}{key!r}" for key in current if key not in recorded]
        for key in recorded.keys() & current.keys():
            found += differences(recorded[key], current[key], f"{where}{key!r} ")
        return sorted(found)
    if isinstance(recorded, list) and isinstance(current, list) and len(recorded) == len(current):
        return [
            line
            for i, (before, after) in enumerate(zip(recorded, current, strict=True))
            for line in differences(before, after, f"{where}[{i}] ")
        ]
    if recorded != current:
        return [f"changed: {where}\n  was {recorded!r}\n  now {current!r}"]
    return []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program_matches_the_recorded_snapshot(deploy: Deploy, stack: str) -> None:
    path = SNAPSHOTS / f"{stack}.json"
    if RECORD:
        # Resources already recorded keep the URN the state holds for them (through their
        # aliases), as the engine keeps it, so a re-recording never drops an alias's proof.
        before = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        current = snapshot(deploy(stack), stack, before)
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.fail(f"recorded {path.relative_to(ROOT)}; run again without RECORD_PROGRAM_SNAPSHOT")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    current = snapshot(deploy(stack), stack, recorded)
    found = differences(recorded, json.loads(json.dumps(current)))
    assert not found, "the program differs from its snapshot:\n" + "\n".join(found)


def test_snapshot_is_deterministic(deploy: Deploy) -> None:
    first = json.dumps(snapshot(deploy("dev"), "dev"), sort_keys=True)
    assert json.dumps(snapshot(deploy("dev"), "dev"), sort_keys=True) == first
