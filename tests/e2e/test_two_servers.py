# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two servers on one cluster (issue 18), TP=2 over two hosts, then the upgrade from an earlier release (issue 13).

0. site.yml --check with the two servers, the second one's model not downloaded, and a third server new to worker2
   whose model is there (the inventory's, sharing the coder's GPU): the coder says check mode cannot plan it, the
   first is checked as usual (its unit would change), the third would be written and started (its unit does not
   exist, so the start is reported, not failed, and no readiness is waited for), nothing changes on any host.
1. vllm_server_instances with two servers, planned together: the inventory's model on vLLM's Ray executor with TP=2
   PP=1 (the head and one worker: the layout leaves Ray no GPU on worker2), and a second model (the hub test
   double's tiny-coder, downloaded once by model_storage) alone on worker2 with the uni backend. One site.yml run:
   both answer a real completion, each on its host and port; Ray declares 2 GPUs; the Ray worker processes run as
   the service user on the head and worker1 only; the summary has both servers' rows.
2. A changed flag of the second server restarts its unit only: the other unit's MainPID stays.
3. The second server removed from the list: its unit and files are gone from worker2, worker2's Ray gets its GPU
   back, the first server keeps answering with the same MainPID.
4. worker2 gets an earlier release's layout (no unit: Ray started by hand as root with setsid, its session
   root's). One site.yml run (the inventory's one server again) adopts it (Ray stopped, the session removed, started
   under ray.service as vllm), deploys the inventory's plan (TP=1 PP=3) again, and changes nothing else on the
   workers.

Memory per host (sum of the RSS of its processes) under each layout and the run times are written to
.cache/e2e-servers.json.
"""

import json
import os
import time

import pytest
from test_faults import ROOT, SITE, completion, unit, wait_until

pytestmark = pytest.mark.lab

FIGURES = os.path.join(ROOT, ".cache", "e2e-servers.json")
CHAT = {"name": "vllm", "tensor_parallel_size": 2, "pipeline_parallel_size": 1, "distributed_executor_backend": "ray"}
CODER = {"name": "coder", "port": 8001, "model_path": "/mnt/models/tiny-coder", "served_model_name": "coder",
         "model_repo_id": "llmops/tiny-coder", "distributed_executor_backend": "uni"}
# Check mode only: a server new to worker2 whose model is downloaded already, on the coder's GPU (both take half).
SHARER = {"name": "sharer", "port": 8002, "served_model_name": "sharer", "node": "worker2",
          "distributed_executor_backend": "uni", "tensor_parallel_size": 1, "gpu_memory_utilization": 0.5}
UNIT_WRITTEN = ("llmops.ray_vllm.vllm_server : Write the unit (checked by systemd-analyze verify), its configuration, "
                "helper scripts and the plan record")
# What an earlier release did on a worker: Ray as root, started with setsid, no unit.
OLD_LAYOUT = ("systemctl disable --now ray.service && rm /etc/systemd/system/ray.service && systemctl daemon-reload "
              "&& rm -rf /tmp/ray && RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH=/etc/ray/auth_token setsid --wait "
              "/opt/vllm_env/bin/ray start --address=%s:6379 --node-ip-address=%s --num-gpus=1 --num-cpus=1 "
              "--object-store-memory=104857600 --disable-usage-stats")


def memory_mib(lab):
    return {h: int(lab.ssh(h, "ps -eo rss= | awk '{s += $1} END {print int(s / 1024)}'").stdout)
            for h in sorted(lab.hosts)}


def workers_as_vllm(lab):
    return {h: len(lab.ssh(h, "pgrep -u vllm -f '^ray::RayWorkerProc' || true").stdout.split())
            for h in sorted(lab.hosts)}


def servers(*entries):
    """The servers as extra vars. A layout that changes the GPUs Ray declares on a host restarts that Ray node, which
    role ray_cluster does only when told to."""
    return {"vllm_server_instances": list(entries), "ray_cluster_restart_on_change": True}


def ray_gpus(lab):
    """GPUs of each alive Ray node as Ray declares them (the dashboard's node list, asked on the head with the
    cluster's token)."""
    ask = ("import json, urllib.request; t = open('/etc/ray/auth_token').read().strip(); "
           "r = urllib.request.Request('http://%s:8265/api/v0/nodes?detail=1&limit=100', "
           "headers={'Authorization': 'Bearer ' + t}); print(urllib.request.urlopen(r, timeout=10).read().decode())"
           % lab.hosts["head"])
    nodes = json.loads(lab.ssh("head", 'python3 -c "%s"' % ask).stdout)["data"]["result"]["result"]
    return sorted(int((n.get("resources_total") or {}).get("GPU", 0)) for n in nodes if n.get("state") == "ALIVE")


def test_two_servers_then_one_then_the_upgrade(cluster, api_key):
    figures = {"memory_mib_pp3": memory_mib(cluster)}
    assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 1}
    try:
        # Check mode first, the coder's model not downloaded (check mode downloads nothing): the coder cannot be planned
        # and says so, the chat server is still checked (its unit would change: TP=2 PP=1), the sharer (its model is
        # there) would be written and started, nothing changes anywhere.
        cluster.ssh("head", "rm -rf /mnt/models/tiny-coder")
        before = cluster.snapshot()
        shared = servers(CHAT, dict(CODER, gpu_memory_utilization=0.5), SHARER)
        check = cluster.playbook(SITE, "--check", extra_vars=shared)
        assert check.rc == 0, check
        assert "worker2: llmops.ray_vllm.vllm_server : Say what check mode cannot plan on a cluster never deployed" \
            in check.changed, check.changed
        assert "head: " + UNIT_WRITTEN in check.changed, check.changed
        for task in (UNIT_WRITTEN, "llmops.ray_vllm.vllm_server : Enable and start vLLM"):
            assert "worker2: " + task in check.changed, check.changed
        assert check.results("llmops.ray_vllm.vllm_server : Wait until /health is 200, /v1/models lists the served "
                             "name and a chat completion answers")["worker2"].get("skipped"), check.changed
        assert cluster.snapshot() == before

        start = time.monotonic()
        run = cluster.playbook(SITE, extra_vars=servers(CHAT, CODER))
        assert run.rc == 0, run
        figures["two_servers_site_yml_s"] = time.monotonic() - start
        assert completion(cluster, api_key) == 200
        assert completion(cluster, api_key, host="worker2", port=8001, model="coder") == 200
        summary = run.results("Print the summary")
        rows = summary["head"]["msg"] + summary["worker2"]["msg"]
        assert [r for r in rows if "TP=2 PP=1 backend=ray" in r], rows
        assert [r for r in rows if r.startswith("endpoint") and ":8001/v1" in r and "coder.service active" in r], rows
        assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 0}
        assert ray_gpus(cluster) == [0, 1, 1]
        assert unit(cluster, "ActiveState", "worker2", "coder.service") == "active"
        figures["memory_mib_two_servers"] = memory_mib(cluster)

        # One server's flag: only its unit restarts.
        chat_pid = unit(cluster, "MainPID")
        coder_pid = unit(cluster, "MainPID", "worker2", "coder.service")
        changed = cluster.playbook(SITE, extra_vars=servers(CHAT, dict(CODER, max_model_len=128)))
        assert changed.rc == 0, changed
        assert unit(cluster, "MainPID", "worker2", "coder.service") != coder_pid
        assert unit(cluster, "MainPID") == chat_pid
        assert "--max-model-len 128" in cluster.ssh("worker2", "systemctl cat coder.service").stdout
        assert completion(cluster, api_key, host="worker2", port=8001, model="coder") == 200

        # The second server removed: gone from worker2, the first one untouched.
        removed = cluster.playbook(SITE, extra_vars=servers(CHAT))
        assert removed.rc == 0, removed
        assert [c for c in removed.changed if c.startswith("worker2: llmops.ray_vllm.vllm_server")], removed.changed
        assert cluster.ssh("worker2", "ls /etc/vllm; ls /etc/systemd/system | grep -c coder || true").stdout.split() == ["0"]
        assert unit(cluster, "MainPID") == chat_pid
        assert completion(cluster, api_key) == 200
        assert ray_gpus(cluster) == [1, 1, 1]
    finally:
        cluster.ssh("worker2", OLD_LAYOUT % (cluster.hosts["head"], cluster.hosts["worker2"]))
        assert cluster.ssh("worker2", "ps -o user= -C raylet").stdout.split() == ["root"]
        start = time.monotonic()
        upgrade = cluster.playbook(SITE)
        figures["upgrade_and_pp3_site_yml_s"] = time.monotonic() - start
        os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
        with open(FIGURES, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
    assert upgrade.rc == 0, upgrade
    workers_changed = [c for c in upgrade.changed if not c.startswith("head: ")]
    assert workers_changed == ["worker2: llmops.ray_vllm.ray_cluster : Start the Ray workers"], upgrade.changed
    assert cluster.ssh("worker2", "ps -o user= -C raylet").stdout.split() == ["vllm"]
    assert unit(cluster, "ActiveState", "worker2", "ray.service") == "active"
    assert unit(cluster, "UnitFileState", "worker2", "ray.service") == "enabled"
    wait_until("a completion answers", lambda: completion(cluster, api_key, timeout=30) == 200, 600, 2)
    assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 1}
