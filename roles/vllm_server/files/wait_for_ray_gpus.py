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

First it ends the vLLM engine processes (process title ``VLLM::...``) of this user that an earlier start of a
server left behind: their server died and they were handed to PID 1, which happens when systemd cannot kill a
unit's whole control group (seen in nested containers: "Failed to kill control group ... Input/output error").
Such an engine keeps its Ray placement group, so the new server would never get the GPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.request

ENGINE_TITLE = "VLLM::"  # vLLM's process titles (setproctitle): VLLM::EngineCore, VLLM::Worker_...


def alive_gpus(payload):
    """(alive nodes, GPUs of the alive nodes) from the dashboard's /api/v0/nodes answer."""
    data = payload.get("data", payload)
    while isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    nodes = data.get("result", data.get("nodes", [])) if isinstance(data, dict) else data
    alive = [n for n in nodes if n.get("state") == "ALIVE"]
    return len(alive), sum(float((n.get("resources_total") or {}).get("GPU", 0)) for n in alive)


def read_process(proc_root, pid):
    """(ppid, real uid, argv[0]) of /proc/PID, or None when it is gone."""
    try:
        with open(os.path.join(proc_root, pid, "status")) as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        with open(os.path.join(proc_root, pid, "cmdline"), "rb") as f:
            argv0 = f.read().split(b"\0", 1)[0].decode("utf-8", "replace")
        return int(fields["PPid"]), int(fields["Uid"].split()[0]), argv0
    except (OSError, KeyError, ValueError):
        return None


def orphaned_engines(proc_root, uid):
    """PIDs of vLLM engine processes of ``uid`` whose parent is PID 1 (their server is gone)."""
    found = []
    for pid in os.listdir(proc_root):
        info = read_process(proc_root, pid) if pid.isdigit() else None
        if info and info[0] == 1 and info[1] == uid and info[2].startswith(ENGINE_TITLE):
            found.append(int(pid))
    return sorted(found)


def end_orphans(proc_root, uid, kill, out):
    for pid in orphaned_engines(proc_root, uid):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            continue
        print("ended vLLM engine process %d left by an earlier start (its server is gone; it would keep the Ray GPUs)"
              % pid, file=out, flush=True)


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


def main(argv=None, clock=time.monotonic, sleep=time.sleep, out=sys.stdout, proc_root="/proc", kill=os.kill):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dashboard", required=True, help="http://HEAD_IP:8265")
    ap.add_argument("--gpus", type=float, required=True)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--token-file", default=os.environ.get("RAY_AUTH_TOKEN_PATH", ""))
    args = ap.parse_args(argv)
    end_orphans(proc_root, os.getuid(), kill, out)
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
