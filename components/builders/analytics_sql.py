"""Analytics (pure, no Pulumi): Glue table layouts of the raw layer and the named queries.

The named queries read the curated Iceberg table `curated_events` (handlers.curated: one row per
stored item — valid events only, de-duplicated, normalized, typed); `rejected_by_reason` reads the
rejected layer. The raw-layer versions of the same figures (RAW_QUERIES) are kept, not deployed,
as the contrast the end-to-end test shows beside them.

Each named query is written once, in the subset of SQL that Athena engine v3 (Trino) and DuckDB
both run, so the harness executes exactly the text that Athena stores:

- table names are the Glue table names (`curated_events`, `raw_events`, `rejected_events`); the
  harness creates DuckDB views with those names (the curated table's current snapshot; the raw
  layer over the same hive layout `yyyy=/mm=/dd=/hh=`);
- the curated queries are scoped to one month of `occurred_at` (UTC) by the same two positional
  parameters, `year(occurred_at) = CAST(? AS INTEGER) AND month(occurred_at) = CAST(? AS INTEGER)`;
  DuckDB's year()/month()/CAST AS DATE on a timestamptz use the session time zone, so the harness
  sets `TimeZone` to UTC (Athena reads Iceberg timestamptz in UTC);
- `approx_percentile(x, 0.5)` is Trino's median (DuckDB has `median` and `approx_quantile`, Trino
  neither); the harness defines it in DuckDB as a macro over `quantile_cont` — the second shim;
- the raw-layer queries are scoped to one month by two positional parameters, `yyyy = ?` and
  `mm = ?`
  (zero-padded strings, e.g. '2025', '11'), so partition projection prunes to that month's
  partitions; Athena takes them as `--execution-parameters "'2025'" "'11'"`, DuckDB as bind values;
- `array_join` is Trino's; the harness defines it in DuckDB as a macro over `array_to_string` —
  the one shim, no textual substitution;
- "day" is the raw partition day: the UTC day of the earliest parseable `event_time` of the batch
  (docs/architecture.md, "Partitioning"), which is the event's own day for batches within one day;
- the raw layer holds events as received, so counts are of received events that carry the field
  the query needs (identical rows of one day count once: a re-sent batch under another batching);
  `rejected_by_reason` reports the ones Process refused.\n"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Final

RAW_TABLE: Final = "raw_events"
REJECTED_TABLE: Final = "rejected_events"
PARTITION_KEYS: Final = ("yyyy", "mm", "dd", "hh")
JSON_SERDE: Final = "org.openx.data.jsonserde.JsonSerDe"
INPUT_FORMAT: Final = "org.apache.hadoop.mapred.TextInputFormat"
OUTPUT_FORMAT: Final = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
# 1970 holds batches without a parseable event_time (the epoch partition); queries are scoped to
# one month, so the wide year range never makes Athena enumerate more than 744 partitions.
PROJECTION_RANGES: Final = {"yyyy": (1970, 2099), "mm": (1, 12), "dd": (1, 31), "hh": (0, 23)}
PROJECTION_DIGITS: Final = {"yyyy": 4, "mm": 2, "dd": 2, "hh": 2}

# Raw events as received (handlers/event.schema.json). All strings: `event_time` may be an RFC 3339
# string or an epoch number (seconds or milliseconds), which no single timestamp type reads;
# `properties` is a free-form object, kept as its JSON text (query it with json_extract_scalar).
RAW_COLUMNS: Final = (
    ("user_id", "string"),
    ("action", "string"),
    ("event_time", "string"),
    ("event_id", "string"),
    ("session_id", "string"),
    ("page", "string"),
    ("referrer", "string"),
    ("user_agent", "string"),
    ("ip", "string"),
    ("properties", "string"),
)
# Rejected records {"index", "event_id", "reason", "detail", "event"}; `event` as its JSON text.
REJECTED_COLUMNS: Final = (
    ("index", "int"),
    ("event_id", "string"),
    ("reason", "string"),
    ("detail", "string"),
    ("event", "string"),
)
# Glue type -> DuckDB type, for the harness views.
DUCKDB_TYPES: Final = {"string": "VARCHAR", "int": "INTEGER"}


def table_parameters(bucket: str, prefix: str) -> dict[str, str]:
    """Glue table parameters: partition projection over `s3://<bucket>/<prefix>yyyy=.../hh=.../`."""
    if not bucket or "/" in bucket:
        raise ValueError(f"bucket must be a bucket name, got {bucket!r}")
    if not prefix.endswith("/") or prefix.startswith("/"):
        raise ValueError(f"prefix must look like 'ingest/', got {prefix!r}")
    parameters = {
        "classification": "json",
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "storage.location.template": (
            f"s3://{bucket}/{prefix}" + "/".join(f"{k}=${{{k}}}" for k in PARTITION_KEYS) + "/"
        ),
    }
    for key in PARTITION_KEYS:
        low, high = PROJECTION_RANGES[key]
        parameters[f"projection.{key}.type"] = "integer"
        parameters[f"projection.{key}.range"] = f"{low},{high}"
        parameters[f"projection.{key}.digits"] = str(PROJECTION_DIGITS[key])
    return parameters


def table_location(bucket: str, prefix: str) -> str:
    return f"s3://{bucket}/{prefix}"


def normalized_action_sql(column: str = "action") -> str:
    """SQL for the contract's action normalization (handlers/normalize.py), portable Trino/DuckDB.

    Mixed-case values get an underscore before each capital (camelCase boundary), then the value
    is lower-cased and its runs of [a-z0-9] joined with '_'. Matches the contract for separators,
    case and camelCase ("Page View", "page-view", "PageView", "pageView", "PAGE_VIEW" ->
    "page_view"); differs for acronym runs ("HTTPRequest" -> "h_t_t_p_request", the contract says
    "http_request") and accented letters (dropped, where the contract folds "é" to "e"). The curated
    table holds the exact normalization.
    """
    split = column
    for letter in string.ascii_uppercase:
        split = f"replace({split}, '{letter}', '_{letter}')"
    mixed = f"CASE WHEN {column} = upper({column}) THEN {column} ELSE {split} END"
    return f"array_join(regexp_extract_all(lower({mixed}), '[a-z0-9]+'), '_')"


@dataclass(frozen=True, slots=True)
class NamedQuery:
    name: str
    description: str
    sql: str


MONTH_FILTER: Final = "yyyy = ? AND mm = ?"
# Received events of the month, each once per day: a batch re-sent under another batching is a new
# raw object holding the same events (the table stores them once); identical rows are one event.
RECEIVED: Final = (
    "(SELECT DISTINCT yyyy, mm, dd, "  # noqa: S608 - constant SQL
    + ", ".join(name for name, _ in RAW_COLUMNS)
    + f" FROM {RAW_TABLE} WHERE {MONTH_FILTER}) AS received"
)
REJECTED: Final = (
    f"(SELECT DISTINCT yyyy, mm, dd, event_id, reason FROM {REJECTED_TABLE} "  # noqa: S608
    f"WHERE {MONTH_FILTER}) AS rejected"
)

CURATED_TABLE: Final = "curated_events"
CURATED_MONTH: Final = (
    "year(occurred_at) = CAST(? AS INTEGER) AND month(occurred_at) = CAST(? AS INTEGER)"
)
CURATED: Final = f"{CURATED_TABLE} WHERE {CURATED_MONTH}"


def _active_users(name: str, unit: str, label: str) -> NamedQuery:
    return NamedQuery(
        f"{name}_active_users",
        f"Distinct users per {unit} of occurred_at (UTC), events of one month (parameters: "
        "yyyy, mm as zero-padded strings); weeks start on Monday",
        f"SELECT CAST(date_trunc('{unit}', occurred_at) AS DATE) AS {label}, "
        "count(DISTINCT user_id) AS active_users\n"
        f"FROM {CURATED}\n"
        f"GROUP BY 1\n"
        f"ORDER BY 1",
    )


CURATED_QUERIES: Final = (
    _active_users("daily", "day", "day"),
    _active_users("weekly", "week", "week"),
    _active_users("monthly", "month", "month"),
    NamedQuery(
        "sessions_per_day",
        "Sessions (by session_id) per day of their first event, with the median session length "
        "in seconds from first to last event (parameters: yyyy, mm)",
        "SELECT day, count(*) AS sessions, approx_percentile(seconds, 0.5) AS median_seconds\n"  # noqa: S608
        "FROM (SELECT session_id, CAST(min(occurred_at) AS DATE) AS day,\n"
        "             CAST(date_diff('millisecond', min(occurred_at), max(occurred_at))\n"
        "                  AS double) / 1000 AS seconds\n"
        f"      FROM {CURATED} AND session_id IS NOT NULL\n"
        "      GROUP BY session_id) AS sessions\n"
        "GROUP BY day\n"
        "ORDER BY day",
    ),
    NamedQuery(
        "events_per_action_per_day",
        "Events per action and day of occurred_at (parameters: yyyy, mm)",
        "SELECT CAST(occurred_at AS DATE) AS day, action, count(*) AS events\n"
        f"FROM {CURATED}\n"
        "GROUP BY 1, 2\n"
        "ORDER BY 1, events DESC, action",
    ),
    NamedQuery(
        "top_pages",
        "The 20 pages with the most events in one month, with their distinct users "
        "(parameters: yyyy, mm)",
        "SELECT page, count(*) AS events, count(DISTINCT user_id) AS users\n"
        f"FROM {CURATED} AND page IS NOT NULL AND page <> ''\n"
        "GROUP BY page\n"
        "ORDER BY events DESC, page\n"
        "LIMIT 20",
    ),
    NamedQuery(
        "late_event_share",
        "Per day: events, late events (older than the late threshold when received) and their "
        "share (parameters: yyyy, mm)",
        "SELECT CAST(occurred_at AS DATE) AS day, count(*) AS events,\n"
        "       sum(CASE WHEN late THEN 1 ELSE 0 END) AS late_events,\n"
        "       CAST(sum(CASE WHEN late THEN 1 ELSE 0 END) AS DOUBLE) / count(*) AS late_share\n"
        f"FROM {CURATED}\n"
        "GROUP BY 1\n"
        "ORDER BY 1",
    ),
)

RAW_QUERIES: Final = (
    NamedQuery(
        "daily_active_users",
        "Distinct users per day of one month (parameters: yyyy, mm as zero-padded strings)",
        "SELECT yyyy, mm, dd, count(DISTINCT user_id) AS active_users\n"
        f"FROM {RECEIVED}\n"
        "WHERE user_id IS NOT NULL\n"
        "GROUP BY yyyy, mm, dd\n"
        "ORDER BY yyyy, mm, dd",
    ),
    NamedQuery(
        "events_per_action_per_day",
        "Events per normalized action and day of one month (parameters: yyyy, mm)",
        "SELECT yyyy, mm, dd, action, count(*) AS events\n"  # noqa: S608 - constant SQL
        f"FROM (SELECT yyyy, mm, dd, {normalized_action_sql()} AS action\n"
        f"      FROM {RECEIVED}) AS normalized\n"
        "WHERE action <> ''\n"
        "GROUP BY yyyy, mm, dd, action\n"
        "ORDER BY yyyy, mm, dd, events DESC, action",
    ),
    NamedQuery(
        "top_pages",
        "The 20 pages with the most events in one month, with their distinct users "
        "(parameters: yyyy, mm)",
        "SELECT page, count(*) AS events, count(DISTINCT user_id) AS users\n"
        f"FROM {RECEIVED}\n"
        "WHERE page IS NOT NULL AND page <> ''\n"
        "GROUP BY page\n"
        "ORDER BY events DESC, page\n"
        "LIMIT 20",
    ),
)
REJECTED_BY_REASON: Final = NamedQuery(
    "rejected_by_reason",
    "Rejected events per reason in one month (parameters: yyyy, mm)",
    "SELECT reason, count(*) AS events\n"
    f"FROM {REJECTED}\n"
    "WHERE reason IS NOT NULL\n"
    "GROUP BY reason\n"
    "ORDER BY events DESC, reason",
)
# Deployed: the curated figures and the rejected layer's reasons.
NAMED_QUERIES: Final = (*CURATED_QUERIES, REJECTED_BY_REASON)


def month_parameters(month: str) -> tuple[str, str]:
    """`YYYY-MM` -> the two query parameters ('2025', '11')."""
    year, sep, number = month.partition("-")
    if not (sep and len(year) == 4 and year.isdigit() and len(number) == 2 and number.isdigit()):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    if not 1 <= int(number) <= 12:
        raise ValueError(f"month must be YYYY-MM with MM in 01..12, got {month!r}")
    return year, number
