# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real HTTP server on 127.0.0.1 for the tests of the roles' scripts (files/*.py)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest


@pytest.fixture
def http_double():
    """``start(reply, **state)``: a server answering every GET and POST with ``reply(state)``, a
    ``(status, JSON payload)`` or None (no answer: the connection is closed). ``state`` gets ``url``, and
    records every request's Authorization header (``auth``) and JSON body (``bodies``)."""
    servers = []

    def start(reply, **state):
        state.update(auth=[], bodies=[])

        class Handler(http.server.BaseHTTPRequestHandler):
            def serve(self):
                state["auth"].append(self.headers.get("Authorization"))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    state["bodies"].append(json.loads(self.rfile.read(length)))
                answer = reply(state)
                if answer is None:
                    return
                body = json.dumps(answer[1]).encode()
                self.send_response(answer[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = serve

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        state["url"] = "http://127.0.0.1:%d" % server.server_port
        return state

    yield start
    for server in servers:
        server.shutdown()
