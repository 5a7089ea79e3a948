"""%time / %%time and %timeit / %%timeit, with IPython's output format.

%time runs the code once and prints CPU (user, sys, total) and wall time; a trailing expression's
value is returned, so it shows as the cell's result. %timeit compiles the statement into a
function that loops over it (names resolve in the user namespace, as globals), picks the loop
count by growing it tenfold until one run takes >= 0.2 s (unless -n), runs -r repeats with the
garbage collector off (as the timeit module does) and prints mean ± std. dev. per loop.
KeyboardInterrupt stops both at once: it is raised inside the loop, as in any cell.
"""

from __future__ import annotations

import ast
import math
import os
import time

from .options import int_option, parse_options
from .registry import UsageError

AUTORANGE_TARGET = 0.2  # seconds a run must take before the loop count stops growing
DEFAULT_REPEAT = 7
COMPILE_REPORT = 0.1  # report the compile time when it exceeds this (seconds)

_TEMPLATE = """\
def inner(_it, _timer):
    pass
    _t0 = _timer()
    for _i in _it:
        pass
    _t1 = _timer()
    return _t1 - _t0
"""


def format_time(seconds: float, precision: int = 3) -> str:
    """1.5e-06 -> '1.5 µs', 75 -> '1min 15s' (the units IPython writes)."""
    if seconds >= 60.0:
        parts, left = [], seconds
        for suffix, length in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
            value = int(left / length)
            if value > 0:
                left %= length
                parts.append(f"{value}{suffix}")
            if left < 1:
                break
        return " ".join(parts)
    units, scale = ("s", "ms", "\xb5s", "ns"), (1, 1e3, 1e6, 1e9)
    order = min(-int(math.floor(math.log10(seconds)) // 3), 3) if seconds > 0 else 3
    return "%.*g %s" % (precision, seconds * scale[order], units[order])


class TimeitResult:
    """What `%timeit -o` returns: all_runs (seconds per run of `loops` loops), best/worst
    (per loop), average/stdev (per loop, population std. dev.), loops, repeat, compile_time."""

    def __init__(self, loops: int, repeat: int, best: float, worst: float, all_runs: list,
                 compile_time: float, precision: int = 3):
        self.loops, self.repeat = loops, repeat
        self.best, self.worst, self.all_runs = best, worst, all_runs
        self.compile_time, self._precision = compile_time, precision
        self.timings = [run / loops for run in all_runs]

    @property
    def average(self) -> float:
        return math.fsum(self.timings) / len(self.timings)

    @property
    def stdev(self) -> float:
        mean = self.average
        return math.sqrt(math.fsum((t - mean) ** 2 for t in self.timings) / len(self.timings))

    def __str__(self) -> str:
        p = self._precision
        runs = f"{self.repeat} run{'' if self.repeat == 1 else 's'}"
        loops = f"{self.loops:,} loop{'' if self.loops == 1 else 's'}"
        return (f"{format_time(self.average, p)} \xb1 {format_time(self.stdev, p)} per loop "
                f"(mean \xb1 std. dev. of {runs}, {loops} each)")

    def __repr__(self) -> str:
        return f"<TimeitResult : {self}>"

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self))


# -- compiling ----------------------------------------------------------------------------------
def _parse(source: str, what: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as e:
        raise UsageError(f"{what} is not valid Python: {e.msg} (line {e.lineno})") from None


def register_source(ctx, source: str) -> tuple[str, str]:
    """(filename, Python source to compile) for cell text: a registered cell filename whose
    lines are the code (a cell magic's body padded to keep the cell's line numbers), with
    magic and `!cmd` lines rewritten as in a cell (preprocess.py keeps one line per line)."""
    from .preprocess import transform

    register = getattr(ctx, "register_source", None)
    filename, padded = register(source) if register is not None else ("<magic>", source)
    return filename, transform(padded)


def _timer_function(ctx, stmt: str, setup: str):
    """`inner(iterable, timer) -> seconds` running `setup` once and `stmt` once per item,
    compiled with the user namespace as its globals."""
    filename, padded = register_source(ctx, stmt)
    _, setup_python = register_source(None, setup)  # no context: only rewritten, not registered
    setup_tree = _parse(setup_python, "the setup code")
    stmt_tree = _parse(padded, "the statement")
    template = ast.parse(_TEMPLATE)
    fn = template.body[0]
    fn.body[0:1] = setup_tree.body or [ast.Pass()]
    loop = next(node for node in fn.body if isinstance(node, ast.For))
    loop.body = stmt_tree.body or [ast.Pass()]
    ast.fix_missing_locations(template)
    code = compile(template, filename, "exec", dont_inherit=True)
    scope: dict = {}
    exec(code, ctx.namespace, scope)
    return scope["inner"]


def _run(inner, number: int, timer) -> float:
    import gc
    import itertools

    enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection must not land in one run and not another
    try:
        return inner(itertools.repeat(None, number), timer)
    finally:
        if enabled:
            gc.enable()


# -- %timeit -------------------------------------------------------------------------------------
def timeit(ctx, line: str, cell: str | None = None):
    """Time a statement: %timeit [-n N] [-r R] [-p P] [-o] [-q] [-t|-c] statement

    %%timeit [options] [setup code]  (cell: the statement; the rest of the first line: setup)
    -n N  loops per run (default: grown tenfold until a run takes at least 0.2 s)
    -r R  runs (default 7); the result is mean ± std. dev. over the runs
    -p P  significant digits shown (default 3)
    -o    return a TimeitResult (.best .worst .all_runs .average .stdev .loops .repeat)
    -q    print nothing
    -t / -c  time with time.time / time.process_time instead of time.perf_counter
    """
    opts, code = parse_options(line, "n:r:p:tcqo", strict=False)
    setup, stmt = (code, cell) if cell is not None else ("", code)
    if not stmt.strip():
        raise UsageError("%timeit needs a statement to time: %timeit [-n N] [-r R] [-o] [-q] statement")
    number = int_option(opts, "n", 0, minimum=1) if "n" in opts else 0
    repeat = int_option(opts, "r", DEFAULT_REPEAT, minimum=1)
    precision = int_option(opts, "p", 3, minimum=1)
    timer = time.time if "t" in opts else time.process_time if "c" in opts else time.perf_counter
    started = time.perf_counter()
    inner = _timer_function(ctx, stmt, setup)
    compile_time = time.perf_counter() - started
    if number == 0:
        for exponent in range(10):
            number = 10 ** exponent
            if _run(inner, number, timer) >= AUTORANGE_TARGET:
                break
    all_runs = [_run(inner, number, timer) for _ in range(repeat)]
    best, worst = min(all_runs) / number, max(all_runs) / number
    result = TimeitResult(number, repeat, best, worst, all_runs, compile_time, precision)
    if "q" not in opts:
        if worst > 4 * best and best > 0 and worst > 1e-6:
            print(f"The slowest run took {worst / best:0.2f} times longer than the fastest. "
                  "This could mean that an intermediate result is being cached.")
        print(result)
        if compile_time > COMPILE_REPORT:
            print(f"Compiler time: {compile_time:.2f} s")
    return result if "o" in opts else None


# -- %time ---------------------------------------------------------------------------------------
def _cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process: getrusage has microseconds where os.times
    (all Windows has) counts clock ticks of 10 ms."""
    try:
        import resource
    except ImportError:
        t = os.times()
        return t.user, t.system
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _evaluate(code, ns: dict):
    """eval() the code; code that awaits runs on a private loop (the kernel's loop is blocked by
    this plain cell; hooks.nested_event_loops lets a private one run), as MagicContext.exec does."""
    from ..transform import is_coroutine_code

    if not is_coroutine_code(code):
        return eval(code, ns)
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(eval(code, ns))
    finally:
        loop.close()


def time_(ctx, line: str, cell: str | None = None):
    """Time one run of a statement or expression: %time statement, or %%time over a cell.

    Prints CPU times (user, sys, total) and wall time. If the code ends with an expression, its
    value is returned (and shown as the result)."""
    if cell is not None and line.strip():
        raise UsageError("%%time takes no arguments: the code goes in the cell below it")
    source = cell if cell is not None else line
    started = time.perf_counter()
    filename, padded = register_source(ctx, source)
    tree = _parse(padded, "the code to time")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # `%time await something()` works, as in a cell
    body = compile(tree, filename, "exec", flags, dont_inherit=True)
    expr = compile(ast.Expression(last.value), filename, "eval", flags, dont_inherit=True) if last else None
    compile_time = time.perf_counter() - started
    ns = ctx.namespace
    user0, sys0 = _cpu()
    wall0 = time.perf_counter()
    _evaluate(body, ns)
    value = _evaluate(expr, ns) if expr is not None else None
    wall = time.perf_counter() - wall0
    user1, sys1 = _cpu()
    user, system = user1 - user0, sys1 - sys0
    print(f"CPU times: user {format_time(user)}, sys: {format_time(system)}, "
          f"total: {format_time(user + system)}")
    print(f"Wall time: {format_time(wall)}")
    if compile_time > COMPILE_REPORT:
        print(f"Compiler : {format_time(compile_time)}")
    return value


def register(registry) -> None:
    # No $var / {expr} expansion: the argument is Python code ({} is a dict there).
    registry.add_line("time", time_, interpolate=False)
    registry.add_cell("time", time_, interpolate=False)
    registry.add_line("timeit", timeit, interpolate=False)
    registry.add_cell("timeit", timeit, interpolate=False)
