"""Leading `-x` options of a magic's argument line, getopt style, keeping the rest verbatim.

    opts, rest = parse_options("-n 10 -q x = -1", "n:r:qo")  ->  ({"n": ["10"], "q": [""]}, "x = -1")

Only the options at the start are read: the rest (a Python statement, a file name and its
arguments) is returned exactly as written, so `%timeit -n 3 f(a,  b)` keeps its spacing.
"""

from __future__ import annotations

import re

from .registry import UsageError

_TOKEN = re.compile(r"\s*(\S+)")


def _spec(spec: str) -> dict[str, bool]:
    """"n:qo" -> {"n": True, "q": False, "o": False} (True: the option takes a value)."""
    out = {}
    for i, c in enumerate(spec):
        if c != ":":
            out[c] = spec[i + 1:i + 2] == ":"
    return out


def parse_options(line: str, spec: str, *, strict: bool = True) -> tuple[dict[str, list[str]], str]:
    """Options from `spec` at the start of `line` -> ({letter: [values...]}, rest).

    strict: an unknown `-x` is a UsageError; otherwise it starts the rest (a statement such as
    `-x + 1` for %timeit)."""
    takes = _spec(spec)
    opts: dict[str, list[str]] = {}
    pos = 0
    while True:
        m = _TOKEN.match(line, pos)
        if not m:
            return opts, ""
        tok = m.group(1)
        if tok == "--":
            pos = m.end()
            break
        if len(tok) < 2 or tok[0] != "-" or tok[1] not in takes:
            if strict and len(tok) >= 2 and tok[0] == "-" and tok[1].isalpha():
                raise UsageError(f"unknown option {tok!r} (options: {_describe(takes)})")
            break
        pos = m.end()
        i = 1
        while i < len(tok):
            letter = tok[i]
            if letter not in takes:
                raise UsageError(f"unknown option '-{letter}' (options: {_describe(takes)})")
            if takes[letter]:
                value = tok[i + 1:]
                if not value:
                    nxt = _TOKEN.match(line, pos)
                    if not nxt:
                        raise UsageError(f"option -{letter} requires a value")
                    value, pos = nxt.group(1), nxt.end()
                opts.setdefault(letter, []).append(value)
                break
            opts.setdefault(letter, []).append("")
            i += 1
    return opts, line[pos:].strip()


def _describe(takes: dict[str, bool]) -> str:
    return " ".join(f"-{c} VALUE" if v else f"-{c}" for c, v in takes.items())


def int_option(opts: dict, letter: str, default: int, minimum: int = 0) -> int:
    """The last value of an integer option, checked."""
    if letter not in opts:
        return default
    raw = opts[letter][-1]
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"-{letter} needs an integer, not {raw!r}") from None
    if value < minimum:
        raise UsageError(f"-{letter} must be at least {minimum}")
    return value
