"""L1: comms (messaging spec, "Custom Messages"): kernel-side Comm objects and their manager.

No zmq, no traitlets, no wire. Messages leave through an injected
`publish(msg_type, content, metadata, buffers)` (the kernel parents them to the current
request); user callbacks (comm targets, on_msg, on_close) run through an injected
`call_user(fn, *args)`. An exception in a callback is printed as a traceback on sys.stderr,
which in the kernel is the stderr of the request being handled; it never reaches the caller.

Comm and CommManager offer what the `comm` package's BaseComm and CommManager offer, duck-typed:
ipywidgets 8 and other libraries reach them through `comm.create_comm(...)` and
`comm.get_comm_manager()`, which engine/hooks.py points at a CommManager when the `comm`
package is importable. This module never imports it.

Incoming messages are dicts shaped as jupyter_client gives them: header, parent_header,
metadata, content, buffers (memoryviews), msg_id, msg_type.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from typing import Any, Callable

log = logging.getLogger("minikernel.comm")

Publish = Callable[[str, dict, dict, list], None]
CallUser = Callable[..., Any]


def _call_directly(fn: Callable, *args) -> Any:
    return fn(*args)


class KernelHandle:
    """What `Comm.kernel` is. Not ipykernel's Kernel: ipywidgets only needs it not to be None
    (or widgets stop syncing) and asks it for `get_parent()`, the request being handled, so the
    output of `with output_widget:` blocks is routed into the Output widget."""

    def __init__(self, get_parent: Callable[[], dict | None] | None = None):
        self._get_parent = get_parent

    def get_parent(self) -> dict:
        return (self._get_parent() if self._get_parent is not None else None) or {}


class Comm:
    """One end of a comm, in the kernel. The arguments are BaseComm's (`comm` package);
    `manager` is ours; other keywords (ipykernel's `kernel`, `show_warning`...) are ignored."""

    def __init__(self, target_name: str = "comm", data: dict | None = None, metadata: dict | None = None,
                 buffers: list | None = None, comm_id: str | None = None, primary: bool = True,
                 target_module: str | None = None, topic: bytes | None = None,
                 _open_data: dict | None = None, _close_data: dict | None = None,
                 *, manager: CommManager, **ignored):
        self.comm_id = comm_id or os.urandom(16).hex()  # uuid4-like; uuid costs ~6 ms of start-up
        self.primary = primary
        self.target_name = target_name
        self.target_module = target_module
        self.topic = topic or f"comm-{self.comm_id}".encode("ascii", "replace")
        self.kernel = manager.kernel
        self._manager = manager
        self._open_data = _open_data or {}
        self._close_data = _close_data or {}
        self._msg_callback: Callable | None = None
        self._close_callback: Callable | None = None
        self._closed = True
        if primary:  # we open it: the frontend gets a comm_open
            self.open(data=data, metadata=metadata, buffers=buffers)
        else:  # the frontend opened it
            self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Comm {self.comm_id} target={self.target_name!r} {state}>"

    # -- to the frontend ------------------------------------------------------------------------
    def publish_msg(self, msg_type: str, data: dict | None = None, metadata: dict | None = None,
                    buffers: list | None = None, **keys) -> None:
        content = {"data": {} if data is None else _snapshot(data), "comm_id": self.comm_id}
        content.update((k, v) for k, v in keys.items() if v is not None)
        self._manager.publish(msg_type, content, _snapshot(metadata or {}), _outgoing(buffers))

    def open(self, data: dict | None = None, metadata: dict | None = None, buffers: list | None = None) -> None:
        """Open the frontend's end: a comm_open carrying target_name (and target_module if set)."""
        self._manager.register_comm(self)
        try:
            self.publish_msg("comm_open", self._open_data if data is None else data, metadata, buffers,
                             target_name=self.target_name, target_module=self.target_module)
        except BaseException:
            self._manager.unregister_comm(self)
            raise
        self._closed = False

    def send(self, data: dict | None = None, metadata: dict | None = None, buffers: list | None = None) -> None:
        """A comm_msg to the frontend's end. Nothing is sent once the comm is closed."""
        if self._closed:
            log.debug("comm %s is closed: message not sent", self.comm_id)
            return
        self.publish_msg("comm_msg", data, metadata, buffers)

    def close(self, data: dict | None = None, metadata: dict | None = None, buffers: list | None = None,
              deleting: bool = False) -> None:
        """Close both ends: a comm_close to the frontend (only once)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.publish_msg("comm_close", self._close_data if data is None else data, metadata, buffers)
        finally:
            if not deleting:
                self._manager.unregister_comm(self)

    # -- from the frontend ----------------------------------------------------------------------
    def on_msg(self, callback: Callable[[dict], Any] | None) -> None:
        """`callback(msg)` for every comm_msg (None removes it)."""
        self._msg_callback = callback

    def on_close(self, callback: Callable[[dict], Any] | None) -> None:
        """`callback(msg)` when the frontend closes the comm (None removes it)."""
        self._close_callback = callback

    def handle_msg(self, msg: dict) -> None:
        if self._msg_callback is not None:
            self._msg_callback(msg)

    def handle_close(self, msg: dict) -> None:
        if self._close_callback is not None:
            self._close_callback(msg)


class CommManager:
    """The open comms and the targets frontends may open comms to."""

    def __init__(self, publish: Publish, call_user: CallUser | None = None,
                 get_parent: Callable[[], dict | None] | None = None):
        self.publish = publish
        self.call_user = call_user or _call_directly
        self.kernel = KernelHandle(get_parent)
        self.comms: dict[str, Comm] = {}
        self.targets: dict[str, Callable] = {}

    # -- the `comm` package's API (comm.create_comm, comm.get_comm_manager()) --------------------
    def create_comm(self, *args, **kwargs) -> Comm:
        """A new comm; unless primary=False, the frontend gets its comm_open now."""
        return Comm(*args, manager=self, **kwargs)

    def register_target(self, target_name: str, f: Callable | str) -> None:
        """`f(comm, open_msg)` is called when the frontend opens a comm to `target_name`.
        `f` may be a dotted import string ("package.module.function")."""
        if isinstance(f, str):
            module, _, name = f.rpartition(".")
            f = getattr(importlib.import_module(module), name) if module else importlib.import_module(name)
        self.targets[target_name] = f

    def unregister_target(self, target_name: str, f: Callable | None = None) -> Callable | None:
        return self.targets.pop(target_name, None)

    def register_comm(self, comm: Comm) -> str:
        self.comms[comm.comm_id] = comm
        return comm.comm_id

    def unregister_comm(self, comm: Comm) -> None:
        if self.comms.get(comm.comm_id) is comm:
            del self.comms[comm.comm_id]

    def get_comm(self, comm_id: str) -> Comm | None:
        comm = self.comms.get(comm_id)
        if comm is None:
            log.warning("no such comm: %s", comm_id)
        return comm

    # -- messages from the frontend (shell handlers; none has a reply) ---------------------------
    def receive_open(self, msg: dict) -> None:
        """comm_open: the target's callback gets the new comm. An unknown target, or a callback
        that raises, gets a comm_close back (spec) so both sides agree the comm is gone."""
        content = msg.get("content") or {}
        comm_id, target_name = content.get("comm_id"), content.get("target_name")
        if not isinstance(comm_id, str) or not comm_id:
            log.warning("comm_open without a comm_id: ignored")
            return
        comm = Comm(target_name=str(target_name), comm_id=comm_id, primary=False,
                    target_module=content.get("target_module"), manager=self)
        target = self.targets.get(target_name) if isinstance(target_name, str) else None
        if target is None:
            log.warning("comm_open for unknown target %r (comm %s): closed", target_name, comm_id)
            comm.close()
            return
        self.register_comm(comm)
        if not self.run_callback(target, comm, _incoming(msg), what=f"the comm target {target_name!r}"):
            comm.close()

    def receive_msg(self, msg: dict) -> None:
        comm = self._addressed(msg, "comm_msg")
        if comm is not None:
            self.run_callback(comm.handle_msg, _incoming(msg), what=f"the on_msg callback of {comm!r}")

    def receive_close(self, msg: dict) -> None:
        comm = self._addressed(msg, "comm_close")
        if comm is not None:
            comm._closed = True
            self.unregister_comm(comm)
            self.run_callback(comm.handle_close, _incoming(msg), what=f"the on_close callback of {comm!r}")

    def comm_info(self, target_name: str | None = None) -> dict:
        """comm_info_reply's `comms`: {comm_id: {"target_name": ...}}, all or one target's."""
        return {comm_id: {"target_name": comm.target_name} for comm_id, comm in list(self.comms.items())
                if target_name is None or comm.target_name == target_name}

    def run_callback(self, fn: Callable, *args, what: str = "a comm callback") -> bool:
        """Run user code; False if it raised (the traceback went to sys.stderr)."""
        try:
            self.call_user(fn, *args)
            return True
        except BaseException as e:  # KeyboardInterrupt and SystemExit too: never up into the kernel
            _report(e, what)
            return False

    def _addressed(self, msg: dict, msg_type: str) -> Comm | None:
        comm_id = (msg.get("content") or {}).get("comm_id")
        comm = self.comms.get(comm_id) if isinstance(comm_id, str) else None
        if comm is None:
            log.warning("%s for unknown comm %r: ignored", msg_type, comm_id)
        return comm


def _snapshot(obj):
    """A copy of the JSON containers: the message is serialized later, on the iopub thread,
    and must not see changes the caller makes after send()."""
    if isinstance(obj, dict):
        return {k: _snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_snapshot(v) for v in obj]
    return obj


def _outgoing(buffers) -> list:
    """Each buffer as a flat byte view (no copy when contiguous). Anything that is not
    bytes-like raises TypeError here, in the caller, not later on the iopub thread."""
    out = []
    for buf in buffers or ():
        view = memoryview(buf)
        try:
            out.append(view.cast("B") if view.c_contiguous else view.tobytes())
        except TypeError:  # formats memoryview cannot cast
            out.append(view.tobytes())
    return out


def _incoming(msg: dict) -> dict:
    """The message as callbacks get it: buffers as memoryviews (as jupyter_client gives them)."""
    buffers = msg.get("buffers") or []
    return {**msg, "buffers": [b if isinstance(b, memoryview) else memoryview(b) for b in buffers]}


def _report(error: BaseException, what: str) -> None:
    """The traceback on sys.stderr (the current request's), without the kernel's own frames."""
    tb = error.__traceback__
    while tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith("minikernel."):
        tb = tb.tb_next
    text = f"Exception in {what}:\n" + "".join(
        traceback.format_exception(type(error), error, tb or error.__traceback__))
    log.debug("%s", text)
    try:
        sys.stderr.write(text)
    except Exception:
        if sys.__stderr__ is not None:
            sys.__stderr__.write(text)
