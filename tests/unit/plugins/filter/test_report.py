# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report filters as playbooks call them."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.filter.report import FilterModule

FILTERS = FilterModule().filters()
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_names():
    assert sorted(FILTERS) == ["differing_keys", "duplicate_values", "most_common", "text_table"]
    for name in FILTERS:
        assert os.path.exists(os.path.join(FILTER_DIR, name + ".yml")), name


def test_text_table_error_names_the_filter():
    with pytest.raises(AnsibleFilterError, match="^text_table: "):
        FILTERS["text_table"]({"h": {}})
    assert FILTERS["text_table"]({"h": {}}, ["host", "ray"]) == ["host  ray", "h     -"]
