# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listening ports of the head and of vLLM's servers, and who may hold them (pure; unit-tested).

Roles preflight (probes its own host) and validate (probes every Ray host before any change) use the
same table: a port held by the expected program is ours (a re-run), anything else is a conflict.
"""

from __future__ import annotations

# `expected` is searched in the holder's command line: Ray 2.60 runs the GCS as
# .../ray/core/src/ray/gcs/gcs_server, the dashboard as python .../ray/dashboard/dashboard.py and the
# client server as python -m ray.util.client.server; vLLM's API server has vllm in its command line.
HEAD_PORTS = (
    ("gcs", "Ray GCS", r"gcs_server( |$)"),
    ("dashboard", "Ray dashboard", r"ray/dashboard/dashboard\.py"),
    ("client", "Ray client server", r"ray\.util\.client\.server"),
    ("vllm", "vLLM API", r"vllm"),
)


def head_ports(gcs, dashboard, client, vllm):
    """``[{port, name, expected}]`` for the head's Ray GCS, dashboard, client server and vLLM API ports,
    in that order; a port given twice is listed once (its first holder's pattern), one that is not a
    number is left out (the roles' argument specs report it)."""
    given = {"gcs": gcs, "dashboard": dashboard, "client": client, "vllm": vllm}
    out, seen = [], set()
    for key, name, expected in HEAD_PORTS:
        try:
            port = int(given[key])
        except (TypeError, ValueError):
            continue
        if port not in seen:
            seen.add(port)
            out.append({"port": port, "name": name, "expected": expected})
    return out


def server_ports(ports, servers, host):
    """``ports`` (head_ports()'s list on the head, else empty) and the API port of each vLLM server of ``servers``
    (the layout's records: ``name``, ``port``, ``runs_on``) that runs on ``host``, named after its server where there
    are several. A port listed already is not listed again (each server's plan reports a port that collides with
    Ray's); one that is not a number is left out."""
    out = list(ports or [])
    seen = set(p["port"] for p in out)
    name, expected = dict((key, (label, pattern)) for key, label, pattern in HEAD_PORTS)["vllm"]
    for server in servers or []:
        if server.get("runs_on") != host:
            continue
        try:
            port = int(server.get("port"))
        except (TypeError, ValueError):
            continue
        if port not in seen:
            seen.add(port)
            out.append({"port": port, "expected": expected,
                        "name": name if len(servers) < 2 else "%s of %s" % (name, server.get("name"))})
    return out
