# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a vLLM OpenAI server answers, read in one pass: /health, /v1/models, one chat completion.

Used by the module vllm_endpoint (the readiness wait of role vllm_server and its status): one SSH round trip
instead of one per request. Pure apart from the HTTP opener, which tests replace with a real local server.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import Request
from ansible_collections.llmops.ray_vllm.plugins.module_utils._report import duration

NOT_ASKED = "not asked"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The options of module vllm_endpoint (its documentation is the module's); the wait_* and progress_interval ones
# are its action's (plugins/action/vllm_endpoint.py), which asks the module until the server is ready.
ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True),
    api_key=dict(type="str", default="", no_log=True),
    model=dict(type="str", default=""),
    fallback_model=dict(type="str", default=""),
    prompt=dict(type="str", default="Say hello."),
    max_tokens=dict(type="int", default=4, no_log=False),
    completion_timeout=dict(type="float", default=30),
    http_timeout=dict(type="float", default=10),
    unit=dict(type="str", default=""),
    journal_lines=dict(type="int", default=0),
    plan_file=dict(type="path"),
    wait_timeout=dict(type="float", default=0),
    wait_delay=dict(type="float", default=5),
    progress_interval=dict(type="float", default=30),
)
WAIT_OPTIONS = ("wait_timeout", "wait_delay", "progress_interval")


def opener(api_key="", timeout=10.0):
    """``open(method, url, body=None, timeout=None) -> (status, body bytes)``; status -1 with the error text when
    nothing answered (``timed out`` in it for a deadline), the body of an HTTP error status too."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer %s" % api_key
    request = Request(headers=headers, timeout=timeout, use_proxy=False,
                      context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))

    def open_(method, url, body=None, deadline=None):
        try:
            resp = request.open(method, url, data=body, timeout=deadline or timeout)
            return resp.getcode(), resp.read()
        except HTTPError as e:
            return e.code, e.read() if e.fp else b""
        except socket.timeout as e:
            return -1, ("timed out: %s" % e).encode()
        except (URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            text = "timed out" if isinstance(reason, socket.timeout) else str(reason)
            return -1, text.encode()
    return open_


def _json(body):
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return None


def completion_summary(status, body, seconds):
    """A chat completion's answer as status rows and readiness need it: status, generated tokens, text, seconds,
    error (the body or the connection error when not 200), timed_out."""
    data = _json(body) if status == 200 else None
    choices = (data or {}).get("choices") or [{}]
    usage = (data or {}).get("usage") or {}
    error = "" if status == 200 else (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body))[:500]
    return dict(status=status, tokens=int(usage.get("completion_tokens") or 0),
                text=((choices[0].get("message") or {}).get("content") or ""), choices=len((data or {}).get("choices") or []),
                seconds=int(round(seconds)), error=error, timed_out=status == -1 and "timed out" in error)


def probe(url, open_, model="", fallback_model="", prompt="Say hello.", max_tokens=4, completion_timeout=30.0):
    """/health, /v1/models and (when /health is 200) one chat completion: to ``model``, else to the first listed model,
    else to ``fallback_model``. Returns {health, models_status, models, model, completion}."""
    health, _body = open_("GET", url + "/health")
    models_status, body = open_("GET", url + "/v1/models")
    data = (_json(body) or {}) if models_status == 200 else {}
    models = [m.get("id") for m in (data.get("data") or []) if isinstance(m, dict) and m.get("id")]
    asked = model or (models[0] if models else fallback_model)
    result = dict(health=health, models_status=models_status, models=models, model=asked)
    if health != 200:
        result["completion"] = dict(status=NOT_ASKED, tokens=0, text="", choices=0, seconds=0, error="", timed_out=False)
        return result
    request = json.dumps({"model": asked, "messages": [{"role": "user", "content": prompt}],
                          "max_tokens": max_tokens}).encode()
    start = time.monotonic()
    status, answer = open_("POST", url + "/v1/chat/completions", request, completion_timeout)
    result["completion"] = completion_summary(status, answer, time.monotonic() - start)
    return result


def progress_line(result, seconds, width=160):
    """One line on a server that is not ready yet, for the readiness wait's progress:
    'vLLM loading: 2 min 5 s, unit active/running, /health no answer, journal: <its last line>' (Ray's colours
    and a progress bar's carriage returns taken out of it)."""
    unit = result.get("unit") or {}
    state = "unit %s/%s, " % (unit.get("ActiveState", "?"), unit.get("SubState", "?")) if unit else ""
    health = result.get("health")
    if health == 200:
        c = result.get("completion") or {}
        answer = "/health 200, completion %s" % c.get("status")
        if c.get("status") != 200 and c.get("error"):
            answer += " (%s)" % " ".join(str(c["error"]).split())[:60]
    else:
        answer = "/health %s" % ("no answer" if health == -1 else health)
    lines = [" ".join(ANSI_ESCAPE.sub("", line).split()) for line in result.get("journal") or []]
    lines = [line for line in lines if line]
    journal = ", journal: %s" % lines[-1][:width] if lines else ""
    return "vLLM loading: %s, %s%s%s" % (duration(seconds), state, answer, journal)


def ready(result, served_name):
    """Ready to serve: /health 200, the served name listed, a completion with at least one choice."""
    c = result.get("completion") or {}
    return result.get("health") == 200 and served_name in result.get("models", []) and c.get("status") == 200 \
        and c.get("choices", 0) > 0
