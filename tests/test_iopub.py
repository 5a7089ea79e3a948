"""The iopub thread in-process, over a real XPUB/SUB pair: order, coalescing, the run hand-over."""

import pytest
import zmq

from minikernel.channels.iopub import IOPub
from minikernel.wire import Session, Signer, decode

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def wired():
    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(f"tcp://127.0.0.1:{port}")
    session, signer = Session(), Signer(b"key")
    iopub = IOPub(pub, session, signer, flush_interval=0.05)
    try:
        yield iopub, session, _Receiver(sub, signer, pub)
    finally:
        iopub.stop()
        sub.close(0)
        pub.close(0)
        ctx.term()


class _Receiver:
    def __init__(self, sub, signer, pub):
        self.sub, self.signer, self.pub = sub, signer, pub

    def take_subscription(self) -> None:
        """Read the SUB's subscription off the XPUB here (the iopub thread is not started yet)."""
        assert self.pub.poll(10_000)
        assert self.pub.recv()[:1] == b"\x01"

    def until(self, msg_type: str) -> list:
        """Messages (iopub_welcome left out) up to and including the first of `msg_type`."""
        got = []
        while True:
            assert self.sub.poll(10_000), f"no {msg_type} within 10 s; got {[m.msg_type for m in got]}"
            _, msg = decode(self.sub.recv_multipart(), self.signer)
            if msg.msg_type != "iopub_welcome":
                got.append(msg)
            if msg.msg_type == msg_type:
                return got


def _summary(msgs):
    return [(m.msg_type, m.content.get("text", m.content.get("execution_state"))) for m in msgs]


def test_text_before_a_message_goes_out_before_it_and_runs_coalesce(wired):
    iopub, session, received = wired
    iopub.start()
    assert iopub.subscribed.wait(10)
    cell = session.message("execute_request", {})
    for text in ("a", "b", "c"):
        iopub.stream(cell, "stdout", text)
    iopub.stream(cell, "stderr", "E")
    iopub.publish(session.child_of(cell, "display_data", {"data": {}, "metadata": {}}))
    iopub.stream(cell, "stdout", "d")
    iopub.publish(session.child_of(cell, "status", {"execution_state": "idle"}))
    assert _summary(received.until("status")) == [
        ("stream", "abc"), ("stream", "E"), ("display_data", None), ("stream", "d"), ("status", "idle")]


def test_text_appended_to_a_run_after_its_last_drain_is_still_sent(wired):
    """The writer's side of the race: it found the run current, the iopub thread retired and
    drained it, then the writer appended. The writer must see the mark and queue the run again."""
    iopub, session, received = wired
    received.take_subscription()
    cell = session.message("execute_request", {})
    iopub.stream(cell, "stdout", "first ")
    run = iopub._current
    assert iopub._queue.get_nowait() is run  # the iopub thread (not started: played here) took the run
    iopub._end_run(run)  # ...and, at its deadline, retired it and sent its texts
    iopub._current = run  # ...while a writer on another thread still holds the run
    iopub.stream(cell, "stdout", "late")
    iopub.start()
    iopub.publish(session.child_of(cell, "status", {"execution_state": "idle"}))
    texts = [m.content["text"] for m in received.until("status") if m.msg_type == "stream"]
    assert "".join(texts) == "first late"
