"""Cell source -> code objects: the body, plus the last expression compiled to be displayed.

Top-level `await` is allowed; a code object that awaits comes back flagged as a coroutine.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from types import CodeType

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(slots=True)
class CompiledCell:
    body: CodeType | None  # everything but a displayed last expression ("exec")
    last: CodeType | None  # the last expression ("single": its value goes to sys.displayhook)

    @property
    def parts(self) -> list[CodeType]:
        return [code for code in (self.body, self.last) if code is not None]

    @property
    def awaits(self) -> bool:
        return any(is_coroutine_code(code) for code in self.parts)


def is_coroutine_code(code: CodeType) -> bool:
    return bool(code.co_flags & inspect.CO_COROUTINE)


def compile_cell(source: str, filename: str) -> CompiledCell:
    """Raises SyntaxError for invalid source."""
    tree = ast.parse(source, filename, "exec", type_comments=False)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not ends_with_semicolon(source, tree.body[-1]):
        last_node = tree.body.pop()
        last = compile(ast.Interactive(body=[last_node]), filename, "single", FLAGS, dont_inherit=True)
    body = compile(tree, filename, "exec", FLAGS, dont_inherit=True) if tree.body else None
    return CompiledCell(body, last)


def ends_with_semicolon(source: str, node: ast.expr) -> bool:
    """True if a ';' follows the expression (IPython's convention for "don't display")."""
    lines = source.splitlines(keepends=True)
    line = lines[node.end_lineno - 1].encode("utf-8")  # col offsets count UTF-8 bytes
    rest = line[node.end_col_offset:].decode("utf-8", "replace") + "".join(lines[node.end_lineno:])
    return rest.lstrip().startswith(";")
