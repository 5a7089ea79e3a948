"""Magics through the real protocol: errors (unknown magic, usage), line numbers after magic lines,
cell magics (%%capture, %%writefile, display ones), user magics (minikernel.magics), the
get_ipython() shim, payloads, and that rewritten lines leave no names behind."""

from __future__ import annotations

import pytest

from conftest import stream_text

pytestmark = pytest.mark.timeout(60)


def ok(kernel, code: str) -> list[dict]:
    reply, outputs = kernel.execute(code, timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]
    return outputs


def error(kernel, code: str) -> tuple[dict, list[dict]]:
    reply, outputs = kernel.execute(code, timeout=30)
    assert reply["content"]["status"] == "error", reply["content"]
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1
    return errors[0], outputs


def result(outputs: list[dict]) -> str:
    results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
    assert len(results) == 1, outputs
    return results[0]


def test_unknown_magic_names_it_and_points_to_lsmagic(kernel):
    err, outputs = error(kernel, "print('before')\n%no_such_magic some args\nprint('after')")
    assert stream_text(outputs) == "before\n"
    assert err["ename"] == "UsageError"
    assert "`%no_such_magic`" in err["evalue"] and "%lsmagic" in err["evalue"]
    assert err["traceback"] == [f"\x1b[31mUsageError\x1b[0m: {err['evalue']}"]  # no kernel frames
    err, _ = error(kernel, "%%no_such_cell_magic\nbody")
    assert err["ename"] == "UsageError" and "`%%no_such_cell_magic`" in err["evalue"]


def test_cell_magic_used_as_line_magic_says_so(kernel):
    err, _ = error(kernel, "%writefile x.txt")
    assert err["ename"] == "UsageError" and "%%writefile" in err["evalue"]
    err, _ = error(kernel, "x = 1\n%%capture\nprint(x)")
    assert err["ename"] == "UsageError" and "first line" in err["evalue"]


def test_bad_arguments_give_a_usage_message(kernel):
    err, _ = error(kernel, "%%writefile\ntext")
    assert err["ename"] == "UsageError" and "usage: %%writefile" in err["evalue"]
    err, _ = error(kernel, "%%capture --bogus\n1")
    assert err["ename"] == "UsageError" and "%%capture" in err["evalue"]
    assert result(ok(kernel, "1 + 1")) == "2"  # and the kernel goes on


def test_traceback_lines_after_magic_lines(kernel):
    err, _ = error(kernel, "x = 1\n!true\ns = '%%not a magic'\n"
                           "for i in range(2):\n    !true\ny = 1 / 0")
    text = "".join(err["traceback"])
    assert "Cell In[1], line 6" in text
    assert "!true" in text  # the cell's own text around the failing line, as typed
    err, _ = error(kernel, "%%capture\nx = 1\n\nraise ValueError('in body')")
    assert err["ename"] == "ValueError"
    assert "line 4" in "".join(err["traceback"])


def test_rewritten_lines_leave_no_names(kernel):
    ok(kernel, "before = set(globals())")
    ok(kernel, "!true\nx = !echo hi\nprint?")
    ok(kernel, "%%capture\n!true")
    added = result(ok(kernel, "sorted(set(globals()) - before - {'before', '_', '__', '___'} "
                              "- {n for n in globals() if n.startswith('_i') or n.startswith('_') and n[1:].isdigit()})"))
    assert added == "['_exit_code', 'x']"


def test_capture(kernel):
    outputs = ok(kernel, "%%capture cap\nimport sys\nprint('out')\nprint('err', file=sys.stderr)\n"
                         "display({'text/html': '<b>h</b>', 'text/plain': 'h'}, raw=True)\n!echo shell")
    assert [m["msg_type"] for m in outputs] == ["execute_input"]
    assert result(ok(kernel, "cap.stdout, cap.stderr, [o.data for o in cap.outputs]")) == \
        "('out\\nshell\\n', 'err\\n', [{'text/html': '<b>h</b>', 'text/plain': 'h'}])"
    outputs = ok(kernel, "cap.show()")
    assert stream_text(outputs) == "out\nshell\n" and stream_text(outputs, "stderr") == "err\n"
    assert [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"] == \
        [{"text/html": "<b>h</b>", "text/plain": "h"}]
    outputs = ok(kernel, "%%capture --no-stdout --no-display c2\nprint('shown')\ndisplay(1)")
    assert stream_text(outputs) == "shown\n"
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "display_data"] == ["1"]
    assert result(ok(kernel, "c2.stdout, c2.outputs")) == "('', [])"
    outputs = ok(kernel, "%%capture c3\n%%html\n<i>nested</i>")  # a cell magic in the body
    assert [m["msg_type"] for m in outputs] == ["execute_input"]
    assert result(ok(kernel, "c3.outputs[0].data['text/html']")) == "'<i>nested</i>'"


def test_capture_keeps_what_ran_before_an_error(kernel):
    err, outputs = error(kernel, "%%capture c\nprint('partial')\n1/0")
    assert err["ename"] == "ZeroDivisionError" and stream_text(outputs) == ""
    assert result(ok(kernel, "c.stdout")) == "'partial\\n'"


def test_writefile(kernel, tmp_path):
    path = tmp_path / "out.txt"
    assert stream_text(ok(kernel, f"%%writefile {path}\nline 1\n")) == f"Writing {path}\n"
    assert stream_text(ok(kernel, f"%%writefile -a {path}\nline 2\n")) == f"Appending to {path}\n"
    assert path.read_text() == "line 1\nline 2\n"
    ok(kernel, f"folder = {str(tmp_path)!r}")
    assert stream_text(ok(kernel, "%%writefile $folder/out.txt\nnew\n")) == f"Overwriting {path}\n"
    assert path.read_text() == "new\n"


@pytest.mark.parametrize("magic, mimetype", [
    ("html", "text/html"), ("javascript", "application/javascript"), ("js", "application/javascript"),
    ("markdown", "text/markdown"), ("latex", "text/latex"), ("svg", "image/svg+xml"),
])
def test_display_cell_magics(kernel, magic, mimetype):
    outputs = ok(kernel, f"%%{magic}\n<b>content</b> $x")
    shown = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    assert len(shown) == 1 and shown[0][mimetype] == "<b>content</b> $x"


def test_user_magics_with_interpolation(kernel):
    ok(kernel, "from minikernel.magics import line_magic, cell_magic, line_cell_magic, registry, UsageError\n"
               "@line_magic\ndef shout(line):\n    '''Upper case.'''\n    return line.upper()\n"
               "@cell_magic('rev')\ndef reverse(line, cell):\n    print(line, '|', ' '.join(reversed(cell.split())))\n"
               "@line_cell_magic\ndef count(line, cell=None):\n    return len((cell or line).split())\n"
               "@line_magic(interpolate=False)\ndef raw(line):\n    return line\n"
               "@line_magic\ndef strict(line):\n    raise UsageError('strict takes nothing')\n"
               "name = 'alice'")
    assert result(ok(kernel, "%shout hi $name {1 + 1}")) == "'HI ALICE 2'"
    assert result(ok(kernel, "r = %shout $$5\nr")) == "'$5'"
    assert result(ok(kernel, "%raw $name {1}")) == "'$name {1}'"
    assert stream_text(ok(kernel, "%%rev $name\na b c")) == "alice | c b a\n"
    assert result(ok(kernel, "%count a b")) == "2"
    assert result(ok(kernel, "%%count\na b c\nd")) == "4"
    err, _ = error(kernel, "%strict")
    assert (err["ename"], err["evalue"]) == ("UsageError", "strict takes nothing")
    assert result(ok(kernel, "'shout' in registry().names('line'), 'rev' in registry().names('cell'), "
                             "registry().find('shout').doc")) == "(True, True, 'Upper case.')"


def test_a_magic_that_exits_does_not_kill_the_kernel(kernel):
    ok(kernel, "from minikernel.magics import line_magic\n@line_magic\ndef bye(line):\n    raise SystemExit(3)")
    err, _ = error(kernel, "%bye")
    assert err["ename"] == "SystemExit"
    assert result(ok(kernel, "'alive'")) == "'alive'"


def test_ipython_shim_methods(kernel):
    ok(kernel, "ip = get_ipython()\n"
               "def hello(line):\n    return 'hello ' + line\n"
               "ip.register_magic_function(hello)\n"
               "def wrap(line, cell):\n    return f'<{line}>{cell}'\n"
               "ip.register_magic_function(wrap, 'cell')\nwho = 'you'")
    assert result(ok(kernel, "%hello $who")) == "'hello you'"
    assert result(ok(kernel, "ip.run_line_magic('hello', 'there')")) == "'hello there'"
    assert result(ok(kernel, "ip.run_cell_magic('wrap', 'a', 'b')")) == "'<a>b'"
    assert result(ok(kernel, "ip.find_line_magic('hello')('x')")) == "'hello x'"
    outputs = ok(kernel, "ip.system('echo sys; exit 2')\n_exit_code")
    assert stream_text(outputs) == "sys\n" and result(outputs) == "2"
    assert result(ok(kernel, "ip.getoutput('echo a; echo b')")) == "['a', 'b']"
    assert result(ok(kernel, "ip.magic('hello world')")) == "'hello world'"


def test_set_next_input_payload(kernel):
    ok(kernel, "from minikernel.magics import registry\n"
               "registry().add_line('nextin', lambda ctx, line: ctx.set_next_input(line, replace=True))")
    reply, _ = kernel.execute("%nextin print('next')", timeout=30)
    assert reply["content"]["payload"] == [{"source": "set_next_input", "text": "print('next')", "replace": True}]
