"""Pure engine tests: AST transforms, is_complete, tracebacks, formatting, history variables.
The engine is driven with a list for output and a lambda for input, no kernel."""

import re

import pytest

from minikernel.engine import transform
from minikernel.engine.events import DisplayData, ErrorOutput, ExecuteInput, ExecuteResult
from minikernel.engine.execute import Executor
from minikernel.engine.formatter import format_object
from minikernel.engine.is_complete import is_complete

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Run:
    def __init__(self):
        self.events, self.text = [], []
        self.ex = Executor(self.events.append, lambda name, text: self.text.append((name, text)),
                           lambda prompt, password: f"answer to {prompt}")

    def __call__(self, code, **kw):
        self.events.clear()
        self.text.clear()
        with self.ex.hooks():
            outcome = self.ex.execute(code, **kw)
        return outcome

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    def stdout(self):
        return "".join(t for n, t in self.text if n == "stdout")


@pytest.fixture
def run():
    return Run()


@pytest.mark.parametrize("source, displayed", [
    ("1 + 1", True),
    ("x = 1", False),
    ("x = 1\nx", True),
    ("x = 1\nx;", False),
    ("x;  # comment", False),
    ("x  # comment; not a semicolon", True),
    ("'é'; ", False),
    ("'é ✓' + 'a'", True),
    ("for i in []: pass", False),
])
def test_last_expression_split(source, displayed):
    cell = transform.compile_cell(source, "<t>")
    assert (cell.last is not None) == displayed


def test_top_level_await_is_flagged():
    cell = transform.compile_cell("import asyncio\nawait asyncio.sleep(0)\n1", "<t>")
    assert transform.is_coroutine_code(cell.body)
    assert not transform.is_coroutine_code(cell.last)


@pytest.mark.parametrize("source, status, indent", [
    ("x = 1", "complete", ""),
    ("", "complete", ""),
    ("for i in range(3):", "incomplete", "    "),
    ("for i in range(3):\n    print(i)", "incomplete", "    "),
    ("for i in range(3):\n    print(i)\n", "complete", ""),
    ("def f():\n    if x:", "incomplete", "        "),
    ("foo(1,", "incomplete", ""),
    ('"""doc', "incomplete", ""),
    ("x = 1 +", "invalid", ""),
    ("1/", "invalid", ""),
    ("print(1))", "invalid", ""),
])
def test_is_complete(source, status, indent):
    assert is_complete(source) == (status, indent)


def test_execute_events_and_counts(run):
    outcome = run("print('hi')\n6 * 7")
    assert outcome.ok and outcome.execution_count == 1
    assert run.of(ExecuteInput)[0].execution_count == 1
    assert run.stdout() == "hi\n"
    assert run.of(ExecuteResult)[0].data == {"text/plain": "42"}
    assert run("1", store_history=False).execution_count == 1
    assert run("2").execution_count == 2


def test_silent_emits_nothing(run):
    outcome = run("print('x')\n1/0", silent=True)
    assert not outcome.ok
    assert run.events == [] and run.text == []


def test_history_variables(run):
    run("10")
    run("20")
    run("30")
    run("r = (_, __, ___, _1, Out[2], _i, _ii, _i1, In[3])")
    assert run.ex.namespace["r"] == (30, 20, 10, 10, 20, "30", "20", "10", "30")


def test_output_cache_is_bounded():
    ex = Executor(lambda e: None, lambda n, t: None, lambda p, pw: "", cache_size=2)
    with ex.hooks():
        for i in range(5):
            ex.execute(f"{i}")
    assert sorted(ex.namespace["Out"]) == [4, 5]
    assert "_1" not in ex.namespace and ex.namespace["_5"] == 4


def test_traceback_names_cell_and_hides_kernel(run):
    run("x = 1")
    outcome = run("def f():\n    return 1 / 0\nf()")
    err = outcome.error
    assert (err.ename, err.evalue) == ("ZeroDivisionError", "division by zero")
    text = ANSI.sub("", "\n".join(err.traceback))
    assert "Cell In[2], line 3" in text and "Cell In[2], line 2, in f()" in text
    assert "return 1 / 0" in text
    assert "minikernel" not in text
    assert run.of(ErrorOutput)[0] == err


def test_syntax_error_names_cell(run):
    err = run("x = (1,\n  2))").error
    text = ANSI.sub("", "\n".join(err.traceback))
    assert err.ename == "SyntaxError"
    assert "Cell In[1], line 2" in text and "2))" in text


def test_chained_exception(run):
    err = run("try:\n    1/0\nexcept Exception as e:\n    raise KeyError('k') from e").error
    text = ANSI.sub("", "\n".join(err.traceback))
    assert "ZeroDivisionError" in text and "direct cause" in text and text.rstrip().endswith("KeyError: 'k'")


def test_system_exit_is_an_error_not_an_exit(run):
    err = run("import sys; sys.exit(3)").error
    assert err.ename == "SystemExit"
    assert run("1").ok


def test_input_and_stdin_disabled(run):
    run("v = input('name? ')")
    assert run.ex.namespace["v"] == "answer to name? "
    err = run("input()", allow_stdin=False).error
    assert err.ename == "StdinNotImplementedError"


def test_display_builtin(run):
    run("class H:\n    def _repr_html_(self): return '<b>x</b>'\ndisplay(H(), 5)")
    shown = run.of(DisplayData)
    assert shown[0].data == {"text/html": "<b>x</b>", "text/plain": shown[0].data["text/plain"]}
    assert shown[1].data == {"text/plain": "5"}


def test_user_expressions(run):
    run("a = 2")
    res = run.ex.evaluate({"ok": "a * 3", "bad": "nope"})
    assert res["ok"] == {"status": "ok", "data": {"text/plain": "6"}, "metadata": {}}
    assert res["bad"]["status"] == "error" and res["bad"]["ename"] == "NameError"


class Rich:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": "**m**"}, {"text/markdown": {"k": 1}}

    def _repr_png_(self):
        return b"\x89PNG", {"width": 3}

    def _repr_latex_(self):
        raise RuntimeError("broken repr is skipped")


def test_formatter():
    data, metadata = format_object(Rich())
    assert data["text/markdown"] == "**m**"
    assert data["image/png"] == "iVBORw=="  # base64
    assert metadata == {"text/markdown": {"k": 1}, "image/png": {"width": 3}}
    assert "text/latex" not in data and "text/plain" in data
    assert format_object(Rich)[0].keys() == {"text/plain"}  # classes are not rendered richly
    long = list(range(40))
    assert format_object(long)[0]["text/plain"].count("\n") > 5  # wrapped like pprint


def test_async_cell(run):
    assert run("import asyncio\nawait asyncio.sleep(0)\n'done'").ok
    assert run.of(ExecuteResult)[0].data["text/plain"] == "'done'"
    assert run("asyncio.run(asyncio.sleep(0, result=5))").ok  # no loop left running
    assert run.of(ExecuteResult)[0].data["text/plain"] == "5"


def test_hooks_repaired_after_user_breaks_them(run):
    run("import sys\nsys.stdout = None")
    run("print('back')")
    assert run.stdout() == "back\n"
    run("import sys\nsys.stdout.close()")
    run("print('still', flush=True)")
    assert run.stdout() == "still\n"
