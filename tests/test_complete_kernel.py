"""complete_request and inspect_request through a real kernel."""


def reply(kernel, msg_id):
    while True:
        msg = kernel.kc.get_shell_msg(timeout=30)
        if msg["parent_header"]["msg_id"] == msg_id:
            return msg["content"]


def complete(kernel, code, cursor=None):
    return reply(kernel, kernel.kc.complete(code, len(code) if cursor is None else cursor))


def test_live_attributes_keys_and_metadata(kernel):
    kernel.execute("import os\nclass Dyn:\n    def __dir__(self):\n        return ['made_up']\n"
                   "    def __getattr__(self, name):\n        return 1\n"
                   "d = Dyn()\nconfig = {'alpha': 1, 'beta': 2}")
    content = complete(kernel, "os.pa")
    assert {"path", "pardir", "pathsep"} <= set(content["matches"])
    assert (content["cursor_start"], content["cursor_end"]) == (3, 5)
    types = {t["text"]: t["type"] for t in content["metadata"]["_jupyter_types_experimental"]}
    assert types["path"] == "module" and types["pardir"] == "instance"
    assert "made_up" in complete(kernel, "d.ma")["matches"]  # only the live object knows it
    keys = complete(kernel, 'config["al')
    assert any(m.startswith("alpha") for m in keys["matches"])


def test_cursor_counts_code_points(kernel):
    reply_, _ = kernel.execute("数值_total = 1")
    assert reply_["content"]["status"] == "ok"
    code = "s = '🙂🙂 中文'\nx = '🙂'; 数值_t"
    content = complete(kernel, code)
    assert "数值_total" in content["matches"]
    assert content["cursor_end"] == len(code)  # code points, not UTF-16 units or bytes
    assert code[content["cursor_start"]:content["cursor_end"]] == "数值_t"
    middle = "'🙂'; 数值_t + 1"
    content = complete(kernel, middle, cursor=len("'🙂'; 数值_t"))
    assert "数值_total" in content["matches"]
    assert middle[content["cursor_start"]:content["cursor_end"]] == "数值_t"


def test_keyword_arguments_and_modules(kernel):
    kernel.execute("def area(width, height=1):\n    return width * height")
    assert "width=" in complete(kernel, "area(wi")["matches"]
    assert "collections" in complete(kernel, "import collec")["matches"]


def test_inspect_levels(kernel):
    kernel.execute("def greet(name: str, punct='!'):\n    '''Say hello.'''\n    return 'hi ' + name + punct")
    kc = kernel.kc
    found = reply(kernel, kc.inspect("greet", 5, detail_level=0))
    assert found["found"] is True
    text = found["data"]["text/plain"]
    assert "greet(name: str, punct='!')" in text and "Say hello." in text
    assert "return 'hi '" not in text
    source = reply(kernel, kc.inspect("greet", 5, detail_level=1))["data"]["text/plain"]
    assert "return 'hi ' + name + punct" in source  # the source of a function from an earlier cell
    for name in ("len", "dict", "os"):
        kernel.execute("import os")
        content = reply(kernel, kc.inspect(name, len(name)))
        assert content["found"] is True and content["data"]["text/plain"], name
    assert reply(kernel, kc.inspect("no_such_name", 12))["found"] is False
