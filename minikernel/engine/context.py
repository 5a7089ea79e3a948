"""What is being completed at the cursor: a name, an attribute, a dict key, a path, a module.

Pure text analysis of the code before the cursor (a small scanner for strings, comments and
brackets); nothing is resolved here. Positions are str indexes, i.e. code points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"""(?P<quote>(?:(?<!\w)[rRbBuUfF]{1,2})?('''|\"\"\"|'|"))|(?P<hash>\#)"""
                    r"""|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<sep>,)""")
_BODY = {q: re.compile(r"(?:[^\\\n%s]|\\.)*%s" % (q, q), re.S) for q in "'\""}
_BODY.update({q * 3: re.compile(r"(?:[^\\%s]|\\.|%s(?!%s%s))*%s" % (q, q, q, q, q * 3), re.S) for q in "'\""})
_IDENT = r"[^\W\d]\w*"
DOTTED = rf"{_IDENT}(?:\.{_IDENT})*"
RECEIVER = rf"(?<![\w.)\]}}'\"])({DOTTED})"
_ATTRIBUTE = re.compile(rf"{RECEIVER}\.(\w*)$")
_ANY_ATTRIBUTE = re.compile(r"\.\s*\w*$")
_KEY_OPEN = re.compile(rf"{RECEIVER}\s*\[\s*$")
_NAME = re.compile(rf"(?<!\w){_IDENT}$")
_KEYWORD_GIVEN = re.compile(r"(?<![\w.])(" + _IDENT + r")\s*=(?!=)")
_IMPORT = re.compile(rf"^\s*import\s+(?:{DOTTED}\s*(?:as\s+{_IDENT}\s*)?,\s*)*((?:{_IDENT}\.)*)(\w*)$")
_FROM = re.compile(rf"^\s*from\s+((?:{_IDENT}\.)*)(\w*)$")
_FROM_IMPORT = re.compile(rf"^\s*from\s+({DOTTED})\s+import\s+\(?\s*(?:{_IDENT}\s*(?:as\s+{_IDENT}\s*)?,\s*)*(\w*)$")


@dataclass
class Scan:
    string: tuple[int, int, str] | None = None  # unclosed string at the end: (token start, body start, quote)
    comment: bool = False                        # the end is inside a comment
    brackets: list = field(default_factory=list)  # unclosed: [char, index, index of its last comma]


def scan(text: str) -> Scan:
    """Strings, comments and brackets of TEXT, enough to know where its end is."""
    state, pos = Scan(), 0
    while True:
        m = _TOKEN.search(text, pos)
        if m is None:
            return state
        pos = m.end()
        if m.group("quote"):
            quote = m.group(2)
            body = _BODY[quote].match(text, pos)
            if body is None:
                newline = text.find("\n", pos)
                if len(quote) == 3 or newline < 0:
                    state.string = (m.start(), pos, quote)
                    return state
                pos = newline + 1  # a broken one-line string ends at the line's end
            else:
                pos = body.end()
        elif m.group("hash"):
            newline = text.find("\n", pos)
            if newline < 0:
                state.comment = True
                return state
            pos = newline + 1
        elif m.group("open"):
            state.brackets.append([m.group(), m.start(), m.start()])
        elif m.group("close"):
            if state.brackets:
                state.brackets.pop()
        elif state.brackets:
            state.brackets[-1][2] = m.start()


@dataclass(frozen=True)
class Context:
    """kind: name | attribute | key | path | module | from_import | none.
    The completed text starts at cursor - len(prefix)."""
    kind: str
    prefix: str = ""
    target: str = ""        # attribute/key: the receiver; module: the parent package; from_import: the module
    quote: str = ""         # key: the opening quote ('' when none is typed yet)
    callee: str = ""        # name: the function whose arguments the cursor is in
    given: frozenset = frozenset()  # name: keyword arguments already in that call


def context_at(code: str, cursor: int) -> Context:
    before = code[:cursor]
    state = scan(before)
    if state.comment:
        return Context("none")
    if state.string is not None:
        return _in_string(before, state.string)
    line = before[before.rfind("\n") + 1:].rsplit(";", 1)[-1]
    for kind, pattern in (("module", _IMPORT), ("module", _FROM), ("from_import", _FROM_IMPORT)):
        m = pattern.match(line)
        if m:
            return Context(kind, prefix=m.group(2), target=m.group(1).rstrip("."))
    m = _KEY_OPEN.search(before)
    if m:
        return Context("key", target=m.group(1))
    m = _ATTRIBUTE.search(before)
    if m:
        return Context("attribute", prefix=m.group(2), target=m.group(1))
    if _ANY_ATTRIBUTE.search(before):
        return Context("none")  # an attribute of an expression: only jedi can tell
    return _name(before, state)


def _in_string(before: str, string: tuple[int, int, str]) -> Context:
    token_start, body_start, quote = string
    body = before[body_start:]
    if token_start == body_start - len(quote) and len(quote) == 1:
        m = _KEY_OPEN.search(before, 0, token_start)
        if m:
            return Context("key", prefix=body, target=m.group(1), quote=quote)
    if "\n" in body:
        return Context("none")
    return Context("path", prefix=body)


def _name(before: str, state: Scan) -> Context:
    m = _NAME.search(before)
    prefix = m.group() if m else ""
    if not prefix and before[-1:].isalnum():  # e.g. right after a number
        return Context("none")
    if not state.brackets or state.brackets[-1][0] != "(":
        return Context("name", prefix=prefix)
    _, opened, separator = state.brackets[-1]
    if before[max(opened, separator) + 1:len(before) - len(prefix)].strip():
        return Context("name", prefix=prefix)  # not at an argument's start
    callee = re.search(rf"{RECEIVER}\s*$", before[:opened])
    given = frozenset(_KEYWORD_GIVEN.findall(before, opened + 1))
    return Context("name", prefix=prefix, callee=callee.group(1) if callee else "", given=given)
