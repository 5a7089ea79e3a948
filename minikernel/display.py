"""Rich output from user code, as IPython.display offers it (without IPython).

    from minikernel.display import display, HTML, Markdown, Image
    display(HTML("<b>bold</b>"))
    h = display(Markdown("*step 1*"), display_id=True)
    h.update(Markdown("*step 2*"))

Each class renders through its `_repr_*_` methods, so display(obj) and a cell's last expression
show it alike. display, update_display, clear_output and DisplayHandle reach the running kernel
through the display hook (see minikernel/engine/display.py); outside a kernel display() prints
the text/plain form.
"""

from __future__ import annotations

import base64
import json
import os

from .engine.display import DisplayHandle, clear_output, display, update_display

__all__ = ["display", "update_display", "clear_output", "publish_display_data", "DisplayHandle", "DisplayObject",
           "HTML", "Markdown", "Latex", "Math", "JSON", "SVG", "Image", "Javascript", "Pretty",
           "FileLink"]


def publish_display_data(data: dict, metadata: dict | None = None, source=None, *, transient=None,
                         **kwargs) -> None:
    """Send a ready mimebundle as display_data (IPython.display.publish_display_data)."""
    display(data, raw=True, metadata=metadata, transient=transient, **kwargs)


def _is_url(text) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def _fetch(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url) as response:
        return response.read()


class DisplayObject:
    """Data given directly, read from `filename`, or fetched from `url`; `metadata` is sent along."""

    binary = False

    def __init__(self, data=None, url=None, filename=None, metadata=None):
        if data is not None and isinstance(data, str) and url is None and filename is None:
            if _is_url(data):
                url, data = data, None
            elif len(data) < 4096 and "\n" not in data and os.path.isfile(os.path.expanduser(data)):
                filename, data = data, None
        self.data, self.url, self.filename = data, url, filename
        self.metadata = dict(metadata or {})
        self.reload()

    def reload(self) -> None:
        """(Re)read the data from the file or URL, if there is one."""
        if self.filename is not None:
            with open(os.path.expanduser(self.filename), "rb" if self.binary else "r") as f:
                self.data = f.read()
        elif self.url is not None and self._fetches():
            raw = _fetch(self.url)
            self.data = raw if self.binary else raw.decode("utf-8", "replace")

    def _fetches(self) -> bool:
        return True

    def _data_and_metadata(self):
        return (self.data, self.metadata) if self.metadata else self.data

    def __repr__(self) -> str:
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object>"


class TextDisplayObject(DisplayObject):
    def __init__(self, data=None, url=None, filename=None, metadata=None):
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8", "replace")
        super().__init__(data, url, filename, metadata)


class HTML(TextDisplayObject):
    def _repr_html_(self):
        return self._data_and_metadata()


class Markdown(TextDisplayObject):
    def _repr_markdown_(self):
        return self._data_and_metadata()


class Latex(TextDisplayObject):
    def _repr_latex_(self):
        return self._data_and_metadata()


class Math(TextDisplayObject):
    """A formula, shown as display math: Math(r"\\int_0^1 x\\,dx")."""

    def _repr_latex_(self):
        text = (self.data or "").strip("$")
        text = f"$\\displaystyle {text}$"
        return (text, self.metadata) if self.metadata else text


class SVG(DisplayObject):
    """An SVG document; anything before the <svg> element (an XML prolog, a doctype) is dropped."""

    def __init__(self, data=None, url=None, filename=None, metadata=None):
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8", "replace")
        super().__init__(data, url, filename, metadata)
        if isinstance(self.data, str):
            start = self.data.find("<svg")
            if start > 0:
                self.data = self.data[start:]

    def _repr_svg_(self):
        return self._data_and_metadata()


class JSON(DisplayObject):
    """JSON data (a dict/list, or a JSON string), shown as a tree: expanded, root name."""

    def __init__(self, data=None, url=None, filename=None, expanded: bool = False, metadata=None,
                 root: str = "root"):
        super().__init__(data, url, filename, metadata)
        if isinstance(self.data, (str, bytes, bytearray)):
            self.data = json.loads(self.data)
        self.metadata.update({"expanded": bool(expanded), "root": root})

    def _repr_json_(self):
        return self.data, self.metadata


class Javascript(TextDisplayObject):
    """JavaScript to run in the frontend (classic notebook; JupyterLab ignores it), after
    loading the script URLs in `lib` and the stylesheet URLs in `css`."""

    def __init__(self, data=None, url=None, filename=None, lib=None, css=None):
        self.lib = [lib] if isinstance(lib, str) else list(lib or [])
        self.css = [css] if isinstance(css, str) else list(css or [])
        super().__init__(data, url, filename)

    def _repr_javascript_(self):
        code = ""
        for c in self.css:
            code += ('var link = document.createElement("link"); link.rel = "stylesheet"; '
                     f'link.type = "text/css"; link.href = {json.dumps(c)}; '
                     'document.querySelector("head").appendChild(link);\n')
        body = self.data or ""
        for lib in reversed(self.lib):  # each script loads, then runs what follows
            body = f"$.getScript({json.dumps(lib)}, function () {{\n{body}\n}});"
        return code + body


class Pretty(TextDisplayObject):
    """Text shown as it is (text/plain)."""

    def _repr_pretty_(self, p, cycle):
        return p.text(self.data or "")


_IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif"}
_EXTENSIONS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "gif": "gif"}


def _sniff(data: bytes) -> str | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _pixel_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR or a JPEG's SOF marker."""
    if fmt == "png" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    i = 2
    while fmt == "jpeg" and i + 9 < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


class Image(DisplayObject):
    """A PNG, JPEG or GIF image from bytes, a file path or a URL.

    `embed` (default: True for data and files, False for URLs) sends the bytes; otherwise the
    frontend loads the URL (text/html <img>). width/height (pixels) go into the image's
    metadata, as do `unconfined`, `alt` and `metadata`; `retina` shows the image at half its
    pixel size (for high-dpi images)."""

    binary = True

    def __init__(self, data=None, url=None, filename=None, format=None, embed=None, width=None,
                 height=None, retina: bool = False, unconfined: bool = False, metadata=None, alt=None):
        if isinstance(data, str) and url is None and filename is None and _is_url(data):
            url, data = data, None
        elif isinstance(data, str) and url is None and filename is None:
            filename, data = data, None  # a str that is not a URL is a path
        self.embed = embed if embed is not None else url is None
        if format is None:
            name = filename or url or ""
            format = _EXTENSIONS.get(name.rsplit(".", 1)[-1].lower().split("?")[0]) if "." in name else None
        self.format = _EXTENSIONS.get(str(format).lower(), format) if format else None
        self.width, self.height, self.retina = width, height, retina
        self.unconfined, self.alt = unconfined, alt
        super().__init__(data, url, filename, metadata)
        if isinstance(self.data, (bytes, bytearray)) and self.format is None:
            self.format = _sniff(bytes(self.data))
        if self.embed and self.format not in _IMAGE_MIME:
            raise ValueError(f"cannot embed an image of format {self.format!r} (png, jpeg or gif)")
        if retina and self.embed and self.width is None and self.height is None:
            size = _pixel_size(bytes(self.data or b""), self.format)
            if size:
                self.width, self.height = size[0] // 2, size[1] // 2

    def _fetches(self) -> bool:
        return self.embed

    @property
    def mimetype(self) -> str | None:
        return _IMAGE_MIME.get(self.format)

    def _image_metadata(self) -> dict:
        md = {}
        if self.width:
            md["width"] = self.width
        if self.height:
            md["height"] = self.height
        if self.unconfined:
            md["unconfined"] = True
        if self.alt:
            md["alt"] = self.alt
        md.update(self.metadata)
        return md

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not self.embed:
            return {"text/html": self._repr_html_()}
        md = self._image_metadata()
        data = {self.mimetype: base64.b64encode(bytes(self.data or b"")).decode("ascii")}
        return (data, {self.mimetype: md}) if md else data

    def _repr_html_(self):
        if self.embed:
            return None
        attrs = "".join(f' {k}="{v}"' for k, v in (("width", self.width), ("height", self.height),
                                                    ("alt", self.alt)) if v)
        return f'<img src="{self.url}"{attrs}/>'

    def _repr_png_(self):
        return self._raw("png")

    def _repr_jpeg_(self):
        return self._raw("jpeg")

    def _raw(self, fmt: str):
        if self.embed and self.format == fmt:
            md = self._image_metadata()
            return (self.data, md) if md else self.data
        return None


class FileLink:
    """A link to a local file (relative to the notebook server's root), with its path as text."""

    html_link_str = "<a href='%s' target='_blank'>%s</a>"

    def __init__(self, path, url_prefix: str = "", result_html_prefix: str = "",
                 result_html_suffix: str = "<br>"):
        if os.path.isdir(path):
            raise ValueError(f"Cannot display a directory using FileLink. Use FileLinks to display '{path}'.")
        self.path = os.fsdecode(path)
        self.url_prefix, self.result_html_prefix = url_prefix, result_html_prefix
        self.result_html_suffix = result_html_suffix

    def _repr_html_(self):
        import html
        from urllib.parse import quote

        if not os.path.exists(self.path):
            return (f"Path (<tt>{html.escape(self.path)}</tt>) doesn't exist. It may still be in the "
                    "process of being generated, or you may have the incorrect path.")
        link = self.html_link_str % (quote(self.url_prefix + self.path.replace(os.sep, "/")),
                                     html.escape(self.path))
        return self.result_html_prefix + link + self.result_html_suffix

    def __repr__(self) -> str:
        return os.path.abspath(self.path)
