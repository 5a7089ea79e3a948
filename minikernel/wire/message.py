"""Messages and the session that stamps their headers (messaging spec, "General message format")."""

from __future__ import annotations

import getpass
import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

PROTOCOL_VERSION = "5.5"


@dataclass
class Message:
    """One Jupyter message. Routing identities travel beside it, never inside."""

    header: dict
    parent_header: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    content: dict = field(default_factory=dict)
    buffers: list = field(default_factory=list)

    @property
    def msg_type(self) -> str:
        return self.header["msg_type"]

    @property
    def msg_id(self) -> str:
        return self.header["msg_id"]


def _default_username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): any name will do
        return "kernel"


class Session:
    """Stamps headers for the messages one kernel sends: msg_id, session, username, date."""

    def __init__(self, session_id: str | None = None, username: str | None = None):
        self.session_id = session_id or uuid.uuid4().hex
        self.username = username or _default_username()
        # msg_id = session prefix + counter: unique and far cheaper than uuid4 per message.
        self._prefix = f"{self.session_id[:8]}_{os.getpid()}_"
        # Headers are stamped on the main, control and iopub threads: next() on a count is
        # atomic, `self.n += 1` is not.
        self._counter = itertools.count(1)

    def header(self, msg_type: str) -> dict:
        return {
            "msg_id": f"{self._prefix}{next(self._counter)}",
            "session": self.session_id,
            "username": self.username,
            "date": datetime.now(timezone.utc).isoformat(),
            "msg_type": msg_type,
            "version": PROTOCOL_VERSION,
        }

    def message(self, msg_type: str, content: dict, parent: Message | None = None,
                metadata: dict | None = None, buffers: list | None = None) -> Message:
        return Message(
            header=self.header(msg_type),
            parent_header=parent.header if parent is not None else {},
            metadata=metadata or {},
            content=content,
            buffers=buffers or [],
        )

    def child_of(self, parent: Message | None, msg_type: str, content: dict) -> Message:
        """A message caused by `parent` (iopub output, status, input_request)."""
        return self.message(msg_type, content, parent)

    def reply_to(self, request: Message, content: dict, metadata: dict | None = None) -> Message:
        """The reply to a `*_request`: same stem, `_reply` suffix (spec: "Request-Reply")."""
        return self.message(reply_type(request.msg_type), content, request, metadata)


def reply_type(request_type: str) -> str:
    stem = request_type[: -len("_request")] if request_type.endswith("_request") else request_type
    return stem + "_reply"
