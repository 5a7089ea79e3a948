"""The magic preprocessor (engine/magics/preprocess.py), pure: what it rewrites, what it leaves
alone, and that one line stays one line."""

from __future__ import annotations

import ast
import pathlib
import sysconfig

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minikernel.engine.magics.preprocess import NAME, transform
from minikernel.engine.magics.registry import UsageError

M = NAME


@pytest.mark.parametrize("cell, expected", [
    ("%time x = 1", f"{M}.line('time', 'x = 1')"),
    ("%lsmagic", f"{M}.line('lsmagic', '')"),
    ("%timeit -n 3 f(x, 'a')", f"{M}.line('timeit', \"-n 3 f(x, 'a')\")"),
    ("!ls -l $x", f"{M}.system('ls -l $x')"),
    ("! echo hi", f"{M}.system('echo hi')"),
    ("!!ls", f"{M}.getoutput('ls')"),
    ("files = !ls *.py", f"files = {M}.getoutput('ls *.py')"),
    ("a, b = !echo 1", f"a, b = {M}.getoutput('echo 1')"),
    ("obj.attr = !pwd", f"obj.attr = {M}.getoutput('pwd')"),
    ("x = %who_ls", f"x = {M}.line('who_ls', '')"),
    ("t=%timeit -o 1", f"t = {M}.line('timeit', '-o 1')"),
    ("print?", f"{M}.help('print', 0)"),
    ("?print", f"{M}.help('print', 0)"),
    ("os.path.join??", f"{M}.help('os.path.join', 1)"),
    ("??os", f"{M}.help('os', 1)"),
    ("%timeit?", f"{M}.help('%timeit', 0)"),
    ("%%capture??", f"{M}.help('%%capture', 1)"),
    ("?", f"{M}.help('', 0)"),
    ("%run -i 'my script.py'", f"{M}.line('run', \"-i 'my script.py'\")"),
])
def test_one_line(cell, expected):
    assert transform(cell) == expected
    ast.parse(transform(cell))


@pytest.mark.parametrize("cell", [
    "x = 5 % 3",
    "a != b",
    "if a != b:\n    pass",
    "s = '%time x'",
    's = """\n%time x\n!ls\nobj?\n"""',
    "s = '''\n  !ls\n'''",
    "# %time x\n# what?",
    "x = 1  # really?",
    "f(1,\n  %2)",
    "x = [\n    !1,\n]",
    "y = (a\n     % b)",
    "z = a \\\n    % b",
    "print('%d' % 3)\n'%s' % x",
    "x = f'{a!r}'",
    "s = 'abc\\\n%time'",
    "print(x) if x != 1 else None",
    "x = a == b",
    "d = {\n  'k': 1,\n}\nx = d['k'] % 2",
])
def test_python_is_left_alone(cell):
    assert transform(cell) == cell


def test_indented_magic_lines_keep_their_indentation():
    cell = "for i in range(3):\n    !echo $i\n    x = %time i\n    if i:\n        i?\nprint(i)"
    assert transform(cell) == (f"for i in range(3):\n    {M}.system('echo $i')\n    x = {M}.line('time', 'i')\n"
                               f"    if i:\n        {M}.help('i', 0)\nprint(i)")
    ast.parse(transform(cell))


def test_cell_magic_keeps_the_line_count():
    cell = "%%bash -e\necho 'hi'\n\necho \"$HOME\"\n"
    out = transform(cell)
    assert out.count("\n") == cell.count("\n")
    assert out.splitlines()[0] == f"{M}.cell('bash', '-e', 'echo \\'hi\\'\\n\\necho \"$HOME\"\\n', 2)"
    tree = ast.parse(out)
    call = tree.body[0].value
    assert call.args[2].value == "echo 'hi'\n\necho \"$HOME\"\n"


def test_cell_magic_after_blank_lines():
    out = transform("\n\n%%capture out\nprint(1)")
    assert out == f"\n\n{M}.cell('capture', 'out', 'print(1)', 4)\n"


def test_cell_magic_body_is_not_rewritten():
    out = transform("%%capture\n!ls\n%time x")
    assert out.splitlines()[0] == f"{M}.cell('capture', '', '!ls\\n%time x', 2)"


def test_cell_magic_not_on_the_first_line_is_an_error():
    with pytest.raises(UsageError, match="%%time.*first line"):
        transform("x = 1\n%%time\nx")


def test_line_count_and_other_lines_are_kept():
    cell = "a = 1\n!echo $a\nb = 2\r\n%time b\nc = 3"
    out = transform(cell)
    assert out.splitlines() == ["a = 1", f"{M}.system('echo $a')", "b = 2", f"{M}.line('time', 'b')", "c = 3"]
    assert out.count("\n") == cell.count("\n") and "\r\n" in out


def test_backslash_continues_magic_arguments():
    out = transform("!echo a \\\n  b\nx = 1")
    assert out == f"{M}.system('echo a  b')\n\nx = 1"


def test_after_a_bracketed_expression_lines_start_again():
    cell = "x = (1,\n     2)\n!echo $x"
    assert transform(cell).splitlines()[2] == f"{M}.system('echo $x')"
    cell = "s = '''\n'''\n%time s"
    assert transform(cell).splitlines()[2] == f"{M}.line('time', 's')"


def test_arguments_are_safe_string_literals():
    for args in ["'", '"', "\\", "'''", "\\n", "é ☃", "{x} $y $$z"]:
        out = transform(f"!echo {args}")
        assert ast.literal_eval(ast.parse(out).body[0].value.args[0]) == f"echo {args}"


def test_fast_path_returns_the_same_object():
    cell = "x = 1\nfor i in range(3):\n    x = x % 7 if x != 2 else x\n"
    assert transform(cell) is cell


def _python_files():
    roots = [pathlib.Path(__file__).resolve().parent.parent / "minikernel",
             pathlib.Path(sysconfig.get_paths()["stdlib"]) / "json",
             pathlib.Path(sysconfig.get_paths()["stdlib"]) / "logging"]
    extra = [pathlib.Path(sysconfig.get_paths()["stdlib"]) / name for name in ("argparse.py", "string.py", "doctest.py")]
    return sorted(p for root in roots for p in root.rglob("*.py")) + extra


def test_real_python_is_never_rewritten():
    """Docstrings with `%(name)s` lines, comments ending in `?`, `!=`, `%` operators..."""
    for path in _python_files():
        source = path.read_text(encoding="utf-8")
        assert transform(source) == source, path


@pytest.mark.parametrize("source, expected", [
    ("!ls", ("complete", "")),
    ("x = !ls", ("complete", "")),
    ("print?", ("complete", "")),
    ("%time x", ("complete", "")),
    ("%%bash", ("incomplete", "")),          # a cell magic's body goes on until a blank line
    ("%%bash\necho hi", ("incomplete", "")),
    ("%%bash\necho hi\n", ("complete", "")),
    ("%%timeit?", ("complete", "")),
    ("for i in range(3):\n    !echo $i", ("incomplete", "    ")),
    ("x = 1\n%%bash", ("invalid", "")),
])
def test_is_complete_understands_magic_lines(source, expected):
    from minikernel.engine.is_complete import is_complete

    assert is_complete(source) == expected


_PIECES = ["%time x", "!ls $a", "x = !pwd", "obj?", "??obj", "%%bash", "'''", '"', "'", "#", "(", ")",
           "[", "]", "\\", "    ", "a % b", "a != b", "x = 1", "\x0c", "\u2028", "\r", "{x}", "%%"]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=8).map("\n".join))
@settings(max_examples=300, deadline=None)
def test_any_text_keeps_its_line_count(cell):
    """Whatever the text (valid Python or not), the result has the same lines; the lines that
    were not rewritten are unchanged (or blank: taken by a magic line ending in `\\`)."""
    try:
        out = transform(cell)
    except UsageError:
        return  # a `%%` line that is not the first one
    assert out.count("\n") == cell.count("\n")
    if not cell.lstrip().startswith("%%"):
        for before, after in zip(cell.split("\n"), out.split("\n")):
            assert after == before or M in after or after == ""
