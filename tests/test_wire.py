"""Pure tests of the wire codec: round trip, tampering, replays, malformed frames."""

import json

import pytest

from minikernel.wire import DELIMITER, FramingError, ReplayGuard, Session, SignatureError, Signer, decode, encode

KEY = b"secret-key"


def make(msg_type="execute_request", content=None, buffers=None):
    return Session().message(msg_type, content or {"code": "1"}, buffers=buffers)


def test_round_trip_keeps_everything():
    signer = Signer(KEY)
    msg = make(content={"code": "print('é ✓')"}, buffers=[b"\x00\x01binary"])
    idents, back = decode(encode(msg, signer, [b"client-1"]), signer)
    assert idents == [b"client-1"]
    assert back.header == msg.header
    assert back.content == msg.content
    assert back.buffers == [b"\x00\x01binary"]


def test_header_fields():
    header = Session(username="ana").header("status")
    assert set(header) == {"msg_id", "session", "username", "date", "msg_type", "version"}
    assert header["version"] == "5.5" and header["username"] == "ana"
    assert header["date"].endswith("+00:00")  # ISO 8601, UTC


@pytest.mark.parametrize("index", range(4))
def test_any_flipped_byte_is_rejected(index):
    signer = Signer(KEY)
    frames = encode(make(), signer)
    part = bytearray(frames[2 + index])  # header, parent, metadata, content
    part[len(part) // 2] ^= 0x01
    frames[2 + index] = bytes(part)
    with pytest.raises(SignatureError):
        decode(frames, signer)


def test_wrong_key_and_missing_signature_are_rejected():
    frames = encode(make(), Signer(b"other-key"))
    with pytest.raises(SignatureError):
        decode(frames, Signer(KEY))
    frames = encode(make(), Signer(b""))  # unsigned
    with pytest.raises(SignatureError):
        decode(frames, Signer(KEY))


def test_replay_is_rejected():
    signer, guard = Signer(KEY), ReplayGuard()
    frames = encode(make(), signer)
    decode(frames, signer, guard)
    with pytest.raises(SignatureError, match="replay"):
        decode(frames, signer, guard)


def test_replay_guard_is_bounded():
    guard = ReplayGuard(size=3)
    for sig in (b"a", b"b", b"c", b"d"):
        assert guard.check_and_add(sig)
    assert guard.check_and_add(b"a")  # forgotten: oldest evicted
    assert not guard.check_and_add(b"d")


@pytest.mark.parametrize("scheme", ["hmac-sha256", "hmac-sha512", "hmac-sha1", "hmac-md5"])
def test_other_digests(scheme):
    signer = Signer(KEY, scheme)
    frames = encode(make(), signer)
    assert len(frames[1]) == 2 * len(__import__("hashlib").new(scheme[5:]).digest())
    decode(frames, signer)


def test_unknown_scheme():
    with pytest.raises(ValueError):
        Signer(KEY, "hmac-nope")
    with pytest.raises(ValueError):
        Signer(KEY, "rsa-sha256")


def test_empty_key_means_unsigned():
    signer = Signer(b"")
    frames = encode(make(), signer)
    assert frames[1] == b""
    decode(frames, signer)


@pytest.mark.parametrize("frames", [
    [b"id", b"no delimiter"],
    [DELIMITER, b"sig", b"{}", b"{}"],
])
def test_framing_errors(frames):
    with pytest.raises(FramingError):
        decode(frames, Signer(b""))


@pytest.mark.parametrize("header", [b"not json", b"[1, 2]", b"\xff\xfe", json.dumps({"msg_id": "x"}).encode()])
def test_bad_header(header):
    signer = Signer(KEY)
    parts = [header, b"{}", b"{}", b"{}"]
    with pytest.raises(FramingError):
        decode([DELIMITER, signer.sign(parts), *parts], signer)


def test_reply_and_child_keep_parent():
    session = Session()
    request = make("complete_request")
    reply = session.reply_to(request, {"status": "ok"})
    assert reply.msg_type == "complete_reply"
    assert reply.parent_header == request.header
    child = session.child_of(request, "status", {"execution_state": "busy"})
    assert child.parent_header["msg_id"] == request.msg_id


def test_surrogates_and_odd_values_are_encodable():
    signer = Signer(KEY)
    msg = make("stream", {"text": "bad \udcff surrogate", "obj": object(), "set": {1}})
    _, back = decode(encode(msg, signer), signer)
    assert back.content["text"].startswith("bad ")
    assert back.content["set"] == [1]


def test_msg_ids_unique_across_threads():
    import threading

    session, ids = Session(), []

    def stamp():
        ids.extend(session.header("status")["msg_id"] for _ in range(20000))

    threads = [threading.Thread(target=stamp) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(ids) == len(set(ids)) == 80000
