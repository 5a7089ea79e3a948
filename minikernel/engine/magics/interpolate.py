"""`$name`, `$$` and `{expression}` in shell lines and magic arguments, as IPython users expect.

- `$name` (or `$name.attr`): the value of a Python name (locals of the running frame first, then
  the user namespace, then builtins); an unknown name stays as it is, so `$HOME` reaches the shell.
  When an attribute is missing, the expansion stops before it (`$stem.txt` -> `report.txt`).
- `{expression}`: evaluated in the same namespaces; one that fails to evaluate (`awk '{print $1}'`,
  `find -exec {} +`) stays as it is.
- `$$` is a literal `$`, `{{` and `}}` literal braces.
"""

from __future__ import annotations

import builtins
import re

_TOKEN = re.compile(r"\$\$|\$([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)|\{\{|\}\}|\{([^{}]*)\}")
_MISSING = object()


def interpolate(text: str, namespace: dict, local_ns: dict | None = None) -> str:
    if "$" not in text and "{" not in text and "}" not in text:
        return text
    return _TOKEN.sub(lambda m: _expand(m, namespace, local_ns), text)


def _expand(m: re.Match, namespace: dict, local_ns: dict | None) -> str:
    token = m.group(0)
    if token == "$$":
        return "$"
    if token in ("{{", "}}"):
        return token[0]
    if m.group(1) is not None:
        return _name(m.group(1), namespace, local_ns) or token
    expr = m.group(2)
    if not expr.strip():
        return token
    try:
        return str(eval(expr, namespace, local_ns if local_ns is not None else namespace))
    except Exception:  # not Python (shell braces): keep the text
        return token


def _name(dotted: str, namespace: dict, local_ns: dict | None) -> str | None:
    first, *attrs = dotted.split(".")
    value = _MISSING
    for ns in (local_ns, namespace, builtins.__dict__):
        if ns is not None and first in ns:
            value = ns[first]
            break
    if value is _MISSING:
        return None
    rest = ""
    for i, attr in enumerate(attrs):
        try:
            value = getattr(value, attr)
        except Exception:
            rest = "." + ".".join(attrs[i:])
            break
    try:
        return str(value) + rest
    except Exception:
        return None
