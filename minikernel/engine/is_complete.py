"""is_complete: "complete", "incomplete" (with the indent to use) or "invalid" (spec: "Code completeness").

Follows IPython's console rule: an indented last line means the block may go on, until the
user enters a blank line.
"""

from __future__ import annotations

import codeop
import io
import tokenize
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
    from .magics import preprocess  # magics, !cmd and obj? lines count as the Python they become

    if preprocess.is_cell_magic(source):  # its body goes on until a blank line, as in IPython
        lines = source.split("\n")
        return ("complete", "") if len(lines) > 1 and not lines[-1].strip() else ("incomplete", "")
    try:
        source = preprocess.transform(source)
    except Exception:  # UsageError: a misplaced %%magic
        return "invalid", ""
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
    depth, statement_line = _block_state(source)
    if depth > 0:
        return "incomplete", _leading(lines[statement_line - 1])
    return "complete", ""


def _block_state(source: str) -> tuple[int, int]:
    """(indent depth of the last statement, line where it starts). Continuation lines inside
    brackets (`x = [1,\n     2]`) are not blocks: only INDENT tokens count."""
    depth, line, new_statement = 0, 1, True
    n_lines = len(source.splitlines())
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.INDENT:
                depth += 1
            elif tok.type == tokenize.DEDENT and tok.start[0] <= n_lines:  # not the final DEDENTs
                depth -= 1
            elif tok.type == tokenize.NEWLINE:
                new_statement = True
            elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.DEDENT, tokenize.ENDMARKER) and new_statement:
                line, new_statement = tok.start[0], False
    except (tokenize.TokenError, SyntaxError):
        return 0, line
    return depth, line
