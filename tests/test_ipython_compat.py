"""IPython compatibility (engine/ipython_compat.py): user code that imports IPython.display gets
display_data / update_display_data / clear_output through minikernel, and `get_ipython()` is a
ZMQInteractiveShell shim that notebook detection (pandas, plotly, ipywidgets) accepts.

Unit tests of the shim run in this process; those that import IPython run in a fresh
interpreter (subprocess, with a timeout), so that "IPython not yet imported" is real. Kernel
tests drive a real kernel; every wait has a timeout."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import textwrap

import pytest

from minikernel.engine import ipython_compat
from minikernel.engine.ipython_compat import EventManager, ImportHook, ZMQInteractiveShell

TIMEOUT = 30
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


# -- the shim, in this process -------------------------------------------------------------------
def test_shim_looks_like_ipykernels_shell_to_notebook_detection():
    ns = {}
    shell = ZMQInteractiveShell(ns)
    assert type(shell).__name__ == "ZMQInteractiveShell"
    assert "IPKernelApp" in shell.config
    assert "zmq" in str(type(shell)).lower()             # pandas' in_ipython_frontend()
    assert shell.kernel and shell.kernel.get_parent() == {}  # plotly; ipywidgets' Output widget
    assert shell.user_ns is ns and shell.get_ipython() is shell
    assert shell.has_trait("anything") is False
    shell.push({"a": 1})
    assert ns["a"] == 1 and shell.ev("a + 1") == 2
    kernel = object()
    assert ZMQInteractiveShell({}, kernel).kernel is kernel


def test_magics_without_a_kernel_raise_naming_the_magic():
    shell = ZMQInteractiveShell({})
    with pytest.raises(NotImplementedError, match="%matplotlib"):
        shell.run_line_magic("matplotlib", "inline")
    with pytest.raises(NotImplementedError, match="%%timeit"):
        shell.run_cell_magic("timeit", "", "1")
    with pytest.raises(NotImplementedError, match="%load_ext"):
        shell.magic("%load_ext autoreload")
    assert shell.find_line_magic("time") is None and shell.find_magic("time") is None


def test_events_are_kept_and_fire_only_on_trigger(capsys):
    events, calls = EventManager(), []

    def callback(*args):
        calls.append(args)

    def broken():
        raise RuntimeError("boom")

    events.register("post_execute", callback)
    events.register("post_execute", broken)
    assert calls == []
    events.trigger("post_execute")
    assert calls == [()]
    assert "boom" in capsys.readouterr().err  # an error in one callback is printed, not raised
    events.unregister("post_execute", callback)
    events.trigger("post_execute")
    assert calls == [()]
    with pytest.raises(ValueError):
        events.unregister("post_execute", callback)
    with pytest.raises(TypeError):
        events.register("post_execute", 1)


def test_showtraceback_writes_the_handled_exception_to_stderr(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    shell = ZMQInteractiveShell({})
    try:
        raise ValueError("in a widget callback")
    except ValueError:
        shell.showtraceback()
    assert "ValueError: in a widget callback" in err.getvalue()
    assert "Traceback" in err.getvalue()


def test_import_hook_ignores_everything_but_its_targets():
    hook = ImportHook(lambda module: None)
    assert hook.find_spec("json") is None
    assert hook.find_spec("IPythonX") is None
    assert ipython_compat.TARGETS == {"IPython", "IPython.core.getipython", "IPython.core.display_functions",
                                      "tqdm.autonotebook"}


def test_installed_puts_back_the_builtin_and_meta_path():
    import builtins

    before = list(sys.meta_path)
    had = hasattr(builtins, "get_ipython")
    with ipython_compat.installed({}) as shell:
        assert builtins.get_ipython() is shell
        assert isinstance(sys.meta_path[0], ImportHook)
    assert sys.meta_path == before
    assert hasattr(builtins, "get_ipython") == had


# -- with IPython, in a fresh interpreter ---------------------------------------------------------
def run_python(code: str) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line, returned here."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


CELL_SETUP = """
import builtins, json, sys
from minikernel.engine.execute import Executor
from minikernel.engine import hooks
events, text = [], []
ex = Executor(events.append, lambda n, t: text.append(t), lambda p, pw: "")
def show(e):
    return [type(e).__name__, getattr(e, "data", None), getattr(e, "transient", None), getattr(e, "wait", None)]
"""

CELL = """
from IPython.display import display, HTML, Markdown, Image, clear_output, update_display
import IPython, IPython.core.getipython
display(HTML('<b>x</b>'))
display(Markdown('*m*'))
display(Image(data=%r))
h = display('a', display_id=True)
h.update('b')
update_display('c', display_id=h.display_id)
clear_output(wait=True)
IPython.display.publish_display_data({'text/plain': 'raw'})
print(type(h).__module__, type(h).__name__,
      get_ipython() is IPython.get_ipython() is IPython.core.getipython.get_ipython(),
      type(IPython.display.__loader__).__name__)
""" % PNG


def check_cell_events(result):
    kinds = [e[0] for e in result["events"]]
    assert kinds == ["DisplayData"] * 4 + ["UpdateDisplayData"] * 2 + ["ClearOutput", "DisplayData"]
    html, md, png, first, update, update2, clear, raw = result["events"]
    assert html[1]["text/html"] == "<b>x</b>"
    assert md[1]["text/markdown"] == "*m*"
    assert base64.b64decode(png[1]["image/png"]) == PNG
    display_id = first[2]["display_id"]
    assert display_id and update[2] == update2[2] == {"display_id": display_id}
    assert [update[1], update2[1]] == [{"text/plain": "'b'"}, {"text/plain": "'c'"}]
    assert clear[3] is True
    assert raw[1] == {"text/plain": "raw"}
    # IPython's own DisplayHandle class; one shell everywhere; the loader is IPython's, not ours
    assert result["stdout"] == "IPython.core.display_functions DisplayHandle True SourceFileLoader\n"


def test_ipython_imported_by_user_code_publishes_through_the_kernel():
    result = run_python(CELL_SETUP + """
before = "IPython" in sys.modules
with ex.hooks(), hooks.ipython_compat(ex.namespace) as shell:
    outcome = ex.execute(%r)
import IPython, IPython.core.getipython, IPython.core.display_functions as df, IPython.display as d
print(json.dumps({"before": before, "error": str(outcome.error), "stdout": "".join(text),
                  "events": [show(e) for e in events if type(e).__name__ != "ExecuteInput"],
                  "restored": [df.display.__module__, d.display.__module__, d.clear_output.__module__,
                               IPython.core.getipython.get_ipython.__module__,
                               "get_ipython" in vars(sys.modules["IPython"]),
                               hasattr(builtins, "get_ipython"),
                               any(type(f).__name__ == "ImportHook" for f in sys.meta_path)]}))
""" % CELL)
    assert result["before"] is False
    assert result["error"] == "None"
    check_cell_events(result)
    # after the hook's exit, IPython is IPython again
    assert result["restored"] == ["IPython.core.display_functions"] * 3 + ["IPython.core.getipython",
                                                                           False, False, False]


def test_ipython_imported_before_the_hook_is_rebound_at_once():
    result = run_python(CELL_SETUP + """
import IPython.display, IPython.core.display_functions as df
original = df.display
with ex.hooks(), hooks.ipython_compat(ex.namespace) as shell:
    outcome = ex.execute(%r)
print(json.dumps({"error": str(outcome.error), "stdout": "".join(text),
                  "events": [show(e) for e in events if type(e).__name__ != "ExecuteInput"],
                  "restored": [df.display is original, IPython.display.display is original]}))
""" % CELL)
    assert result["error"] == "None"
    check_cell_events(result)
    assert result["restored"] == [True, True]


def test_without_a_kernel_ipython_display_prints_text():
    """Outside the hook's lifetime nothing changes; inside it with no publisher, display()
    prints text/plain as IPython does with no frontend."""
    result = run_python("""
import io, json, contextlib
from minikernel.engine import hooks
out = io.StringIO()
with hooks.ipython_compat({}), contextlib.redirect_stdout(out):
    from IPython.display import display, HTML
    display(HTML("<b>x</b>"))
print(json.dumps(out.getvalue()))
""")
    assert result == "<IPython.core.display.HTML object>\n"


# -- through a real kernel ------------------------------------------------------------------------
def outputs_of(kernel, code: str) -> list[dict]:
    reply, outputs = kernel.execute(code, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok", reply["content"]
    return [m for m in outputs if m["msg_type"] != "execute_input"]


def result_of(kernel, code: str):
    out = outputs_of(kernel, code)
    results = [m for m in out if m["msg_type"] == "execute_result"]
    assert len(results) == 1, out
    return results[0]["content"]["data"]["text/plain"]


def test_kernel_starts_without_ipython_and_has_get_ipython(kernel):
    assert result_of(kernel, "import sys\n"
                             "sorted(m for m in sys.modules if m.split('.')[0] in {'IPython', 'ipykernel'})") == "[]"
    assert result_of(kernel, "ip = get_ipython()\n"
                             "ip.__class__.__name__, 'IPKernelApp' in ip.config, ip.user_ns is globals()") \
        == "('ZMQInteractiveShell', True, True)"
    # get_ipython alone imports no IPython
    assert result_of(kernel, "'IPython' in sys.modules") == "False"


def test_kernel_ipython_display(kernel):
    out = outputs_of(kernel, "from IPython.display import (display, HTML, Markdown, Image, clear_output,\n"
                             "                            update_display)\n"
                             "display(HTML('<b>x</b>'))\n"
                             "display(Markdown('*m*'))\n"
                             f"display(Image(data={PNG!r}))\n")
    assert [m["msg_type"] for m in out] == ["display_data"] * 3
    html, md, png = (m["content"]["data"] for m in out)
    assert html["text/html"] == "<b>x</b>"
    assert md["text/markdown"] == "*m*"
    assert base64.b64decode(png["image/png"]) == PNG

    out = outputs_of(kernel, "h = display(HTML('<i>1</i>'), display_id=True)\n"
                             "update_display(HTML('<i>2</i>'), display_id=h.display_id)\n"
                             "clear_output(wait=True)\n"
                             "type(h).__module__")
    assert [m["msg_type"] for m in out] == ["display_data", "update_display_data", "clear_output", "execute_result"]
    first, update, clear, result = out
    assert first["content"]["transient"]["display_id"] == update["content"]["transient"]["display_id"]
    assert update["content"]["data"]["text/html"] == "<i>2</i>"
    assert clear["content"] == {"wait": True}
    assert result["content"]["data"]["text/plain"] == "'IPython.core.display_functions'"

    assert result_of(kernel, "import IPython\nIPython.get_ipython() is get_ipython(), "
                             "IPython.get_ipython().__class__.__name__") == "(True, 'ZMQInteractiveShell')"
    # a later cell updates an earlier output through IPython's DisplayHandle
    out = outputs_of(kernel, "h.update(Markdown('*3*'))")
    assert [m["msg_type"] for m in out] == ["update_display_data"]
    assert out[0]["content"]["data"]["text/markdown"] == "*3*"


def test_kernel_magics_run_through_the_shim(kernel):
    """get_ipython()'s magic methods reach the kernel's registry (tests/test_magics_kernel.py has more)."""
    reply, outputs = kernel.execute("get_ipython().run_cell_magic('capture', 'cap', 'print(7)')\n"
                                    "cap.stdout", timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["'7\\n'"]
    reply, _ = kernel.execute("get_ipython().run_line_magic('no_such_magic', '')", timeout=TIMEOUT)
    assert reply["content"]["ename"] == "UsageError"
    assert "%no_such_magic" in reply["content"]["evalue"]
