"""execute_request outputs through a real kernel: execute_input, execute_result and rich reprs,
display(), streams (many small prints, one huge print), errors and their tracebacks. Every
message received is validated against the spec (the `vkernel` fixture)."""

from __future__ import annotations

import base64

from conftest import stream_text
from test_protocol_support import of_type, strip_ansi, vkernel  # noqa: F401 (fixture)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def result(outputs: list[dict]) -> dict:
    results = of_type(outputs, "execute_result")
    assert len(results) == 1, outputs
    return results[0]["content"]


def test_execute_input_then_result(vkernel):
    code = "x = 6\nx * 7"
    reply, outputs = vkernel.execute(code)
    content = reply["content"]
    assert content["status"] == "ok"
    assert content["execution_count"] == 1
    assert content["user_expressions"] == {} and content["payload"] == []
    assert [m["msg_type"] for m in outputs] == ["execute_input", "execute_result"]
    assert outputs[0]["content"] == {"code": code, "execution_count": 1}
    assert result(outputs) == {"execution_count": 1, "data": {"text/plain": "42"}, "metadata": {}}


def test_only_the_last_expression_is_displayed(vkernel):
    reply, outputs = vkernel.execute("1\n2\nif True:\n    3\n'last'")
    assert result(outputs)["data"] == {"text/plain": "'last'"}
    reply, outputs = vkernel.execute("y = 5")
    assert not of_type(outputs, "execute_result")
    reply, outputs = vkernel.execute("None")
    assert not of_type(outputs, "execute_result")


def test_rich_reprs(vkernel):
    vkernel.execute(
        "class Rich:\n"
        "    def _repr_html_(self): return '<b>rich</b>'\n"
        "    def _repr_markdown_(self): return '**rich**'\n"
        "    def __repr__(self): return 'Rich()'\n")
    reply, outputs = vkernel.execute("Rich()")
    assert result(outputs)["data"] == {"text/html": "<b>rich</b>", "text/markdown": "**rich**",
                                       "text/plain": "Rich()"}
    # the class itself is not rendered richly: its _repr_html_ is unbound
    reply, outputs = vkernel.execute("Rich")
    assert set(result(outputs)["data"]) == {"text/plain"}


def test_repr_mimebundle_with_metadata(vkernel):
    vkernel.execute(
        "class Bundle:\n"
        "    def _repr_mimebundle_(self, include=None, exclude=None):\n"
        "        return ({'text/plain': 'plain bundle', 'application/json': {'a': [1, 2]}},\n"
        "                {'application/json': {'expanded': True}})\n")
    reply, outputs = vkernel.execute("Bundle()")
    content = result(outputs)
    assert content["data"] == {"text/plain": "plain bundle", "application/json": {"a": [1, 2]}}
    assert content["metadata"] == {"application/json": {"expanded": True}}


def test_repr_png_bytes_are_base64(vkernel):
    vkernel.execute(
        f"PNG = {PNG!r}\n"
        "class Image:\n"
        "    def _repr_png_(self): return PNG\n"
        "class SizedImage:\n"
        "    def _repr_png_(self): return PNG, {'width': 10, 'height': 20}\n")
    reply, outputs = vkernel.execute("Image()")
    data = result(outputs)["data"]
    assert isinstance(data["image/png"], str)
    assert base64.b64decode(data["image/png"]) == PNG
    assert "text/plain" in data
    reply, outputs = vkernel.execute("SizedImage()")
    content = result(outputs)
    assert base64.b64decode(content["data"]["image/png"]) == PNG
    assert content["metadata"] == {"image/png": {"width": 10, "height": 20}}


def test_trailing_semicolon_suppresses_the_result(vkernel):
    for code in ("1 + 1;", "1 + 1 ;  ", "1 + 1;  # a comment", "z = [1]\nz;"):
        reply, outputs = vkernel.execute(code)
        assert reply["content"]["status"] == "ok"
        assert not of_type(outputs, "execute_result"), code
    reply, outputs = vkernel.execute("a = 1; a")  # a ';' between statements does not
    assert result(outputs)["data"] == {"text/plain": "1"}
    reply, outputs = vkernel.execute("'a;'")  # nor one inside a string
    assert result(outputs)["data"] == {"text/plain": "'a;'"}


def test_display_publishes_display_data(vkernel):
    vkernel.execute("class Html:\n    def _repr_html_(self): return '<i>h</i>'\n")
    reply, outputs = vkernel.execute(
        "display(1, {'k': 'v'})\n"
        "display(Html(), metadata={'isolated': True})\n"
        "display({'text/plain': 'raw'}, raw=True)\n"
        "display('tracked', display_id='d1')\n"
        "'after'")
    assert reply["content"]["status"] == "ok"
    displays = [m["content"] for m in of_type(outputs, "display_data")]
    assert len(displays) == 5
    assert [displays[i]["data"] for i in (0, 1, 3, 4)] == [
        {"text/plain": "1"}, {"text/plain": "{'k': 'v'}"}, {"text/plain": "raw"}, {"text/plain": "'tracked'"}]
    assert displays[2]["data"]["text/html"] == "<i>h</i>"
    assert displays[2]["data"]["text/plain"].startswith("<__main__.Html object")
    assert displays[2]["metadata"] == {"isolated": True}
    assert displays[4]["transient"] == {"display_id": "d1"}
    assert outputs[-1]["msg_type"] == "execute_result"  # displays come before the result


def test_stdout_and_stderr_streams_in_order(vkernel):
    reply, outputs = vkernel.execute(
        "import sys\n"
        "print('out 1')\n"
        "print('err 1', file=sys.stderr)\n"
        "sys.stdout.write('out 2\\n')\n"
        "print('no newline', end='')")
    streams = [(m["content"]["name"], m["content"]["text"]) for m in of_type(outputs, "stream")]
    merged = []  # adjacent texts of one stream may be split or joined: compare per run
    for name, text in streams:
        if merged and merged[-1][0] == name:
            merged[-1] = (name, merged[-1][1] + text)
        else:
            merged.append((name, text))
    assert merged == [("stdout", "out 1\n"), ("stderr", "err 1\n"), ("stdout", "out 2\nno newline")]


def test_outputs_keep_their_order(vkernel):
    """Buffered stream text goes out before any later display or result."""
    reply, outputs = vkernel.execute("print('a')\ndisplay('b')\nprint('c')\n'd'")
    kinds = [(m["msg_type"], m["content"].get("text") or m["content"].get("data", {}).get("text/plain"))
             for m in outputs]
    assert kinds == [("execute_input", None), ("stream", "a\n"), ("display_data", "'b'"), ("stream", "c\n"),
                     ("execute_result", "'d'")]


def test_many_prints_arrive_complete_in_few_messages(vkernel):
    reply, outputs = vkernel.execute("for i in range(200000): print(i)", timeout=60)
    assert reply["content"]["status"] == "ok"
    streams = of_type(outputs, "stream")
    print(f"\n200000 prints arrived in {len(streams)} stream messages")
    assert stream_text(outputs) == "".join(f"{i}\n" for i in range(200000))
    assert len(streams) <= 50


def test_a_20_mb_print_arrives_whole(vkernel):
    reply, outputs = vkernel.execute("print('0123456789' * 2_000_000)", timeout=60)
    assert reply["content"]["status"] == "ok"
    text = stream_text(outputs)
    print(f"\n20 MB print arrived in {len(of_type(outputs, 'stream'))} stream messages")
    assert len(text) == 20_000_001
    assert text == "0123456789" * 2_000_000 + "\n"


def error_text(reply: dict, outputs: list[dict]) -> str:
    """The reply's traceback, ANSI-stripped, after checking the error message matches it."""
    errors = of_type(outputs, "error")
    assert len(errors) == 1
    content = reply["content"]
    assert content["status"] == "error"
    for key in ("ename", "evalue", "traceback"):
        assert errors[0]["content"][key] == content[key]
    return strip_ansi("\n".join(content["traceback"]))


def test_error_traceback_names_the_cell(vkernel):
    code = "print('before')\ndef f():\n    return 1 / 0\n\nf()"
    reply, outputs = vkernel.execute(code)
    assert reply["content"]["ename"] == "ZeroDivisionError"
    assert reply["content"]["evalue"] == "division by zero"
    assert reply["content"]["execution_count"] == 1
    text = error_text(reply, outputs)
    assert "Cell In[1], line 5" in text
    assert "Cell In[1], line 3, in f()" in text
    assert "return 1 / 0" in text and "f()" in text  # the source lines
    assert "ZeroDivisionError: division by zero" in text
    assert "minikernel" not in text  # no kernel frames, no internal file names
    assert "<string>" not in text and "exec(" not in text
    kinds = [m["msg_type"] for m in outputs]
    assert kinds.index("stream") < kinds.index("error")  # output before the error comes first


def test_traceback_names_the_cell_that_defined_the_function(vkernel):
    vkernel.execute("def g(x):\n    return x['missing']")
    reply, outputs = vkernel.execute("g({})")
    text = error_text(reply, outputs)
    assert reply["content"]["ename"] == "KeyError"
    assert "Cell In[2], line 1" in text
    assert "Cell In[1], line 2, in g()" in text
    assert "return x['missing']" in text
    assert "minikernel" not in text


def test_syntax_error_names_the_cell(vkernel):
    vkernel.execute("pass")
    reply, outputs = vkernel.execute("a = 1\nif a\n    pass")
    assert reply["content"]["ename"] == "SyntaxError"
    text = error_text(reply, outputs)
    assert "Cell In[2], line 2" in text
    assert "if a" in text
    assert "SyntaxError" in text
    assert "minikernel" not in text
    assert not of_type(outputs, "stream")  # nothing of the cell ran


def test_chained_exceptions_are_readable(vkernel):
    reply, outputs = vkernel.execute(
        "try:\n    {}['k']\nexcept KeyError as e:\n    raise ValueError('wrapped') from e")
    text = error_text(reply, outputs)
    assert reply["content"]["ename"] == "ValueError" and reply["content"]["evalue"] == "wrapped"
    assert "KeyError" in text and "direct cause" in text
    assert text.index("KeyError") < text.index("ValueError: wrapped")
    assert "minikernel" not in text
