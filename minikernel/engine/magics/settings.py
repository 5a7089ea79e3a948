"""Display and error settings: %matplotlib, %config, %xmode, %precision (registered by session.py).

%xmode and %precision keep their state on the Executor (`executor.xmode`, read by
engine/tracebacks.py; `executor.text_options.float_format`, read by engine/formatter.py), so each
kernel has its own and nothing is a module global.
"""

from __future__ import annotations

import ast
import sys

from .registry import UsageError

INLINE = "module://minikernel.engine.inline_backend"
BACKENDS = {  # %matplotlib NAME -> matplotlib backend (the names IPython accepts)
    "inline": INLINE, "agg": "agg", "svg": "svg", "pdf": "pdf", "ps": "ps", "cairo": "cairo",
    "widget": "module://ipympl.backend_nbagg", "ipympl": "module://ipympl.backend_nbagg",
    "tk": "TkAgg", "qt": "QtAgg", "qt5": "Qt5Agg", "qt6": "QtAgg", "gtk3": "GTK3Agg",
    "gtk4": "GTK4Agg", "wx": "WXAgg", "osx": "MacOSX", "webagg": "WebAgg",
}
GUI = {"tk", "qt", "qt5", "qt6", "gtk3", "gtk4", "wx", "osx"}
XMODES = ("Plain", "Context", "Verbose", "Minimal")
FIGURE_FORMATS = ("png", "retina", "svg")
IGNORED_CONFIG = ("IPCompleter.", "Completer.")  # completion settings: jedi is always used


# -- %matplotlib ---------------------------------------------------------------------------------
def matplotlib_(ctx, line: str) -> None:
    """Choose matplotlib's backend: %matplotlib [inline | widget | agg | svg | pdf | qt | tk | ...]

    inline (the default in minikernel): figures shown in the cell; --list (-l): the names;
    no argument: show the backend in use. GUI backends (qt, tk, ...) open windows but minikernel
    has no GUI event-loop integration: they respond only while plt.show() blocks."""
    arg = line.strip()
    if arg in ("-l", "--list"):
        print("Available matplotlib backends: " + str(list(BACKENDS)))
        return
    try:
        import matplotlib
    except ImportError:
        raise UsageError("%matplotlib: matplotlib is not installed in the kernel's environment") from None
    if not arg:
        print(f"Using matplotlib backend: {matplotlib.get_backend()}")
        return
    backend = BACKENDS.get(arg.lower(), arg)
    try:
        matplotlib.use(backend)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].switch_backend(backend)
    except (ImportError, ValueError, RuntimeError) as e:
        raise UsageError(f"%matplotlib {arg}: {e}") from None
    if arg.lower() in GUI:
        print(f"minikernel has no GUI event-loop integration: {backend} windows respond only while "
              "plt.show() blocks", file=sys.stderr)


# -- %config -------------------------------------------------------------------------------------
def _literal(text: str, name: str):
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise UsageError(f"%config {name}: the value must be a Python literal, not {text.strip()!r}") from None


def _figure_format(value, name: str) -> None:
    from .. import inline_backend

    if isinstance(value, (set, frozenset, list, tuple)):
        if len(value) != 1:
            raise UsageError(f"%config {name}: minikernel sends one figure format; choose one of "
                             f"{', '.join(FIGURE_FORMATS)}")
        value = next(iter(value))
    if str(value).lower() not in FIGURE_FORMATS:
        raise UsageError(f"%config {name}: unknown format {value!r} (use {', '.join(FIGURE_FORMATS)})")
    inline_backend.set_figure_format(str(value).lower())


def config(ctx, line: str) -> None:
    """Configure the kernel: %config InlineBackend.figure_format = 'svg' ('png', 'retina', 'svg')

    %config: the objects that can be configured; %config InlineBackend: its options and values."""
    from .. import inline_backend

    arg = line.strip()
    if not arg:
        print("Available objects for config:\n    InlineBackend")
        return
    if arg == "InlineBackend":
        print("InlineBackend options\n---------------------\n"
              "InlineBackend.figure_format=<str>   'png', 'retina' or 'svg'\n"
              f"    Current: {inline_backend.get_figure_format()!r}\n"
              "InlineBackend.figure_formats=<set>  the same, as a set of one format")
        return
    name, sep, value = arg.partition("=")
    name = name.strip()
    if name.startswith(IGNORED_CONFIG):
        print(f"%config {name} is ignored by minikernel (completion always uses jedi, "
              "with a live-namespace fallback)", file=sys.stderr)
        return
    if name in ("InlineBackend.figure_format", "InlineBackend.figure_formats"):
        if not sep:
            print(repr(inline_backend.get_figure_format()))
            return
        _figure_format(_literal(value, name), name)
        return
    raise UsageError(f"%config {name}: unknown or unsupported option "
                     "(minikernel supports InlineBackend.figure_format)")


# -- %xmode ---------------------------------------------------------------------------------------
def xmode(ctx, line: str) -> None:
    """How exceptions are shown: %xmode Plain | Context | Verbose | Minimal  (no argument: next one)

    Plain: as Python prints them; Context (default): source lines around each frame;
    Verbose: Context plus the values of the variables on each failing line; Minimal: only
    `ExceptionName: message`."""
    executor = ctx.executor
    arg = line.strip()
    if not arg:
        mode = XMODES[(XMODES.index(executor.xmode) + 1) % len(XMODES)]
    else:
        matches = [m for m in XMODES if m.lower().startswith(arg.lower())]
        if len(matches) != 1:
            raise UsageError(f"%xmode {arg}: use one of {', '.join(XMODES)}")
        mode = matches[0]
    executor.xmode = mode
    print(f"Exception reporting mode: {mode}")


# -- %precision -----------------------------------------------------------------------------------
def precision(ctx, line: str) -> str:
    """Float precision in text output: %precision 3 (3 decimals), %precision %.2e (a % format),
    %precision (no argument: back to repr). numpy's print precision follows when it is imported.
    Returns the format in use."""
    options = ctx.executor.text_options
    arg = line.strip()
    numpy = sys.modules.get("numpy")
    if not arg:
        options.float_format = None
        if numpy is not None:
            numpy.set_printoptions(precision=8)
        return "%r"
    if "%" in arg:
        try:
            arg % 3.14159
        except (TypeError, ValueError) as e:
            raise UsageError(f"%precision: bad format {arg!r}: {e}") from None
        options.float_format = arg
        return arg
    try:
        digits = int(arg)
    except ValueError:
        raise UsageError(f"%precision: {arg!r} is neither an integer nor a % format") from None
    if digits < 0:
        raise UsageError("%precision: the number of digits must be at least 0")
    options.float_format = f"%.{digits}f"
    if numpy is not None:
        numpy.set_printoptions(precision=digits)
    return options.float_format


def register(registry) -> None:
    registry.add_line("matplotlib", matplotlib_)
    registry.add_line("config", config, interpolate=False)  # `{...}` is a set literal there
    registry.add_line("xmode", xmode)
    registry.add_line("precision", precision, interpolate=False)  # `%precision %.2f` is a format
