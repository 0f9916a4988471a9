# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight filters are registered under their documented names."""

from __future__ import annotations

import os

from ansible_collections.llmops.ray_vllm.plugins.filter.preflight import FilterModule

FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_every_filter_has_its_docs():
    names = FilterModule().filters()
    assert sorted(names) == ["low_disk", "misresolved_names", "nics_with_ip", "probe_summary", "unreachable_peers"]
    for name in names:
        assert os.path.exists(os.path.join(FILTER_DIR, name + ".yml")), name
