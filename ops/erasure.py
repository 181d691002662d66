"""What `ops forget` erases (pure): which lines of a layer's object are a user's, the object
rewritten without them, the request's ids, its progress record and its receipt.

A raw line (`ingest/`) is a user's when its JSON names the user id as a `user_id`, at any depth
and in any repetition (handlers.suppression.user_ids, the reading Ingest suppresses by); a line
whose JSON does not parse — a text received that was no event — is a user's when it holds the id
as a JSON string token (`"<id>"`, written as JSON writes it, or escaped once more inside a string
line). A rejected record (`rejected/`, conflicts included) is a user's when its `event` is. A raw
line is replaced by the content-free `erased_user` marker (so every other line keeps its position,
which the items' `raw_index` names); a rejected record is dropped. The other lines stay byte for
byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from handlers.jsontext import too_deep
from handlers.keys import RAW_PREFIX, REJECTED_PREFIX
from handlers.limits import MAX_INPUT_DEPTH
from handlers.suppression import erased_marker, user_ids

ERASURE_PREFIX: Final = "erasure/"
RECEIPTS_PREFIX: Final = f"{ERASURE_PREFIX}receipts/"
PROGRESS_PREFIX: Final = f"{ERASURE_PREFIX}progress/"
LAYER_PREFIXES: Final = {"raw": RAW_PREFIX, "rejected": REJECTED_PREFIX}
# The layers ops forget erases: the items, the raw and rejected objects, and (when the stack has
# it) the curated Iceberg table's rows with the snapshots and files that held them.
LAYERS: Final = ("table", "raw", "rejected", "curated")
CURATED_STEPS: Final = ("settled", "deleted", "expired")


def layer_of(key: str) -> str:
    for layer, prefix in LAYER_PREFIXES.items():
        if key.startswith(prefix):
            return layer
    raise ValueError(f"{key!r} is in no layer ops forget erases")


def _parses(text: str) -> bool:
    """Whether the text is JSON the pipeline reads (a string line: the text it holds too)."""
    for _ in range(2):
        if too_deep(text, MAX_INPUT_DEPTH):
            return False
        try:
            value = json.loads(text)
        except ValueError:
            return False
        if not isinstance(value, str):
            return True
        text = value
    return True


def tokens(users: Iterable[str]) -> set[str]:
    """The forms a user id takes as a JSON string token in a text that is not JSON."""
    found: set[str] = set()
    for user in users:
        for token in (json.dumps(user, ensure_ascii=False), json.dumps(user)):
            found.add(token)
            found.add(json.dumps(token)[1:-1])  # inside a string line: escaped once more
    return found


@dataclass(frozen=True)
class Users:
    """The user ids of one request, and their tokens (computed once)."""

    ids: frozenset[str]
    forms: frozenset[str] = field(default=frozenset())

    @classmethod
    def of(cls, ids: Iterable[str]) -> Users:
        chosen = frozenset(ids)
        return cls(chosen, frozenset(tokens(chosen)))

    def text_is_theirs(self, text: str) -> bool:
        if user_ids(text) & self.ids:
            return True
        return not _parses(text) and any(form in text for form in self.forms)

    def record_is_theirs(self, line: str) -> bool:
        """A rejected record: its `event` (a value, or a text received) is theirs."""
        try:
            record = json.loads(line)
        except ValueError:
            return self.text_is_theirs(line)
        if not isinstance(record, dict) or "event" not in record:
            return self.text_is_theirs(line)
        event = record["event"]
        if isinstance(event, str):
            return self.text_is_theirs(event)
        return bool(user_ids(json.dumps(event)) & self.ids)


@dataclass(frozen=True)
class Rewrite:
    body: bytes
    removed: int  # lines of the user's replaced (raw) or dropped (rejected)


def rewrite(layer: str, body: bytes, users: Users) -> Rewrite:
    """The object without the users' lines; the other lines (and their order) byte for byte."""
    lines = body.split(b"\n")
    result: list[bytes] = []
    removed = 0
    index = 0  # as Process numbers lines: non-empty lines only (handlers.canonical)
    for raw in lines:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            result.append(raw)
            continue
        theirs = users.text_is_theirs(text) if layer == "raw" else users.record_is_theirs(text)
        if not theirs:
            result.append(raw)
        elif layer == "raw":
            result.append(erased_marker(index).encode())
            removed += 1
        else:
            removed += 1
        index += 1
    return Rewrite(b"\n".join(result), removed)


def request_set_id(user_hashes: Iterable[str]) -> str:
    """The progress record's name for a set of users (their hashes, in any order)."""
    joined = "\n".join(sorted(set(user_hashes)))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def progress_key(user_hashes: Iterable[str]) -> str:
    return f"{PROGRESS_PREFIX}{request_set_id(user_hashes)}.json"


def receipt_key(request_id: str) -> str:
    return f"{RECEIPTS_PREFIX}{request_id}.json"


@dataclass
class Progress:
    """One erasure request as far as it went: resumed by the next run for the same users."""

    request_id: str
    started_at: str
    user_hashes: list[str]
    suppressed: bool
    scanned: dict[str, int]  # objects and versions read to find the users' lines
    lineage_keys: list[str]  # raw keys the users' items named
    plan: list[str]  # keys of objects holding their lines (any version)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> its result
    items_deleted: int = 0
    items_done: bool = False
    items_deleted_at: float | None = None  # epoch seconds: the curated step waits from it
    curated: dict[str, Any] = field(default_factory=dict)  # steps done and counts; {} if absent

    def curated_counts(self) -> dict[str, Any]:
        """The curated layer's receipt entry: its counts, or `absent` with no curated table."""
        if not self.curated.get("present"):
            return {"status": "absent"}
        return {
            "rows_deleted": self.curated.get("rows_deleted", 0),
            "snapshots_expired": self.curated.get("snapshots_expired", 0),
            "files_deleted": self.curated.get("files_deleted", 0),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "started_at": self.started_at,
            "user_hashes": self.user_hashes,
            "suppressed": self.suppressed,
            "scanned": self.scanned,
            "lineage_keys": self.lineage_keys,
            "plan": self.plan,
            "done": self.done,
            "items_deleted": self.items_deleted,
            "items_done": self.items_done,
            "items_deleted_at": self.items_deleted_at,
            "curated": self.curated,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Progress:
        return cls(**value)

    def receipt(self, completed_at: str) -> dict[str, Any]:
        """Request id, times, the users' hashes, counts per layer, the objects rewritten."""
        layers: dict[str, dict[str, Any]] = {
            "table": {"items_deleted": self.items_deleted},
            **{
                layer: {"objects_rewritten": 0, "lines_removed": 0, "versions_deleted": 0}
                for layer in LAYER_PREFIXES
            },
            "curated": self.curated_counts(),
        }
        objects: list[dict[str, Any]] = []
        for key in self.plan:
            result = self.done[key]
            counts = layers[layer_of(key)]
            counts["lines_removed"] += result["lines_removed"]
            counts["versions_deleted"] += result["versions_deleted"]
            counts["objects_rewritten"] += 1 if result["rewritten"] else 0
            objects.append(
                {
                    "key": key,
                    "layer": layer_of(key),
                    "rewritten": result["rewritten"],
                    "lines_removed": result["lines_removed"],
                    "versions_deleted": result["versions_deleted"],
                }
            )
        return {
            "request_id": self.request_id,
            "started_at": self.started_at,
            "completed_at": completed_at,
            "user_hashes": self.user_hashes,
            "suppressed": self.suppressed,
            "layers": layers,
            "objects": objects,
            "scanned": self.scanned,
        }
