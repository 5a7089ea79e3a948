"""Soak: 20 000 cells in a row (pipelined, 500 in flight) and the kernel's RSS stays bounded.

Every 4th cell's result holds 50 kB (the Out/_N cache keeps at most `--Kernel.output_cache_size`
= 100 of them); every 10th cell raises from a function whose frame holds 50 kB (tracebacks must
release their frames). Without those bounds the kernel would grow by ~350 MB; the test allows 64 MB.
"""

from __future__ import annotations

import time

import psutil
import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

from conftest import KERNEL_NAME

CELLS, WARMUP, WINDOW, CACHE = 20_000, 2_000, 500, 100
ALLOWED_GROWTH_MB = 64

SETUP = """
import weakref
class Blob:
    def __init__(self): self.data = bytearray(50_000)
    def __repr__(self): return 'Blob'
class Marker: pass
refs = []
def fail():
    big, marker = bytearray(50_000), Marker()
    refs.append(weakref.ref(marker))
    1 / 0
"""


def cell(i: int) -> str:
    if i % 10 == 0:
        return "fail()"
    return ("Blob()", "print('line', %d)" % i, "x = %d" % i, "x + 1")[i % 4]


class Pipe:
    """Execute requests over a raw DEALER, with a bounded number in flight."""

    def __init__(self, km):
        info = km.get_connection_info()
        self.session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        self.statuses = {"ok": 0, "error": 0}

    def send(self, code: str, **content) -> None:
        self.session.send(self.sock, self.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": False, **content}))

    def recv(self) -> dict:
        assert self.sock.poll(60_000), "no reply within 60 s"
        reply = self.session.deserialize(self.session.feed_identities(self.sock.recv_multipart())[1])
        self.statuses[reply["content"]["status"]] += 1
        return reply["content"]

    def run(self, start: int, stop: int) -> None:
        in_flight = 0
        for i in range(start, stop):
            self.send(cell(i))
            in_flight += 1
            if in_flight == WINDOW:
                self.recv()
                in_flight -= 1
        for _ in range(in_flight):
            self.recv()

    def evaluate(self, expression: str) -> str:
        self.send("", silent=True, user_expressions={"r": expression})
        return self.recv()["user_expressions"]["r"]["data"]["text/plain"]


def test_soak_20000_cells_rss_bounded(jupyter_env, record_property):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30,
                              extra_arguments=[f"--Kernel.output_cache_size={CACHE}"])
    kc.stop_channels()  # iopub is not read here: the kernel drops what overflows, as PUB does
    pipe = Pipe(km)
    try:
        process = psutil.Process(km.provisioner.pid)
        pipe.send(SETUP)
        assert pipe.recv()["status"] == "ok"
        pipe.run(0, WARMUP)
        base = process.memory_info().rss
        started = time.monotonic()
        pipe.run(WARMUP, WARMUP + CELLS // 2)
        middle = process.memory_info().rss
        pipe.run(WARMUP + CELLS // 2, WARMUP + CELLS)
        elapsed = time.monotonic() - started
        end = process.memory_info().rss
        out_len = int(pipe.evaluate("len(Out)"))
        alive_frames = int(pipe.evaluate("sum(r() is not None for r in refs)"))
        errors = int(pipe.evaluate("len(refs)"))
    finally:
        pipe.sock.close()
        km.shutdown_kernel(now=False)
    mb = 1 << 20
    figures = (f"{CELLS} cells in {elapsed:.1f} s ({CELLS / elapsed:.0f} cells/s) after {WARMUP} warm-up cells; "
               f"RSS {base / mb:.1f} MB -> {middle / mb:.1f} MB (+{CELLS // 2}) -> {end / mb:.1f} MB "
               f"(+{CELLS // 2}): growth {(end - base) / mb:.1f} MB; len(Out) = {out_len}; "
               f"{errors} failed cells, frames still alive: {alive_frames}; replies {pipe.statuses}")
    record_property("figures", figures)
    print(figures)
    assert pipe.statuses["ok"] + pipe.statuses["error"] == CELLS + WARMUP + 1 + 3
    assert out_len <= CACHE, figures
    assert alive_frames <= 1, figures  # at most the last error's (sys.last_traceback)
    assert end - base < ALLOWED_GROWTH_MB * mb, figures
