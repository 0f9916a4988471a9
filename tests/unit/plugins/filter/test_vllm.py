# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vLLM filters, called directly and through ansible-playbook the way a role calls them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.filter import vllm as vf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "hf_config")


def test_filter_names():
    assert sorted(vf.FilterModule().filters()) == [
        "systemd_exec_args", "vllm_cli_args", "vllm_declared_nodes", "vllm_model_facts", "vllm_port_collisions",
        "vllm_server_layout", "vllm_server_plan", "vllm_server_problems", "vllm_server_status"]


def test_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match="vllm_cli_args: refusing"):
        vf.vllm_cli_args({"api_key": "x"})
    with pytest.raises(AnsibleFilterError, match="systemd_exec_args"):
        vf.systemd_exec_args_filter(["python"])
    with pytest.raises(AnsibleFilterError, match="vllm_model_facts"):
        vf.vllm_model_facts([1])
    assert vf.vllm_cli_args({"middleware": ["a", "b"]}, append_flags=[]) == ["--middleware", "a", "b"]


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    model_config: "{{ lookup('ansible.builtin.file', fixtures ~ '/Meta-Llama-3-8B/config.json') | from_json }}"
    ray_nodes:
      - {name: head, gpus: 1, is_head: true}
      - {name: worker1, gpus: 1, is_head: false}
    options:
      vllm_server_model_path: /mnt/models/llama
      vllm_server_served_model_name: llama3
      vllm_server_host: 0.0.0.0
      vllm_server_port: 8000
      vllm_server_tensor_parallel_size: 0
      vllm_server_pipeline_parallel_size: 0
      vllm_server_distributed_executor_backend: ""
      vllm_server_gpu_memory_utilization: 0.9
      vllm_server_max_model_len: 8k
      vllm_server_dtype: auto
      vllm_server_chat_template: /etc/vllm/chat template.jinja
      vllm_server_extra_args: {enforce_eager: true}
      vllm_server_ray_port: 6379
      vllm_server_ray_dashboard_port: 8265
  tasks:
    - name: Plan
      ansible.builtin.set_fact:
        plan: "{{ ray_nodes | llmops.ray_vllm.vllm_server_plan(model_config, options) }}"
    - name: Assert the plan
      ansible.builtin.assert:
        that: plan.ok
        fail_msg: "{{ plan.errors | join(' | ') }}"
    - name: Render ExecStart
      ansible.builtin.set_fact:
        exec_start: >-
          {{ (['/opt/vllm_env/bin/python', '-m', 'vllm.entrypoints.openai.api_server'] + plan.argv)
             | llmops.ray_vllm.systemd_exec_args }}
    - name: Bad plan
      ansible.builtin.set_fact:
        bad: >-
          {{ ray_nodes | llmops.ray_vllm.vllm_server_plan(model_config,
               options | combine({'vllm_server_tensor_parallel_size': 3})) }}
    - name: Show
      ansible.builtin.debug:
        msg: "{{ {'plan': plan, 'exec_start': exec_start, 'bad': bad} | to_json }}"
"""


def test_filters_through_ansible_playbook(tmp_path):
    """Real ansible-playbook on localhost: the filters load by FQCN and compose in a task."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook),
           "-e", "fixtures=%s" % FIXTURES]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = json.loads(run.stdout)
    msg = json.loads(out["plays"][0]["tasks"][-1]["hosts"]["localhost"]["msg"])
    plan = msg["plan"]
    assert (plan["tensor_parallel_size"], plan["pipeline_parallel_size"],
            plan["distributed_executor_backend"]) == (1, 2, "ray")
    assert msg["exec_start"] == (
        "/opt/vllm_env/bin/python -m vllm.entrypoints.openai.api_server --model /mnt/models/llama "
        "--host 0.0.0.0 --port 8000 --dtype auto --chat-template \"/etc/vllm/chat template.jinja\" "
        "--tensor-parallel-size 1 --pipeline-parallel-size 2 --distributed-executor-backend ray "
        "--gpu-memory-utilization 0.9 --max-model-len 8000 --served-model-name llama3 --enforce-eager")
    assert not msg["bad"]["ok"]
    assert any("Total number of attention heads (32) must be divisible by tensor parallel size (3)"
               in e for e in msg["bad"]["errors"])
