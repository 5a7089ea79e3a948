"""Property-based fuzzing (hypothesis) of the wire decoder and of dispatch, in process: random
frame lists, missing delimiters, bad or absent signatures, invalid JSON, non-UTF-8, wrong types
and missing fields, unknown msg_types, big frames.

Properties: decode() returns a verified message or raises FramingError/SignatureError, nothing
else; nothing is dispatched (let alone executed) without a valid signature; every validly signed
`*_request` gets exactly one reply, bracketed by busy/idle; the dispatcher never raises.
Derandomized, no deadlines: the same cases run on every machine.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minikernel import handlers
from minikernel.dispatch import Dispatcher, Publisher
from minikernel.engine.execute import Executor
from minikernel.history import HistoryStore
from minikernel.wire import DELIMITER, FramingError, ReplayGuard, Session, SignatureError, Signer, decode, encode

KEY = b"fuzz-key"
SIGNER = Signer(KEY)


def fuzz_settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- strategies ---------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.text(max_size=5), scalars, max_size=3)

KNOWN = ["kernel_info_request", "execute_request", "is_complete_request", "history_request",
         "comm_info_request", "inspect_request", "shutdown_request", "interrupt_request", "usage_request",
         "comm_open", "comm_msg", "comm_close", "input_reply", "nonsense_request", "execute_reply", ""]
msg_types = st.sampled_from(KNOWN) | st.text(max_size=30)

# Code is chosen, never random: a fuzzed request must not run arbitrary code in the test process.
codes = st.sampled_from(["x = 1", "1 / 0", "print('p')", "", "x", "def f(:", "import sys; sys.exit()"]) \
    | st.integers() | st.none() | st.lists(st.text(max_size=3), max_size=2)

FIELDS = ["code", "silent", "store_history", "user_expressions", "allow_stdin", "stop_on_error", "cursor_pos",
          "detail_level", "hist_access_type", "n", "start", "stop", "pattern", "unique", "target_name", "comm_id"]
content_fields = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4) \
    .flatmap(lambda d: codes.map(lambda code: {**d, "code": code}) if "code" in d else st.just(d))


@st.composite
def headers(draw, good_id_and_type: bool):
    header = draw(st.dictionaries(st.sampled_from(["session", "username", "date", "version", "extra"]),
                                  json_values, max_size=5))
    if good_id_and_type:
        header["msg_id"] = draw(st.text(min_size=1, max_size=12))
        header["msg_type"] = draw(msg_types)
    else:
        for key in ("msg_id", "msg_type"):
            value = draw(st.none() | json_values | st.just("<missing>"))
            if value != "<missing>":
                header[key] = value
    return header


def dumps(value) -> bytes:
    return json.dumps(value).encode()


@st.composite
def frame_lists(draw, signer: Signer = SIGNER):
    """(frames, how): anything from random bytes to a validly signed message with odd parts."""
    how = draw(st.sampled_from(["random", "no delimiter", "bad signature", "no signature", "bad json",
                                "non-utf8", "not objects", "bad header"] + ["valid"] * 6))
    idents = draw(st.lists(st.binary(max_size=8).filter(lambda b: b != DELIMITER), max_size=2))
    if how == "random":
        frames = draw(st.lists(st.binary(max_size=40) | st.just(DELIMITER), max_size=8))
        return frames, how
    header = draw(headers(good_id_and_type=how != "bad header"))
    parts = [dumps(header), dumps(draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3))),
             dumps(draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3))), dumps(draw(content_fields))]
    if how == "bad json":
        parts[draw(st.integers(0, 3))] = draw(st.binary(max_size=20)).replace(b"{", b"") + b"{"
    elif how == "non-utf8":
        parts[draw(st.integers(0, 3))] = b'{"a": "\xff\xfe"}'
    elif how == "not objects":
        parts[draw(st.integers(0, 3))] = dumps(draw(st.lists(json_values, max_size=3) | st.integers() | st.text()))
    buffers = draw(st.lists(st.binary(max_size=16), max_size=2))
    signature = signer.sign(parts)
    if how == "bad signature":
        signature = draw(st.binary(min_size=1, max_size=64).filter(lambda s: s != signature))
    elif how == "no signature":
        signature = b""
    frames = [*idents, DELIMITER, signature, *parts, *buffers]
    if how == "no delimiter":
        frames.remove(DELIMITER)
    return frames, how


# -- decode ---------------------------------------------------------------------------------------

def test_fuzz_decoder_2500_cases(record_property):
    seen = Counter()

    @fuzz_settings(2500)
    @given(frame_lists())
    def check(case):
        frames, how = case
        try:
            idents, msg = decode(frames, SIGNER, ReplayGuard())
        except FramingError:
            seen["FramingError"] += 1
            assert how != "valid"
            return
        except SignatureError:
            seen["SignatureError"] += 1
            assert how in ("random", "bad signature", "no signature")
            return
        seen["accepted"] += 1
        # only signed frames with a string msg_id and msg_type and four JSON objects pass
        assert how in ("valid", "bad header"), how
        assert isinstance(msg.msg_id, str) and isinstance(msg.msg_type, str)
        assert all(isinstance(p, dict) for p in (msg.header, msg.parent_header, msg.metadata, msg.content))
        # what was accepted re-encodes and decodes to the same message
        assert decode(encode(msg, SIGNER, idents), SIGNER)[1] == msg

    check()
    figures = f"decoder: {sum(seen.values())} cases, {dict(seen)}"
    record_property("figures", figures)
    print(figures)
    assert min(seen["accepted"], seen["SignatureError"], seen["FramingError"]) > 100, figures


def test_fuzz_huge_frames_are_decoded_or_rejected():
    big = b"x" * (16 << 20)
    parts = [dumps({"msg_id": "m", "msg_type": "kernel_info_request"}), b"{}", b"{}",
             dumps({"code": "y" * (8 << 20)})]
    assert decode([DELIMITER, SIGNER.sign(parts), *parts, big], SIGNER)[1].buffers == [big]
    with pytest.raises(SignatureError):
        decode([DELIMITER, b"0" * 64, *parts, big], SIGNER)
    with pytest.raises(FramingError):
        decode([big] * 3, SIGNER)


# -- dispatch -------------------------------------------------------------------------------------

class FakeSocket:
    def __init__(self):
        self.sent = []

    def send_multipart(self, frames):
        self.sent.append(decode(frames, SIGNER)[1])

    def recv_multipart(self, flags=0):
        raise zmq.Again()


class FakeIOPub:
    def __init__(self):
        self.messages = []

    def flush(self, timeout=1.0):
        pass

    def publish(self, msg):
        self.messages.append(msg)

    def stream(self, parent, name, text):
        pass


@pytest.fixture(scope="module")
def dispatch_world():
    session, iopub, socket = Session(), FakeIOPub(), FakeSocket()
    publisher = Publisher(session, iopub)
    executor = Executor(publisher.emit, publisher.write, lambda prompt, password: "")
    store = HistoryStore(None, enabled=False)
    stops = []
    table = {"kernel_info_request": handlers.kernel_info,
             "execute_request": lambda r: handlers.execute(executor, r),
             "is_complete_request": handlers.is_complete,
             "history_request": lambda r: handlers.history(store, r),
             "shutdown_request": lambda r: handlers.shutdown(lambda restart=False: stops.append(restart), r),
             "interrupt_request": lambda r: handlers.interrupt(executor, r),
             "usage_request": lambda r: handlers.usage({}, r)}
    dispatcher = Dispatcher("shell", socket, session, SIGNER, ReplayGuard(), table, publisher)
    yield executor, socket, iopub, dispatcher
    store.close()


def test_fuzz_dispatch_2500_cases(dispatch_world, record_property):
    executor, socket, iopub, dispatcher = dispatch_world
    seen = Counter()
    signed_code = "executed_with_a_bad_signature = True"

    @fuzz_settings(2500)
    @given(frame_lists(), st.booleans())
    def check(case, forge):
        frames, how = case
        if forge and how in ("bad signature", "no signature", "no delimiter"):
            # a would-be execute_request whose code marks the namespace if it ever runs
            parts = [dumps({"msg_id": "forged", "msg_type": "execute_request"}), b"{}", b"{}",
                     dumps({"code": signed_code, "silent": False})]
            signature = {"bad signature": b"0" * 64, "no signature": b""}.get(how, SIGNER.sign(parts))
            frames = [signature, *parts] if how == "no delimiter" else [DELIMITER, signature, *parts]
        sent, published = len(socket.sent), len(iopub.messages)
        dispatcher.replays = ReplayGuard()  # hypothesis repeats examples: not replays of interest here
        with executor.hooks():
            dispatcher.handle_frames(list(frames))  # never raises
        replies, statuses = socket.sent[sent:], [m for m in iopub.messages[published:] if m.msg_type == "status"]
        try:
            idents, msg = decode(frames, SIGNER)
        except (FramingError, SignatureError):
            seen["dropped"] += 1
            assert not replies and not iopub.messages[published:], how
            return
        seen["dispatched"] += 1
        assert [s.content["execution_state"] for s in statuses] == ["busy", "idle"]
        assert all(s.parent_header["msg_id"] == msg.msg_id for s in statuses)
        if msg.msg_type.endswith("_request"):
            seen["replied"] += 1
            assert len(replies) == 1, (msg.msg_type, replies)
            reply = replies[0]
            assert reply.parent_header["msg_id"] == msg.msg_id
            assert reply.msg_type == msg.msg_type[: -len("_request")] + "_reply"
            allowed = ("complete", "incomplete", "invalid", "unknown") if msg.msg_type == "is_complete_request" \
                else ("ok", "error")
            assert reply.content.get("status") in allowed, reply.content
            seen[f"reply {reply.content['status']}"] += 1
        else:
            assert not replies  # comm_msg, input_reply, unknown non-requests: no reply

    check()
    assert "executed_with_a_bad_signature" not in executor.namespace
    # and a well-formed request afterwards works
    msg = Session().message("execute_request", {"code": "after_fuzz = 6 * 7", "silent": False})
    with executor.hooks():
        dispatcher.handle_frames(encode(msg, SIGNER, [b"client"]))
    assert socket.sent[-1].content["status"] == "ok" and executor.namespace["after_fuzz"] == 42
    figures = f"dispatch: {sum(v for k, v in seen.items() if k in ('dropped', 'dispatched'))} cases, {dict(seen)}"
    record_property("figures", figures)
    print(figures)
    assert seen["dropped"] > 500 and seen["replied"] > 300 and seen["reply error"] > 50, figures
