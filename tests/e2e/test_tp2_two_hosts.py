# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeds' literal setup, then the upgrade from an earlier release (issue 13).

1. TP=2 PP=1 over vLLM's Ray executor on the head and one worker: worker2's Ray unit is stopped so the
   cluster is exactly those two hosts; `site.yml --tags vllm` with TP=2 PP=1 and the ray backend restarts
   vLLM across them; a real completion answers; the Ray worker process on worker1 runs as the service user.
2. worker2 gets an earlier release's layout (no unit: Ray started by hand as root with setsid, its session
   root's). One site.yml run adopts it (Ray stopped, the session removed, started under ray.service as
   vllm), deploys the inventory's plan (TP=1 PP=3) again, and changes nothing else on the workers.

Memory per host (sum of the RSS of its processes) under both plans and the run times are written to
.cache/e2e-tp2.json.
"""

import json
import os
import time

import pytest
from test_faults import ROOT, SITE, completion, unit, wait_until

pytestmark = pytest.mark.lab

FIGURES = os.path.join(ROOT, ".cache", "e2e-tp2.json")
TP2 = {"vllm_server_tensor_parallel_size": 2, "vllm_server_pipeline_parallel_size": 1,
       "vllm_server_distributed_executor_backend": "ray"}
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


def test_tp2_over_the_head_and_one_worker_then_upgrade(cluster, api_key):
    figures = {"memory_mib_pp3": memory_mib(cluster)}
    assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 1}
    try:
        cluster.ssh("worker2", "systemctl stop ray.service")
        start = time.monotonic()
        run = cluster.playbook(SITE, "--tags", "vllm", extra_vars=TP2)
        assert run.rc == 0, run
        figures["tp2_site_yml_to_completion_s"] = time.monotonic() - start
        assert completion(cluster, api_key) == 200
        summary = run.results("Print the summary")["head"]["msg"]
        assert [r for r in summary if "TP=2 PP=1 backend=ray" in r], summary
        assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 0}
        figures["memory_mib_tp2"] = memory_mib(cluster)
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
