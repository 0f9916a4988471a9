# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeds' literal setup (issue 13): TP=2 PP=1 over vLLM's Ray executor on the head and one worker.

worker2's Ray node is stopped so the cluster is exactly those two hosts; `site.yml --tags vllm` with
TP=2 PP=1 and the ray backend restarts vLLM across them; a real completion answers; the Ray worker process
on worker1 runs as the service user. Then `site.yml --tags ray,vllm` starts worker2's node again and
deploys the inventory's plan (TP=1 PP=3) again. Memory per host (sum of the RSS of its processes) is measured under both plans and,
with the start-to-completion seconds, written to .cache/e2e-tp2.json.
"""

import json
import os
import time

import pytest
from test_faults import ROOT, SITE, completion, wait_until

pytestmark = pytest.mark.lab

FIGURES = os.path.join(ROOT, ".cache", "e2e-tp2.json")
TP2 = {"vllm_server_tensor_parallel_size": 2, "vllm_server_pipeline_parallel_size": 1,
       "vllm_server_distributed_executor_backend": "ray"}


def memory_mib(lab):
    return {h: int(lab.ssh(h, "ps -eo rss= | awk '{s += $1} END {print int(s / 1024)}'").stdout)
            for h in sorted(lab.hosts)}


def workers_as_vllm(lab):
    return {h: len(lab.ssh(h, "pgrep -u vllm -f '^ray::RayWorkerProc' || true").stdout.split())
            for h in sorted(lab.hosts)}


def test_tp2_over_the_head_and_one_worker(cluster, api_key):
    figures = {"memory_mib_pp3": memory_mib(cluster)}
    assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 1}
    cluster.ssh("worker2", "systemctl stop ray.service")
    try:
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
        # the Ray phase starts worker2's node again and waits for it before vLLM is planned
        start = time.monotonic()
        back = cluster.playbook(SITE, "--tags", "ray,vllm")
        figures["pp3_site_yml_to_completion_s"] = time.monotonic() - start
        os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
        with open(FIGURES, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
    assert back.rc == 0, back
    wait_until("a completion answers", lambda: completion(cluster, api_key, timeout=30) == 200, 600, 2)
    assert workers_as_vllm(cluster) == {"head": 1, "worker1": 1, "worker2": 1}
