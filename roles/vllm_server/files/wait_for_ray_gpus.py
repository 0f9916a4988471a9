#!/usr/bin/env python
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ExecStartPre of vLLM's unit on Ray's executor: wait until the Ray cluster offers the GPUs the plan needs.

After a reboot of the whole cluster (or of a worker) vllm.service starts as soon as the local
ray.service does, long before the workers have joined; vLLM's executor would then fail to place
its workers. This waits (bounded) for the alive nodes' GPUs to add up to ``--gpus``, printing one
line every ``--every`` seconds for the journal, and exits 1 after ``--timeout`` seconds (systemd
then starts the unit again, Restart=always). Standard library only (the unit runs it with the venv's
python; importing Ray or vLLM would cost seconds). Reads the head's dashboard: GET /api/v0/nodes?detail=1
(token: Authorization: Bearer).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request


def alive_gpus(payload):
    """(alive nodes, GPUs of the alive nodes) from the dashboard's /api/v0/nodes answer."""
    data = payload.get("data", payload)
    while isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    nodes = data.get("result", data.get("nodes", [])) if isinstance(data, dict) else data
    alive = [n for n in nodes if n.get("state") == "ALIVE"]
    return len(alive), sum(float((n.get("resources_total") or {}).get("GPU", 0)) for n in alive)


def read_token(path):
    if not path:
        return None
    path = os.path.expandvars(path)
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def ask(url, token, timeout):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", "Bearer %s" % token)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as answer:
        return json.loads(answer.read())


def main(argv=None, clock=time.monotonic, sleep=time.sleep, out=sys.stdout):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dashboard", required=True, help="http://HEAD_IP:8265")
    ap.add_argument("--gpus", type=float, required=True)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--token-file", default=os.environ.get("RAY_AUTH_TOKEN_PATH", ""))
    args = ap.parse_args(argv)
    url = args.dashboard.rstrip("/") + "/api/v0/nodes?detail=1&limit=10000"
    start = clock()
    last_line = None
    while True:
        try:
            nodes, gpus = alive_gpus(ask(url, read_token(args.token_file), timeout=5))
            state = "%d alive node(s), %g of %g GPU(s)" % (nodes, gpus, args.gpus)
            if gpus >= args.gpus:
                print("Ray is ready for vLLM: %s" % state, file=out, flush=True)
                return 0
        except (OSError, ValueError) as e:
            state = "the Ray dashboard does not answer (%s)" % e
        waited = clock() - start
        if waited >= args.timeout:
            print("gave up after %.0f s waiting for Ray: %s" % (waited, state), file=out, flush=True)
            return 1
        if last_line is None or clock() - last_line >= args.every:
            print("waiting for Ray (%.0f s): %s" % (waited, state), file=out, flush=True)
            last_line = clock()
        sleep(2)


if __name__ == "__main__":
    sys.exit(main())
