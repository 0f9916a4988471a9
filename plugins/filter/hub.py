# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter hub_config: the model's config.json as the hub answered a GET of it (role validate plans with it
before the first download). The logic lives in module_utils/_hf_model.py (unit-tested); documentation in
hub_config.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._hf_model import hub_config


class FilterModule(object):
    """llmops.ray_vllm model hub filters."""

    def filters(self):
        return {"hub_config": hub_config}
