"""Stack settings: typed, validated values parsed from the plain strings in `Pulumi.<stack>.yaml`.

The one place configuration is checked. Pure (no Pulumi): `__main__.py` feeds it the values read
with `pulumi.Config`, tests and the harness feed it the values read by `load_stack_config`. Each
bounded value has a type of its own, made only here after its check (bounds in `from_config`), so
the components' Args take these types and never check them again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal, NewType, cast

import yaml  # type: ignore[import-untyped]  # PyYAML is pinned in requirements.lock (via pulumi)

from handlers.times import EPOCH, EventTimeError, parse_timestamp

PROJECT: Final = "activity-pipeline"

WorkflowType = Literal["STANDARD", "EXPRESS"]
Architecture = Literal["arm64", "x86_64"]
# Step Functions log level. ALL logs every state transition with its data (an Express workflow's
# only execution history, at CloudWatch Logs ingestion prices); ERROR logs failures only.
WorkflowLogLevel = Literal["ALL", "ERROR", "FATAL", "OFF"]
# NONE: a public collector (browsers); allowed only with httpApiAllowUnauthenticated true.
HttpApiAuth = Literal["IAM", "JWT", "NONE"]
# API Gateway HTTP APIs' CORS allowMethods values ("*": every method).
CorsMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"]
# How the entry points reach the state machine: `buffered` (the default) sends every request's body
# to the entry buffer (SQS), whose consumer starts one execution per micro-batch; `direct` starts
# one execution per request or event (the lowest latency, at one execution's price each).
EntryMode = Literal["buffered", "direct"]

WORKFLOW_TYPES: Final[tuple[WorkflowType, ...]] = ("STANDARD", "EXPRESS")
WORKFLOW_LOG_LEVELS: Final[tuple[WorkflowLogLevel, ...]] = ("ALL", "ERROR", "FATAL", "OFF")
ARCHITECTURES: Final[tuple[Architecture, ...]] = ("arm64", "x86_64")
HTTP_API_AUTH_MODES: Final[tuple[HttpApiAuth, ...]] = ("IAM", "JWT", "NONE")
CORS_METHODS: Final[tuple[CorsMethod, ...]] = (
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*",
)  # fmt: skip
ENTRY_MODES: Final[tuple[EntryMode, ...]] = ("buffered", "direct")

# Checked values (bounds in PipelineSettings.from_config).
Region = NewType("Region", str)
MemoryMb = NewType("MemoryMb", int)  # 128..10,240
TimeoutSeconds = NewType("TimeoutSeconds", int)  # 1..900
LayerVersion = NewType("LayerVersion", int)  # 1..10,000
RetentionDays = NewType("RetentionDays", int)  # one of LOG_RETENTION_DAYS
NoncurrentVersionDays = NewType("NoncurrentVersionDays", int)  # 1..36,500
KeyDeletionWindowDays = NewType("KeyDeletionWindowDays", int)  # 7..30 (KMS)
BatchEvents = NewType("BatchEvents", int)  # 1..10,000
LateEventHours = NewType("LateEventHours", int)  # 1..8,784
EmailAddress = NewType("EmailAddress", str)
ResultsExpirationDays = NewType("ResultsExpirationDays", int)  # 1..3,650
ThrottleBurst = NewType("ThrottleBurst", int)  # 1..5,000
ThrottleRate = NewType("ThrottleRate", int)  # 1..10,000
HttpsUrl = NewType("HttpsUrl", str)
CorsOrigin = NewType("CorsOrigin", str)  # "*", "http://*", "https://*" or a browser's Origin value
HeaderName = NewType("HeaderName", str)  # an HTTP field name, lower case, or "*"
CorsMaxAge = NewType("CorsMaxAge", int)  # -1..86,400 (the API's bounds)
BufferBatchSize = NewType("BufferBatchSize", int)  # 1..10,000 (SQS event-source mapping)
BatchingWindowSeconds = NewType("BatchingWindowSeconds", int)  # 0..300, >= 1 above 10 messages
MaxReceives = NewType("MaxReceives", int)  # 1..1,000 (SQS maxReceiveCount)
BufferRetentionDays = NewType("BufferRetentionDays", int)  # 1..7
ObjectRetentionDays = NewType("ObjectRetentionDays", int)  # 1..36,500 (S3 lifecycle expiration)
ItemRetentionDays = NewType("ItemRetentionDays", int)  # 1..36,500 (DynamoDB TTL)
BufferingSizeMb = NewType("BufferingSizeMb", int)  # 1..128 (Firehose's Iceberg destination)
BufferingIntervalSeconds = NewType("BufferingIntervalSeconds", int)  # 0..900

# Values CloudWatch Logs accepts for retentionInDays.
LOG_RETENTION_DAYS: Final = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922}
    | {3288, 3653}
)

# Keys of the `activity-pipeline:` namespace, as written after the colon in Pulumi.<stack>.yaml.
REQUIRED_KEYS: Final = (
    "workflowType",
    "workflowLogLevel",
    "lambdaArchitecture",
    "lambdaMemoryMb",
    "lambdaTimeoutSeconds",
    "powertoolsLayerVersion",
    "logRetentionDays",
    "deletionProtection",
    "forceDestroyBucket",
    "noncurrentVersionExpirationDays",
    "kmsKeyDeletionWindowDays",
    "maxBatchEvents",
    "lateEventThresholdHours",
    "oldestEventTime",
)
# Retention (required: every stack decides how long it keeps personal data): the raw layer
# (`ingest/`) and the rejected layer (`rejected/`) expire by S3 lifecycle, the table's items by
# DynamoDB TTL, each counted in days from when the pipeline received the event.
RETENTION_KEYS: Final = ("rawRetentionDays", "rejectedRetentionDays", "itemRetentionDays")
# Analytics (Glue, Athena, the curated Iceberg table fed by Firehose) is optional: the component
# exists only when analyticsEnabled is true; the other keys need it on.
ANALYTICS_KEYS: Final = (
    "analyticsEnabled",
    "athenaResultsExpirationDays",
    "curatedBufferingSizeMb",
    "curatedBufferingIntervalSeconds",
)
ATHENA_RESULTS_EXPIRATION_DAYS_DEFAULT: Final = ResultsExpirationDays(30)
# Firehose's own defaults for the Iceberg destination (API reference, BufferingHints).
CURATED_BUFFERING_SIZE_MB_DEFAULT: Final = BufferingSizeMb(5)
CURATED_BUFFERING_INTERVAL_SECONDS_DEFAULT: Final = BufferingIntervalSeconds(300)
OPTIONAL_KEYS: Final = ("alarmEmail", *ANALYTICS_KEYS)
# Entry points (HTTP API, EventBridge): the two switches are required (each stack decides
# explicitly); the HTTP keys are required when httpApiEnabled is true, jwtIssuer/jwtAudience when
# httpApiAuth is JWT.
ENTRY_KEYS: Final = (
    "httpApiEnabled",
    "eventBridgeEnabled",
    "httpApiAuth",
    "httpApiThrottleBurst",
    "httpApiThrottleRate",
    "jwtIssuer",
    "jwtAudience",
)
# Browsers (with httpApiEnabled): a public route is an explicit decision, CORS is optional (off
# unless httpApiCorsAllowOrigins is set; the other three default to the CORS_DEFAULT_* values:
# the route's method, the header a JSON body needs, the longest preflight cache Chromium keeps).
CORS_OPTION_KEYS: Final = (
    "httpApiCorsAllowMethods",
    "httpApiCorsAllowHeaders",
    "httpApiCorsMaxAge",
)
WEB_KEYS: Final = ("httpApiAllowUnauthenticated", "httpApiCorsAllowOrigins", *CORS_OPTION_KEYS)
# The entry buffer (entryMode buffered, the default), each key optional with the default below;
# none of them may be set with entryMode direct or without an entry point.
BUFFER_KEYS: Final = (
    "entryMode",
    "bufferBatchSize",
    "bufferBatchingWindowSeconds",
    "bufferMaxReceives",
    "bufferRetentionDays",
)
CONFIG_KEYS: Final = (
    REQUIRED_KEYS + RETENTION_KEYS + OPTIONAL_KEYS + ENTRY_KEYS + WEB_KEYS + BUFFER_KEYS
)
CORS_DEFAULT_METHODS: Final[tuple[CorsMethod, ...]] = ("POST",)
CORS_DEFAULT_HEADERS: Final = (HeaderName("content-type"),)
CORS_DEFAULT_MAX_AGE: Final = CorsMaxAge(7200)

POWERTOOLS_LAYER_ACCOUNT: Final = "017000801446"

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HTTPS_URL = re.compile(r"^https://[^\s/]+(/\S*)?$")
# An origin as browsers serialize it: scheme, lower-case host, a port only when not the default.
_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://(?P<host>[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])(:(?P<port>[1-9][0-9]{0,4}))?$"
)
_WILDCARD_ORIGINS: Final = ("*", "http://*", "https://*")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Everything a stack can configure, already validated."""

    region: Region
    workflow_type: WorkflowType
    workflow_log_level: WorkflowLogLevel
    lambda_architecture: Architecture
    lambda_memory_mb: MemoryMb
    lambda_timeout_seconds: TimeoutSeconds
    powertools_layer_version: LayerVersion
    log_retention_days: RetentionDays
    deletion_protection: bool
    force_destroy_bucket: bool
    noncurrent_version_expiration_days: NoncurrentVersionDays
    kms_key_deletion_window_days: KeyDeletionWindowDays
    max_batch_events: BatchEvents
    late_event_threshold_hours: LateEventHours
    oldest_event_time: datetime  # aware, >= 1970; events before it are rejected event_too_old
    retention: RetentionSettings
    alarm_email: EmailAddress | None = None
    analytics: AnalyticsSettings | None = None  # analytics (Glue, Athena); None when disabled
    entry: EntrySettings | None = None  # entry points (HTTP API, EventBridge)

    @property
    def powertools_layer_arn(self) -> str:
        return powertools_layer_arn(
            self.region, self.lambda_architecture, self.powertools_layer_version
        )

    @classmethod
    def from_config(
        cls, values: Mapping[str, str | None], *, region: str | None
    ) -> PipelineSettings:
        """Parse the `activity-pipeline:` values (short keys: `workflowType`) and `aws:region`."""
        unknown = sorted(set(values) - set(CONFIG_KEYS))
        if unknown:
            raise ValueError(f"unknown config key(s): {', '.join(unknown)}")
        raw = {key: value for key, value in values.items() if value is not None}
        return cls(
            region=_region(region),
            workflow_type=cast(WorkflowType, _choice(raw, "workflowType", WORKFLOW_TYPES)),
            workflow_log_level=cast(
                WorkflowLogLevel, _choice(raw, "workflowLogLevel", WORKFLOW_LOG_LEVELS)
            ),
            lambda_architecture=cast(
                Architecture, _choice(raw, "lambdaArchitecture", ARCHITECTURES)
            ),
            lambda_memory_mb=MemoryMb(_int(raw, "lambdaMemoryMb", 128, 10_240)),
            lambda_timeout_seconds=TimeoutSeconds(_int(raw, "lambdaTimeoutSeconds", 1, 900)),
            powertools_layer_version=LayerVersion(_int(raw, "powertoolsLayerVersion", 1, 10_000)),
            log_retention_days=_retention(raw, "logRetentionDays"),
            deletion_protection=_bool(raw, "deletionProtection"),
            force_destroy_bucket=_bool(raw, "forceDestroyBucket"),
            noncurrent_version_expiration_days=NoncurrentVersionDays(
                _int(raw, "noncurrentVersionExpirationDays", 1, 36_500)
            ),
            kms_key_deletion_window_days=KeyDeletionWindowDays(
                _int(raw, "kmsKeyDeletionWindowDays", 7, 30)
            ),
            max_batch_events=BatchEvents(_int(raw, "maxBatchEvents", 1, 10_000)),
            late_event_threshold_hours=LateEventHours(
                _int(raw, "lateEventThresholdHours", 1, 24 * 366)
            ),
            oldest_event_time=_time(raw, "oldestEventTime"),
            retention=RetentionSettings.from_raw(raw),
            alarm_email=_email(raw, "alarmEmail"),
            analytics=AnalyticsSettings.from_raw(raw),
            entry=EntrySettings.from_raw(raw),
        )

    @classmethod
    def from_stack_config(cls, config: Mapping[str, str]) -> PipelineSettings:
        """Parse the fully qualified mapping returned by `load_stack_config`."""
        prefix = f"{PROJECT}:"
        values: dict[str, str | None] = {
            key.removeprefix(prefix): value
            for key, value in config.items()
            if key.startswith(prefix)
        }
        return cls.from_config(values, region=config.get("aws:region"))


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How long the stack keeps what it stores, in days after the pipeline received the event: raw
    objects and rejected objects (S3 lifecycle expiration of the current version; the noncurrent
    ones follow after noncurrentVersionExpirationDays), and items (DynamoDB TTL)."""

    raw_days: ObjectRetentionDays
    rejected_days: ObjectRetentionDays
    item_days: ItemRetentionDays

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> RetentionSettings:
        raw_days = _int(raw, "rawRetentionDays", 1, 36_500)
        rejected_days = _int(raw, "rejectedRetentionDays", 1, 36_500)
        if rejected_days > raw_days:
            raise ValueError(
                f"config {PROJECT}:rejectedRetentionDays ({rejected_days}) must not exceed "
                f"{PROJECT}:rawRetentionDays ({raw_days}): a rejected record holds the event as "
                "received, which the raw layer would no longer hold"
            )
        return cls(
            raw_days=ObjectRetentionDays(raw_days),
            rejected_days=ObjectRetentionDays(rejected_days),
            item_days=ItemRetentionDays(_int(raw, "itemRetentionDays", 1, 36_500)),
        )


@dataclass(frozen=True, slots=True)
class HttpApiSettings:
    """The HTTP API's settings: with auth JWT, an issuer and at least one audience; else none."""

    auth: HttpApiAuth
    throttle_burst: ThrottleBurst
    throttle_rate: ThrottleRate
    jwt_issuer: HttpsUrl | None = None
    jwt_audience: tuple[str, ...] = ()
    cors: CorsSettings | None = None


# Lambda's rule for an SQS event-source mapping: "When you set BatchSize to a value greater than
# 10, you must set MaximumBatchingWindowInSeconds to at least 1" (Lambda API reference,
# CreateEventSourceMapping); BatchSize at most 10,000 for a standard queue, the window at most 300 s
# (Lambda developer guide, "Lambda parameters for Amazon SQS event source mappings").
MAX_BATCH_SIZE_WITHOUT_WINDOW: Final = 10


@dataclass(frozen=True, slots=True)
class BufferSettings:
    """The entry buffer: how many messages the consumer takes at once and how long it waits for
    them, how often a message may be received before it goes to the buffer's DLQ, and how long the
    buffer keeps a message (at most 7 days: SQS counts a message's retention from its first
    enqueue, also in the DLQ, which keeps 14 days, so a dead-lettered body has at least 7 there)."""

    batch_size: BufferBatchSize = BufferBatchSize(1000)
    batching_window_seconds: BatchingWindowSeconds = BatchingWindowSeconds(5)
    max_receives: MaxReceives = MaxReceives(5)
    retention_days: BufferRetentionDays = BufferRetentionDays(4)

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> BufferSettings:
        defaults = cls()

        def value(key: str, default: int, low: int, high: int) -> int:
            return _int(raw, key, low, high) if raw.get(key, "").strip() else default

        size = BufferBatchSize(value("bufferBatchSize", defaults.batch_size, 1, 10_000))
        window = BatchingWindowSeconds(
            value("bufferBatchingWindowSeconds", defaults.batching_window_seconds, 0, 300)
        )
        if size > MAX_BATCH_SIZE_WITHOUT_WINDOW and window < 1:
            raise ValueError(
                f"config {PROJECT}:bufferBatchingWindowSeconds must be at least 1 when "
                f"{PROJECT}:bufferBatchSize is over {MAX_BATCH_SIZE_WITHOUT_WINDOW} (Lambda's rule "
                f"for SQS event-source mappings), got {window} with {size}"
            )
        return cls(
            batch_size=size,
            batching_window_seconds=window,
            max_receives=MaxReceives(value("bufferMaxReceives", defaults.max_receives, 1, 1000)),
            retention_days=BufferRetentionDays(
                value("bufferRetentionDays", defaults.retention_days, 1, 7)
            ),
        )


@dataclass(frozen=True, slots=True)
class EntrySettings:
    """Entry points: the EventBridge switch, the HTTP API's settings when it is enabled, and the
    entry buffer's when the entry points are buffered (None: direct, or no entry point)."""

    event_bridge_enabled: bool
    http_api: HttpApiSettings | None = None
    buffer: BufferSettings | None = None

    @property
    def mode(self) -> EntryMode:
        return "direct" if self.buffer is None else "buffered"

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> EntrySettings:
        http = _bool(raw, "httpApiEnabled")
        events = _bool(raw, "eventBridgeEnabled")
        buffer = _buffer(raw, entry_points=http or events)
        http_only = ("httpApiAuth", "httpApiThrottleBurst", "httpApiThrottleRate")
        jwt_only = ("jwtIssuer", "jwtAudience")
        if not http:
            _refuse_set(raw, http_only + jwt_only + WEB_KEYS, "httpApiEnabled is false")
            return cls(event_bridge_enabled=events, buffer=buffer)
        auth = cast(HttpApiAuth, _choice(raw, "httpApiAuth", HTTP_API_AUTH_MODES))
        _check_unauthenticated(raw, auth)
        issuer: HttpsUrl | None = None
        audience: tuple[str, ...] = ()
        if auth == "JWT":
            url = _require(raw, "jwtIssuer")
            if not _HTTPS_URL.match(url):
                raise ValueError(f"config {PROJECT}:jwtIssuer must be an https:// URL, got {url!r}")
            issuer = HttpsUrl(url)
            audience = tuple(
                a.strip() for a in _require(raw, "jwtAudience").split(",") if a.strip()
            )
            if not audience:
                raise ValueError(f"config {PROJECT}:jwtAudience must name at least one audience")
        else:
            _refuse_set(raw, jwt_only, "httpApiAuth is not JWT")
        http_api = HttpApiSettings(
            auth=auth,
            throttle_burst=ThrottleBurst(_int(raw, "httpApiThrottleBurst", 1, 5000)),
            throttle_rate=ThrottleRate(_int(raw, "httpApiThrottleRate", 1, 10_000)),
            jwt_issuer=issuer,
            jwt_audience=audience,
            cors=CorsSettings.from_raw(raw),
        )
        return cls(event_bridge_enabled=events, http_api=http_api, buffer=buffer)


def _buffer(raw: Mapping[str, str], *, entry_points: bool) -> BufferSettings | None:
    """The buffer's settings with entryMode buffered (the default) and an entry point; else None,
    and no buffer key may be set."""
    buffer_only = BUFFER_KEYS[1:]
    if not entry_points:
        _refuse_set(raw, BUFFER_KEYS, "httpApiEnabled and eventBridgeEnabled are false")
        return None
    if raw.get("entryMode", "").strip() and _choice(raw, "entryMode", ENTRY_MODES) == "direct":
        _refuse_set(raw, buffer_only, "entryMode is direct")
        return None
    return BufferSettings.from_raw(raw)


def _check_unauthenticated(raw: Mapping[str, str], auth: HttpApiAuth) -> None:
    """NONE makes the route public: only with httpApiAllowUnauthenticated true, in every stack."""
    allowed = bool(raw.get("httpApiAllowUnauthenticated", "").strip()) and _bool(
        raw, "httpApiAllowUnauthenticated"
    )
    if auth != "NONE":
        _refuse_set(raw, ("httpApiAllowUnauthenticated",), "httpApiAuth is not NONE")
    elif not allowed:
        raise ValueError(
            f"config {PROJECT}:httpApiAuth NONE makes POST /events public: anyone can send events, "
            f"within the stage's throttling; set {PROJECT}:httpApiAllowUnauthenticated to true "
            "to allow it"
        )


@dataclass(frozen=True, slots=True)
class CorsSettings:
    """The HTTP API's CORS configuration: API Gateway answers preflights and adds the headers."""

    allow_origins: tuple[CorsOrigin, ...]
    allow_methods: tuple[CorsMethod, ...] = CORS_DEFAULT_METHODS
    allow_headers: tuple[HeaderName, ...] = CORS_DEFAULT_HEADERS
    max_age: CorsMaxAge = CORS_DEFAULT_MAX_AGE

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> CorsSettings | None:
        """None unless httpApiCorsAllowOrigins names an origin; the other keys need it set."""
        origins = raw.get("httpApiCorsAllowOrigins", "").strip()
        if not origins:
            _refuse_set(raw, CORS_OPTION_KEYS, "httpApiCorsAllowOrigins is not set")
            return None
        methods = raw.get("httpApiCorsAllowMethods", "").strip()
        headers = raw.get("httpApiCorsAllowHeaders", "").strip()
        max_age = raw.get("httpApiCorsMaxAge", "").strip()
        return cls(
            allow_origins=tuple(_origin(o) for o in _list(origins, "httpApiCorsAllowOrigins")),
            allow_methods=_methods(methods) if methods else CORS_DEFAULT_METHODS,
            allow_headers=_headers(headers) if headers else CORS_DEFAULT_HEADERS,
            max_age=(
                CorsMaxAge(_int(raw, "httpApiCorsMaxAge", -1, 86_400))
                if max_age
                else CORS_DEFAULT_MAX_AGE
            ),
        )


def _list(value: str, key: str) -> tuple[str, ...]:
    """A comma-separated list: no empty entry, no repeat."""
    items = tuple(item.strip() for item in value.split(","))
    if "" in items:
        raise ValueError(f"config {PROJECT}:{key} has an empty entry: {value!r}")
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise ValueError(f"config {PROJECT}:{key} repeats {', '.join(repeated)}")
    if "*" in items and len(items) > 1:
        raise ValueError(f"config {PROJECT}:{key}: '*' allows all; list it alone")
    return items


def _origin(value: str) -> CorsOrigin:
    """An origin exactly as a browser sends it in `Origin` (API Gateway compares the text), or a
    wildcard API Gateway documents: `*`, `https://*`, `http://*`."""
    if value in _WILDCARD_ORIGINS:
        return CorsOrigin(value)
    match = _ORIGIN.match(value)
    if match is None:
        raise ValueError(
            f"config {PROJECT}:httpApiCorsAllowOrigins: {value!r} is not an origin as browsers "
            "send it: http(s)://host[:port] in lower case, no path or trailing slash "
            "(or *, https://*, http://*)"
        )
    if match["port"] is not None and match["port"] == _DEFAULT_PORTS[match["scheme"]]:
        raise ValueError(
            f"config {PROJECT}:httpApiCorsAllowOrigins: {value!r} names the default port, which "
            f"browsers leave out of Origin: write {match['scheme']}://{match['host']}"
        )
    if match["port"] is not None and int(match["port"]) > 65_535:
        raise ValueError(f"config {PROJECT}:httpApiCorsAllowOrigins: {value!r}: no such port")
    return CorsOrigin(value)


def _methods(value: str) -> tuple[CorsMethod, ...]:
    methods = _list(value, "httpApiCorsAllowMethods")
    unknown = [m for m in methods if m not in CORS_METHODS]
    if unknown:
        raise ValueError(
            f"config {PROJECT}:httpApiCorsAllowMethods must name methods among "
            f"{', '.join(CORS_METHODS)}, got {', '.join(unknown)}"
        )
    return tuple(cast(CorsMethod, m) for m in methods)


def _headers(value: str) -> tuple[HeaderName, ...]:
    names = _list(value.lower(), "httpApiCorsAllowHeaders")
    bad = [n for n in names if not _HEADER_NAME.match(n)]
    if bad:
        raise ValueError(
            f"config {PROJECT}:httpApiCorsAllowHeaders: not HTTP header names: {', '.join(bad)}"
        )
    return tuple(HeaderName(n) for n in names)


def _refuse_set(raw: Mapping[str, str], keys: tuple[str, ...], because: str) -> None:
    stray = [f"{PROJECT}:{k}" for k in keys if raw.get(k, "").strip()]
    if stray:
        raise ValueError(f"config {', '.join(stray)} set but {PROJECT}:{because}")


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """Analytics (Glue, Athena, the curated table), present only when analyticsEnabled is true.

    The curated stream buffers up to `curated_buffering_size_mb` or for
    `curated_buffering_interval_seconds`, whichever comes first, before it commits to the table
    (Firehose's Iceberg destination: 1..128 MB, 0..900 s): larger buffers write fewer, larger
    files (one per partition and delivery), a shorter interval makes rows visible sooner.
    """

    results_expiration_days: ResultsExpirationDays = ATHENA_RESULTS_EXPIRATION_DAYS_DEFAULT
    curated_buffering_size_mb: BufferingSizeMb = CURATED_BUFFERING_SIZE_MB_DEFAULT
    curated_buffering_interval_seconds: BufferingIntervalSeconds = (
        CURATED_BUFFERING_INTERVAL_SECONDS_DEFAULT
    )

    @classmethod
    def from_raw(cls, raw: Mapping[str, str]) -> AnalyticsSettings | None:
        """None unless analyticsEnabled is true; the other analytics keys need it on."""
        enabled = bool(raw.get("analyticsEnabled", "").strip()) and _bool(raw, "analyticsEnabled")
        if not enabled:
            _refuse_set(raw, ANALYTICS_KEYS[1:], "analyticsEnabled is not true")
            return None
        defaults = cls()

        def value(key: str, default: int, low: int, high: int) -> int:
            return _int(raw, key, low, high) if raw.get(key, "").strip() else default

        return cls(
            results_expiration_days=ResultsExpirationDays(
                value("athenaResultsExpirationDays", defaults.results_expiration_days, 1, 3650)
            ),
            curated_buffering_size_mb=BufferingSizeMb(
                value("curatedBufferingSizeMb", defaults.curated_buffering_size_mb, 1, 128)
            ),
            curated_buffering_interval_seconds=BufferingIntervalSeconds(
                value(
                    "curatedBufferingIntervalSeconds",
                    defaults.curated_buffering_interval_seconds,
                    0,
                    900,
                )
            ),
        )


def powertools_layer_arn(region: Region, architecture: Architecture, version: LayerVersion) -> str:
    """ARN of the public Powertools for AWS Lambda (Python) v3 layer for Python 3.13."""
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-python313-{architecture}:{version}"
    )


def load_stack_config(path: str | Path) -> dict[str, str]:
    """Read the `config:` block of a `Pulumi.<stack>.yaml` as fully qualified keys -> strings.

    Scalars are returned the way `pulumi.Config.get` would return them (booleans as `true`/`false`).
    Secrets and structured values are refused: this project keeps neither in stack config.
    """
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: `config` must be a mapping")
    result: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, bool):
            result[str(key)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            result[str(key)] = str(value)
        else:
            raise ValueError(f"{path}: config key {key!r} must be a plain scalar")
    return result


def _require(raw: Mapping[str, str], key: str) -> str:
    value = raw.get(key)
    if value is None or not value.strip():
        raise ValueError(f"missing required config key {PROJECT}:{key}")
    return value.strip()


def _choice(raw: Mapping[str, str], key: str, allowed: tuple[str, ...]) -> str:
    value = _require(raw, key)
    if value not in allowed:
        raise ValueError(
            f"config {PROJECT}:{key} must be one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def _int(raw: Mapping[str, str], key: str, low: int, high: int) -> int:
    value = _require(raw, key)
    try:
        number = int(value, 10)
    except ValueError:
        raise ValueError(f"config {PROJECT}:{key} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"config {PROJECT}:{key} must be between {low} and {high}, got {number}")
    return number


def _time(raw: Mapping[str, str], key: str) -> datetime:
    """An RFC 3339 time with an offset (the handlers' own rule), not before 1970-01-01T00:00:00Z:
    the raw partitions and the analytics projection start there."""
    value = _require(raw, key)
    try:
        moment = parse_timestamp(value)
    except EventTimeError as exc:
        raise ValueError(
            f"config {PROJECT}:{key} must be an RFC 3339 time with an offset, got {value!r}: {exc}"
        ) from None
    if moment < EPOCH:
        raise ValueError(
            f"config {PROJECT}:{key} must not be before 1970-01-01T00:00:00Z, got {value!r}"
        )
    return moment


def _bool(raw: Mapping[str, str], key: str) -> bool:
    value = _require(raw, key).lower()
    if value not in ("true", "false"):
        raise ValueError(f"config {PROJECT}:{key} must be true or false, got {value!r}")
    return value == "true"


def _retention(raw: Mapping[str, str], key: str) -> RetentionDays:
    days = _int(raw, key, 1, 3653)
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS))
        raise ValueError(f"config {PROJECT}:{key} must be one of {allowed}, got {days}")
    return RetentionDays(days)


def _email(raw: Mapping[str, str], key: str) -> EmailAddress | None:
    value = raw.get(key, "").strip()
    if not value:
        return None
    if not _EMAIL.match(value):
        raise ValueError(f"config {PROJECT}:{key} must be an e-mail address, got {value!r}")
    return EmailAddress(value)


def _region(region: str | None) -> Region:
    if region is None or not region.strip():
        raise ValueError("missing required config key aws:region")
    if not _REGION.match(region.strip()):
        raise ValueError(f"config aws:region is not an AWS region name: {region!r}")
    return Region(region.strip())
