"""Display machinery, engine only: display()/update_display()/clear_output(), DisplayHandle, the
display hook, the formatter (mimebundles, _ipython_display_, pretty text/plain) and the
minikernel.display classes. Output goes to a list; no kernel."""

import base64
import builtins
import collections

import pytest

from minikernel import display as md
from minikernel.engine import display as engine_display
from minikernel.engine.events import ClearOutput, DisplayData, ExecuteResult, UpdateDisplayData
from minikernel.engine.execute import Executor
from minikernel.engine.formatter import format_object, plain_text
from minikernel.engine.pretty import pretty

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 8
GIF = b"GIF89a" + b"\0" * 8


class Run:
    def __init__(self):
        self.events, self.text = [], []
        self.ex = Executor(self.events.append, lambda name, text: self.text.append((name, text)),
                           lambda prompt, password: "")

    def __call__(self, code, **kw):
        self.events.clear()
        self.text.clear()
        with self.ex.hooks():
            outcome = self.ex.execute(code, **kw)
        assert outcome.ok, outcome.error
        return self.outputs()

    def outputs(self):
        return [e for e in self.events if isinstance(e, (DisplayData, UpdateDisplayData, ClearOutput, ExecuteResult))]

    def stderr(self):
        return "".join(t for n, t in self.text if n == "stderr")


@pytest.fixture
def run():
    return Run()


# -- display(), handles, update, clear ---------------------------------------------------------
def test_builtin_display_is_the_public_function(run):
    run("import builtins, minikernel.display as m\nsame = builtins.display is m.display")
    assert run.ex.namespace["same"] is True
    assert getattr(builtins, "display", None) is not engine_display.display  # put back on exit
    assert engine_display.current_publisher() is None


def test_display_id_true_returns_a_handle_and_update_replaces(run):
    out = run("h = display('one', display_id=True)\nh.update('two')\nh.display('three')\nh")
    first, update, again, result = out
    did = run.ex.namespace["h"].display_id
    assert isinstance(first, DisplayData) and first.transient == {"display_id": did}
    assert isinstance(update, UpdateDisplayData)
    assert update.data == {"text/plain": "'two'"} and update.transient == {"display_id": did}
    assert isinstance(again, DisplayData) and again.transient == {"display_id": did}
    assert result.data["text/plain"] == f"<DisplayHandle display_id={did}>"
    assert len(did) == 32


def test_given_display_id_and_update_display_function(run):
    out = run("from minikernel.display import update_display\n"
              "h = display('a', display_id='mine')\n"
              "update_display({'text/plain': 'B'}, display_id='mine', raw=True)\n"
              "update_display('c', display_id='mine', metadata={'m': 1})")
    assert run.ex.namespace["h"].display_id == "mine"
    assert [type(e) for e in out] == [DisplayData, UpdateDisplayData, UpdateDisplayData]
    assert out[1].data == {"text/plain": "B"} and out[1].transient == {"display_id": "mine"}
    assert out[2].metadata == {"m": 1}


def test_update_needs_a_display_id(run):
    with run.ex.hooks():
        outcome = run.ex.execute("display(1, update=True)")
    assert outcome.error.ename == "TypeError"


def test_empty_display_with_id_is_a_placeholder(run):
    out = run("h = display(display_id=True)")
    assert out[0].data == {} and out[0].transient["display_id"] == run.ex.namespace["h"].display_id


def test_clear_output_and_clear_flag(run):
    out = run("from minikernel.display import clear_output\n"
              "for i in range(3):\n    clear_output(wait=True)\n    display(i)\n"
              "clear_output()\ndisplay('x', clear=True)")
    kinds = [(type(e).__name__, getattr(e, "wait", None)) for e in out]
    assert kinds == [("ClearOutput", True), ("DisplayData", None)] * 3 + [
        ("ClearOutput", False), ("ClearOutput", True), ("DisplayData", None)]


def test_raw_include_exclude_metadata_transient(run):
    run("class R:\n"
        "    def _repr_html_(self): return '<b>r</b>'\n"
        "    def _repr_markdown_(self): return '**r**'\n")
    out = run("display({'text/html': '<i>raw</i>'}, raw=True, metadata={'a': 1})\n"
              "display(R(), include=['text/html'])\n"
              "display(R(), exclude=['text/html', 'text/plain'])\n"
              "display(R(), metadata={'text/html': {'isolated': True}}, transient={'k': 'v'})")
    assert out[0].data == {"text/html": "<i>raw</i>"} and out[0].metadata == {"a": 1}
    assert out[1].data == {"text/html": "<b>r</b>"}
    assert out[2].data == {"text/markdown": "**r**"}
    assert out[3].metadata == {"text/html": {"isolated": True}} and out[3].transient == {"k": "v"}


def test_mimebundle_gets_include_exclude(run):
    out = run("class B:\n"
              "    def _repr_mimebundle_(self, include=None, exclude=None):\n"
              "        return {'text/plain': f'{include}|{exclude}', 'text/html': 'h'}\n"
              "display(B(), include=['text/plain'], exclude=['x'])")
    assert out[0].data == {"text/plain": "['text/plain']|['x']"}


def test_ipython_display_replaces_formatting(run):
    code = ("class S:\n"
            "    def _ipython_display_(self): display({'text/plain': 'self-shown'}, raw=True)\n"
            "    def _repr_html_(self): return 'never'\n")
    out = run(code + "display(S())\nS()")
    assert [e.data for e in out] == [{"text/plain": "self-shown"}] * 2  # no execute_result
    assert type(run.ex.namespace["_"]).__name__ == "S"  # still the cell's value


def test_broken_ipython_display_falls_back_to_formatting(run):
    out = run("class S:\n    def _ipython_display_(self): 1/0\n    def __repr__(self): return 'S!'\nS()")
    assert out[0].data == {"text/plain": "S!"}
    assert "ZeroDivisionError" in run.stderr()


def test_silent_cell_displays_nothing(run):
    assert run("display(1, display_id=True)\nfrom minikernel.display import clear_output\nclear_output()",
               silent=True) == []


def test_outside_a_kernel_display_prints(capsys):
    assert engine_display.current_publisher() is None
    assert md.display([1, 2]) is None
    assert md.display({"text/plain": "raw"}, raw=True) is None
    handle = md.display("x", display_id=True)
    md.update_display("y", display_id=handle.display_id)  # nothing to update: no error
    md.clear_output()
    assert capsys.readouterr().out == "[1, 2]\nraw\n'x'\n"


# -- the formatter -------------------------------------------------------------------------------
def test_repr_methods_with_metadata_tuples():
    class T:
        def _repr_html_(self):
            return "<p>", {"isolated": True}

        def _repr_png_(self):
            return PNG

        def _repr_json_(self):
            return None  # skipped

    data, meta = format_object(T())
    assert data["text/html"] == "<p>" and meta == {"text/html": {"isolated": True}}
    assert base64.b64decode(data["image/png"]) == PNG
    assert "application/json" not in data


def test_pretty_long_list_one_item_per_line():
    text = plain_text(list(range(100)))
    lines = text.splitlines()
    assert lines[0] == "[0," and lines[1] == " 1," and lines[-1] == " 99]" and len(lines) == 100
    assert plain_text([1, 2, 3]) == "[1, 2, 3]"


def test_pretty_nested_and_hanging_indent():
    text = plain_text({"key": list(range(30)), "b": (1,)})
    assert text.startswith("{'key': [0,\n  1,\n  2,")
    assert text.endswith("  29],\n 'b': (1,)}")


def test_pretty_truncates_after_1000_items():
    text = plain_text(list(range(5000)))
    assert text.endswith(" 999,\n ...]") and text.count("\n") == 1000
    assert plain_text(set(range(2000))).endswith("...}")


def test_pretty_sets_cycles_subclasses_collections():
    assert plain_text({"b", "a", "c"}) == "{'a', 'b', 'c'}"  # sorted, as IPython
    assert plain_text(frozenset()) == "frozenset()"
    cyc = [1]
    cyc.append(cyc)
    assert plain_text(cyc) == "[1, [...]]"

    class Own(list):
        def __repr__(self):
            return "own"

    assert plain_text(Own(range(100))) == "own"
    assert plain_text(collections.Counter("aab")) == "Counter({'a': 2, 'b': 1})"
    dd = plain_text(collections.defaultdict(list, {i: [i] * 9 for i in range(10)}))
    assert dd.startswith("defaultdict(list,\n            {0: [0,")


def test_repr_pretty_printer_api():
    class Point:
        def __init__(self, *xs):
            self.xs = xs

        def _repr_pretty_(self, p, cycle):
            with p.group(6, "Point(", ")"):
                for i, x in enumerate(self.xs):
                    if i:
                        p.text(",")
                        p.breakable()
                    p.pretty(x)

    assert plain_text(Point(1, 2)) == "Point(1, 2)"
    text = plain_text(Point(*range(40)))
    assert text.startswith("Point(0,\n      1,\n") and text.endswith("39)")
    assert plain_text([Point(1)]) == "[Point(1)]"  # nested: used inside containers too

    class Lines:
        def _repr_pretty_(self, p, cycle):
            p.begin_group(2, "<")
            p.text("a")
            p.break_()
            with p.indent(2):
                p.text("b")
            p.end_group(2, ">")

    assert plain_text(Lines()) == "<a\n  b>"


def test_broken_repr_pretty_falls_back_to_repr():
    class Bad:
        def _repr_pretty_(self, p, cycle):
            raise ValueError("no")

        def __repr__(self):
            return "bad"

    assert plain_text(Bad()) == "bad"


def test_pretty_matches_ipython_when_installed():
    ipretty = pytest.importorskip("IPython.lib.pretty").pretty
    samples = [list(range(300)), {i: list(range(i)) for i in range(20)}, [[list(range(12))] * 3] * 3,
               tuple(range(50)), set(range(60)), {"x" * 70: ["y" * 30] * 4}, collections.deque(range(50)),
               collections.OrderedDict((i, i) for i in range(30)), collections.Counter("abracadabra" * 9 + "xyzwv")]
    for sample in samples:
        assert pretty(sample) == ipretty(sample)


# -- minikernel.display classes ---------------------------------------------------------------------
@pytest.mark.parametrize("obj, mime, value", [
    (md.HTML("<b>h</b>"), "text/html", "<b>h</b>"),
    (md.Markdown("# m"), "text/markdown", "# m"),
    (md.Latex(r"$x^2$"), "text/latex", r"$x^2$"),
    (md.Math(r"x^2"), "text/latex", r"$\displaystyle x^2$"),
    (md.JSON({"a": [1]}), "application/json", {"a": [1]}),
    (md.JSON('{"a": 2}'), "application/json", {"a": 2}),
    (md.SVG('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), "image/svg+xml",
     '<svg xmlns="http://www.w3.org/2000/svg"/>'),
    (md.Javascript("alert(1)"), "application/javascript", "alert(1)"),
    (md.Pretty("just text"), "text/plain", "just text"),
    (md.Image(PNG), "image/png", base64.b64encode(PNG).decode()),
    (md.Image(JPEG), "image/jpeg", base64.b64encode(JPEG).decode()),
    (md.Image(GIF), "image/gif", base64.b64encode(GIF).decode()),
])
def test_display_classes_give_their_mimetype(obj, mime, value):
    data, _ = format_object(obj)
    assert data[mime] == value
    assert "text/plain" in data


def test_display_class_text_plain_and_metadata():
    data, meta = format_object(md.HTML("<b>", metadata={"isolated": True}))
    assert data["text/plain"] == "<minikernel.display.HTML object>"
    assert meta == {"text/html": {"isolated": True}}
    assert format_object(md.JSON([1], expanded=True))[1] == {
        "application/json": {"expanded": True, "root": "root"}}


def test_image_from_file_url_and_size(tmp_path):
    path = tmp_path / "pic.png"
    path.write_bytes(PNG)
    data, meta = format_object(md.Image(filename=str(path), width=40, height=20))
    assert base64.b64decode(data["image/png"]) == PNG and meta == {"image/png": {"width": 40, "height": 20}}
    assert format_object(md.Image(str(path)))[0]["image/png"] == data["image/png"]  # a str path
    data, _ = format_object(md.Image(url="https://example.org/a.jpg", width=10))
    assert data["text/html"] == '<img src="https://example.org/a.jpg" width="10"/>'
    assert "image/jpeg" not in data
    with pytest.raises(ValueError):
        md.Image(b"not an image")


def test_text_objects_read_files(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<p>from file</p>")
    assert format_object(md.HTML(filename=str(path)))[0]["text/html"] == "<p>from file</p>"
    assert format_object(md.HTML(str(path)))[0]["text/html"] == "<p>from file</p>"


def test_javascript_lib_and_filelink(tmp_path):
    js = format_object(md.Javascript("go()", lib="https://x/lib.js"))[0]["application/javascript"]
    assert '$.getScript("https://x/lib.js"' in js and "go()" in js
    target = tmp_path / "f.txt"
    target.write_text("x")
    link = md.FileLink(str(target))
    data, _ = format_object(link)
    assert "<a href=" in data["text/html"] and data["text/html"].endswith("<br>")
    assert data["text/plain"] == str(target)
    assert "doesn't exist" in format_object(md.FileLink("missing.txt"))[0]["text/html"]


def test_classes_render_as_last_expression(run):
    out = run("from minikernel.display import Markdown\nMarkdown('*m*')")
    assert isinstance(out[0], ExecuteResult) and out[0].data["text/markdown"] == "*m*"


def test_objects_that_claim_every_attribute_are_plain_text(run):
    from unittest import mock

    data, meta = format_object(mock.MagicMock())
    assert list(data) == ["text/plain"] and meta == {}
    out = run("from unittest import mock\ndisplay(mock.Mock())\nmock.Mock()")
    assert [list(e.data) for e in out] == [["text/plain"], ["text/plain"]]


def test_publish_display_data(run):
    out = run("from minikernel.display import publish_display_data\n"
              "publish_display_data({'text/html': '<b>'}, {'text/html': {'a': 1}}, transient={'display_id': 'p'})")
    assert out[0].data == {"text/html": "<b>"} and out[0].metadata == {"text/html": {"a": 1}}
    assert out[0].transient == {"display_id": "p"}


def test_image_retina_halves_the_pixel_size():
    import struct

    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 200, 100) + b"\x08\x02\0\0\0"
    assert format_object(md.Image(png, retina=True))[1] == {"image/png": {"width": 100, "height": 50}}
    jpeg = (b"\xff\xd8\xff\xe0\x00\x10" + b"\0" * 14 + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 60, 80)
            + b"\0" * 12)
    assert format_object(md.Image(jpeg, retina=True))[1] == {"image/jpeg": {"width": 40, "height": 30}}
