"""matplotlib through a real kernel: the inline backend (engine/inline_backend.py) is the default,
figures are shown once as display_data at plt.show() / the end of the cell, formats png, retina, svg."""

from __future__ import annotations

import base64
import contextlib
import struct

import pytest

pytest.importorskip("matplotlib", reason="matplotlib is not installed (it is in the test extra)")

from conftest import KERNEL_NAME, Kernel, stream_text  # noqa: E402

INLINE = "module://minikernel.engine.inline_backend"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _no_user_backend(monkeypatch):
    """A CI environment may set MPLBACKEND (Agg); the kernel must choose its own here.
    (autouse: runs before the `kernel` fixture starts the kernel)"""
    monkeypatch.delenv("MPLBACKEND", raising=False)


@contextlib.contextmanager
def started(**kw):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30, **kw)
    try:
        yield Kernel(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def ok(kernel: Kernel, code: str) -> list[dict]:
    reply, outputs = kernel.execute(code, timeout=60)
    assert reply["content"]["status"] == "ok", (reply["content"], stream_text(outputs, "stderr"))
    return outputs


def images(outputs: list[dict], mime: str = "image/png") -> list[dict]:
    return [m for m in outputs if m["msg_type"] in ("display_data", "execute_result")
            and mime in m["content"]["data"]]


def png_size(msg: dict) -> tuple[int, int]:
    raw = base64.b64decode(msg["content"]["data"]["image/png"])
    assert raw.startswith(PNG_SIGNATURE)
    return struct.unpack(">II", raw[16:24])


def test_matplotlib_not_imported_at_start_and_inline_is_default(kernel):
    outputs = ok(kernel, "import sys, os\nprint('matplotlib' in sys.modules, os.environ.get('MPLBACKEND'))")
    assert stream_text(outputs).split() == ["False", INLINE]
    outputs = ok(kernel, "import matplotlib\nprint(matplotlib.get_backend())")
    assert stream_text(outputs).strip() == INLINE


def test_a_plot_is_one_png(kernel):
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nprint('done')")
    shown = images(outputs)
    assert [m["msg_type"] for m in shown] == ["display_data"]
    width, height = png_size(shown[0])
    assert 200 < width < 2000 and 150 < height < 2000
    assert shown[0]["content"]["data"]["text/plain"].startswith("<Figure size")
    # the image comes after the cell's printed text (end of cell), and the figure is closed
    kinds = [m["msg_type"] for m in outputs]
    assert kinds.index("display_data") > kinds.index("stream")
    outputs = ok(kernel, "print(plt.get_fignums())")
    assert stream_text(outputs).strip() == "[]" and not images(outputs)


def test_show_mid_cell_shows_there_and_not_again(kernel):
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nprint('before')\nplt.plot([1, 2])\nplt.show()\n"
                         "print('after')")
    assert len(images(outputs)) == 1
    at = outputs.index(images(outputs)[0])
    assert stream_text(outputs[:at]).split() == ["before"]
    assert stream_text(outputs[at:]).split() == ["after"]


def test_figure_as_last_expression_shows_once(kernel):
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\nfig")
    shown = images(outputs)
    assert len(shown) == 1
    assert shown[0]["msg_type"] == "execute_result"
    png_size(shown[0])
    # display(fig) then the end of the cell: once too
    outputs = ok(kernel, "fig, ax = plt.subplots()\nax.plot([1, 2])\ndisplay(fig)")
    assert [m["msg_type"] for m in images(outputs)] == ["display_data"]


def test_two_figures_two_images(kernel):
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1, 2])\n"
                         "plt.figure()\nplt.plot([2, 1])\nNone")
    assert len(images(outputs)) == 2
    a, b = (base64.b64decode(m["content"]["data"]["image/png"]) for m in images(outputs))
    assert a != b


def test_ioff_keeps_figures_until_show(kernel):
    # (as with ipykernel, loading the backend turns interactive mode on: ioff once it is loaded)
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone")
    assert len(images(outputs)) == 1
    outputs = ok(kernel, "plt.ioff()\nplt.plot([1, 2])\nNone")
    assert not images(outputs)
    outputs = ok(kernel, "plt.show()\nprint(plt.get_fignums())")
    assert len(images(outputs)) == 1 and stream_text(outputs).strip() == "[]"


def test_format_changes_at_runtime(kernel):
    outputs = ok(kernel, "from minikernel.engine import inline_backend\ninline_backend.set_figure_format('svg')\n"
                         "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone")
    assert len(images(outputs, "image/svg+xml")) == 1 and not images(outputs)
    reply, outputs = kernel.execute("inline_backend.set_figure_format('jpeg2000')", timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "ValueError"


def test_svg_via_kernel_option():
    with started(extra_arguments=["--Kernel.figure_format=svg"]) as kernel:
        outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone")
    shown = images(outputs, "image/svg+xml")
    assert len(shown) == 1 and not images(outputs)
    assert "<svg" in shown[0]["content"]["data"]["image/svg+xml"]


def test_retina_via_kernel_option():
    with started(extra_arguments=["--Kernel.figure_format=retina"]) as kernel:
        outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nNone")
        dpi = float(stream_text(ok(kernel, "print(plt.rcParams['figure.dpi'])")))
    shown = images(outputs)
    assert len(shown) == 1
    width, height = png_size(shown[0])
    md = shown[0]["content"]["metadata"]["image/png"]
    assert md == {"width": width // 2, "height": height // 2}
    assert width > 6.4 * dpi  # rendered at twice the dpi (a 6.4 in wide figure, tight bbox)


def test_user_mplbackend_is_respected(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "agg")
    with started() as kernel:
        outputs = ok(kernel, "import os, matplotlib.pyplot as plt\nprint(os.environ['MPLBACKEND'], "
                             "plt.get_backend())\nplt.plot([1, 2])\nNone")
    assert stream_text(outputs).split() == ["agg", "agg"]
    assert not images(outputs)


def test_rendering_error_goes_to_stderr_and_figure_is_closed(kernel):
    outputs = ok(kernel, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title(r'$\\foo{$')\nNone")
    assert not images(outputs)
    err = stream_text(outputs, "stderr")
    assert "Error rendering a matplotlib figure" in err and "ValueError" in err
    outputs = ok(kernel, "print(plt.get_fignums())\nplt.plot([1, 2])\nNone")
    assert stream_text(outputs).strip() == "[]" and len(images(outputs)) == 1


def test_failing_and_awaiting_cells_show_their_figures(kernel):
    reply, outputs = kernel.execute("import matplotlib.pyplot as plt\nplt.plot([1, 2])\n1 / 0", timeout=60)
    assert reply["content"]["status"] == "error"
    kinds = [m["msg_type"] for m in outputs]
    assert len(images(outputs)) == 1 and kinds.index("display_data") < kinds.index("error")
    outputs = ok(kernel, "import asyncio\nawait asyncio.sleep(0.01)\nplt.plot([1, 2])\nNone")
    assert len(images(outputs)) == 1


def test_silent_cell_closes_its_figures_quietly(kernel):
    reply, outputs = kernel.execute("import matplotlib.pyplot as plt\nplt.plot([1, 2])", silent=True, timeout=60)
    assert reply["content"]["status"] == "ok" and not images(outputs)
    outputs = ok(kernel, "print(plt.get_fignums())")
    assert stream_text(outputs).strip() == "[]"
