"""IPython compatibility, without importing IPython: `get_ipython()` and IPython.display.

minikernel never imports IPython. When *user code* imports it (IPython installed in the user's
environment), two things make it behave as under ipykernel:

1. Display functions. An import hook (a `sys.meta_path` finder, only while `installed()` is
   entered) wraps the loader of three modules and, right after each has run, rebinds in it:

   - `IPython.core.display_functions`: `display`, `update_display`, `clear_output`,
     `publish_display_data` -> minikernel's (engine/display.py), so they publish display_data /
     update_display_data / clear_output through the running kernel instead of printing text.
     `IPython.display` copies them with `from ... import *` after that module ran, so it gets ours
     too, as does `IPython.core.display` (it calls `display_functions.display(...)`) and IPython's
     DisplayHandle (its methods call the module's `display`). `display(..., display_id=...)`
     returns IPython's own `DisplayHandle` class, as in ipykernel.
   - `IPython.core.getipython` and `IPython` itself: `get_ipython` -> returns the shim shell below.

   If IPython is already imported when `installed()` is entered, the same rebinding is done at
   once, and copies of the original functions in loaded `IPython.*` modules are replaced too.
   On exit every rebinding that is still ours is put back. Copies that *other* modules took while
   the hook was installed stay (outside a kernel they print text/plain and do nothing else).

2. `get_ipython()`: a builtin (as in IPython), returning a `ZMQInteractiveShell` shim - enough for
   libraries that detect a notebook through it: pandas (`"zmq" in str(type(ip)).lower()`), plotly (`ip.kernel`), ipywidgets (`ip is not None`,
   `ip.showtraceback()`, `ip.kernel.get_parent()` for the Output widget).

3. tqdm.auto: the same hook rebinds `tqdm.autonotebook`'s bar to tqdm's notebook (widget) bar
   right after user code imports it (engine/tqdm_compat.py says why and when).

What the shim does NOT support (AttributeError or NotImplementedError, never a silent lie):

- magics are supported (`run_line_magic`, `run_cell_magic`, `magic`, `system`, `getoutput`,
  `register_magic_function`, `find_*magic`, through the kernel's registry: engine/magics/), but not
  IPython's `Magics` classes (`register_magics`) or its magic objects.
- events: `events.register`/`unregister` keep the callbacks (so unregister works), but the kernel
  fires no events by itself: they run only when the kernel calls `events.trigger(name)`
  (pre_execute/pre_run_cell/post_execute/post_run_cell are not fired unless it is wired).
  So matplotlib's "draw on post_execute" and matplotlib_inline's `flush_figures` do not run.
- `display_formatter`, `displayhook`, `history_manager`, `input_transformers_*`, `run_cell`,
  traitlets (`has_trait` is always False; `config` is a plain dict `{'IPKernelApp': {}}`).
- `enable_gui(gui)`: no GUI event-loop integration; with a gui name it warns once on stderr.
- `IPython.core.interactiveshell.InteractiveShell.initialized()` stays False: IPython's own
  code that asks for `InteractiveShell.instance()` is not redirected.
"""

from __future__ import annotations

import builtins
import sys
from contextlib import contextmanager
from typing import Callable

from . import display as display_
from . import tqdm_compat

_MISSING = object()

DISPLAY_FUNCTIONS = "IPython.core.display_functions"
GETIPYTHON = "IPython.core.getipython"
TARGETS = frozenset({"IPython", GETIPYTHON, DISPLAY_FUNCTIONS, tqdm_compat.MODULE})
_DISPLAY_NAMES = ("display", "update_display", "clear_output", "publish_display_data")


# -- the shim shell ------------------------------------------------------------------------------
class _NoKernel:
    """A minimal `shell.kernel` when the kernel gives none: no current request."""

    def get_parent(self) -> dict:
        return {}


class DisplayPub:
    """`shell.display_pub`, as IPython's DisplayPublisher: publish() and clear_output()."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
        display_.display(data, raw=True, metadata=metadata, transient=transient, update=update)

    def clear_output(self, wait: bool = False) -> None:
        display_.clear_output(wait)


class EventManager:
    """`shell.events`: register/unregister keep callbacks; nothing fires them unless the kernel
    calls trigger() (see the module docstring)."""

    def __init__(self):
        self.callbacks: dict[str, list[Callable]] = {}

    def register(self, event: str, function: Callable) -> None:
        if not callable(function):
            raise TypeError(f"need a callable, got {function!r}")
        self.callbacks.setdefault(event, []).append(function)

    def unregister(self, event: str, function: Callable) -> None:
        try:
            self.callbacks.get(event, []).remove(function)
        except ValueError:
            raise ValueError(f"function {function!r} is not registered as a {event} callback") from None

    def trigger(self, event: str, *args, **kwargs) -> None:
        """Call the callbacks of `event`; an error in one is printed to sys.stderr, the others still run."""
        for function in list(self.callbacks.get(event, [])):
            try:
                function(*args, **kwargs)
            except Exception:
                import traceback

                print(f"Error in callback {function!r} (for {event}):", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)


class ZMQInteractiveShell:
    """What `get_ipython()` returns in minikernel: ipykernel's shell class name, a small part of
    its API (see the module docstring for what is missing)."""

    def __init__(self, user_ns: dict, kernel=None):
        self.user_ns = user_ns
        self.user_global_ns = user_ns
        self.kernel = kernel if kernel is not None else _NoKernel()
        self.config = {"IPKernelApp": {}}
        self.display_pub = DisplayPub()
        self.events = EventManager()
        self._gui_warned = False

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} (minikernel) at {id(self):#x}>"

    def get_ipython(self) -> "ZMQInteractiveShell":
        return self

    def has_trait(self, name: str) -> bool:
        return False  # not a traitlets object

    # -- magics: the kernel's registry (engine/magics/ipython_api.py) ----------------------------
    def run_line_magic(self, magic_name: str, line: str = "", _stack_depth: int = 1):
        return _magics().run_line_magic(magic_name, line, _stack_depth)

    def run_cell_magic(self, magic_name: str, line: str = "", cell: str = ""):
        return _magics().run_cell_magic(magic_name, line, cell)

    def magic(self, arg_s: str = ""):
        return _magics().magic(arg_s)

    def system(self, cmd: str) -> None:
        return _magics().system(cmd)

    system_piped = system_raw = system

    def getoutput(self, cmd: str, split: bool = True):
        return _magics().getoutput(cmd, split)

    def register_magic_function(self, func, magic_kind: str = "line", magic_name: str | None = None):
        _magics().register_magic_function(func, magic_kind, magic_name)

    def find_line_magic(self, magic_name: str):
        return _magics().find_magic(magic_name, "line")

    def find_cell_magic(self, magic_name: str):
        return _magics().find_magic(magic_name, "cell")

    def find_magic(self, magic_name: str, magic_kind: str = "line"):
        return _magics().find_magic(magic_name, magic_kind)

    # -- the rest -------------------------------------------------------------------------------
    def showtraceback(self, exc_tuple=None, filename=None, tb_offset=None, exception_only=False,
                      running_compiled_code=False) -> None:
        """The exception being handled (or `exc_tuple`) on sys.stderr (the current cell's)."""
        import traceback

        etype, value, tb = exc_tuple if exc_tuple is not None else sys.exc_info()
        if value is None:
            print("No traceback available to show.", file=sys.stderr)
            return
        if exception_only:
            tb = None
        traceback.print_exception(etype, value, tb, file=sys.stderr)

    def push(self, variables, interactive: bool = True) -> None:
        """Put variables into the user namespace (a dict, or names of the caller's variables)."""
        if isinstance(variables, str):
            variables = variables.replace(",", " ").split()
        if not isinstance(variables, dict):
            frame = sys._getframe(1)
            variables = {name: eval(name, frame.f_globals, frame.f_locals) for name in variables}
        self.user_ns.update(variables)

    def ev(self, expr: str):
        return eval(expr, self.user_ns)

    def enable_gui(self, gui=None):
        if gui and gui not in ("inline", "headless") and not self._gui_warned:
            self._gui_warned = True
            print(f"minikernel: no GUI event loop integration ({gui!r}); windows may not respond",
                  file=sys.stderr)


def _magics():
    from .magics import ipython_api

    return ipython_api


# -- IPython.display functions that publish through minikernel ------------------------------------
def _ipython_display_functions(module) -> dict:
    """Replacements for IPython.core.display_functions' publishing functions."""
    handle_class = getattr(module, "DisplayHandle", None)

    def display(*objs, include=None, exclude=None, metadata=None, transient=None, display_id=None,
                raw=False, clear=False, **kwargs):
        handle = display_.display(*objs, include=include, exclude=exclude, metadata=metadata,
                                  transient=transient, display_id=display_id, raw=raw, clear=clear, **kwargs)
        if handle is not None and handle_class is not None:
            return handle_class(handle.display_id)
        return handle

    def publish_display_data(data, metadata=None, source=_MISSING, *, transient=None, **kwargs):
        display_.display(data, raw=True, metadata=metadata, transient=transient, **kwargs)

    display.__doc__ = display_.display.__doc__
    return {"display": display, "update_display": display_.update_display,
            "clear_output": display_.clear_output, "publish_display_data": publish_display_data}


class _Patcher:
    """Rebinds names in IPython's modules; remembers what to put back."""

    def __init__(self, get_ipython: Callable):
        self.get_ipython = get_ipython
        self.done: list[tuple[object, str, object, object]] = []  # (module, name, original, ours)
        self.originals: dict[int, object] = {}  # id(original) -> ours, for copies elsewhere
        self.ours: dict[int, tuple[object, object]] = {}  # id(ours) -> (ours, original)

    def _set(self, module, name: str, ours) -> None:
        original = module.__dict__.get(name, _MISSING)
        setattr(module, name, ours)
        self.done.append((module, name, original, ours))
        if original is not _MISSING:
            self.originals[id(original)] = ours
            self.ours[id(ours)] = (ours, original)

    def patch(self, module) -> None:
        name = getattr(module, "__name__", None)
        if name == DISPLAY_FUNCTIONS:
            for attr, ours in _ipython_display_functions(module).items():
                if hasattr(module, attr):
                    self._set(module, attr, ours)
        elif name in (GETIPYTHON, "IPython"):
            self._set(module, "get_ipython", self.get_ipython)
        elif name == tqdm_compat.MODULE:
            tqdm_compat.patch(module, self._set)

    def sweep(self) -> None:
        """Replace copies of the originals in loaded IPython.* modules (IPython imported before)."""
        for name, module in list(sys.modules.items()):
            if name in TARGETS or not name.startswith("IPython.") or module is None:
                continue
            for attr, value in list(getattr(module, "__dict__", {}).items()):
                ours = self.originals.get(id(value))
                if ours is not None and attr in _DISPLAY_NAMES + ("get_ipython",):
                    self._set(module, attr, ours)

    def restore(self) -> None:
        for module, name, original, ours in reversed(self.done):
            if module.__dict__.get(name, _MISSING) is not ours:
                continue  # changed since: leave it
            if original is _MISSING:
                delattr(module, name)
            else:
                setattr(module, name, original)
        # Copies of ours that IPython's own modules took meanwhile (IPython.display's import *).
        for name, module in list(sys.modules.items()):
            if module is None or not (name == "IPython" or name.startswith("IPython.")):
                continue
            for attr in _DISPLAY_NAMES + ("get_ipython",):
                value = getattr(module, "__dict__", {}).get(attr, _MISSING)
                found = self.ours.get(id(value))
                if found is not None and found[0] is value:
                    setattr(module, attr, found[1])
        self.done.clear()
        self.originals.clear()
        self.ours.clear()


# -- the import hook ------------------------------------------------------------------------------
class _PatchingLoader:
    """Wraps a loader: runs the module, then `after(module)`; the module's __loader__ and
    __spec__.loader are the original loader again."""

    def __init__(self, loader, after: Callable):
        self._loader, self._after = loader, after

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module) -> None:
        try:
            self._loader.exec_module(module)
        finally:
            if getattr(module, "__loader__", None) is self:
                module.__loader__ = self._loader
            spec = getattr(module, "__spec__", None)
            if spec is not None and spec.loader is self:
                spec.loader = self._loader
        self._after(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class ImportHook:
    """A sys.meta_path finder that acts on TARGETS only: it asks the finders after it for the
    spec and wraps its loader so that `after(module)` runs once the module has been executed."""

    def __init__(self, after: Callable):
        self._after = after
        self._busy: set[str] = set()

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname not in TARGETS or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader, self._after)
        return spec

    def invalidate_caches(self) -> None:
        pass


@contextmanager
def installed(user_ns: dict, kernel=None):
    """Install IPython compatibility for the kernel's life: the `get_ipython` builtin and the
    import hook (and rebind IPython's functions now if IPython is already imported).
    Yields the ZMQInteractiveShell shim."""
    shell = ZMQInteractiveShell(user_ns, kernel)

    def get_ipython():
        """The running shell: minikernel's ZMQInteractiveShell shim."""
        return shell

    patcher = _Patcher(get_ipython)
    hook = ImportHook(patcher.patch)
    saved_builtin = builtins.__dict__.get("get_ipython", _MISSING)
    builtins.get_ipython = get_ipython
    sys.meta_path.insert(0, hook)
    try:
        for name in ("IPython", GETIPYTHON, DISPLAY_FUNCTIONS, tqdm_compat.MODULE):
            module = sys.modules.get(name)
            if module is not None:
                patcher.patch(module)
        if patcher.originals:
            patcher.sweep()
        yield shell
    finally:
        try:
            sys.meta_path.remove(hook)
        except ValueError:
            pass
        patcher.restore()
        if builtins.__dict__.get("get_ipython") is get_ipython:
            if saved_builtin is _MISSING:
                del builtins.get_ipython
            else:
                builtins.get_ipython = saved_builtin
