"""Cell source -> Python source, before it is parsed: magics, shell escapes and help lines become
calls to the builtin `__minikernel__` (runner.py). One line stays one line, so tracebacks and
the source shown in them keep the cell's line numbers.

    %name args           ->  __minikernel__.line('name', 'args')
    x = %name args       ->  x = __minikernel__.line('name', 'args')
    !cmd                 ->  __minikernel__.system('cmd')
    x = !cmd, !!cmd      ->  x = __minikernel__.getoutput('cmd'), __minikernel__.getoutput('cmd')
    obj?  ?obj  obj??    ->  __minikernel__.help('obj', 0 or 1)
    %%name args          ->  __minikernel__.cell('name', 'args', 'body', 2)  + one blank line per
    body ...                 body line (first line of the cell only)

Only lines that start a logical line are looked at (after their indentation, so `!echo $i` in a
loop body works): never the inside of a string, a comment, a bracketed expression's next lines or
a backslash-continued line; `a % b` and `a != b` are plain Python. A magic line ending with `\\`
takes the next line as more arguments (that line becomes blank). `$var` / `{expr}` are expanded
when the call runs, not here.
"""

from __future__ import annotations

import re

from .registry import UsageError

NAME = "__minikernel__"

# The fast path: a cell with none of these is returned as it is, after one regex search.
_MAYBE = re.compile(r"^[ \t]*(?:[%!?]|[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[%!])|\?[ \t]*$", re.M)

_CELL = re.compile(r"[ \t]*%%([A-Za-z_]\w*)(.*)", re.S)
_LINE = re.compile(r"%([A-Za-z_]\w*)(.*)", re.S)
_ASSIGN = re.compile(r"([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)[ \t]*=[ \t]*([%!])(.*)", re.S)
_HELP = re.compile(r"(\?{1,2})?(%{0,2}[A-Za-z_][\w.]*|%{1,2})?(\?{1,2})?[ \t]*")
_TOKEN = re.compile(r"""(?P<quote>'''|\"\"\"|'|")|(?P<hash>\#)|(?P<open>[(\[{])|(?P<close>[)\]}])""")
_STRING_END = {q: re.compile(r"(?:\\.|[^\\])*?" + q, re.S) for q in ("'''", '"""', "'", '"')}


def transform(code: str) -> str:
    """The cell as Python source (raises UsageError for a misplaced `%%magic`)."""
    if not _MAYBE.search(code):
        return code
    return _rewrite(code)


def is_cell_magic(code: str) -> bool:
    """True if the cell starts with a `%%name` line (not `%%name?` help)."""
    first = next((_text(line) for line in _lines(code) if line.strip()), "")
    return _CELL.fullmatch(first) is not None and _help(first.strip()) is None


class _State:
    """Where a line starts: inside a string (its quote), how deep in brackets, continued by `\\`."""
    __slots__ = ("quote", "depth", "continued")

    def __init__(self):
        self.quote, self.depth, self.continued = None, 0, False

    @property
    def at_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued


def _lines(code: str) -> list[str]:
    """The cell's lines with their ends, split at "\n" only: what Python counts as lines
    (str.splitlines would also split at \f, \v, \x1c, \u2028 ... which may sit in a string)."""
    parts = code.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _rewrite(code: str) -> str:
    lines = _lines(code)
    out: list[str] = []
    state = _State()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        m = _CELL.fullmatch(_text(lines[first]))
        if m and _help(_text(lines[first]).strip()) is None:
            out += ["\n" if line.endswith("\n") else "" for line in lines[:first]]
            return "".join(out) + _cell_call(m.group(1), m.group(2), lines[first], lines[first + 1:], first + 1)
    i = 0
    while i < len(lines):
        line = lines[i]
        if state.at_start:
            call, used = _magic_line(lines, i)
            if call is not None:
                out.append(call + _newline(lines[i + used - 1]))
                out += ["\n"] * (used - 1)
                i += used
                continue
        _scan(_text(line), state)
        out.append(line)
        i += 1
    return "".join(out)


def _cell_call(name: str, args: str, line: str, body_lines: list[str], lineno: int) -> str:
    body = "".join(body_lines)
    call = f"{NAME}.cell({name!r}, {args.strip()!r}, {body!r}, {lineno + 1})"
    return call + _newline(line) + "\n" * sum(1 for line in body_lines if line.endswith("\n"))


def _text(line: str) -> str:
    return line.rstrip("\r\n")


def _newline(line: str) -> str:
    return line[len(_text(line)):]


def _magic_line(lines: list[str], i: int) -> tuple[str | None, int]:
    """(the Python line for a magic/escape/help line at lines[i], how many lines it used)."""
    text = _text(lines[i])
    stripped = text.strip()
    if not stripped or stripped[0] not in "%!?" and "=" not in stripped and not stripped.endswith("?"):
        return None, 1
    indent = text[:len(text) - len(text.lstrip())]
    used = 1
    if stripped[0] in "%!" or _ASSIGN.fullmatch(stripped):
        while stripped.endswith("\\") and i + used < len(lines):  # continued arguments
            stripped = stripped[:-1] + " " + _text(lines[i + used]).strip()
            used += 1
    call = _call(stripped)
    return (None, 1) if call is None else (indent + call, used)


def _call(stripped: str) -> str | None:
    if stripped.endswith("?") and _help(stripped) is not None:
        return _help(stripped)
    if stripped.startswith("%%"):
        m = _LINE.fullmatch(stripped[1:])
        name = m.group(1) if m else ""
        if not name:
            raise UsageError("`%%` needs a cell magic's name (%%name args); %lsmagic lists them")
        raise UsageError(f"%%{name} is a cell magic: it must be on the first line of the cell "
                         f"(as %%{name} args, with the cell's body below it)")
    if stripped.startswith("%"):
        m = _LINE.fullmatch(stripped)
        return f"{NAME}.line({m.group(1)!r}, {m.group(2).strip()!r})" if m else _help(stripped)
    if stripped.startswith("!!"):
        return f"{NAME}.getoutput({stripped[2:].strip()!r})"
    if stripped.startswith("!"):
        return f"{NAME}.system({stripped[1:].strip()!r})"
    m = _ASSIGN.fullmatch(stripped)
    if m:
        target, kind, rest = m.groups()
        if kind == "!":
            return f"{target} = {NAME}.getoutput({rest.strip()!r})"
        line = _LINE.fullmatch("%" + rest)
        if line is not None:
            return f"{target} = {NAME}.line({line.group(1)!r}, {line.group(2).strip()!r})"
        return None
    return _help(stripped)


def _help(stripped: str) -> str | None:
    m = _HELP.fullmatch(stripped)
    if m is None or not (m.group(1) or m.group(3)) or (m.group(1) and m.group(3)):
        return None
    marks = m.group(1) or m.group(3)
    return f"{NAME}.help({m.group(2) or ''!r}, {len(marks) - 1})"


def _scan(text: str, state: _State) -> None:
    """Move `state` past one physical line of Python."""
    pos = 0
    state.continued = False
    if state.quote is not None:
        end = _STRING_END[state.quote].match(text)
        if end is None:
            if len(state.quote) == 1 and not text.endswith("\\"):
                state.quote = None  # an unterminated one-line string: Python will say so
            return
        state.quote, pos = None, end.end()
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            break
        if m.group("quote"):
            quote = m.group("quote")
            end = _STRING_END[quote].match(text, m.end())
            if end is None:
                if len(quote) == 3 or text.endswith("\\"):
                    state.quote = quote
                return
            pos = end.end()
            continue
        if m.group("hash"):
            return  # a comment: no continuation either
        state.depth = state.depth + 1 if m.group("open") else max(0, state.depth - 1)
        pos = m.end()
    state.continued = text.endswith("\\")
