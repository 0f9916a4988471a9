"""Ray benchmark on the local lab (make bench): prints figures, asserts nothing.

1. Status latency: median of 20 reads of the cluster the way ray_cluster_info does it (the module's
   own query: dashboard JSON API, parsed) versus median of 20 ``ray status --address`` calls timed
   on the head host itself (no SSH in the figure), and the ratio, in one run.
2. Detection latency: the time between the last worker's ``ray start`` returning and the wait
   being satisfied (3 nodes alive, GPU 6, every expected IP), polling like ray_wait does
   (``wait_for`` + ``missing_for_wait``) with the poll interval printed.

The cluster is the Molecule ray_cluster scenario's (prepare.yml + converge.yml, with the inventory variables of its
molecule.yml: the lab's package index) on a lab of its own named ``bench`` (head and two workers: no storage host and
no outsider, so no monitoring sources for the firewall; this machine reads the dashboard, so the firewall lets its
address on the lab network in as a peer), removed at the end. Lab hosts have no GPU: each declares 2 (num_gpus).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import missing_for_wait  # noqa: E402
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (  # noqa: E402
    dashboard_opener, read_dashboard, wait_for)

LAB = [sys.executable, os.path.join(ROOT, "tests", "lab", "lab"), "--name", "bench"]
INVENTORY = os.path.join(ROOT, ".cache", "bench", "hosts.yml")
SCENARIO = os.path.join(ROOT, "molecule", "ray_cluster")
VENV = "/opt/vllm_env"
RUNS = 20
POLL = 0.05
TOKEN_FILE = "/etc/ray/auth_token"  # roles/ray_cluster's default (token auth on)
AUTH_ENV = ("RAY_AUTH_MODE=token", "RAY_AUTH_TOKEN_PATH=" + TOKEN_FILE)

REMOTE_STATUS_LOOP = r"""
import statistics, subprocess, sys, time
t = []
for _ in range(%d):
    s = time.perf_counter()
    subprocess.run([sys.argv[1], "status", "--address", sys.argv[2]], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.append(time.perf_counter() - s)
print(statistics.median(t))
""" % RUNS


def sh(argv, **kw):
    res = subprocess.run(argv, text=True, capture_output=True, check=False, **kw)
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-6000:] + res.stderr[-3000:])
        raise SystemExit("bench: %s failed (rc=%d)" % (" ".join(argv[:3]), res.returncode))
    return res.stdout


def lab_ssh(host, *command, stdin=None):
    return sh(LAB + ["ssh", host] + list(command), input=stdin)


def main():
    t0 = time.monotonic()
    print("bench: lab up (3 hosts) ...", flush=True)
    sh(LAB + ["up", "--hosts", "head=ray_head,worker1=ray_workers,worker2=ray_workers",
              "--inventory", INVENTORY])
    hosts = json.loads(sh([os.path.join(ROOT, ".venv", "bin", "ansible-inventory"), "-i", INVENTORY, "--list"]))
    ip = {h: v["ansible_host"] for h, v in hosts["_meta"]["hostvars"].items()}
    try:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
        with open(os.path.join(SCENARIO, "molecule.yml")) as f:
            scenario_vars = yaml.safe_load(f)["provisioner"]["inventory"]["group_vars"]["all"]
        extra_vars = os.path.join(os.path.dirname(INVENTORY), "scenario-vars.json")
        with open(extra_vars, "w") as f:
            # This machine's address towards the head (the lab bridge's).
            controller = re.search(r"\bsrc (\S+)", sh(["ip", "-o", "route", "get", ip["head"]])).group(1)
            json.dump(dict(scenario_vars, host_firewall_monitoring_sources=[], host_firewall_peer_addresses=[controller]), f)
        for play in ("prepare.yml", "converge.yml"):
            print("bench: ansible-playbook %s ..." % play, flush=True)
            sh([os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", INVENTORY, "-e", "@" + extra_vars,
                os.path.join(SCENARIO, play)], env=env)
        head = ip["head"]
        print("bench: cluster up after %.0fs" % (time.monotonic() - t0))

        # The role turns Ray's token auth on: the dashboard and `ray status` need the cluster's token.
        opener = dashboard_opener(lab_ssh("head", "cat", TOKEN_FILE).strip())
        ours = []
        for dummy in range(RUNS):
            s = time.perf_counter()
            read_dashboard(head, 8265, opener=opener)
            ours.append(time.perf_counter() - s)
        ray_status = float(lab_ssh("head", *AUTH_ENV, VENV + "/bin/python", "-", VENV + "/bin/ray", head + ":6379",
                                   stdin=REMOTE_STATUS_LOOP))
        ours_med = statistics.median(ours)
        print("status latency: ray_cluster_info query median %.1f ms (n=%d) vs `ray status --address` "
              "median %.0f ms (n=%d, timed on the head): ratio %.0fx"
              % (ours_med * 1000, RUNS, ray_status * 1000, RUNS, ray_status / ours_med))

        lab_ssh("worker2", *AUTH_ENV, VENV + "/bin/ray", "stop")
        expected = [ip["head"], ip["worker1"], ip["worker2"]]

        def read():
            return read_dashboard(head, 8265, opener=opener)

        dummy, missing, dummy, dummy = wait_for(
            read, lambda f: {} if f["alive_nodes"] == 2 else {"alive": f["alive_nodes"]}, 60, 0.2)
        if missing:
            raise SystemExit("bench: worker2 did not show as stopped: %s" % missing)
        lab_ssh("worker2", *AUTH_ENV, "RAY_USAGE_STATS_ENABLED=0", VENV + "/bin/ray", "start",
                "--address=%s:6379" % head, "--node-ip-address=%s" % ip["worker2"], "--num-cpus=1",
                "--num-gpus=2", "--object-store-memory=104857600", "--disable-usage-stats")
        returned = time.monotonic()
        dummy, missing, dummy, polls = wait_for(
            read, lambda f: missing_for_wait(f, 3, {"GPU": 6}, expected), 60, POLL)
        detected = time.monotonic() - returned
        print("detection latency: last worker's `ray start` returned -> wait satisfied in %.3f s "
              "(%d polls, poll interval %.2f s)%s" % (detected, polls, POLL, " NOT SATISFIED: %s" % missing if missing else ""))
    finally:
        if os.environ.get("BENCH_KEEP_LAB") != "1":
            sh(LAB + ["down"])
        print("bench: total %.0fs" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
