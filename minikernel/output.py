"""Where output from threads goes (the rule is in the README, "Output").

    from minikernel.output import current_cell, bind_thread, detach_thread

    cell = current_cell()          # the cell running now (None outside a cell)
    bind_thread(cell, worker)      # worker's output goes to that cell, even after it finished
    detach_thread(worker)          # worker's output goes to the latest cell

By default a thread started while a cell runs writes to that cell while it runs, and to the
latest cell afterwards. `thread` defaults to the calling thread.
"""

from __future__ import annotations

import threading

from .dispatch import THREAD_BOUND, THREAD_CELL, current_request


class Cell:
    """An opaque handle on one cell's execute request."""

    __slots__ = ("_msg",)

    def __init__(self, msg):
        self._msg = msg

    def __repr__(self) -> str:
        return f"<minikernel cell {self._msg.msg_id}>"


def current_cell() -> Cell | None:
    request = current_request.get()
    return Cell(request.msg) if request is not None else None


def bind_thread(cell: Cell, thread: threading.Thread | None = None) -> None:
    if not isinstance(cell, Cell):
        raise TypeError(f"bind_thread() needs a cell from current_cell(), not {type(cell).__name__}")
    thread = thread or threading.current_thread()
    setattr(thread, THREAD_CELL, cell._msg)
    setattr(thread, THREAD_BOUND, True)


def detach_thread(thread: threading.Thread | None = None) -> None:
    thread = thread or threading.current_thread()
    setattr(thread, THREAD_CELL, None)
    setattr(thread, THREAD_BOUND, False)
