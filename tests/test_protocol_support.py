"""Shared helpers for the test_protocol_* modules (this module holds no tests).

* `validate(msg)`: one received message against the messaging spec (jupyter_kernel_test's
  msgspec_v5 schemas) plus the header rules of protocol 5.5.
* the `vkernel` fixture: conftest's `kernel`, with every message the client receives on any
  channel validated on arrival (and whatever is still queued at teardown).
* `RawClient`: raw zmq sockets and hand-built frames, for what jupyter_client never sends.
"""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid
from datetime import datetime, timedelta

import pytest
import zmq
from jsonschema import ValidationError
from jupyter_client.session import Session
from jupyter_kernel_test.msgspec_v5 import (get_error_reply_validator, msg_structure_validator,
                                            schema_fragments, validate_message)

PROTOCOL_VERSION = "5.5"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DELIMITER = b"<IDS|MSG>"


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


# -- validation ---------------------------------------------------------------------------------

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)$")


def check_raw_header(frame: bytes) -> None:
    """The header frame as sent: its date an ISO-8601 string in UTC. (jupyter_client parses dates
    and gives naive ones the local zone, so only the raw frame shows what the kernel wrote.)"""
    date = json.loads(frame).get("date")
    assert isinstance(date, str) and ISO_UTC.match(date), f"header date {date!r} is not ISO-8601 UTC"


def _check_utc_date(date) -> None:
    if isinstance(date, str):  # jupyter_client leaves what it cannot parse as a string
        assert ISO_UTC.match(date), f"date {date!r} is not ISO-8601 UTC"
        date = datetime.fromisoformat(date.replace("Z", "+00:00"))
    assert isinstance(date, datetime), f"date {date!r} is not ISO-8601"
    assert date.utcoffset() == timedelta(0), f"date {date!r} is not UTC"


def validate(msg: dict) -> dict:
    """Assert `msg` (as jupyter_client deserializes it) follows the spec; return it."""
    header = msg["header"]
    for key in ("msg_id", "session", "username", "msg_type", "version"):
        assert isinstance(header.get(key), str), f"header.{key} missing or not a string: {header}"
    assert header["msg_id"] and header["session"], header
    assert header["version"] == PROTOCOL_VERSION, header
    _check_utc_date(header.get("date"))
    msg_type = header["msg_type"]
    content = msg["content"]
    try:
        if msg_type in schema_fragments:
            # validate_message(msg, msg_type=None, parent_id=None): structure, header, content schema
            validate_message(msg, msg_type)
        else:  # types the schemas do not know: iopub_welcome (JEP 65), replies to unknown requests
            msg_structure_validator.validate(msg)
            if msg_type == "iopub_welcome":
                assert set(content) == {"subscription"} and isinstance(content["subscription"], str), content
            elif msg_type.endswith("_reply"):
                assert content.get("status") == "error", content
                get_error_reply_validator(5).validate(content)
            else:
                raise AssertionError(f"unexpected message type {msg_type!r}")
    except ValidationError as e:
        raise AssertionError(f"{msg_type} does not follow the spec: {e.message}\n{msg}") from None
    if msg_type.endswith("_reply"):  # a reply names its request as parent
        parent = msg["parent_header"]
        assert parent.get("msg_type") == msg_type[: -len("_reply")] + "_request", (msg_type, parent)
        assert isinstance(parent.get("msg_id"), str), parent
    return msg


def install_validation(kc, seen: list) -> None:
    """Make every get_*_msg of this blocking client validate what it returns (and its session
    check each raw header it deserializes)."""
    deserialize = kc.session.deserialize

    def checked_deserialize(msg_list, *args, **kwargs):
        check_raw_header(bytes(msg_list[1]))
        return deserialize(msg_list, *args, **kwargs)

    kc.session.deserialize = checked_deserialize
    for name in ("get_shell_msg", "get_iopub_msg", "get_control_msg", "get_stdin_msg"):
        original = getattr(kc, name)

        def get(*args, _original=original, **kwargs):
            msg = validate(_original(*args, **kwargs))
            seen.append(msg)
            return msg

        setattr(kc, name, get)


@pytest.fixture
def vkernel(kernel):
    """conftest's kernel; every message received through its client is validated."""
    kernel.validated = []
    install_validation(kernel.kc, kernel.validated)
    yield kernel
    kc = kernel.kc
    for channel, get in ((kc.shell_channel, kc.get_shell_msg), (kc.iopub_channel, kc.get_iopub_msg),
                         (kc.control_channel, kc.get_control_msg)):
        while channel.msg_ready():  # leftovers (late status messages...) are validated too
            get(timeout=1)


# -- waiting for messages -----------------------------------------------------------------------

def iopub_of(kernel, msg_id: str, timeout: float = 30) -> list[dict]:
    """Every iopub message parented to `msg_id`, status included, up to its idle."""
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        msg = kernel.kc.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.01))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


def reply_of(kernel, msg_id: str, channel: str = "shell", timeout: float = 30) -> dict:
    get = kernel.kc.get_shell_msg if channel == "shell" else kernel.kc.get_control_msg
    deadline = time.monotonic() + timeout
    while True:
        msg = get(timeout=max(deadline - time.monotonic(), 0.01))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def of_type(messages: list[dict], msg_type: str) -> list[dict]:
    return [m for m in messages if m["msg_type"] == msg_type]


def wait_exit(km, timeout: float = 15) -> None:
    """Wait for the kernel process itself to end (no polling loop: Popen.wait)."""
    km.provisioner.process.wait(timeout=timeout)
    assert not km.is_alive()


# -- raw sockets --------------------------------------------------------------------------------

class RawClient:
    """Raw zmq sockets on a kernel's ports, and frames built by hand (hmac and json)."""

    def __init__(self, km):
        self.info = km.get_connection_info()
        self.key = self.info["key"]
        self.digest = self.info["signature_scheme"].split("-", 1)[1]
        self.session_id = uuid.uuid4().hex
        # jupyter_client's Session, only to read what the kernel sends back (verifies signatures)
        self.reader = Session(key=self.key, signature_scheme=self.info["signature_scheme"])
        self.context = zmq.Context()
        self.sockets: list[zmq.Socket] = []

    def url(self, channel: str) -> str:
        return f"{self.info['transport']}://{self.info['ip']}:{self.info[channel + '_port']}"

    def socket(self, kind: int, channel: str) -> zmq.Socket:
        sock = self.context.socket(kind)
        sock.linger = 0
        sock.connect(self.url(channel))
        self.sockets.append(sock)
        return sock

    def sign(self, parts: list[bytes], key: bytes | None = None) -> bytes:
        h = hmac.new(self.key if key is None else key, digestmod=self.digest)
        for part in parts:
            h.update(part)
        return h.hexdigest().encode()

    def frames(self, msg_type: str, content: dict | None = None, key: bytes | None = None,
               buffers: tuple = ()) -> tuple[str, list[bytes]]:
        """(msg_id, [delimiter, signature, header, parent, metadata, content, *buffers])."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "session": self.session_id, "username": "raw", "msg_type": msg_type,
                  "version": PROTOCOL_VERSION, "date": datetime.now().astimezone().isoformat()}
        parts = [json.dumps(p).encode() for p in (header, {}, {}, content or {})]
        return msg_id, [DELIMITER, self.sign(parts, key), *parts, *buffers]

    def recv(self, sock: zmq.Socket, timeout: float = 10) -> dict | None:
        """One validated message, or None if nothing came within `timeout` seconds."""
        if not sock.poll(timeout * 1000):
            return None
        _, rest = self.reader.feed_identities(sock.recv_multipart())
        check_raw_header(rest[1])
        return validate(self.reader.deserialize(rest))

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.context.term()


@pytest.fixture
def raw(vkernel):
    client = RawClient(vkernel.km)
    yield client
    client.close()
