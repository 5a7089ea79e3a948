"""The iopub thread: the only owner of the XPUB socket.

Other threads hand it messages through a queue. Stream text is coalesced per (parent, name)
for up to `flush_interval` seconds and cut into chunks of at most `chunk_size` characters, so a
tight print loop becomes a handful of messages and a 20 MB print several bounded ones, in order.
Every subscription is answered with `iopub_welcome` (JEP 65).

Stream text is gathered on the producer side: a run of writes with the same (parent, name) goes
into one `_Run`, queued once, whose list of texts the writers append to (one `list.append` per
write, no per-write work in this thread: a 200 000-line print loop is 400 000 writes). The iopub
thread takes a run's texts in bulk. Any other message ends the current run, so text written
before a message is sent before it. A run the iopub thread has finished with is marked retired
before its last drain; a writer that appended to it after that drain sees the mark and queues it
again, so no text is lost to the race.

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
_NOT_OUTPUT = frozenset({"status", "execute_input"})


class _Run:
    """Consecutive stream text of one (parent, name), appended to by writers."""

    __slots__ = ("parent", "name", "texts", "retired")

    def __init__(self, parent: Message, name: str, text: str):
        self.parent, self.name, self.texts, self.retired = parent, name, [text], False

    def take(self) -> list[str]:
        """The texts appended so far (writers may go on appending meanwhile)."""
        texts = self.texts
        n = len(texts)
        taken = texts[:n]
        del texts[:n]
        return taken


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
        self._current: _Run | None = None  # the run writers append to (None: the next write opens one)
        self._unflushed = False  # an output (not status/execute_input) was queued since flush()
        self._waker = Waker()
        # True while the thread sleeps with nothing buffered: any put must wake it.
        # While it holds buffered stream text it sleeps until its deadline and only a
        # non-stream message (which must go out after that text) wakes it.
        self._idle_wait = False
        self._coalescing = False
        self._topic_prefix = f"kernel.{session.session_id[:8]}.".encode()
        self.subscribed = threading.Event()  # set when the first client subscribes
        self.thread = threading.Thread(target=self._serve, name="minikernel-iopub", daemon=True)

    # -- producers (any thread) -------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def publish(self, msg: Message) -> None:
        self._current = None  # text written after this message goes out after it
        if msg.__class__ is not threading.Event and msg.msg_type not in _NOT_OUTPUT:
            self._unflushed = True
        self._queue.put(msg)
        if self._idle_wait or self._coalescing:
            self._wake()

    def stream(self, parent: Message, name: str, text: str) -> None:
        """Hot path: one call per write() on sys.stdout/sys.stderr."""
        run = self._current
        if run is not None and run.parent is parent and run.name == name:
            run.texts.append(text)
            if run.retired:  # the iopub thread may have taken its last texts before this append
                self._queue.put(run)
                self._wake()
            return
        self._current = run = _Run(parent, name, text)
        self._unflushed = True
        self._queue.put(run)
        if self._idle_wait:
            self._wake()

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until every output published so far (stream text included) has been sent.
        Nothing but status and execute_input since the last flush: nothing to wait for (a
        reply may overtake those; clients only need a cell's outputs soon after its reply)."""
        if not self.thread.is_alive():
            return False
        if not self._unflushed:
            return True
        self._unflushed = False  # (before the marker: a write from now on sets it again)
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
    def _serve(self) -> None:
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        poller.register(self._waker.fd, zmq.POLLIN)
        run = None  # the run being coalesced
        deadline = 0.0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None
            if item is None:
                if run is not None and time.monotonic() >= deadline:
                    self._end_run(run)
                    run = None
                    continue
                self._sleep(poller, deadline - time.monotonic() if run is not None else None, run is not None)
                continue
            if item.__class__ is _Run:
                if item is run:
                    continue
                if run is not None:
                    self._end_run(run)
                if item.retired:  # late text of a finished run
                    self._end_run(item)
                    run = None
                else:
                    run, deadline = item, time.monotonic() + self.flush_interval
                continue
            if run is not None:  # order: text written before this message goes out first
                self._end_run(run)
                run = None
            if item is _STOP:
                break
            if item.__class__ is threading.Event:  # flush(): all before it has been sent
                item.set()
                continue
            if item.msg_type == "status" and item.content.get("execution_state") == "idle":
                self._end_of_request(item)
            self._send(item)

    def _end_run(self, run: _Run) -> None:
        """Retire the run (writers open a new one), then send what it holds."""
        run.retired = True
        if self._current is run:
            self._current = None
        texts = run.take()
        if texts:
            self._send_stream((run.parent, run.name), texts)

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
