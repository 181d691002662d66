"""Execution names: one derivation each, deterministic, within Step Functions' 80 characters."""

from __future__ import annotations

from ops.names import (
    batch_name,
    execution_arn,
    longest_batch_arn,
    redrive_name,
    replay_name,
    sweep_name,
)

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:app-workflow"
EVENT = {"user_id": "u", "action": "a", "event_time": 0}


def test_a_batch_is_named_by_its_events_whatever_its_form() -> None:
    assert batch_name(EVENT) == batch_name({"events": [EVENT]})
    assert batch_name({"events": [EVENT, EVENT]}) != batch_name(EVENT)
    assert batch_name(EVENT).startswith("b-")
    assert len(batch_name(EVENT)) == 34


def test_recovery_names_say_what_they_run_and_fit_the_limit() -> None:
    key = "ingest/yyyy=2025/mm=03/dd=10/hh=07/" + "a" * 32 + ".json"
    assert replay_name(key, "run1") == f"r-{'a' * 32}-run1"
    redrive = redrive_name('{"events": []}', "0123456789abcdef", 12)
    assert redrive.startswith("d-")
    assert redrive.endswith("-01234567-12")
    assert redrive_name('{"events": []}', "0123456789abcdef", 13) != redrive
    assert sweep_name("arn:a") == sweep_name("arn:a") != sweep_name("arn:b")
    for name in (replay_name(key, "12345678"), redrive, sweep_name("arn:a")):
        assert len(name) <= 80


def test_execution_arns_of_a_state_machine() -> None:
    assert execution_arn(SM, "b-1") == (
        "arn:aws:states:us-east-1:123456789012:execution:app-workflow:b-1"
    )
    assert longest_batch_arn(SM) == execution_arn(
        SM, batch_name(EVENT).replace(batch_name(EVENT)[2:], "0" * 32)
    )
