"""jedi's Interpreter over the live namespace. jedi is imported on first use, never at start-up.

Only the completion worker calls into this module (jedi is not thread-safe), one job at a time.
"""

from __future__ import annotations

import builtins
import pickle

from .livecomplete import Candidate

_QUOTES = "'\""


def line_column(code: str, cursor: int) -> tuple[int, int]:
    """jedi's (1-based line, column) for a code-point offset. Lines are split the way parso splits
    them (\\n, \\r\\n and \\r, not form feeds or U+2028); columns count code points like str does."""
    from parso import split_lines

    lines = split_lines(code[:cursor])
    return len(lines), len(lines[-1])


def complete(code: str, cursor: int, ns: dict, *, global_names: bool = False) -> list[Candidate]:
    """jedi's completions. global_names: the cursor is on a plain name, where jedi also offers what
    typeshed's builtins stub imports (AbstractSet, ...) though it is no builtin: those are dropped."""
    import jedi

    line, column = line_column(code, cursor)
    try:
        completions = jedi.Interpreter(code, [ns]).complete(line, column)
    except (EOFError, pickle.UnpicklingError):
        # parso writes its on-disk parser cache in place: a process killed meanwhile (any kernel,
        # any jedi user) leaves a truncated pickle that fails every later completion. Drop the
        # cache (it is rebuilt on demand) and try once more.
        _clear_parser_cache(jedi)
        completions = jedi.Interpreter(code, [ns]).complete(line, column)
    found = []
    for c in completions:
        if global_names and _stub_only(c):
            continue
        candidate = _candidate(code, cursor, c)
        if candidate is not None:
            found.append(candidate)
    return found


def _clear_parser_cache(jedi) -> None:
    import logging

    import parso.cache

    logging.getLogger("minikernel").warning("jedi's parser cache in %s is damaged; clearing it",
                                            jedi.settings.cache_directory)
    try:
        parso.cache.clear_cache(jedi.settings.cache_directory)
    except OSError:
        parso.cache.parser_cache.clear()


def _stub_only(c) -> bool:
    return c.name not in builtins.__dict__ and c.in_builtin_module() and c.type not in ("keyword", "string")


def _candidate(code: str, cursor: int, c) -> Candidate | None:
    text = c.name_with_symbols
    typed = len(text) - len(c.complete or "")
    if typed < 0 or text[:typed] != code[cursor - typed:cursor]:
        return None  # jedi matches case-insensitively; Jupyter frontends filter by prefix
    if typed and code[cursor - typed] in _QUOTES and text[0] == code[cursor - typed]:
        # a dict key in a string: complete the key's text after the quote, like IPython
        quote, text, typed = text[0], text[1:], typed - 1
        text = text[:-1] if text.endswith(quote) and c.type == "string" else text
    return Candidate(text, cursor - typed, None, None, lambda: details(c))


def details(c) -> tuple[str, str]:
    kind = c.type
    if kind == "string":
        return "dict key", ""
    if kind != "function":
        return kind, ""
    signatures = c.get_signatures()
    if not signatures:
        return kind, ""
    text = signatures[0].to_string()
    return kind, "(" + text.split("(", 1)[1] if "(" in text else ""
