# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``llmops.ray_vllm.api_key``: the one rule for vLLM's API key (module_utils/_validate.py),
applied by roles validate and vllm_server. Documentation in api_key.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._validate import api_key_ok


class TestModule(object):
    """llmops.ray_vllm tests."""

    def tests(self):
        return {"api_key": api_key_ok}
