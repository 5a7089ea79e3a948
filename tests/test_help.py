"""`obj?`, `?obj`, `obj??` through the real protocol: a pager payload (spec: execute_reply
payloads, source "page") with signature, docstring, file, type and, for `??`, the source."""

from __future__ import annotations

import pytest

from conftest import KERNEL_NAME, Kernel, stream_text

pytestmark = pytest.mark.timeout(60)


def page(kernel, code: str) -> tuple[dict, list[dict]]:
    reply, outputs = kernel.execute(code, timeout=30)
    content = reply["content"]
    assert content["status"] == "ok", content
    pages = [p for p in content["payload"] if p["source"] == "page"]
    assert len(pages) == 1, content["payload"]
    assert pages[0]["start"] == 0
    return pages[0]["data"], outputs


def test_question_mark_after_and_before(kernel):
    for code in ("len?", "?len", "len?  "):
        data, outputs = page(kernel, code)
        assert [m["msg_type"] for m in outputs] == ["execute_input"]  # nothing in the cell itself
        text = data["text/plain"]
        assert "Signature:" in text and "len(obj, /)" in text
        assert "Return the number of items in a container." in text
        assert "Type:" in text and "builtin_function_or_method" in text
        assert "**Docstring:**" in data["text/markdown"]


def test_double_question_mark_shows_source_and_file(kernel):
    ok_reply, _ = kernel.execute("def twice(x):\n    '''Double it.'''\n    return 2 * x", timeout=30)
    assert ok_reply["content"]["status"] == "ok"
    data, _ = page(kernel, "twice??")
    assert "Double it." in data["text/plain"]
    assert "return 2 * x" in data["text/plain"]
    data, _ = page(kernel, "twice?")
    assert "return 2 * x" not in data["text/plain"]
    data, _ = page(kernel, "import json\njson.dumps?")
    assert "File:" in data["text/plain"] and "json/__init__.py" in data["text/plain"]
    data, _ = page(kernel, "??json.dumps")
    assert "def dumps(" in data["text/plain"]


def test_help_on_instances_and_magics(kernel):
    data, _ = page(kernel, "value = [1, 2]\nvalue?")
    assert "String form:" in data["text/plain"] and "[1, 2]" in data["text/plain"]
    data, _ = page(kernel, "%%capture?")
    assert "%%capture" in data["text/plain"] and "--no-stdout" in data["text/plain"]
    data, _ = page(kernel, "%writefile?")  # no line magic of that name: the cell magic
    assert "%%writefile" in data["text/plain"]


def test_help_inside_a_block_uses_locals(kernel):
    data, _ = page(kernel, "def f():\n    inner = 3.5\n    inner?\nf()")
    assert "float" in data["text/plain"] and "3.5" in data["text/plain"]


def test_unknown_object(kernel):
    reply, outputs = kernel.execute("no_such_thing?", timeout=30)
    assert reply["content"]["status"] == "ok" and reply["content"]["payload"] == []
    assert stream_text(outputs) == "Object `no_such_thing` not found.\n"


def test_question_marks_in_strings_and_comments_are_python(kernel):
    reply, outputs = kernel.execute("s = 'what?'  # why?\ns", timeout=30)
    assert reply["content"]["payload"] == []
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["'what?'"]


@pytest.fixture
def no_pager(jupyter_env):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30,
                              extra_arguments=["--Kernel.help_in_pager=False"])
    try:
        yield Kernel(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


def test_help_in_the_cell_without_a_pager(no_pager):
    reply, outputs = no_pager.execute("len?", timeout=30)
    assert reply["content"]["payload"] == []
    shown = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and "Return the number of items" in shown[0]["text/plain"]
    assert "**Docstring:**" in shown[0]["text/markdown"]
