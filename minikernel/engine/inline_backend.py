"""The inline matplotlib backend: `module://minikernel.engine.inline_backend`.

The kernel makes it matplotlib's default backend (app.py sets MPLBACKEND unless the user chose
one). Figures are rendered (png, retina or svg: `set_figure_format`) and sent through the display
machinery (engine/display.py), so they land in the cell that made them:

- `plt.show()` displays every open figure, then closes them;
- at the end of a cell (Executor's end-of-cell steps call `flush_figures`), the figures still open
  are displayed and closed, except those already displayed in this cell (`fig` as the last
  expression, `display(fig)`), so a figure shows once; with `plt.ioff()` nothing is shown or
  closed at the end of a cell, only on `plt.show()`;
- once the backend is active, a Figure has a `_repr_mimebundle_` (image/png, image/svg+xml), so
  `fig` as a cell's last expression and `display(fig)` show the image.

Importing this module does not import matplotlib: `FigureCanvas` / `FigureManager` (what
matplotlib asks a backend module for) are made on first access, which is when matplotlib loads
the backend. Until then `flush_figures` does nothing.
"""

from __future__ import annotations

import io
import struct
import sys
import traceback
import weakref

from . import display as display_

FORMATS = {"png": "image/png", "retina": "image/png", "svg": "image/svg+xml"}
_state = {"format": "png"}
_classes: dict = {}  # FigureCanvas, FigureManager once made (the backend is then active)
_shown: "weakref.WeakSet" = weakref.WeakSet()  # figures displayed since the last flush_figures


# -- the figure format ----------------------------------------------------------------------------
def set_figure_format(fmt: str) -> None:
    """How figures are sent from now on: "png", "retina" (png at twice the dpi, with width and
    height metadata at the normal size, so it shows at the same size but sharper) or "svg"."""
    key = str(fmt).strip().strip("'\"").lower()
    if key not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}: use one of {', '.join(FORMATS)}")
    _state["format"] = key


def get_figure_format() -> str:
    return _state["format"]


# -- rendering ------------------------------------------------------------------------------------
def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    return struct.unpack(">II", data[16:24])


def figure_bundle(fig, fmt: str | None = None) -> tuple[dict, dict]:
    """`fig` rendered in `fmt` (default: the current format) as (data, metadata) mimebundle
    parts; ({}, {}) for a figure with nothing in it (it then shows as text only, as in IPython)."""
    fmt = fmt or _state["format"]
    if not fig.axes and not fig.lines:
        return {}, {}
    dpi = fig.dpi * (2 if fmt == "retina" else 1)
    out = io.BytesIO()
    canvas = fig.canvas
    if canvas is None:  # (a figure unpickled without a canvas)
        from matplotlib.backend_bases import FigureCanvasBase
        canvas = FigureCanvasBase(fig)
    canvas.print_figure(out, format="svg" if fmt == "svg" else "png", dpi=dpi, bbox_inches="tight",
                        facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    data = out.getvalue()
    if fmt == "svg":
        return {"image/svg+xml": data.decode("utf-8")}, {}
    metadata = {}
    if fmt == "retina":
        width, height = _png_size(data)
        metadata = {"image/png": {"width": width // 2, "height": height // 2}}
    return {"image/png": data}, metadata


def _figure_repr_mimebundle(self, include=None, exclude=None):
    """Figure._repr_mimebundle_ while this backend is loaded (engine/formatter.py base64-encodes
    the png). Displaying a figure marks it shown for this cell. A rendering error (bad mathtext,
    say) goes to the cell's stderr, and the figure shows as text only."""
    _shown.add(self)
    try:
        return figure_bundle(self)
    except Exception:
        print("Error rendering a matplotlib figure:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return {}, {}


# -- what matplotlib asks a backend module for ----------------------------------------------------
def _activate() -> None:
    import matplotlib
    from matplotlib.backend_bases import FigureManagerBase
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    class FigureManager(FigureManagerBase):
        def show(self):  # fig.show(): display it now (and it is not closed)
            display_.display(self.canvas.figure)

    class FigureCanvas(FigureCanvasAgg):
        manager_class = FigureManager

        def draw_idle(self, *args, **kwargs):
            pass  # figures are drawn when they are shown, not on every change

    if getattr(Figure, "_repr_mimebundle_", None) is None:
        Figure._repr_mimebundle_ = _figure_repr_mimebundle
    # As in IPython: pyplot is interactive in a kernel (plt.ioff() turns end-of-cell display off).
    matplotlib.interactive(True)
    _classes.update(FigureCanvas=FigureCanvas, FigureManager=FigureManager)
    globals().update(_classes)  # so vars(module), which matplotlib reads, has them too


def __getattr__(name: str):
    if name in ("FigureCanvas", "FigureManager"):
        if not _classes:
            _activate()
        return _classes[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _our_managers() -> list:
    from matplotlib._pylab_helpers import Gcf

    canvas = _classes["FigureCanvas"]
    return [m for m in Gcf.get_all_fig_managers() if isinstance(m.canvas, canvas)]


def _close(managers) -> None:
    import matplotlib.pyplot as plt

    for manager in managers:
        plt.close(manager.canvas.figure)


def show(close: bool | None = None, block: bool | None = None) -> None:
    """plt.show(): display every open figure now, then close them (close=False keeps them)."""
    if not _classes:
        return
    managers = _our_managers()
    try:
        for manager in managers:
            display_.display(manager.canvas.figure)
    finally:
        if close is None or close:
            _close(managers)


def flush_figures() -> None:
    """End of a cell: display the figures still open that this cell has not displayed yet, then
    close them. A rendering error goes to the cell's stderr; the figures are closed anyway (or
    every later cell would fail again)."""
    if not _classes:
        return
    try:
        import matplotlib

        if not matplotlib.is_interactive():
            return
        managers = _our_managers()
        try:
            for manager in managers:
                if manager.canvas.figure not in _shown:
                    display_.display(manager.canvas.figure)
        finally:
            _close(managers)
    except Exception:
        print("Error showing matplotlib figures:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
    finally:
        _shown.clear()
