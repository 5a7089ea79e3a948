"""The wire protocol through raw zmq sockets: frames built by hand with hmac, so the kernel gets
what jupyter_client would never send. A bad message must vanish without a trace (no reply, no
status) and leave the kernel serving; a replayed message must run once only."""

from __future__ import annotations

import json

import pytest
import zmq

from test_protocol_support import DELIMITER, of_type, raw, vkernel  # noqa: F401 (fixtures)


def good_kernel_info(raw, sock) -> dict:
    """A well-signed kernel_info_request on `sock`; its reply (validated)."""
    msg_id, frames = raw.frames("kernel_info_request")
    sock.send_multipart(frames)
    return expect_reply(raw, sock, msg_id)


def expect_reply(raw, sock, msg_id: str) -> dict:
    reply = raw.recv(sock, timeout=10)
    assert reply is not None, "no reply"
    assert reply["parent_header"]["msg_id"] == msg_id, "a reply to another message came first"
    return reply


def assert_dropped(vkernel, raw, sock, bad_id: str | None) -> None:
    """Nothing answered the bad message, and the kernel answers the next good one. Shell and iopub
    are in order, so once the good request's idle arrives, anything the bad one caused is out."""
    msg_id, frames = raw.frames("kernel_info_request")
    sock.send_multipart(frames)
    reply = expect_reply(raw, sock, msg_id)
    assert reply["content"]["status"] == "ok"
    seen = []
    while True:
        msg = vkernel.kc.get_iopub_msg(timeout=10)
        seen.append(msg)
        if msg["parent_header"].get("msg_id") == msg_id and msg["content"].get("execution_state") == "idle":
            break
    if bad_id is not None:
        assert not [m for m in seen if m["parent_header"].get("msg_id") == bad_id], "the bad message was handled"
    # only the good request's busy/idle: nothing for the dropped one
    assert [m["parent_header"].get("msg_id") for m in seen if m["msg_type"] == "status"] == [msg_id, msg_id]


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_wrong_signature_is_dropped(vkernel, raw, channel):
    sock = raw.socket(zmq.DEALER, channel)
    bad_id, frames = raw.frames("kernel_info_request", key=b"not-the-key")
    sock.send_multipart(frames)
    assert_dropped(vkernel, raw, sock, bad_id)


def test_missing_signature_is_dropped(vkernel, raw):
    sock = raw.socket(zmq.DEALER, "shell")
    bad_id, frames = raw.frames("execute_request", {"code": "ran = True", "silent": False})
    frames[1] = b""
    sock.send_multipart(frames)
    assert_dropped(vkernel, raw, sock, bad_id)
    reply, outputs = vkernel.execute("'ran' in globals()")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "False"


def test_tampered_content_is_dropped(vkernel, raw):
    """A correct signature over other content: the content was changed in transit."""
    sock = raw.socket(zmq.DEALER, "shell")
    bad_id, frames = raw.frames("execute_request", {"code": "1"})
    frames[5] = json.dumps({"code": "tampered = True"}).encode()
    sock.send_multipart(frames)
    assert_dropped(vkernel, raw, sock, bad_id)
    reply, outputs = vkernel.execute("'tampered' in globals()")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "False"


def test_replayed_message_runs_once(vkernel, raw):
    vkernel.execute("counter = 0")
    sock = raw.socket(zmq.DEALER, "shell")
    replayed_id, frames = raw.frames("execute_request", {"code": "counter += 1", "silent": False,
                                                         "store_history": True, "user_expressions": {},
                                                         "allow_stdin": False})
    sock.send_multipart(frames)
    sock.send_multipart(frames)  # exactly the same frames again
    first = expect_reply(raw, sock, replayed_id)
    assert first["content"]["status"] == "ok"
    msg_id, frames = raw.frames("execute_request", {"code": "", "user_expressions": {"n": "counter"}})
    sock.send_multipart(frames)
    # the next reply on this socket is for the new request: the replay got none
    reply = expect_reply(raw, sock, msg_id)
    assert reply["content"]["user_expressions"]["n"]["data"]["text/plain"] == "1"


def test_replay_on_another_channel_is_dropped(vkernel, raw):
    """Shell and control share one replay guard: frames seen on shell cannot be replayed on control."""
    shell, control = raw.socket(zmq.DEALER, "shell"), raw.socket(zmq.DEALER, "control")
    msg_id, frames = raw.frames("kernel_info_request")
    shell.send_multipart(frames)
    expect_reply(raw, shell, msg_id)
    vkernel.iopub_until_idle(msg_id)
    control.send_multipart(frames)
    assert_dropped(vkernel, raw, control, msg_id)


def malformed(raw) -> dict:
    _, frames = raw.frames("kernel_info_request")
    parts = frames[2:6]

    def signed(new_parts):
        return [DELIMITER, raw.sign(new_parts), *new_parts]

    return {
        "no delimiter": frames[1:],
        "too few frames": frames[:4],
        "only the delimiter": [DELIMITER],
        "empty frame": [b""],
        "header not json": signed([b"{not json", *parts[1:]]),
        "content not json": signed([*parts[:3], b"\xff\xfe"]),
        "header not an object": signed([b"[1, 2]", *parts[1:]]),
        "header without msg_type": signed([json.dumps({"msg_id": "x", "session": "s"}).encode(), *parts[1:]]),
    }


CASES = ["no delimiter", "too few frames", "only the delimiter", "empty frame", "header not json",
         "content not json", "header not an object", "header without msg_type"]


@pytest.mark.parametrize("case", CASES)
def test_malformed_frames_are_dropped(vkernel, raw, case):
    sock = raw.socket(zmq.DEALER, "shell")
    sock.send_multipart(malformed(raw)[case])
    assert_dropped(vkernel, raw, sock, None)


def test_all_malformed_messages_at_once_then_a_good_one(vkernel, raw):
    shell, control = raw.socket(zmq.DEALER, "shell"), raw.socket(zmq.DEALER, "control")
    for sock in (shell, control):  # fresh frames for each: the same signature twice is a replay
        for frames in malformed(raw).values():
            sock.send_multipart(frames)
    reply = good_kernel_info(raw, control)
    assert reply["content"]["status"] == "ok"
    vkernel.iopub_until_idle(reply["parent_header"]["msg_id"])
    assert_dropped(vkernel, raw, shell, None)
    assert vkernel.km.is_alive()


def test_request_with_buffers_is_answered(vkernel, raw):
    sock = raw.socket(zmq.DEALER, "shell")
    msg_id, frames = raw.frames("kernel_info_request", buffers=(b"\x00\x01\x02binary", b"", b"x" * 100_000))
    sock.send_multipart(frames)
    reply = expect_reply(raw, sock, msg_id)
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["implementation"] == "minikernel"
    # and an execute_request carrying a buffer still runs its code
    msg_id, frames = raw.frames("execute_request", {"code": "buffered = 7", "silent": False},
                                buffers=(b"\xff" * 10,))
    sock.send_multipart(frames)
    assert expect_reply(raw, sock, msg_id)["content"]["status"] == "ok"
    reply, outputs = vkernel.execute("buffered")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "7"


def test_identities_are_routed_back(vkernel, raw):
    """Replies reach the right DEALER among several, each with its own identity."""
    socks = [raw.socket(zmq.DEALER, "shell") for _ in range(3)]
    ids = []
    for sock in socks:
        msg_id, frames = raw.frames("kernel_info_request")
        sock.send_multipart(frames)
        ids.append(msg_id)
    for sock, msg_id in zip(socks, ids):
        assert expect_reply(raw, sock, msg_id)["msg_type"] == "kernel_info_reply"


def test_the_validator_rejects_what_the_spec_forbids():
    """The helper every test relies on does catch bad messages (no kernel needed)."""
    import copy
    from datetime import datetime, timezone

    from test_protocol_support import check_raw_header, validate

    good = {"header": {"msg_id": "m", "session": "s", "username": "u", "msg_type": "stream",
                       "version": "5.5", "date": datetime.now(timezone.utc)},
            "parent_header": {}, "metadata": {}, "content": {"name": "stdout", "text": "hi"}, "buffers": []}
    validate(copy.deepcopy(good))
    breakages = [
        lambda m: m["header"].update(version="5.3"),
        lambda m: m["header"].pop("session"),
        lambda m: m["header"].update(date=datetime.now()),  # naive
        lambda m: m["header"].update(date="yesterday"),
        lambda m: m["content"].update(name="stdlog"),
        lambda m: m["content"].pop("text"),
        lambda m: m["header"].update(msg_type="kernel_info_reply"),  # no status, no parent request
        lambda m: m["header"].update(msg_type="surprise"),
    ]
    for breakage in breakages:
        msg = copy.deepcopy(good)
        breakage(msg)
        with pytest.raises(AssertionError):
            validate(msg)
    check_raw_header(b'{"date": "2026-01-02T03:04:05.678901+00:00"}')
    for date in ("2026-01-02T03:04:05", "2026-01-02 03:04:05+00:00", "2026-01-02T03:04:05+01:00"):
        with pytest.raises(AssertionError):
            check_raw_header(json.dumps({"date": date}).encode())
