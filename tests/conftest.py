"""Shared fixtures. Subprocess tests drive a real kernel started by jupyter_client from a
kernelspec written into a temporary JUPYTER_PATH (never into sys.prefix)."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager

import pytest

from minikernel import kernelspec

KERNEL_NAME = "minikernel-test"


def _write_spec(root, name: str, **kw) -> None:
    spec_dir = root / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps(kernelspec.kernel_json(name, **kw)))


@pytest.fixture(scope="session", autouse=True)
def jupyter_env(tmp_path_factory):
    """A private Jupyter world: kernelspecs, data, runtime and config dirs under a temp dir."""
    root = tmp_path_factory.mktemp("jupyter")
    _write_spec(root, KERNEL_NAME)
    _write_spec(root, KERNEL_NAME + "-message", interrupt_mode="message")
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                                             "JUPYTER_CONFIG_DIR", "JUPYTER_PLATFORM_DIRS")}
    os.environ["JUPYTER_PATH"] = str(root)
    os.environ["JUPYTER_DATA_DIR"] = str(root / "data")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(root / "runtime")
    os.environ["JUPYTER_CONFIG_DIR"] = str(root / "config")
    os.environ.pop("JUPYTER_PLATFORM_DIRS", None)
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def started_kernel(wrapper=None):
    """A fresh kernel and a ready blocking client, as wrapper(km, kc) (default: Kernel); always
    shut down. For module-scoped fixtures (needs the jupyter_env fixture active)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30)
    try:
        yield (wrapper or Kernel)(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


@pytest.fixture
def kernel(jupyter_env):
    """A fresh kernel and a ready blocking client; always shut down."""
    with started_kernel() as k:
        yield k


class Kernel:
    """A started kernel with helpers that match every message to its request and time out."""

    def __init__(self, km, kc):
        self.km, self.kc = km, kc

    def execute(self, code: str, timeout: float = 30, **kw) -> tuple[dict, list[dict]]:
        """Run `code`; return (execute_reply message, iopub messages of the request up to idle,
        excluding status)."""
        msg_id = self.kc.execute(code, **kw)
        return self.wait(msg_id, timeout)

    def wait(self, msg_id: str, timeout: float = 30, channel: str = "shell") -> tuple[dict, list[dict]]:
        get_reply = self.kc.get_shell_msg if channel == "shell" else self.kc.get_control_msg
        reply = None
        while reply is None:
            msg = get_reply(timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
        return reply, self.iopub_until_idle(msg_id, timeout)

    def iopub_until_idle(self, msg_id: str, timeout: float = 30) -> list[dict]:
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    return outputs
                continue
            outputs.append(msg)

    def request(self, msg_type: str, content: dict | None = None, channel: str = "shell", timeout: float = 30):
        """Send any request; return (reply, iopub messages) for it."""
        chan = self.kc.shell_channel if channel == "shell" else self.kc.control_channel
        msg = self.kc.session.msg(msg_type, content or {})
        chan.send(msg)
        return self.wait(msg["header"]["msg_id"], timeout, channel)


def stream_text(outputs: list[dict], name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == name)


@pytest.fixture
def python():
    return sys.executable


def pytest_sessionfinish(session, exitstatus):
    """Close every client-side zmq context still open, while its sockets are reachable.

    A context and its sockets left in one garbage cycle (a KernelManager whose kernel exited by
    itself, so nothing called cleanup_resources) would otherwise be finalised by pytest's last
    gc pass: the sockets' weak references are cleared first, Context.__del__ then waits in
    term() for sockets it can no longer close, and pytest never exits."""
    import gc

    import zmq

    for obj in gc.get_objects():
        if isinstance(obj, zmq.Context) and not obj.closed:
            obj.destroy(linger=0)
