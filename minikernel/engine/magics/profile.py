"""%prun / %%prun: run code under cProfile and show the pstats table (sorted by internal time).

The table goes to the pager (payload "page", as IPython does; JupyterLab shows it below the cell);
`-q` shows nothing, `-r` returns the pstats.Stats, `-T file` / `-D file` save the text / the
binary stats.
"""

from __future__ import annotations

import io

from .options import parse_options
from .registry import UsageError
from .timing import register_source

SORT_KEYS = ("calls", "cumulative", "cumtime", "file", "filename", "module", "ncalls", "pcalls",
             "line", "name", "nfl", "stdname", "time", "tottime")


def _limits(values: list[str]) -> list:
    """-l values: an int (that many lines), a float (that fraction), else a regex on the lines."""
    out: list = []
    for value in values:
        for kind in (int, float):
            try:
                out.append(kind(value))
                break
            except ValueError:
                continue
        else:
            out.append(value)
    return out


def prun(ctx, line: str, cell: str | None = None):
    """Profile a statement with cProfile: %prun [-s KEY]... [-l LIMIT]... [-q] [-r] [-T FILE]
    [-D FILE] statement   (or %%prun [options] over a cell)

    -s KEY    sort by KEY (repeatable; default: time, i.e. internal time), e.g. cumulative, calls
    -l LIMIT  print only LIMIT lines (int), a fraction (float) or lines matching a regex
    -q        print nothing;  -r  return the pstats.Stats object
    -T FILE   also write the table to FILE;  -D FILE  dump the binary stats to FILE"""
    opts, code = parse_options(line, "s:l:qrT:D:", strict=cell is not None)
    if cell is not None:
        if code:
            raise UsageError("%%prun takes only options on its line: the code goes in the cell")
        code = cell
    if not code.strip():
        raise UsageError("%prun needs a statement: %prun [-s KEY] [-l LIMIT] [-q] [-r] statement")
    keys = opts.get("s", ["time"])
    bad = [k for k in keys if k not in SORT_KEYS]
    if bad:
        raise UsageError(f"%prun -s: unknown sort key {bad[0]!r} (use one of {', '.join(SORT_KEYS)})")
    filename, padded = register_source(ctx, code)
    try:
        compiled = compile(padded, filename, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise UsageError(f"%prun: the statement is not valid Python: {e.msg} (line {e.lineno})") from None

    import cProfile
    import pstats

    profiler = cProfile.Profile()
    try:
        profiler.runctx(compiled, ctx.namespace, ctx.namespace)
    except SystemExit:
        pass  # as IPython: a sys.exit() in profiled code ends the profile, not the cell
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats(*keys).print_stats(*_limits(opts.get("l", [])))
    text = stream.getvalue().rstrip()
    if "q" not in opts:
        ctx.page(text)
    if "T" in opts:
        with open(opts["T"][-1], "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"*** Profile printout saved to text file {opts['T'][-1]!r}.")
    if "D" in opts:
        stats.dump_stats(opts["D"][-1])
        print(f"*** Profile stats marshalled to file {opts['D'][-1]!r}.")
    return stats if "r" in opts else None


def register(registry) -> None:
    registry.add_line("prun", prun, interpolate=False)  # Python code: {} is a dict, not {expr}
    registry.add_cell("prun", prun, interpolate=False)
