"""display(), update_display(), clear_output() and DisplayHandle: outputs that are not a cell's result.

Each Executor owns a `DisplayPublisher`, which turns objects into DisplayData /
UpdateDisplayData / ClearOutput events on the executor's emit (so a silent cell drops them).

How user code reaches it: the *display hook*. `hooks.installed` (a context manager, the kernel
holds it for its whole life; tests hold it around a cell) sets it to the executor's publisher on
entry and puts back what was there on exit, as it does sys.displayhook. The functions below,
the `display` builtin (which *is* `display` below) and `minikernel.display` all look the
publisher up through `current_publisher()` at call time. With no kernel around (plain python),
display() prints the text/plain form, and update_display()/clear_output() do nothing.
"""

from __future__ import annotations

import uuid
from typing import Callable

from .events import ClearOutput, DisplayData, UpdateDisplayData
from .formatter import TextOptions, format_object, ipython_display

# The display hook: the running kernel's publisher. Only hooks.installed sets it (see above).
_hook: list = [None]


def current_publisher() -> "DisplayPublisher | None":
    return _hook[0]


def new_display_id() -> str:
    return uuid.uuid4().hex


class DisplayPublisher:
    """Objects -> display events, on `emit` (looked up at each call: the executor's current one)."""

    def __init__(self, emit: Callable[[object], None], text_options: TextOptions | None = None):
        self._emit = emit
        self.text_options = text_options or TextOptions()  # the kernel's (%precision)

    def display(self, *objs, include=None, exclude=None, metadata=None, transient=None,
                display_id=None, raw: bool = False, clear: bool = False, update: bool = False,
                **kwargs) -> "DisplayHandle | None":
        """As IPython.display.display: each object as a display_data (update_display_data
        with `update`); `display_id=True` makes a new id; a display_id returns a DisplayHandle."""
        transient = dict(transient or {})
        if display_id is True:
            display_id = new_display_id()
        if display_id:
            transient["display_id"] = display_id
        if update and "display_id" not in transient:
            raise TypeError("display_id required for update_display")
        if not objs and display_id:
            objs, raw = ({},), True  # an empty output, to be filled by update() later
        if clear:
            self.clear_output(wait=True)
        event = UpdateDisplayData if update else DisplayData
        for obj in objs:
            if raw:
                self._emit(event(dict(obj), dict(metadata or {}), dict(transient)))
                continue
            if ipython_display(obj):
                continue
            data, md = format_object(obj, include, exclude, self.text_options.float_format)
            if not data:
                continue
            if metadata:
                md.update(metadata)
            self._emit(event(data, md, dict(transient)))
        return DisplayHandle(display_id) if display_id else None

    def update_display(self, obj, *, display_id, **kwargs) -> None:
        self.display(obj, display_id=display_id, update=True, **kwargs)

    def clear_output(self, wait: bool = False) -> None:
        self._emit(ClearOutput(bool(wait)))


def _fallback_display(*objs, raw: bool = False, include=None, exclude=None, **kwargs):
    """Outside a kernel: print text/plain, as IPython's display() does without a frontend."""
    for obj in objs:
        if raw:
            text = obj.get("text/plain") if isinstance(obj, dict) else None
        else:
            text = format_object(obj, include, exclude)[0].get("text/plain")
        if text is not None:
            print(text)
    display_id = kwargs.get("display_id")
    if display_id is True:
        display_id = new_display_id()
    return DisplayHandle(display_id) if display_id else None


def display(*objs, include=None, exclude=None, metadata=None, transient=None, display_id=None,
            raw: bool = False, clear: bool = False, **kwargs):
    """Display objects (rich output) in the frontend, as IPython.display.display.

    include/exclude: mimetypes to keep/drop; metadata: merged into each output's metadata;
    transient: extra transient keys; display_id: an id for later updates (True: a new one), and
    a DisplayHandle is returned; raw: the objects are already {mimetype: data} bundles;
    clear: clear the output first (clear_output(wait=True)).
    """
    publisher = current_publisher()
    if publisher is None:
        return _fallback_display(*objs, raw=raw, include=include, exclude=exclude, display_id=display_id)
    return publisher.display(*objs, include=include, exclude=exclude, metadata=metadata,
                             transient=transient, display_id=display_id, raw=raw, clear=clear, **kwargs)


def update_display(obj, *, display_id, **kwargs) -> None:
    """Replace every output displayed with `display_id` by `obj` (an update_display_data)."""
    publisher = current_publisher()
    if publisher is not None:
        publisher.update_display(obj, display_id=display_id, **kwargs)


def clear_output(wait: bool = False) -> None:
    """Clear the cell's output; with wait=True, only when the next output arrives (no flicker)."""
    publisher = current_publisher()
    if publisher is not None:
        publisher.clear_output(wait)


class DisplayHandle:
    """A display_id and what to do with it: display(obj) again, update(obj) everywhere it is."""

    def __init__(self, display_id: str | None = None):
        self.display_id = display_id or new_display_id()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} display_id={self.display_id}>"

    def display(self, obj, **kwargs) -> None:
        display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj, **kwargs) -> None:
        update_display(obj, display_id=self.display_id, **kwargs)
