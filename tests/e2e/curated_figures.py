"""The analytics figures worked out in Python, independently of the SQL that Athena and DuckDB run.

- `curated_figures`: every named query on the curated table, from the DynamoDB table's items (the
  curated truth: valid events only, once each, normalized as Process normalizes them). Days are
  the UTC days of the stored `occurred_at`, weeks start on Monday, a
  session is every item of one `session_id` (its length: seconds from its first to its last
  event, to the millisecond the items keep — the SQL counts milliseconds, which Trino's and
  DuckDB's `date_diff` count alike, where their 'second' differ on fractions), the median of an
  odd number of sessions is the middle one.
- `raw_figures`: the contrast queries on the raw layer, from the raw objects' lines: events as
  received, identical rows of one partition day once, "day" the raw partition's, the action
  normalized as the SQL does (components/builders/analytics_sql.py, `normalized_action_sql`),
  rejected events included.
- `rejected_figures`: `rejected_by_reason`, from what the executions reported rejected.
- `row_problems`: where the curated table's rows and the table's items disagree.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from harness.deploy import Deployment

Figures = dict[str, list[dict[str, Any]]]
RAW_PARTITION = re.compile(r"^ingest/yyyy=(\d{4})/mm=(\d{2})/dd=(\d{2})/hh=(\d{2})/[^/]+\.json$")
RAW_FIELDS = (
    "user_id",
    "action",
    "event_time",
    "event_id",
    "session_id",
    "page",
    "referrer",
    "user_agent",
    "ip",
    "properties",
)
TIMESTAMPS = ("occurred_at", "received_at", "processed_at")


def stored_items(deployment: Deployment) -> list[dict[str, Any]]:
    """Every item of the table, as boto3's resource layer reads it (numbers as Decimal)."""
    ddb = deployment.client("dynamodb")
    reader = TypeDeserializer()
    items = []
    for page in ddb.get_paginator("scan").paginate(TableName=deployment.outputs["table_name"]):
        items += [{k: reader.deserialize(v) for k, v in item.items()} for item in page["Items"]]
    return items


def moment(item: Mapping[str, Any]) -> datetime:
    """The event's time as stored (`occurred_at`, `YYYY-MM-DDTHH:MM:SS.sssZ`)."""
    return datetime.strptime(str(item["occurred_at"]), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def months(items: Iterable[Mapping[str, Any]]) -> list[tuple[int, int]]:
    return sorted({(moment(i).year, moment(i).month) for i in items})


def _active(items: list[Mapping[str, Any]], start: Any, label: str) -> list[dict[str, Any]]:
    users: dict[date, set[str]] = defaultdict(set)
    for item in items:
        users[start(moment(item).date())].add(str(item["user_id"]))
    return [{label: key, "active_users": len(users[key])} for key in sorted(users)]


def curated_figures(items: Iterable[Mapping[str, Any]], year: int, month: int) -> Figures:
    """Every named query on the curated table, for the month's items."""
    chosen = [i for i in items if (moment(i).year, moment(i).month) == (year, month)]
    by_day: dict[date, list[Mapping[str, Any]]] = defaultdict(list)
    for item in chosen:
        by_day[moment(item).date()].append(item)

    sessions: dict[str, list[datetime]] = defaultdict(list)
    for item in chosen:
        if item.get("session_id") is not None:
            sessions[str(item["session_id"])].append(moment(item))
    lengths: dict[date, list[float]] = defaultdict(list)
    for times in sessions.values():
        elapsed = max(times) - min(times)
        lengths[min(times).date()].append((elapsed // timedelta(milliseconds=1)) / 1000)
    for day, values in lengths.items():
        if len(values) % 2 == 0:
            raise ValueError(
                f"{day}: {len(values)} sessions; Athena's approx_percentile and DuckDB's "
                "quantile_cont agree on the median of an odd number only"
            )

    actions = Counter((moment(i).date(), str(i["action"])) for i in chosen)
    pages = Counter(str(i["page"]) for i in chosen if i.get("page"))
    page_users: dict[str, set[str]] = defaultdict(set)
    for item in chosen:
        if item.get("page"):
            page_users[str(item["page"])].add(str(item["user_id"]))
    return {
        "daily_active_users": _active(chosen, lambda d: d, "day"),
        "weekly_active_users": _active(chosen, lambda d: d - timedelta(days=d.weekday()), "week"),
        "monthly_active_users": _active(chosen, lambda d: d.replace(day=1), "month"),
        "sessions_per_day": [
            {
                "day": day,
                "sessions": len(lengths[day]),
                "median_seconds": statistics.median(lengths[day]),
            }
            for day in sorted(lengths)
        ],
        "events_per_action_per_day": [
            {"day": day, "action": action, "events": n}
            for (day, action), n in sorted(actions.items(), key=lambda e: (e[0][0], -e[1], e[0][1]))
        ],
        "top_pages": [
            {"page": page, "events": n, "users": len(page_users[page])}
            for page, n in sorted(pages.items(), key=lambda e: (-e[1], e[0]))[:20]
        ],
        "late_event_share": [
            {
                "day": day,
                "events": len(by_day[day]),
                "late_events": sum(1 for i in by_day[day] if i["late"]),
                "late_share": sum(1 for i in by_day[day] if i["late"]) / len(by_day[day]),
            }
            for day in sorted(by_day)
        ],
    }


def raw_action(value: str) -> str:
    """The raw layer's SQL normalization: camelCase split unless all upper case, lower case, runs
    of [a-z0-9] joined with '_' (acronyms split letter by letter, accented letters dropped)."""
    split = value if value == value.upper() else re.sub(r"([A-Z])", r"_\1", value)
    return "_".join(re.findall(r"[a-z0-9]+", split.lower()))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def raw_rows(deployment: Deployment) -> list[tuple[tuple[str, str, str], dict[str, str | None]]]:
    """Every line of the raw layer that is a JSON object: (its partition day, its fields)."""
    s3 = deployment.client("s3")
    bucket = deployment.outputs["raw_bucket_name"]
    rows = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="ingest/"):
        for entry in page.get("Contents", []):
            match = RAW_PARTITION.match(entry["Key"])
            assert match, entry["Key"]
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read().decode()
            for line in body.splitlines():
                event = json.loads(line)
                if isinstance(event, dict):
                    fields = {name: _text(event.get(name)) for name in RAW_FIELDS}
                    rows.append(((match[1], match[2], match[3]), fields))
    return rows


def raw_figures(
    rows: list[tuple[tuple[str, str, str], dict[str, str | None]]], year: int, month: int
) -> Figures:
    """The raw layer's contrast queries for the month's partitions."""
    wanted = (f"{year:04d}", f"{month:02d}")
    received = {
        (day, tuple(fields[name] for name in RAW_FIELDS))
        for day, fields in rows
        if day[:2] == wanted
    }
    events = [(day, dict(zip(RAW_FIELDS, values, strict=True))) for day, values in received]
    users: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    actions: Counter[tuple[tuple[str, str, str], str]] = Counter()
    pages: Counter[str] = Counter()
    page_users: dict[str, set[str]] = defaultdict(set)
    for day, event in events:
        user = event["user_id"]
        if user is not None:
            users[day].add(user)
        action = raw_action(event["action"]) if event["action"] is not None else ""
        if action:
            actions[(day, action)] += 1
        page = event["page"]
        if page:
            pages[page] += 1
            if user is not None:
                page_users[page].add(user)
    partition = ("yyyy", "mm", "dd")
    return {
        "daily_active_users": [
            {**dict(zip(partition, day, strict=True)), "active_users": len(users[day])}
            for day in sorted(users)
        ],
        "events_per_action_per_day": [
            {**dict(zip(partition, day, strict=True)), "action": action, "events": n}
            for (day, action), n in sorted(actions.items(), key=lambda e: (e[0][0], -e[1], e[0][1]))
        ],
        "top_pages": [
            {"page": page, "events": n, "users": len(page_users[page])}
            for page, n in sorted(pages.items(), key=lambda e: (-e[1], e[0]))[:20]
        ],
    }


def rejected_figures(
    rejected: Iterable[tuple[str, str, str]], year: int, month: int
) -> list[dict[str, Any]]:
    """`rejected_by_reason` from (raw_key, event_id, reason) as the executions reported them:
    one per event and reason a partition day, like the query's DISTINCT."""
    wanted = (f"{year:04d}", f"{month:02d}")
    seen = set()
    for raw_key, event_id, reason in rejected:
        match = RAW_PARTITION.match(raw_key)
        assert match, raw_key
        if (match[1], match[2]) == wanted:
            seen.add((match[3], event_id, reason))
    reasons = Counter(reason for _, _, reason in seen)
    return [
        {"reason": r, "events": n} for r, n in sorted(reasons.items(), key=lambda e: (-e[1], e[0]))
    ]


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def _stored_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def row_problems(rows: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[str]:
    """Where the curated rows (Arrow's Python values) and the items disagree: one row per item
    (by its key), every attribute of the item in its column with the same value (timestamps the
    same instant, `properties` the same JSON, numbers as DynamoDB keeps them), every other
    column null."""
    problems = []
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_key[(row["user_id"], row["event_time"])].append(row)
    for key, found in by_key.items():
        if len(found) > 1:
            problems.append(f"{key}: {len(found)} rows")
    keys = {(str(i["user_id"]), str(i["event_time"])) for i in items}
    problems += [f"{key}: a row without an item" for key in sorted(set(by_key) - keys)]
    for item in items:
        key = (str(item["user_id"]), str(item["event_time"]))
        if key not in by_key:
            problems.append(f"{key}: an item without a row")
            continue
        row = by_key[key][0]
        unknown = sorted(set(item) - set(row))
        if unknown:
            problems.append(f"{key}: attributes without a column {unknown}")
        for column, value in row.items():
            expected: Any
            actual: Any
            if column in TIMESTAMPS:
                expected, actual = item.get(column), _stored_time(value) if value else None
            elif column == "properties":
                expected = _number(item.get(column))
                actual = json.loads(value) if value is not None else None
            else:
                expected, actual = _number(item.get(column)), value
            if actual != expected:
                problems.append(f"{key}: {column} is {actual!r}, the item holds {expected!r}")
    return problems
