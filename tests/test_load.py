"""Load: 10 000 execute requests queued at once are all answered, in order; 5 clients on one
kernel each see every iopub message of the others' cells."""

from __future__ import annotations

import time

import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.session import Session

QUEUED = 10_000
CLIENTS, CELLS_EACH = 5, 10


def test_10000_queued_execute_requests_answered_in_order(kernel, record_property):
    info = kernel.km.get_connection_info()
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    try:
        kernel.execute("n = 0")
        started = time.monotonic()
        sent = []
        for i in range(QUEUED):  # all sent before the first reply is read
            msg = session.msg("execute_request", {"code": f"n += 1; last = {i}", "silent": False,
                                                  "store_history": True, "user_expressions": {},
                                                  "allow_stdin": False, "stop_on_error": True})
            session.send(sock, msg)
            sent.append(msg["header"]["msg_id"])
        queued = time.monotonic() - started
        counts = []
        for expected in sent:
            assert sock.poll(60_000), f"no reply after {len(counts)} of {QUEUED}"
            _, frames = session.feed_identities(sock.recv_multipart())
            reply = session.deserialize(frames)
            assert reply["parent_header"]["msg_id"] == expected, f"reply {len(counts)} is out of order"
            assert reply["content"]["status"] == "ok", reply["content"]
            counts.append(reply["content"]["execution_count"])
        elapsed = time.monotonic() - started
        # (read through the reply: iopub, which this test never read, dropped what overflowed its
        # high-water mark, as PUB sockets do for a slow subscriber)
        msg = session.msg("execute_request", {"code": "", "silent": True, "user_expressions": {"r": "n, last"}})
        session.send(sock, msg)
        assert sock.poll(60_000)
        reply = session.deserialize(session.feed_identities(sock.recv_multipart())[1])
        result = reply["content"]["user_expressions"]["r"]["data"]["text/plain"]
    finally:
        sock.close()
    assert counts == list(range(counts[0], counts[0] + QUEUED))  # each ran once, in order
    assert result == f"({QUEUED}, {QUEUED - 1})"
    figures = (f"{QUEUED} queued execute requests: sent in {queued:.2f} s, all answered in order "
               f"after {elapsed:.2f} s ({QUEUED / elapsed:.0f} requests/s)")
    record_property("figures", figures)
    print(figures)


def test_5_clients_see_each_others_iopub(kernel, record_property):
    clients = []
    try:
        for _ in range(CLIENTS):
            # (not km.client(): its clones share one session id, hence one ROUTER identity)
            kc = BlockingKernelClient(connection_file=kernel.km.connection_file)
            kc.load_connection_file()
            kc.start_channels()
            kc.wait_for_ready(timeout=30)
            clients.append(kc)
        expected = {}  # msg_id -> the text its cell prints
        for k, kc in enumerate(clients):
            for j in range(CELLS_EACH):
                text = f"client {k} cell {j}\n"
                expected[kc.execute(f"print({text.strip()!r})")] = text
        seen_by = []
        for kc in clients:
            streams, inputs, idle = {}, set(), set()
            while idle != expected.keys():
                msg = kc.get_iopub_msg(timeout=30)
                parent = msg["parent_header"].get("msg_id")
                if parent not in expected:
                    continue
                if msg["msg_type"] == "stream":
                    streams[parent] = streams.get(parent, "") + msg["content"]["text"]
                elif msg["msg_type"] == "execute_input":
                    inputs.add(parent)
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle.add(parent)
            assert streams == expected and inputs == expected.keys()
            seen_by.append(len(streams))
        for kc in clients:  # each got exactly its own replies
            own = {kc.get_shell_msg(timeout=30)["parent_header"]["msg_id"] for _ in range(CELLS_EACH)}
            assert own <= expected.keys() and len(own) == CELLS_EACH
    finally:
        for kc in clients:
            kc.stop_channels()
    figures = f"{CLIENTS} clients x {CELLS_EACH} cells: each client saw the output of {seen_by} cells"
    record_property("figures", figures)
    print(figures)
    assert seen_by == [CLIENTS * CELLS_EACH] * CLIENTS
