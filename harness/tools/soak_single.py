"""``python -m harness soak --mode single``: single events over the local route, through the buffer.

Every event is one ``POST /events`` of its own on the local HTTP API (the dev stack's, buffered;
the stage's throttling raised to the account's defaults so the soak measures the pipeline, not the
dev stage's 25 requests a second), from ``concurrency`` clients; a client sends a request again
after a 429, a 5xx, ``RequestThrottled`` or a broken connection, as an SDK would. The entry
buffer's consumer runs as in ``serve`` — the batching window as deployed, the visibility timeout
scaled — and ``fault_rate`` of the eligible calls fail (harness.emulator.faults: the functions'
S3 and DynamoDB calls, every Lambda invoke — the Batch function's too —, the route's and the
poller's SQS calls, the Batch function's StartExecution). ``malformed_rate`` of the bodies are
malformed: an event the schema refuses, or a body that is not JSON. Then both DLQs are redriven
(ops.redrive) until they are empty, and every event is accounted for by ``event_id`` across the
table, the rejected set, the DLQ (records of its letters' inputs) and the buffer's DLQ (records of
its bodies).

lost = sent and found nowhere; duplicated = stored twice, or stored and rejected, or rejected for
two reasons. The entry is at-least-once: a request whose answer was lost is sent again, a batch
whose invocation timed out is delivered again, so the same malformed body may be rejected twice
(the same reason, another raw object) — counted apart as "rejected again", as a table item
``already_present`` is not counted twice. Latency: from a request's 200 to its item, the time the
Write task of its execution succeeded (the execution's history), p50/p99 over the events stored
on the first pass (not by a redrive).
"""

from __future__ import annotations

import http.client
import json
import math
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from handlers import keys
from handlers.packing import message_records
from handlers.rawlines import text_id
from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.emulator.faults import TARGETS, FaultConfig, FaultInjector
from harness.serve.http_api import HttpApiServer
from harness.tools.soak import MALFORMED, workload
from ops.deadletters import parse_message, receive
from ops.redrive import redrive

P = "activity-pipeline:"
NOT_JSON = "not_json"
# The stage's throttling raised to API Gateway's account defaults (10,000 per second, burst 5,000).
THROTTLING = {f"{P}httpApiThrottleBurst": "5000", f"{P}httpApiThrottleRate": "10000"}
VISIBILITY_SCALE = 0.01  # 185 s -> 2 s before a failed batch comes back
RETRIED_TYPES = {"RequestThrottled", "ThrottlingException"}
READ_LIMIT = 100_000


@dataclass(frozen=True)
class Body:
    text: str
    event_id: str
    outcome: str  # "stored" or the rejection reason


def bodies(count: int, malformed_rate: float, seed: int) -> list[Body]:
    """The soak's workload (harness.tools.soak) as request bodies; every sixth malformed one is
    cut short, so it is not JSON."""
    data = workload(count, malformed_rate, seed, datetime.now(UTC))
    out: list[Body] = []
    malformed = 0
    for event in data.events:
        ident = keys.event_id(event)
        outcome = data.expected[ident]
        text = json.dumps(event)
        if outcome != "stored":
            malformed += 1
            if malformed % (len(MALFORMED) + 1) == 0:
                text = text[: len(text) // 2]
                ident, outcome = text_id(text), NOT_JSON
        out.append(Body(text, ident, outcome))
    return out


@dataclass
class Sent:
    accepted_at: dict[str, float] = field(default_factory=dict)  # event_id -> time of the 200
    retries: Counter[str] = field(default_factory=Counter)  # why a request was sent again
    lock: threading.Lock = field(default_factory=threading.Lock)


def send_all(
    url: str, work: list[Body], concurrency: int, sent: Sent, rate: float | None = None
) -> None:
    """Every body POSTed by ``concurrency`` clients; with ``rate``, body i is not sent before
    i / rate seconds have passed (a steady arrival rate, for the latency figure)."""
    target = urlparse(url)
    local = threading.local()
    start = time.monotonic()
    order = {id(body): i for i, body in enumerate(work)}

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(str(target.hostname), target.port, timeout=60)
        conn: http.client.HTTPConnection = local.conn
        return conn

    def send(body: Body) -> None:
        if rate:
            time.sleep(max(0.0, start + order[id(body)] / rate - time.monotonic()))
        data = body.text.encode("utf-8")
        while True:
            try:
                conn = connection()
                conn.request("POST", "/events", data, {"Content-Type": "application/json"})
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                local.conn = None
                why = type(error).__name__
            else:
                if response.status == 200:
                    with sent.lock:
                        sent.accepted_at[body.event_id] = time.time()
                    return
                kind = json.loads(answer or b"{}").get("__type")
                if not (response.status in (429, 500, 502, 503, 504) or kind in RETRIED_TYPES):
                    raise AssertionError(f"{body.event_id}: {response.status} {answer!r}")
                why = str(kind or response.status)
            with sent.lock:
                sent.retries[why] += 1
            time.sleep(0.01)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="soak-client") as pool:
        list(pool.map(send, work))


def settle(deployment: Deployment, timeout: float = 1800) -> None:
    """Until the buffer holds nothing and no execution of the main state machine runs."""
    sqs, sfn = deployment.client("sqs"), deployment.client("stepfunctions")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the buffer did not drain")
        attributes = sqs.get_queue_attributes(
            QueueUrl=deployment.outputs["buffer_queue_url"], AttributeNames=names
        )["Attributes"]
        running = sfn.list_executions(
            stateMachineArn=deployment.outputs["state_machine_arn"], statusFilter="RUNNING"
        )["executions"]
        idle = not running and all(attributes[n] == "0" for n in names)
        quiet = quiet + 1 if idle else 0
        time.sleep(0.5)


def executions_of(deployment: Deployment) -> set[str]:
    """The ARNs of the main state machine's executions so far."""
    pages = (
        deployment.client("stepfunctions")
        .get_paginator("list_executions")
        .paginate(stateMachineArn=deployment.outputs["state_machine_arn"])
    )
    return {e["executionArn"] for page in pages for e in page["executions"]}


def record_ids(text: str) -> list[str]:
    """The event_ids Process gives the records of a body or a records input."""
    ids = []
    for record in message_records(text):
        try:
            value = json.loads(record)
        except ValueError:
            ids.append(text_id(record))
        else:
            ids.append(keys.event_id(value))
    return ids


@dataclass
class Found:
    table: Counter[str] = field(default_factory=Counter)
    stored_by: dict[str, str] = field(default_factory=dict)  # event_id -> execution_id
    rejected: dict[str, list[str]] = field(default_factory=dict)
    dlq: Counter[str] = field(default_factory=Counter)
    dlq_messages: int = 0
    buffer_dlq_messages: int = 0


def collect(deployment: Deployment) -> Found:
    found = Found()
    ddb, s3, sqs = (deployment.client(s) for s in ("dynamodb", "s3", "sqs"))
    outputs = deployment.outputs
    for page in ddb.get_paginator("scan").paginate(
        TableName=outputs["table_name"], ProjectionExpression="event_id, execution_id"
    ):
        for item in page["Items"]:
            ident = item["event_id"]["S"]
            found.table[ident] += 1
            found.stored_by[ident] = item["execution_id"]["S"]
    bucket = outputs["raw_bucket_name"]
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=keys.REJECTED_PREFIX
    ):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            for line in body.decode("utf-8").splitlines():
                record = json.loads(line)
                found.rejected.setdefault(record["event_id"], []).append(record["reason"])
    letters = receive(sqs, outputs["dlq_url"], READ_LIMIT, visibility=30, wait=0)
    for message in letters:
        input_text = parse_message(message).input_text
        value = json.loads(input_text)
        texts = value.get("records") if isinstance(value, dict) else None
        for text in texts if isinstance(texts, list) else [input_text]:
            found.dlq.update(record_ids(text))
    found.dlq_messages = len(letters)
    buffered = receive(sqs, outputs["buffer_dlq_url"], READ_LIMIT, visibility=30, wait=0)
    for message in buffered:
        found.dlq.update(record_ids(message["Body"]))
    found.buffer_dlq_messages = len(buffered)
    return found


def write_times(deployment: Deployment, executions: set[str]) -> dict[str, float]:
    """Execution ARN -> when its Write task succeeded (its history), for executions of the main
    state machine."""
    sfn = deployment.client("stepfunctions")
    times: dict[str, float] = {}
    for arn in executions:
        write: float | None = None
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
            for event in page["events"]:
                if event["type"] == "TaskStateExited" and (
                    event.get("stateExitedEventDetails", {}).get("name") == "Write"
                ):
                    write = event["timestamp"].timestamp()
        if write is not None:
            times[arn] = write
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class SingleReport:
    work: list[Body]
    sent: Sent
    found: Found
    faults: FaultInjector
    executions: list[dict[str, Any]]  # the main state machine's, first pass
    redriven_messages: int
    redrive_rounds: int
    latencies: list[float]
    seconds: float
    settings: dict[str, Any]

    @property
    def expected(self) -> dict[str, str]:
        return {b.event_id: b.outcome for b in self.work}

    @property
    def batch_sizes(self) -> list[int]:
        """Records per first-pass execution."""
        return [len(json.loads(e["input"])["records"]) for e in self.executions]

    @property
    def lost(self) -> list[str]:
        f = self.found
        return [i for i in self.expected if not (f.table[i] or i in f.rejected or f.dlq[i])]

    @property
    def duplicated(self) -> list[str]:
        f = self.found
        stored_twice = [i for i, n in f.table.items() if n > 1]
        two_reasons = [i for i, reasons in f.rejected.items() if len(set(reasons)) > 1]
        both = [i for i in f.table if i in f.rejected]
        return sorted(set(stored_twice + two_reasons + both))

    @property
    def rejected_again(self) -> list[str]:
        f = self.found
        return sorted(i for i, r in f.rejected.items() if len(r) > 1 and len(set(r)) == 1)

    @property
    def unknown(self) -> list[str]:
        f = self.found
        return sorted((set(f.table) | set(f.rejected) | set(f.dlq)) - set(self.expected))

    @property
    def misplaced(self) -> list[str]:
        f = self.found
        wrong = []
        for ident, outcome in self.expected.items():
            if f.dlq[ident] and not f.table[ident] and ident not in f.rejected:
                continue
            ok = (
                f.table[ident]
                if outcome == "stored"
                else set(f.rejected.get(ident, [])) == {outcome}
            )
            if not ok:
                wrong.append(ident)
        return wrong

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unknown or self.misplaced)

    def lines(self) -> list[str]:
        f = self.found
        stored = sum(1 for i in self.expected if f.table[i])
        reasons = Counter(
            f.rejected[i][0] for i in self.expected if i in f.rejected and not f.table[i]
        )
        in_dlq = sum(
            1 for i in self.expected if f.dlq[i] and not f.table[i] and i not in f.rejected
        )
        sizes = self.batch_sizes
        statuses = Counter(e["status"] for e in self.executions)
        faults = ", ".join(f"{t} {n}" for t, n in sorted(self.faults.by_target().items()))
        kinds = Counter(kind for (_, _, kind), n in self.faults.injected.items() for _ in range(n))
        eligible = sum(self.faults.eligible.values())
        lat = self.latencies
        latency = (
            f"p50 {percentile(lat, 0.5):.2f}s, p99 {percentile(lat, 0.99):.2f}s, "
            f"max {max(lat):.2f}s over {len(lat)} events"
            if lat
            else "none"
        )
        malformed = sum(1 for b in self.work if b.outcome != "stored")
        return [
            "soak report (single events through the entry buffer)",
            f"  settings           {json.dumps(self.settings, sort_keys=True)}",
            f"  bodies sent        {len(self.work)} ({malformed} malformed), one POST each",
            "  requests again     "
            + (", ".join(f"{k} {n}" for k, n in sorted(self.sent.retries.items())) or "none"),
            f"  faults injected    {self.faults.total} of {eligible} eligible calls ({faults}; "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            + ")",
            f"  executions         {len(self.executions)} first pass "
            + json.dumps(dict(sorted(statuses.items())))
            + (
                f", events per execution avg {sum(sizes) / len(sizes):.0f} max {max(sizes)}"
                if sizes
                else ""
            ),
            f"  stored             {stored}",
            f"  rejected           {sum(reasons.values())} "
            + json.dumps(dict(sorted(reasons.items()))),
            f"  in the DLQs        {in_dlq} events ({f.dlq_messages} letters, "
            f"{f.buffer_dlq_messages} buffer messages)",
            f"  redriven           {self.redriven_messages} messages "
            f"({self.redrive_rounds} round(s))",
            f"  lost               {len(self.lost)}",
            f"  duplicated         {len(self.duplicated)}",
            f"  rejected again     {len(self.rejected_again)} (a redelivered malformed body)",
            f"  misplaced          {len(self.misplaced)}",
            f"  unknown ids        {len(self.unknown)}",
            f"  latency 200->item  {latency}",
            f"  wall time          {self.seconds:.1f}s",
            "  counted by event_id across the table (Scan), the rejected set (rejected/ objects),",
            "  the DLQ and the buffer's DLQ; every sent id is known up front. lost = found",
            "  nowhere; duplicated = stored twice, stored and rejected, or rejected for two",
            "  reasons; latency = the request's 200 to its execution's Write (first pass).",
        ]


def run_single(
    *,
    events: int = 10_000,
    fault_rate: float = 0.05,
    malformed_rate: float = 0.01,
    seed: int = 1,
    concurrency: int = 8,
    rate: float | None = None,
    redrive_rounds: int = 5,
    retry_time_scale: float = 0.01,
    stack: str = "dev",
    progress: bool = True,
    warmup: int = 0,
) -> SingleReport:
    settings = {
        "mode": "single",
        "events": events,
        "fault_rate": fault_rate,
        "malformed_rate": malformed_rate,
        "seed": seed,
        "concurrency": concurrency,
        "rate": rate,
    }
    started = time.monotonic()
    work = bodies(events, malformed_rate, seed)
    random.Random(seed).shuffle(work)  # noqa: S311 - reproducible order, not secrets
    # ``warmup`` valid events first, settled before the work is sent: the functions' first
    # invocations (imports, clients) are not counted in the latency, as the bench's warm-up
    # executions are not; they are accounted for with the rest (their ids carry another seed).
    warm = bodies(warmup, 0.0, seed + 1_000_000) if warmup else []
    config = FaultConfig(rate=fault_rate, seed=seed, targets=TARGETS)
    with Emulator(retry_time_scale=retry_time_scale, faults=config) as emulator:
        assert emulator.faults is not None
        deployment = deploy(emulator, stack, overrides=THROTTLING)
        if deployment.outputs.get("entry_mode") != "buffered":
            raise SystemExit(f"soak --mode single needs a buffered stack; {stack} is not")
        emulator.event_sources.scale(1.0, VISIBILITY_SCALE)
        emulator.event_sources.start()
        sent = Sent()
        warm_arns: set[str] = set()
        try:
            with HttpApiServer(emulator, deployment.outputs["http_api_id"]) as api:
                if warm:
                    send_all(api.url, warm, concurrency, Sent(), None)
                    settle(deployment)
                    warm_arns = executions_of(deployment)
                send_all(api.url, work, concurrency, sent, rate)
            settle(deployment)
        finally:
            emulator.event_sources.stop()
        sfn = deployment.client("stepfunctions")
        first = [
            sfn.describe_execution(executionArn=arn)
            for arn in sorted(executions_of(deployment) - warm_arns)
        ]
        redriven = rounds = 0
        target = deployment.as_target()
        for rounds in range(1, redrive_rounds + 1):  # noqa: B007 - reported
            summary = redrive(target, max_messages=10_000, concurrency=4, progress=progress)
            redriven += summary.as_dict()["redriven"]
            if summary.received == 0 or summary.as_dict()["kept"] == 0:
                break
        found = collect(deployment)
        arns = {e["executionArn"] for e in first}
        writes = write_times(deployment, {x for x in found.stored_by.values() if x in arns})
        latencies = [
            writes[found.stored_by[ident]] - accepted
            for ident, accepted in sent.accepted_at.items()
            if found.stored_by.get(ident) in writes
        ]
        return SingleReport(
            work=warm + work,
            sent=sent,
            found=found,
            faults=emulator.faults,
            executions=first,
            redriven_messages=redriven,
            redrive_rounds=rounds,
            latencies=latencies,
            seconds=time.monotonic() - started,
            settings=settings,
        )


def main(
    events: int,
    fault_rate: float,
    malformed_rate: float,
    seed: int,
    concurrency: int,
    rate: float | None,
) -> int:
    report = run_single(
        events=events,
        fault_rate=fault_rate,
        malformed_rate=malformed_rate,
        seed=seed,
        concurrency=concurrency,
        rate=rate,
    )
    print("\n".join(report.lines()), flush=True)
    if not report.ok:
        print("soak: FAILED (see lost/duplicated/misplaced/unknown)", file=sys.stderr)
    return 0 if report.ok else 1
