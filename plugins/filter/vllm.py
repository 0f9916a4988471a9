# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the vLLM server: plan TP/PP from cluster facts, render vLLM's argv and ExecStart.

The logic lives in module_utils/_vllm_plan.py (pure functions, unit-tested);
these wrappers only turn its ValueError into AnsibleFilterError. Documentation
for each filter is in the YAML file of the same name next to this one.

Why filters and not a module: the planner needs no host. Its inputs (Ray
node facts, the model's config.json, the user's variables) are already on the
controller, so a filter answers instantly, in check mode too, and its result
can feed an assert and a template in the same play.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_plan import (
    APPEND_FLAGS,
    cli_args,
    model_facts,
    plan,
    systemd_exec_args,
)


def vllm_plan(nodes, model, tensor_parallel_size=None, pipeline_parallel_size=None,
              distributed_executor_backend=None, max_model_len=None,
              gpu_memory_utilization=None, served_model_name=None, api_port=None,
              ray_ports=None):
    """Plan TP, PP and executor backend; errors come back as data (see plan())."""
    try:
        return plan(nodes, model, tensor_parallel_size=tensor_parallel_size,
                    pipeline_parallel_size=pipeline_parallel_size,
                    distributed_executor_backend=distributed_executor_backend,
                    max_model_len=max_model_len,
                    gpu_memory_utilization=gpu_memory_utilization,
                    served_model_name=served_model_name, api_port=api_port,
                    ray_ports=ray_ports)
    except ValueError as exc:
        raise AnsibleFilterError("vllm_plan: %s" % exc)


def vllm_model_facts(config):
    """Normalise a model's config.json into the planner's model facts."""
    try:
        return model_facts(config)
    except ValueError as exc:
        raise AnsibleFilterError("vllm_model_facts: %s" % exc)


def vllm_cli_args(flags, append_flags=None):
    """Dict of vLLM options -> argv list."""
    try:
        return cli_args(flags, APPEND_FLAGS if append_flags is None else append_flags)
    except ValueError as exc:
        raise AnsibleFilterError("vllm_cli_args: %s" % exc)


def systemd_exec_args_filter(argv):
    """argv list -> value of ExecStart= quoted by systemd's rules."""
    try:
        return systemd_exec_args(argv)
    except ValueError as exc:
        raise AnsibleFilterError("systemd_exec_args: %s" % exc)


class FilterModule(object):
    """llmops.ray_vllm vLLM filters."""

    def filters(self):
        return {
            "vllm_plan": vllm_plan,
            "vllm_model_facts": vllm_model_facts,
            "vllm_cli_args": vllm_cli_args,
            "systemd_exec_args": systemd_exec_args_filter,
        }
