"""Kernel state across execute_requests: execution_count and store_history, silent, user_expressions,
the history variables (In, Out, _, __, ___, _N, _i, _ii, _iii, _iN), stop_on_error. Every message
received is validated against the spec (the `vkernel` fixture)."""

from __future__ import annotations

import ast

import pytest

from test_protocol_support import iopub_of, of_type, reply_of, vkernel  # noqa: F401 (fixture)


def value(kernel, expr: str):
    """A Python literal evaluated in the kernel, read back through user_expressions."""
    reply, _ = kernel.execute("", store_history=False, user_expressions={"v": expr})
    result = reply["content"]["user_expressions"]["v"]
    assert result["status"] == "ok", result
    return ast.literal_eval(result["data"]["text/plain"])


def test_execution_count_counts_only_stored_cells(vkernel):
    reply, outputs = vkernel.execute("1")
    assert reply["content"]["execution_count"] == 1
    assert of_type(outputs, "execute_input")[0]["content"]["execution_count"] == 1
    assert of_type(outputs, "execute_result")[0]["content"]["execution_count"] == 1

    reply, outputs = vkernel.execute("unstored = 2", store_history=False)
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1  # the counter did not move
    assert of_type(outputs, "execute_input")  # the cell is still announced

    reply, outputs = vkernel.execute("3")
    assert reply["content"]["execution_count"] == 2
    assert of_type(outputs, "execute_result")[0]["content"]["execution_count"] == 2
    assert value(vkernel, "(len(In), In[-1], unstored)") == (3, "3", 2)  # In holds stored cells only

    reply, _ = vkernel.execute("1 / 0", stop_on_error=False)  # a failing cell counts too
    assert reply["content"]["execution_count"] == 3
    reply, _ = vkernel.execute("4")
    assert reply["content"]["execution_count"] == 4


def test_silent_publishes_nothing_but_status(vkernel):
    vkernel.execute("0")
    for code in ("print('hidden'); silent_var = 5; silent_var", "display(1)", "1 / 0",
                 "import sys; print('e', file=sys.stderr)"):
        msg_id = vkernel.kc.execute(code, silent=True)
        reply = reply_of(vkernel, msg_id)
        assert reply["content"]["execution_count"] == 1, code  # not counted
        messages = iopub_of(vkernel, msg_id)
        assert [(m["msg_type"], m["content"]["execution_state"]) for m in messages] == \
               [("status", "busy"), ("status", "idle")], code
    assert reply["content"]["status"] == "ok"
    assert value(vkernel, "(silent_var, len(In))") == (5, 2)  # it ran, unrecorded
    # a failing silent cell does not abort what follows (stop_on_error ignores silent cells)
    reply, outputs = vkernel.execute("'after'")
    assert reply["content"] == {**reply["content"], "status": "ok", "execution_count": 2}


def test_user_expressions(vkernel):
    reply, outputs = vkernel.execute("a = 3", user_expressions={
        "double": "a * 2", "text": "'x' * 3", "zero": "1 / 0", "undefined": "nope", "syntax": "1 +"})
    assert reply["content"]["status"] == "ok"
    results = reply["content"]["user_expressions"]
    assert set(results) == {"double", "text", "zero", "undefined", "syntax"}
    assert results["double"] == {"status": "ok", "data": {"text/plain": "6"}, "metadata": {}}
    assert results["text"]["data"] == {"text/plain": "'xxx'"}
    for key, ename in (("zero", "ZeroDivisionError"), ("undefined", "NameError"), ("syntax", "SyntaxError")):
        assert results[key]["status"] == "error", key
        assert results[key]["ename"] == ename
        assert isinstance(results[key]["evalue"], str) and isinstance(results[key]["traceback"], list)
    # evaluating them publishes nothing
    assert [m["msg_type"] for m in outputs] == ["execute_input"]


def test_user_expressions_rich_data(vkernel):
    vkernel.execute("class H:\n    def _repr_html_(self): return '<p>h</p>'\n")
    reply, _ = vkernel.execute("", user_expressions={"h": "H()"})
    assert reply["content"]["user_expressions"]["h"]["data"]["text/html"] == "<p>h</p>"


def test_history_variables(vkernel):
    cells = ["10", "20", "x = 'no result'", "30"]
    for code in cells:
        vkernel.execute(code)
    # cell 5: IPython's meaning, _i/_ii/_iii are the previous inputs, _i5 this cell's own input
    names = ["In[0]", "In[1]", "In[4]", "Out", "_", "__", "___", "_1", "_2", "_4",
             "'_3' in globals()", "_i", "_ii", "_iii", "_i1", "_i4", "_i5 == In[5]", "len(In)"]
    reply, outputs = vkernel.execute("{%s}" % ", ".join(f"{n!r}: {n}" for n in names))
    assert reply["content"]["execution_count"] == 5
    got = ast.literal_eval(of_type(outputs, "execute_result")[0]["content"]["data"]["text/plain"])
    expected = {"In[0]": "", "In[1]": "10", "In[4]": "30", "Out": {1: 10, 2: 20, 4: 30},
                "_": 30, "__": 20, "___": 10, "_1": 10, "_2": 20, "_4": 30, "'_3' in globals()": False,
                "_i": "30", "_ii": "x = 'no result'", "_iii": "20", "_i1": "10", "_i4": "30",
                "_i5 == In[5]": True, "len(In)": 6}
    assert got == expected
    # and a cell's result becomes _ for the next one
    vkernel.execute("'five'")
    assert value(vkernel, "(_, __ is Out[5], Out[6], _6)") == ("five", True, "five", "five")


def send_three(kernel, first: str, **first_options) -> tuple[list[dict], list[list[dict]]]:
    """Three execute_requests back to back, without waiting; their replies and iopub messages."""
    kc = kernel.kc
    ids = [kc.execute(first, **first_options), kc.execute("ran_2 = True"), kc.execute("ran_3 = True")]
    replies = [reply_of(kernel, i) for i in ids]  # replies and iopub come in request order
    return replies, [iopub_of(kernel, i) for i in ids]


# the failing cell sleeps a little so that the next two are surely queued behind it
FAILING = "import time; time.sleep(0.2)\nraise ValueError('first')"


def test_stop_on_error_aborts_the_queued_cells(vkernel):
    replies, iopubs = send_three(vkernel, FAILING)
    assert replies[0]["content"]["ename"] == "ValueError"
    for reply, messages in zip(replies[1:], iopubs[1:]):
        assert reply["content"]["status"] == "error"
        assert not of_type(messages, "execute_input"), "an aborted cell was run"
        assert [m["content"]["execution_state"] for m in messages] == ["busy", "idle"]
    assert value(vkernel, "('ran_2' in globals(), 'ran_3' in globals(), len(In))") == (False, False, 2)
    reply, _ = vkernel.execute("'runs again'")  # aborting ended with the queue
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 2


@pytest.mark.parametrize("options", [{"stop_on_error": False}, {"silent": True}])
def test_without_stop_on_error_the_queued_cells_run(vkernel, options):
    replies, iopubs = send_three(vkernel, FAILING, **options)
    assert replies[0]["content"]["status"] == "error"
    assert [r["content"]["status"] for r in replies[1:]] == ["ok", "ok"]
    assert all(of_type(messages, "execute_input") for messages in iopubs[1:])
    assert value(vkernel, "(ran_2, ran_3)") == (True, True)


def test_a_request_sent_after_the_error_reply_is_not_aborted(vkernel):
    """stop_on_error aborts the requests queued behind the failed cell, not one the client sent
    after it had the error reply in hand. A busy thread in the kernel slows every GIL hand-over,
    which widens the window where the kernel could confuse the two."""
    kc = vkernel.kc
    vkernel.execute("import threading\n"
                    "def _spin():\n"
                    "    while True: pass\n"
                    "threading.Thread(target=_spin, daemon=True).start()")
    aborted = []
    for i in range(20):
        failing = kc.execute("1 / 0")
        assert reply_of(vkernel, failing)["content"]["status"] == "error"
        following = kc.execute(f"ran_{i} = True")  # only now: the error reply is here
        reply = reply_of(vkernel, following)
        iopub_of(vkernel, failing), iopub_of(vkernel, following)
        if reply["content"]["status"] != "ok":
            aborted.append((i, reply["content"].get("ename")))
    assert not aborted, f"requests sent after the error reply were aborted: {aborted}"
