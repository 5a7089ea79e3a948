"""%run (a script or module, as `python script.py args` would) and %load (code into the next cell).

%run: the script runs in a fresh namespace with `__name__ == "__main__"` (also installed as
sys.modules["__main__"] while it runs, so pickle and multiprocessing find its classes), with
sys.argv = [script, args...] and its directory first on sys.path; all three are put back after.
Its variables are then merged into the user namespace. Tracebacks show the script's own file
and lines (it is compiled under its real path). A notebook (.ipynb) runs its code cells in order.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import sys
import types

from .options import parse_options
from .registry import UsageError

DUNDER = re.compile(r"__\w+__")
LOAD_LIMIT = 10_000_000  # characters: %load refuses bigger sources (the frontend would choke)


def _find_script(name: str) -> str:
    path = os.path.expanduser(name)
    for candidate in (path, path + ".py"):
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    raise UsageError(f"File {name!r} not found.")


def _read_source(path: str) -> str:
    import tokenize

    try:
        with tokenize.open(path) as f:  # honours a coding cookie, as python does
            return f.read()
    except (OSError, SyntaxError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None


class _ScriptEnvironment:
    """sys.argv, sys.path[0] and sys.modules["__main__"] for the script, put back on exit."""

    def __init__(self, argv: list[str], directory: str | None, main_module):
        self.argv, self.directory, self.main_module = argv, directory, main_module

    def __enter__(self):
        self.saved = (sys.argv, list(sys.path), sys.modules.get("__main__"))
        sys.argv = self.argv
        if self.directory is not None:
            sys.path.insert(0, self.directory)
        if self.main_module is not None:
            sys.modules["__main__"] = self.main_module
        return self

    def __exit__(self, *exc) -> None:
        argv, path, main = self.saved
        sys.argv = argv
        sys.path[:] = path
        if main is not None:
            sys.modules["__main__"] = main
        return None


def _exit_is_clean(e: SystemExit) -> bool:
    return e.code is None or e.code == 0


def run(ctx, line: str) -> None:
    """Run a Python script: %run [-i] [-n] script.py [args ...]   or   %run -m module [args ...]

    -i  run in the user namespace (the script sees and changes your variables)
    -n  do not set __name__ to "__main__"
    -m  run a module found on sys.path (as python -m)
    Without -i the script gets a fresh namespace; its variables are copied into yours afterwards.
    sys.exit(0) in the script ends it quietly. A .ipynb file runs its code cells in order."""
    opts, rest = parse_options(line, "inm:")
    try:
        args = shlex.split(rest, posix=os.name != "nt")
    except ValueError as e:
        raise UsageError(f"%run: {e}") from None
    if "m" in opts:
        return _run_module(ctx, opts["m"][-1], args)
    if not args:
        raise UsageError("usage: %run [-i] [-n] script.py [args ...]  or  %run -m module [args ...]")
    path = _find_script(args[0])
    codes = _notebook_codes(path) if path.endswith(".ipynb") else [
        compile(_read_source(path), path, "exec", dont_inherit=True)]  # SyntaxError names the file
    ns = ctx.namespace
    # -n: the script is not __main__ (its `if __name__ == "__main__":` block does not run)
    name = os.path.splitext(os.path.basename(path))[0] if "n" in opts else "__main__"
    if "i" in opts:
        module, script_ns = None, ns
        saved = {k: ns[k] for k in ("__file__", "__name__") if k in ns}  # put back afterwards
    else:
        module = types.ModuleType(name)
        script_ns = module.__dict__
        script_ns["__builtins__"] = ns.get("__builtins__", __builtins__)
        saved = {}
    script_ns["__file__"], script_ns["__name__"] = path, name
    main = module if name == "__main__" else None
    try:
        with _ScriptEnvironment([path, *args[1:]], os.path.dirname(path), main):
            try:
                for code in codes:
                    exec(code, script_ns)
            except SystemExit as e:
                if not _exit_is_clean(e):
                    raise
    finally:
        if "i" in opts:
            ns.pop("__file__", None)
            ns.update(saved)
        else:
            ns.update({k: v for k, v in script_ns.items() if not DUNDER.fullmatch(k)})


def _notebook_codes(path: str) -> list:
    """The code cells of a notebook, compiled one by one (magic and `!cmd` lines work, as in
    cells), each under the name "PATH:cellN" whose lines linecache knows, for tracebacks."""
    import json
    import linecache

    from .preprocess import transform

    try:
        with open(path, encoding="utf-8") as f:
            cells = json.load(f)["cells"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"%run: {path} is not a readable notebook: {e}") from None
    codes = []
    for n, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        name = f"{path}:cell{n}"
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        codes.append(compile(transform(source), name, "exec", dont_inherit=True))
    return codes


def _run_module(ctx, module: str, args: list[str]) -> None:
    import runpy

    try:
        with _ScriptEnvironment([module, *args], None, None):
            try:
                result = runpy.run_module(module, run_name="__main__", alter_sys=True)
            except SystemExit as e:
                if not _exit_is_clean(e):
                    raise
                return
    except ImportError as e:
        raise UsageError(f"%run -m: {e}") from None
    ctx.namespace.update({k: v for k, v in result.items() if not DUNDER.fullmatch(k)})


# -- %load ---------------------------------------------------------------------------------------
def _line_ranges(spec: str, count: int) -> list[int]:
    """"1-3 5 7:9 10-" -> 0-based line indexes (x-y inclusive, x:y excludes y, blank ends open)."""
    out: list[int] = []
    for part in spec.replace(",", " ").split():
        m = re.fullmatch(r"(\d*)([-:]?)(\d*)", part)
        if not m or not (m.group(1) or m.group(3)):
            raise UsageError(f"%load -r: bad line range {part!r} (use e.g. 1-3 5 7:9)")
        first = int(m.group(1) or 1)
        if not m.group(2):
            last = first
        else:
            last = int(m.group(3)) if m.group(3) else count
            last -= m.group(2) == ":" and bool(m.group(3))
        out.extend(range(first - 1, min(last, count)))
    return out


def _symbols(source: str, names: str) -> str:
    """The source of top-level functions/classes (or Class.method) named in `names`."""
    tree = ast.parse(source)
    found = []
    for name in names.split(","):
        parts, nodes, node = name.strip().split("."), tree.body, None
        for part in parts:
            node = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                             ast.ClassDef)) and n.name == part), None)
            if node is None:
                break
            nodes = node.body
        if node is None:
            raise UsageError(f"%load -s: {name.strip()!r} not found")
        found.append(ast.get_source_segment(source, node, padded=True) or "")
    return "\n\n".join(found)


def _history_source(ctx, spec: str) -> str | None:
    if not re.fullmatch(r"[\d\s:\-/~]+", spec):
        return None
    from .session import history_entries

    return "\n".join(source for _, _, source in history_entries(ctx, spec.split()))


def _source_of(ctx, target: str) -> str:
    if re.match(r"https?://", target):
        import urllib.request

        try:
            with urllib.request.urlopen(target, timeout=30) as response:
                charset = response.headers.get_content_charset() or "utf-8"
                return response.read(LOAD_LIMIT + 1).decode(charset, "replace")
        except OSError as e:
            raise UsageError(f"%load: cannot fetch {target}: {e}") from None
    path = os.path.expanduser(target)
    if os.path.isfile(path):
        return _read_source(path)
    history = _history_source(ctx, target)
    if history is not None:
        return history
    if target.isidentifier() or re.fullmatch(r"[\w.]+", target):
        return _object_source(ctx, target)
    raise UsageError(f"%load: {target!r} is not a file, URL, history range or object")


def _object_source(ctx, target: str) -> str:
    import inspect

    head, *attrs = target.split(".")
    if head not in ctx.namespace:
        raise UsageError(f"%load: {target!r} is not a file, URL, history range or name")
    obj = ctx.namespace[head]
    try:
        for attr in attrs:
            obj = getattr(obj, attr)
        return inspect.getsource(obj)
    except (AttributeError, OSError, TypeError) as e:
        raise UsageError(f"%load: no source for {target!r}: {e}") from None


def load(ctx, line: str) -> None:
    """Load code into the current cell (replacing it, to run it next):
    %load [-r RANGES] [-s SYMBOLS] source

    source: a file, an http(s) URL, a history range (as %history) or an object in the namespace
    -r  only these lines: 1-3 (inclusive), 5, 7:9 (9 excluded), 10- (to the end)
    -s  only these functions/classes (comma separated; Class.method works)"""
    opts, target = parse_options(line, "r:s:y")
    if not target:
        raise UsageError("usage: %load [-r RANGES] [-s SYMBOLS] file | url | history range | object")
    source = _source_of(ctx, target)
    if len(source) > LOAD_LIMIT:
        raise UsageError(f"%load: {target!r} is larger than {LOAD_LIMIT:,} characters")
    if "s" in opts:
        try:
            source = _symbols(source, opts["s"][-1])
        except SyntaxError as e:
            raise UsageError(f"%load -s: the source does not parse: {e}") from None
    if "r" in opts:
        lines = source.splitlines()
        source = "\n".join(lines[i] for i in _line_ranges(opts["r"][-1], len(lines)))
    ctx.set_next_input(f"# %load {line.strip()}\n{source.rstrip()}\n", replace=True)


def register(registry) -> None:
    registry.add_line("run", run)
    registry.add_line("load", load)
