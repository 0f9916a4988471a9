# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ProgressLines: when the progress lines of a wait on the controller are printed, and where."""

from __future__ import annotations

import time

from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import ProgressLines


class PlayContext(object):
    remote_addr = "10.213.1.11"


def test_a_line_every_interval_on_standard_error(capsys):
    seen = []
    progress = ProgressLines({"inventory_hostname": "head"}, PlayContext(), 0.05)
    progress.tick(lambda seconds: seen.append(seconds) or "too early")
    time.sleep(0.06)
    progress.tick(lambda seconds: seen.append(seconds) or "downloading: 1.0 MB / 8.2 MB")
    progress.tick(lambda seconds: seen.append(seconds) or "too early again")
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "head: downloading: 1.0 MB / 8.2 MB\n"
    assert len(seen) == 1 and 0.05 <= seen[0] < 1 and progress.elapsed() >= seen[0]


def test_interval_zero_prints_none_and_the_address_stands_for_a_host_without_name(capsys):
    progress = ProgressLines({}, PlayContext(), 0)
    time.sleep(0.01)
    progress.tick(lambda seconds: "never")
    assert capsys.readouterr().err == ""
    progress = ProgressLines({}, PlayContext(), 0.001)
    time.sleep(0.01)
    progress.tick(lambda seconds: "a line")
    assert capsys.readouterr().err == "10.213.1.11: a line\n"
