"""The benchmark's table, its targets, and bench/RESULTS.md."""

from __future__ import annotations

import json
import platform
import subprocess
import time

import jupyter_client
import psutil

COMPLETE_CODE = "os.pa"         # after `import os`; cursor at the end
STATIC_CODE = "'abc'.up"        # only static inference (jedi) can answer this one
NAMES_CODE = "pri"              # a global name: goes through jedi in both kernels


def rows(cfg: dict) -> list[tuple]:
    """(label, key, format, target ratio minikernel/ipykernel or None)."""
    ok = lambda v: "OK" if v else "LOST"  # noqa: E731
    yes = lambda v: "yes" if v else "NO"  # noqa: E731
    ms = lambda v: f"{v * 1e3:.2f}"  # noqa: E731
    lines, mb = f"{cfg['loop_lines']:,}", cfg["big_chars"] / 1e6
    return [
        ("start (median), ms", "start", lambda v: f"{v * 1e3:.0f}", 0.4),
        ("execute x=1 p50, ms", "p50", ms, 0.3),
        ("execute x=1 p99, ms", "p99", ms, None),
        ("execute 1+1 (with result) p50, ms", "expr_p50", ms, None),
        ("execute 1+1, result is 2", "expr_ok", yes, None),
        (f"{lines}-line loop, s", "loop", lambda v: f"{v:.2f}", 0.25),
        (f"{lines}-line loop, stream msgs", "loop_msgs", str, None),
        (f"{lines}-line loop, complete", "loop_ok", ok, None),
        (f"{mb:g} MB print, s", "big", lambda v: f"{v:.2f}", 1.0),
        (f"{mb:g} MB print, stream msgs", "big_msgs", str, None),
        (f"{mb:g} MB print, largest msg MB", "big_max", lambda v: f"{v:.2f}", None),
        (f"{mb:g} MB print, complete", "big_ok", ok, None),
        ("1 000 HTML displays, s", "displays", lambda v: f"{v:.3f}", None),
        ("1 000 HTML displays, all arrived", "displays_ok", ok, None),
        ("RSS after start, MB", "rss", lambda v: f"{v:.1f}", 0.6),
        ("threads after start (OS)", "threads", str, None),
        ("modules imported after start", "modules", str, None),
        (f"first completion {COMPLETE_CODE}, ms", "complete_first", lambda v: f"{v * 1e3:.1f}", 0.5),
        (f"first completion {COMPLETE_CODE}, has path", "first_ok", yes, None),
        (f"warm completion {COMPLETE_CODE} p50, ms", "complete_p50", ms, 1.0),
        (f"warm completion {COMPLETE_CODE} p99, ms", "complete_p99", ms, None),
        (f"warm completion {NAMES_CODE} p50, ms", "names_p50", ms, None),
        (f"first completion {STATIC_CODE}, ms", "static_first", lambda v: f"{v * 1e3:.0f}", None),
        (f"first completion {STATIC_CODE}, upper", "static_ok", yes, None),
    ]


# Where a figure is only meaningful together with another (a fast loop that lost lines is no win).
MUST_BE_COMPLETE = {"loop": "loop_ok", "big": "big_ok"}


def build_table(kernels: list[str], results: dict, cfg: dict) -> list[list[str]]:
    compare = "minikernel" in kernels and "ipykernel" in kernels
    header = ["metric", *kernels] + (["mini/ipy", "target", "met"] if compare else [])
    table = [header]
    for label, key, fmt, target in rows(cfg):
        values = [results[name].get(key) for name in kernels]
        row = [label] + ["-" if v is None else fmt(v) for v in values]
        if compare:
            mini, ipy = results["minikernel"].get(key), results["ipykernel"].get(key)
            numeric = isinstance(mini, (int, float)) and not isinstance(mini, bool)
            ratio = mini / ipy if numeric and ipy else None
            row.append("-" if ratio is None else f"{ratio:.2f}x")
            row.append(f"<= {target}x" if target else "")
            met = ratio is not None and target is not None and ratio <= target
            if key in MUST_BE_COMPLETE:
                met = met and results["minikernel"].get(MUST_BE_COMPLETE[key]) is True
            row.append("" if not target else "-" if ratio is None else "yes" if met else "NO")
        table.append(row)
    return table


def format_table(table: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(table[0]) + " |",
               "|" + "|".join("---" if i == 0 else "--:" for i in range(len(table[0]))) + "|"]
        out += ["| " + " | ".join(row) + " |" for row in table[1:]]
        return "\n".join(out)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = []
    for n, row in enumerate(table):
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def machine_description(python: str) -> str:
    freq = psutil.cpu_freq()
    mhz = f", {freq.max or freq.current:.0f} MHz" if freq else ""
    try:
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = ""
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
            f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 1e9:.1f} GB RAM{mhz}; "
            f"load average {', '.join(f'{x:.2f}' for x in psutil.getloadavg())} at the start\n"
            f"python:  {python} ({version or 'cannot run it'}); "
            f"jupyter_client {jupyter_client.__version__} on {platform.python_version()}")


def versions(python: str) -> str:
    code = ("import importlib.metadata as m\nfor d in ('minikernel', 'ipykernel', 'pyzmq', 'jedi', 'debugpy'):\n"
            "    try: print(d, m.version(d))\n    except Exception: print(d, '-')")
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return ", ".join(out.split("\n")[:-1])


def write_results(path: str, header: str, table: list[list[str]], results: dict, failed: dict) -> None:
    """bench/RESULTS.md: when, where, the table with ratios and targets, and the raw figures."""
    text = [
        "# minikernel vs ipykernel — benchmark results",
        "",
        f"Written by `python bench/compare.py --results {path}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Both kernels in the same run, one after "
        "the other; ratios are minikernel/ipykernel (lower is better). How each figure is measured: "
        "bench/README.md.",
        "",
        "```",
        header,
        "```",
        "",
        format_table(table, markdown=True),
        "",
    ]
    for name, why in failed.items():
        text += [f"**{name} failed:** {why}", ""]
    text += ["## Raw figures (seconds, MB, counts)", "", "```json",
             json.dumps(results, indent=1, sort_keys=True, default=str), "```", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(text))
