"""L2: request content -> reply content. Plain functions; dependencies are bound in app.py."""

from __future__ import annotations

import inspect
import signal
import sys
import threading

from . import __version__
from .comm import CommManager
from .dispatch import Request
from .engine.execute import Executor
from .engine.is_complete import is_complete as check_complete
from .history import HistoryStore
from .wire import PROTOCOL_VERSION

LANGUAGE_INFO = {
    "name": "python",
    "version": "{}.{}.{}".format(*sys.version_info[:3]),
    "mimetype": "text/x-python",
    "file_extension": ".py",
    "pygments_lexer": "python",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "nbconvert_exporter": "python",
}


def kernel_info(request: Request, debugger: bool = False) -> dict:
    """`debugger`: debugpy is importable (found without importing it), so debug_request works."""
    return {
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "minikernel",
        "implementation_version": __version__,
        "language_info": LANGUAGE_INFO,
        "banner": f"Python {sys.version.split()[0]} on minikernel {__version__}",
        "help_links": [{"text": "Python Reference", "url": f"https://docs.python.org/{sys.version_info[0]}.{sys.version_info[1]}"}],
        "debugger": debugger,
        # JEP 92: only optional features that work (no subshells yet).
        "supported_features": ["debugger"] if debugger else [],
    }


def execute(executor: Executor, request: Request):
    """The reply content, or (a cell that awaits) an awaitable of it."""
    content = request.content
    code = content.get("code", "")
    if not isinstance(code, str):
        raise TypeError("execute_request content.code must be a string")
    silent = bool(content.get("silent", False))
    outcome = executor.execute(code, silent=silent, store_history=bool(content.get("store_history", not silent)),
                               allow_stdin=bool(content.get("allow_stdin", True)))
    if inspect.isawaitable(outcome):
        return _execute_reply_later(executor, content, outcome)
    return _execute_reply(executor, content, outcome)


async def _execute_reply_later(executor: Executor, content: dict, outcome) -> dict:
    return _execute_reply(executor, content, await outcome)


def _execute_reply(executor: Executor, content: dict, outcome) -> dict:
    reply = {"status": "ok" if outcome.ok else "error", "execution_count": outcome.execution_count}
    if outcome.error is not None:
        err = outcome.error
        reply.update(ename=err.ename, evalue=err.evalue, traceback=err.traceback)
    expressions = content.get("user_expressions") or {}
    reply["user_expressions"] = executor.evaluate(expressions) if isinstance(expressions, dict) else {}
    reply["payload"] = outcome.payload
    return reply


def is_complete(request: Request) -> dict:
    status, indent = check_complete(str(request.content.get("code", "")))
    return {"status": status, "indent": indent} if status == "incomplete" else {"status": status}


def complete(executor: Executor, request: Request) -> dict:
    from .engine import complete as completion  # loaded on the first completion, not at start-up

    code, cursor = _code_and_cursor(request)
    result = completion.complete(code, cursor, executor.namespace)
    return {"status": "ok", "matches": result.matches, "cursor_start": result.cursor_start,
            "cursor_end": result.cursor_end, "metadata": result.metadata}


def inspect_request(executor: Executor, request: Request) -> dict:
    from .engine import complete as completion

    code, cursor = _code_and_cursor(request)
    detail_level = _int(request.content.get("detail_level"), 0)
    data = completion.inspect_bundle(code, cursor, executor.namespace, detail_level)
    return {"status": "ok", "found": data is not None, "data": data or {}, "metadata": {}}


def _code_and_cursor(request: Request) -> tuple[str, int]:
    """The code and a cursor clamped into it (cursor_pos counts code points; default: the end)."""
    code = str(request.content.get("code", ""))
    cursor = request.content.get("cursor_pos", len(code))
    return code, len(code) if not isinstance(cursor, int) else max(0, min(cursor, len(code)))


def history(store: HistoryStore, request: Request) -> dict:
    """history_request: tail, range or search over the history store (spec: "History")."""
    content = request.content
    raw, output = bool(content.get("raw", True)), bool(content.get("output", False))
    kind = content.get("hist_access_type", "tail")
    if kind == "tail":
        entries = store.tail(_int(content.get("n"), 10), raw, output)
    elif kind == "range":
        stop = content.get("stop")
        entries = store.range(_int(content.get("session"), 0), _int(content.get("start"), 1),
                              None if stop is None else _int(stop, None), raw, output)
    elif kind == "search":
        n = content.get("n")
        entries = store.search(str(content.get("pattern", "*")), None if n is None else _int(n, None),
                               bool(content.get("unique", False)), raw, output)
    else:
        raise ValueError(f"hist_access_type must be tail, range or search, not {kind!r}")
    return {"status": "ok", "history": entries}


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def comm_info(comms: CommManager, request: Request) -> dict:
    target = request.content.get("target_name")
    return {"status": "ok", "comms": comms.comm_info(target if isinstance(target, str) else None)}


def _comm_message(request: Request) -> dict:
    """The message as comm callbacks get it (jupyter_client's dict shape)."""
    msg = request.msg
    return {"header": msg.header, "parent_header": msg.parent_header, "metadata": msg.metadata,
            "content": msg.content, "buffers": msg.buffers, "msg_id": msg.msg_id, "msg_type": msg.msg_type}


# comm_open / comm_msg / comm_close (shell, either direction): no reply, only output.
def comm_open(comms: CommManager, request: Request) -> None:
    comms.receive_open(_comm_message(request))


def comm_msg(comms: CommManager, request: Request) -> None:
    comms.receive_msg(_comm_message(request))


def comm_close(comms: CommManager, request: Request) -> None:
    comms.receive_close(_comm_message(request))


def shutdown(stop, request: Request) -> dict:
    restart = bool(request.content.get("restart", False))
    stop(restart)
    return {"status": "ok", "restart": restart}


def debug_request(debugger, request: Request) -> dict:
    """debug_request (control): a DAP request in, its DAP response out as the debug_reply
    content (spec "Debug request"). `debugger()` gives the session, made on first use."""
    return debugger().handle(request.content)


def interrupt(executor: Executor, request: Request) -> dict:
    """interrupt_request (message mode): deliver SIGINT to the main thread, where user code runs.

    pthread_kill, not os.kill: a process-directed signal may land on another thread and leave
    a blocking call in the main thread (time.sleep, recv) uninterrupted.
    """
    if executor.in_user_code:
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    return {"status": "ok"}


def usage(processes: dict, request: Request) -> dict:
    """usage_request (control): CPU and memory of the kernel and its child processes, the reply
    jupyter-resource-usage's kernel panel reads (an ipykernel extension, not in the spec).

    `processes` keeps psutil.Process objects between requests: cpu_percent() measures since the
    previous call on the same object (the first reading of a process is 0.0). psutil is optional:
    without it the reply is an error that says so (the panel then shows "not available").
    """
    import os
    import socket

    try:
        import psutil
    except ImportError:
        return {"status": "error", "ename": "ModuleNotFoundError",
                "evalue": "usage_request needs psutil (pip install psutil)", "traceback": [],
                "pid": os.getpid(), "cpu_count": os.cpu_count()}
    me = psutil.Process()
    current = [me, *me.children(recursive=True)]
    alive = {p.pid: processes.get(p.pid, p) for p in current}
    processes.clear()
    processes.update(alive)
    memory_kind = "pss" if hasattr(me.memory_full_info(), "pss") else "rss"
    cpu, memory = 0.0, 0
    for process in alive.values():
        try:
            cpu += process.cpu_percent(None)
            memory += getattr(process.memory_full_info(), memory_kind)
        except psutil.Error:  # ended meanwhile, or not ours to look at
            pass
    content = {"status": "ok", "hostname": socket.gethostname(), "pid": os.getpid(), "kernel_cpu": cpu,
               "kernel_memory": memory, "cpu_count": psutil.cpu_count(logical=True),
               "host_virtual_memory": dict(psutil.virtual_memory()._asdict())}
    host_cpu = psutil.cpu_percent(None)
    if host_cpu:  # 0.0 on the first call means "no reading yet"
        content["host_cpu_percent"] = host_cpu
    return content
