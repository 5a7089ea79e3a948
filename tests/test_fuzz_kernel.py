"""Fuzzed frames against a real kernel, over a raw zmq DEALER on its shell socket (the same
hypothesis strategies as test_fuzz_wire, signed with the kernel's key).

Each validly signed request is answered before the next case is sent (the reply names it as
parent, and no other reply comes first: nothing answered the invalid frames sent before it).
Forged execute_requests (bad or no signature, no delimiter) carry code that would create a file:
it never appears. Afterwards well-formed kernel_info and execute requests work.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import zmq
from hypothesis import given
from hypothesis import strategies as st

from minikernel.wire import DELIMITER, FramingError, SignatureError, Signer, decode
from test_fuzz_wire import dumps, frame_lists, fuzz_settings

CASES = 600


def recv_reply(sock, timeout: float = 30) -> dict:
    assert sock.poll(timeout * 1000), "no reply"
    frames = sock.recv_multipart()
    i = frames.index(DELIMITER)
    return {"header": json.loads(frames[i + 2]), "parent": json.loads(frames[i + 3]), "content": json.loads(frames[i + 5])}


def unique(frames: list, signer: Signer) -> list:
    """The same frames with a fresh msg_id (hypothesis repeats examples; the kernel drops replays)."""
    i = frames.index(DELIMITER)
    header = json.loads(frames[i + 2])
    header["msg_id"] = uuid.uuid4().hex
    if header.get("msg_type") == "shutdown_request":  # it would end the kernel under test
        header["msg_type"] = "kernel_info_request"
    parts = [dumps(header), *frames[i + 3:i + 6]]
    return [*frames[:i], DELIMITER, signer.sign(parts), *parts, *frames[i + 6:]]


def test_fuzz_kernel_600_frame_lists(kernel, tmp_path, record_property):
    info = kernel.km.get_connection_info()
    signer = Signer(info["key"], info["signature_scheme"])
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
    marker = tmp_path / "forged-code-ran"
    forged_code = f"open({str(marker)!r}, 'w').close()"
    seen = Counter()

    @fuzz_settings(CASES)
    @given(frame_lists(signer), st.booleans())
    def case(generated, forge):
        frames, how = generated
        if forge and how in ("bad signature", "no signature", "no delimiter"):
            parts = [dumps({"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "session": "s",
                            "username": "u", "version": "5.5"}), b"{}", b"{}",
                     dumps({"code": forged_code, "silent": False, "store_history": True})]
            signature = {"bad signature": signer.sign([b"x"]), "no signature": b""}.get(how, signer.sign(parts))
            frames = [signature, *parts] if how == "no delimiter" else [DELIMITER, signature, *parts]
            seen["forged execute"] += 1
        try:
            _, msg = decode(frames, signer)
        except (FramingError, SignatureError):
            sock.send_multipart(frames or [b""])  # zmq cannot send zero frames
            seen["invalid sent"] += 1
            return
        frames = unique(frames, signer)
        _, msg = decode(frames, signer)
        sock.send_multipart(frames)
        seen["valid sent"] += 1
        if not msg.msg_type.endswith("_request"):
            return  # comm_msg, input_reply, unknown non-requests: nothing to answer
        reply = recv_reply(sock)
        assert reply["parent"].get("msg_id") == msg.msg_id, (msg.msg_type, reply)
        seen["replies"] += 1
        seen[f"reply {reply['content'].get('status')}"] += 1

    case()
    # huge frames: garbage, and a valid request carrying a 20 MB buffer
    sock.send_multipart([b"\xff" * (20 << 20), DELIMITER, b"sig", b"{"])
    msg_id = uuid.uuid4().hex
    parts = [dumps({"msg_id": msg_id, "msg_type": "kernel_info_request"}), b"{}", b"{}", b"{}"]
    sock.send_multipart([DELIMITER, signer.sign(parts), *parts, b"\x00" * (20 << 20)])
    assert recv_reply(sock)["parent"]["msg_id"] == msg_id
    # the kernel still works through jupyter_client, and the forged code never ran
    reply, _ = kernel.request("kernel_info_request")
    assert reply["content"]["status"] == "ok"
    reply, outputs = kernel.execute(f"import os; print(os.path.exists({str(marker)!r}))")
    assert reply["content"]["status"] == "ok" and outputs[-1]["content"]["text"] == "False\n", outputs
    assert not marker.exists()
    assert kernel.km.is_alive()
    sock.close()
    figures = f"kernel fuzz: {CASES} cases, {dict(seen)}"
    record_property("figures", figures)
    print(figures)
    assert seen["forged execute"] > 20 and seen["replies"] > 50, figures
