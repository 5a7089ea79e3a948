"""Shell escapes through the real protocol: `!cmd` (live output, exit status, stdin, interpolation),
`x = !cmd` (SList), %%bash / %%sh, and interrupting them (no orphan processes)."""

from __future__ import annotations

import psutil
import pytest

from conftest import stream_text

pytestmark = pytest.mark.timeout(60)


def ok(kernel, code: str, timeout: float = 30) -> list[dict]:
    reply, outputs = kernel.execute(code, timeout=timeout)
    assert reply["content"]["status"] == "ok", reply["content"]
    return outputs


def result(outputs: list[dict]) -> str:
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert len(results) == 1, outputs
    return results[0]


def test_bang_runs_in_the_shell_with_interpolation_and_exit_status(kernel):
    ok(kernel, "x = 5\nname = 'world'")
    outputs = ok(kernel, "!echo hello $name $x {x * 2} {{braces}} '$$x'")
    assert stream_text(outputs) == "hello world 5 10 {braces} $x\n"  # `$$` is a literal `$`
    outputs = ok(kernel, "!echo out; echo err >&2; exit 3\n_exit_code")
    assert stream_text(outputs) == "out\n"
    assert stream_text(outputs, "stderr") == "err\n"
    assert result(outputs) == "3"
    assert result(ok(kernel, "!true\n_exit_code")) == "0"


def test_unknown_names_and_shell_syntax_reach_the_shell(kernel):
    outputs = ok(kernel, "import os; os.environ['MK_VAR'] = 'from-env'\n"
                         "!echo $MK_VAR; echo a,b | awk -F, '{print $2}'; echo ${MK_VAR}")
    assert stream_text(outputs) == "from-env\nb\nfrom-env\n"


def test_bang_in_a_loop_body_sees_the_loop_variable(kernel):
    outputs = ok(kernel, "for i in range(3):\n    !echo line $i\nprint('done')")
    assert stream_text(outputs) == "line 0\nline 1\nline 2\ndone\n"


def test_bang_in_a_function_sees_its_locals(kernel):
    outputs = ok(kernel, "def f(word):\n    !echo got $word\nf('local')")
    assert stream_text(outputs) == "got local\n"


def test_output_streams_live(kernel):
    """`a` is sent before `b` is even printed (a second later): they arrive in separate stream
    messages, `a` first; prints before and after keep their order."""
    msg_id = kernel.kc.execute("print('before')\n!sleep 0.5; echo a; sleep 1; echo b\nprint('after')")
    reply, outputs = kernel.wait(msg_id, timeout=30)
    assert reply["content"]["status"] == "ok"
    texts = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
    assert "".join(texts) == "before\na\nb\nafter\n"
    with_a = next(i for i, t in enumerate(texts) if "a\n" in t)
    with_b = next(i for i, t in enumerate(texts) if "b\n" in t)
    assert with_a < with_b


def test_a_command_reading_stdin_gets_eof(kernel):
    outputs = ok(kernel, "!cat; read line; echo read-status $?", timeout=20)
    assert stream_text(outputs) == "read-status 1\n"


def test_capture_into_slist(kernel):
    ok(kernel, "files = !printf 'a.txt\\nb.py  x\\nc.txt\\n'")
    outputs = ok(kernel, "for v in (files, files.s, files.n, files.l is files, len(files)): print(repr(v))")
    assert stream_text(outputs) == "['a.txt', 'b.py  x', 'c.txt']\n'a.txt b.py  x c.txt'\n" \
                                   "'a.txt\\nb.py  x\\nc.txt'\nTrue\n3\n"
    outputs = ok(kernel, "for v in (files.grep(r'\\.txt$'), files.fields(0), files.grep('txt', prune=True)): "
                         "print(v)")
    assert stream_text(outputs) == "['a.txt', 'c.txt']\n['a.txt', 'b.py', 'c.txt']\n['b.py  x']\n"
    assert result(ok(kernel, "err = !echo oops >&2\nerr")) == "['oops']"
    assert result(ok(kernel, "!!echo twice")) == "['twice']"


def test_bash_and_sh_cell_magics_stream(kernel):
    outputs = ok(kernel, "%%bash\nfor i in 1 2; do echo n$i; done\necho e >&2\necho $((6 * 7))")
    assert stream_text(outputs) == "n1\nn2\n42\n"
    assert stream_text(outputs, "stderr") == "e\n"
    assert stream_text(ok(kernel, "%%sh\necho from-sh")) == "from-sh\n"
    msg_id = kernel.kc.execute("%%bash\necho a\nsleep 1\necho b")
    _, outputs = kernel.wait(msg_id, timeout=30)
    texts = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
    assert "".join(texts) == "a\nb\n" and len(texts) == 2


def test_script_cell_magic_feeds_the_interpreter(kernel, python):
    outputs = ok(kernel, f"%%script {python}\nimport sys\nprint('py', sys.version_info[0])")
    assert stream_text(outputs) == "py 3\n"
    reply, outputs = kernel.execute("%%bash\nexit 4")
    assert reply["content"]["ename"] == "CalledProcessError"
    ok(kernel, "%%bash --no-raise-error\nexit 4")
    reply, _ = kernel.execute("%%script --bg sleep\n1")
    assert reply["content"]["ename"] == "UsageError" and "--bg" in reply["content"]["evalue"]
    outputs = ok(kernel, "%%bash -s one two\necho $1-$2")  # arguments go to the program
    assert stream_text(outputs) == "one-two\n"
    reply, _ = kernel.execute("%%script no-such-program-xyz\n1")
    assert reply["content"]["ename"] == "UsageError"
    assert "no-such-program-xyz" in reply["content"]["evalue"]


def _kernel_children(kernel) -> list[psutil.Process]:
    return psutil.Process(kernel.km.provisioner.pid).children(recursive=True)


@pytest.mark.parametrize("code", [
    "!sleep 100 & echo started; wait",
    # a shell and a child that ignore SIGINT: SIGTERM / SIGKILL finish them
    "!trap '' INT; sleep 100 & echo started; wait; sleep 100",
    "%%bash\nsleep 100 &\necho started\nwait",
], ids=["bang", "ignores-sigint", "bash"])
def test_interrupt_terminates_the_child_process_group(kernel, code):
    msg_id = kernel.kc.execute(code)
    while True:  # the command runs once it said so
        msg = kernel.kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            assert msg["content"]["text"] == "started\n"
            break
    children = _kernel_children(kernel)
    assert len(children) >= 2  # the shell and its job (maybe not yet exec-ed into `sleep`)
    kernel.km.interrupt_kernel()
    reply, _ = kernel.wait(msg_id, timeout=20)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
    assert stream_text(ok(kernel, "!echo still alive")) == "still alive\n"


def test_interrupt_while_capturing_output(kernel, tmp_path):
    """`x = !cmd` (nothing streamed): the command says it runs through a FIFO, then is interrupted."""
    import os

    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    msg_id = kernel.kc.execute(f"x = !sleep 100 & echo started > {fifo}; wait")
    with open(fifo) as ready:  # blocks until the command opens it (pytest-timeout bounds it)
        assert ready.read() == "started\n"
    children = _kernel_children(kernel)
    assert len(children) >= 2  # the shell and its job (maybe not yet exec-ed into `sleep`)
    kernel.km.interrupt_kernel()
    reply, _ = kernel.wait(msg_id, timeout=20)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive


def test_background_job_does_not_hold_the_cell(kernel):
    """A job left running with `&` keeps the pipes open; the cell still ends when the shell does
    (the reply would otherwise wait the job's 60 s, past this test's timeouts)."""
    outputs = ok(kernel, "!sleep 60 & echo $!", timeout=20)
    job = psutil.Process(int(stream_text(outputs)))  # (the job's shell is gone: init adopted it)
    try:
        assert job.name() == "sleep"
    finally:
        job.kill()
