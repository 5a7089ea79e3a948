"""Comms through a real kernel, on the wire: comm_open / comm_msg / comm_close both ways,
comm_info_request, unknown targets, binary buffers, errors in callbacks, and ipywidgets 8."""

from __future__ import annotations

import uuid

import pytest

from conftest import stream_text

pytestmark = pytest.mark.timeout(60)

ECHO_TARGET = """
import comm

def echo_target(c, msg):
    print("opened", msg["content"]["data"])
    c.on_msg(lambda m: c.send({"echo": m["content"]["data"]},
                              buffers=[bytes(b)[::-1] for b in m["buffers"]]))
    c.on_close(lambda m: print("closed", m["content"]["data"]))

comm.get_comm_manager().register_target("echo", echo_target)
"""


def send(kernel, msg_type: str, content: dict, buffers=()) -> tuple[dict, list[dict]]:
    """Send a comm message (no reply); return it and the iopub messages it caused, up to idle."""
    msg = kernel.kc.session.msg(msg_type, content)
    msg["buffers"] = list(buffers)
    kernel.kc.shell_channel.send(msg)
    return msg, kernel.iopub_until_idle(msg["header"]["msg_id"])


def comms(kernel, target_name: str | None = None) -> dict:
    reply, _ = kernel.request("comm_info_request", {} if target_name is None else {"target_name": target_name})
    assert reply["content"]["status"] == "ok"
    return reply["content"]["comms"]


def ok(kernel, code: str) -> list[dict]:
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    return outputs


def of_type(outputs: list[dict], msg_type: str) -> list[dict]:
    return [m for m in outputs if m["msg_type"] == msg_type]


def test_frontend_opens_messages_and_closes_a_comm(kernel):
    ok(kernel, ECHO_TARGET)
    comm_id = uuid.uuid4().hex
    _, outputs = send(kernel, "comm_open", {"comm_id": comm_id, "target_name": "echo", "data": {"a": 1}})
    assert stream_text(outputs) == "opened {'a': 1}\n"
    assert of_type(outputs, "comm_close") == []
    assert comms(kernel) == {comm_id: {"target_name": "echo"}}
    assert comms(kernel, "echo") == {comm_id: {"target_name": "echo"}}
    assert comms(kernel, "other") == {}

    msg, outputs = send(kernel, "comm_msg", {"comm_id": comm_id, "data": {"x": [1, 2]}},
                        buffers=[b"abc", b"\x00\xff"])
    echo, = of_type(outputs, "comm_msg")
    assert echo["content"] == {"comm_id": comm_id, "data": {"echo": {"x": [1, 2]}}}
    assert echo["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert [bytes(b) for b in echo["buffers"]] == [b"cba", b"\xff\x00"]

    _, outputs = send(kernel, "comm_close", {"comm_id": comm_id, "data": {"bye": True}})
    assert stream_text(outputs) == "closed {'bye': True}\n"
    assert of_type(outputs, "comm_close") == []  # the frontend closed it: nothing goes back
    assert comms(kernel) == {}


def test_unknown_target_gets_comm_close(kernel):
    comm_id = uuid.uuid4().hex
    msg, outputs = send(kernel, "comm_open", {"comm_id": comm_id, "target_name": "no-such-target", "data": {}})
    close, = of_type(outputs, "comm_close")
    assert close["content"]["comm_id"] == comm_id
    assert close["parent_header"]["msg_id"] == msg["header"]["msg_id"]
    assert comms(kernel) == {}


def test_kernel_opens_sends_and_closes_a_comm(kernel):
    reply, outputs = kernel.execute(
        "import comm\n"
        "c = comm.create_comm(target_name='frontend-target', data={'hello': 1}, metadata={'m': 2},\n"
        "                     buffers=[b'bin', memoryview(b'ary')])\n"
        "c.send({'n': 1}, buffers=[bytearray(b'x')])\n")
    assert reply["content"]["status"] == "ok"
    opened, = of_type(outputs, "comm_open")
    comm_id = opened["content"]["comm_id"]
    assert opened["content"]["target_name"] == "frontend-target"
    assert opened["content"]["data"] == {"hello": 1} and opened["metadata"] == {"m": 2}
    assert [bytes(b) for b in opened["buffers"]] == [b"bin", b"ary"]
    assert opened["parent_header"]["msg_id"] == reply["parent_header"]["msg_id"]
    sent, = of_type(outputs, "comm_msg")
    assert sent["content"] == {"comm_id": comm_id, "data": {"n": 1}}
    assert [bytes(b) for b in sent["buffers"]] == [b"x"]
    assert comms(kernel, "frontend-target") == {comm_id: {"target_name": "frontend-target"}}

    outputs = ok(kernel, "c.close({'why': 'done'})")
    closed, = of_type(outputs, "comm_close")
    assert closed["content"] == {"comm_id": comm_id, "data": {"why": "done"}}
    assert comms(kernel) == {}


def test_error_in_a_callback_is_a_traceback_on_stderr(kernel):
    ok(kernel, "import comm\n"
               "def broken(m):\n"
               "    raise ValueError('callback failed')\n"
               "comm.get_comm_manager().register_target('broken', lambda c, msg: c.on_msg(broken))\n")
    comm_id = uuid.uuid4().hex
    send(kernel, "comm_open", {"comm_id": comm_id, "target_name": "broken", "data": {}})
    _, outputs = send(kernel, "comm_msg", {"comm_id": comm_id, "data": {}})
    err = stream_text(outputs, "stderr")
    assert "Traceback" in err and "ValueError: callback failed" in err and "broken" in err
    assert comms(kernel) == {comm_id: {"target_name": "broken"}}  # the comm lives on
    _, outputs = kernel.execute("1 + 1")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "2"


def test_error_in_a_target_closes_the_comm(kernel):
    ok(kernel, "import comm\n"
               "def refuse(c, msg):\n"
               "    raise RuntimeError('no thanks')\n"
               "comm.get_comm_manager().register_target('refuse', refuse)\n")
    comm_id = uuid.uuid4().hex
    _, outputs = send(kernel, "comm_open", {"comm_id": comm_id, "target_name": "refuse", "data": {}})
    assert "RuntimeError: no thanks" in stream_text(outputs, "stderr")
    assert [m["content"]["comm_id"] for m in of_type(outputs, "comm_close")] == [comm_id]


def test_a_long_callback_can_be_interrupted(kernel):
    ok(kernel, "import comm, time\n"
               "def slow(m):\n"
               "    print('sleeping', flush=True)\n"
               "    time.sleep(30)\n"
               "comm.get_comm_manager().register_target('slow', lambda c, msg: c.on_msg(slow))\n")
    comm_id = uuid.uuid4().hex
    send(kernel, "comm_open", {"comm_id": comm_id, "target_name": "slow", "data": {}})
    msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {}})
    kernel.kc.shell_channel.send(msg)
    while True:  # the callback runs once its print arrives
        out = kernel.kc.get_iopub_msg(timeout=10)
        if out["parent_header"].get("msg_id") == msg["header"]["msg_id"] and out["msg_type"] == "stream":
            break
    kernel.km.interrupt_kernel()
    outputs = kernel.iopub_until_idle(msg["header"]["msg_id"], timeout=10)
    assert "KeyboardInterrupt" in stream_text(outputs, "stderr")
    _, outputs = kernel.execute("1 + 1")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "2"


# -- ipywidgets 8 -------------------------------------------------------------------------------

@pytest.fixture
def widgets_kernel(kernel):
    pytest.importorskip("ipywidgets")
    return kernel


def widget_open(outputs: list[dict], model_name: str) -> dict:
    """The comm_open of the widget whose model is `model_name` (a widget opens its Layout and
    Style widgets' comms too)."""
    opened, = [m for m in of_type(outputs, "comm_open")
               if m["content"]["data"].get("state", {}).get("_model_name") == model_name]
    return opened


def test_int_slider(widgets_kernel):
    kernel = widgets_kernel
    outputs = ok(kernel, "import ipywidgets as w\n"
                         "slider = w.IntSlider(value=3)\n"
                         "slider.observe(lambda change: print('value ->', change['new']), 'value')\n")
    opened = widget_open(outputs, "IntSliderModel")
    comm_id = opened["content"]["comm_id"]
    assert opened["content"]["target_name"] == "jupyter.widget"
    assert opened["content"]["data"]["state"]["value"] == 3
    assert opened["parent_header"]["msg_type"] == "execute_request"

    msg, outputs = send(kernel, "comm_msg", {"comm_id": comm_id, "data": {
        "method": "update", "state": {"value": 7}, "buffer_paths": []}})
    assert stream_text(outputs) == "value -> 7\n"
    assert all(m["parent_header"]["msg_id"] == msg["header"]["msg_id"] for m in outputs)

    _, outputs = kernel.execute("slider.value")
    assert of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"] == "7"
    outputs = ok(kernel, "slider.value = 9")
    updates = [m["content"]["data"] for m in of_type(outputs, "comm_msg")]
    assert {"method": "update", "state": {"value": 9}, "buffer_paths": []} in updates
    assert comms(kernel, "jupyter.widget")[comm_id] == {"target_name": "jupyter.widget"}


def test_a_widget_displays_as_a_widget_view(widgets_kernel):
    """Frontends draw the widget from this mimetype (formatter: `_repr_mimebundle_(include=...,
    exclude=...)` by keyword, as IPython calls it; ipywidgets takes only keywords)."""
    kernel = widgets_kernel
    outputs = ok(kernel, "import ipywidgets as w\nslider = w.IntSlider()\nslider")
    comm_id = widget_open(outputs, "IntSliderModel")["content"]["comm_id"]
    result, = of_type(outputs, "execute_result")
    assert result["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == comm_id


def test_widget_callback_error_reaches_stderr(widgets_kernel):
    kernel = widgets_kernel
    outputs = ok(kernel, "import ipywidgets as w\n"
                         "button = w.Button()\n"
                         "def on_click(b):\n"
                         "    raise ZeroDivisionError('clicked')\n"
                         "button.on_click(on_click)\n")
    comm_id = widget_open(outputs, "ButtonModel")["content"]["comm_id"]
    _, outputs = send(kernel, "comm_msg", {"comm_id": comm_id, "data": {
        "method": "custom", "content": {"event": "click"}}})
    err = stream_text(outputs, "stderr")
    assert "ZeroDivisionError: clicked" in err and "on_click" in err


def test_output_widget_captures_the_cell(widgets_kernel):
    kernel = widgets_kernel
    reply, outputs = kernel.execute("import ipywidgets as w\n"
                                    "out = w.Output()\n"
                                    "with out:\n"
                                    "    print('captured')\n")
    assert reply["content"]["status"] == "ok"
    cell_id = reply["parent_header"]["msg_id"]
    states = [m["content"]["data"].get("state", {}) for m in of_type(outputs, "comm_msg")]
    assert {"msg_id": cell_id} in states and {"msg_id": ""} in states
    # the frontend routes output parented to msg_id into the widget
    assert stream_text(outputs) == "captured\n"
