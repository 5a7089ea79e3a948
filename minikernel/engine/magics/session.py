"""Session magics: %history, %load_ext / %unload_ext / %reload_ext, %lsmagic, %magic,
%autoawait, %clear, %pip. (%matplotlib, %config, %xmode, %precision: settings.py, registered here.)

Extensions: a module with `load_minikernel_extension(ctx)` (ctx: the MagicContext, so
`ctx.registry.add_line(...)` adds magics) and optionally `unload_minikernel_extension(ctx)`;
failing that, IPython's `load_ipython_extension(ip)` / `unload_ipython_extension(ip)` get the
get_ipython() shim (engine/ipython_compat.py).
"""

from __future__ import annotations

import re
import sys

from .registry import UsageError

RANGE = re.compile(r"(?:(?P<sess>~?\d+)/)?(?P<start>\d+)?(?:(?P<sep>[-:])(?P<end>\d*))?")
HISTORY_USAGE = "usage: %history [-n] [-o] [-p] [-t] [-u] [-f FILE] [-g [PATTERN]] [-l [N]] [RANGES]"


# -- history -------------------------------------------------------------------------------------
def _parse_range(text: str) -> tuple[int, int, int | None]:
    """"4" "4-6" (inclusive) "4:6" (6 excluded) "4-" "~2/4" (2 sessions ago) "3/1-5" "~1/"
    -> (session, start, stop) for HistoryStore.range (session 0: this one, <0: relative)."""
    m = RANGE.fullmatch(text)
    if m is None or not (m.group("start") or m.group("sess")):
        raise UsageError(f"%history: bad range {text!r} (e.g. 4, 4-6, 4:6, ~1/2-5, ~1/)")
    sess = m.group("sess") or "0"
    session = -int(sess[1:]) if sess.startswith("~") else int(sess)
    if not m.group("start"):
        return session, 1, None
    start, end = int(m.group("start")), m.group("end")
    if not m.group("sep"):
        return session, start, start + 1
    if not end:
        return session, start, None
    return session, start, int(end) + 1 if m.group("sep") == "-" else int(end)


def history_entries(ctx, ranges: list[str], raw: bool = True, output: bool = False) -> list:
    """(session, line, source) entries (source: (source, output) with output=True) of `ranges`
    (all of this session when empty), from the history store, or from In without one."""
    store = ctx.history
    wanted = [_parse_range(r) for r in ranges] or [(0, 1, None)]
    out = []
    for session, start, stop in wanted:
        if store is not None:
            out += store.range(session, start, stop, raw=raw, output=output)
            continue
        if session != 0:
            continue
        inputs = ctx.namespace.get("In", [])
        for n in range(start, len(inputs) if stop is None else min(stop, len(inputs))):
            out.append((0, n, (inputs[n], None) if output else inputs[n]))
    return out


def _history_args(line: str) -> dict:
    """argparse-like: flags, -f FILE, -g [PATTERN ...], -l [N], ranges."""
    args = {"flags": set(), "file": None, "pattern": None, "limit": None, "ranges": []}
    tokens, i = line.split(), 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok in ("-f", "-g", "-l"):
            if tok == "-f":
                if i >= len(tokens):
                    raise UsageError("%history -f needs a file name")
                args["file"], i = tokens[i], i + 1
            elif tok == "-g":
                words = []
                while i < len(tokens) and not tokens[i].startswith("-"):
                    words.append(tokens[i])
                    i += 1
                args["pattern"] = " ".join(words)
            else:
                args["limit"] = 10
                if i < len(tokens) and tokens[i].isdigit():
                    args["limit"], i = int(tokens[i]), i + 1
        elif re.fullmatch(r"-[noptru]+", tok):
            args["flags"].update(tok[1:])
        elif tok.startswith("-") and not tok[1:2].isdigit():
            raise UsageError(f"%history: unknown option {tok!r}; {HISTORY_USAGE}")
        else:
            args["ranges"].append(tok)
    return args


def history(ctx, line: str) -> None:
    """Print input history: %history [-n] [-o] [-p] [-t] [-u] [-f FILE] [-g [PATTERN]] [-l [N]] [RANGES]

    RANGES: 4  4-6 (inclusive)  4:6 (6 excluded)  4-  ~1/ (the previous session)  ~2/3-5
    -n  line numbers (S/N for other sessions);  -o  also the outputs;  -p  >>> prompts
    -g  search all sessions for *PATTERN* (glob; numbers shown);  -u  unique matches only
    -l  the last N entries of all sessions (default 10);  -f  write to FILE instead"""
    args = _history_args(line)
    flags, store = args["flags"], ctx.history
    raw, output = "t" not in flags, "o" in flags
    numbers = "n" in flags
    if args["pattern"] is not None:
        if store is None:
            raise UsageError("%history -g needs the kernel's history store (history is disabled)")
        entries = store.search(f"*{args['pattern']}*" if args["pattern"] else "*", n=args["limit"],
                               unique="u" in flags, raw=raw, output=output)
        numbers = True
    elif args["limit"] is not None and not args["ranges"]:
        if store is None:
            raise UsageError("%history -l needs the kernel's history store (history is disabled)")
        entries = store.tail(args["limit"], raw=raw, output=output)
    else:
        entries = history_entries(ctx, args["ranges"], raw, output)
    current = store.session if store is not None else 0
    lines = []
    for session, number, source in entries:
        text, result = source if output else (source, None)
        text = (text or "").expandtabs(4).rstrip()
        multiline = "\n" in text
        if numbers:
            label = str(number) if session in (0, current) else f"{session}/{number}"
            lines.append(f"{label:>4}:" + ("\n" if multiline else " "))
        if "p" in flags:
            text = ">>> " + ("\n... ".join(text.splitlines()) + "\n..." if multiline else text)
        lines.append(text + "\n")
        if output and result:
            lines.append(result + "\n")
    text = "".join(lines)
    if args["file"]:
        import os

        with open(os.path.expanduser(args["file"]), "w", encoding="utf-8") as f:
            f.write(text)
        return
    sys.stdout.write(text)


# -- extensions ----------------------------------------------------------------------------------
def _loaded(ctx) -> set:
    return ctx.executor.extensions


def _shell():
    import builtins

    get_ipython = getattr(builtins, "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _call_hook(ctx, module, action: str) -> bool:
    """Call the module's minikernel hook (with ctx) or IPython hook (with the shim)."""
    ours = getattr(module, f"{action}_minikernel_extension", None)
    if callable(ours):
        ours(ctx)
        return True
    theirs = getattr(module, f"{action}_ipython_extension", None)
    if callable(theirs):
        shell = _shell()
        if shell is None:
            raise UsageError(f"{module.__name__} is an IPython extension, and get_ipython() is not available")
        theirs(shell)
        return True
    return False


IPYTHON_ONLY = ("autoreload", "storemagic")  # IPython.extensions.*: they need IPython's own shell


def _import(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if name in IPYTHON_ONLY:
            raise UsageError(f"{name} is one of IPython's own extensions (IPython.extensions.{name}): "
                             "it needs IPython's shell, and minikernel does not provide it") from None
        if e.name and name.startswith(e.name):
            raise UsageError(f"No module named {e.name!r}") from None
        raise


def load_ext(ctx, line: str) -> None:
    """Load an extension: %load_ext module   (its load_minikernel_extension(ctx) is called, or
    IPython's load_ipython_extension(get_ipython()))"""
    name = line.strip()
    if not name:
        raise UsageError("usage: %load_ext module")
    if name in _loaded(ctx):
        print(f"The {name} extension is already loaded. To reload it, use:\n  %reload_ext {name}")
        return
    module = _import(name)
    if not _call_hook(ctx, module, "load"):
        raise UsageError(f"The {name} module is not an extension: it has no "
                         "load_minikernel_extension(ctx) or load_ipython_extension(ip)")
    _loaded(ctx).add(name)


def unload_ext(ctx, line: str) -> None:
    """Unload an extension: %unload_ext module (calls its unload_*_extension, if it has one)"""
    name = line.strip()
    if not name:
        raise UsageError("usage: %unload_ext module")
    if name not in _loaded(ctx):
        print(f"The {name} extension is not loaded.")
        return
    if not _call_hook(ctx, sys.modules[name], "unload"):
        print(f"The {name} extension doesn't define how to unload it.")
        return
    _loaded(ctx).discard(name)


def reload_ext(ctx, line: str) -> None:
    """Reload an extension: %reload_ext module (unload, re-import, load)"""
    import importlib

    name = line.strip()
    if not name:
        raise UsageError("usage: %reload_ext module")
    if name in _loaded(ctx):
        _call_hook(ctx, sys.modules[name], "unload")
        _loaded(ctx).discard(name)
        importlib.reload(sys.modules[name])
    load_ext(ctx, name)


# -- listing magics ------------------------------------------------------------------------------
def lsmagic(ctx, line: str) -> None:
    """List the available line and cell magics."""
    registry = ctx.registry
    print("Available line magics:")
    print("  ".join("%" + n for n in registry.names("line")))
    print()
    print("Available cell magics:")
    print("  ".join("%%" + n for n in registry.names("cell")))
    print()
    print("Automagic is OFF: the % prefix IS needed for line magics.")


def magic(ctx, line: str) -> None:
    """Short help for every magic (in the pager); `name?` shows one magic's full help."""
    parts = ["minikernel magics (% line magics, %% cell magics; `%name?` for full help)\n"]
    for m in ctx.registry.magics():
        prefix = "%" if m.kind == "line" else "%%"
        doc = m.doc.split("\n\n")[0].strip() or "(no help)"
        parts.append(f"{prefix}{m.name}:\n    " + doc.replace("\n", "\n    ") + "\n")
    ctx.page("\n".join(parts))


# -- small ones ----------------------------------------------------------------------------------
def autoawait(ctx, line: str) -> None:
    """Top-level `await` in cells: always on in minikernel, on the kernel's asyncio loop.
    %autoawait shows this; %autoawait True / asyncio is accepted; False cannot be honoured."""
    arg = line.strip().lower()
    if not arg:
        print("autoawait is on, using asyncio (minikernel always runs top-level await on the "
              "kernel's asyncio loop)")
    elif arg in ("true", "1", "on", "asyncio"):
        return
    elif arg in ("false", "0", "off"):
        print("minikernel cannot turn autoawait off: top-level await always runs on the kernel's "
              "asyncio loop", file=sys.stderr)
    else:
        raise UsageError(f"%autoawait {line.strip()}: minikernel runs top-level await with asyncio only "
                         "(use True, False or asyncio)")


def clear(ctx, line: str) -> None:
    """Clear this cell's output (clear_output)."""
    ctx.clear_output()


def pip(ctx, line: str) -> int | None:
    """Run pip in the kernel's own environment: %pip install package  (sys.executable -m pip ...)"""
    import shlex

    status = ctx.system(f"{shlex.quote(sys.executable)} -m pip {line}".rstrip())
    words = line.split()
    if status == 0 and words and words[0] in ("install", "uninstall"):
        import importlib

        importlib.invalidate_caches()  # new packages must be importable in the next cell
        print("Note: you may need to restart the kernel to use updated packages.")
    return None


def register(registry) -> None:
    from . import settings

    registry.add_line("history", history)
    registry.add_line("hist", history)
    registry.add_line("load_ext", load_ext)
    registry.add_line("unload_ext", unload_ext)
    registry.add_line("reload_ext", reload_ext)
    registry.add_line("lsmagic", lsmagic)
    registry.add_line("magic", magic)
    registry.add_line("autoawait", autoawait)
    registry.add_line("clear", clear)
    registry.add_line("pip", pip)
    settings.register(registry)
