"""inspect_request: help for the name at the cursor as a mimebundle (text/plain + text/markdown).

The name is resolved with lookup.lookup (getattr_static; no properties, no __getattr__, no calls).
detail_level 0: signature and docstring; 1: also the source. Shown values come from repr(),
guarded and cut short. Functions from earlier cells have their source in linecache under the
cell's synthetic filename, so inspect.getsource finds it.
"""

from __future__ import annotations

import inspect
import re

from .context import DOTTED, RECEIVER, scan
from .lookup import NotFound, kind, lookup, signature

MAX_VALUE = 500  # characters of repr() shown
_DOTTED_NAME = re.compile(DOTTED)
_SIGNATURE_LINE = re.compile(r"^[\w.]+(\(.*\).*)$")
_LABEL_WIDTH = 16


def name_at(code: str, cursor: int) -> str:
    """The dotted name under or just before the cursor; inside a call's parentheses with no name
    there, the callee's. '' when there is none (or it is an attribute of an expression)."""
    start = cursor
    while start > 0 and (code[start - 1].isalnum() or code[start - 1] in "._"):
        start -= 1
    end = cursor
    while end < len(code) and (code[end].isalnum() or code[end] == "_"):
        end += 1
    name = code[start:end].rstrip(".")
    if name:
        return name if _DOTTED_NAME.fullmatch(name) else ""
    state = scan(code[:cursor])
    if state.string is None and not state.comment and state.brackets and state.brackets[-1][0] == "(":
        callee = re.search(rf"{RECEIVER}\s*$", code[:state.brackets[-1][1]])
        return callee.group(1) if callee else ""
    return ""


def inspect_bundle(code: str, cursor_pos: int, ns: dict, detail_level: int = 0) -> dict | None:
    """{"text/plain": ..., "text/markdown": ...} for the name at the cursor; None if not found."""
    name = name_at(code, max(0, min(cursor_pos, len(code))))
    if not name:
        return None
    try:
        obj = lookup(name, ns)
    except NotFound:
        return None
    sections = describe(obj, name, detail_level)
    return {"text/plain": plain(sections), "text/markdown": markdown(sections)}


def describe(obj, name: str, detail_level: int = 0) -> list[tuple[str, str, str]]:
    """(label, text, style) sections; style: 'line', 'python' or 'text'."""
    what = kind(obj)
    doc = _doc(type(obj) if what == "instance" else obj)  # inspect.getdoc(instance) may hit __getattr__
    sections = []
    signature = _signature(obj, name, what, doc)
    if signature:
        label = {"class": "Init signature", "function": "Signature"}.get(what, "Call signature")
        sections.append((label, signature, "python"))
    if what == "instance":
        sections.append(("String form", _value(obj), "text"))
    if doc:
        sections.append(("Docstring", doc, "text"))
    if what == "class":
        init_doc = _init_doc(obj)
        if init_doc and init_doc != doc:
            sections.append(("Init docstring", init_doc, "text"))
    if detail_level >= 1 and what != "instance":
        source = _source(obj)
        if source:
            sections.append(("Source", source, "python"))
    filename = _file(obj) if what in ("module", "class", "function") else None
    if filename:
        sections.append(("File", filename, "line"))
    sections.append(("Type", _type_name(obj), "line"))
    return sections


def _doc(obj) -> str:
    try:
        return inspect.getdoc(obj) or ""
    except Exception:
        return ""


def _init_doc(cls) -> str:
    init = inspect.getattr_static(cls, "__init__", None)
    return _doc(init) if inspect.isfunction(init) else ""


def _signature(obj, name: str, what: str, doc: str) -> str:
    sig = signature(obj)
    if sig is not None:
        return name + str(sig)
    first = doc.splitlines()[0] if doc else ""
    m = _SIGNATURE_LINE.match(first)  # C functions without __text_signature__, e.g. print
    return name + m.group(1) if m and what in ("function", "class") else ""


def _value(obj) -> str:
    try:
        text = repr(obj)
    except Exception as exc:
        return f"<repr raised {type(exc).__name__}>"
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "..."


def _source(obj) -> str:
    target = obj.fget if isinstance(obj, property) and obj.fget is not None else obj
    try:
        return inspect.getsource(target).rstrip("\n")
    except Exception:  # builtins, C functions, instances, lost cells
        return ""


def _file(obj) -> str | None:
    try:
        path = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except Exception:
        return None
    return None if path.startswith("<") else path


def _type_name(obj) -> str:
    cls = type(obj)
    module = getattr(cls, "__module__", "")
    return cls.__qualname__ if module in ("builtins", None, "") else f"{module}.{cls.__qualname__}"


def plain(sections: list[tuple[str, str, str]]) -> str:
    lines = []
    for label, text, _ in sections:
        head = f"{label}:".ljust(_LABEL_WIDTH)
        lines.append(f"{label}:\n{text}" if "\n" in text else head + text)
    return "\n".join(lines)


def markdown(sections: list[tuple[str, str, str]]) -> str:
    parts = []
    for label, text, style in sections:
        if style == "line":
            parts.append(f"**{label}:** {_fenced_inline(text)}")
        else:
            fence = "`" * max(3, _longest_run(text) + 1)
            lang = "python" if style == "python" else ""
            parts.append(f"**{label}:**\n\n{fence}{lang}\n{text}\n{fence}")
    return "\n\n".join(parts)


def _longest_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _fenced_inline(text: str) -> str:
    ticks = "`" * (_longest_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"
