# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The head's listening ports and who may hold them (pure; unit-tested).

Roles preflight (probes its own host) and validate (probes the head before any change) use the
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
