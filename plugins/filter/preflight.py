# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the preflight report: the interface of an IP, and report lines from preflight_probe's
results. The logic lives in module_utils/_nics.py and _preflight_report.py (unit-tested);
documentation for each filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._nics import nics_with_ip
from ansible_collections.llmops.ray_vllm.plugins.module_utils._preflight_report import (
    low_disk,
    misresolved_names,
    probe_summary,
    unreachable_peers,
)


class FilterModule(object):
    """llmops.ray_vllm preflight filters."""

    def filters(self):
        return {
            "low_disk": low_disk,
            "misresolved_names": misresolved_names,
            "nics_with_ip": nics_with_ip,
            "probe_summary": probe_summary,
            "unreachable_peers": unreachable_peers,
        }
