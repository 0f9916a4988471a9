# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""etc_hosts_block: the /etc/hosts lines every Ray host gets; play_groups: the groups a play runs on."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.llmops.ray_vllm.plugins.filter.cluster import FilterModule

block = FilterModule().filters()["etc_hosts_block"]


def test_one_line_per_host_names_deduplicated():
    hosts = [["10.213.1.2", "head.lab", "head", "head", ""], ("10.213.1.3", "worker1")]
    assert block(hosts) == "10.213.1.2 head.lab head\n10.213.1.3 worker1"


@pytest.mark.parametrize("hosts,text", [
    ([["10.0.0", "a"]], "not an IP"),
    ([["", "a"]], "not an IP"),
    (["10.0.0.1 a"], "a list"),
    ([["10.0.0.1", "bad_name"]], "not a valid host name"),
    ([["10.0.0.1"]], "no host name"),
    ([["10.0.0.1", "a"], ["10.0.0.2", "A"]], "two IPs"),
])
def test_refuses(hosts, text):
    with pytest.raises(AnsibleFilterError, match=text):
        block(hosts)


def test_play_groups_keeps_required_adds_present_optional():
    play_groups = FilterModule().filters()["play_groups"]
    groups = {"all": [], "ray_head": ["h"], "ray_workers": [], "monitoring": ["m"]}
    assert play_groups(groups, ["ray_head", "ray_workers", "nfs_server"], ["monitoring", "absent"]) == [
        "ray_head", "ray_workers", "nfs_server", "monitoring"]
    assert play_groups({"ray_head": ["h"]}, ["ray_head"], ["monitoring"]) == ["ray_head"]
    assert play_groups({}, ["ray_head"]) == ["ray_head"]


@pytest.mark.parametrize("run_tags, runs", [
    ([], True), (["all"], True), (["ray"], True), (["preflight"], True), (["vllm", "ray"], True),
    (["tagged"], True), (["ray_cluster"], True), (["untagged"], True),
    (["vllm"], False), (["validate"], False), (["always"], False), (["deps", "venv"], False)])
def test_play_groups_none_when_the_tags_select_nothing_of_the_play(run_tags, runs):
    """The Ray play of site.yml (phases ray, and preflight for its role's preflight-tagged checks)."""
    play_groups = FilterModule().filters()["play_groups"]
    groups = {"ray_head": ["h"], "ray_workers": ["w"]}
    got = play_groups(groups, ["ray_head", "ray_workers"], phases=["ray", "preflight"], run_tags=run_tags)
    assert got == (["ray_head", "ray_workers"] if runs else [])
    assert play_groups(groups, ["ray_head"], run_tags=["vllm"]) == ["ray_head"]
