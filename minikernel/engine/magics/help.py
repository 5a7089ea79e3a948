"""`obj?`, `?obj`, `obj??`: help as a pager payload, from the same machinery as inspect_request
(engine/inspection.py: signature, docstring, file, type; `??` adds the source). `%name?` shows a
magic's documentation. Names are resolved without running user code (engine/lookup.py)."""

from __future__ import annotations

from ..inspection import describe, markdown, plain
from ..lookup import NotFound, lookup


def show_help(ctx, target: str, detail: int = 0) -> None:
    if not target:
        ctx.page(_INTRO)
        return
    if target.startswith("%"):
        _magic_help(ctx, target, detail)
        return
    namespace = ctx.namespace if ctx.local_ns is None else {**ctx.namespace, **ctx.local_ns}
    try:
        obj = lookup(target, namespace)
    except NotFound:
        print(f"Object `{target}` not found.")
        return
    sections = describe(obj, target, detail)
    ctx.page({"text/plain": plain(sections), "text/markdown": markdown(sections)})


def _magic_help(ctx, target: str, detail: int) -> None:
    name = target.lstrip("%")
    kinds = ("cell",) if target.startswith("%%") else ("line", "cell")
    found = [m for m in (ctx.registry.find(name, kind) for kind in kinds) if m is not None]
    if not found:
        print(f"Object `{target}` not found. Run %lsmagic to list the magics available.")
        return
    sections = []
    for magic in found:
        prefix = "%" if magic.kind == "line" else "%%"
        sections.append((f"{magic.kind.capitalize()} magic", f"{prefix}{name}", "line"))
        sections.append(("Docstring", magic.doc or "<no docstring>", "text"))
        if detail:
            import inspect

            try:
                sections.append(("Source", inspect.getsource(magic.fn).rstrip("\n"), "python"))
            except (OSError, TypeError):
                pass
    ctx.page({"text/plain": plain(sections), "text/markdown": markdown(sections)})


_INTRO = """minikernel: Python with a few conveniences, as in IPython.

  obj?, ?obj     help on obj (signature, docstring, file, type)
  obj??          the same, with the source
  %magic args    a line magic; %%magic args (first line) a cell magic; %lsmagic lists them
  !cmd           run cmd in the shell ($var and {expression} are expanded); x = !cmd keeps its lines
"""
