"""Rich output of real libraries, as a notebook shows it (issue 4, "Tests with the real libraries")."""

import base64

import pytest

from conftest import stream_text

pytest.importorskip("pandas")
pytest.importorskip("PIL")
pytest.importorskip("tqdm")


def displayed(outputs):
    return [m["content"] for m in outputs if m["msg_type"] in ("execute_result", "display_data")]


def test_pandas_dataframe_is_an_html_table(kernel):
    reply, outputs = kernel.execute(
        "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})\ndf")
    assert reply["content"]["status"] == "ok"
    [result] = displayed(outputs)
    assert "<table" in result["data"]["text/html"] and "<td>x</td>" in result["data"]["text/html"]
    assert "a  b" in result["data"]["text/plain"]


def test_pil_image_is_a_png(kernel):
    reply, outputs = kernel.execute(
        "from PIL import Image\nImage.new('RGB', (7, 5), 'red')")
    [result] = displayed(outputs)
    png = base64.b64decode(result["data"]["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 7 and int.from_bytes(png[20:24], "big") == 5


def test_carriage_return_progress_lines_arrive_intact(kernel):
    reply, outputs = kernel.execute(
        "from tqdm import tqdm\nfor _ in tqdm(range(3), mininterval=0, ascii=True): pass")
    assert reply["content"]["status"] == "ok"
    err = stream_text(outputs, "stderr")
    assert "\r" in err and "3/3" in err  # the frontend redraws the bar in place on each \r
    reply, outputs = kernel.execute("import sys\nfor i in range(3):\n    sys.stdout.write(f'\\rstep {i}')\n"
                                    "sys.stdout.write('\\n')")
    assert stream_text(outputs) == "\rstep 0\rstep 1\rstep 2\n"


def test_tqdm_auto_is_a_widget_bar_driven_through_its_comm(kernel):
    pytest.importorskip("ipywidgets")
    reply, outputs = kernel.execute(
        "from tqdm.auto import tqdm, trange\nfor _ in trange(4, desc='work'): pass\n"
        "tqdm.__mro__[1].__module__")
    assert reply["content"]["status"] == "ok", reply["content"]
    [bar] = [d for d in displayed(outputs) if "application/vnd.jupyter.widget-view+json" in d["data"]]
    model_id = bar["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    opens = {m["content"]["comm_id"]: m["content"] for m in outputs if m["msg_type"] == "comm_open"}
    assert model_id in opens  # the HBox the bar lives in, opened on the widget comm target
    assert opens[model_id]["target_name"] == "jupyter.widget"
    states = [m["content"]["data"].get("state", {}) for m in outputs if m["msg_type"] == "comm_msg"]
    assert any(s.get("value") == 4 for s in states)  # the progress model reached 4/4 over the comm
    assert any("4/4" in s.get("value", "") for s in states if isinstance(s.get("value"), str))
    [result] = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    assert result["data"]["text/plain"] == "'tqdm.notebook'"  # tqdm.auto built on the notebook bar
    assert not stream_text(outputs, "stderr")  # no text bar, no "IProgress not found" warning
