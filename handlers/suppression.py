"""Suppressed users (pure): salted user hashes, the user ids a raw line names, content-free markers.

A suppressed user is known only by `user_hash(salt, user_id)`, the HMAC-SHA256 of the id under the
stack's salt, so the suppression list never holds an id in clear. Ingest hashes the user ids each
line names and writes the line of a suppressed user's event as a marker that holds only the hash of
the line as received and its index; Process rejects a marker `suppressed_user` (handlers.rawlines).
`ops forget` replaces an erased user's raw lines with markers of its own (`erased_user`, the index
only), so the other lines keep their positions (the items' `raw_index`).

A line names a user id when it is JSON (as Process reads it, or last-wins where a key repeats) with
a string `user_id` at any depth, or a JSON string whose text is such JSON (a record that was not
an event). A text that is no JSON names nothing Ingest can see; `ops forget` finds such a text by
the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any, Final

from handlers.jsontext import too_deep
from handlers.limits import MAX_INPUT_DEPTH
from handlers.reasons import ERASED_USER, SUPPRESSED_USER

USER_ID: Final = "user_id"
MARKERS: Final = (SUPPRESSED_USER, ERASED_USER)


def user_hash(salt: bytes, user_id: str) -> str:
    """64 hex chars: HMAC-SHA256 of the user id's UTF-8 under the salt."""
    return hmac.new(salt, user_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == USER_ID and isinstance(item, str):
                found.add(item)
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _pairs(found: set[str]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        for key, value in pairs:  # every value of a repeated key, not only the last
            if key == USER_ID and isinstance(value, str):
                found.add(value)
        return dict(pairs)

    return hook


def user_ids(line: str) -> set[str]:
    """Every string `user_id` the line's JSON holds, at any depth, in any repetition of the key;
    for a JSON string line, those of the JSON text it holds. Nothing for a text that is no JSON
    or nests deeper than the pipeline reads."""
    found: set[str] = set()
    text = line
    for _ in range(2):  # the line, then the text a string line holds
        if too_deep(text, MAX_INPUT_DEPTH):
            return found
        try:
            value = json.loads(text, object_pairs_hook=_pairs(found))
        except ValueError:  # not JSON, or an integer literal over int()'s limit
            return found
        if not isinstance(value, str):
            _collect(value, found)
            return found
        text = value
    return found


def line_hash(line: str) -> str:
    """The marker's id of a line: the first 32 hex chars of sha256 over its UTF-8."""
    return hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def suppressed_marker(line: str, index: int) -> str:
    return json.dumps({SUPPRESSED_USER: line_hash(line), "index": index}, separators=(",", ":"))


def erased_marker(index: int) -> str:
    return json.dumps({ERASED_USER: True, "index": index}, separators=(",", ":"))


def marker_reason(value: Any) -> str | None:
    """The reason of a marker line's value (`suppressed_user`, `erased_user`), else None."""
    if not isinstance(value, dict) or len(value) != 2 or type(value.get("index")) is not int:
        return None
    for reason in MARKERS:
        if reason in value:
            return reason
    return None


def suppress(
    lines: list[str], names: list[set[str]], hashes: dict[str, str], suppressed: Iterable[str]
) -> tuple[list[str], int]:
    """(the lines with every line naming a suppressed user as a marker, how many).

    `names` holds each line's user_ids(); `hashes` maps each of those ids to its user_hash;
    `suppressed` the hashes found on the suppression list."""
    listed = set(suppressed)
    result: list[str] = []
    count = 0
    for index, (line, users) in enumerate(zip(lines, names, strict=True)):
        if any(hashes[user] in listed for user in users):
            result.append(suppressed_marker(line, index))
            count += 1
        else:
            result.append(line)
    return result, count
