"""Output written below Python's sys.stdout (fds 1 and 2) reaches the cell that produced it,
and the kernel's own log does not."""

from conftest import stream_text


def test_os_system_subprocess_and_c_printf(kernel):
    reply, outputs = kernel.execute(
        "import os, subprocess, ctypes\n"
        "os.system('echo from-os-system')\n"
        "subprocess.run(['sh', '-c', 'echo from-subprocess; echo to-stderr >&2'])\n"
        "ctypes.CDLL(None).printf(b'from-printf %d\\n', 42)\n"
        "print('from-python')")
    assert reply["content"]["status"] == "ok"
    out = stream_text(outputs)
    for text in ("from-os-system\n", "from-subprocess\n", "from-printf 42\n", "from-python\n"):
        assert text in out, out
    assert "to-stderr\n" in stream_text(outputs, "stderr")


def test_forked_child_output(kernel):
    reply, outputs = kernel.execute(
        "import os\npid = os.fork()\n"
        "if pid == 0:\n    os.write(1, b'from-child\\n')\n    os._exit(0)\n"
        "os.waitpid(pid, 0)\nprint('parent-done')")
    assert reply["content"]["status"] == "ok"
    out = stream_text(outputs)
    assert "from-child\n" in out and "parent-done\n" in out


def test_kernel_log_stays_out_of_cells(kernel):
    """The kernel's log writes to a copy of the stderr it started with: with fd 2 captured for
    cells, a log record must still not become cell output (while a direct fd-2 write does)."""
    reply, outputs = kernel.execute(
        "import logging, os\n"
        "logging.getLogger('minikernel').warning('kernel-log-line')\n"
        "os.write(2, b'user-fd2-line\\n')")
    assert reply["content"]["status"] == "ok"
    err = stream_text(outputs, "stderr")
    assert "user-fd2-line\n" in err
    assert "kernel-log-line" not in err and "kernel-log-line" not in stream_text(outputs)
