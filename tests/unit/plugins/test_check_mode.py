# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""not_there_yet: the failures check mode cannot avoid on a host never deployed (messages as captured from
`site.yml --check` on fresh lab hosts: apt without package lists, systemd_service before the unit exists, copy
into a directory not created yet)."""

from __future__ import annotations

import pytest

from ansible_collections.llmops.ray_vllm.plugins.test.check_mode import TestModule as CheckModeTests

not_there_yet = CheckModeTests().tests()["not_there_yet"]


@pytest.mark.parametrize("msg", [
    "No package matching 'nftables' is available",
    "No package matching 'rpcbind' is available",
    "Could not find the requested service llmops-firewall.service: host",
    "Could not find the requested service rpcbind: host",
    "No package nfs-ganesha available.",
    "Destination directory /var/lib/llmops-lab/monitoring does not exist",
])
def test_only_in_check_mode(msg):
    result = {"failed": True, "changed": False, "msg": msg}
    assert not_there_yet(result, True)
    assert not not_there_yet(result, False)


@pytest.mark.parametrize("result", [
    {"failed": False, "msg": "No package matching 'x' is available"},
    {"failed": True, "msg": "E: Unable to lock the administration directory"},
    {"failed": True, "msg": "Unable to start service nfs-ganesha: Job failed"},
    {"failed": True},
    "not a result",
])
def test_other_results_are_real(result):
    assert not not_there_yet(result, True)
