"""input() and getpass() over the stdin channel."""

from conftest import stream_text


def next_stdin(kc):
    return kc.get_stdin_msg(timeout=20)


def test_input_and_getpass(kernel):
    kc = kernel.kc
    msg_id = kc.execute("name = input('name? ')\nimport getpass\npw = getpass.getpass('pw: ')\nprint(name, len(pw))",
                        allow_stdin=True)
    req = next_stdin(kc)
    assert req["msg_type"] == "input_request"
    assert req["content"] == {"prompt": "name? ", "password": False}
    assert req["parent_header"]["msg_id"] == msg_id
    kc.input("Ada")
    req = next_stdin(kc)
    assert req["content"] == {"prompt": "pw: ", "password": True}
    kc.input("secret")
    reply, outputs = kernel.wait(msg_id)
    assert reply["content"]["status"] == "ok"
    assert stream_text(outputs) == "Ada 6\n"


def test_stdin_not_allowed_raises_clearly(kernel):
    reply, outputs = kernel.execute("input('x')", allow_stdin=False)
    assert reply["content"]["ename"] == "StdinNotImplementedError"
    assert "allow_stdin" in reply["content"]["evalue"]


def test_interrupted_input_leaves_no_stale_prompt(kernel):
    kc = kernel.kc
    msg_id = kc.execute("input('first? ')", allow_stdin=True)
    assert next_stdin(kc)["content"]["prompt"] == "first? "
    kernel.km.interrupt_kernel()
    reply, _ = kernel.wait(msg_id)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    msg_id = kc.execute("v = input('second? ')\nv", allow_stdin=True)
    req = next_stdin(kc)
    assert req["content"]["prompt"] == "second? " and req["parent_header"]["msg_id"] == msg_id
    kc.input("fresh")
    reply, outputs = kernel.wait(msg_id)
    assert [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"] == ["'fresh'"]
