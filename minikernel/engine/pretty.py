"""text/plain as IPython's pretty printer writes it, without IPython.

`pretty(obj)` lays out lists, tuples, dicts, sets (and their subclasses that keep the base
`__repr__`), deque, defaultdict, OrderedDict and Counter one item per line with a hanging indent
when they do not fit in `max_width` columns, nested, and stops after `max_seq_length` items with
'...'. Objects with `_repr_pretty_(p, cycle)` print themselves through a `PrettyPrinter` (the API
of IPython.lib.pretty: text, breakable, break_, pretty, begin_group/end_group, group, indent);
everything else is its repr().

The layout algorithm is the one IPython's printer uses (after Wadler's "prettier printer"):
text waits in a buffer while it may still fit; when a line overflows, the outermost group that has
break points is broken, and every later break point of that group becomes a newline.
"""

from __future__ import annotations

import collections
import io
from contextlib import contextmanager

MAX_WIDTH = 79
MAX_SEQ_LENGTH = 1000


class _Text:
    __slots__ = ("parts", "width")

    def __init__(self):
        self.parts, self.width = [], 0

    def output(self, stream, output_width: int) -> int:
        stream.write("".join(self.parts))
        return output_width + self.width


class _Breakable:
    __slots__ = ("sep", "width", "printer", "indentation", "group")

    def __init__(self, sep: str, printer: "PrettyPrinter"):
        self.sep, self.width, self.printer = sep, len(sep), printer
        self.indentation = printer.indentation
        self.group = printer.group_stack[-1]
        self.group.breakables.append(self)

    def output(self, stream, output_width: int) -> int:
        self.group.breakables.popleft()
        if self.group.want_break:
            stream.write("\n" + " " * self.indentation)
            return self.indentation
        if not self.group.breakables:
            self.printer.group_queue.remove(self.group)
        stream.write(self.sep)
        return output_width + self.width


class _Group:
    __slots__ = ("depth", "breakables", "want_break")

    def __init__(self, depth: int):
        self.depth, self.breakables, self.want_break = depth, collections.deque(), False


class _GroupQueue:
    """Open groups by depth: the outermost group with break points is broken first."""

    def __init__(self, *groups):
        self.queue: list[list[_Group]] = []
        for group in groups:
            self.enq(group)

    def enq(self, group: _Group) -> None:
        while group.depth >= len(self.queue):
            self.queue.append([])
        self.queue[group.depth].append(group)

    def deq(self) -> _Group | None:
        for stack in self.queue:
            for idx, group in enumerate(reversed(stack)):
                if group.breakables:
                    del stack[len(stack) - 1 - idx]
                    group.want_break = True
                    return group
            for group in stack:
                group.want_break = True
            del stack[:]
        return None

    def remove(self, group: _Group) -> None:
        try:
            self.queue[group.depth].remove(group)
        except (IndexError, ValueError):
            pass


class PrettyPrinter:
    """What `_repr_pretty_(p, cycle)` receives (IPython.lib.pretty.PrettyPrinter's API)."""

    def __init__(self, output, max_width: int = MAX_WIDTH, newline: str = "\n",
                 max_seq_length: int = MAX_SEQ_LENGTH):
        self.output, self.max_width, self.newline = output, max_width, newline
        self.max_seq_length = max_seq_length
        self.output_width = self.buffer_width = self.indentation = 0
        self.buffer: collections.deque = collections.deque()
        root = _Group(0)
        self.group_stack = [root]
        self.group_queue = _GroupQueue(root)
        self.stack: list[int] = []  # ids of the objects being printed, for cycles
        self.float_format: str | None = None  # %precision: a % format for floats (None: repr)

    # -- the layout primitives ------------------------------------------------------------------
    def _break_outer_groups(self) -> None:
        while self.max_width < self.output_width + self.buffer_width:
            group = self.group_queue.deq()
            if group is None:
                return
            self._break_one_group(group)

    def _break_one_group(self, group: _Group) -> None:
        while group.breakables:
            item = self.buffer.popleft()
            self.output_width = item.output(self.output, self.output_width)
            self.buffer_width -= item.width
        while self.buffer and isinstance(self.buffer[0], _Text):
            item = self.buffer.popleft()
            self.output_width = item.output(self.output, self.output_width)
            self.buffer_width -= item.width

    def text(self, obj: str) -> None:
        """Add text that is never broken."""
        width = len(obj)
        if self.buffer:
            text = self.buffer[-1]
            if not isinstance(text, _Text):
                text = _Text()
                self.buffer.append(text)
            text.parts.append(obj)
            text.width += width
            self.buffer_width += width
            self._break_outer_groups()
        else:
            self.output.write(obj)
            self.output_width += width

    def breakable(self, sep: str = " ") -> None:
        """A place where a line may break; `sep` is written when it does not."""
        group = self.group_stack[-1]
        if group.want_break:
            self.flush()
            self.output.write(self.newline + " " * self.indentation)
            self.output_width, self.buffer_width = self.indentation, 0
        else:
            self.buffer.append(_Breakable(sep, self))
            self.buffer_width += len(sep)
            self._break_outer_groups()

    def break_(self) -> None:
        """A forced line break."""
        group = self.group_queue.deq()
        if group is not None:
            self._break_one_group(group)
        self.flush()
        self.output.write(self.newline + " " * self.indentation)
        self.output_width, self.buffer_width = self.indentation, 0

    def begin_group(self, indent: int = 0, open: str = "") -> None:
        if open:
            self.text(open)
        group = _Group(self.group_stack[-1].depth + 1)
        self.group_stack.append(group)
        self.group_queue.enq(group)
        self.indentation += indent

    def end_group(self, dedent: int = 0, close: str = "") -> None:
        self.indentation -= dedent
        group = self.group_stack.pop()
        if not group.breakables:
            self.group_queue.remove(group)
        if close:
            self.text(close)

    @contextmanager
    def group(self, indent: int = 0, open: str = "", close: str = ""):
        self.begin_group(indent, open)
        try:
            yield
        finally:
            self.end_group(indent, close)

    @contextmanager
    def indent(self, indent: int):
        self.indentation += indent
        try:
            yield
        finally:
            self.indentation -= indent

    def flush(self) -> None:
        for item in self.buffer:
            self.output_width += item.output(self.output, self.output_width)
        self.buffer.clear()
        self.buffer_width = 0

    def _enumerate(self, seq):
        """Items of `seq`, then ',...' once max_seq_length of them have been printed."""
        for idx, x in enumerate(seq):
            if self.max_seq_length and idx >= self.max_seq_length:
                self.text(",")
                self.breakable()
                self.text("...")
                return
            yield idx, x

    # -- objects ----------------------------------------------------------------------------------
    def pretty(self, obj) -> None:
        if self.float_format is not None and type(obj) is float:
            return self.text(self.float_format % obj)
        obj_id = id(obj)
        cycle = obj_id in self.stack
        self.stack.append(obj_id)
        self.begin_group()
        try:
            for cls in _mro(obj):
                printer = _PRINTERS.get(cls)
                if printer is not None:
                    return printer(obj, self, cycle)
                # Only a method defined by this class in the MRO: a subclass's own __repr__
                # wins over a base's _repr_pretty_, as in IPython.
                meth = cls.__dict__.get("_repr_pretty_")
                if callable(meth):
                    return obj._repr_pretty_(self, cycle)
                if cls is not object and callable(cls.__dict__.get("__repr__")):
                    return _repr_printer(obj, self, cycle)
            return _repr_printer(obj, self, cycle)
        finally:
            self.end_group()
            self.stack.pop()


def _mro(obj) -> tuple:
    try:
        return type(obj).__mro__
    except Exception:
        return (object,)


def _repr_printer(obj, p: PrettyPrinter, cycle: bool) -> None:
    lines = repr(obj).splitlines() or [""]
    with p.group():
        for idx, line in enumerate(lines):
            if idx:
                p.break_()
            p.text(line)


def _keeps_repr(obj, base: type) -> bool:
    return type(obj).__repr__ is base.__repr__


def _sequence(start: str, end: str, base: type):
    def printer(obj, p: PrettyPrinter, cycle: bool) -> None:
        if not _keeps_repr(obj, base):
            return _repr_printer(obj, p, cycle)
        if cycle:
            return p.text(start + "..." + end)
        step = len(start)
        p.begin_group(step, start)
        for idx, x in p._enumerate(obj):
            if idx:
                p.text(",")
                p.breakable()
            p.pretty(x)
        if len(obj) == 1 and isinstance(obj, tuple):
            p.text(",")  # a 1-tuple
        p.end_group(step, end)
    return printer


def _set(base: type):
    def printer(obj, p: PrettyPrinter, cycle: bool) -> None:
        if not _keeps_repr(obj, base):
            return _repr_printer(obj, p, cycle)
        if not obj:
            return p.text(type(obj).__name__ + "()")
        start, end = ("{", "}") if type(obj) is set else (type(obj).__name__ + "({", "})")
        if cycle:
            return p.text(start + "..." + end)
        step = len(start)
        p.begin_group(step, start)
        items = obj
        if not (p.max_seq_length and len(obj) >= p.max_seq_length):
            try:
                items = sorted(obj)
            except Exception:
                pass
        for idx, x in p._enumerate(items):
            if idx:
                p.text(",")
                p.breakable()
            p.pretty(x)
        p.end_group(step, end)
    return printer


def _dict_items(obj, p: PrettyPrinter, keys) -> None:
    for idx, key in p._enumerate(keys):
        if idx:
            p.text(",")
            p.breakable()
        p.pretty(key)
        p.text(": ")
        p.pretty(obj[key])


def _dict(obj, p: PrettyPrinter, cycle: bool) -> None:
    if not _keeps_repr(obj, dict):
        return _repr_printer(obj, p, cycle)
    if cycle:
        return p.text("{...}")
    p.begin_group(1, "{")
    _dict_items(obj, p, obj.keys())
    p.end_group(1, "}")


def _wrapped(name: str, obj, p: PrettyPrinter, cycle: bool, inner) -> None:
    """`Name(<inner>)` for deque, OrderedDict, Counter, defaultdict."""
    if cycle:
        return p.text(name + "(...)")
    with p.group(len(name) + 1, name + "(", ")"):
        inner()


def _deque(obj, p, cycle):
    name = type(obj).__name__
    _wrapped(name, obj, p, cycle, lambda: p.pretty(list(obj)))


def _mapping_in(obj, p, open_: str, close: str, keys) -> None:
    with p.group(len(open_), open_, close):
        _dict_items(obj, p, keys)


def _ordered_dict(obj, p, cycle):
    if not obj:
        return p.text(type(obj).__name__ + "()")
    _wrapped(type(obj).__name__, obj, p, cycle, lambda: p.pretty(list(obj.items())))


def _counter(obj, p, cycle):
    if not obj:
        return p.text(type(obj).__name__ + "()")
    keys = [k for k, _ in obj.most_common()]
    _wrapped(type(obj).__name__, obj, p, cycle, lambda: _mapping_in(obj, p, "{", "}", keys))


def _defaultdict(obj, p, cycle):
    def inner():
        factory = obj.default_factory
        if isinstance(factory, type):  # IPython writes a class as its name: defaultdict(list, ...)
            module = getattr(factory, "__module__", None)
            name = getattr(factory, "__qualname__", factory.__name__)
            p.text(name if module in (None, "builtins", "__builtin__") else f"{module}.{name}")
        else:
            p.pretty(factory)
        p.text(",")
        p.breakable()
        _mapping_in(obj, p, "{", "}", obj.keys())
    _wrapped(type(obj).__name__, obj, p, cycle, inner)


_PRINTERS = {
    list: _sequence("[", "]", list),
    tuple: _sequence("(", ")", tuple),
    dict: _dict,
    set: _set(set),
    frozenset: _set(frozenset),
    collections.deque: _deque,
    collections.OrderedDict: _ordered_dict,
    collections.Counter: _counter,
    collections.defaultdict: _defaultdict,
}
CONTAINERS = tuple(_PRINTERS)


def pretty(obj, max_width: int = MAX_WIDTH, max_seq_length: int = MAX_SEQ_LENGTH,
           float_format: str | None = None) -> str:
    stream = io.StringIO()
    printer = PrettyPrinter(stream, max_width, "\n", max_seq_length)
    printer.float_format = float_format
    printer.pretty(obj)
    printer.flush()
    return stream.getvalue()


def has_pretty(obj) -> bool:
    """Whether `obj` needs the printer at all (a container, or a `_repr_pretty_` somewhere)."""
    try:
        return isinstance(obj, CONTAINERS) or callable(getattr(type(obj), "_repr_pretty_", None))
    except Exception:  # a metaclass whose __getattr__ raises
        return False
