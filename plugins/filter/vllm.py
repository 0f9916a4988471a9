# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the vLLM server: plan TP/PP from cluster facts, render vLLM's argv and ExecStart.

The logic lives in module_utils/_vllm_plan.py, _vllm_layout.py and _vllm_status.py (pure functions, unit-tested);
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
    declared_nodes,
    model_facts,
    port_collisions,
    server_plan,
    systemd_exec_args,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_layout import problems, server_layout
from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_status import status_table


def _as_filter(name, func):
    """Wrap a pure helper so its ValueError surfaces as AnsibleFilterError named after the filter."""
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("%s: %s" % (name, exc))
    wrapper.__name__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper


def _cli_args(flags, append_flags=None):
    return cli_args(flags, APPEND_FLAGS if append_flags is None else append_flags)


# server_plan() never raises on bad input (errors come back as data); the wrapper only
# guards against programming errors surfacing as tracebacks.
vllm_server_plan = _as_filter("vllm_server_plan", server_plan)
vllm_port_collisions = _as_filter("vllm_port_collisions", port_collisions)
vllm_model_facts = _as_filter("vllm_model_facts", model_facts)
vllm_declared_nodes = _as_filter("vllm_declared_nodes", declared_nodes)
vllm_cli_args = _as_filter("vllm_cli_args", _cli_args)
systemd_exec_args_filter = _as_filter("systemd_exec_args", systemd_exec_args)
vllm_server_status = _as_filter("vllm_server_status", status_table)
vllm_server_layout = _as_filter("vllm_server_layout", server_layout)
vllm_server_problems = _as_filter("vllm_server_problems", problems)


class FilterModule(object):
    """llmops.ray_vllm vLLM filters."""

    def filters(self):
        return {
            "vllm_server_plan": vllm_server_plan,
            "vllm_server_status": vllm_server_status,
            "vllm_server_layout": vllm_server_layout,
            "vllm_server_problems": vllm_server_problems,
            "vllm_port_collisions": vllm_port_collisions,
            "vllm_model_facts": vllm_model_facts,
            "vllm_cli_args": vllm_cli_args,
            "vllm_declared_nodes": vllm_declared_nodes,
            "systemd_exec_args": systemd_exec_args_filter,
        }
