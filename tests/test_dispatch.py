"""In-process tests of dispatch: a fake socket records replies, a fake iopub records what is
published. No zmq traffic, no subprocess."""

import pytest
import zmq

from minikernel import handlers
from minikernel.dispatch import Dispatcher, Publisher
from minikernel.engine.execute import Executor
from minikernel.wire import ReplayGuard, Session, Signer, decode, encode

KEY = b"k"


class FakeSocket:
    def __init__(self):
        self.sent = []
        self.inbox = []  # frames "queued" on the socket, not yet received

    def send_multipart(self, frames):
        self.sent.append(decode(frames, Signer(KEY))[1])

    def recv_multipart(self, flags=0):
        if not self.inbox:
            raise zmq.Again()
        return self.inbox.pop(0)


class FakeIOPub:
    def __init__(self):
        self.messages, self.streams = [], []
        self.flushed_before = []  # how many replies had been sent at each flush

    def flush(self, timeout=1.0):
        self.flushed_before.append(len(self.socket.sent))

    def publish(self, msg):
        self.messages.append(msg)

    def stream(self, parent, name, text):
        self.streams.append((parent, name, text))


def _raise_keyboard_interrupt(request):
    raise KeyboardInterrupt


@pytest.fixture
def shell():
    session, signer = Session(), Signer(KEY)
    iopub, socket = FakeIOPub(), FakeSocket()
    iopub.socket = socket
    publisher = Publisher(session, iopub)
    executor = Executor(publisher.emit, publisher.write, lambda p, pw: "")
    table = {"execute_request": lambda r: handlers.execute(executor, r),
             "kernel_info_request": handlers.kernel_info,
             "boom_request": lambda r: 1 / 0,
             "interrupted_request": _raise_keyboard_interrupt}
    dispatcher = Dispatcher("shell", socket, session, signer, ReplayGuard(), table, publisher)
    client = Session()

    def send(msg_type, content=None, queue_behind=()):
        """Dispatch one request while `queue_behind` requests wait on the socket."""
        msg = client.message(msg_type, content or {})
        socket.inbox += [encode(client.message(t, c), signer, [b"client"]) for t, c in queue_behind]
        with executor.hooks():
            dispatcher.handle_frames(encode(msg, signer, [b"client"]))
        return msg

    return executor, socket, iopub, send


def statuses(iopub, msg):
    return [m.content["execution_state"] for m in iopub.messages
            if m.msg_type == "status" and m.parent_header["msg_id"] == msg.msg_id]


def test_reply_bracketed_by_busy_idle(shell):
    _, socket, iopub, send = shell
    msg = send("kernel_info_request")
    assert socket.sent[0].msg_type == "kernel_info_reply"
    assert socket.sent[0].parent_header["msg_id"] == msg.msg_id
    assert statuses(iopub, msg) == ["busy", "idle"]


def test_unknown_request_gets_error_reply(shell):
    _, socket, iopub, send = shell
    msg = send("nonsense_request")
    assert socket.sent[0].msg_type == "nonsense_reply"
    assert socket.sent[0].content["status"] == "error"
    assert statuses(iopub, msg) == ["busy", "idle"]


# A handler that raises, or an interrupt landing outside user code: an error reply, never a
# dead shell loop.
@pytest.mark.parametrize("msg_type, ename", [("boom_request", "ZeroDivisionError"),
                                             ("interrupted_request", "KeyboardInterrupt")])
def test_raising_handler_gets_error_reply(shell, msg_type, ename):
    _, socket, iopub, send = shell
    msg = send(msg_type)
    assert socket.sent[0].content["ename"] == ename
    assert statuses(iopub, msg) == ["busy", "idle"]


def test_outputs_are_flushed_before_the_execute_reply(shell):
    _, socket, iopub, send = shell
    send("execute_request", {"code": "print('x')"})
    send("kernel_info_request")
    assert iopub.flushed_before == [0]  # once, for the execute, before its reply went out


def test_stream_output_is_routed_to_its_request(shell):
    _, socket, iopub, send = shell
    msg = send("execute_request", {"code": "print('a')"})
    assert [(p.msg_id, n, t) for p, n, t in iopub.streams] == [(msg.msg_id, "stdout", "a"), (msg.msg_id, "stdout", "\n")]


def test_stop_on_error_aborts_what_is_queued_behind(shell):
    executor, socket, iopub, send = shell
    send("execute_request", {"code": "1/0"},
         queue_behind=[("execute_request", {"code": "ran = True"}), ("kernel_info_request", {})])
    assert [m.msg_type for m in socket.sent] == ["execute_reply", "execute_reply", "kernel_info_reply"]
    assert socket.sent[1].content["ename"] == "ExecutionAborted"
    assert "ran" not in executor.namespace
    send("execute_request", {"code": "x = 1"})  # sent after the error was seen: runs
    assert socket.sent[3].content["status"] == "ok"


def test_stop_on_error_false_runs_the_rest(shell):
    executor, socket, iopub, send = shell
    send("execute_request", {"code": "1/0", "stop_on_error": False},
         queue_behind=[("execute_request", {"code": "ran = True"})])
    assert len(socket.sent) == 1 and len(socket.inbox) == 1  # left queued, to run normally


def test_bad_signature_is_dropped(shell):
    executor, socket, iopub, send = shell
    socket.inbox.append(encode(Session().message("execute_request", {"code": "bad = 1"}), Signer(b"wrong"), [b"c"]))
    send("execute_request", {"code": "1/0"})  # the bad message is drained with the queue, then dropped
    assert len(socket.sent) == 1 and "bad" not in executor.namespace
