"""The iopub thread: the only owner of the XPUB socket.

Other threads hand it messages through a queue. Stream text is coalesced per (parent, name)
for up to `flush_interval` seconds and cut into chunks of at most `chunk_size` characters, so a
tight print loop becomes a handful of messages and a 20 MB print several bounded ones, in order.
Every subscription is answered with `iopub_welcome` (JEP 65).

Flood safety: each request may send at most `budget` characters of stream text (0: no limit).
Past it, its text is only counted, never sent, and one notice of what was dropped goes out on
stderr right before the request's `idle` status. Status messages and replies are never dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import zmq

from ..wire import Message, Session, Signer, encode
from .loop import Waker

log = logging.getLogger("minikernel.iopub")

_STOP = object()


class IOPub:
    def __init__(self, socket: zmq.Socket, session: Session, signer: Signer,
                 flush_interval: float = 0.05, chunk_size: int = 1 << 20, budget: int = 0):
        self.socket = socket
        self.session = session
        self.signer = signer
        self.flush_interval = flush_interval
        self.chunk_size = chunk_size
        self.budget = budget
        self._spent: dict[str, int] = {}  # request msg_id -> stream characters sent
        self._dropped: dict[str, list[int]] = {}  # request msg_id -> [characters, lines] not sent
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._waker = Waker()
        # True while the thread sleeps with nothing buffered: any put must wake it.
        # While it holds buffered stream text it sleeps until its deadline and only a
        # non-stream message (which must go out after that text) wakes it.
        self._idle_wait = False
        self._coalescing = False
        self._topic_prefix = f"kernel.{session.session_id[:8]}.".encode()
        self.subscribed = threading.Event()  # set when the first client subscribes
        self.thread = threading.Thread(target=self._run, name="minikernel-iopub", daemon=True)

    # -- producers (any thread) -------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def publish(self, msg: Message) -> None:
        self._queue.put(msg)
        if self._idle_wait or self._coalescing:
            self._wake()

    def stream(self, parent: Message, name: str, text: str) -> None:
        """Hot path: one call per write() on sys.stdout/sys.stderr."""
        self._queue.put((parent, name, text))
        if self._idle_wait:
            self._wake()

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until everything published so far (stream text included) has been sent."""
        if not self.thread.is_alive():
            return False
        sent = threading.Event()
        self.publish(sent)
        return sent.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Send everything queued so far, then end the thread."""
        self._queue.put(_STOP)
        self._wake()
        self.thread.join(timeout)
        if not self.thread.is_alive():  # close the pipe only once nobody can use it
            self._waker.close()

    def _wake(self) -> None:
        self._idle_wait = self._coalescing = False
        self._waker.wake()

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        poller.register(self._waker.fd, zmq.POLLIN)
        buffer: list[str] = []
        key = None  # (parent, name) of the buffered text
        deadline = 0.0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None
            if item is None:
                if buffer and time.monotonic() >= deadline:
                    self._send_stream(key, buffer)
                    buffer, key = [], None
                    continue
                self._sleep(poller, deadline - time.monotonic() if buffer else None, bool(buffer))
                continue
            if item.__class__ is tuple:
                parent, name, text = item
                if key is not None and (key[0] is not parent or key[1] != name):
                    self._send_stream(key, buffer)
                    buffer = []
                if not buffer:
                    key = (parent, name)
                    deadline = time.monotonic() + self.flush_interval
                buffer.append(text)
                continue
            if buffer:  # order: text written before this message goes out first
                self._send_stream(key, buffer)
                buffer, key = [], None
            if item is _STOP:
                break
            if item.__class__ is threading.Event:  # flush(): all before it has been sent
                item.set()
                continue
            if item.msg_type == "status" and item.content.get("execution_state") == "idle":
                self._end_of_request(item)
            self._send(item)

    def _sleep(self, poller: zmq.Poller, timeout: float | None, coalescing: bool) -> None:
        if coalescing:
            self._coalescing = True
        else:
            self._idle_wait = True
        if not self._queue.empty():  # something arrived before the flag was up
            self._idle_wait = self._coalescing = False
            return
        events = dict(poller.poll(None if timeout is None else max(timeout, 0) * 1000))
        self._idle_wait = self._coalescing = False
        if self._waker.fd in events:
            self._waker.drain()
        if self.socket in events:
            self._answer_subscriptions()

    def _answer_subscriptions(self) -> None:
        while True:
            try:
                frame = self.socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if frame[:1] == b"\x01":  # subscribe (b"\x00" is unsubscribe)
                self.subscribed.set()
                topic = frame[1:]
                welcome = self.session.message("iopub_welcome", {"subscription": topic.decode("utf-8", "replace")})
                self.socket.send_multipart(encode(welcome, self.signer, [topic]))

    def _send(self, msg: Message) -> None:
        try:
            self.socket.send_multipart(encode(msg, self.signer, [self._topic_prefix + msg.msg_type.encode()]))
        except Exception:
            log.exception("could not publish %s", msg.msg_type)

    def _send_stream(self, key, buffer: list[str]) -> None:
        parent, name = key
        text = "".join(buffer)
        if self.budget and parent is not None:
            text = self._within_budget(parent.msg_id, text)
        for start in range(0, len(text), self.chunk_size):
            chunk = text[start:start + self.chunk_size]
            self._send(self.session.child_of(parent, "stream", {"name": name, "text": chunk}))

    def _within_budget(self, msg_id: str, text: str) -> str:
        """The part of `text` the request may still send; the rest is counted as dropped."""
        dropped = self._dropped.get(msg_id)
        if dropped is None:
            room = self.budget - self._spent.get(msg_id, 0)
            if len(text) <= room:
                self._spent[msg_id] = self._spent.get(msg_id, 0) + len(text)
                return text
            self._spent[msg_id] = self.budget
            dropped = self._dropped[msg_id] = [0, 0]
            text, rest = text[:room], text[room:]
        else:
            rest, text = text, ""
        dropped[0] += len(rest)
        dropped[1] += rest.count("\n")
        return text

    def _end_of_request(self, idle: Message) -> None:
        """Before a request's idle: the notice of what its output budget dropped, then forget it."""
        msg_id = idle.parent_header.get("msg_id")
        self._spent.pop(msg_id, None)
        dropped = self._dropped.pop(msg_id, None)
        if dropped is not None:
            notice = (f"\n[minikernel] output limit reached: {dropped[0]:,} more characters in {dropped[1]:,} lines "
                      f"were not shown (limit: {self.budget:,} characters per cell; Kernel.output_budget)\n")
            self._send(_sibling(self.session, idle, "stream", {"name": "stderr", "text": notice}))


def _sibling(session: Session, sibling: Message, msg_type: str, content: dict) -> Message:
    """A message with the same parent as `sibling`."""
    msg = session.message(msg_type, content)
    msg.parent_header = sibling.parent_header
    return msg
