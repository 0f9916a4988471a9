# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring filters. The logic lives in module_utils/_monitoring.py (unit-tested); documentation for each
filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._monitoring import dashboard_metric_names, scrape_targets


class FilterModule(object):
    """llmops.ray_vllm monitoring filters."""

    def filters(self):
        return {
            "dashboard_metric_names": dashboard_metric_names,
            "scrape_targets": _as_filter("scrape_targets", scrape_targets),
        }
