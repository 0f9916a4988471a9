# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ray node's systemd unit: rendering, comparison, systemctl output (captured on a lab host)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import parse_systemctl_show
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import (
    build_environment,
    build_start_argv,
    node_rows,
    node_unit,
    parse_cluster,
    render_unit,
    systemd_env_assignment,
    unit_differences,
    unit_is_running,
    unit_name_problem,
    unit_read_current,
    unit_sections,
    vllm_worker_ranks,
)

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ray", "2.60.0", "systemd")
RAY = "/opt/vllm_env/bin/ray"


def params(**over):
    p = dict(role="worker", node_ip="10.0.0.12", head_address="10.0.0.11", port=6379, num_gpus=1,
             temp_dir="/tmp/ray", service_user="vllm", service_group=None, mounts=["/mnt/models"])
    p.update(over)
    return p


def unit(**over):
    p = params(**over)
    env = build_environment({"GLOO_SOCKET_IFNAME": "eth0"}, None, "/etc/ray/auth_token")
    return render_unit(build_start_argv(RAY, p, block=True), p, env)


def test_unit_runs_ray_start_block_as_the_user_after_network_and_mounts():
    s = unit_sections(unit())
    assert "User=vllm" in s["Service"] and "Group=vllm" in s["Service"]
    assert ("ExecStart=%s start --node-ip-address=10.0.0.12 --address=10.0.0.11:6379 --num-gpus=1 "
            "--temp-dir=/tmp/ray --disable-usage-stats --block" % RAY) in s["Service"]
    assert "Restart=on-failure" in s["Service"]
    assert "After=network-online.target remote-fs.target" in s["Unit"]
    assert "RequiresMountsFor=/mnt/models" in s["Unit"]
    assert "StartLimitIntervalSec=0" in s["Unit"]
    assert s["Install"] == ["WantedBy=multi-user.target"]
    # the token's path only, never a token
    assert "Environment=RAY_AUTH_TOKEN_PATH=/etc/ray/auth_token" in s["Service"]
    assert "Environment=RAY_AUTH_MODE=token" in s["Service"]
    assert not any("RAY_AUTH_TOKEN=" in line for line in s["Service"])


def test_unit_without_mounts_and_with_a_group():
    s = unit_sections(unit(mounts=[], service_group="ray", role="head"))
    assert not any(line.startswith("RequiresMountsFor") for line in s["Unit"])
    assert "Group=ray" in s["Service"] and "Description=Ray head node 10.0.0.12" in s["Unit"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit(tmp_path):
    # systemd's own parser on the rendered text (user root: the test machine has no user vllm)
    path = tmp_path / "ray.service"
    path.write_text(unit(service_user="root", mounts=[]).replace(RAY, "/bin/true"))
    out = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, check=False)
    assert "ray.service" not in (out.stderr.replace(str(path), "")), out.stderr


@pytest.mark.parametrize("name,value,line", [
    ("A", "plain-1.2/x:y", "A=plain-1.2/x:y"),
    ("A", "", "A="),
    ("A", "two words", '"A=two words"'),
    ("A", 'say "hi" \\ 50%', '"A=say \\"hi\\" \\\\ 50%%"'),
    ("A", "$HOME", '"A=$HOME"'),
])
def test_environment_assignment_quoting(name, value, line):
    assert systemd_env_assignment(name, value) == line


@pytest.mark.parametrize("name,value", [("1A", "x"), ("A-B", "x"), ("A", "x\ny")])
def test_environment_assignment_refuses(name, value):
    with pytest.raises(ValueError):
        systemd_env_assignment(name, value)


def test_unit_names():
    assert unit_name_problem("ray") is None and unit_name_problem("ray-head_2") is None
    for bad in ("", "ray.service", "../x", "ray head", "-ray"):
        assert "service_name" in unit_name_problem(bad)


def test_differences_split_restart_and_reload_sections():
    old = unit()
    assert unit_differences(None, old) == []
    assert unit_differences(old, old) == []
    # a comment or blank line is no difference
    assert unit_differences("# x\n\n" + old, old) == []
    new_mount = unit(mounts=["/srv/models"])
    diffs = unit_differences(old, new_mount)
    assert diffs == [{"setting": "unit [Unit]", "wanted": ["RequiresMountsFor=/srv/models"],
                      "running": ["RequiresMountsFor=/mnt/models"], "restart": False}]
    diffs = unit_differences(old, unit(num_gpus=2))
    assert [d["setting"] for d in diffs] == ["unit [Service]"] and diffs[0]["restart"]
    assert "--num-gpus=2" in diffs[0]["wanted"][0] and "--num-gpus=1" in diffs[0]["running"][0]


def test_systemctl_show_captured_on_a_lab_host():
    for name, running in (("show.ray.active", True), ("show.ray.auto-restart", True),
                          ("show.ray.inactive", False), ("show.ray.missing", False)):
        with open(os.path.join(FIX, name)) as f:
            props = parse_systemctl_show(f.read())
        assert unit_is_running(props) is running, name
    with open(os.path.join(FIX, "show.ray.active")) as f:
        props = parse_systemctl_show(f.read())
    assert props["UnitFileState"] == "enabled" and int(props["MainPID"]) > 0


def test_vllm_ranks_per_node_from_the_actors_captured_during_pp3():
    base = os.path.join(FIX, "..")
    with open(os.path.join(base, "api_v0_actors.vllm_pp3.json")) as f:
        actors = json.load(f)
    with open(os.path.join(base, "api_v0_nodes.vllm_pp3.json")) as f:
        nodes = json.load(f)
    facts = parse_cluster(nodes, None, actors_payload=actors)
    by_ip = dict((n["ip"], n["vllm_ranks"]) for n in facts["nodes"] if n["alive"])
    assert sorted(by_ip.values()) == [["PP0"], ["PP1"], ["PP2"]]
    assert by_ip[facts["head_ip"]] == ["PP0"]
    # without the actors every node has none
    assert all(n["vllm_ranks"] == [] for n in parse_cluster(nodes, None)["nodes"])
    # names of other actors, dead workers and the suffix forms
    payload = [{"name": "vllm_Worker_ab12_TP1_PP0", "state": "ALIVE", "node_id": "n1"},
               {"name": "vllm_Worker_ab12", "state": "ALIVE", "node_id": "n2"},
               {"name": "vllm_Worker_ab12_PP1", "state": "DEAD", "node_id": "n2"},
               {"name": "some_actor", "state": "ALIVE", "node_id": "n1"}]
    assert vllm_worker_ranks(payload) == {"n1": ["TP1 PP0"], "n2": ["worker"]}


def test_status_rows_of_the_nodes_captured_during_pp3_and_a_dead_one():
    base = os.path.join(FIX, "..")
    with open(os.path.join(base, "api_v0_actors.vllm_pp3.json")) as f:
        actors = json.load(f)
    with open(os.path.join(base, "api_v0_nodes.vllm_pp3.json")) as f:
        nodes = parse_cluster(json.load(f), None, actors_payload=actors)["nodes"]
    names = {"10.213.1.11": "head", "10.213.1.12": "worker1", "10.213.1.13": "worker2", "10.213.1.14": "worker3"}
    rows = node_rows(nodes, names, [], ["10.213.1.14"])
    assert rows == [
        "  head       10.213.1.11     ALIVE GPU 1  (head)  vLLM PP0",
        "  worker1    10.213.1.12     ALIVE GPU 1  vLLM PP2",
        "  worker2    10.213.1.13     ALIVE GPU 1  vLLM PP1",
        "  worker3    10.213.1.14     MISSING (not in the Ray cluster)",
    ]
    with open(os.path.join(base, "api_v0_nodes.node_dead.json")) as f:
        dead = parse_cluster(json.load(f), None)["nodes"]
    # a dead node is shown only when it is lost (not replaced by an alive node of its IP); unknown IPs by Ray's hostname
    assert len(node_rows(dead, {}, [], [])) == 1
    lost_rows = node_rows(dead, {"10.214.0.11": "head"}, [dead[1]], [])
    assert lost_rows[0].startswith("  head       10.214.0.11     ALIVE GPU ")
    assert lost_rows[1].split()[1:3] == ["10.214.0.12", "DEAD"]


# ---------------------------------------------------------------- node_unit, unit_read_current (ray_node's action)
# The options role ray_cluster gives worker1 of the lab (inventories/lab/group_vars: the pinned ports, one CPU, one
# GPU, the object store cap of extra_args, the token file), as the task's templating hands them to the action.
LAB_WORKER = dict(role="worker", node_ip="10.213.1.12", head_address="10.213.1.11", port=6379, dashboard_port=8265,
                  ray_executable=RAY, auth_token_file="/etc/ray/auth_token", num_cpus="1", num_gpus=1, resources={},
                  ray_client_server_port=10001, object_manager_port=8076, node_manager_port=8077,
                  dashboard_agent_listen_port=52365, dashboard_agent_grpc_port=8078, runtime_env_agent_port=8079,
                  metrics_export_port=8080, min_worker_port=10002, max_worker_port=10999, temp_dir="/tmp/ray",
                  environment={}, extra_args=["--object-store-memory=104857600"], restart_on_change=False,
                  service_name="ray", service_user="vllm", service_group="vllm", mounts=["/mnt/models"])


def validated(raw):
    """The options as ray_node's action (and AnsibleModule) check them: types converted, defaults added."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (
        MUTUALLY_EXCLUSIVE, NODE_ARGUMENT_SPEC, NODE_REQUIRED_IF)
    result = ArgumentSpecValidator(NODE_ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                   required_if=NODE_REQUIRED_IF).validate(raw)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def captured_unit():
    with open(os.path.join(FIX, "ray.service.worker")) as f:
        return f.read()


def sha1(text):
    import hashlib
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def test_node_unit_renders_the_unit_ray_node_wrote_on_the_lab():
    assert node_unit(validated(LAB_WORKER)) == captured_unit()


def test_a_read_of_that_unit_running_makes_the_module_run_unneeded():
    read = {"checksum": sha1(captured_unit()), "running": True}
    assert unit_read_current(validated(dict(LAB_WORKER, unit_read=read)), read)


@pytest.mark.parametrize("change, read", [
    ({}, {"checksum": sha1(captured_unit() + "# edited by hand\n"), "running": True}),  # a hand edit
    ({}, {"checksum": "a2377cf9a518a25738535f121e24d9aa9361cd7b", "running": False}),  # stopped or disabled
    ({}, {"checksum": None, "running": False}),  # no unit yet
    ({}, None),  # no read
    ({"num_gpus": 0}, {"checksum": "a2377cf9a518a25738535f121e24d9aa9361cd7b", "running": True}),  # a new layout
    ({"state": "stopped"}, {"checksum": "a2377cf9a518a25738535f121e24d9aa9361cd7b", "running": True}),
    ({"service_name": None}, {"checksum": "a2377cf9a518a25738535f121e24d9aa9361cd7b", "running": True}),
])
def test_anything_else_is_the_modules_to_decide(change, read):
    assert not unit_read_current(validated(dict(LAB_WORKER, **change)), read)
