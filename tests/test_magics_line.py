"""Line magics through the real protocol: %time/%timeit (and interrupting them), %cd/%pwd/%ls/%env,
%who/%whos/%reset, %run/%load, %prun. Outputs are checked, not just "no error". Pure parts
(option parsing, time formatting) are tested directly at the top."""

from __future__ import annotations

import http.server
import re
import threading

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, Kernel, started_kernel, stream_text
from minikernel.engine.magics.options import parse_options
from minikernel.engine.magics.registry import UsageError
from minikernel.engine.magics.timing import TimeitResult, format_time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMEIT_LINE = re.compile(r"[\d.]+ (?:s|ms|µs|ns) ± [\d.]+ (?:s|ms|µs|ns) per loop "
                         r"\(mean ± std\. dev\. of (\d+) runs?, ([\d,]+) loops? each\)")


# -- pure ----------------------------------------------------------------------------------------
def test_parse_options_keeps_the_rest_verbatim():
    assert parse_options("-n 10 -qo x  =  -1", "n:r:qo") == ({"n": ["10"], "q": [""], "o": [""]}, "x  =  -1")
    assert parse_options("-n5 -s a -s b f()", "n:s:") == ({"n": ["5"], "s": ["a", "b"]}, "f()")
    assert parse_options("-- -x", "x") == ({}, "-x")
    assert parse_options("-x + 1", "n:", strict=False) == ({}, "-x + 1")
    with pytest.raises(UsageError, match="unknown option"):
        parse_options("-z file", "f")
    with pytest.raises(UsageError, match="requires a value"):
        parse_options("-n", "n:")


@pytest.mark.parametrize("seconds, text", [
    (1.5e-6, "1.5 µs"), (0.000123456, "123 µs"), (2.5, "2.5 s"), (0, "0 ns"), (75, "1min 15s"),
    (3 * 3600 + 1, "3h 1s"),
])
def test_format_time(seconds, text):
    assert format_time(seconds) == text


def test_timeit_result_statistics_and_repr():
    r = TimeitResult(loops=10, repeat=2, best=1e-6, worst=3e-6, all_runs=[1e-5, 3e-5], compile_time=0)
    assert r.average == pytest.approx(2e-6) and r.stdev == pytest.approx(1e-6)
    assert str(r) == "2 µs ± 1 µs per loop (mean ± std. dev. of 2 runs, 10 loops each)"
    assert repr(r) == f"<TimeitResult : {r}>"


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mk(jupyter_env):
    """One kernel for the tests of this module that leave no state others depend on."""
    with started_kernel() as k:
        yield k


def result(outputs) -> str | None:
    found = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    return found[-1] if found else None


def error(reply) -> tuple[str, str]:
    content = reply["content"]
    assert content["status"] == "error", content
    return content["ename"], content["evalue"]


def ok(k: Kernel, code: str, **kw) -> tuple[str, str | None, list]:
    """Run code that must succeed: (stdout, result text, outputs)."""
    reply, outputs = k.execute(code, **kw)
    assert reply["content"]["status"] == "ok", (code, reply["content"], stream_text(outputs, "stderr"))
    return stream_text(outputs), result(outputs), outputs


# -- %time / %timeit -----------------------------------------------------------------------------
def test_time_prints_cpu_and_wall_time_and_returns_the_value(mk):
    out, value, _ = ok(mk, "%time sum(range(10))")
    assert re.fullmatch(r"CPU times: user \S+ \S+, sys: \S+ \S+, total: \S+ \S+\nWall time: \S+ \S+\n", out), out
    assert value == "45"
    out, value, _ = ok(mk, "%%time\nt_a = 20\nt_a + 1")
    assert "Wall time:" in out and value == "21"
    out, value, _ = ok(mk, "%time t_b = {'k': 1}")  # braces are Python, not interpolation
    assert value is None and ok(mk, "t_b")[1] == "{'k': 1}"
    assert ok(mk, "import asyncio\n%time await asyncio.sleep(0, 'slept')")[1] == "'slept'"


def test_timeit_prints_mean_and_deviation(mk):
    out, value, _ = ok(mk, "%timeit -n 3 -r 2 t_x = 1")
    m = TIMEIT_LINE.fullmatch(out.strip())
    assert m and m.groups() == ("2", "3"), out
    assert value is None


def test_timeit_o_returns_a_result_object(mk):
    out, _, _ = ok(mk, "t_r = %timeit -o -q -n 2 -r 3 pass")
    assert out == ""  # -q
    _, value, _ = ok(mk, "(type(t_r).__name__, t_r.loops, t_r.repeat, len(t_r.all_runs), "
                         "t_r.best <= t_r.average <= t_r.worst, t_r.stdev >= 0)")
    assert value == "('TimeitResult', 2, 3, 3, True, True)"
    _, value, _ = ok(mk, "t_r")
    assert value.startswith("<TimeitResult : ") and TIMEIT_LINE.search(value)


def test_timeit_grows_the_loop_count_tenfold(mk):
    # One 3 ms sleep never takes 0.2 s: the count must have grown, by powers of ten (to 100
    # on an idle machine: about 0.6 s in all).
    _, value, _ = ok(mk, "import time\nt_auto = %timeit -o -q -r 1 time.sleep(0.003)\nt_auto.loops")
    loops = int(value)
    assert loops >= 10 and str(loops).strip("0") == "1", loops


def test_cell_timeit_runs_setup_then_body(mk):
    out, _, _ = ok(mk, "%%timeit -n 4 -r 1 t_data = list(range(5)); print('setup')\nt_data.append(1)")
    assert out.count("setup") == 1  # setup once per run, not per loop
    assert TIMEIT_LINE.search(out).groups() == ("1", "4")


def test_timeit_errors(mk):
    assert error(mk.execute("%timeit")[0])[0] == "UsageError"
    assert error(mk.execute("%timeit -n x 1")[0]) == ("UsageError", "-n needs an integer, not 'x'")
    assert error(mk.execute("%timeit -n 1 -r 1 1/0")[0])[0] == "ZeroDivisionError"
    assert error(mk.execute("%timeit -n 1 (")[0])[0] == "UsageError"


@pytest.mark.parametrize("spec", [KERNEL_NAME, KERNEL_NAME + "-message"])
def test_interrupting_timeit(jupyter_env, spec):
    """interrupt_request (message mode) or SIGINT (signal mode) stops %timeit inside its loop;
    the kernel then runs the next cell, with the garbage collector back on."""
    km, kc = start_new_kernel(kernel_name=spec, startup_timeout=30)
    try:
        k = Kernel(km, kc)
        # The setup line prints once the timing function runs: the interrupt lands in its loop.
        msg_id = kc.execute("%%timeit -n 1000 import time; print('started', flush=True)\ntime.sleep(0.5)")
        while True:
            msg = kc.get_iopub_msg(timeout=20)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                    and "started" in msg["content"]["text"]):
                break
        if spec.endswith("-message"):
            reply, _ = k.request("interrupt_request", channel="control")
            assert reply["msg_type"] == "interrupt_reply"
        else:
            km.interrupt_kernel()
        reply, _ = k.wait(msg_id, timeout=20)
        assert error(reply)[0] == "KeyboardInterrupt"
        assert ok(k, "import gc; gc.isenabled(), 1 + 1")[1] == "(True, 2)"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


# -- %cd %pwd %ls %env ---------------------------------------------------------------------------
def test_cd_pwd_ls(kernel, tmp_path):
    (tmp_path / "hello.txt").write_text("x")
    start = ok(kernel, "%pwd")[1]
    out, _, _ = ok(kernel, f"%cd {tmp_path}")
    assert out == f"{tmp_path}\n"
    assert ok(kernel, "%pwd")[1] == repr(str(tmp_path))
    out, _, _ = ok(kernel, "%ls")
    assert "hello.txt" in ANSI.sub("", out)
    out, _, _ = ok(kernel, "%cd -")
    assert ok(kernel, "%pwd")[1] == start and out.strip() == start.strip("'")
    out, _, _ = ok(kernel, "%cd -q ~\nimport os; os.getcwd() == os.path.expanduser('~')")
    assert out == ""
    assert ok(kernel, "os.getcwd() == os.path.expanduser('~')")[1] == "True"
    assert error(kernel.execute("%cd /nonexistent/dir")[0])[0] == "UsageError"


def test_env(mk):
    out, value, _ = ok(mk, "%env MK_MAGIC_A=hello world\n%env MK_MAGIC_A")
    assert out == "env: MK_MAGIC_A=hello world\n" and value == "'hello world'"
    out, _, _ = ok(mk, "%env MK_MAGIC_B two\n%set_env MK_MAGIC_C 3\nimport os\nt_env = os.environ['MK_MAGIC_B'], os.environ['MK_MAGIC_C']")
    assert out == "env: MK_MAGIC_B=two\nenv: MK_MAGIC_C=3\n"
    assert ok(mk, "t_env")[1] == "('two', '3')"
    ok(mk, "%env MY_API_KEY=s3cret")
    _, value, _ = ok(mk, "%env")
    assert "'MY_API_KEY': '<hidden>'" in value and "s3cret" not in value and "'MK_MAGIC_B': 'two'" in value
    assert error(mk.execute("%env MK_MAGIC_NOT_SET")[0]) == ("UsageError", "Environment does not have key: MK_MAGIC_NOT_SET")


# -- %who %whos %who_ls %reset -------------------------------------------------------------------
def test_who_whos_who_ls(kernel):
    assert ok(kernel, "%who")[0] == "Interactive namespace is empty.\n"
    ok(kernel, "alpha = 1\nbeta = [1, 2]\ndef gamma(): pass\n_private = 3\n1 + 1")
    assert ok(kernel, "%who")[0] == "alpha\t beta\t gamma\t \n"
    assert ok(kernel, "%who int list")[0] == "alpha\t beta\t \n"
    assert ok(kernel, "%who_ls")[1] == "['alpha', 'beta', 'gamma']"
    assert ok(kernel, "%who_ls function")[1] == "['gamma']"
    out = ok(kernel, "%whos")[0].splitlines()
    assert out[0].split() == ["Variable", "Type", "Data/Info"] and set(out[1]) == {"-"}
    assert out[2].split()[:3] == ["alpha", "int", "1"] and out[3].split() == ["beta", "list", "n=2"]
    assert out[4].split()[:2] == ["gamma", "function"] and len(out) == 5


def test_reset_asks_and_keeps_the_kernel_working(kernel):
    ok(kernel, "r_a = 1\nr_b = 2\nr_a + r_b")
    # No stdin: no answer counts as "no", without hanging.
    out, _, _ = ok(kernel, "%reset", allow_stdin=False)
    assert out == "Nothing done.\n" and ok(kernel, "r_a")[1] == "1"
    # With stdin: the question of IPython, answered "y".
    msg_id = kernel.kc.execute("%reset")
    request = kernel.kc.get_stdin_msg(timeout=20)
    assert request["content"]["prompt"] == "Once deleted, variables cannot be recovered. Proceed (y/[n])? "
    kernel.kc.input("y")
    reply, _ = kernel.wait(msg_id)
    assert reply["content"]["status"] == "ok"
    # The output cache is flushed too (it held the results), the kernel's own names stay.
    _, value, _ = ok(kernel, "len(Out), type(In).__name__, len(In) > 3, exit")
    assert value == "(0, 'list', True, Use exit() or Ctrl-D to exit)"
    assert ok(kernel, "%who_ls")[1] == "[]"
    assert error(kernel.execute("r_a")[0])[0] == "NameError"
    ok(kernel, "r_c = 1\nr_cd = 2\nr_x = 3\n%reset_selective -f ^r_c")
    assert ok(kernel, "%who_ls")[1] == "['r_x']"
    ok(kernel, "%reset -f")
    assert ok(kernel, "%who_ls")[1] == "[]" and ok(kernel, "40 + 2")[1] == "42"
    assert error(kernel.execute("%reset_selective -f (")[0])[0] == "UsageError"


# -- %run %load ----------------------------------------------------------------------------------
SCRIPT = """\
import sys
print("name", __name__, "argv", sys.argv[1:])
x_script = 42
def f_script(n):
    return 10 / n
if sys.argv[1:] == ["boom"]:
    f_script(0)
"""


def test_run_script(mk, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    out, value, _ = ok(mk, f"import sys\nt_argv = list(sys.argv)\n%run {script} a 'b c'\nx_script, f_script(5)")
    assert out == "name __main__ argv ['a', 'b c']\n" and value == "(42, 2.0)"
    assert ok(mk, "sys.argv == t_argv, __name__")[1] == "(True, '__main__')"
    assert ok(mk, f"%run -n {script}")[0] == "name script argv []\n"
    reply, outputs = mk.execute(f"%run {tmp_path / 'script'} boom")  # .py may be left out
    assert error(reply)[0] == "ZeroDivisionError"
    trace = ANSI.sub("", "\n".join(reply["content"]["traceback"]))
    assert f"File {script}:7, in <module>()" in trace and f"File {script}:5, in f_script()" in trace
    assert "minikernel/engine" not in trace and "magics" not in trace.replace("%run", "")
    assert error(mk.execute("%run nowhere_at_all.py")[0]) == ("UsageError", "File 'nowhere_at_all.py' not found.")


def test_run_notebook(mk, tmp_path):
    import json

    cells = [{"cell_type": "markdown", "source": ["# not code"], "metadata": {}},
             {"cell_type": "code", "source": ["nb_x = 5\n", "nb_y = !echo shell"], "metadata": {},
              "outputs": [], "execution_count": None},
             {"cell_type": "code", "source": "def nb_f(n):\n    return 1 / n\nprint(nb_f(nb_x))",
              "metadata": {}, "outputs": [], "execution_count": None}]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out, value, _ = ok(mk, f"%run {notebook}\nnb_x, nb_y")
    assert out == "0.2\n" and value == "(5, ['shell'])"
    reply, _ = mk.execute("nb_f(0)")
    trace = ANSI.sub("", "\n".join(reply["content"]["traceback"]))
    assert f"File {notebook}:cell3:2, in nb_f()" in trace and "----> 2     return 1 / n" in trace


def test_run_i_sees_the_user_namespace(mk, tmp_path):
    script = tmp_path / "uses.py"
    script.write_text("t_seen = t_given * 2\n")
    assert error(mk.execute(f"%run {script}")[0])[0] == "NameError"
    assert ok(mk, f"t_given = 21\n%run -i {script}\nt_seen")[1] == "42"


def test_load_file_ranges_symbols_and_objects(mk, tmp_path):
    script = tmp_path / "load_me.py"
    script.write_text(SCRIPT)

    def loaded(line):
        reply, _ = mk.execute(line)
        assert reply["content"]["status"] == "ok", reply["content"]
        [payload] = reply["content"]["payload"]
        assert payload["source"] == "set_next_input" and payload["replace"] is True
        return payload["text"]

    assert loaded(f"%load {script}") == f"# %load {script}\n{SCRIPT}"
    assert loaded(f"%load -r 3-4 {script}") == f"# %load -r 3-4 {script}\nx_script = 42\ndef f_script(n):\n"
    assert loaded(f"%load -r 2:3 {script}").endswith("\nprint(\"name\", __name__, \"argv\", sys.argv[1:])\n")
    assert loaded(f"%load -s f_script {script}").endswith("\ndef f_script(n):\n    return 10 / n\n")
    ok(mk, "def t_loaded():\n    return 'here'")
    assert loaded("%load t_loaded") == "# %load t_loaded\ndef t_loaded():\n    return 'here'\n"
    assert error(mk.execute("%load no_such_thing_anywhere")[0])[0] == "UsageError"


def test_load_url(mk):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"print('from the web')\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/x-python; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 20  # handle_request gives up if the kernel never asks
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/code.py"
    try:
        reply, _ = mk.execute(f"%load {url}")
        assert reply["content"]["payload"][0]["text"] == f"# %load {url}\nprint('from the web')\n"
    finally:
        thread.join(10)
        server.server_close()


# -- %prun ---------------------------------------------------------------------------------------
def test_prun_pages_the_stats_table(mk):
    reply, _ = mk.execute("def t_work():\n    return sorted(range(1000))\n%prun t_work()")
    [payload] = reply["content"]["payload"]
    text = payload["data"]["text/plain"]
    assert payload["source"] == "page"
    assert re.search(r"\d+ function calls in [\d.]+ seconds", text) and "Ordered by: internal time" in text
    assert "(t_work)" in text and "ncalls  tottime  percall  cumtime  percall" in text
    reply, _ = mk.execute("%%prun -s cumulative -l 2\nt_work()")
    text = reply["content"]["payload"][0]["data"]["text/plain"]
    assert "Ordered by: cumulative time" in text and "due to restriction <2>" in text
    _, value, _ = ok(mk, "t_stats = %prun -q -r t_work()\ntype(t_stats).__name__, t_stats.total_calls > 1")
    assert value == "('Stats', True)"
    assert error(mk.execute("%prun -s nonsense 1")[0])[0] == "UsageError"
