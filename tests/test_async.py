"""Async cells through the real protocol: top-level await, tasks that outlive their cell,
asyncio.run() in a plain cell, and a shell that keeps answering while a cell awaits."""

import time

from conftest import stream_text


def result(outputs):
    return [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]


def test_top_level_await_async_for_async_with(kernel):
    reply, outputs = kernel.execute(
        "import asyncio, contextlib\n"
        "async def agen():\n    for i in range(3):\n        await asyncio.sleep(0)\n        yield i\n"
        "@contextlib.asynccontextmanager\nasync def ctx():\n    yield 10\n"
        "total = 0\nasync for i in agen():\n    total += i\n"
        "async with ctx() as ten:\n    total += ten\n"
        "await asyncio.sleep(0.01)\ntotal")
    assert reply["content"]["status"] == "ok"
    assert result(outputs) == ["13"]


def test_task_from_a_plain_cell_keeps_running_while_idle(kernel):
    # No await in this cell: the task lives on the kernel's loop, which runs between cells.
    msg_id = kernel.kc.execute(
        "import asyncio\nticks = []\n"
        "async def tick():\n    while True:\n        ticks.append(1)\n"
        "        print('tick', len(ticks), flush=True)\n        await asyncio.sleep(0.05)\n"
        "task = asyncio.create_task(tick())")
    reply, outputs = kernel.wait(msg_id)
    assert reply["content"]["status"] == "ok"
    # The kernel is idle now; the task's prints keep arriving, parented to the cell that made it.
    seen = stream_text(outputs)
    while "tick 5\n" not in seen:
        msg = kernel.kc.get_iopub_msg(timeout=10)
        if msg["msg_type"] == "stream":
            assert msg["parent_header"]["msg_id"] == msg_id
            seen += msg["content"]["text"]
    reply, outputs = kernel.execute("task.cancel(); len(ticks) >= 5")
    assert "True" in result(outputs)


def test_asyncio_run_in_a_plain_cell(kernel):
    code = ("import asyncio\n"
            "async def main():\n"
            "    lock, queue = asyncio.Lock(), asyncio.Queue()\n"
            "    async with lock:\n        await queue.put(21)\n"
            "    return await queue.get() * 2\n"
            "asyncio.run(main())")
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert result(outputs) == ["42"]
    reply, outputs = kernel.execute("loop = asyncio.new_event_loop()\n"
                                    "v = loop.run_until_complete(asyncio.sleep(0, result='nested'))\nloop.close()\nv")
    assert result(outputs) == ["'nested'"]
    # and the kernel's own loop still runs tasks afterwards
    reply, outputs = kernel.execute("await asyncio.sleep(0, result='still')")
    assert result(outputs) == ["'still'"]


def test_shell_answers_while_a_cell_awaits(kernel):
    kc = kernel.kc
    cell = kc.execute("import asyncio\nawait asyncio.sleep(2)\nawaited = True")
    queued = kc.execute("order = 'after'")
    timings = {}
    for name, send in [("kernel_info", lambda: kc.kernel_info()),
                       ("complete", lambda: kc.complete("asyn", 4)),
                       ("inspect", lambda: kc.inspect("len", 3)),
                       ("history", lambda: kc.history(hist_access_type="tail", n=3)),
                       ("comm_info", lambda: kc.comm_info())]:
        start = time.monotonic()
        msg_id = send()
        reply = kc.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == msg_id, f"{name} was not answered before the cell"
        assert reply["content"]["status"] == "ok", (name, reply["content"])
        timings[name] = time.monotonic() - start
    assert max(timings.values()) < 1.0, timings  # the cell sleeps 2 s
    first = kc.get_shell_msg(timeout=10)
    second = kc.get_shell_msg(timeout=10)
    assert (first["parent_header"]["msg_id"], second["parent_header"]["msg_id"]) == (cell, queued)
    assert first["content"]["status"] == second["content"]["status"] == "ok"
    print("shell replies during an awaiting cell (s):", {k: round(v, 4) for k, v in timings.items()})


def test_failed_async_cell_aborts_the_queue_behind_it(kernel):
    kc = kernel.kc
    first = kc.execute("import asyncio\nawait asyncio.sleep(0.3)\nraise ValueError('async boom')")
    second = kc.execute("ran_after = True")
    replies = {}
    while len(replies) < 2:
        msg = kc.get_shell_msg(timeout=10)
        replies[msg["parent_header"]["msg_id"]] = msg["content"]
    assert replies[first]["ename"] == "ValueError"
    assert replies[second]["status"] == "error" and replies[second]["ename"] == "ExecutionAborted"
    reply, outputs = kernel.execute("'ran_after' in globals()")
    assert result(outputs) == ["False"]
