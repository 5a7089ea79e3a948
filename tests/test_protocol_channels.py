"""The channels: kernel_info on shell and control, control while shell is busy, heartbeat while
the main thread holds the GIL, iopub_welcome per subscriber, unknown requests, comm_info,
is_complete. Every message received is validated (the `vkernel` fixture)."""

from __future__ import annotations

import platform
import queue
import time

import pytest
import zmq

from test_protocol_support import iopub_of, raw, reply_of, vkernel  # noqa: F401 (fixtures)

CHANNELS = ("shell", "control")


def send(kernel, msg_type: str, content: dict | None = None, channel: str = "shell") -> str:
    msg = kernel.kc.session.msg(msg_type, content or {})
    (kernel.kc.shell_channel if channel == "shell" else kernel.kc.control_channel).send(msg)
    return msg["header"]["msg_id"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_kernel_info_reply(vkernel, channel):
    msg_id = send(vkernel, "kernel_info_request", channel=channel)
    reply = reply_of(vkernel, msg_id, channel)
    content = reply["content"]
    assert reply["msg_type"] == "kernel_info_reply"
    assert content["status"] == "ok"
    assert content["protocol_version"] == "5.5"
    assert content["implementation"] == "minikernel"
    assert isinstance(content["implementation_version"], str) and content["implementation_version"]
    info = content["language_info"]
    assert info["name"] == "python"
    assert info["version"] == platform.python_version()  # the kernel runs this interpreter
    assert info["mimetype"] == "text/x-python"
    assert info["file_extension"] == ".py"
    assert info["pygments_lexer"].startswith(("python", "ipython"))
    assert isinstance(info["codemirror_mode"], (str, dict)) and info["codemirror_mode"]
    assert info["nbconvert_exporter"] == "python"
    assert isinstance(content["banner"], str) and content["banner"]
    assert isinstance(content["help_links"], list)
    for link in content["help_links"]:
        assert isinstance(link["text"], str) and link["url"].startswith("http")
    assert isinstance(content["supported_features"], list)
    # busy/idle bracket the request on iopub, whichever channel it came on
    states = [m["content"]["execution_state"] for m in iopub_of(vkernel, msg_id)]
    assert states == ["busy", "idle"]


def test_control_answers_while_shell_runs_a_cell(vkernel):
    kc = vkernel.kc
    cell = kc.execute("import time; time.sleep(3)")
    while True:  # the cell has started once its execute_input is out
        msg = kc.get_iopub_msg(timeout=10)
        if msg["msg_type"] == "execute_input" and msg["parent_header"].get("msg_id") == cell:
            break
    start = time.perf_counter()
    info = send(vkernel, "kernel_info_request", channel="control")
    reply = reply_of(vkernel, info, "control", timeout=5)
    elapsed = time.perf_counter() - start
    print(f"\ncontrol kernel_info_reply after {elapsed * 1000:.1f} ms while shell sleeps 3 s")
    assert reply["content"]["status"] == "ok"
    assert not kc.shell_channel.msg_ready(), "the cell should still be running"
    assert elapsed < 2
    reply, _ = vkernel.wait(cell, timeout=10)
    assert reply["content"]["status"] == "ok"


TARGET_SECONDS = 10


def test_heartbeat_beats_while_main_thread_holds_the_gil(vkernel, raw):
    k = vkernel
    # sum(range(n)) is one C call: it runs no bytecode and never releases the GIL, so no other
    # Python thread of the kernel can run until it returns. Size it to last ~TARGET_SECONDS.
    reply, _ = k.execute("import time, threading\n"
                         "_t = time.perf_counter(); sum(range(10**7)); _probe = time.perf_counter() - _t",
                         user_expressions={"probe": "_probe"})
    probe = float(reply["content"]["user_expressions"]["probe"]["data"]["text/plain"])
    n = min(int(10**7 * TARGET_SECONDS / probe), 4 * 10**9)
    # a Python thread in the kernel notes the time every 10 ms: gaps show when Python was blocked
    k.execute("_ticks = []\n"
              "def _tick():\n"
              "    while True:\n"
              "        _ticks.append(time.time()); time.sleep(0.01)\n"
              "threading.Thread(target=_tick, daemon=True).start()")
    assert k.kc.hb_channel.is_beating()

    cell = k.kc.execute(f"_start = time.time(); sum(range({n})); _end = time.time()")
    ping = raw.socket(zmq.REQ, "hb")
    pings, beating = [], []  # (time sent, echoed within 1 s), (time, hb_channel.is_beating())
    reply = None
    deadline = time.monotonic() + 20 * TARGET_SECONDS
    while reply is None:
        assert time.monotonic() < deadline, "the long cell never finished"
        sent = time.time()
        ping.send(b"ping")
        echoed = bool(ping.poll(1000))
        pings.append((sent, echoed))
        if echoed:
            assert ping.recv() == b"ping"
        else:  # a REQ socket that got no answer cannot send again
            ping = raw.socket(zmq.REQ, "hb")
        beating.append((time.time(), k.kc.hb_channel.is_beating()))
        try:  # waiting for the reply also paces the pings
            msg = k.kc.get_shell_msg(timeout=0.25)
            reply = msg if msg["parent_header"].get("msg_id") == cell else None
        except queue.Empty:
            pass
    k.iopub_until_idle(cell)
    assert reply["content"]["status"] == "ok"

    reply, _ = k.execute("", user_expressions={
        "start": "_start", "end": "_end",
        "gap": "max(b - a for a, b in zip(_ticks, _ticks[1:]) if b > _start and a < _end)"})
    values = {key: float(v["data"]["text/plain"]) for key, v in reply["content"]["user_expressions"].items()}
    start, end = values["start"], values["end"]
    print(f"\nC call held the GIL {end - start:.1f} s; longest pause of the ticker thread {values['gap']:.1f} s; "
          f"{len(pings)} hb pings, {sum(e for _, e in pings)} echoed")
    assert end - start > 5, "the call was meant to last ~10 s"
    assert values["gap"] > 0.9 * (end - start), "the ticker thread ran: the GIL was not held"
    during = [echoed for sent, echoed in pings if start + 0.1 < sent < end - 1.1]
    assert len(during) >= 4
    assert all(during), f"hb pings not echoed while the GIL was held: {during}"
    states = [b for t, b in beating if start + 1 < t < end]
    assert states and all(states), "jupyter_client's hb channel saw the heart stop"


def test_each_iopub_subscriber_gets_its_own_welcome(vkernel, raw):
    def welcome(sock):
        while True:
            msg = raw.recv(sock, timeout=5)
            assert msg is not None, "no iopub_welcome"
            if msg["msg_type"] == "iopub_welcome":
                return msg

    first = raw.socket(zmq.SUB, "iopub")
    first.setsockopt(zmq.SUBSCRIBE, b"")
    w1 = welcome(first)
    assert w1["content"] == {"subscription": ""}
    second = raw.socket(zmq.SUB, "iopub")  # subscribes to the same topic, later (XPUB_VERBOSE)
    second.setsockopt(zmq.SUBSCRIBE, b"")
    w2 = welcome(second)
    assert w2["content"] == {"subscription": ""}
    assert w2["header"]["msg_id"] != w1["header"]["msg_id"]
    # and the new subscriber receives the ordinary traffic
    cell = vkernel.kc.execute("1")
    vkernel.wait(cell)
    while (msg := raw.recv(second, timeout=5)) is not None:
        if msg["parent_header"].get("msg_id") == cell and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    assert msg is not None, "the second subscriber missed the cell's iopub messages"


@pytest.mark.parametrize("channel", CHANNELS)
def test_unknown_request_gets_an_error_reply(vkernel, channel):
    msg_id = send(vkernel, "foo_request", {"x": 1}, channel)
    reply = reply_of(vkernel, msg_id, channel)
    assert reply["msg_type"] == "foo_reply"
    assert reply["content"]["status"] == "error"
    assert reply["parent_header"]["msg_id"] == msg_id
    messages = iopub_of(vkernel, msg_id)
    assert [m["content"]["execution_state"] for m in messages] == ["busy", "idle"]
    assert all(m["parent_header"]["msg_id"] == msg_id for m in messages)
    reply, _ = vkernel.execute("1 + 1")  # still alive and serving
    assert reply["content"]["status"] == "ok"


def test_comm_info(vkernel):
    reply, _ = vkernel.request("comm_info_request", {})
    assert reply["content"] == {"status": "ok", "comms": {}}
    reply, _ = vkernel.request("comm_info_request", {"target_name": "jupyter.widget"})
    assert reply["content"] == {"status": "ok", "comms": {}}


@pytest.mark.parametrize("code, status, indent", [
    ("x = 1", "complete", None),
    ("for i in range(3):", "incomplete", "    "),
    ("def f(x):\n    if x:", "incomplete", "        "),
    ("print(1,", "incomplete", ""),
    ("x = )", "invalid", None),
    ("1 +* 2", "invalid", None),
])
def test_is_complete(vkernel, code, status, indent):
    reply, _ = vkernel.request("is_complete_request", {"code": code})
    assert reply["content"]["status"] == status
    if indent is not None:
        assert reply["content"]["indent"] == indent
