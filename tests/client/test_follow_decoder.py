"""The follow decoder: what ends a stream, what breaks it, and what it ignores."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchid.client import AuthenticationError, NotFoundError, ProtocolError, StreamBroken
from orchid.client.follow import FollowDecoder, exit_code, request_frame, websocket_url


def message(state: str | None = None, **payload: Any) -> str:
    body: dict[str, Any] = {"updates": [], "log": [], "newStatus": None, **payload}
    if state is not None:
        body["newStatus"] = {"state": state}
        body["updates"] = [{"state": state, "status": f"now {state}", "timestamp": 1}]
    return json.dumps({"type": "message", "streamId": "0", "payload": body})


def response(status: int = 200, payload: Any = None) -> str:
    return json.dumps(
        {"type": "response", "streamId": "0", "payload": payload or {}, "status": status}
    )


def test_the_stream_is_done_only_after_a_final_state() -> None:
    decoder = FollowDecoder("7")
    assert decoder.feed(message("RUNNING")) is not None
    assert decoder.feed('{"ping":"pong"}') is None
    log = decoder.feed(message(log=[{"rank": 1, "stderr": "oops\n"}]))
    assert log is not None and log.log[0].stderr == "oops\n"
    assert decoder.feed(message("EXPIRED")) is not None
    assert decoder.feed(response()) is None
    assert decoder.done and decoder.state == "EXPIRED"
    assert decoder.last_status_text == "now EXPIRED"


def test_an_end_before_a_final_state_is_a_broken_stream() -> None:
    decoder = FollowDecoder("7")
    decoder.feed(message("RUNNING"))
    with pytest.raises(StreamBroken, match="job 7"):
        decoder.feed(response())
    assert not decoder.done


@pytest.mark.parametrize(("status", "error"), [(404, NotFoundError), (401, AuthenticationError)])
def test_an_error_response_is_the_typed_api_error(status: int, error: type[Exception]) -> None:
    decoder = FollowDecoder("7")
    with pytest.raises(error, match="nope"):
        decoder.feed(response(status, {"why": "nope", "errorCode": "X"}))


def test_other_streams_are_ignored_and_garbage_is_a_protocol_error() -> None:
    decoder = FollowDecoder("7")
    other = json.loads(message("SUCCESS"))
    other["streamId"] = "1"
    assert decoder.feed(json.dumps(other)) is None and decoder.state is None
    with pytest.raises(ProtocolError):
        decoder.feed("not json")
    with pytest.raises(ProtocolError):
        decoder.feed(json.dumps({"type": "message", "streamId": "0", "payload": {"log": 3}}))


def test_urls_frames_and_exit_codes() -> None:
    assert websocket_url("http://h:1") == "ws://h:1/api/jobs"
    assert websocket_url("https://h/orchid/") == "wss://h/orchid/api/jobs"
    assert json.loads(request_frame("5", "tok")) == {
        "call": "jobs.follow",
        "streamId": "0",
        "payload": {"id": "5"},
        "bearer": "tok",
    }
    assert exit_code("Your job has completed (exit code 3)") == 3
    assert exit_code("Your job has been cancelled!") is None
