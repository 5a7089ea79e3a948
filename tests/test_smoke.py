from conftest import stream_text


def test_print_and_result(kernel):
    reply, outputs = kernel.execute('print("hi"); 6 * 7')
    assert reply["content"]["status"] == "ok"
    assert stream_text(outputs) == "hi\n"
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert results[0]["content"]["data"]["text/plain"] == "42"
