"""One debug session: the DAP requests of a debug_request answered (messaging spec "Debug
request", plus the Jupyter additions debugInfo, dumpCell, inspectVariables,
richInspectVariables, copyToGlobals) or forwarded to debugpy.

Runs on the control thread, so it answers while a cell runs or sits at a breakpoint. debugpy is
imported and started (debugpy.listen, which spawns its adapter) on the first `initialize`, never
at start-up and never by running code on the shell.
"""

from __future__ import annotations

import ast
import itertools
import json
import logging
import os
import sys
from typing import Callable

from . import cellfiles, threads
from .client import DapClient, DapError
from .variables import loaded_modules, only_visible, user_frames, user_variables

log = logging.getLogger("minikernel.debugger")

# Answered here whether or not the debugger runs (JupyterLab sends debugInfo on connecting).
LOCAL = {"initialize", "debugInfo", "dumpCell", "source", "inspectVariables", "richInspectVariables", "modules"}
# Answered here (or rewritten, then forwarded) once started.
STARTED = {"attach", "configurationDone", "setBreakpoints", "setExceptionBreakpoints", "stackTrace", "scopes",
           "variables", "copyToGlobals", "disconnect"}
# Resume a stopped thread. debugpy answers them only once a suspended thread resumes, and its
# adapter handles a client's requests in order: one sent while nothing is stopped would hold
# every later request (disconnect included) until the next breakpoint. So they need a stop.
RESUMING = {"continue", "next", "stepIn", "stepOut", "stepBack", "reverseContinue", "goto"}
GROUPS = ("special variables", "function variables", "class variables", "protected variables")


class DebugSession:
    def __init__(self, cells, namespace: dict, publish: Callable[[dict], None], kernel_dir: str,
                 format_object: Callable, formatter_ref: tuple[str, str], just_my_code: bool = True,
                 timeout: float = 10.0):
        self.cells = cells  # engine CellRegistry: names (the hash scheme), sources, on_register
        self.namespace = namespace
        self.publish = publish  # an event -> a debug_event on iopub
        self.kernel_dir = kernel_dir  # never shown: pydevd skips it ("rules"), stackTrace drops it
        self.format_object = format_object
        self.formatter_ref = formatter_ref  # (module, function): the same formatter, reached from a stopped frame
        self.just_my_code = just_my_code
        self.timeout = timeout
        self.endpoint: tuple[str, int] | None = None  # debugpy's adapter: listen() runs once per process
        self.client: DapClient | None = None
        self.capabilities: dict = {}
        self.breakpoints: dict[str, list] = {}  # source path -> the lines debugpy set
        self.stopped_threads: set[int] = set()
        self._scope_refs: set[int] = set()  # variablesReferences of scopes: their variables are filtered
        self._written: set[str] = set()
        self._made_directory = False
        self._seq = itertools.count(1)

    @property
    def started(self) -> bool:
        return self.client is not None and not self.client.closed.is_set()

    # -- entry point (control thread) ---------------------------------------------------------
    def handle(self, request) -> dict:
        """A DAP response for any request; never raises."""
        if not isinstance(request, dict) or not isinstance(request.get("command"), str):
            return self._response({"command": "", "seq": 0}, False,
                                  message="a debug_request carries a DAP request: {type, seq, command, arguments}")
        request = {**request, "seq": request.get("seq", 0) if isinstance(request.get("seq"), int) else 0}
        if not isinstance(request.get("arguments", {}), dict):
            return self._response(request, False, message="arguments must be an object")
        request.setdefault("arguments", {})  # (optional in DAP: debugInfo comes without)
        command = request["command"]
        if self.endpoint is not None:
            threads.hide_kernel_threads()
        try:
            if command in LOCAL or (command in STARTED and self.started):
                return getattr(self, "_" + command)(request)
            if not self.started:
                return self._response(request, False, message=f"the debugger is not started: send 'initialize' "
                                                               f"before {command!r}")
            if command in RESUMING:
                return self._resume(request)
            return self._forward(request)
        except DapError as e:
            return self._response(request, False, message=str(e))
        except Exception as e:  # a bad argument, a file that cannot be written...
            log.warning("debug request %s failed", command, exc_info=True)
            return self._response(request, False, message=f"{type(e).__name__}: {e}")

    def _response(self, request: dict, success: bool = True, body: dict | None = None,
                  message: str | None = None) -> dict:
        response = {"type": "response", "seq": next(self._seq), "request_seq": request.get("seq", 0),
                    "command": request.get("command", ""), "success": success, "body": body or {}}
        if message is not None:
            response["message"] = message
        return response

    def _forward(self, request: dict, command: str | None = None, arguments: dict | None = None) -> dict:
        """Send to debugpy (as `command`/`arguments` if given); the response answers `request`."""
        args = request.get("arguments") if arguments is None else arguments
        reply = dict(self.client.request(command or request["command"], args, self.timeout))
        reply.update(seq=next(self._seq), request_seq=request["seq"], command=request["command"])
        reply.setdefault("body", {})
        return reply

    def _resume(self, request: dict) -> dict:
        if not self.stopped_threads:
            return self._response(request, False, message=f"{request['command']}: no thread is stopped")
        # Running from now on: marked before sending, so a `stopped` event that follows the
        # response closely (after a step) is not undone. debugpy resumes all threads.
        before = set(self.stopped_threads)
        self.stopped_threads.clear()
        try:
            reply = self._forward(request)
        except DapError:
            self.stopped_threads.update(before)
            raise
        if not reply.get("success"):
            self.stopped_threads.update(before)
        return reply

    # -- start and stop -----------------------------------------------------------------------
    def _initialize(self, request: dict) -> dict:
        if self.started:  # a second frontend, or a retry: debugpy allows one initialize per connection
            return self._response(request, True, self.capabilities)
        self._listen()
        client = DapClient(self._on_event)
        client.connect(*self.endpoint, timeout=self.timeout)
        self.client = client
        reply = self._forward(request)
        if not reply.get("success"):
            self._close_client()
            return reply
        self.capabilities = reply.get("body") or {}
        # From now on every cell is also a file, and so is every cell that ran before.
        for filename, source in self.cells.sources().items():
            self._write_cell(filename, source)
        self.cells.on_register = self._write_cell
        return reply

    def _listen(self) -> None:
        threads.hide_kernel_threads()  # the control thread (this one) included, before pydevd traces
        if self.endpoint is not None:
            return
        # pydevd warns on stderr about frozen stdlib modules (which only matter for breakpoints
        # in the stdlib): the warning would land in a cell.
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        import debugpy

        host, port = debugpy.listen(("127.0.0.1", 0))
        self.endpoint = (str(host), int(port))
        threads.hide_kernel_threads()

    def _attach(self, request: dict) -> dict:
        host, port = self.endpoint
        args = dict(request.get("arguments") or {})
        args["connect"] = {"host": host, "port": port}
        args.setdefault("justMyCode", self.just_my_code)
        args["redirectOutput"] = False  # the kernel routes output itself; pydevd must not wrap sys.stdout
        args["rules"] = list(args.get("rules") or []) + [{"path": self.kernel_dir, "include": False}]
        # The adapter answers attach only after configurationDone (DAP "initialized" handshake):
        # the kernel finishes the handshake itself and answers JupyterLab's later one locally.
        initialized = self.client.expect_event("initialized")
        seq = self.client.send("attach", args)
        if not self.client.wait_either(seq, initialized, self.timeout):
            raise DapError("debugpy did not answer attach")
        if initialized.is_set() and not self.client.closed.is_set():
            self.client.request("configurationDone", None, self.timeout)
        reply = dict(self.client.wait(seq, self.timeout))
        reply.update(seq=next(self._seq), request_seq=request["seq"])
        return reply

    def _configurationDone(self, request: dict) -> dict:
        return self._response(request)

    def _disconnect(self, request: dict) -> dict:
        terminated = self.client.expect_event("terminated")
        try:
            reply = self._forward(request)
        except DapError as e:  # the adapter is gone already: disconnected all the same
            reply = self._response(request, True, message=str(e))
        # The adapter ends the session after answering, then closes the connection; attaching
        # again before that fails ("Server is already being debugged").
        if not terminated.wait(self.timeout):
            log.warning("debugpy did not end the session in %g s", self.timeout)
        self._close_client()
        return reply

    def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()
        self.cells.on_register = None
        self.breakpoints.clear()
        self.stopped_threads.clear()
        self._scope_refs.clear()

    def close(self) -> None:
        """At kernel exit: drop the connection and the cell files."""
        self._close_client()
        if self._made_directory:
            import shutil

            shutil.rmtree(self.cells.names.directory, ignore_errors=True)

    # -- events (reader thread) ---------------------------------------------------------------
    def _on_event(self, event: dict) -> None:
        name, body = event.get("event"), event.get("body") or {}
        if name == "stopped":
            self.stopped_threads.add(body.get("threadId"))
        elif name == "continued":
            if body.get("allThreadsContinued", True):
                self.stopped_threads.clear()
            else:
                self.stopped_threads.discard(body.get("threadId"))
        elif name in ("terminated", "exited"):
            self.stopped_threads.clear()
        self.publish(event)

    # -- cells as files -----------------------------------------------------------------------
    def _write_cell(self, filename: str, source: str) -> None:
        if filename in self._written:
            return
        if not self._made_directory and not os.path.isdir(os.path.dirname(filename)):
            self._made_directory = True
        cellfiles.write(filename, source)
        self._written.add(filename)

    def _dumpCell(self, request: dict) -> dict:
        code = request["arguments"].get("code")
        if not isinstance(code, str):
            return self._response(request, False, message="dumpCell needs arguments.code (a string)")
        path = self.cells.names.path(code)
        self._written.discard(path)  # written again: the file may have been removed meanwhile
        self._write_cell(path, code)
        return self._response(request, True, {"sourcePath": path})

    def _source(self, request: dict) -> dict:
        args = request["arguments"]
        source = args.get("source") if isinstance(args.get("source"), dict) else {}
        path = source.get("path")
        if (source.get("sourceReference") or args.get("sourceReference")) and not path and self.started:
            return self._forward(request)  # a frame without a file: pydevd keeps its source
        text = self.cells.source(path) if isinstance(path, str) else None
        if text is None and isinstance(path, str) and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        if text is None:
            return self._response(request, False, message=f"source unavailable: {path!r}")
        return self._response(request, True, {"content": text})

    # -- breakpoints and state ----------------------------------------------------------------
    def _setBreakpoints(self, request: dict) -> dict:
        args = request["arguments"]
        path = (args.get("source") or {}).get("path")
        if not isinstance(path, str):
            return self._response(request, False, message="setBreakpoints needs arguments.source.path")
        known = self.cells.source(path)
        if known is not None:
            self._write_cell(path, known)
        reply = self._forward(request)
        if reply.get("success"):
            lines = [{"line": b["line"]} for b in reply["body"].get("breakpoints", []) if "line" in b]
            if lines:
                self.breakpoints[path] = lines
            else:
                self.breakpoints.pop(path, None)
        return reply

    def _setExceptionBreakpoints(self, request: dict) -> dict:
        """The kernel catches every exception a cell raises, so pydevd never sees one "uncaught";
        what the user means is an exception leaving their code into the kernel (kernel frames
        are excluded): debugpy's userUnhandled."""
        args = dict(request["arguments"])
        filters = args.get("filters")
        if isinstance(filters, list) and "uncaught" in filters and "userUnhandled" not in filters:
            args["filters"] = [*filters, "userUnhandled"]
        return self._forward(request, arguments=args)

    def _debugInfo(self, request: dict) -> dict:
        names = self.cells.names
        return self._response(request, True, {
            "isStarted": self.started,
            "hashMethod": cellfiles.HASH_METHOD,
            "hashSeed": names.seed,
            "tmpFilePrefix": names.prefix,
            "tmpFileSuffix": cellfiles.SUFFIX,
            "breakpoints": [{"source": path, "breakpoints": lines} for path, lines in self.breakpoints.items()],
            "stoppedThreads": sorted(t for t in self.stopped_threads if t is not None),
            "richRendering": True,
            "exceptionPaths": ["Python Exceptions"],
            "copyToGlobals": True,
        })

    # -- stopped: frames and variables --------------------------------------------------------
    def _stackTrace(self, request: dict) -> dict:
        reply = self._forward(request)
        frames = reply.get("body", {}).get("stackFrames")
        if reply.get("success") and isinstance(frames, list):
            kept = user_frames(frames, self.kernel_dir, self.cells.names.prefix)
            reply["body"]["stackFrames"] = kept
            reply["body"]["totalFrames"] = len(kept)
        return reply

    def _scopes(self, request: dict) -> dict:
        reply = self._forward(request)
        for scope in reply.get("body", {}).get("scopes", []) or []:
            if isinstance(scope, dict) and scope.get("variablesReference"):
                self._scope_refs.add(scope["variablesReference"])
        return reply

    def _variables(self, request: dict) -> dict:
        reply = self._forward(request)
        if reply.get("success") and request["arguments"].get("variablesReference") in self._scope_refs:
            reply["body"]["variables"] = only_visible(reply["body"].get("variables") or [])
        return reply

    def _inspectVariables(self, request: dict) -> dict:
        return self._response(request, True, {"variables": user_variables(self.namespace)})

    def _richInspectVariables(self, request: dict) -> dict:
        args = request["arguments"]
        name, frame_id = args.get("variableName"), args.get("frameId")
        if name in GROUPS:
            return self._response(request, True, {"data": {}, "metadata": {}})
        if not isinstance(name, str) or not name.isidentifier():
            return self._response(request, False, message=f"not a variable name: {name!r}")
        if self.stopped_threads and frame_id is not None and self.started:
            data, metadata = self._format_in_frame(name, frame_id)
        else:
            if name not in self.namespace:
                return self._response(request, False, message=f"name {name!r} is not defined")
            data, metadata = self.format_object(self.namespace[name])
        return self._response(request, True, {"data": data, "metadata": {k: v for k, v in metadata.items() if k in data}})

    def _format_in_frame(self, name: str, frame_id: int) -> tuple[dict, dict]:
        """Format the variable in the stopped frame, on the stopped thread (where user code
        belongs), through the kernel's formatter; nothing is assigned in the user's namespace."""
        module, function = self.formatter_ref
        expression = (f"__import__('json').dumps(__import__({module!r}, fromlist=[{function!r}])"
                      f".{function}({name}), default=repr)")
        reply = self.client.request("evaluate", {"expression": expression, "frameId": frame_id,
                                                 "context": "clipboard"}, self.timeout)
        if not reply.get("success"):
            raise DapError(reply.get("message") or f"cannot evaluate {name}")
        # clipboard: pydevd returns repr() of the JSON string, untruncated.
        data, metadata = json.loads(ast.literal_eval(reply["body"]["result"]))
        return data, metadata

    def _copyToGlobals(self, request: dict) -> dict:
        args = request["arguments"]
        src, dst, frame_id = args.get("srcVariableName"), args.get("dstVariableName"), args.get("srcFrameId")
        if not (isinstance(src, str) and src.isidentifier() and isinstance(dst, str) and dst.isidentifier()):
            return self._response(request, False, message="srcVariableName and dstVariableName must be identifiers")
        # globals() of a cell's frame is the user namespace; pydevd runs the assignment there.
        return self._forward(request, "setExpression", {"expression": f"globals()[{dst!r}]", "value": src,
                                                        "frameId": frame_id})

    def _modules(self, request: dict) -> dict:
        args = request["arguments"]
        start, count = args.get("startModule"), args.get("moduleCount")
        return self._response(request, True, loaded_modules(start if isinstance(start, int) else 0,
                                                            count if isinstance(count, int) else 0))

    # -- main thread, at the end of every cell ------------------------------------------------
    def after_cell(self) -> None:
        """Trace the main thread again if the cell took its tracing away: an interrupt while
        stopped raises KeyboardInterrupt inside pydevd's trace function, and CPython then
        switches tracing off for the thread (pydevd says "Debugging will be disabled for this
        thread"); the next cell's breakpoints would never hit."""
        if self.endpoint is None:
            return
        threads.hide_kernel_threads(include_current=False)
        if sys.gettrace() is not None:
            return
        pydevd = sys.modules.get("pydevd")
        debugger = pydevd.get_global_debugger() if pydevd is not None else None
        if debugger is None:
            return
        try:
            # pydevd still holds the thread as suspended (its wait loop was left by the
            # exception): mark it running, or its next traced line waits for a resume nobody
            # sends. (A DAP "continue" is answered only once a suspended thread resumes.)
            from _pydevd_bundle.pydevd_thread_lifecycle import resume_threads

            resume_threads("*")
        except Exception:
            log.warning("could not reset pydevd's thread state", exc_info=True)
        debugger.enable_tracing()
        if self.stopped_threads:  # pydevd sends no `continued` when a pause was interrupted
            stopped, self.stopped_threads = self.stopped_threads, set()
            for thread in stopped:
                self.publish({"type": "event", "seq": next(self._seq), "event": "continued",
                              "body": {"threadId": thread, "allThreadsContinued": True}})
