"""usage_request on control (ipykernel's extension, read by jupyter-resource-usage's kernel
panel): the kernel's CPU and memory, its children included, and the host's figures."""

from __future__ import annotations

import socket

import psutil

from conftest import stream_text

FIELDS = {"hostname", "pid", "kernel_cpu", "kernel_memory", "cpu_count", "host_virtual_memory"}
CHILD_MB = 200


def usage(kernel) -> dict:
    reply, _ = kernel.request("usage_request", {}, channel="control")
    assert reply["msg_type"] == "usage_reply"
    return reply["content"]


def test_usage_reply_fields(kernel, record_property):
    content = usage(kernel)
    assert content["status"] == "ok"
    assert FIELDS <= content.keys(), content
    assert content["pid"] == kernel.km.provisioner.pid
    assert content["hostname"] == socket.gethostname()
    assert content["cpu_count"] == psutil.cpu_count(logical=True)
    assert content["kernel_memory"] > 10 << 20  # a Python process: more than 10 MB
    assert {"total", "available", "percent", "used", "free"} <= content["host_virtual_memory"].keys()
    figures = f"usage_reply: {len(content)} fields, kernel_memory {content['kernel_memory'] >> 20} MiB"
    record_property("figures", figures)
    print(figures)


def test_usage_counts_children(kernel, record_property):
    """A child holding 200 MB and spinning shows up in kernel_memory and kernel_cpu."""
    before = usage(kernel)["kernel_memory"]
    reply, outputs = kernel.execute(
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', "
        f"'import sys; b = b\"x\" * ({CHILD_MB} << 20); print(\"ready\", flush=True)\\nwhile True: pass'], "
        "stdout=subprocess.PIPE, text=True)\n"
        "print(child.stdout.readline().strip())")
    assert stream_text(outputs) == "ready\n", outputs
    try:
        usage(kernel)  # the first cpu_percent() of a process is 0.0: this one starts the measure
        kernel.execute("import time; time.sleep(0.5)")
        after = usage(kernel)
        grew = (after["kernel_memory"] - before) >> 20
        figures = f"kernel_memory grew {grew} MiB with a {CHILD_MB} MiB child; kernel_cpu {after['kernel_cpu']:.0f} %"
        record_property("figures", figures)
        print(figures)
        assert grew > CHILD_MB * 0.8, figures
        assert after["kernel_cpu"] > 0, figures  # the child spins
    finally:
        kernel.execute("child.kill(); child.wait()")


def test_without_psutil_the_reply_says_so(monkeypatch):
    """psutil is no dependency of minikernel: without it the reply is an error that names it."""
    from minikernel import handlers
    from minikernel.dispatch import Request
    from minikernel.wire import Session

    monkeypatch.setitem(__import__("sys").modules, "psutil", None)  # `import psutil` raises ImportError
    content = handlers.usage({}, Request("control", [], Session().message("usage_request", {})))
    assert content["status"] == "error" and "psutil" in content["evalue"]
    assert "hostname" not in content  # jupyter-resource-usage's panel then shows "not available"
