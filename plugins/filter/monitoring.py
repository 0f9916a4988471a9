# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring filters. The logic lives in module_utils/_monitoring.py (unit-tested); documentation for each
filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.module_utils._monitoring import dashboard_metric_names, scrape_targets


def _scrape_targets(*args, **kwargs):
    try:
        return scrape_targets(*args, **kwargs)
    except ValueError as exc:
        raise AnsibleFilterError("scrape_targets: %s" % exc)


class FilterModule(object):
    """llmops.ray_vllm monitoring filters."""

    def filters(self):
        return {
            "dashboard_metric_names": dashboard_metric_names,
            "scrape_targets": _scrape_targets,
        }
