# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several vLLM servers planned together (issue 18): servers() and layout() on plain cluster data.

GPUs cannot exist here; the layout reads only counts, so no mock stands in for anything.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.llmops.ray_vllm.plugins.module_utils import _vllm_layout as vl

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "vllm_server")


def role_defaults(**overrides):
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    defaults.update(("vllm_server_" + k, v) for k, v in overrides.items())
    return defaults


def nodes(*gpus):
    return [{"name": "h%d" % i, "gpus": g, "is_head": i == 0} for i, g in enumerate(gpus)]


def placed(result):
    return [(s["name"], s["runs_on"], s["uses_ray"], s["gpu_ids"]) for s in result["servers"]]


def test_an_empty_list_is_the_one_server_of_the_role():
    defaults = role_defaults(model_path="/mnt/models/m", environment={"A": 1})
    (server,) = vl.servers([], defaults)
    assert server["name"] == "vllm" and server["port"] == 8000 and server["model_path"] == "/mnt/models/m"
    assert server["environment"] == {"A": 1} and server["sets_memory"] is False and server["node"] is None
    result = vl.layout(nodes(1, 1, 1), [server])
    assert result["ok"], result["errors"]
    assert placed(result) == [("vllm", "h0", True, [])]
    # Ray keeps every GPU: nothing to change in what role ray_cluster declares.
    assert result["ray_gpus"] == {} and result["ray_visible_devices"] == {}
    assert result["ray_nodes"] == nodes(1, 1, 1)


def test_an_entry_takes_what_it_leaves_out_from_the_role():
    defaults = role_defaults(environment={"VLLM_CPU_KVCACHE_SPACE": 1}, dtype="float32")
    (server,) = vl.servers([{"name": "coder", "port": 8001, "environment": {"X": "y"}, "node": "h2",
                             "model_repo_id": "org/coder"}], defaults)
    assert (server["name"], server["port"], server["dtype"], server["node"]) == ("coder", 8001, "float32", "h2")
    assert server["environment"] == {"VLLM_CPU_KVCACHE_SPACE": 1, "X": "y"}
    assert server["model_revision"] is None and server["model_repo_id"] == "org/coder"


def test_the_lab_shape_ray_on_two_hosts_and_a_single_node_server_on_the_third():
    listed = [{"name": "chat", "pipeline_parallel_size": 2, "tensor_parallel_size": 1},
              {"name": "coder", "port": 8001, "distributed_executor_backend": "uni"}]
    result = vl.layout(nodes(1, 1, 1), vl.servers(listed, role_defaults()))
    assert result["ok"], result["errors"]
    assert placed(result) == [("chat", "h0", True, []), ("coder", "h2", False, [0])]
    assert result["ray_gpus"] == {"h2": 0} and result["ray_visible_devices"] == {"h2": ""}
    assert [n["gpus"] for n in result["ray_nodes"]] == [1, 1, 0]
    assert result["by_host"] == {"h0": ["chat"], "h1": [], "h2": ["coder"]}


def test_single_node_servers_fill_from_the_last_host_and_leave_ray_the_rest():
    listed = [{"name": "a", "distributed_executor_backend": "mp", "tensor_parallel_size": 2},
              {"name": "b", "distributed_executor_backend": "mp", "tensor_parallel_size": 2, "port": 8001},
              {"name": "c", "distributed_executor_backend": "uni", "port": 8002}]
    result = vl.layout(nodes(4, 4, 2), vl.servers(listed, role_defaults()))
    assert result["ok"], result["errors"]
    # a fills h2; b takes half of h1; c (whole free node) finds none but h0... which is the head: allowed last.
    assert placed(result) == [("a", "h2", False, [0, 1]), ("b", "h1", False, [0, 1]), ("c", "h0", False, [0, 1, 2, 3])]
    assert result["ray_gpus"] == {"h0": 0, "h1": 2, "h2": 0}
    assert result["ray_visible_devices"] == {"h0": "", "h1": "2,3", "h2": ""}


def test_no_two_servers_on_one_gpu_unless_both_set_a_memory_fraction():
    listed = [{"name": "a", "distributed_executor_backend": "uni", "tensor_parallel_size": 1},
              {"name": "b", "distributed_executor_backend": "uni", "tensor_parallel_size": 1, "port": 8001}]
    result = vl.layout(nodes(1), vl.servers(listed, role_defaults()))
    assert not result["ok"]
    assert result["errors"] == [
        "Server b (backend uni, 1 GPU(s) on one node) fits on no node (h0: 0 of 1 free); it shares no GPU, as it sets "
        "no gpu_memory_utilization. Fix: every GPU is taken by the servers before it; remove one, set "
        "gpu_memory_utilization on b and on the servers it may share with (their fractions of a GPU at most 1 "
        "together), or add a GPU node."]
    shared = [dict(listed[0], gpu_memory_utilization=0.5), dict(listed[1], gpu_memory_utilization=0.4)]
    result = vl.layout(nodes(1), vl.servers(shared, role_defaults()))
    assert result["ok"], result["errors"]
    assert placed(result) == [("a", "h0", False, [0]), ("b", "h0", False, [0])]
    # Over 1 together: refused, even though both set a fraction.
    too_much = [dict(listed[0], gpu_memory_utilization=0.6), dict(listed[1], gpu_memory_utilization=0.5)]
    assert not vl.layout(nodes(1), vl.servers(too_much, role_defaults()))["ok"]
    # Only one of the two sets it: refused.
    one = [listed[0], dict(listed[1], gpu_memory_utilization=0.4)]
    assert not vl.layout(nodes(1), vl.servers(one, role_defaults()))["ok"]


def test_ray_servers_must_fit_what_ray_keeps_and_the_message_gives_a_layout_that_fits():
    listed = [{"name": "chat", "tensor_parallel_size": 2, "pipeline_parallel_size": 2},
              {"name": "draft", "tensor_parallel_size": 2, "pipeline_parallel_size": 1, "port": 8001},
              {"name": "embed", "distributed_executor_backend": "mp", "tensor_parallel_size": 2, "port": 8002}]
    result = vl.layout(nodes(2, 2, 2), vl.servers(listed, role_defaults()))
    assert not result["ok"]
    assert result["errors"] == [
        "The Ray servers need 4 (chat) + 2 (draft) = 6 GPUs, but Ray has 4 (h0: 2, h1: 2, h2: 0; the GPUs of "
        "single-node servers are not Ray's). Fix: lower their TP x PP; a layout that fits: chat 4, draft 0 GPU(s)."]
    listed[1]["tensor_parallel_size"] = 0
    result = vl.layout(nodes(2, 2, 2), vl.servers(listed, role_defaults()))
    assert result["errors"] == [
        "Servers draft share the Ray cluster with other Ray servers but leave tensor_parallel_size or "
        "pipeline_parallel_size to the plan, which would give each all of Ray's 4 GPUs. Fix: set both for each Ray "
        "server."]


@pytest.mark.parametrize("listed, needle", [
    ([{"name": "a"}, {"name": "a", "port": 8001}], "Two servers are named a"),
    ([{"name": "a"}, {"name": "b", "distributed_executor_backend": "uni", "node": "h0"}],
     "Servers a and b all listen on port 8000 of h0"),
    ([{"name": "a", "node": "h1"}], "Server a runs on vLLM's Ray executor, whose server (the Ray driver) runs on"),
    ([{"name": "a", "distributed_executor_backend": "mp", "node": "nowhere"}], "node nowhere is not a Ray host"),
    ([{"name": "a", "distributed_executor_backend": "mp", "tensor_parallel_size": 4}],
     "a layout that fits gives a tensor_parallel_size x pipeline_parallel_size <= 2"),
])
def test_refusals_name_the_server_and_the_fix(listed, needle):
    result = vl.layout(nodes(2, 2), vl.servers(listed, role_defaults()))
    assert not result["ok"]
    assert any(needle in error for error in result["errors"]), result["errors"]


def test_one_head_exactly():
    result = vl.layout([{"name": "a", "gpus": 1}], vl.servers([], role_defaults()))
    assert result["errors"][0].startswith("The cluster must have exactly one Ray head, found 0 (none).")


def test_models_are_downloaded_once_each():
    listed = [{"name": "a", "model_repo_id": "org/chat", "model_path": "/mnt/models/chat"},
              {"name": "b", "model_repo_id": "org/chat", "model_path": "/mnt/models/chat", "port": 8001},
              {"name": "c", "model_repo_id": "org/coder", "model_revision": "abc", "model_path": "/mnt/models/coder/"},
              {"name": "d", "model_path": "/mnt/models/local"}]
    assert vl.models(vl.servers(listed, role_defaults())) == [
        {"repo_id": "org/chat", "revision": "main", "name": "chat"},
        {"repo_id": "org/coder", "revision": "abc", "name": "coder"}]


def test_a_non_mapping_entry_is_refused():
    with pytest.raises(ValueError, match=r"vllm_server_instances\[1\] is 'x', not a mapping"):
        vl.servers([{"name": "a"}, "x"], role_defaults())


def test_problems_name_the_server_only_where_there_are_several():
    one = vl.layout(nodes(1), vl.servers([], role_defaults()))
    assert vl.problems(one, {"vllm": {"errors": ["TP does not divide the heads."]}}) == ["TP does not divide the heads."]
    two = vl.layout(nodes(2), vl.servers([{"name": "a", "tensor_parallel_size": 1},
                                          {"name": "b", "port": 8001, "tensor_parallel_size": 3}], role_defaults()))
    assert vl.problems(two, {"a": {"errors": ["bad"]}, "b": {"errors": []}}) == two["errors"] + ["server a: bad"]
    assert two["errors"][0].startswith("Server b (backend planned, 3 GPU(s) on one node) fits on no node")


def test_the_lab_shape_gives_the_single_node_server_its_gpus():
    listed = [{"name": "chat", "pipeline_parallel_size": 2, "tensor_parallel_size": 1, "model_path": "/m/chat"},
              {"name": "coder", "port": 8001, "distributed_executor_backend": "uni", "model_path": "/m/coder/"}]
    chat, coder = vl.layout(nodes(1, 1, 1), vl.servers(listed, role_defaults(environment={"K": 1})))["servers"]
    assert coder["environment"] == {"K": 1, "CUDA_VISIBLE_DEVICES": "0"} and chat["environment"] == {"K": 1}
    assert coder["nodes"] == [{"name": "h2", "gpus": 1, "is_head": True}] and chat["nodes"] == []
    assert (chat["served"], coder["served"]) == ("chat", "coder")
