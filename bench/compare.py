"""Benchmark minikernel against ipykernel, side by side, through jupyter_client.

Usage:  python bench/compare.py [--kernels minikernel,ipykernel] [--python PY] [--quick] [--markdown]
                                [--results bench/RESULTS.md]

See bench/README.md for what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from queue import Empty

import psutil
import zmq
from jupyter_client import KernelManager

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import (COMPLETE_CODE, NAMES_CODE, STATIC_CODE, build_table, format_table,  # noqa: E402
                    machine_description, versions, write_results)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {"minikernel": "minikernel", "ipykernel": "ipykernel_launcher"}
START_TIMEOUT = 30.0   # seconds until the first kernel_info_reply
EXEC_TIMEOUT = 10.0    # small execute requests
BULK_TIMEOUT = 180.0   # the print-heavy cells

# Client sockets retry a refused TCP connect every RECONNECT_IVL (libzmq default 100 ms), which
# would round every start time up to that grid; retry every 5 ms instead.
CONTEXT = zmq.Context()
CONTEXT.setsockopt(zmq.RECONNECT_IVL, 5)

FULL = dict(start_runs=5, warmup=20, exec_runs=300, loop_lines=200_000, big_chars=20_000_000,
            first_runs=3, complete_runs=30)
QUICK = dict(start_runs=2, warmup=5, exec_runs=50, loop_lines=20_000, big_chars=2_000_000,
             first_runs=1, complete_runs=10)
COMPLETE_SETTLE = 1.0           # seconds between the first and the warm completions


class KernelFailed(Exception):
    """The kernel died, never answered, or an answer did not arrive in time."""


# ---------------------------------------------------------------- kernel lifecycle

def write_kernelspecs(root: str, python: str, kernels: list[str]) -> None:
    """Write one kernelspec per kernel under ROOT/kernels/bench-<name>/."""
    for name in kernels:
        spec = {"argv": [python, "-m", MODULES[name], "-f", "{connection_file}"],
                "display_name": f"bench {name}", "language": "python"}
        if name == "minikernel":  # run the working copy, installed or not
            path = os.environ.get("PYTHONPATH")
            spec["env"] = {"PYTHONPATH": os.pathsep.join(filter(None, [REPO_ROOT, path]))}
        spec_dir = os.path.join(root, "kernels", f"bench-{name}")
        os.makedirs(spec_dir, exist_ok=True)
        with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as f:
            json.dump(spec, f, indent=1)


class Kernel:
    """One running kernel with a started blocking client; stderr/stdout go to a log file."""

    def __init__(self, name: str, log_dir: str):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.km = KernelManager(kernel_name=f"bench-{name}")
        self.kc = None

    def start(self) -> float:
        """Spawn the kernel; return seconds from start_kernel() to the first kernel_info_reply."""
        with open(self.log_path, "ab") as log:
            t0 = time.perf_counter()
            try:
                self.km.start_kernel(stdout=log, stderr=log)
            except Exception as exc:  # e.g. missing interpreter or kernelspec
                raise KernelFailed(f"could not spawn the kernel: {exc}") from exc
        self.kc = self.km.client(context=CONTEXT)
        self.kc.start_channels()
        deadline = t0 + START_TIMEOUT
        while time.perf_counter() < deadline:
            self.kc.kernel_info()
            try:
                msg = self.kc.get_shell_msg(timeout=0.25)
            except Empty:
                self._check_alive()
                continue
            if msg["msg_type"] == "kernel_info_reply":
                return time.perf_counter() - t0
        raise KernelFailed(f"no kernel_info_reply within {START_TIMEOUT:.0f}s{self._log_tail()}")

    def wait_iopub(self) -> None:
        """Make sure our iopub subscription is live: see the idle status of a kernel_info_request."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            try:
                while True:
                    msg = self.kc.get_iopub_msg(timeout=0.5)
                    if (msg["parent_header"].get("msg_id") == msg_id
                            and msg["msg_type"] == "status"
                            and msg["content"]["execution_state"] == "idle"):
                        return
            except Empty:  # try again with a fresh request
                self._check_alive()
        raise KernelFailed(f"iopub never delivered a status message{self._log_tail()}")

    def rss_mb(self) -> float:
        """Resident memory of the kernel process and its children, in MB."""
        proc = psutil.Process(self.km.provisioner.process.pid)
        procs = [proc] + proc.children(recursive=True)
        return sum(p.memory_info().rss for p in procs) / 1e6

    def threads(self) -> int:
        """OS threads of the kernel process (zmq's I/O threads included)."""
        return psutil.Process(self.km.provisioner.process.pid).num_threads()

    def shutdown(self, now: bool = False) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=now)
        except Exception as exc:  # never let cleanup mask the real error
            print(f"  warning: shutting down {self.name}: {exc}", file=sys.stderr)

    def _check_alive(self) -> None:
        code = self.km.provisioner.process.poll() if self.km.has_kernel else -1
        if code is not None:
            raise KernelFailed(f"kernel process exited with code {code}{self._log_tail()}")

    def _log_tail(self, lines: int = 8) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            return ""
        return "".join(f"\n    | {line}" for line in tail)


def execute(k: Kernel, code: str, timeout: float, displays: list | None = None) -> tuple[float, list[dict]]:
    """Run CODE; return (seconds until both execute_reply and iopub idle, stream contents).
    display_data (and execute_result) contents are appended to DISPLAYS when given."""
    shell, iopub = k.kc.shell_channel, k.kc.iopub_channel
    poller = zmq.Poller()
    poller.register(shell.socket, zmq.POLLIN)
    poller.register(iopub.socket, zmq.POLLIN)
    t0 = time.perf_counter()
    msg_id = k.kc.execute(code, allow_stdin=False)
    deadline, streams, reply, idle = t0 + timeout, [], None, False
    while reply is None or not idle:
        remaining = deadline - time.perf_counter()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            k._check_alive()
            raise KernelFailed(f"{code[:40]!r}: no {'execute_reply' if reply is None else 'idle'} "
                               f"within {timeout:.0f}s")
        while shell.msg_ready():
            msg = shell.get_msg(timeout=0)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                reply = msg["content"]
        while iopub.msg_ready():
            msg = iopub.get_msg(timeout=0)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                streams.append(msg["content"])
            elif msg["msg_type"] in ("display_data", "execute_result") and displays is not None:
                displays.append(msg["content"])
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
    elapsed = time.perf_counter() - t0
    if reply.get("status") != "ok":
        raise KernelFailed(f"{code[:40]!r} failed: {reply.get('ename')}: {reply.get('evalue')}")
    return elapsed, streams


# ---------------------------------------------------------------- benchmarks

def bench_start(kernels: list[str], runs: int, log_dir: str, results: dict, failed: dict) -> None:
    """Median start time; kernels alternate (order reversed every round) to spread drift."""
    times: dict[str, list[float]] = {name: [] for name in kernels}
    for i in range(runs):
        for name in (kernels if i % 2 == 0 else kernels[::-1]):
            if name in failed:
                continue
            k = Kernel(name, log_dir)
            try:
                times[name].append(k.start())
            except KernelFailed as exc:
                failed[name] = f"start failed: {exc}"
                print(f"  {name}: {failed[name]}", file=sys.stderr)
            finally:
                k.shutdown(now=True)
    for name, ts in times.items():
        if name not in failed:
            results[name]["start"] = statistics.median(ts)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_session(name: str, cfg: dict, log_dir: str, res: dict) -> None:
    """RSS, execute round trip, print loop and one big print on a single kernel."""
    k = Kernel(name, log_dir)
    try:
        k.start()
        k.wait_iopub()
        execute(k, "x = 1", EXEC_TIMEOUT)
        res["rss"] = k.rss_mb()
        res["threads"] = k.threads()
        shown: list = []
        execute(k, "import sys as _s; len(_s.modules)", EXEC_TIMEOUT, shown)
        res["modules"] = int(shown[0]["data"]["text/plain"])

        for _ in range(cfg["warmup"]):
            execute(k, "x = 1", EXEC_TIMEOUT)
        rtts = [execute(k, "x = 1", EXEC_TIMEOUT)[0] for _ in range(cfg["exec_runs"])]
        res["p50"], res["p99"] = percentile(rtts, 50), percentile(rtts, 99)
        results: list = []
        rtts = []
        for _ in range(cfg["exec_runs"]):
            rtts.append(execute(k, "1+1", EXEC_TIMEOUT, results)[0])
        res["expr_p50"] = percentile(rtts, 50)
        res["expr_ok"] = all(r["data"]["text/plain"] == "2" for r in results) and len(results) == len(rtts)

        n = cfg["loop_lines"]
        res["loop"], streams = execute(k, f"for i in range({n}): print(i)", BULK_TIMEOUT)
        text = "".join(s["text"] for s in streams if s["name"] == "stdout")
        res["loop_msgs"] = len(streams)
        res["loop_ok"] = text == "".join(f"{i}\n" for i in range(n))

        n = cfg["big_chars"]
        res["big"], streams = execute(k, f'print("x" * {n})', BULK_TIMEOUT)
        sizes = [len(s["text"]) for s in streams if s["name"] == "stdout"]
        res["big_msgs"], res["big_max"] = len(streams), max(sizes, default=0) / 1e6
        res["big_ok"] = sum(sizes) == n + 1

        shown: list = []
        res["displays"], _ = execute(k, DISPLAYS_CODE, BULK_TIMEOUT, shown)
        res["displays_ok"] = len(shown) == 1000 and all("text/html" in d["data"] for d in shown)
    finally:
        k.shutdown()


# 1 000 small HTML outputs, with nothing kernel-specific (display is a builtin in both kernels).
DISPLAYS_CODE = ("class H:\n    def __init__(self, i): self.i = i\n"
                 "    def _repr_html_(self): return f'<b>{self.i}</b>'\n"
                 "for i in range(1000): display(H(i))")


def complete(k: Kernel, code: str, timeout: float = EXEC_TIMEOUT) -> tuple[float, dict]:
    """Send a complete_request with the cursor at the end; (seconds until its reply, reply content)."""
    t0 = time.perf_counter()
    msg_id = k.kc.complete(code, len(code))
    deadline = t0 + timeout
    while True:
        remaining = deadline - time.perf_counter()
        try:
            msg = k.kc.get_shell_msg(timeout=max(0.0, remaining))
        except Empty:
            k._check_alive()
            raise KernelFailed(f"{code!r}: no complete_reply within {timeout:.0f}s") from None
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "complete_reply":
            return time.perf_counter() - t0, msg["content"]


def first_completion(name: str, log_dir: str, setup: str, code: str) -> tuple[float, dict, Kernel]:
    """A fresh kernel runs SETUP, then answers its very first complete_request for CODE."""
    k = Kernel(name, log_dir)
    try:
        k.start()
        k.wait_iopub()
        if setup:
            execute(k, setup, EXEC_TIMEOUT)
        elapsed, reply = complete(k, code)
    except BaseException:
        k.shutdown(now=True)
        raise
    return elapsed, reply, k


def warm_completion(k: Kernel, code: str, runs: int) -> tuple[float, float]:
    """p50 and p99 of RUNS completions of CODE, after 3 untimed ones."""
    for _ in range(3):
        complete(k, code)
    times = [complete(k, code)[0] for _ in range(runs)]
    return percentile(times, 50), percentile(times, 99)


def bench_completion(name: str, cfg: dict, log_dir: str, res: dict) -> None:
    """First completion in fresh kernels (median), then warm completions on the last one."""
    firsts, statics, k = [], [], None
    try:
        for _ in range(cfg["first_runs"]):
            if k is not None:
                k.shutdown(now=True)
                k = None
            elapsed, reply, k = first_completion(name, log_dir, "import os", COMPLETE_CODE)
            firsts.append(elapsed)
            res["first_ok"] = "path" in reply.get("matches", [])
        time.sleep(COMPLETE_SETTLE)  # background work a first completion may have started
        res["complete_first"] = statistics.median(firsts)
        res["complete_p50"], res["complete_p99"] = warm_completion(k, COMPLETE_CODE, cfg["complete_runs"])
        res["names_p50"], _ = warm_completion(k, NAMES_CODE, cfg["complete_runs"])
    finally:
        if k is not None:
            k.shutdown(now=True)
    for _ in range(cfg["first_runs"]):
        elapsed, reply, k = first_completion(name, log_dir, "", STATIC_CODE)
        k.shutdown(now=True)
        statics.append(elapsed)
        res["static_ok"] = reply.get("matches") == ["upper"]
    res["static_first"] = statistics.median(statics)


# ---------------------------------------------------------------- report

def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--kernels", default="minikernel,ipykernel",
                   help="comma-separated subset of: " + ",".join(MODULES))
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the kernels")
    p.add_argument("--quick", action="store_true", help="smoke mode: few runs, smaller outputs")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--results", metavar="PATH", help="also write the results as Markdown to PATH "
                                                     "(bench/RESULTS.md)")
    args = p.parse_args()
    args.kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    unknown = set(args.kernels) - set(MODULES)
    if unknown or not args.kernels:
        p.error(f"unknown kernels {sorted(unknown)}; choose from {sorted(MODULES)}")
    return args


def compile_working_copy(python: str) -> None:
    """Write minikernel's bytecode, as `pip install` does for ipykernel. Without it a working copy
    under PYTHONDONTWRITEBYTECODE=1 recompiles every module at each start (~50 ms here)."""
    subprocess.run([python, "-m", "compileall", "-q", os.path.join(REPO_ROOT, "minikernel")], check=True,
                   timeout=120)


def main() -> int:
    args = parse_args()
    cfg = QUICK if args.quick else FULL
    header = (f"{machine_description(args.python)}\nversions: {versions(args.python)}\n"
              f"mode:    {'quick' if args.quick else 'full'}: start x{cfg['start_runs']}, execute "
              f"{cfg['warmup']}+{cfg['exec_runs']}, loop {cfg['loop_lines']:,} lines, "
              f"print {cfg['big_chars']:,} chars, first completion x{cfg['first_runs']}, "
              f"warm completion 3+{cfg['complete_runs']}")
    print(header + "\n", flush=True)
    results: dict[str, dict] = {name: {} for name in args.kernels}
    failed: dict[str, str] = {}
    if "minikernel" in args.kernels:
        compile_working_copy(args.python)
    with tempfile.TemporaryDirectory(prefix="minikernel-bench-") as tmp:
        write_kernelspecs(tmp, args.python, args.kernels)
        os.environ["JUPYTER_PATH"] = tmp  # read by the KernelSpecManager each manager creates
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")  # connection files
        print("start ...", file=sys.stderr, flush=True)
        bench_start(args.kernels, cfg["start_runs"], tmp, results, failed)
        for name in args.kernels:
            if name in failed:
                continue
            print(f"{name}: execute / print / completion benchmarks ...", file=sys.stderr, flush=True)
            try:
                bench_session(name, cfg, tmp, results[name])
                bench_completion(name, cfg, tmp, results[name])
            except Exception as exc:  # report it, and still run the other kernels
                failed[name] = f"session failed: {type(exc).__name__}: {exc}"
                print(f"  {name}: {failed[name]}", file=sys.stderr)
    table = build_table(args.kernels, results, cfg)
    print(format_table(table, args.markdown))
    if args.results:
        write_results(args.results, header, table, results, failed)
    for name, why in failed.items():
        print(f"\n{name}: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
