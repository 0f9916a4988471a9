# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode on hosts never deployed (pure; unit-tested).

Check mode does not download package lists, install packages or write units, so on a fresh host
a task that depends on an earlier phase's work fails where a real run would succeed: apt does not
know the package, systemd does not know the unit, copy finds no directory to write into.
not_there_yet() tells such a failure apart from a real one, so the task reports what it would do
(changed) instead of failing.
"""

from __future__ import annotations

import re

_NOT_THERE = re.compile(
    r"No package matching '[^']+' is available"   # apt without package lists
    r"|No package \S+ available"                  # dnf
    r"|Could not find the requested service"      # systemd_service: unit not installed or written yet
    r"|Destination directory \S+ does not exist")  # copy: into a directory an earlier task creates


def not_there_yet(result, check_mode):
    """Whether a module ``result`` failed, in check mode, only because a package or unit that an
    earlier task would install or write does not exist yet. Always False outside check mode."""
    return bool(check_mode and isinstance(result, dict) and result.get("failed")
                and _NOT_THERE.search(str(result.get("msg", ""))))
