"""Session magics through the real protocol: %history, %xmode, %precision, %config, %matplotlib,
%load_ext, %lsmagic, %magic, %autoawait, %clear, and %pip installing a wheel built here (no
network) into the kernel's own environment, then importing it, then uninstalling it."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import zipfile

import pytest

from conftest import stream_text
from minikernel.engine.magics.session import _parse_range
from test_magics_line import ANSI, error, ok

PROBE = "minikernel_pip_probe"


# -- pure ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("4", (0, 4, 5)), ("4-6", (0, 4, 7)), ("4:6", (0, 4, 6)), ("4-", (0, 4, None)),
    ("~2/3-5", (-2, 3, 6)), ("~1/", (-1, 1, None)), ("7/1", (7, 1, 2)),
])
def test_history_ranges(text, expected):
    assert _parse_range(text) == expected


# -- %history ------------------------------------------------------------------------------------
def test_history(kernel):
    ok(kernel, "h_a = 1")
    ok(kernel, "h_b = 2\nh_b")
    assert ok(kernel, "%history -n 1-2")[0] == "   1: h_a = 1\n   2:\nh_b = 2\nh_b\n"
    assert ok(kernel, "%history 1")[0] == "h_a = 1\n"
    assert ok(kernel, "%history -n -l 2")[0] == "   4: %history 1\n   5: %history -n -l 2\n"
    assert ok(kernel, "%history -g h_a")[0] == "   1: h_a = 1\n   6: %history -g h_a\n"  # itself too, as IPython
    assert ok(kernel, "%history -o 2")[0] == "h_b = 2\nh_b\n2\n"
    assert ok(kernel, "%history -p 1")[0] == ">>> h_a = 1\n"
    assert error(kernel.execute("%history 1x")[0])[0] == "UsageError"


# -- %xmode --------------------------------------------------------------------------------------
FAIL = "def x_f(x):\n    y = x + 1\n    return y / 0\nx_f(3)"


def traceback_of(kernel, code: str) -> list[str]:
    reply, _ = kernel.execute(code)
    assert error(reply)[0] == "ZeroDivisionError"
    return [ANSI.sub("", line) for line in reply["content"]["traceback"]]


def test_xmode(kernel):
    context = "\n".join(traceback_of(kernel, FAIL))
    assert "----> 3     return y / 0" in context and "y = 4" not in context
    assert ok(kernel, "%xmode Verbose")[0] == "Exception reporting mode: Verbose\n"
    verbose = "\n".join(traceback_of(kernel, FAIL))
    assert "in x_f(x=3)" in verbose and "        y = 4" in verbose
    ok(kernel, "%xmode plain")
    plain = traceback_of(kernel, "x_f(3)")
    assert plain[0] == "Traceback (most recent call last):\n"
    assert plain[2].endswith(", line 3, in x_f()\n    return y / 0\n") and len(plain) == 4
    assert plain[-1] == "ZeroDivisionError: division by zero"
    ok(kernel, "%xmode Minimal")
    assert traceback_of(kernel, "x_f(3)") == ["ZeroDivisionError: division by zero"]
    assert ok(kernel, "%xmode")[0] == "Exception reporting mode: Plain\n"  # no argument: the next mode
    ok(kernel, "%xmode Context")
    assert traceback_of(kernel, "x_f(3)")[0].startswith("-----")
    assert error(kernel.execute("%xmode Fancy")[0])[0] == "UsageError"


# -- %precision ----------------------------------------------------------------------------------
def test_precision(kernel):
    assert ok(kernel, "%precision 3")[1] == "'%.3f'"
    assert ok(kernel, "import math\nmath.pi")[1] == "3.142"
    assert ok(kernel, "[math.e, 1.5, 'a']")[1] == "[2.718, 1.500, 'a']"
    _, _, outputs = ok(kernel, "display(math.pi)")
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "display_data"] == ["3.142"]
    assert ok(kernel, "%precision %.1e\nmath.pi")[1] == "3.1e+00"
    assert ok(kernel, "%precision")[1] == "'%r'"
    assert ok(kernel, "math.pi")[1] == "3.141592653589793"
    assert error(kernel.execute("%precision many")[0])[0] == "UsageError"


# -- %config %matplotlib -------------------------------------------------------------------------
def test_config_and_matplotlib(kernel):
    assert ok(kernel, "%config")[0] == "Available objects for config:\n    InlineBackend\n"
    assert "Current: 'png'" in ok(kernel, "%config InlineBackend")[0]
    ok(kernel, "%config InlineBackend.figure_format = 'svg'")
    assert ok(kernel, "%config InlineBackend.figure_format")[0] == "'svg'\n"
    assert ok(kernel, "%matplotlib")[0] == "Using matplotlib backend: module://minikernel.engine.inline_backend\n"
    _, _, outputs = ok(kernel, "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    [shown] = [m for m in outputs if m["msg_type"] == "display_data"]
    assert "image/svg+xml" in shown["content"]["data"]
    ok(kernel, "%config InlineBackend.figure_formats = {'png'}")
    assert ok(kernel, "%config InlineBackend.figure_format")[0] == "'png'\n"
    assert error(kernel.execute("%config InteractiveShell.ast_node_interactivity = 'all'")[0])[0] == "UsageError"
    assert error(kernel.execute("%config InlineBackend.figure_format = 'gif'")[0])[0] == "UsageError"
    assert "'inline'" in ok(kernel, "%matplotlib --list")[0]
    assert ok(kernel, "%matplotlib agg\nimport matplotlib\nmatplotlib.get_backend()")[1] == "'agg'"
    assert error(kernel.execute("%matplotlib no_such_backend")[0])[0] == "UsageError"


# -- %load_ext -----------------------------------------------------------------------------------
OURS = """\
def hello(ctx, line):
    "Say hello."
    return 'hello ' + line

def load_minikernel_extension(ctx):
    ctx.registry.add_line('hello', hello)

def unload_minikernel_extension(ctx):
    ctx.registry.remove('hello')
"""
THEIRS = """\
def load_ipython_extension(ip):
    ip.push({'loaded_by': 'ipython-style'})
    ip.register_magic_function(lambda line: line.upper(), 'line', 'shout')
"""


def test_extensions(kernel, tmp_path):
    (tmp_path / "mk_ext_ours.py").write_text(OURS)
    (tmp_path / "mk_ext_theirs.py").write_text(THEIRS)
    ok(kernel, f"import sys\nsys.path.insert(0, {str(tmp_path)!r})")
    assert ok(kernel, "%load_ext mk_ext_ours\n%hello world")[1] == "'hello world'"
    assert "already loaded" in ok(kernel, "%load_ext mk_ext_ours")[0]
    ok(kernel, "%unload_ext mk_ext_ours")
    assert error(kernel.execute("%hello again")[0])[0] == "UsageError"
    assert ok(kernel, "%reload_ext mk_ext_ours\n%hello again")[1] == "'hello again'"
    assert ok(kernel, "%load_ext mk_ext_theirs\n%shout hi")[1] == "'HI'"
    assert ok(kernel, "loaded_by")[1] == "'ipython-style'"
    assert error(kernel.execute("%load_ext mk_ext_nowhere")[0]) == ("UsageError", "No module named 'mk_ext_nowhere'")
    assert error(kernel.execute("%load_ext json")[0])[0] == "UsageError"
    assert "IPython's own extensions" in error(kernel.execute("%load_ext autoreload")[0])[1]


# -- %lsmagic %magic %autoawait %clear -----------------------------------------------------------
def test_listing_and_small_magics(kernel):
    out = ok(kernel, "%lsmagic")[0]
    line_part, cell_part = out.split("Available cell magics:")
    assert "%timeit" in line_part.split() and "%pip" in line_part.split() and "%%timeit" in cell_part.split()
    reply, _ = kernel.execute("%magic")
    text = reply["content"]["payload"][0]["data"]["text/plain"]
    assert "%timeit:\n    Time a statement" in text and "%%time:\n" in text
    assert ok(kernel, "%autoawait")[0].startswith("autoawait is on, using asyncio")
    assert ok(kernel, "%autoawait asyncio")[0] == ""
    _, _, outputs = ok(kernel, "%autoawait False")
    assert "cannot turn autoawait off" in stream_text(outputs, "stderr")
    assert error(kernel.execute("%autoawait trio")[0])[0] == "UsageError"
    _, _, outputs = ok(kernel, "print('before')\n%clear\nprint('after')")
    kinds = [m["msg_type"] for m in outputs if m["msg_type"] != "execute_input"]
    assert kinds == ["stream", "clear_output", "stream"], kinds


# -- %pip ----------------------------------------------------------------------------------------
def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(directory) -> str:
    """A pure-Python wheel made by hand (the venv may have no setuptools/wheel, and no network)."""
    dist = f"{PROBE}-0.1.dist-info"
    files = {
        f"{PROBE}/__init__.py": b"VALUE = 'probe ok'\n",
        f"{dist}/METADATA": b"Metadata-Version: 2.1\nName: minikernel-pip-probe\nVersion: 0.1\n",
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: minikernel-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{dist}/RECORD"] = (record + f"{dist}/RECORD,,\n").encode()
    path = directory / f"{PROBE}-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return str(path)


@pytest.fixture
def probe_uninstalled():
    """Leave the environment as it was, whatever the test did."""
    yield
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", PROBE],
                   capture_output=True, timeout=120)


def test_pip_install_import_uninstall(kernel, tmp_path, probe_uninstalled):
    wheel = build_wheel(tmp_path)
    flags = "--no-index --no-deps --disable-pip-version-check"
    out, _, _ = ok(kernel, f"%pip install {flags} {wheel}", timeout=120)
    assert f"Successfully installed {PROBE.replace('_', '-')}-0.1" in out.replace("_", "-")
    assert out.rstrip().endswith("Note: you may need to restart the kernel to use updated packages.")
    assert ok(kernel, f"import {PROBE}\n{PROBE}.VALUE")[1] == "'probe ok'"
    out, _, _ = ok(kernel, f"%pip uninstall -y --disable-pip-version-check {PROBE}", timeout=120)
    assert "Successfully uninstalled" in out and "restart the kernel" in out
    listed = subprocess.run([sys.executable, "-m", "pip", "show", PROBE], capture_output=True, timeout=120)
    assert listed.returncode != 0  # gone from the environment
    out, _, _ = ok(kernel, "%pip --version")
    assert re.match(r"pip \S+ from ", out) and "restart the kernel" not in out
