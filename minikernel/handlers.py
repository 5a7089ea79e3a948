"""L2: request content -> reply content. Plain functions; dependencies are bound in app.py."""

from __future__ import annotations

import fnmatch
import signal
import sys
import threading

from . import __version__
from .dispatch import Request
from .engine import complete as completion
from .engine.execute import Executor
from .engine.is_complete import is_complete as check_complete
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


def kernel_info(request: Request) -> dict:
    return {
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "minikernel",
        "implementation_version": __version__,
        "language_info": LANGUAGE_INFO,
        "banner": f"Python {sys.version.split()[0]} on minikernel {__version__}",
        "help_links": [{"text": "Python Reference", "url": f"https://docs.python.org/{sys.version_info[0]}.{sys.version_info[1]}"}],
        "debugger": False,
        # JEP 92: only optional features that work. None yet (no debugger, no subshells).
        "supported_features": [],
    }


def execute(executor: Executor, request: Request) -> dict:
    content = request.content
    code = content.get("code", "")
    if not isinstance(code, str):
        raise TypeError("execute_request content.code must be a string")
    silent = bool(content.get("silent", False))
    outcome = executor.execute(code, silent=silent, store_history=bool(content.get("store_history", not silent)),
                               allow_stdin=bool(content.get("allow_stdin", True)))
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
    code = str(request.content.get("code", ""))
    cursor = request.content.get("cursor_pos", len(code))
    cursor = len(code) if not isinstance(cursor, int) else max(0, min(cursor, len(code)))
    matches, start, end = completion.complete(code, cursor, executor.namespace)
    return {"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": {}}


def inspect(executor: Executor, request: Request) -> dict:
    code = str(request.content.get("code", ""))
    cursor = request.content.get("cursor_pos", len(code))
    cursor = len(code) if not isinstance(cursor, int) else max(0, min(cursor, len(code)))
    text = completion.inspect_name(code, cursor, executor.namespace, int(request.content.get("detail_level", 0) or 0))
    return {"status": "ok", "found": text is not None, "data": {"text/plain": text} if text else {}, "metadata": {}}


def history(executor: Executor, request: Request) -> dict:
    """In-memory history of this session (session number 0 means the current one)."""
    content = request.content
    inputs = executor.namespace.get("In")
    inputs = inputs if isinstance(inputs, list) else [""]
    entries = [(0, n, src) for n, src in enumerate(inputs) if n > 0]
    kind = content.get("hist_access_type", "tail")
    if kind == "range":
        start, stop = int(content.get("start", 0) or 0), content.get("stop")
        entries = [e for e in entries if e[1] >= start and (stop is None or e[1] < int(stop))]
    elif kind == "search":
        pattern = str(content.get("pattern", "*"))
        entries = [e for e in entries if fnmatch.fnmatchcase(e[2], pattern)]
        if content.get("unique"):
            seen, unique = set(), []
            for e in reversed(entries):
                if e[2] not in seen:
                    seen.add(e[2])
                    unique.append(e)
            entries = unique[::-1]
    n = content.get("n")
    if kind in ("tail", "search") and isinstance(n, int) and n >= 0:
        entries = entries[-n:] if n else []
    if content.get("output"):
        outputs = executor.namespace.get("Out", {})
        entries = [(s, n, (src, repr(outputs[n]) if n in outputs else None)) for s, n, src in entries]
    return {"status": "ok", "history": entries}


def comm_info(request: Request) -> dict:
    return {"status": "ok", "comms": {}}


def shutdown(stop, request: Request) -> dict:
    restart = bool(request.content.get("restart", False))
    stop(restart)
    return {"status": "ok", "restart": restart}


def interrupt(executor: Executor, request: Request) -> dict:
    """interrupt_request (message mode): deliver SIGINT to the main thread, where user code runs.

    pthread_kill, not os.kill: a process-directed signal may land on another thread and leave
    a blocking call in the main thread (time.sleep, recv) uninterrupted.
    """
    if executor.in_user_code:
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    return {"status": "ok"}
