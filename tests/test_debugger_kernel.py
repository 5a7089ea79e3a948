"""The JupyterLab debugger flow through jupyter_client: debug_request on control, debug_reply,
debug_event on iopub (messaging spec "Debug request"/"Debug event"), driving debugpy.

One kernel for the module; each test starts the debugger and leaves it disconnected.
"""

from __future__ import annotations

import os
import queue
import time

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, started_kernel
from minikernel.debugger.cellfiles import HASH_SEED, murmur2

pytest.importorskip("debugpy")  # a runtime dependency: present wherever minikernel is installed

WAIT = 30  # seconds: the longest any single message is waited for


class Debug:
    """A jupyter_client connection seen as the JupyterLab debugger sees it."""

    def __init__(self, km, kc):
        self.km, self.kc = km, kc
        self.seq = 0
        self.events: list[dict] = []  # debug_event contents, in order
        self.iopub: list[dict] = []  # every other iopub message

    def request(self, command: str, arguments: dict | None = None, timeout: float = WAIT) -> dict:
        self.seq += 1
        content = {"type": "request", "seq": self.seq, "command": command}
        if arguments is not None:
            content["arguments"] = arguments
        return self.raw(content, timeout)

    def raw(self, content, timeout: float = WAIT) -> dict:
        msg = self.kc.session.msg("debug_request", content)
        self.kc.control_channel.send(msg)
        reply = self.control_reply(msg["header"]["msg_id"], timeout)
        assert reply["msg_type"] == "debug_reply"
        return reply["content"]

    def control_reply(self, msg_id: str, timeout: float = WAIT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_control_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def pump(self, timeout: float) -> bool:
        """Read one iopub message (False if none came in time)."""
        try:
            msg = self.kc.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return False
        (self.events if msg["msg_type"] == "debug_event" else self.iopub).append(
            msg["content"] if msg["msg_type"] == "debug_event" else msg)
        return True

    def wait_event(self, name: str, after: int = 0, timeout: float = WAIT) -> dict:
        """The first `name` event at index >= after."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[after:]:
                if event["event"] == name:
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} event in {timeout} s; got {[e['event'] for e in self.events[after:]]}")
            self.pump(left)

    def execute_reply(self, msg_id: str, timeout: float = WAIT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def run(self, code: str, timeout: float = WAIT) -> dict:
        return self.execute_reply(self.kc.execute(code), timeout)

    def wait_started(self, msg_id: str) -> None:
        """Until the cell's first stream output (it prints once its code is running)."""
        deadline = time.monotonic() + WAIT
        while not any(m["msg_type"] == "stream" and m["parent_header"].get("msg_id") == msg_id for m in self.iopub):
            assert self.pump(max(0.01, deadline - time.monotonic())), "the cell did not start"

    def stdout_of(self, msg_id: str) -> str:
        deadline = time.monotonic() + WAIT
        while not any(m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                      and m["content"]["execution_state"] == "idle" for m in self.iopub):
            assert self.pump(max(0.01, deadline - time.monotonic())), "no idle"
        return "".join(m["content"]["text"] for m in self.iopub if m["parent_header"].get("msg_id") == msg_id
                       and m["msg_type"] == "stream" and m["content"]["name"] == "stdout")

    # -- the JupyterLab sequence (session.ts start, service.ts restoreState) --------------------
    def start(self) -> dict:
        info = self.request("debugInfo")
        assert info["success"] and not info["body"]["isStarted"]
        reply = self.request("initialize", {"clientID": "jupyterlab", "clientName": "JupyterLab",
                                            "adapterID": "python", "pathFormat": "path", "linesStartAt1": True,
                                            "columnsStartAt1": True, "supportsVariableType": True,
                                            "supportsVariablePaging": True, "locale": "en"})
        assert reply["success"], reply.get("message")
        attach = self.request("attach", {})
        assert attach["success"], attach.get("message")
        return reply

    def configured(self) -> None:
        assert self.request("configurationDone", {})["success"]

    def stop(self) -> None:
        if self.request("debugInfo")["body"]["stoppedThreads"]:
            self.request("continue", {"threadId": 1})
        reply = self.request("disconnect", {"restart": False, "terminateDebuggee": False})
        assert reply["success"], reply.get("message")

    def path_of(self, code: str) -> str:
        reply = self.request("dumpCell", {"code": code})
        assert reply["success"], reply.get("message")
        return reply["body"]["sourcePath"]

    def breakpoints(self, path: str, *lines: int) -> dict:
        reply = self.request("setBreakpoints", {"source": {"path": path}, "sourceModified": False,
                                                "breakpoints": [{"line": n} for n in lines]})
        assert reply["success"], reply.get("message")
        return reply

    def stopped(self, after: int) -> tuple[int, list[dict]]:
        """Wait until stopped; the thread and its (user) frames."""
        event = self.wait_event("stopped", after)
        thread = event["body"]["threadId"]
        trace = self.request("stackTrace", {"threadId": thread})
        assert trace["success"], trace
        return thread, trace["body"]["stackFrames"]

    def variables(self, frame_id: int) -> dict[str, dict[str, str]]:
        """scope name -> {variable name: value}"""
        scopes = self.request("scopes", {"frameId": frame_id})["body"]["scopes"]
        result = {}
        for scope in scopes:
            reply = self.request("variables", {"variablesReference": scope["variablesReference"]})
            assert reply["success"], reply.get("message")
            result[scope["name"]] = {v["name"]: v["value"] for v in reply["body"]["variables"]}
        return result


@pytest.fixture(scope="module")
def debug(jupyter_env):
    with started_kernel(Debug) as d:
        yield d


@pytest.fixture
def session(debug):
    """The debugger started as JupyterLab starts it; always disconnected afterwards."""
    debug.events.clear()
    debug.start()
    try:
        yield debug
    finally:
        debug.stop()


def test_initialize_answers_while_a_cell_runs_and_kernel_info_says_debugger(debug, tmp_path):
    info = debug.kc.kernel_info(reply=True, timeout=WAIT)["content"]
    assert info["debugger"] is True and "debugger" in info["supported_features"]
    release = tmp_path / "release"  # the cell runs until the test creates this file
    cell = debug.kc.execute(f"import os, time\nprint('running', flush=True)\n"
                            f"while not os.path.exists({str(release)!r}):\n    time.sleep(0.01)\n")
    debug.wait_started(cell)
    # The debugger starts (debugpy imported and listening) while the cell runs: ipykernel and
    # xeus-python answer initialize only after the cell.
    debug.start()
    with pytest.raises(queue.Empty):
        debug.kc.get_shell_msg(timeout=0.01)  # the cell is still running
    release.touch()
    assert debug.execute_reply(cell)["status"] == "ok"
    debug.configured()
    debug.stop()


def test_requests_before_initialize_get_clear_errors(debug):
    info = debug.request("debugInfo")
    body = info["body"]
    assert info["success"] and body["isStarted"] is False
    assert body["hashMethod"] == "Murmur2" and body["hashSeed"] == HASH_SEED
    assert body["tmpFileSuffix"] == ".py" and body["tmpFilePrefix"].endswith(os.sep)
    assert body["richRendering"] is True and body["copyToGlobals"] is True
    assert body["exceptionPaths"] == ["Python Exceptions"] and body["breakpoints"] == []
    reply = debug.request("stackTrace", {"threadId": 1})
    assert reply["success"] is False and "initialize" in reply["message"]
    assert reply["command"] == "stackTrace" and reply["request_seq"] == debug.seq
    # dumpCell needs no running debugger, and names the cell as JupyterLab does.
    code = "a = 'ü'\n"
    path = debug.path_of(code)
    assert path == f"{body['tmpFilePrefix']}{murmur2(code.encode(), body['hashSeed'])}{body['tmpFileSuffix']}"
    with open(path, encoding="utf-8") as f:
        assert f.read() == code


def test_bad_requests_get_error_responses(session):
    assert session.raw({"type": "request", "seq": 99})["success"] is False
    assert session.raw({"type": "request", "seq": 5, "command": 5})["success"] is False
    assert session.request("variables", [])["success"] is False  # arguments not an object
    reply = session.request("dumpCell", {"code": 42})
    assert reply["success"] is False and reply["message"]
    reply = session.request("richInspectVariables", {"variableName": "1+1"})
    assert reply["success"] is False and reply["message"]
    reply = session.request("noSuchCommand", {})  # forwarded: debugpy says no
    assert reply["success"] is False and reply["command"] == "noSuchCommand"
    reply = session.request("source", {"source": {"path": "/no/such/file.py"}})
    assert reply["success"] is False and reply["message"]


def test_breakpoint_step_inspect_and_continue(session):
    code = "def add(a, b):\n    total = a + b\n    return total\n\nx = 20\nresult = add(x, 22)\nprint('result', result)\n"
    path = session.path_of(code)
    assert session.breakpoints(path, 6)["body"]["breakpoints"][0]["verified"]
    session.configured()
    mark = len(session.events)
    cell = session.kc.execute(code)
    thread, frames = session.stopped(mark)
    assert [(f["name"], f["source"]["path"], f["line"]) for f in frames] == [("<module>", path, 6)]
    info = session.request("debugInfo")["body"]
    assert info["stoppedThreads"] == [thread] and info["breakpoints"] == [{"source": path, "breakpoints": [{"line": 6}]}]

    # control answers while the main thread is stopped
    start = time.monotonic()
    ki = session.kc.session.msg("kernel_info_request", {})
    session.kc.control_channel.send(ki)
    assert session.control_reply(ki["header"]["msg_id"], timeout=5)["content"]["status"] == "ok"
    assert time.monotonic() - start < 5

    variables = session.variables(frames[0]["id"])
    names = set().union(*variables.values())
    assert "x" in names and "function variables" in names  # pydevd groups functions (add)
    assert not names & {"In", "Out", "_i", "_ii", "exit", "quit", "__builtins__"}, names

    mark = len(session.events)
    assert session.request("stepIn", {"threadId": thread})["success"]
    thread, frames = session.stopped(mark)
    assert (frames[0]["name"], frames[0]["line"]) == ("add", 2) and len(frames) == 2
    mark = len(session.events)
    assert session.request("next", {"threadId": thread})["success"]
    thread, frames = session.stopped(mark)
    assert (frames[0]["name"], frames[0]["line"]) == ("add", 3)
    local = session.variables(frames[0]["id"])["Locals"]
    assert local["total"] == "42" and local["a"] == "20"

    evaluated = session.request("evaluate", {"expression": "total * 2", "frameId": frames[0]["id"], "context": "repl"})
    assert evaluated["success"] and evaluated["body"]["result"] == "84"
    rich = session.request("richInspectVariables", {"variableName": "total", "frameId": frames[0]["id"]})
    assert rich["success"] and rich["body"]["data"]["text/plain"] == "42", rich
    copied = session.request("copyToGlobals", {"srcVariableName": "total", "dstVariableName": "total_copy",
                                               "srcFrameId": frames[0]["id"]})
    assert copied["success"], copied

    mark = len(session.events)
    assert session.request("stepOut", {"threadId": thread})["success"]
    thread, frames = session.stopped(mark)
    assert frames[0]["name"] == "<module>" and frames[0]["line"] == 6

    mark = len(session.events)
    assert session.request("continue", {"threadId": thread})["success"]
    session.wait_event("continued", mark)
    assert session.execute_reply(cell)["status"] == "ok"
    assert session.stdout_of(cell) == "result 42\n"
    assert session.request("debugInfo")["body"]["stoppedThreads"] == []
    # copyToGlobals left exactly the copy, no helper names
    check = session.run("assert total_copy == 42\nassert not [n for n in globals() if 'repr' in n or n.startswith('__minikernel')]")
    assert check["status"] == "ok", check


def test_breakpoint_in_a_function_from_an_earlier_cell_survives_reruns(debug):
    # Defined before the debugger starts: its file is written when the debugger starts.
    code = "def square(n):\n    result = n * n\n    return result\n"
    assert debug.run(code)["status"] == "ok"
    debug.events.clear()
    debug.start()
    try:
        body = debug.request("debugInfo")["body"]
        path = f"{body['tmpFilePrefix']}{murmur2(code.encode(), body['hashSeed'])}{body['tmpFileSuffix']}"
        assert os.path.isfile(path)
        debug.breakpoints(path, 2)
        debug.configured()
        for _ in range(2):  # the same calling cell twice: the breakpoint hits both times
            mark = len(debug.events)
            cell = debug.kc.execute("value = square(7)\n")
            thread, frames = debug.stopped(mark)
            assert [(f["name"], f["source"]["path"], f["line"]) for f in frames[:1]] == [("square", path, 2)]
            assert debug.request("source", {"source": {"path": path}})["body"]["content"] == code
            debug.request("continue", {"threadId": thread})
            assert debug.execute_reply(cell)["status"] == "ok"
        # Re-running the defining cell keeps its file, so the breakpoint still hits.
        assert debug.run(code)["status"] == "ok"
        mark = len(debug.events)
        cell = debug.kc.execute("square(3)")
        thread, frames = debug.stopped(mark)
        assert frames[0]["source"]["path"] == path
        debug.request("continue", {"threadId": thread})
        assert debug.execute_reply(cell)["status"] == "ok"
    finally:
        debug.stop()


@pytest.mark.parametrize("filters", [["raised"], ["uncaught"]])
def test_exception_breakpoints_stop_on_the_line(session, filters):
    assert session.request("setExceptionBreakpoints", {"filters": filters})["success"]
    session.configured()
    code = "def fail():\n    return 1 / 0\n\nfail()\n"
    path = session.path_of(code)
    mark = len(session.events)
    cell = session.kc.execute(code)
    thread, frames = session.stopped(mark)
    assert session.events[-1]["body"]["reason"] == "exception" or any(
        e["event"] == "stopped" and e["body"]["reason"] == "exception" for e in session.events[mark:])
    assert (frames[0]["source"]["path"], frames[0]["line"]) == (path, 2)
    while True:  # "raised" stops again in each user frame the exception goes through
        mark = len(session.events)
        session.request("continue", {"threadId": thread})
        try:
            reply = session.execute_reply(cell, timeout=3)
            break
        except queue.Empty:
            thread, frames = session.stopped(mark)
            assert frames[0]["source"]["path"] == path
    assert reply["status"] == "error" and reply["ename"] == "ZeroDivisionError"
    assert "Cell In[" in "".join(reply["traceback"])
    assert session.request("setExceptionBreakpoints", {"filters": []})["success"]


def test_inspect_variables_when_not_stopped(session):
    code = ("class Rich:\n    def _repr_html_(self):\n        return '<b>rich</b>'\n"
            "number = 7\nrich = Rich()\nnumber\n")
    assert session.run(code)["status"] == "ok"
    reply = session.request("inspectVariables", {})
    assert reply["success"]
    found = {v["name"]: v for v in reply["body"]["variables"]}
    assert found["number"]["value"] == "7" and found["number"]["type"] == "int"
    assert "rich" in found and "Rich" in found
    assert not set(found) & {"In", "Out", "_", "_i", "_1", "exit", "quit", "get_ipython", "__builtins__"}
    assert not [n for n in found if n.startswith("_i") or n[1:].isdigit()]
    rich = session.request("richInspectVariables", {"variableName": "rich"})
    assert rich["success"] and rich["body"]["data"]["text/html"] == "<b>rich</b>"
    missing = session.request("richInspectVariables", {"variableName": "nope"})
    assert missing["success"] is False
    modules = session.request("modules", {})
    assert modules["success"] and modules["body"]["totalModules"] > 0
    assert all({"id", "name", "path"} <= set(m) for m in modules["body"]["modules"])


def test_breakpoint_builtin_stops_in_the_cell(session):
    session.configured()
    code = "alpha = 1\nbreakpoint()\nbeta = 2\n"
    path = session.path_of(code)
    mark = len(session.events)
    cell = session.kc.execute(code)
    thread, frames = session.stopped(mark)
    assert (frames[0]["source"]["path"], frames[0]["name"]) == (path, "<module>")
    assert frames[0]["line"] in (2, 3)
    session.request("continue", {"threadId": thread})
    assert session.execute_reply(cell)["status"] == "ok"


def test_breakpoint_builtin_without_debugger_is_pdb_over_stdin(kernel):
    """Before the debugger ever started, breakpoint() is Python's default: pdb, whose input()
    goes to the frontend over stdin; without stdin it fails at once instead of hanging."""
    kc = kernel.kc
    msg_id = kc.execute("breakpoint()\nvalue = 5\n", allow_stdin=True)
    request = kc.get_stdin_msg(timeout=WAIT)
    assert request["msg_type"] == "input_request" and "(Pdb)" in request["content"]["prompt"]
    kc.input("c")
    reply, _ = kernel.wait(msg_id)
    assert reply["content"]["status"] == "ok"
    reply, _ = kernel.execute("breakpoint()\n'after'", allow_stdin=False)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "StdinNotImplementedError"
    reply, _ = kernel.execute("value")
    assert reply["content"]["status"] == "ok"


def test_breakpoint_builtin_after_disconnect_is_ignored(debug):
    """Once debugpy runs, its breakpoint hook stays: breakpoint() stops when a frontend is
    attached (test above) and does nothing when none is."""
    debug.start()
    debug.stop()
    assert debug.run("breakpoint()\nafter = 1")["status"] == "ok"


def test_interrupt_while_stopped(session):
    code = "import time\nwaited = 0\nwaited += 1\n"
    path = session.path_of(code)
    session.breakpoints(path, 3)
    session.configured()
    mark = len(session.events)
    cell = session.kc.execute(code)
    session.stopped(mark)
    mark = len(session.events)
    session.km.interrupt_kernel()
    reply = session.execute_reply(cell)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    session.wait_event("continued", mark)
    assert session.request("debugInfo")["body"]["stoppedThreads"] == []
    # the main thread is traced again: the same breakpoint hits in the next run
    mark = len(session.events)
    cell = session.kc.execute(code)
    thread, frames = session.stopped(mark)
    assert frames[0]["line"] == 3
    session.request("continue", {"threadId": thread})
    assert session.execute_reply(cell)["status"] == "ok"


def test_pause_a_running_cell_then_interrupt_it(session):
    session.configured()
    cell = session.kc.execute("import time\nspins = 0\nprint('looping', flush=True)\n"
                              "while True:\n    spins += 1\n    time.sleep(0.01)\n")
    try:
        # pause only once the loop runs: a pause that lands on line 1 would find no `spins` yet
        session.wait_started(cell)
        mark = len(session.events)
        # a resume request while nothing is stopped is refused (debugpy would hold it, and every
        # later request behind it, until the next stop)
        refused = session.request("continue", {"threadId": 1})
        assert refused["success"] is False and "stopped" in refused["message"]
        assert session.request("pause", {"threadId": 1})["success"]
        event = session.wait_event("stopped", mark)
        assert event["body"]["reason"] == "pause"
        thread, frames = session.stopped(mark)
        assert frames[0]["source"]["path"].startswith(session.request("debugInfo")["body"]["tmpFilePrefix"])
        spins = session.request("evaluate", {"expression": "spins", "frameId": frames[0]["id"], "context": "repl"})
        assert spins["success"], spins
        assert int(spins["body"]["result"]) >= 0
        mark = len(session.events)
    finally:
        session.km.interrupt_kernel()  # never leave the endless cell running for the next test
        reply = session.execute_reply(cell)
    assert reply["ename"] == "KeyboardInterrupt"
    session.wait_event("continued", mark)
    assert session.request("debugInfo")["body"]["stoppedThreads"] == []
    assert session.run("spins > 0")["status"] == "ok"


def test_disconnect_then_initialize_again(debug):
    code = "def twice(n):\n    return 2 * n\n"
    for _ in range(2):
        debug.events.clear()
        debug.start()
        path = debug.path_of(code)
        debug.breakpoints(path, 2)
        debug.configured()
        assert debug.run(code)["status"] == "ok"
        cell = debug.kc.execute("twice(4)")
        thread, _ = debug.stopped(0)
        debug.request("continue", {"threadId": thread})
        assert debug.execute_reply(cell)["status"] == "ok"
        debug.stop()
        assert debug.request("debugInfo")["body"]["isStarted"] is False
        # disconnected: breakpoints are gone and cells run normally
        assert debug.run("twice(5)")["status"] == "ok"


def test_shutdown_while_stopped(jupyter_env):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30)
    try:
        debug = Debug(km, kc)
        debug.start()
        code = "stop_here = 1\nnever = 2\n"
        path = debug.path_of(code)
        debug.breakpoints(path, 1)
        debug.configured()
        kc.execute(code)
        debug.stopped(0)
        km.request_shutdown()
        km.finish_shutdown(waittime=10, pollinterval=0.1)  # kills it only if it does not exit by itself
        assert not km.is_alive()
        assert not os.path.exists(os.path.dirname(path))  # its cell files went with it
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
        else:
            km.cleanup_resources()  # its control socket and zmq context (shutdown_kernel would do it)
