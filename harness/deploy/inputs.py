"""What every resource creator shares: its signature, auto-naming, the S3 API's wire shape.

A creator receives the emulator, the resource's logical name and its inputs (camelCase wire names,
as Pulumi mocks deliver them) and returns ``(physical id, state)``, where state holds the outputs
the real provider would compute (ARN, name, URL …). Every creator calls the emulator's API with the
harness admin credentials.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

State = dict[str, Any]
Creator = Callable[[Any, str, dict[str, Any]], tuple[str, State]]  # (emulator, name, inputs)

_SPECIAL_KEYS = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}


def pascal(value: Any) -> Any:
    """camelCase wire shape -> the PascalCase shape of the S3 API."""
    if isinstance(value, list):
        return [pascal(v) for v in value]
    if isinstance(value, dict):
        return {_SPECIAL_KEYS.get(k, k[:1].upper() + k[1:]): pascal(v) for k, v in value.items()}
    return value


def auto_name(name: str, inputs: dict[str, Any], key: str, prefix_key: str | None = None) -> str:
    """The explicit name, else ``<prefix><random>`` as the provider's auto-naming would give."""
    if inputs.get(key):
        return str(inputs[key])
    prefix = inputs.get(prefix_key) if prefix_key else None
    return f"{prefix or name + '-'}{secrets.token_hex(4)}"


def tags(inputs: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}
