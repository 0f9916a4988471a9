# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters about the cluster's hosts. The logic lives in module_utils/_hosts.py, _nics.py and _node_state.py (unit-tested);
documentation for each filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._hosts import etc_hosts_block, hosts_by_value, pins_beyond_common
from ansible_collections.llmops.ray_vllm.plugins.module_utils._validate import site_play_groups
from ansible_collections.llmops.ray_vllm.plugins.module_utils._nics import node_ip
from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import (
    account_drift, etc_hosts_drift, files_drift, mount_drift, path_drift, running_units, stat_lines,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ports import head_ports, server_ports
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import node_rows


class FilterModule(object):
    """llmops.ray_vllm cluster filters."""

    def filters(self):
        return {
            "account_drift": account_drift,
            "etc_hosts_block": _as_filter("etc_hosts_block", etc_hosts_block),
            "etc_hosts_drift": etc_hosts_drift,
            "files_drift": files_drift,
            "head_ports": head_ports,
            "hosts_by_value": hosts_by_value,
            "mount_drift": mount_drift,
            "node_ip": node_ip,
            "path_drift": path_drift,
            "pins_beyond_common": pins_beyond_common,
            "play_groups": site_play_groups,
            "ray_node_rows": node_rows,
            "running_units": running_units,
            "server_ports": server_ports,
            "stat_lines": stat_lines,
        }
