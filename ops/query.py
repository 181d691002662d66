"""``query USER_ID``: one user's timeline from the events table, newest first.

``--since``/``--until`` take the same forms as ``event_time`` (RFC 3339 with an offset, or epoch
seconds/milliseconds) and are normalized to the table's UTC millisecond form, so the range is a
key condition on the sort key (`<time>#<event_id>`), both ends inclusive. Pages are followed
through ``LastEvaluatedKey`` until ``--limit`` items are read.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from handlers.keys import SK_SEPARATOR
from handlers.times import EventTimeError, format_time, parse_event_time
from ops.table import text_table
from ops.target import Target

COLUMNS = ("occurred_at", "action", "event_id", "page", "session_id", "late")
# Every SK of one millisecond is `<time>#<event_id>`; '$' sorts right after '#'.
_AFTER_SEPARATOR = chr(ord(SK_SEPARATOR) + 1)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "query", help="a user's timeline, newest first", description=__doc__
    )
    parser.add_argument("user_id", metavar="USER_ID")
    parser.add_argument("--since", help="earliest event_time (inclusive)")
    parser.add_argument("--until", help="latest event_time (inclusive)")
    parser.add_argument("--limit", type=int, default=50, help="most items to print (50)")
    parser.add_argument("--json", action="store_true", help="print the items as JSON lines")
    parser.set_defaults(func=run)


def normalize_bound(value: str) -> str:
    """A CLI time as the table's `YYYY-MM-DDTHH:MM:SS.sssZ`; ValueError when it is not a time."""
    text = value.strip()
    parsed: Any = text
    try:
        number = json.loads(text)
    except json.JSONDecodeError:
        pass
    else:
        if isinstance(number, int | float) and not isinstance(number, bool):
            parsed = number
    try:
        return format_time(parse_event_time(parsed))
    except EventTimeError as exc:
        raise ValueError(f"{value!r} is not a time: {exc}") from None


def key_condition(
    user_id: str, since: str | None, until: str | None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    names = {"#pk": "user_id"}  # DynamoDB refuses names the expression does not use
    values: dict[str, Any] = {":u": {"S": user_id}}
    condition = "#pk = :u"
    low = normalize_bound(since) if since else None
    high = normalize_bound(until) + _AFTER_SEPARATOR if until else None
    if low or high:
        names["#sk"] = "event_time"
    if low and high:
        if low > high:
            raise ValueError("--since is after --until")
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
    if args.limit < 1:
        print("error: --limit must be >= 1", file=sys.stderr)
        return 2
    try:
        items = timeline(
            target.client("dynamodb"),
            target.table_name,
            args.user_id,
            args.since,
            args.until,
            args.limit,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: {error.get('Code')}: {error.get('Message')}", file=sys.stderr)
        return 1
    if args.json:
        for item in items:
            print(json.dumps(_plain(item), sort_keys=True))
    else:
        print(format_items(items))
        print(f"({len(items)} item(s), newest first)", file=sys.stderr)
    return 0
