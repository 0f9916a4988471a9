# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters about exact pip pins. The logic lives in module_utils/_pins.py (unit-tested);
documentation for each filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._pins import inexact_pins, normalize_name, pin_drift, pin_map


class FilterModule(object):
    """llmops.ray_vllm pin filters."""

    def filters(self):
        return {
            "inexact_pins": inexact_pins,
            "pin_map": _as_filter("pin_map", pin_map),
            "pin_drift": _as_filter("pin_drift", pin_drift),
            "pin_name": normalize_name,
        }
