# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure Ray helpers, on output captured from real Ray 2.60.0 (see fixtures/ray/2.60.0/README.md)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import (
    build_environment,
    build_start_argv,
    build_stop_argv,
    classify_start_error,
    cluster_address,
    find_node,
    format_missing,
    missing_for_wait,
    node_differences,
    parse_cluster,
    split_address,
    to_camel_case,
)

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ray", "2.60.0")
HEAD, WORKER = "10.214.0.11", "10.214.0.12"


def load(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


def text(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def dashboard(tag):
    return parse_cluster(load("api_v0_nodes.%s.json" % tag), load("api_cluster_status.%s.json" % tag), "2.60.0")


# ------------------------------------------------------------------ parsing


def test_healthy_dashboard_nodes_and_totals():
    facts = dashboard("healthy")
    assert [n["ip"] for n in facts["nodes"]] == [HEAD, WORKER]
    assert facts["nodes"][0]["is_head"] and not facts["nodes"][1]["is_head"]
    assert facts["alive_nodes"] == 2 and facts["dead_nodes"] == 0
    assert facts["head_ip"] == HEAD
    assert facts["totals"]["GPU"] == 4.0 and facts["totals"]["CPU"] == 2.0 and facts["totals"]["accel"] == 3.0
    assert not any(k.startswith("node:") for k in facts["totals"])


def test_dashboard_camel_case_resource_names_are_mapped_back():
    # The dashboard sends "objectStoreMemory"; the node list knows the real name.
    raw = load("api_cluster_status.healthy.json")["data"]["clusterStatus"]["loadMetricsReport"]["usage"]
    assert "objectStoreMemory" in raw and "object_store_memory" not in raw
    facts = dashboard("healthy")
    assert facts["usage"]["object_store_memory"]["total"] == facts["totals"]["object_store_memory"]
    worker = find_node(facts, WORKER)
    assert worker["resources_available"]["object_store_memory"] == worker["resources_total"]["object_store_memory"]
    assert to_camel_case("node:__internal_head__") == "node:InternalHead"


def test_dead_node_is_listed_dead_with_reason_and_left_out_of_totals():
    facts = dashboard("node_dead")
    worker = find_node(facts, WORKER)
    assert worker["alive"] is False and worker["state"] == "DEAD"
    assert "missing too many heartbeats" in worker["state_message"]
    assert worker["resources_available"] is None  # the autoscaler no longer reports it
    assert facts["alive_nodes"] == 1 and facts["dead_nodes"] == 1
    assert facts["totals"]["GPU"] == 2.0 and "accel" not in facts["totals"]


def test_pending_demands_tasks_and_placement_groups():
    facts = parse_cluster(load("api_v0_nodes.healthy.json"), load("api_cluster_status.pending.json"))
    tasks = [d for d in facts["pending_demands"] if d["kind"] == "task"]
    assert {"CPU": 1.0, "GPU": 8.0} in [d["resources"] for d in tasks]
    assert {"CPU": 1.0, "accel": 5.0} in [d["resources"] for d in tasks]
    pg = [d for d in facts["pending_demands"] if d["kind"] == "placement_group"][0]
    assert pg["strategy"] == "STRICT_SPREAD" and pg["bundles"] == [{"resources": {"GPU": 3.0}, "count": 2}]


def test_gcs_kv_json_and_dashboard_json_give_the_same_usage():
    nodes = load("api_v0_nodes.node_dead.json")
    from_kv = parse_cluster(nodes, {"cluster_status": load("debug_autoscaling_status.node_dead.json")})
    from_dash = parse_cluster(nodes, load("api_cluster_status.node_dead.json"))
    assert from_kv["usage"] == from_dash["usage"]
    assert from_kv["nodes"][0]["resources_available"] == from_dash["nodes"][0]["resources_available"]
    pend_kv = parse_cluster(load("api_v0_nodes.healthy.json"), {"cluster_status": load("debug_autoscaling_status.pending.json")})
    assert len(pend_kv["pending_demands"]) == 3


def test_gcs_reader_output_parses_with_temp_dir_and_hostname():
    doc = load("gcs_reader.node_dead.json")
    facts = parse_cluster(doc, doc["cluster_status"], doc["ray_version"], source="gcs")
    head = find_node(facts, HEAD)
    assert head["temp_dir"] == "/tmp/hA-ray-1" and head["hostname"] == "vm"
    assert facts["source"] == "gcs" and facts["ray_version"] == "2.60.0"
    assert find_node(facts, WORKER)["alive"] is False


def test_ray_list_nodes_cli_json_memory_strings_are_not_numbers():
    facts = parse_cluster(load("ray_list_nodes.node_dead.json"))
    assert facts["alive_nodes"] == 1 and facts["dead_nodes"] == 1
    assert facts["totals"] == {"GPU": 2.0, "CPU": 1.0}  # "6.811 GiB" strings dropped
    assert facts["usage"] is None and facts["pending_demands"] is None


def test_dashboard_error_envelope_raises():
    with pytest.raises(ValueError, match="boom"):
        parse_cluster({"result": False, "msg": "boom", "data": {}})


# ------------------------------------------------------------------ argv / env


def params(**kw):
    p = dict(role="head", node_ip="10.0.0.1", port=6379, head_address=None, dashboard_port=8265)
    p.update(kw)
    return p


def test_head_argv_binds_dashboard_to_node_ip_by_default():
    argv = build_start_argv("/v/bin/ray", params(num_gpus=2, resources={"b": 1, "a": 2}, temp_dir="/tmp/r"))
    assert argv[:5] == ["/v/bin/ray", "start", "--node-ip-address=10.0.0.1", "--head", "--port=6379"]
    assert "--dashboard-host=10.0.0.1" in argv and "--dashboard-port=8265" in argv
    assert "--num-gpus=2" in argv and "--temp-dir=/tmp/r" in argv
    assert '--resources={"a":2,"b":1}' in argv
    assert not any(a.startswith("--num-cpus") for a in argv)


def test_head_argv_explicit_dashboard_host_and_disabled_dashboard():
    assert "--dashboard-host=0.0.0.0" in build_start_argv("ray", params(dashboard_host="0.0.0.0"))
    argv = build_start_argv("ray", params(include_dashboard=False))
    assert "--include-dashboard=false" in argv and not any(a.startswith("--dashboard-host") for a in argv)


def test_worker_argv_joins_head_and_has_no_head_flags():
    p = params(role="worker", node_ip="10.0.0.2", head_address="10.0.0.1", min_worker_port=20000,
               max_worker_port=20100, node_manager_port=6380, extra_args=["--labels={}"])
    argv = build_start_argv("ray", p)
    assert "--address=10.0.0.1:6379" in argv and "--head" not in argv
    assert not any(a.startswith("--dashboard") for a in argv)
    assert "--min-worker-port=20000" in argv and "--node-manager-port=6380" in argv
    assert argv[-1] == "--labels={}"


def test_agent_and_metrics_ports_are_pinned_on_every_node():
    ports = dict(dashboard_agent_listen_port=52365, dashboard_agent_grpc_port=8078,
                 runtime_env_agent_port=8079, metrics_export_port=8080)
    flags = ["--dashboard-agent-listen-port=52365", "--dashboard-agent-grpc-port=8078",
             "--runtime-env-agent-port=8079", "--metrics-export-port=8080"]
    for role in ("head", "worker"):
        argv = build_start_argv("ray", params(role=role, head_address="10.0.0.1", **ports))
        assert [a for a in argv if a in flags] == flags
    assert not any(a.startswith("--metrics-export-port") for a in build_start_argv("ray", params()))


def test_addresses():
    assert split_address("h") == ("h", 6379)
    assert split_address("h:7000") == ("h", 7000)
    assert split_address("[fe80::1]:7000") == ("fe80::1", 7000)
    assert cluster_address(params(role="worker", head_address="10.0.0.1:7000")) == "10.0.0.1:7000"
    assert cluster_address(params(port=7001)) == "10.0.0.1:7001"
    with pytest.raises(ValueError):
        split_address("h:x")


def test_stop_argv_and_environment():
    assert build_stop_argv("ray", force=True) == ["ray", "stop", "--force"]
    assert build_environment() == {"RAY_AUTH_MODE": "disabled"}
    assert build_environment({"NCCL_SOCKET_IFNAME": "ens5"}, auth_token="t") == {
        "NCCL_SOCKET_IFNAME": "ens5", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "t"}
    assert build_environment(auth_token_file="/f")["RAY_AUTH_TOKEN_PATH"] == "/f"
    assert build_environment({"RAY_AUTH_MODE": "token"})["RAY_AUTH_MODE"] == "token"


# ------------------------------------------------------------------ differences


def test_node_differences_none_when_matching_running_worker():
    worker = find_node(dashboard("healthy"), WORKER)
    p = params(role="worker", node_ip=WORKER, num_cpus=1, num_gpus=2, resources={"accel": 3})
    assert node_differences(p, worker) == []


def test_node_differences_name_each_setting():
    worker = find_node(load_gcs_facts(), HEAD)
    p = params(role="worker", node_ip=HEAD, num_gpus=4, resources={"accel": 1}, temp_dir="/tmp/other")
    diffs = dict((d["setting"], d) for d in node_differences(p, worker))
    assert diffs["role"]["running"] == "head"
    assert diffs["num_gpus"] == {"setting": "num_gpus", "wanted": 4, "running": 2.0}
    assert diffs["resources.accel"]["running"] is None
    assert diffs["temp_dir"]["running"] == "/tmp/hA-ray-1"


def load_gcs_facts():
    doc = load("gcs_reader.node_dead.json")
    return parse_cluster(doc, doc["cluster_status"], source="gcs")


# ------------------------------------------------------------------ errors

CTX = dict(address="10.214.0.11:6379", node_ip="10.214.0.13", ray_executable="/opt/vllm_env/bin/ray")


def test_version_mismatch_names_both_versions():
    err = classify_start_error(text("errors/start_worker_version_mismatch_2.59.0_vs_2.60.0.stderr"), CTX)
    assert err["kind"] == "version_mismatch"
    assert (err["cluster_ray"], err["local_ray"]) == ("2.60.0", "2.59.0")
    assert "ray==2.60.0" in err["msg"] and "2.59.0" in err["msg"] and "/opt/vllm_env/bin/ray" in err["msg"]


def test_port_in_use_by_non_ray_listener():
    err = classify_start_error(text("errors/start_head_port_in_use.stderr"), CTX)
    assert err["kind"] == "port_in_use" and err["port"] == "6379"
    assert "ss -ltnp" in err["msg"]


def test_head_unreachable():
    err = classify_start_error(text("errors/start_worker_head_unreachable.stderr"), dict(CTX, address="10.214.0.99:6379"))
    assert err["kind"] == "head_unreachable"
    assert "10.214.0.99" in err["msg"] and "firewall" in err["msg"]


@pytest.mark.parametrize("name", ["auth/start_worker_no_token.stderr", "auth/ray_status_no_token.stderr"])
def test_token_refused(name):
    err = classify_start_error(text(name), CTX)
    assert err["kind"] == "auth" and "auth_token_file" in err["msg"]


def test_unknown_error_keeps_the_tail():
    err = classify_start_error("line1\nsomething odd", CTX)
    assert err["kind"] == "unknown" and "something odd" in err["msg"]


# ------------------------------------------------------------------ wait diagnosis


def test_missing_nothing_when_healthy():
    facts = dashboard("healthy")
    assert missing_for_wait(facts, 2, {"GPU": 4}, [HEAD, WORKER]) == {}


def test_missing_names_dead_absent_and_short():
    facts = dashboard("node_dead")
    missing = missing_for_wait(facts, 3, {"GPU": 6, "CPU": 1}, [HEAD, WORKER, "10.214.0.13"])
    assert missing == {
        "nodes": {"wanted": 3, "alive": 1},
        "resources": {"GPU": {"wanted": 6.0, "have": 2.0, "short_by": 4.0}},
        "absent_ips": ["10.214.0.13"],
        "dead_ips": [WORKER],
    }
    msg = format_missing(missing, facts)
    assert "GPU short by 4" in msg and "dead: 10.214.0.12 (Unexpected termination" in msg
    assert "not in the cluster: 10.214.0.13" in msg
