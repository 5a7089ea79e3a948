"""A DAP client over TCP: requests by sequence number, responses matched through a locked
pending table, events handed to a callback from the reader thread (a kernel thread, untraced)."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from typing import Callable

from . import framing, threads

log = logging.getLogger("minikernel.debugger")


class DapError(RuntimeError):
    """No response: the connection is closed, or the adapter did not answer in time."""


class _Slot:
    __slots__ = ("ready", "message")

    def __init__(self):
        self.ready = threading.Event()
        self.message: dict | None = None


class DapClient:
    def __init__(self, on_event: Callable[[dict], None]):
        self.on_event = on_event
        self._sock: socket.socket | None = None
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, _Slot] = {}
        self._events: dict[str, threading.Event] = {}  # events someone waits for (e.g. "initialized")
        self._reader: threading.Thread | None = None
        self.closed = threading.Event()

    def connect(self, host: str, port: int, timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="minikernel-debugpy", daemon=True)
        threads.hide(self._reader)  # before start: pydevd must never trace the reader
        self._reader.start()

    # -- sending ------------------------------------------------------------------------------
    def send(self, command: str, arguments: dict | None = None) -> int:
        """Send a request; returns its seq, to wait() for."""
        seq = next(self._seq)
        message = {"type": "request", "seq": seq, "command": command}
        if arguments is not None:
            message["arguments"] = arguments
        with self._lock:
            if self._sock is None or self.closed.is_set():
                raise DapError("the debugger connection is closed")
            self._pending[seq] = _Slot()
        try:
            self._sock.sendall(framing.encode(message))
        except OSError as e:
            self._drop(seq)
            raise DapError(f"cannot reach debugpy: {e}") from None
        return seq

    def wait(self, seq: int, timeout: float) -> dict:
        slot = self._pending.get(seq)
        if slot is None:
            raise DapError(f"no request {seq} pending")
        if not slot.ready.wait(timeout):
            self._drop(seq)
            raise DapError(f"debugpy did not answer in {timeout:g} s")
        self._drop(seq)
        if slot.message is None:
            raise DapError("the debugger connection closed before the response")
        return slot.message

    def wait_either(self, seq: int, event: threading.Event, timeout: float) -> bool:
        """Wait until the response to `seq` or `event` arrives (or the connection closes)."""
        slot = self._pending.get(seq)
        if slot is None:
            return False
        deadline = time.monotonic() + timeout
        while not (slot.ready.is_set() or event.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            event.wait(min(left, 0.02))
        return True

    def request(self, command: str, arguments: dict | None = None, timeout: float = 10.0) -> dict:
        return self.wait(self.send(command, arguments), timeout)

    def expect_event(self, name: str) -> threading.Event:
        """An Event set when the next `name` event arrives (ask before sending what causes it)."""
        event = self._events[name] = threading.Event()
        return event

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(2.0)
        self._fail_pending()

    # -- receiving (reader thread) ------------------------------------------------------------
    def _read(self) -> None:
        decoder = framing.Decoder()
        sock = self._sock
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                for message in decoder.feed(data):
                    self._deliver(message)
        except (OSError, framing.FramingError) as e:
            if self._sock is not None:  # not our own close()
                log.warning("debugger connection lost: %s", e)
        finally:
            self.closed.set()
            self._fail_pending()

    def _deliver(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "response":
            with self._lock:
                slot = self._pending.get(message.get("request_seq"))
            if slot is not None:
                slot.message = message
                slot.ready.set()
            return
        if kind == "event":
            waiting = self._events.pop(message.get("event"), None)
            try:
                self.on_event(message)
            except Exception:
                log.exception("debug event handler failed")
            if waiting is not None:
                waiting.set()
        # A reverse request from the adapter (runInTerminal, startDebugging): JupyterLab has no
        # terminal to offer; ignoring it makes the adapter give up on that feature only.

    def _drop(self, seq: int) -> None:
        with self._lock:
            self._pending.pop(seq, None)

    def _fail_pending(self) -> None:
        self.closed.set()
        with self._lock:
            slots = list(self._pending.values())
        for slot in slots:
            slot.ready.set()  # message None: "closed before the response"
        for event in list(self._events.values()):
            event.set()
