"""is_complete: "complete", "incomplete" (with the indent to use) or "invalid" (spec: "Code completeness").

Follows IPython's console rule: an indented last line means the block may go on, until the
user enters a blank line.
"""

from __future__ import annotations

import codeop
import warnings

FLAGS = codeop.PyCF_DONT_IMPLY_DEDENT | codeop.PyCF_ALLOW_INCOMPLETE_INPUT


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _next_indent(source: str) -> str:
    lines = [line for line in source.split("\n") if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    indent = _leading(last)
    if last.split("#", 1)[0].rstrip().endswith(":"):
        indent += "    "
    return indent


def is_complete(source: str) -> tuple[str, str]:
    """Returns (status, indent); indent is "" unless status is "incomplete"."""
    if not source.strip():
        return "complete", ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "is" with a literal
            compile(source, "<is_complete>", "exec", FLAGS, dont_inherit=True)
    except SyntaxError as e:
        if "incomplete input" in str(e.msg):
            return "incomplete", _next_indent(source)
        return "invalid", ""
    except (ValueError, OverflowError, MemoryError, RecursionError):
        return "invalid", ""
    lines = source.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        return "complete", ""  # a blank line ends the block
    if _leading(lines[-1]):
        return "incomplete", _leading(lines[-1])
    return "complete", ""
