# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pin filters as playbooks call them, including through Ansible's templating."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.filter.pins import FilterModule

FILTERS = FilterModule().filters()
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_names():
    assert sorted(FILTERS) == ["inexact_pins", "pin_drift", "pin_map", "pin_name"]
    for name in FILTERS:
        assert os.path.exists(os.path.join(FILTER_DIR, name + ".yml")), name


def test_errors_name_the_filter():
    with pytest.raises(AnsibleFilterError, match="^pin_map: "):
        FILTERS["pin_map"](["ray"])
    with pytest.raises(AnsibleFilterError, match="^pin_drift: "):
        FILTERS["pin_drift"]({"a": "1"}, {"a": "x y"})


def test_chain():
    wanted = FILTERS["pin_map"](["ray[default]==2.60.0", "vllm==0.33.0"])
    assert FILTERS["pin_drift"](wanted, {"ray": "2.60.0"}, fmt="{name} {have} -> {want}") == ["vllm missing -> 0.33.0"]
    assert FILTERS["inexact_pins"](["ray[default]==2.60.0", "vllm"]) == ["vllm"]


def test_pin_name_keys_like_pin_map():
    """python_venv normalises python_venv_remove_packages with it; the venv's read is keyed like pin_map's."""
    assert [FILTERS["pin_name"](n) for n in ["TorchVision", "torch_audio", "Ray.Default--x"]] == [
        "torchvision", "torch-audio", "ray-default-x"]
    assert list(FILTERS["pin_map"](["Torch_Codec==0.1"])) == [FILTERS["pin_name"]("Torch_Codec")]
