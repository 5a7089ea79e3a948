"""The comm layer in-process: minikernel.comm with fakes (a publish recorder, a call_user that
calls directly), the shell handlers, the `comm` package hook, and ipywidgets 8 on top of them.
The protocol-level test through a real kernel is test_comm_kernel.py."""

from __future__ import annotations

import array
import ast
import contextlib
import logging
import pathlib
import subprocess
import sys

import pytest

from minikernel import handlers
from minikernel.comm import Comm, CommManager
from minikernel.dispatch import Request
from minikernel.engine import hooks
from minikernel.engine.streams import OutStream
from minikernel.wire import Session


class Recorder:
    """The injected publish(): what the kernel would put on iopub."""

    def __init__(self):
        self.sent: list[tuple[str, dict, dict, list]] = []

    def __call__(self, msg_type, content, metadata, buffers):
        self.sent.append((msg_type, content, metadata, buffers))

    def types(self) -> list[str]:
        return [m[0] for m in self.sent]


@pytest.fixture
def sent():
    return Recorder()


@pytest.fixture
def manager(sent):
    return CommManager(sent)


def frontend(msg_type: str, content: dict, buffers=(), metadata=None) -> dict:
    """A message from the frontend, shaped as handlers.py hands it over (buffers as bytes)."""
    return {"header": {"msg_id": "f1", "msg_type": msg_type}, "parent_header": {}, "msg_id": "f1",
            "msg_type": msg_type, "metadata": metadata or {}, "content": content, "buffers": list(buffers)}


# -- kernel -> frontend ---------------------------------------------------------------------------

def test_create_comm_publishes_comm_open(manager, sent):
    comm = manager.create_comm(target_name="t", data={"a": 1}, metadata={"m": 2}, buffers=[b"xy"])
    assert isinstance(comm, Comm) and comm.primary and not comm._closed
    assert sent.types() == ["comm_open"]
    msg_type, content, metadata, buffers = sent.sent[0]
    assert content == {"data": {"a": 1}, "comm_id": comm.comm_id, "target_name": "t"}
    assert metadata == {"m": 2}
    assert [bytes(b) for b in buffers] == [b"xy"]
    assert manager.comm_info() == {comm.comm_id: {"target_name": "t"}}
    assert comm.topic == f"comm-{comm.comm_id}".encode()


def test_comm_id_target_module_and_positional_arguments(manager, sent):
    comm = manager.create_comm("t", {"x": 1}, comm_id="abc", target_module="mod")
    assert comm.comm_id == "abc" and comm.target_name == "t"
    assert sent.sent[0][1] == {"data": {"x": 1}, "comm_id": "abc", "target_name": "t", "target_module": "mod"}


def test_send_and_close(manager, sent):
    comm = manager.create_comm(target_name="t")
    comm.send({"n": 1}, metadata={"k": "v"}, buffers=[memoryview(b"ab")])
    comm.close({"bye": True})
    comm.close()  # only once
    comm.send({"n": 2})  # closed: dropped
    assert sent.types() == ["comm_open", "comm_msg", "comm_close"]
    assert sent.sent[1][1] == {"data": {"n": 1}, "comm_id": comm.comm_id}
    assert sent.sent[1][2] == {"k": "v"}
    assert sent.sent[2][1] == {"data": {"bye": True}, "comm_id": comm.comm_id}
    assert manager.comm_info() == {}
    comm = manager.create_comm(target_name="t", _open_data={"o": 1}, _close_data={"c": 1})
    comm.close()
    assert [m[1]["data"] for m in sent.sent[3:]] == [{"o": 1}, {"c": 1}]


def test_sent_data_is_a_snapshot(manager, sent):
    comm = manager.create_comm(target_name="t")
    data = {"list": [1, 2], "nested": {"a": (1, 2)}}
    comm.send(data)
    data["list"].append(3)
    data["nested"]["a"] = None
    assert sent.sent[-1][1]["data"] == {"list": [1, 2], "nested": {"a": [1, 2]}}


def test_buffers_out_are_flat_byte_views(manager, sent):
    comm = manager.create_comm(target_name="t")
    doubles = array.array("d", [1.0, 2.0])
    strided = memoryview(b"abcdef")[::2]  # not contiguous: copied
    comm.send({}, buffers=[b"a", bytearray(b"b"), memoryview(b"c"), doubles, strided])
    out = sent.sent[-1][3]
    assert [bytes(b) for b in out] == [b"a", b"b", b"c", doubles.tobytes(), b"ace"]
    for b in out:
        assert memoryview(b).c_contiguous and memoryview(b).format == "B"
    with pytest.raises(TypeError):
        comm.send({}, buffers=["not bytes"])


def test_open_failure_unregisters(manager):
    def broken(*args):
        raise RuntimeError("iopub is gone")

    manager.publish = broken
    with pytest.raises(RuntimeError):
        manager.create_comm(target_name="t")
    assert manager.comms == {}


# -- frontend -> kernel ---------------------------------------------------------------------------

def test_target_registry_and_frontend_open(manager, sent):
    opened = []
    manager.register_target("echo", lambda comm, msg: opened.append((comm, msg)))
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "echo", "data": {"hi": 1}},
                                  buffers=[b"\x00\x01"]))
    (comm, msg), = opened
    assert comm.comm_id == "c1" and comm.target_name == "echo" and not comm.primary
    assert msg["content"]["data"] == {"hi": 1}
    assert isinstance(msg["buffers"][0], memoryview) and msg["buffers"][0].tobytes() == b"\x00\x01"
    assert sent.sent == []  # nothing goes back for a successful open
    assert manager.comm_info() == {"c1": {"target_name": "echo"}}
    assert manager.comm_info("echo") == {"c1": {"target_name": "echo"}}
    assert manager.comm_info("other") == {}
    assert manager.get_comm("c1") is comm

    manager.unregister_target("echo")
    manager.receive_open(frontend("comm_open", {"comm_id": "c2", "target_name": "echo", "data": {}}))
    assert sent.types() == ["comm_close"]
    manager.register_target("j", "json.loads")  # an import string, as the comm package allows
    assert manager.targets["j"] is __import__("json").loads


def test_unknown_target_gets_comm_close_and_a_warning(manager, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="minikernel.comm"):
        manager.receive_open(frontend("comm_open", {"comm_id": "c9", "target_name": "nope", "data": {}}))
    assert sent.sent == [("comm_close", {"data": {}, "comm_id": "c9"}, {}, [])]
    assert manager.comms == {}
    assert "nope" in caplog.text


def test_frontend_msg_reaches_on_msg_and_buffers_round_trip(manager, sent):
    def target(comm, msg):
        comm.on_msg(lambda m: comm.send({"echo": m["content"]["data"]},
                                        buffers=[b.tobytes()[::-1] for b in m["buffers"]]))

    manager.register_target("echo", target)
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "echo", "data": {}}))
    manager.receive_msg(frontend("comm_msg", {"comm_id": "c1", "data": {"x": 1}}, buffers=[b"abc", b""]))
    msg_type, content, _, buffers = sent.sent[-1]
    assert msg_type == "comm_msg" and content == {"data": {"echo": {"x": 1}}, "comm_id": "c1"}
    assert [bytes(b) for b in buffers] == [b"cba", b""]


def test_frontend_close_calls_on_close_and_sends_nothing_back(manager, sent):
    closed = []
    manager.register_target("t", lambda comm, msg: comm.on_close(lambda m: closed.append(m["content"]["data"])))
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}))
    comm = manager.comms["c1"]
    manager.receive_close(frontend("comm_close", {"comm_id": "c1", "data": {"why": "done"}}))
    assert closed == [{"why": "done"}]
    assert manager.comms == {} and comm._closed
    comm.close()  # already closed by the frontend: nothing to send
    assert sent.sent == []


def test_unknown_comm_id_is_ignored_with_a_warning(manager, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="minikernel.comm"):
        manager.receive_msg(frontend("comm_msg", {"comm_id": "ghost", "data": {}}))
        manager.receive_close(frontend("comm_close", {"comm_id": "ghost", "data": {}}))
        manager.receive_open(frontend("comm_open", {"target_name": "t"}))  # no comm_id
    assert sent.sent == []
    assert caplog.text.count("ghost") == 2


def test_callbacks_run_through_call_user(sent):
    calls = []

    def call_user(fn, *args):
        calls.append(fn)
        return fn(*args)

    manager = CommManager(sent, call_user)
    target = lambda comm, msg: comm.on_msg(lambda m: None)  # noqa: E731
    manager.register_target("t", target)
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}))
    manager.receive_msg(frontend("comm_msg", {"comm_id": "c1", "data": {}}))
    manager.receive_close(frontend("comm_close", {"comm_id": "c1", "data": {}}))
    comm_methods = [getattr(fn, "__func__", None) for fn in calls[1:]]
    assert calls[0] is target and comm_methods == [Comm.handle_msg, Comm.handle_close]


# -- errors in user callbacks ----------------------------------------------------------------------

def failing_callback(msg):
    return 1 / 0


def test_exception_in_on_msg_goes_to_stderr_and_the_comm_lives_on(manager, sent, capsys):
    got = []
    manager.register_target("t", lambda comm, msg: comm.on_msg(failing_callback))
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}))
    manager.receive_msg(frontend("comm_msg", {"comm_id": "c1", "data": {}}))
    text = capsys.readouterr().err
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError" in text
    assert "failing_callback" in text and "1 / 0" in text
    assert "run_callback" not in text and "handle_msg" not in text  # the kernel's frames are left out
    manager.comms["c1"].on_msg(got.append)
    manager.receive_msg(frontend("comm_msg", {"comm_id": "c1", "data": {"ok": 1}}))
    assert got[0]["content"]["data"] == {"ok": 1}
    assert "c1" in manager.comms and sent.sent == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_base_exceptions_in_callbacks_never_escape(manager, exc, capsys):
    def raiser(msg):
        raise exc

    manager.register_target("t", lambda comm, msg: comm.on_close(raiser))
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}))
    manager.receive_close(frontend("comm_close", {"comm_id": "c1", "data": {}}))
    assert exc.__name__ in capsys.readouterr().err


def test_exception_in_target_closes_the_comm(manager, sent, capsys):
    def target(comm, msg):
        raise ValueError("cannot open")

    manager.register_target("t", target)
    manager.receive_open(frontend("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}}))
    err = capsys.readouterr().err
    assert "ValueError: cannot open" in err and "'t'" in err
    assert sent.types() == ["comm_close"] and manager.comms == {}


# -- shell handlers -------------------------------------------------------------------------------

def request(msg_type: str, content: dict, buffers=()) -> Request:
    msg = Session().message(msg_type, content, buffers=list(buffers))
    return Request("shell", [b"client"], msg)


def test_handlers(manager, sent):
    got = []
    manager.register_target("t", lambda comm, msg: comm.on_msg(got.append))
    mine = manager.create_comm(target_name="mine")
    assert handlers.comm_open(manager, request("comm_open", {"comm_id": "c1", "target_name": "t", "data": {}})) is None
    assert handlers.comm_msg(manager, request("comm_msg", {"comm_id": "c1", "data": {"v": 1}}, [b"z"])) is None
    assert got[0]["content"]["data"] == {"v": 1} and got[0]["buffers"][0].tobytes() == b"z"
    assert got[0]["msg_type"] == "comm_msg" and got[0]["header"]["msg_type"] == "comm_msg"
    reply = handlers.comm_info(manager, request("comm_info_request", {}))
    assert reply == {"status": "ok", "comms": {"c1": {"target_name": "t"}, mine.comm_id: {"target_name": "mine"}}}
    reply = handlers.comm_info(manager, request("comm_info_request", {"target_name": "t"}))
    assert reply == {"status": "ok", "comms": {"c1": {"target_name": "t"}}}
    assert handlers.comm_close(manager, request("comm_close", {"comm_id": "c1", "data": {}})) is None
    assert handlers.comm_info(manager, request("comm_info_request", {"target_name": "t"}))["comms"] == {}


# -- the `comm` package hook ------------------------------------------------------------------------

def test_hook_points_the_comm_package_here(manager, sent):
    comm_pkg = pytest.importorskip("comm")
    before = comm_pkg.create_comm, comm_pkg.get_comm_manager
    with hooks.comms_installed(manager):
        assert comm_pkg.get_comm_manager() is manager
        c = comm_pkg.create_comm(target_name="t", data={"a": 1})
        assert isinstance(c, Comm) and sent.types() == ["comm_open"]
    assert (comm_pkg.create_comm, comm_pkg.get_comm_manager) == before


def test_hook_without_the_comm_package(manager, monkeypatch):
    monkeypatch.setitem(sys.modules, "comm", None)  # `import comm` raises ImportError
    with hooks.comms_installed(manager):
        pass


def test_comm_layer_imports_nothing_above_it():
    tree = ast.parse((pathlib.Path(__file__).resolve().parent.parent / "minikernel" / "comm.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))  # no minikernel.*
    assert not names & {"zmq", "traitlets", "comm", "IPython", "ipykernel"}, names


def test_the_comm_package_is_not_imported_at_start():
    code = ("import sys, minikernel.comm, minikernel.handlers, minikernel.engine.hooks, minikernel.app; "
            "assert 'comm' not in sys.modules, 'comm imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- ipywidgets 8 on top of it ------------------------------------------------------------------------

@contextlib.contextmanager
def streams_to_sink():
    """sys.stdout / sys.stderr as in the kernel: OutStreams handing text to a sink (set inside
    the test: pytest's capture puts its own streams back between fixture and test)."""
    sink: list[tuple[str, str]] = []
    out = OutStream("stdout", lambda name, text: sink.append((name, text)))
    err = OutStream("stderr", lambda name, text: sink.append((name, text)))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield sink


@pytest.fixture
def widgets(manager):
    """ipywidgets with the hook installed; the widgets a test makes are closed after it."""
    ipywidgets = pytest.importorskip("ipywidgets")
    made = []
    with hooks.comms_installed(manager):
        yield ipywidgets, made
        for w in made:
            w.close()


def by_comm(sent: Recorder, comm_id: str, msg_type: str) -> list[tuple]:
    return [m for m in sent.sent if m[0] == msg_type and m[1]["comm_id"] == comm_id]


def update(comm_id: str, state: dict, buffer_paths=(), buffers=()) -> Request:
    data = {"method": "update", "state": state, "buffer_paths": list(buffer_paths)}
    return request("comm_msg", {"comm_id": comm_id, "data": data}, buffers)


def test_int_slider_comm_open_carries_its_state(widgets, sent):
    ipywidgets, made = widgets
    slider = ipywidgets.IntSlider(value=3)
    made.append(slider)
    assert isinstance(slider.comm, Comm)
    (_, content, metadata, _), = by_comm(sent, slider.comm.comm_id, "comm_open")
    assert content["target_name"] == "jupyter.widget"
    assert content["data"]["state"]["value"] == 3
    assert content["data"]["state"]["_model_name"] == "IntSliderModel"
    assert metadata["version"].split(".")[0] == "2"


def test_frontend_update_sets_value_and_observe_prints(widgets, manager, sent):
    ipywidgets, made = widgets
    slider = ipywidgets.IntSlider(value=3)
    made.append(slider)
    slider.observe(lambda change: print("value ->", change["new"]), "value")
    with streams_to_sink() as sink:
        handlers.comm_msg(manager, update(slider.comm.comm_id, {"value": 7}))
    assert slider.value == 7
    assert "".join(text for name, text in sink if name == "stdout") == "value -> 7\n"
    # and a kernel-side change goes to the frontend
    slider.value = 9
    msgs = by_comm(sent, slider.comm.comm_id, "comm_msg")
    assert msgs[-1][1]["data"] == {"method": "update", "state": {"value": 9}, "buffer_paths": []}


def test_error_in_widget_callback_reaches_stderr(widgets, manager):
    ipywidgets, made = widgets
    slider = ipywidgets.IntSlider()
    made.append(slider)

    def broken_observer(change):
        raise RuntimeError("observer failed")

    slider.observe(broken_observer, "value")
    with streams_to_sink() as sink:
        handlers.comm_msg(manager, update(slider.comm.comm_id, {"value": 5}))
    err = "".join(text for name, text in sink if name == "stderr")
    assert "RuntimeError: observer failed" in err and "broken_observer" in err


def test_widget_binary_buffers_both_ways(widgets, manager, sent):
    ipywidgets, made = widgets
    image = ipywidgets.Image(value=b"\x89PNG-one", format="png")
    made.append(image)
    (_, content, _, buffers), = by_comm(sent, image.comm.comm_id, "comm_open")
    assert content["data"]["buffer_paths"] == [["value"]]
    assert [bytes(b) for b in buffers] == [b"\x89PNG-one"]
    handlers.comm_msg(manager, update(image.comm.comm_id, {}, [["value"]], [b"\x89PNG-two"]))
    assert bytes(image.value) == b"\x89PNG-two"


def test_output_widget_learns_the_current_request(sent):
    ipywidgets = pytest.importorskip("ipywidgets")
    parent = {"header": {"msg_id": "cell-1", "msg_type": "execute_request"}}
    manager = CommManager(sent, get_parent=lambda: parent)
    with hooks.comms_installed(manager):
        out = ipywidgets.Output()
        with out:
            assert out.msg_id == "cell-1"
        assert out.msg_id == ""
        out.close()
