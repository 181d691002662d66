"""Hostile inputs through the three entries, and where every event they carry ended.

The entries: StartExecution with the harness admin's credentials (an operator's own script: nothing
of ours checks the input before Step Functions), the stack's HTTP route served by
``harness.serve.http_api.HttpApiServer``, and PutEvents on the stack's bus. A ``Ledger`` sends each
input, keeps what the entry answered and the execution it started, and accounts
(``Ledger.account``) for every event by id, from ``harness.tools.soak.collect``'s view of the
table, the rejected set and the two dead-letter queues:

- every sent event ends in exactly one place: a new item; the item its identical content is stored
  as already (PRESENT); a rejection with a reason of ``handlers.reasons``; its whole input in a
  dead letter (the pipeline's DLQ, the bus rule's DLQ, or one ``ops sweep`` sends); or the entry's
  refusal (an error answer, no execution);
- no id is stored twice, and nothing unknown appears (ids, dead letters, executions);
- a stored item never changes: every item of an earlier account is there, byte for byte;
- no execution of the operators' recovery state machine (replay, re-submission) ever starts;
- every execution that did not succeed sent its dead letter (its history shows ``SendToDLQ``
  exited), and ``ops sweep`` over the ledger's time range finds nothing to do but the executions a
  case expects it to take up (SWEPT): only inputs started with a raw StartExecution that
  ``handlers.limits.execution_input_problem`` refuses, which no entry we ship lets through;
- an entry's refusal is a clear message, never Python's text.

Ids are the contract's (``ident``, ``record_ident``): the client's event_id when the schema allows
it, else the hash of the event as Process reads it (``handlers.keys.event_id``), or of the text
received when it holds no event (``handlers.rawlines.text_id``).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from handlers import keys
from handlers.envelope import event_line, record_line
from handlers.limits import execution_input_problem
from handlers.rawlines import text_id
from handlers.reasons import REASONS
from harness.deploy import Deployment
from harness.emulator.patches import stepfunctions_json
from harness.serve.http_api import HttpApiServer
from harness.tools.soak import Found, collect
from ops import executions, sweep
from ops.names import execution_arn
from tests.e2e.integrity import Snapshot, snapshot

START, HTTP, BUS = "start", "http", "bus"
ENTRIES = (START, HTTP, BUS)

# Where one event of an executed input ends (besides a rejection reason).
STORED = "stored"  # a new item
PRESENT = "present"  # its identical content is stored already: no new item
COPY = "copy"  # an identical repeat inside its input: PRESENT when stored, else rejected again
ANY = "any"  # exactly one place, wherever the pipeline puts it
# Where a whole input ends.
EXECUTED = "executed"  # the execution succeeded: each event ends as its own expectation says
DEAD = "dead_letter"  # the pipeline's DLQ, sent by SendToDLQ
ENTRY_DEAD = "entry_dead_letter"  # the bus rule's DLQ
SWEPT = "swept"  # failed without a dead letter; ops sweep dead-letters it
REFUSED = "refused"  # the entry answered an error; nothing started

SOURCE, DETAIL_TYPE = "activity.hostile", "UserActivity"
# Python's own text in an answer a client reads.
LEAK = re.compile(
    r"Traceback|File \"|(Value|Type|Key|Attribute|Recursion|Unicode\w*|JSONDecode)Error|<class |"
    r"object at 0x|NoneType|sys\.|int\(\)|Exceeds the limit|unmarshal|\.py\b"
)
_HUGE = json.JSONDecoder(parse_int=Decimal)


def line_ident(line: str) -> str:
    """The id Process gives the event a raw line holds (handlers.rawlines reads the line)."""
    try:
        value = json.loads(line)
    except ValueError:  # an integer int() refuses (rawlines reads it as text), or no JSON
        try:
            value = _HUGE.decode(line)
        except ValueError:
            return text_id(line)
        return keys.client_event_id(value) or text_id(line)
    return text_id(value) if isinstance(value, str) else keys.event_id(value)


def ident(text: str) -> str:
    """The id of an event input or an element of ``events`` (JSON text): Ingest gets it as
    States.JsonToString writes it, and stores the line handlers.envelope makes of it."""
    return line_ident(event_line(compact(text)))


def record_ident(record: str) -> str:
    """The id of a record of ``{"records": [...]}`` (the text, inside a string, arrives as sent)."""
    return line_ident(record_line(record))


def compact(text: str) -> str:
    """``text`` as the interpreter holds and writes it (compact, numbers as written)."""
    try:
        return stepfunctions_json.dumps(stepfunctions_json.loads(text))
    except (ValueError, RecursionError):
        return text


@dataclass
class Sent:
    """One input sent through one entry, and what became of it."""

    case: str
    entry: str
    text: str
    events: list[tuple[str, str]]  # (id, where it ends when the input is EXECUTED)
    whole: str  # EXECUTED, a whole-input end, or ANY
    request: bytes | None = None  # HTTP: the request as sent on the socket (else a POST of text)
    arn: str | None = None
    answer: str = ""  # the entry's refusal
    headers: dict[str, str] = field(default_factory=dict)  # HTTP: the answer's headers
    status: str = ""
    output: dict[str, Any] = field(default_factory=dict)
    end: str = ""  # where the input ended (Ledger.account)


class Ledger:
    """Every input sent to one deployment, and the accounting of all of them."""

    def __init__(self, deployment: Deployment, api: HttpApiServer) -> None:
        self.deployment = deployment
        self.api = api
        self.sent: list[Sent] = []
        self.since = datetime.now(UTC) - timedelta(seconds=1)
        self.swept: set[str] = set()
        self.stored: Snapshot = {}
        self.sfn = deployment.client("stepfunctions")

    # sending ------------------------------------------------------------------------------------
    def send(
        self,
        case: str,
        entry: str,
        text: str,
        events: list[tuple[str, str]],
        whole: str = EXECUTED,
        request: bytes | None = None,
    ) -> Sent:
        sent = Sent(case, entry, text, events, whole, request)
        {START: self._start, HTTP: self._post, BUS: self._put}[entry](sent)
        self.sent.append(sent)
        return sent

    def _start(self, sent: Sent) -> None:
        try:
            sent.arn = self.sfn.start_execution(
                stateMachineArn=self.deployment.outputs["state_machine_arn"],
                name=str(uuid.uuid4()),  # as long as the names Step Functions gives the others
                input=sent.text,
            )["executionArn"]
        except ClientError as error:
            sent.answer = f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"

    def _post(self, sent: Sent) -> None:
        host, port = self.api.url.removeprefix("http://").rstrip("/").split(":")
        request = sent.request or (
            b"POST /events HTTP/1.1\r\nHost: api.local\r\nContent-Length: %d\r\n\r\n%s"
            % (len(sent.text.encode("utf-8")), sent.text.encode("utf-8"))
        )
        with socket.create_connection((host, int(port)), timeout=60) as connection:
            connection.sendall(request)
            connection.shutdown(socket.SHUT_WR)  # a body shorter than declared ends here
            response = http.client.HTTPResponse(
                connection, method=request.split(b" ", 1)[0].decode()
            )
            response.begin()
            data = response.read()
        sent.headers = dict(response.getheaders())
        body = json.loads(data) if data else {}
        if response.status == 200:
            sent.arn = body["executionArn"]
        else:
            sent.answer = f"{response.status}: {body.get('message')}"

    def _put(self, sent: Sent) -> None:
        targets = self.deployment.emulator.event_targets
        before = len(targets.deliveries)
        entry = {
            "EventBusName": self.deployment.outputs["event_bus_name"],
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": sent.text,
        }
        try:
            [result] = self.deployment.client("events").put_events(Entries=[entry])["Entries"]
        except ClientError as error:
            sent.answer = f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"
            return
        if "ErrorCode" in result:
            sent.answer = f"{result['ErrorCode']}: {result.get('ErrorMessage')}"
            return
        [delivery] = targets.deliveries[before:]
        sent.arn = delivery.execution_arn
        if sent.arn is None:
            assert delivery.dead_lettered, f"{sent.case}: a delivery neither started nor letter"

    # accounting ---------------------------------------------------------------------------------
    def settle(self) -> None:
        """Wait for every execution to end."""
        for sent in self.sent:
            if sent.arn is not None and not sent.status:
                description = executions.wait(self.sfn, sent.arn, 300, poll=1.0)
                sent.status = description["status"]
                if description.get("output"):
                    sent.output = json.loads(description["output"])

    def account(self) -> Found:
        """Settle, sweep, collect, and check every rule of the module docstring; the collection.

        The inputs sent since the last account are judged (their end, their dead letters); the
        places of every event sent so far are checked again. Dead letters once judged are purged,
        so that each account reads only its own.
        """
        self.settle()
        fresh = [sent for sent in self.sent if not sent.end]
        self._sweep(fresh)
        found = collect(self.deployment)
        self._ends(fresh, found)
        self._places(found)
        self._unchanged()
        for url in (self.deployment.outputs["dlq_url"], self.deployment.outputs["entry_dlq_url"]):
            self._delete_all(url)
        return found

    def _unchanged(self) -> None:
        """Every item an earlier account saw is still there, every attribute as it was."""
        items = snapshot(self.deployment)
        changed = [key for key, item in self.stored.items() if items.get(key) != item]
        assert not changed, f"stored items changed or gone: {changed[:5]}"
        self.stored = items

    def _delete_all(self, url: str) -> None:
        sqs = self.deployment.client("sqs")
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    def _sweep(self, fresh: list[Sent]) -> None:
        """`ops sweep` over the executions that ended since the last sweep: each one that did not
        succeed must have its dead letter (its history shows SendToDLQ exited, or its letter is in
        the DLQ), but those the sweep dead-letters itself (SWEPT); and every execution is one the
        ledger started. When every fresh execution succeeded there is nothing a sweep could find
        (every execution is the ledger's), and none is run."""
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.deployment.outputs["state_machine_arn"]
        )
        listed = {e["executionArn"] for page in pages for e in page["executions"]}
        assert listed == {s.arn for s in self.sent if s.arn is not None}
        # no input reached the operators' state machine (replay, re-submission), not even by a
        # sweep: every failure the sweep meets has its dead letter, or is one it cannot re-run
        recovery = self.sfn.list_executions(
            stateMachineArn=self.deployment.outputs["recovery_state_machine_arn"]
        )
        assert recovery["executions"] == []
        if all(sent.status == "SUCCEEDED" for sent in fresh if sent.arn is not None):
            return
        target = self.deployment.as_target()
        until = datetime.now(UTC) + timedelta(milliseconds=1)  # every execution has ended
        summary = sweep.sweep(target, self.since, until, wait=0)
        self.since = until
        results = {execution_arn(target.state_machine_arn, r.execution): r for r in summary.results}
        for sent in fresh:
            if sent.arn is None:
                continue
            result = results.pop(sent.arn, None)
            if sent.status == "SUCCEEDED":
                assert result is None, result
                continue
            assert result is not None, f"{sent.case} {sent.entry}: {sent.status}, not swept"
            if result.action != "has_dead_letter":
                assert result.action == "dead_lettered", result
                # only what no entry of ours accepts: a raw StartExecution of a refused input
                assert sent.entry == START, f"{sent.case} {sent.entry}: {result}"
                assert execution_input_problem(sent.text) is not None, sent.case
                assert sent.whole in (SWEPT, ANY), f"{sent.case} {sent.entry}: {result}"
                self.swept.add(sent.arn)
        assert not results, results

    def _ends(self, fresh: list[Sent], found: Found) -> None:
        """Where each input ended; its dead letter (if any) carries it exactly, once."""
        wanted: Counter[tuple[str, str]] = Counter()
        for sent in fresh:
            if sent.answer:
                assert sent.arn is None
                assert not LEAK.search(sent.answer), f"{sent.case} {sent.entry}: {sent.answer}"
                sent.end = REFUSED
            elif sent.arn is None:
                sent.end = ENTRY_DEAD
                wanted[ENTRY_DEAD, compact(sent.text)] += 1
            elif sent.status == "SUCCEEDED":
                sent.end = EXECUTED
            else:
                sent.end = SWEPT if sent.arn in self.swept else DEAD
                wanted[DEAD, compact(sent.text)] += 1
        letters = Counter((DEAD, compact(text)) for text in found.letters)
        letters += Counter((ENTRY_DEAD, compact(text)) for text in found.entry_letters)
        assert letters == wanted, (
            f"dead letters of no input: {list(letters - wanted)[:2]}; "
            f"inputs without their letter: {list(wanted - letters)[:2]}"
        )
        wrong = [
            (s.case, s.entry, s.whole, s.end, s.answer or s.status)
            for s in fresh
            if s.whole != ANY and s.whole != s.end
        ]
        assert not wrong, wrong

    def _places(self, found: Found) -> None:
        sent_ids: Counter[str] = Counter()
        whole: Counter[str] = Counter()  # events whose whole input ended elsewhere
        repeats: Counter[str] = Counter()  # PRESENT and COPY: absorbed when the id is stored
        resent: Counter[str] = Counter()  # in a batch ingested before: where its first copy is
        exact: dict[str, Counter[str]] = {}
        loose: set[str] = set()
        batches: set[str] = set()
        for sent in self.sent:
            again = sent.end == EXECUTED and sent.output["raw_key"] in batches
            if sent.end == EXECUTED:
                batches.add(sent.output["raw_key"])
            for event_id, expect in sent.events:
                sent_ids[event_id] += 1
                if sent.end != EXECUTED:
                    whole[event_id] += 1
                    continue
                if again:
                    resent[event_id] += 1
                    continue
                if expect in (ANY, COPY):
                    loose.add(event_id)
                if expect in (PRESENT, COPY):
                    repeats[event_id] += 1
                elif expect != ANY:
                    exact.setdefault(event_id, Counter())[expect] += 1
        wrong = []
        for event_id, count in sent_ids.items():
            stored = found.table[event_id]
            reasons = found.rejected.get(event_id, [])
            absorbed = (repeats[event_id] if stored else 0) + resent[event_id]
            if stored > 1 or stored + len(reasons) + whole[event_id] != count - absorbed:
                wrong.append((event_id, count, stored, reasons, whole[event_id]))
                continue
            got = Counter(reasons) + Counter({STORED: stored})
            if event_id not in loose and got != exact.get(event_id, Counter()):
                wrong.append((event_id, dict(exact.get(event_id, {})), dict(got)))
        unknown = (set(found.table) | set(found.rejected)) - set(sent_ids)
        reasons = {reason for listed in found.rejected.values() for reason in listed}
        assert reasons <= set(REASONS), f"reasons no contract names: {reasons - set(REASONS)}"
        senders = {w[0]: self._carriers(w[0]) for w in wrong[:3]}
        assert not wrong, f"events not where they must be: {wrong[:5]}, sent in {senders}"
        assert not unknown, f"ids no input carried: {sorted(unknown)[:5]}"

    def _carriers(self, event_id: str) -> list[tuple[str, str, str, str, Any]]:
        return [
            (s.case, s.entry, s.end, s.text[:400], s.output.get("rejected"))
            for s in self.sent
            if any(i == event_id for i, _ in s.events)
        ]

    def cases(self) -> list[tuple[str, str, str]]:
        """(case, entry, where its events ended) for every input sent, once accounted."""
        rows = []
        for sent in self.sent:
            if sent.end == EXECUTED:
                ends = Counter(expect for _, expect in sent.events)
                where = ", ".join(f"{k} {n}" for k, n in sorted(ends.items()))
            else:
                where = f"{sent.end} ({sent.answer or sent.status})"[:100]
            rows.append((sent.case, sent.entry, where))
        return rows
