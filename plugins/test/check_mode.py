# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``llmops.ray_vllm.not_there_yet`` (module_utils/_check_mode.py). Documentation in
not_there_yet.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._check_mode import not_there_yet


class TestModule(object):
    """llmops.ray_vllm check-mode tests."""

    def tests(self):
        return {"not_there_yet": not_there_yet}
