"""CurveZMQ transport encryption: jupyter_client (>= 8.10, `transport_encryption`) puts
`curve_publickey`/`curve_secretkey` in the connection file of a kernel whose kernelspec declares
`metadata.supported_encryption: ["curve"]`; the kernel then makes every socket a Curve server.
An encrypting client works; a plain client's handshake fails on every channel."""

from __future__ import annotations

import json

import pytest
import zmq
from jupyter_client.manager import KernelManager
from zmq.utils.monitor import recv_monitor_message

from conftest import KERNEL_NAME
from minikernel import connection, kernelspec

pytestmark = pytest.mark.skipif(not zmq.has("curve"), reason="this libzmq has no CurveZMQ")

CHANNELS = {"shell": zmq.DEALER, "control": zmq.DEALER, "stdin": zmq.DEALER, "iopub": zmq.SUB, "hb": zmq.REQ}
HANDSHAKE_END = {zmq.EVENT_HANDSHAKE_SUCCEEDED, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                 zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_AUTH}


@pytest.fixture
def curve_kernel(jupyter_env):
    km = KernelManager(kernel_name=KERNEL_NAME, transport_encryption="required")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def handshake(km, channel: str, server_key: bytes | None) -> int:
    """Connect one socket to `channel` (plain, or Curve with `server_key`); the handshake's end event."""
    ctx = zmq.Context.instance()
    sock = ctx.socket(CHANNELS[channel])
    sock.linger = 0
    if server_key is not None:
        sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
        sock.curve_serverkey = server_key
    monitor = sock.get_monitor_socket()
    try:
        sock.connect(f"tcp://{km.ip}:{getattr(km, channel + '_port')}")
        while True:
            if not monitor.poll(10_000):
                raise AssertionError(f"no handshake on {channel} within 10 s")
            event = recv_monitor_message(monitor)["event"]
            if event in HANDSHAKE_END:
                return event
    finally:
        sock.disable_monitor()
        monitor.close()
        sock.close()


def test_kernelspec_declares_curve():
    assert kernelspec.kernel_json("x")["metadata"]["supported_encryption"] == ["curve"]


def test_encrypted_kernel_works_and_plain_clients_are_refused(curve_kernel, record_property):
    km, kc = curve_kernel
    info = json.load(open(km.connection_file))
    assert len(info["curve_publickey"]) == 40 and len(info["curve_secretkey"]) == 40
    reply = kc.execute_interactive("print(6 * 7)", timeout=30)
    assert reply["content"]["status"] == "ok"
    assert kc.is_alive()  # the heartbeat (a Curve REQ in jupyter_client) beats
    results = {}
    for channel in CHANNELS:
        results[channel] = handshake(km, channel, None)
    refused = sum(event != zmq.EVENT_HANDSHAKE_SUCCEEDED for event in results.values())
    figures = f"plain-client handshakes refused on {refused} of {len(results)} channels: {results}"
    record_property("figures", figures)
    print(figures)
    assert refused == len(CHANNELS), figures
    wrong_key = zmq.curve_keypair()[0]
    assert handshake(km, "shell", wrong_key) != zmq.EVENT_HANDSHAKE_SUCCEEDED
    assert handshake(km, "shell", km.curve_publickey) == zmq.EVENT_HANDSHAKE_SUCCEEDED
    # and the kernel still serves its real client
    reply = kc.execute_interactive("'still' + ' here'", timeout=30)
    assert reply["content"]["status"] == "ok"


def test_connection_file_curve_keys_are_checked(tmp_path):
    base = {f"{c}_port": 0 for c in connection.CHANNELS}
    pub, sec = (k.decode() for k in zmq.curve_keypair())
    info = connection.from_dict({**base, "curve_publickey": pub, "curve_secretkey": sec})
    assert (info.curve_publickey, info.curve_secretkey) == (pub, sec)
    assert info.to_dict()["curve_secretkey"] == sec
    with pytest.raises(connection.ConnectionFileError, match="curve_secretkey"):
        connection.from_dict({**base, "curve_publickey": pub})
    with pytest.raises(connection.ConnectionFileError, match="Z85"):
        connection.from_dict({**base, "curve_publickey": "short", "curve_secretkey": sec})
    # without keys, none are written (jupyter_client would turn Curve on for empty ones)
    assert "curve_publickey" not in connection.from_dict(base).to_dict()
