# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status of a vLLM server from two reads: the endpoint (module vllm_endpoint: its unit, the plan it runs, /health,
/v1/models, a chat completion) and the Ray cluster under it (module ray_cluster_info or ray_wait: their ``cluster``).

Pure: role vllm_server's status (filter vllm_server_status) turns the two registered results into the fact
vllm_server_status, whose ``rows`` the summary of site.yml and playbooks/status.yml print.
"""

from __future__ import annotations

import json

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import node_rows

# The settings status_table reads (role vllm_server's variables, passed by its status tasks).
SETTINGS = ("endpoint", "unit", "model_path", "timeout", "api_key_set")


def _answer(endpoint, timeout):
    """One phrase for the completion; a hung engine (/health 200, no answer) reads "no answer in S s", not -1."""
    c = endpoint.get("completion") or {}
    if endpoint.get("health") != 200:
        return "not asked (/health is not 200)"
    if c.get("status") == 200:
        return "200 in %s s, %s tokens: %s" % (c.get("seconds"), c.get("tokens"), json.dumps(c.get("text", "")))
    if c.get("timed_out"):
        return "no answer in %s s" % timeout
    if c.get("status") == -1:
        return "no answer: %s" % c.get("error", "")
    return "HTTP %s" % c.get("status")


def _ray_line(ray, read, lost, missing):
    if not ray:
        return "not answering: %s" % (read.get("msg") or "?")
    alive = ray.get("alive_nodes", 0)
    replaced = len(ray.get("nodes") or []) - len([n for n in ray.get("nodes") or [] if n.get("alive")]) - len(lost)
    gpu = (ray.get("usage") or {}).get("GPU") or {"used": 0, "total": (ray.get("totals") or {}).get("GPU", 0)}
    return "%s  nodes %s alive / %d dead / %d missing%s  GPUs used %d / %d" % (
        ray.get("ray_version"), alive, len(lost), len(missing),
        "  (+%d dead records of restarted nodes)" % replaced if replaced > 0 else "",
        int(gpu.get("used") or 0), int(gpu.get("total") or 0))


def status_table(endpoint, ray_read, names, settings):
    """The status of the server: ``ok`` (Ray answers with every inventory host an alive node and no lost one,
    /health 200, a completion of at least one token), the two reads, and ``rows``, the lines to print.

    ``endpoint`` is vllm_endpoint's result, ``ray_read`` the registered result of the Ray read (``cluster`` absent
    or empty, or ``failed`` with ``msg``, when Ray does not answer), ``names`` the inventory name of each host's node
    IP, ``settings`` the SETTINGS: the endpoint's URL as clients call it, the unit's name (no .service), the model
    path the plan does not name, the completion's deadline and whether an API key is set.

    The GCS keeps the records of dead nodes: a dead record of an IP that has an alive node again (a restarted node)
    is history, not a fault; an inventory IP without any node is one (``missing``). Generated tokens count, not the
    text: a working engine may answer with an end-of-sequence token first, which is an empty text."""
    missing_settings = [k for k in SETTINGS if k not in settings]
    if missing_settings:
        raise ValueError("settings lack %s" % ", ".join(missing_settings))
    ray = {} if ray_read.get("failed") else ray_read.get("cluster") or {}
    nodes = ray.get("nodes") or []
    alive_ips = [n.get("ip") for n in nodes if n.get("alive")]
    lost = [n for n in nodes if not n.get("alive") and n.get("ip") not in alive_ips]
    missing = [ip for ip in names if ip not in [n.get("ip") for n in nodes]] if ray else []
    unit, plan = endpoint.get("unit") or {}, endpoint.get("plan") or {}
    c = endpoint.get("completion") or {}
    tokens = int(c.get("tokens") or 0)
    answer = _answer(endpoint, settings["timeout"])
    url = settings["endpoint"]
    rows = [
        "endpoint   %s/v1  (%s.service %s/%s, restarts %s)" % (
            url, settings["unit"], unit.get("ActiveState", "?"), unit.get("SubState", "?"), unit.get("NRestarts", "?")),
        "health     %s   models: %s (HTTP %s)" % (
            endpoint.get("health"), ", ".join(endpoint.get("models") or []) or "-", endpoint.get("models_status")),
        "completion " + answer,
        "model      %s = %s  TP=%s PP=%s backend=%s" % (
            endpoint.get("model"), plan.get("model_path", settings["model_path"]), plan.get("tensor_parallel_size", "?"),
            plan.get("pipeline_parallel_size", "?"), plan.get("distributed_executor_backend") or "vLLM's choice"),
        "ray        " + _ray_line(ray, ray_read, lost, missing),
    ]
    rows += node_rows(nodes, names, lost, missing)
    body = json.dumps({"model": endpoint.get("model"), "messages": [{"role": "user", "content": "Hello"}]})
    rows.append("call       curl %s/v1/chat/completions -H \"Authorization: Bearer $VLLM_API_KEY\""
                " -H 'Content-Type: application/json' -d '%s'%s" % (
                    url, body, "" if settings["api_key_set"] else "  (this server has no API key)"))
    ok = bool(ray and ray.get("alive_nodes", 0) > 0 and not lost and not missing
              and endpoint.get("health") == 200 and c.get("status") == 200 and tokens > 0)
    return {
        "ok": ok,
        "ray": ray,
        "ray_error": "" if ray else ray_read.get("msg") or "",
        "unit": unit,
        "health": endpoint.get("health"),
        "models": endpoint.get("models") or [],
        "completion": {"status": c.get("status"), "text": c.get("text", ""), "tokens": tokens,
                       "seconds": c.get("seconds") if c.get("status") == 200 else "-", "answer": answer},
        "plan": plan,
        "rows": rows,
        "summary": rows,
    }
