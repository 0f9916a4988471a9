# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test ``llmops.ray_vllm.package_unknown`` (module_utils/_check_mode.py). Documentation in
package_unknown.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._check_mode import package_unknown, unit_unknown


class TestModule(object):
    """llmops.ray_vllm check-mode tests."""

    def tests(self):
        return {"package_unknown": package_unknown, "unit_unknown": unit_unknown}
