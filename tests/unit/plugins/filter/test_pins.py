# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pin filters as playbooks call them, including through Ansible's templating."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.filter.pins import FilterModule

FILTERS = FilterModule().filters()


def test_names():
    assert sorted(FILTERS) == ["inexact_pins", "pin_drift", "pin_map"]


def test_errors_name_the_filter():
    with pytest.raises(AnsibleFilterError, match="^pin_map: "):
        FILTERS["pin_map"](["ray"])
    with pytest.raises(AnsibleFilterError, match="^pin_drift: "):
        FILTERS["pin_drift"]({"a": "1"}, {"a": "x y"})


def test_chain():
    wanted = FILTERS["pin_map"](["ray[default]==2.60.0", "vllm==0.33.0"])
    assert FILTERS["pin_drift"](wanted, {"ray": "2.60.0"}, fmt="{name} {have} -> {want}") == ["vllm missing -> 0.33.0"]
    assert FILTERS["inexact_pins"](["ray[default]==2.60.0", "vllm"]) == ["vllm"]
