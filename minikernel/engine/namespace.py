"""The user's namespace and its history variables: In, Out, _, __, ___, _N, _i, _ii, _iii, _iN.

Out/_N keep at most `cache_size` results, so old results can be freed (IPython keeps them all).
"""

from __future__ import annotations

import builtins
import types


class Exiter:
    """`exit` / `quit` in a cell: ask the frontend to end the session (the `ask_exit` payload,
    as IPython does) instead of killing the kernel process."""

    def __init__(self, name: str, on_exit):
        self._name, self._on_exit = name, on_exit

    def __repr__(self) -> str:
        return f"Use {self._name}() or Ctrl-D to exit"

    def __call__(self, keep_kernel: bool = False) -> None:
        self._on_exit(keep_kernel)


def new_main_module() -> types.ModuleType:
    module = types.ModuleType("__main__", "The minikernel user namespace")
    ns = module.__dict__
    ns["__builtins__"] = builtins
    ns.update({"In": [""], "Out": {}, "_": "", "__": "", "___": "", "_i": "", "_ii": "", "_iii": ""})
    ns["_ih"], ns["_oh"] = ns["In"], ns["Out"]
    return module


class History:
    """Keeps the history variables of one namespace up to date."""

    def __init__(self, ns: dict, cache_size: int = 1000):
        self.ns = ns
        self.cache_size = cache_size

    def record_input(self, number: int, code: str) -> None:
        ns = self.ns
        inputs = ns.get("In")
        if not isinstance(inputs, list):  # the user rebound In: start a fresh one
            inputs = ns["In"] = ns["_ih"] = [""]
        while len(inputs) < number:
            inputs.append("")
        previous = inputs[number - 1] if number - 1 < len(inputs) else ""
        inputs.append(code) if len(inputs) == number else inputs.__setitem__(number, code)
        # As in IPython: while cell N runs, _i is cell N-1's input and _iN is its own.
        ns["_iii"], ns["_ii"], ns["_i"] = ns.get("_ii", ""), ns.get("_i", ""), previous
        ns[f"_i{number}"] = code

    def record_output(self, number: int, value) -> None:
        ns = self.ns
        outputs = ns.get("Out")
        if not isinstance(outputs, dict):
            outputs = ns["Out"] = ns["_oh"] = {}
        ns["___"], ns["__"], ns["_"] = ns.get("__", ""), ns.get("_", ""), value
        if self.cache_size <= 0:
            return
        outputs[number] = value
        ns[f"_{number}"] = value
        while len(outputs) > self.cache_size:
            oldest = next(iter(outputs))
            del outputs[oldest]
            ns.pop(f"_{oldest}", None)
