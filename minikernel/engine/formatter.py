"""Objects -> mimebundles: `_repr_mimebundle_`, the `_repr_*_` methods, and text/plain."""

from __future__ import annotations

import base64
import logging
import pprint

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
BINARY = {"image/png", "image/jpeg", "application/pdf"}
PRETTY_TYPES = (list, tuple, dict, set, frozenset)


def _method(obj, name: str):
    # A class's _repr_html_ is an unbound function: only instances render richly.
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
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


def plain_text(obj) -> str:
    text = repr(obj)
    if len(text) > 79 and type(obj) in PRETTY_TYPES and len(obj) <= 1000:
        text = pprint.pformat(obj, width=79, sort_dicts=False)
    return text


def format_object(obj, include=None, exclude=None) -> tuple[dict, dict]:
    """The (data, metadata) mimebundle for `obj`; text/plain is always present."""
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
        data["text/plain"] = plain_text(obj)
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data, metadata
