"""Output from user threads: the documented rule (README, "Output") and minikernel.output."""


def streams_by_parent(outputs_by_cell):
    return {name: "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
            for name, msgs in outputs_by_cell.items()}


def run_cells(kernel, cells):
    """Run cells in order; collect every stream message by the cell it is parented to."""
    kc, ids, got = kernel.kc, {}, {}
    for name, code in cells:
        msg_id = kc.execute(code)
        ids[msg_id] = name
        while True:
            msg = kc.get_iopub_msg(timeout=20)
            owner = ids.get(msg["parent_header"].get("msg_id"))
            if owner is not None:
                got.setdefault(owner, []).append(msg)
            if (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
                    and msg["parent_header"].get("msg_id") == msg_id):
                break
        reply = kc.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "ok", reply["content"]
    return streams_by_parent(got)


SETUP = ("import threading\n"
         "go, printed = threading.Event(), threading.Event()\n"
         "def worker(tag):\n"
         "    print(tag, 'while the cell runs', flush=True)\n"
         "    printed.set()\n"
         "    go.wait(20)\n"
         "    print(tag, 'later', flush=True)\n")


def test_thread_writes_to_its_cell_then_to_the_latest(kernel):
    out = run_cells(kernel, [
        ("A", SETUP + "t = threading.Thread(target=worker, args=('w',))\nt.start()\nprinted.wait(20)"),
        ("B", "go.set()\nt.join(20)\nprint('B done')"),
    ])
    assert "w while the cell runs\n" in out["A"]
    assert "w later\n" in out["B"] and "w later\n" not in out.get("A", "")


def test_bound_thread_stays_with_its_cell(kernel):
    out = run_cells(kernel, [
        ("A", SETUP + "from minikernel.output import current_cell, bind_thread\n"
                      "t = threading.Thread(target=worker, args=('b',))\n"
                      "bind_thread(current_cell(), t)\nt.start()"),
        ("B", "go.set()\nt.join(20)\nprint('B done')"),
    ])
    assert "b later\n" in out["A"]  # pinned: after A finished, still A
    assert "b later\n" not in out["B"] and "B done\n" in out["B"]


def test_detached_thread_goes_to_the_latest(kernel):
    out = run_cells(kernel, [
        ("A", SETUP + "from minikernel.output import current_cell, bind_thread, detach_thread\n"
                      "t = threading.Thread(target=worker, args=('d',))\n"
                      "bind_thread(current_cell(), t)\ndetach_thread(t)\nt.start()"),
        ("B", "go.set()\nt.join(20)"),
    ])
    assert "d later\n" in out["B"]


def test_bind_thread_rejects_other_things(kernel):
    reply, outputs = kernel.execute("from minikernel.output import bind_thread\nbind_thread('cell 1')")
    assert reply["content"]["ename"] == "TypeError"
