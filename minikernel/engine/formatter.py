"""Objects -> mimebundles: `_repr_mimebundle_`, the `_repr_*_` methods, and text/plain."""

from __future__ import annotations

import base64
import logging
import sys
import traceback

from . import pretty

log = logging.getLogger("minikernel.formatter")

REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
    ("application/pdf", "_repr_pdf_"),
)
BINARY = {"image/png", "image/jpeg", "image/gif", "application/pdf"}
ATOMIC = {int, float, str, bool, type(None), bytes, complex}
SHORT = {list, tuple, dict}


def _method(obj, name: str):
    # A class's _repr_html_ is an unbound function: only instances render richly.
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
        # Objects that claim every attribute (Mock, some proxies) have no real repr methods:
        # the same canary IPython uses.
        if method is not None and getattr(obj, "_ipython_canary_method_should_not_exist_", None) is not None:
            return None
    except Exception:
        return None
    return method if callable(method) else None


def _call(obj, mime: str, name: str, **kwargs):
    try:
        return _method(obj, name)(**kwargs)
    except Exception as e:
        log.warning("%s.%s() raised %s: %s", type(obj).__name__, name, type(e).__name__, e)
        return None


def _encode(mime: str, value):
    if mime in BINARY and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


class TextOptions:
    """text/plain settings of one kernel (its Executor owns one): `float_format`, a % format for
    floats set by %precision (None: repr)."""

    __slots__ = ("float_format",)

    def __init__(self):
        self.float_format: str | None = None


def plain_text(obj, float_format: str | None = None) -> str:
    """text/plain as IPython writes it (engine/pretty.py); plain repr() when that is the same."""
    cls = type(obj)
    if float_format is not None and (cls is float or isinstance(obj, pretty.CONTAINERS)):
        try:
            return pretty.pretty(obj, float_format=float_format)
        except Exception:  # a bad format for this value: fall back to the usual text
            pass
    if cls in ATOMIC or not pretty.has_pretty(obj):
        return repr(obj)
    if cls in SHORT and len(obj) <= 32 and all(type(x) in ATOMIC for x in (
            obj if cls is not dict else (*obj, *obj.values()))):
        text = repr(obj)  # a short container of atoms: the pretty layout is the repr
        if len(text) <= pretty.MAX_WIDTH:
            return text
    try:
        return pretty.pretty(obj)
    except Exception as e:  # a broken _repr_pretty_ (or __repr__ of an item)
        log.warning("pretty-printing a %s raised %s: %s", type(obj).__name__, type(e).__name__, e)
        return repr(obj)


def ipython_display(obj) -> bool:
    """Call `obj._ipython_display_()` if it has one (it displays itself, instead of being
    formatted). An error in it goes to the cell's stderr and the object is formatted instead."""
    method = _method(obj, "_ipython_display_")
    if method is None:
        return False
    try:
        method()
    except Exception:
        print(f"{type(obj).__name__}._ipython_display_() failed:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return False
    return True


def format_object(obj, include=None, exclude=None, float_format: str | None = None) -> tuple[dict, dict]:
    """The (data, metadata) mimebundle for `obj`; text/plain is always present (floats written
    with `float_format` when given: %precision)."""
    data: dict = {}
    metadata: dict = {}
    if _method(obj, "_repr_mimebundle_") is not None:
        bundle = _call(obj, "", "_repr_mimebundle_", include=include, exclude=exclude)
        if isinstance(bundle, tuple) and len(bundle) == 2:
            bundle, md = bundle
            metadata.update(md or {})
        if isinstance(bundle, dict):
            data.update({k: _encode(k, v) for k, v in bundle.items()})
    for mime, name in REPR_METHODS:
        if mime in data or _method(obj, name) is None:
            continue
        value = _call(obj, mime, name)
        if isinstance(value, tuple) and len(value) == 2:
            value, md = value
            if md:
                metadata[mime] = md
        if value is not None:
            data[mime] = _encode(mime, value)
    if "text/plain" not in data:
        data["text/plain"] = plain_text(obj, float_format)
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data, metadata
