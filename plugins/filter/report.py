# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for reports across the hosts of a play. The logic lives in module_utils/_report.py
(unit-tested); documentation for each filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._report import (
    differing_keys,
    duplicate_values,
    most_common,
    text_table,
)


class FilterModule(object):
    """llmops.ray_vllm report filters."""

    def filters(self):
        return {
            "differing_keys": differing_keys,
            "duplicate_values": duplicate_values,
            "most_common": most_common,
            "text_table": _as_filter("text_table", text_table),
        }
