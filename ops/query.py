"""``ops query``: one user's timeline from the events table, newest first.

``--since``/``--until`` (ops.times) are normalized to the table's UTC millisecond form, so the range
is a key condition on the sort key (`<time>#<event_id>`), both ends inclusive. Pages are followed
through ``LastEvaluatedKey`` until ``--limit`` items are read.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from handlers.keys import SK_SEPARATOR
from handlers.times import format_time
from ops.commands import Command, CommandError, emit, positive_int
from ops.table import text_table
from ops.target import Target
from ops.times import add_time_range, parse_time

DESCRIPTION = """\
One user's timeline: the stored events of USER_ID, newest first.

--since and --until bound the events' event_time, both ends included. Times are
RFC 3339 with an offset (2025-11-20T09:00:05Z), a UTC day, hour or minute
(2025-11-20, 2025-11-20T09, 2025-11-20T09:30), or epoch seconds or
milliseconds."""
MAX_KEY_BYTES = 2048
COLUMNS = ("occurred_at", "action", "event_id", "page", "session_id", "late")
# Every SK of one millisecond is `<time>#<event_id>`; '$' sorts right after '#'.
_AFTER_SEPARATOR = chr(ord(SK_SEPARATOR) + 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user_id", metavar="USER_ID")
    add_time_range(parser, "earliest event_time", "latest event_time", required=False)
    parser.add_argument(
        "--limit", type=positive_int, default=50, metavar="N", help="most items to print (50)"
    )


def normalize_bound(value: str) -> str:
    """A command-line time as the table's `YYYY-MM-DDTHH:MM:SS.sssZ`; TimeError otherwise."""
    return format_time(parse_time(value))


def key_condition(
    user_id: str, since: str | None, until: str | None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    # A partition key value is 1 to 2,048 bytes (DynamoDB developer guide, Constraints, "Partition
    # key length"): DynamoDB refuses any other with a ValidationException; no item has one.
    if not user_id:
        raise CommandError("USER_ID is empty: every stored event has a user_id")
    if len(user_id.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise CommandError(f"USER_ID is over {MAX_KEY_BYTES} bytes: no stored event has one")
    names = {"#pk": "user_id"}  # DynamoDB refuses names the expression does not use
    values: dict[str, Any] = {":u": {"S": user_id}}
    condition = "#pk = :u"
    low = normalize_bound(since) if since else None
    high = normalize_bound(until) + _AFTER_SEPARATOR if until else None
    if low or high:
        names["#sk"] = "event_time"
    if low and high:
        if low > high:
            raise CommandError("--since is after --until")
        condition += " AND #sk BETWEEN :low AND :high"
        values |= {":low": {"S": low}, ":high": {"S": high}}
    elif low:
        condition += " AND #sk >= :low"
        values[":low"] = {"S": low}
    elif high:
        condition += " AND #sk <= :high"
        values[":high"] = {"S": high}
    return condition, names, values


def timeline(
    ddb: Any, table: str, user_id: str, since: str | None, until: str | None, limit: int
) -> list[dict[str, Any]]:
    condition, names, values = key_condition(user_id, since, until)
    deserializer = TypeDeserializer()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
    }
    while len(items) < limit:
        page = ddb.query(**kwargs, Limit=min(limit - len(items), 100))
        items += [{k: deserializer.deserialize(v) for k, v in i.items()} for i in page["Items"]]
        if not page.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items[:limit]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def format_items(items: list[dict[str, Any]]) -> str:
    return text_table(COLUMNS, ([_plain(item.get(c)) for c in COLUMNS] for item in items))


def run(args: argparse.Namespace, target: Target) -> int:
    items = timeline(
        target.client("dynamodb"),
        target.table_name,
        args.user_id,
        _bound(args.since),
        _bound(args.until),
        args.limit,
    )
    emit(args, [_plain(item) for item in items], lambda: format_items(items))
    if not args.json:
        print(f"({len(items)} item(s), newest first)", file=sys.stderr)
    return 0


def _bound(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


COMMAND = Command("query", "a user's timeline, newest first", DESCRIPTION, add_arguments, run)
