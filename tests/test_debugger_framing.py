"""The debugger's pure parts: DAP framing (sans-IO), murmur2 and cell names, variable filtering."""

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minikernel.debugger import framing
from minikernel.debugger.cellfiles import HASH_SEED, CellNames, murmur2
from minikernel.debugger.variables import only_visible, user_variables, visible
from minikernel.engine.cells import CellRegistry


def test_encode_then_decode_in_one_piece():
    msg = {"type": "request", "seq": 1, "command": "initialize", "arguments": {"clientID": "t"}}
    data = framing.encode(msg)
    assert data.startswith(b"Content-Length: ")
    assert framing.Decoder().feed(data) == [msg]


def test_byte_by_byte_and_several_messages_in_one_chunk():
    msgs = [{"seq": i, "text": "é✓" * i} for i in range(5)]
    stream = b"".join(framing.encode(m) for m in msgs)
    decoder = framing.Decoder()
    got = []
    for i in range(len(stream)):
        got += decoder.feed(stream[i:i + 1])
    assert got == msgs and decoder.pending == 0
    assert framing.Decoder().feed(stream) == msgs


def test_length_counts_utf8_bytes():
    data = framing.encode({"s": "ü"})
    header, body = data.split(b"\r\n\r\n")
    assert int(header.split(b":")[1]) == len(body) == len('{"s":"ü"}'.encode())


def test_other_headers_are_ignored_and_name_is_case_insensitive():
    body = b'{"a":1}'
    data = b"Content-Type: application/json\r\ncontent-length: 7\r\n\r\n" + body
    assert framing.Decoder().feed(data) == [{"a": 1}]


@pytest.mark.parametrize("data", [
    b"Content-Length: x\r\n\r\n{}",
    b"Content-Length: -1\r\n\r\n",
    b"Content-Type: json\r\n\r\n{}",
    b"garbage line\r\n\r\n{}",
    b"Content-Length: 3\r\n\r\n{]}",
    b"Content-Length: 2\r\n\r\n[]",
    b"Content-Length: 2\r\n\r\n\xff\xfe",
])
def test_bad_framing_raises(data):
    with pytest.raises(framing.FramingError):
        framing.Decoder().feed(data)


def test_endless_header_raises():
    with pytest.raises(framing.FramingError):
        framing.Decoder().feed(b"X" * (framing.MAX_HEADER + 1))


def test_partial_body_waits():
    data = framing.encode({"a": "b"})
    decoder = framing.Decoder()
    assert decoder.feed(data[:-2]) == []
    assert decoder.feed(data[-2:]) == [{"a": "b"}]


@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=4), max_size=5),
       st.integers(1, 17))
def test_any_split_gives_the_same_messages(msgs, step):
    stream = b"".join(framing.encode(m) for m in msgs)
    decoder = framing.Decoder()
    got = []
    for i in range(0, len(stream), step):
        got += decoder.feed(stream[i:i + step])
    assert got == msgs


# Reference values computed with JupyterLab 4's murmur2 (packages/debugger/src/hash.ts, run in
# node) and ipykernel's murmur2_x86, seed 0xC70F6907: the kernel's names must be what JupyterLab
# computes, non-ASCII cells included.
@pytest.mark.parametrize("text, expected", [
    ("", 3990065800), ("a", 2167009006), ("ab", 2805137849), ("abc", 3350977461), ("abcd", 804720481),
    ("abcde", 730143326),
])
def test_murmur2_matches_jupyterlab(text, expected):
    assert murmur2(text.encode(), HASH_SEED) == expected


def test_cell_names_follow_the_debuginfo_scheme(tmp_path):
    names = CellNames(str(tmp_path))
    code = "x = 'héllo ✓'\n"
    path = names.path(code)
    assert path == f"{tmp_path}{os.sep}{murmur2(code.encode(), HASH_SEED)}.py"
    assert names.path(code) is path  # cached
    default = CellNames()
    # "ipykernel_" lets JupyterLab name the file "Cell [n]" in its panels
    assert os.path.basename(default.directory) == f"ipykernel_minikernel_{os.getpid()}"
    assert default.prefix.endswith(os.sep)


def test_registry_same_source_same_file_latest_number(tmp_path):
    cells = CellRegistry(CellNames(str(tmp_path)))
    a = cells.register("x = 1\n", 1)
    b = cells.register("y = 2\n", 2)
    assert a != b and cells.number(a) == 1
    assert cells.register("x = 1\n", 3) == a and cells.number(a) == 3
    assert cells.source(b) == "y = 2\n"
    written = []
    cells.on_register = lambda filename, source: written.append((filename, source))
    cells.register("z = 3\n", 4)
    assert written == [(cells.names.path("z = 3\n"), "z = 3\n")]


def test_visible_names():
    for hidden in ("In", "Out", "_", "__", "___", "_i", "_ii", "_i3", "_3", "_ih", "exit", "quit",
                   "get_ipython", "__builtins__", "__name__"):
        assert not visible(hidden), hidden
    for shown in ("x", "_private", "data_1", "i", "_x1", "df"):
        assert visible(shown), shown


def test_user_variables_types_and_values():
    class Broken:
        def __repr__(self):
            raise ValueError("no")

    ns = {"__name__": "__main__", "In": [], "_1": 5, "x": 42, "s": "a" * 1000, "b": Broken()}
    got = {v["name"]: v for v in user_variables(ns)}
    assert set(got) == {"x", "s", "b"}
    assert got["x"]["value"] == "42" and got["x"]["type"] == "int" and got["x"]["variablesReference"] == 0
    assert len(got["s"]["value"]) < 300
    assert "Broken" in got["b"]["value"]  # a failing __repr__ does not fail the listing
    assert only_visible([{"name": "Out"}, {"name": "y"}]) == [{"name": "y"}]
    json.dumps(list(got.values()))
