"""Display machinery through a real kernel: display_data / update_display_data / clear_output as
the messaging spec has them, minikernel.display classes, pretty text/plain, _ipython_display_,
and display()'s raw/include/exclude/metadata/transient. Every message is validated against the
spec's schemas (the `vkernel` fixture); every wait has a timeout (conftest's helpers)."""

from __future__ import annotations

import base64

from conftest import stream_text
from test_protocol_support import of_type, vkernel  # noqa: F401 (fixture)

TIMEOUT = 30
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def outputs_of(kernel, code: str) -> list[dict]:
    reply, outputs = kernel.execute(code, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok", reply["content"]
    return [m for m in outputs if m["msg_type"] != "execute_input"]


def test_display_id_update_changes_an_earlier_output(vkernel):
    first = outputs_of(vkernel, "h = display('step 1', display_id=True)")
    assert [m["msg_type"] for m in first] == ["display_data"]
    display_id = first[0]["content"]["transient"]["display_id"]
    assert display_id and first[0]["content"]["data"] == {"text/plain": "'step 1'"}

    # a later cell updates the output of the earlier one
    later = outputs_of(vkernel, "h.update('step 2')\n"
                                "from minikernel.display import update_display\n"
                                "update_display({'text/plain': 'step 3'}, display_id=h.display_id, raw=True)")
    assert [m["msg_type"] for m in later] == ["update_display_data"] * 2
    assert [m["content"]["data"] for m in later] == [{"text/plain": "'step 2'"}, {"text/plain": "step 3"}]
    assert all(m["content"]["transient"] == {"display_id": display_id} for m in later)
    assert all(m["content"]["metadata"] == {} for m in later)


def test_given_display_id_returns_a_handle(vkernel):
    out = outputs_of(vkernel, "h = display('x', display_id='fixed')\nh.display('again')\ntype(h).__name__, h.display_id")
    assert [m["content"]["transient"] for m in of_type(out, "display_data")] == [{"display_id": "fixed"}] * 2
    assert of_type(out, "execute_result")[0]["content"]["data"]["text/plain"] == "('DisplayHandle', 'fixed')"


def test_clear_output_wait_loop(vkernel):
    out = outputs_of(vkernel, "from minikernel.display import clear_output\n"
                              "for i in range(3):\n"
                              "    clear_output(wait=True)\n"
                              "    print(f'tick {i}')\n"
                              "clear_output()\n"
                              "display('end', clear=True)")
    kinds = [m["msg_type"] for m in out]
    assert kinds == ["clear_output", "stream"] * 3 + ["clear_output", "clear_output", "display_data"]
    waits = [m["content"] for m in of_type(out, "clear_output")]
    assert waits == [{"wait": True}] * 3 + [{"wait": False}, {"wait": True}]
    # each tick's text comes after the clear that precedes it
    assert [m["content"]["text"] for m in of_type(out, "stream")] == ["tick 0\n", "tick 1\n", "tick 2\n"]


def test_each_display_class_gives_its_mimetype(vkernel):
    vkernel.execute("import minikernel.display as md\n"
                    f"PNG = {PNG!r}", timeout=TIMEOUT)
    cases = {
        "md.HTML('<b>h</b>')": ("text/html", "<b>h</b>"),
        "md.Markdown('# m')": ("text/markdown", "# m"),
        "md.Latex('$x$')": ("text/latex", "$x$"),
        "md.Math('x^2')": ("text/latex", "$\\displaystyle x^2$"),
        "md.JSON({'a': 1})": ("application/json", {"a": 1}),
        "md.SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"/>')": ("image/svg+xml",
                                                                 '<svg xmlns="http://www.w3.org/2000/svg"/>'),
        "md.Javascript('void 0')": ("application/javascript", "void 0"),
        "md.Pretty('plain words')": ("text/plain", "plain words"),
        "md.Image(PNG, width=32)": ("image/png", base64.b64encode(PNG).decode()),
        "md.FileLink('nowhere.txt')": ("text/html", None),
    }
    for expr, (mime, value) in cases.items():
        out = outputs_of(vkernel, f"display({expr})\n{expr}")  # display() and the last expression
        assert [m["msg_type"] for m in out] == ["display_data", "execute_result"], expr
        for msg in out:
            data = msg["content"]["data"]
            assert mime in data and "text/plain" in data, (expr, data)
            if value is not None:
                assert data[mime] == value, expr
    out = outputs_of(vkernel, "md.Image(PNG, width=32, height=16)")
    assert out[0]["content"]["metadata"] == {"image/png": {"width": 32, "height": 16}}
    out = outputs_of(vkernel, "md.JSON([1], expanded=True)")
    assert out[0]["content"]["metadata"] == {"application/json": {"expanded": True, "root": "root"}}


def test_pretty_text_plain_of_a_long_list(vkernel):
    out = outputs_of(vkernel, "list(range(100))")
    text = out[0]["content"]["data"]["text/plain"]
    assert text.splitlines()[:3] == ["[0,", " 1,", " 2,"] and text.endswith("\n 99]")
    out = outputs_of(vkernel, "display(list(range(2000)))")
    text = out[0]["content"]["data"]["text/plain"]
    assert text.endswith(" 999,\n ...]")
    out = outputs_of(vkernel, "class P:\n"
                              "    def _repr_pretty_(self, p, cycle):\n"
                              "        with p.group(2, 'P<', '>'):\n"
                              "            p.text('a'); p.breakable(); p.text('b')\n"
                              "P()")
    assert out[0]["content"]["data"]["text/plain"] == "P<a b>"


def test_ipython_display_is_called_instead_of_formatting(vkernel):
    out = outputs_of(vkernel, "class Self:\n"
                              "    def _ipython_display_(self):\n"
                              "        display({'text/html': '<i>me</i>', 'text/plain': 'me'}, raw=True)\n"
                              "        print('shown')\n"
                              "    def _repr_html_(self): return 'not used'\n"
                              "display(Self())\n"
                              "Self()")
    assert [m["msg_type"] for m in out] == ["display_data", "stream", "display_data", "stream"]
    assert all(m["content"]["data"] == {"text/html": "<i>me</i>", "text/plain": "me"}
               for m in of_type(out, "display_data"))
    assert stream_text(out) == "shown\nshown\n"


def test_raw_include_exclude_metadata_transient(vkernel):
    out = outputs_of(vkernel,
                     "class R:\n"
                     "    def _repr_html_(self): return '<b>r</b>'\n"
                     "    def _repr_markdown_(self): return '**r**'\n"
                     "display({'text/markdown': '*raw*'}, raw=True, metadata={'text/markdown': {'m': 1}})\n"
                     "display(R(), include=['text/html', 'text/plain'])\n"
                     "display(R(), exclude=['text/html'])\n"
                     "display(R(), metadata={'isolated': True}, transient={'extra': 1})")
    contents = [m["content"] for m in of_type(out, "display_data")]
    assert contents[0]["data"] == {"text/markdown": "*raw*"}
    assert contents[0]["metadata"] == {"text/markdown": {"m": 1}}
    assert contents[1]["data"].keys() == {"text/html", "text/plain"}
    assert contents[2]["data"].keys() == {"text/markdown", "text/plain"}
    assert contents[3]["metadata"] == {"isolated": True}
    assert contents[3]["transient"] == {"extra": 1}


def test_display_in_a_silent_cell_sends_nothing(vkernel):
    reply, outputs = vkernel.execute("display('x', display_id=True)", silent=True, timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok"
    assert [m["msg_type"] for m in outputs] == []
