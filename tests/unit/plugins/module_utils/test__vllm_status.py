# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""status_table on what role vllm_server's status read on the converged 3-host lab (tests/unit/fixtures/vllm/lab-status:
vLLM over Ray's executor, PP=3, one CPU "GPU" per host), then each fault it must name."""

import copy
import json
import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_status import status_table

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "vllm", "lab-status")
NAMES = {"10.213.1.11": "head", "10.213.1.12": "worker1", "10.213.1.13": "worker2"}
SETTINGS = {"endpoint": "http://10.213.1.11:8000", "unit": "vllm", "model_path": "/mnt/models/tiny-llama",
            "timeout": 20, "api_key_set": True}


def reads():
    with open(os.path.join(FIXTURES, "status-vllm-endpoint.json")) as f:
        endpoint = json.load(f)
    with open(os.path.join(FIXTURES, "status-ray-cluster-info.json")) as f:
        ray = json.load(f)
    return endpoint, ray


def test_the_converged_lab_is_ok_and_its_rows_name_everything():
    endpoint, ray = reads()
    status = status_table(endpoint, ray, NAMES, SETTINGS)
    assert status["ok"] is True
    assert status["ray_error"] == ""
    assert status["completion"]["tokens"] == 16 and status["completion"]["status"] == 200
    rows = status["rows"]
    assert rows[0] == "endpoint   http://10.213.1.11:8000/v1  (vllm.service active/running, restarts 0)"
    assert rows[1] == "health     200   models: tiny (HTTP 200)"
    assert rows[2].startswith("completion 200 in 0 s, 16 tokens: \"U")
    assert rows[3] == "model      tiny = /mnt/models/tiny-llama  TP=1 PP=3 backend=ray"
    assert rows[4] == "ray        2.60.0  nodes 3 alive / 0 dead / 0 missing  GPUs used 3 / 3"
    assert rows[5].split() == ["head", "10.213.1.11", "ALIVE", "GPU", "1", "(head)", "vLLM", "PP0"]
    assert rows[7].split() == ["worker2", "10.213.1.13", "ALIVE", "GPU", "1", "vLLM", "PP2"]
    assert rows[8].startswith("call       curl http://10.213.1.11:8000/v1/chat/completions -H \"Authorization: Bearer")
    assert '"model": "tiny"' in rows[8] and "no API key" not in rows[8]
    assert status["summary"] == rows and len(rows) == 9


def test_a_server_without_api_key_says_so():
    endpoint, ray = reads()
    rows = status_table(endpoint, ray, NAMES, dict(SETTINGS, api_key_set=False))["rows"]
    assert rows[-1].endswith("(this server has no API key)")


def test_ray_not_answering_is_named_and_not_ok():
    endpoint = reads()[0]
    read = {"changed": False, "msg": "no Ray cluster at 10.213.1.11:6379: connection refused"}
    status = status_table(endpoint, read, NAMES, SETTINGS)
    assert status["ok"] is False
    assert status["ray"] == {} and status["ray_error"] == read["msg"]
    assert status["rows"][4] == "ray        not answering: " + read["msg"]
    assert len(status["rows"]) == 6  # no node rows, no MISSING rows without a cluster


def test_a_missing_host_and_a_lost_node_are_faults_a_restarted_node_is_history():
    endpoint, ray = reads()
    nodes = ray["cluster"]["nodes"]
    restarted = dict(copy.deepcopy(nodes[1]), node_id="old", alive=False, state="DEAD")
    lost = dict(copy.deepcopy(nodes[2]), alive=False, state="DEAD")
    ray["cluster"]["nodes"] = [nodes[0], nodes[1], restarted, lost]
    ray["cluster"]["alive_nodes"] = 2
    status = status_table(endpoint, ray, dict(NAMES, **{"10.213.1.14": "worker3"}), SETTINGS)
    assert status["ok"] is False
    rows = status["rows"]
    assert rows[4] == ("ray        2.60.0  nodes 2 alive / 1 dead / 1 missing  (+1 dead records of restarted nodes)"
                       "  GPUs used 3 / 3")
    assert [r.split()[:3] for r in rows[5:8]] == [["head", "10.213.1.11", "ALIVE"], ["worker1", "10.213.1.12", "ALIVE"],
                                                  ["worker2", "10.213.1.13", "DEAD"]]
    assert rows[8].split() == ["worker3", "10.213.1.14", "MISSING", "(not", "in", "the", "Ray", "cluster)"]


@pytest.mark.parametrize("health, completion, answer, ok", [
    (200, {"status": 200, "tokens": 1, "text": "", "seconds": 0.1}, '200 in 0.1 s, 1 tokens: ""', True),
    (200, {"status": -1, "timed_out": True, "error": "timed out"}, "no answer in 20 s", False),
    (200, {"status": -1, "timed_out": False, "error": "connection reset"}, "no answer: connection reset", False),
    (200, {"status": 500, "error": "engine dead"}, "HTTP 500", False),
    (200, {"status": 200, "tokens": 0, "text": "", "seconds": 0.1}, '200 in 0.1 s, 0 tokens: ""', False),
    (-1, {"status": -1, "error": "not asked"}, "not asked (/health is not 200)", False),
])
def test_each_engine_state_reads_as_one_answer(health, completion, answer, ok):
    endpoint, ray = reads()
    endpoint.update(health=health, completion=completion)
    status = status_table(endpoint, ray, NAMES, SETTINGS)
    assert (status["completion"]["answer"], status["ok"]) == (answer, ok)
    assert status["rows"][2] == "completion " + answer


def test_a_plan_record_without_keys_falls_back_to_the_settings():
    endpoint, ray = reads()
    endpoint.update(plan={}, unit={})
    rows = status_table(endpoint, ray, NAMES, SETTINGS)["rows"]
    assert rows[0] == "endpoint   http://10.213.1.11:8000/v1  (vllm.service ?/?, restarts ?)"
    assert rows[3] == "model      tiny = /mnt/models/tiny-llama  TP=? PP=? backend=vLLM's choice"


def test_settings_are_required():
    endpoint, ray = reads()
    with pytest.raises(ValueError, match="settings lack api_key_set"):
        status_table(endpoint, ray, NAMES, {k: v for k, v in SETTINGS.items() if k != "api_key_set"})
