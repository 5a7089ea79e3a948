"""Completion and inspection, engine only: the functions are called with a namespace dict."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time

import pytest

from minikernel.engine import complete as completion
from minikernel.engine import jedicomplete
from minikernel.engine.cells import CellRegistry
from minikernel.engine.complete import TYPES_KEY, complete, inspect_bundle
from minikernel.engine.context import context_at


class Dynamic:
    """Attributes only __dir__/__getattr__ know about."""

    def __getattr__(self, name):
        if name.startswith("dynamic_"):
            return 1
        raise AttributeError(name)

    def __dir__(self):
        return ["dynamic_one", "dynamic_two"]


class Frame:
    """DataFrame-like: keys() gives the columns."""

    def keys(self):
        return ["price", "quantity", "product id", 7]

    def __getitem__(self, key):
        return [1, 2]


class Columns:
    def __init__(self):
        self.columns = ["north", "south"]


class Boom:
    """A class with a raising property."""

    gets = 0

    def __init__(self, x=1):
        """Make one."""

    @property
    def bad(self):
        """It raises."""
        Boom.gets += 1
        raise RuntimeError("property ran")

    def __getattr__(self, name):
        Boom.gets += 1
        raise RuntimeError("__getattr__ ran")

    def __call__(self, x, y=1):
        pass


def f(alpha, beta=2, *, gamma=3):
    """Add things."""


@pytest.fixture
def ns():
    p = Boom.__new__(Boom)
    holder = type("Holder", (), {})()
    holder.runtime_attr = 1
    setattr(holder, "made_" + "up", 2)
    return {"os": os, "math": math, "f": f, "o": Dynamic(), "df": Frame(), "cols": Columns(),
            "d": {"apple": 1, "banana": 2, 3: 4, b"by": 5, "it's": 6}, "h": holder, "b": p,
            "Boom": Boom, "number": 42, "__name__": "__main__"}


@pytest.fixture(scope="module")
def warm():
    """jedi imported and warmed (a jedi-only completion waits for it)."""
    result = complete('"".up', 4, {}, budget=30)
    assert result.matches == ["upper"]
    assert completion._ENGINE.warm


@pytest.fixture(autouse=True)
def no_job_left():
    yield
    assert completion.wait_idle(30)


def at_end(code, ns, **kw):
    return complete(code, len(code), ns, **kw)


# ---------------------------------------------------------------- completion

def test_jedi_is_imported_lazily():
    code = "import sys, minikernel.engine.complete; print('jedi' in sys.modules, 'parso' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_names_and_shape(ns, warm):
    result = at_end("x = zi", ns)
    assert "zip" in result.matches
    matches, start, end = result  # still unpacks as the old 3-tuple
    assert (start, end) == (4, 6)
    types = result.metadata[TYPES_KEY]
    assert [t["text"] for t in types] == result.matches
    assert all(set(t) == {"start", "end", "text", "type", "signature"} for t in types)
    assert all((t["start"], t["end"]) == (4, 6) for t in types)


def test_live_attributes_with_types(ns, warm):
    result = at_end("os.pa", ns)
    assert result.matches == ["pardir", "path", "pathconf", "pathconf_names", "pathsep"]  # no PathLike
    assert (result.cursor_start, result.cursor_end) == (3, 5)
    types = {t["text"]: (t["type"], t["signature"]) for t in result.metadata[TYPES_KEY]}
    assert types["path"] == ("module", "")
    assert types["pathconf"] == ("function", "(path, name)")
    assert types["pardir"] == ("instance", "")


@pytest.mark.parametrize("code, expected", [
    ("o.dyn", ["dynamic_one", "dynamic_two"]),     # __dir__ / __getattr__
    ("h.run", ["runtime_attr"]),                   # set at runtime
    ("h.mad", ["made_up"]),                        # set at runtime under a computed name
    ("math.sq", ["sqrt"]),
    ("str.upp", ["upper"]),
])
def test_dynamic_attributes(ns, warm, code, expected):
    assert at_end(code, ns).matches == expected


def test_live_receiver_needs_no_jedi(ns, warm, monkeypatch):
    calls = []
    monkeypatch.setattr(jedicomplete, "complete", lambda *args, **kw: calls.append(args) or [])
    assert at_end("os.pa", ns).matches[:2] == ["pardir", "path"]
    assert at_end("Boom.mr", ns).matches == ["mro"]  # the metaclass's attributes, as jedi lists them
    assert at_end('d["ap', ns).matches == ["apple"]
    assert calls == []
    at_end("zi", ns)
    assert len(calls) == 1


def test_private_names_only_on_request(ns, warm):
    assert not [m for m in at_end("os.", ns).matches if m.startswith("_")]
    assert "_exit" in at_end("os._", ns).matches


def test_jedi_only_completions(ns, warm):
    assert at_end('"abc".up', ns).matches == ["upper"]
    assert "local_fn" in at_end("def local_fn(): pass\nlocal_f", ns).matches  # not executed yet
    assert at_end("x = [1]\nx.app", ns).matches == ["append"]


def test_no_stub_only_globals(ns, warm):
    """typeshed's builtins stub imports typing names; they are no builtins."""
    assert "AbstractSet" not in at_end("x = ", ns).matches
    assert "abs" in at_end("x = ", ns).matches


def test_imported_module_names_are_the_live_ones(ns, warm):
    import collections

    ns["collections"] = collections
    assert "Callable" not in at_end("from collections import Ca", ns).matches  # only in the stub
    assert "ChainMap" in at_end("from collections import Ch", ns).matches
    assert "codecs" not in at_end("import json.", ns).matches  # an attribute, no submodule
    assert "decoder" in at_end("import json.", ns).matches


@pytest.mark.parametrize("code, matches, start", [
    ('d["a', ["apple"], 3),
    ("d['", ["apple", "banana", "it\\'s"], 3),
    ('d["it', ["it's"], 3),
    ('x = d[', ['"it\'s"', "'apple'", "'banana'", "3", "b'by'"], 6),
    ('df["pr', ["price", "product id"], 4),
    ("cols['", ["north", "south"], 6),
])
def test_dict_keys(ns, warm, code, matches, start):
    result = at_end(code, ns)
    assert [m for m in result.matches if m in matches] == matches
    if "[" != code[-1]:
        assert result.matches == matches
    assert result.cursor_start == start
    assert {t["type"] for t in result.metadata[TYPES_KEY] if t["text"] in matches} == {"dict key"}


@pytest.mark.parametrize("code, expected", [
    ("import o", "os"),
    ("import sys, o", "os"),
    ("import os.pa", "path"),
    ("from os import pa", "path"),
    ("from os import sep, pa", "path"),
    ("from os.pa", "path"),
    ("from collections import Ord", "OrderedDict"),
])
def test_modules(ns, warm, code, expected):
    result = at_end(code, ns)
    assert expected in result.matches
    assert result.cursor_start == len(code) - len(code.split(".")[-1].split()[-1].split(",")[-1])


def test_keyword_arguments(ns, warm):
    result = at_end("f(al", ns)
    assert result.matches[0] == "alpha="
    assert "all" in result.matches
    assert result.cursor_start == 2
    assert at_end("f(1, ga", ns).matches == ["gamma="]
    assert "alpha=" not in at_end("f(alpha=1, al", ns).matches
    assert "alpha=" not in at_end("f(x + al", ns).matches


def test_paths(ns, warm, tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "setup.py").write_text("")
    (tmp_path / ".hidden").write_text("")
    monkeypatch.chdir(tmp_path)
    assert at_end('open("./sr', ns).matches == ["src/"]
    result = at_end('open("s', ns)
    assert result.matches == ["setup.py", "src/"]
    assert result.cursor_start == len('open("')
    assert at_end(f'open("{tmp_path}/se', ns).matches == ["setup.py"]
    assert at_end('open(".h', ns).matches == [".hidden"]


def test_nothing_in_comments(ns, warm):
    assert at_end("x = 1  # os.pa", ns).matches == []
    assert at_end("12", ns).matches == []


@pytest.mark.parametrize("code", [
    's = "😀😀"; os.pa',
    's = "中文"\nos.pa',
    's = "😀中"\nt = "é́"\r\nos.pa',
    "# 😀😀😀\n\n  os.pa",
])
def test_unicode_positions(ns, warm, code):
    result = at_end(code, ns)
    assert "path" in result.matches
    assert (result.cursor_start, result.cursor_end) == (len(code) - 2, len(code))


def test_unicode_cursor_mid_code(ns, warm):
    code = 'x = "😀"; y = os.pa + "中文😀"'
    cursor = code.index("os.pa") + 5
    result = complete(code, cursor, ns)
    assert "path" in result.matches
    assert (result.cursor_start, result.cursor_end) == (cursor - 2, cursor)
    jedi_only = '"😀中".up'
    result = at_end(jedi_only, ns)
    assert result.matches == ["upper"]
    assert result.cursor_start == len(jedi_only) - 2


@pytest.mark.parametrize("code, kind, prefix, target", [
    ('print("a(b", os.pa', "attribute", "pa", "os"),
    ('x = "it\\"s" + os.pa', "attribute", "pa", "os"),
    ("# it's (\nos.pa", "attribute", "pa", "os"),
    ("f'{x}' + d['k", "key", "k", "d"),
    ("d [ 'k", "key", "k", "d"),
    ('"""doc\nmore', "none", "", ""),
    ('x = "a" # "b', "none", "", ""),
    ("(1).re", "none", "", ""),
    ("x = 1.", "none", "", ""),
    ('open(r"./s', "path", "./s", ""),
    ("from os.path import jo", "from_import", "jo", "os.path"),
    ("import a as b, c.d", "module", "d", "c"),
    ("nämé.x", "attribute", "x", "nämé"),
])
def test_context(code, kind, prefix, target):
    ctx = context_at(code, len(code))
    assert (ctx.kind, ctx.prefix, ctx.target) == (kind, prefix, target)


def test_context_call_arguments():
    code = 'f(x="(", y=[1, 2], al'
    ctx = context_at(code, len(code))
    assert (ctx.kind, ctx.callee, ctx.given) == ("name", "f", {"x", "y"})
    assert context_at("f(g(1), al", 10).callee == "f"
    assert context_at("obj.method(1, al", 16).callee == "obj.method"
    assert context_at("f(x + al", 8).callee == ""


@pytest.mark.parametrize("code, cursor, line_column", [
    ("é😀\nab", 5, (2, 2)),
    ("x\r\nab", 5, (2, 2)),
    ("x\rab", 4, (2, 2)),
    ("a\x0cb", 3, (1, 3)),        # a form feed does not end a line for parso/jedi
    ("😀😀😀", 2, (1, 2)),
])
def test_line_column(code, cursor, line_column):
    assert jedicomplete.line_column(code, cursor) == line_column


# ---------------------------------------------------------------- budget and fallbacks

@pytest.fixture
def slow_jedi(monkeypatch):
    release = threading.Event()

    def slow(code, cursor, ns, **kw):
        release.wait(10)
        return []

    monkeypatch.setattr(jedicomplete, "complete", slow)
    yield release
    release.set()


def test_slow_jedi_gives_the_live_result_within_budget(ns, warm, slow_jedi):
    t0 = time.monotonic()
    result = at_end("o.dyn", ns, budget=0.2)
    assert time.monotonic() - t0 < 1.5
    assert result.matches == ["dynamic_one", "dynamic_two"]


def test_jedi_busy_does_not_block_live_answers(ns, warm, slow_jedi):
    at_end("zi", ns, budget=0.05)  # names go through jedi: leaves its job running in jedi
    t0 = time.monotonic()
    result = at_end("h.run", ns, budget=5)
    assert time.monotonic() - t0 < 2
    assert result.matches == ["runtime_attr"]
    # The next job's live step still runs (jedi waits its turn), so user keys() are offered.
    assert at_end('df["pr', ns, budget=5).matches == ["price", "product id"]
    assert at_end('d["a', ns, budget=5).matches == ["apple"]


def test_cold_jedi_does_not_delay_a_live_answer(ns, slow_jedi, monkeypatch):
    monkeypatch.setattr(completion._ENGINE, "warm", False)
    t0 = time.monotonic()
    assert at_end("os.pa", ns, budget=5).matches[:2] == ["pardir", "path"]
    assert at_end("pri", ns, budget=5).matches == ["print"]  # jedi busy warming up: the fallback
    assert time.monotonic() - t0 < 2


def test_jedi_raising_gives_the_live_result(ns, warm, monkeypatch):
    def broken(code, cursor, ns, **kw):
        raise RuntimeError("jedi bug")

    monkeypatch.setattr(jedicomplete, "complete", broken)
    assert at_end("o.dyn", ns).matches == ["dynamic_one", "dynamic_two"]
    assert at_end("zi", ns).matches == ["zip"]


def test_hanging_user_code_cannot_hang_the_completion(ns, warm):
    release = threading.Event()

    class Stuck:
        def keys(self):
            release.wait(10)
            return ["never"]

    class StuckDir:
        attribute = 1

        def __dir__(self):
            release.wait(10)
            return ["never"]

    ns["stuck"], ns["stuck_dir"] = Stuck(), StuckDir()
    t0 = time.monotonic()
    assert at_end('stuck["n', ns, budget=0.2).matches == []
    assert time.monotonic() - t0 < 1.5
    t0 = time.monotonic()
    assert at_end("stuck_dir.att", ns, budget=0.2).matches == ["attribute"]  # the fallback: C-level dir
    assert at_end("stuck_dir.att", ns, budget=0.2).matches == ["attribute"]  # busy worker: the same
    assert time.monotonic() - t0 < 1.5
    release.set()


# ---------------------------------------------------------------- inspection

def inspect_text(code, ns, detail_level=0, cursor=None):
    bundle = inspect_bundle(code, len(code) if cursor is None else cursor, ns, detail_level)
    assert bundle is not None, code
    assert set(bundle) == {"text/plain", "text/markdown"}
    return bundle["text/plain"]


def test_inspect_builtins_and_c_functions(ns):
    text = inspect_text("len", ns)
    assert "Signature:" in text and "len(obj, /)" in text
    assert "Return the number of items" in text
    assert "math.sqrt(x, /)" in inspect_text("math.sqrt", ns)
    assert "print(" in inspect_text("print", ns)  # signature from the docstring if need be
    assert "Source:" not in inspect_text("len", ns, 1)


def test_inspect_class_module_instance(ns):
    text = inspect_text("Boom", ns)
    assert "Init signature: Boom(x=1)" in text
    assert "A class with a raising property." in text and "Make one." in text
    text = inspect_text("os", ns)
    assert "Type:           module" in text and os.__file__ in text
    text = inspect_text("number", ns)
    assert "String form:    42" in text and "Type:           int" in text
    assert "Type:           test_complete.Frame" in inspect_text("df", ns)


def test_inspect_function_from_a_cell(ns):
    cells = CellRegistry()
    source = "def g(a, b=2):\n    '''Add a and b.'''\n    return a + b\n"
    exec(compile(source, cells.register(source, 1), "exec"), ns)
    text = inspect_text("g", ns)
    assert "Signature:      g(a, b=2)" in text and "Add a and b." in text
    assert "Source:" not in text
    text = inspect_text("g", ns, 1)
    assert "Source:\ndef g(a, b=2):\n    '''Add a and b.'''\n    return a + b" in text
    markdown = inspect_bundle("g", 1, ns, 1)["text/markdown"]
    assert "```python\ndef g(a, b=2):" in markdown


def test_inspect_runs_no_user_code(ns):
    before = Boom.gets
    text = inspect_text("b", ns, 1)
    assert "Call signature: b(x, y=1)" in text and "Type:           test_complete.Boom" in text
    text = inspect_text("b.bad", ns, 1)
    assert "property" in text and "It raises." in text and "def bad(self):" in text
    assert inspect_bundle("b.missing", 9, ns, 0) is None       # only __getattr__ could answer
    assert inspect_bundle("b.bad.real", 10, ns, 0) is None     # would need the getter's value
    assert Boom.gets == before


@pytest.mark.parametrize("code, cursor", [
    ("f(1, ", None),                    # inside the call: the callee
    ("f(alpha=1)", 1),                  # on the name
    ("x = 'é😀中'; f", None),            # code points before the name
    ("y = '😀'\nf(beta=", None),
])
def test_inspect_positions(ns, code, cursor):
    assert "f(alpha, beta=2, *, gamma=3)" in inspect_text(code, ns, cursor=cursor)


def test_inspect_not_found(ns):
    assert inspect_bundle("nothing_here", 12, ns, 0) is None
    assert inspect_bundle("", 0, ns, 0) is None
    assert inspect_bundle('"abc".upper', 11, ns, 0) is None   # an attribute of an expression
    assert inspect_bundle("len", 3, ns, 0)["text/plain"].startswith("Signature:")


def test_a_truncated_parser_cache_is_cleared_not_fatal(tmp_path, monkeypatch):
    """parso writes its pickles in place; a process killed meanwhile leaves a truncated one,
    which would fail every later completion."""
    import jedi
    import parso.cache

    from minikernel.engine import jedicomplete

    monkeypatch.setattr(jedi.settings, "cache_directory", str(tmp_path / "jedi"))
    parso.cache.parser_cache.clear()
    assert [c.text for c in jedicomplete.complete('"".up', 5, {})] == ["upper"]
    pickles = list((tmp_path / "jedi").rglob("*.pkl"))
    assert pickles  # jedi cached typeshed's builtins there
    for path in pickles:
        path.write_bytes(path.read_bytes()[:100])
    parso.cache.parser_cache.clear()  # as in a new process: only the files are left
    assert [c.text for c in jedicomplete.complete('"".up', 5, {})] == ["upper"]
    parso.cache.parser_cache.clear()  # (leave no entries that point into tmp_path)
