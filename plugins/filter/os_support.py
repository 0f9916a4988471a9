# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter os_support: the host's OS and whether the collection supports it (module_utils/_platform.py).
Documentation in os_support.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._platform import os_support


class FilterModule(object):
    """llmops.ray_vllm OS filters."""

    def filters(self):
        return {"os_support": os_support}
