"""Output written below Python's sys.stdout (fds 1 and 2) reaches the cell that produced it,
and the kernel's own log does not."""

from conftest import stream_text


def test_os_system_subprocess_and_c_printf(kernel):
    reply, outputs = kernel.execute(
        "import ctypes, os, subprocess, sys\n"
        "os.system('echo from-os-system')\n"
        "subprocess.run(['sh', '-c', 'echo from-subprocess; echo to-stderr >&2'])\n"
        "ctypes.CDLL(None).printf(b'from-printf %d\\n', 42)\n"
        "sys.stdout.write('from-python\\n')")  # one write (see test_forked_child_output)
    assert reply["content"]["status"] == "ok"
    out = stream_text(outputs)
    for text in ("from-os-system\n", "from-subprocess\n", "from-printf 42\n", "from-python\n"):
        assert text in out, out
    assert "to-stderr\n" in stream_text(outputs, "stderr")


def test_forked_child_output(kernel):
    reply, outputs = kernel.execute(
        "import os, sys\npid = os.fork()\n"
        "if pid == 0:\n    os.write(1, b'from-child\\n')\n    os._exit(0)\n"
        "os.waitpid(pid, 0)\nsys.stdout.write('parent-done\\n')")  # one write: print's two may
    # let the child's line, read by the fd thread, land between the text and its newline
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


def test_stream_fileno_and_buffer_reach_the_cell(kernel):
    """sys.stdout.fileno() is fd 1 (the pipe into the cell) and sys.stdout.buffer takes bytes,
    as in a terminal: code handing sys.stdout to a subprocess or to faulthandler, or writing
    bytes, shows its output in the cell (ipykernel sends the former to the kernel's terminal)."""
    reply, outputs = kernel.execute(
        "import faulthandler, os, subprocess, sys\n"
        "print(sys.stderr.fileno(), sys.stdout.buffer.fileno())\n"
        "sys.stdout.buffer.write('bytes-caf\\u00e9'.encode()[:-1])\n"  # é split across writes
        "sys.stdout.buffer.write('bytes-caf\\u00e9'.encode()[-1:] + b' \\xff\\n')\n"
        "sys.stdout.buffer.flush()\n"
        # fd-level writes after the Python-level ones: they are read by a thread (see above)
        "subprocess.run(['echo', 'child-via-fileno'], stdout=sys.stdout, check=True)\n"
        "os.write(sys.stdout.fileno(), b'raw-fd-write\\n')\n"
        "faulthandler.enable()\n"
        "faulthandler.dump_traceback(all_threads=False)\n"
        "faulthandler.disable()")
    assert reply["content"]["status"] == "ok", reply["content"]
    out, err = stream_text(outputs), stream_text(outputs, "stderr")
    assert "child-via-fileno\n" in out and "raw-fd-write\n" in out, out
    assert "bytes-caf\u00e9 \ufffd\n" in out, out
    assert "2 1\n" in out
    assert "Stack (most recent call first)" in err and "line 9 in <module>" in err, err  # the cell line
