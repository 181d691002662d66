"""``python -m harness soak``: many events under injected faults, then an exactly-once accounting.

Generates ``--events`` events (``--malformed-rate`` of them malformed in one of five ways), sends
them in micro-batches of ``--batch-size`` (one Standard execution ``b-<batch_id>`` each) into the
embedded emulator with ``--fault-rate`` of S3, DynamoDB and Lambda calls failing
(``harness.emulator.faults``), redrives the DLQ (``ops.redrive``) until it is empty (five rounds at
most), and accounts for every event by ``event_id``.

Counting: every event's id is known before it is sent (valid events carry a client ``event_id``;
a malformed one is identified by ``handlers.keys.event_id`` — its client id when usable, else its
content hash). Afterwards the ids are collected from the three places an event may end: the table
(a full Scan, attribute ``event_id``), the rejected set (every NDJSON line of every ``rejected/``
object in the raw bucket) and the DLQ (the events of every message's ``input``, read without
deleting). lost = sent ids found nowhere; duplicated = ids stored more than once in the table, or
both stored and rejected; an id still in the DLQ is "in the DLQ" (a redrive is first-write-wins,
so an id there that is also stored is not a duplicate). Also checked: valid events are stored,
malformed ones rejected with the expected reason (misplaced), and nothing unknown appears.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import keys
from handlers.jsontext import member_texts
from handlers.times import format_time
from harness.deploy import Deployment, deploy
from harness.emulator import Emulator
from harness.emulator.faults import TARGETS, FaultConfig, FaultInjector
from ops.deadletters import peek, python_value
from ops.executions import Run, Runner
from ops.redrive import redrive

PEEK_LIMIT = 100_000
SOAK_TARGETS = tuple(t for t in TARGETS if t != "firehose")
ACTIONS = ("page_view", "Click", "login", "add-to-cart", "Search", "logout")
# malformed kind -> the rejection reason it must end with
MALFORMED = {
    "missing_user_id": "schema_violation",
    "unparseable_time": "bad_event_time",
    "future_time": "future_event_time",
    "empty_action": "invalid_action",
    "not_an_object": "schema_violation",
}


@dataclass(frozen=True)
class Workload:
    events: list[Any]
    expected: dict[str, str]  # event_id -> "stored" or the rejection reason

    def batches(self, size: int) -> list[list[Any]]:
        return [self.events[i : i + size] for i in range(0, len(self.events), size)]


def workload(count: int, malformed_rate: float, seed: int, now: datetime) -> Workload:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    events: list[Any] = []
    expected: dict[str, str] = {}
    kinds = sorted(MALFORMED)
    for i in range(count):
        moment = now - timedelta(
            seconds=rng.randrange(1, 6 * 3600), milliseconds=rng.randrange(1000)
        )
        event: Any = {
            "event_id": f"soak-{seed}-{i:06d}",
            "user_id": f"u-{rng.randrange(500):03d}",
            "action": rng.choice(ACTIONS),
            "event_time": format_time(moment),
            "session_id": f"s-{rng.randrange(2000)}",
            "page": f"/p/{rng.randrange(100)}",
            "ip": f"198.51.100.{rng.randrange(256)}",
            "properties": {"n": i, "price": round(rng.random() * 100, 2)},
        }
        outcome = "stored"
        if rng.random() < malformed_rate:
            kind = kinds[i % len(kinds)]
            outcome = MALFORMED[kind]
            if kind == "missing_user_id":
                del event["user_id"]
            elif kind == "unparseable_time":
                event["event_time"] = "yesterday at noon"
            elif kind == "future_time":
                event["event_time"] = format_time(now + timedelta(hours=48))
            elif kind == "empty_action":
                event["action"] = "???"
            else:
                event = [f"soak-{seed}-{i:06d}", "not an event"]
        ident = keys.event_id(event)
        if ident in expected:
            raise AssertionError(f"workload generated event_id {ident} twice")
        expected[ident] = outcome
        events.append(event)
    return Workload(events, expected)


@dataclass
class Found:
    table: Counter[str] = field(default_factory=Counter)
    rejected: dict[str, list[str]] = field(default_factory=dict)  # id -> reasons
    dlq: Counter[str] = field(default_factory=Counter)
    dlq_messages: int = 0
    # The execution input each dead letter carries, as its exact text: the DLQ's (`input`) and,
    # with the EventBridge entry, the entry DLQ's (the event's `detail`, the rule's input).
    letters: list[str] = field(default_factory=list)
    entry_letters: list[str] = field(default_factory=list)


def collect(deployment: Deployment) -> Found:
    found = Found()
    ddb, s3, sqs = (deployment.client(s) for s in ("dynamodb", "s3", "sqs"))
    outputs = deployment.outputs
    for page in ddb.get_paginator("scan").paginate(
        TableName=outputs["table_name"], ProjectionExpression="event_id"
    ):
        found.table.update(item["event_id"]["S"] for item in page["Items"])
    bucket = outputs["raw_bucket_name"]
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=keys.REJECTED_PREFIX
    ):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            # NDJSON lines end at "\n" only: U+2028 or U+0085 may stand inside a string
            for line in filter(None, body.decode("utf-8").split("\n")):
                record = json.loads(line)
                found.rejected.setdefault(record["event_id"], []).append(record["reason"])
    # Read without deleting: each message made visible again once the count has it (peek).
    for message in peek(sqs, outputs["dlq_url"], PEEK_LIMIT, wait=0):
        text = member_texts(message["Body"])["input"]  # exactly as the letter has it
        found.letters.append(text)
        try:
            payload = python_value(text)
        except (ValueError, RecursionError):  # no batch of ours: counted by its text
            payload = None
        events = payload.get("events") if isinstance(payload, dict) else None
        if isinstance(events, list):
            found.dlq.update(keys.event_id(e) for e in events)
        found.dlq_messages += 1
    if outputs.get("entry_dlq_url"):
        for message in peek(sqs, outputs["entry_dlq_url"], PEEK_LIMIT, wait=0):
            found.entry_letters.append(member_texts(message["Body"])["detail"])
    return found


@dataclass
class SoakReport:
    sent: int
    batches: int
    expected: dict[str, str]
    found: Found
    faults: FaultInjector
    first_pass: Counter[str]
    redriven_messages: int
    redriven_events: int
    redrive_rounds: int
    seconds: float
    settings: dict[str, Any]

    @property
    def lost(self) -> list[str]:
        f = self.found
        return [i for i in self.expected if not (f.table[i] or i in f.rejected or f.dlq[i])]

    @property
    def duplicated(self) -> list[str]:
        f = self.found
        stored_twice = [i for i, n in f.table.items() if n > 1]
        rejected_twice = [i for i, reasons in f.rejected.items() if len(reasons) > 1]
        both = [i for i in f.table if i in f.rejected]
        return sorted(set(stored_twice + rejected_twice + both))

    @property
    def unknown(self) -> list[str]:
        f = self.found
        return sorted((set(f.table) | set(f.rejected) | set(f.dlq)) - set(self.expected))

    @property
    def misplaced(self) -> list[str]:
        """Valid events not stored, malformed ones not rejected with their reason (DLQ aside)."""
        f = self.found
        wrong = []
        for ident, outcome in self.expected.items():
            if f.dlq[ident] and not f.table[ident] and ident not in f.rejected:
                continue
            ok = f.table[ident] if outcome == "stored" else f.rejected.get(ident) == [outcome]
            if not ok:
                wrong.append(ident)
        return wrong

    def lines(self) -> list[str]:
        f = self.found
        stored = sum(1 for i in self.expected if f.table[i])
        rejected = Counter(
            f.rejected[i][0] for i in self.expected if i in f.rejected and not f.table[i]
        )
        in_dlq = sum(
            1 for i in self.expected if f.dlq[i] and not f.table[i] and i not in f.rejected
        )
        faults = ", ".join(f"{target} {n}" for target, n in sorted(self.faults.by_target().items()))
        kinds = Counter(kind for (_, _, kind), n in self.faults.injected.items() for _ in range(n))
        eligible = sum(self.faults.eligible.values())
        return [
            "soak report",
            f"  settings           {json.dumps(self.settings, sort_keys=True)}",
            f"  events sent        {self.sent} in {self.batches} batches",
            f"  faults injected    {self.faults.total} of {eligible} eligible calls ({faults}; "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            + ")",
            "  first pass         "
            + ", ".join(f"{k.lower()} {n}" for k, n in sorted(self.first_pass.items())),
            f"  stored             {stored}",
            f"  rejected           {sum(rejected.values())} "
            + json.dumps(dict(sorted(rejected.items()))),
            f"  in the DLQ         {in_dlq} events in {f.dlq_messages} messages",
            f"  redriven           {self.redriven_events} events in {self.redriven_messages} "
            f"messages ({self.redrive_rounds} round(s))",
            f"  lost               {len(self.lost)}",
            f"  duplicated         {len(self.duplicated)}",
            f"  misplaced          {len(self.misplaced)}",
            f"  unknown ids        {len(self.unknown)}",
            f"  wall time          {self.seconds:.1f}s",
            "  counted by event_id across the table (Scan), the rejected set (rejected/ objects)",
            "  and the DLQ (messages' input); every sent id is known up front. lost = found",
            "  nowhere; duplicated = stored twice, rejected twice, or stored and rejected.",
        ]


def run_soak(
    *,
    events: int = 10_000,
    batch_size: int = 100,
    fault_rate: float = 0.05,
    malformed_rate: float = 0.01,
    seed: int = 1,
    concurrency: int = 4,
    redrive_rounds: int = 5,
    retry_time_scale: float = 0.01,
    stack: str = "dev",
    progress: bool = True,
) -> SoakReport:
    settings = {
        "events": events,
        "batch_size": batch_size,
        "fault_rate": fault_rate,
        "malformed_rate": malformed_rate,
        "seed": seed,
        "concurrency": concurrency,
    }
    started = time.monotonic()
    data = workload(events, malformed_rate, seed, datetime.now(UTC))
    # Every target but Firehose: the soak accounts for the DynamoDB table, the rejected set and
    # the DLQ, not the curated table that Write's PutRecordBatch feeds.
    config = FaultConfig(rate=fault_rate, seed=seed, targets=SOAK_TARGETS)
    with Emulator(retry_time_scale=retry_time_scale, faults=config) as emulator:
        assert emulator.faults is not None
        deployment = deploy(emulator, stack)
        target = deployment.as_target()
        batches = data.batches(batch_size)
        runs = [Run.of({"events": b}) for b in batches]
        outcomes = Runner.for_target(target).run_all(
            runs, concurrency=concurrency, label="soak" if progress else None
        )
        first_pass = Counter(o.status for o in outcomes)
        redriven_messages = redriven_events = rounds = 0
        for rounds in range(1, redrive_rounds + 1):  # noqa: B007 - reported
            summary = redrive(
                target, max_messages=10_000, concurrency=concurrency, progress=progress
            )
            done = [o for o in summary.outcomes if o.status == "SUCCEEDED"]
            redriven_messages += len(done)
            redriven_events += sum(summary.letters[o.run.name].events or 0 for o in done)
            if summary.received == 0 or len(done) == summary.received:
                break
        found = collect(deployment)
        return SoakReport(
            sent=events,
            batches=len(batches),
            expected=data.expected,
            found=found,
            faults=emulator.faults,
            first_pass=first_pass,
            redriven_messages=redriven_messages,
            redriven_events=redriven_events,
            redrive_rounds=rounds,
            seconds=time.monotonic() - started,
            settings=settings,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=10_000, help="events to send")
    parser.add_argument(
        "--batch-size", type=int, default=100, help="events per execution (micro-batch)"
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.05,
        help="share of the functions' S3, DynamoDB and Lambda calls that fail",
    )
    parser.add_argument(
        "--malformed-rate", type=float, default=0.01, help="share of the events that are malformed"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the workload and the faults")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="executions run at once (batches: 4), or clients sending at once (single: 8)",
    )
    parser.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml to deploy")
    parser.add_argument(
        "--mode",
        choices=("batches", "single"),
        default="batches",
        help="batches: micro-batches started directly; single: one POST /events per event "
        "through the entry buffer (harness.tools.soak_single), with the latency from the 200 "
        "to the item",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        metavar="EVENTS_PER_SECOND",
        help="single mode: send at this steady rate (default: as fast as the clients go)",
    )


def main(args: argparse.Namespace) -> int:
    if args.mode == "single":
        from harness.tools import soak_single

        return soak_single.main(
            events=args.events,
            fault_rate=args.fault_rate,
            malformed_rate=args.malformed_rate,
            seed=args.seed,
            concurrency=args.concurrency or 8,
            rate=args.rate,
        )
    report = run_soak(
        events=args.events,
        batch_size=args.batch_size,
        fault_rate=args.fault_rate,
        malformed_rate=args.malformed_rate,
        seed=args.seed,
        concurrency=args.concurrency or 4,
        stack=args.stack,
    )
    print("\n".join(report.lines()), flush=True)
    ok = not (report.lost or report.duplicated or report.unknown or report.misplaced)
    if not ok:
        print("soak: FAILED (see lost/duplicated/misplaced/unknown)", file=sys.stderr)
    return 0 if ok else 1
