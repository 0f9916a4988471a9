# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode on hosts never deployed (pure; unit-tested).

Check mode does not download package lists, install packages or start units, so on a fresh host
a task that depends on an earlier phase's work fails where a real run would succeed. These
predicates tell such a failure apart from a real one, so the task reports what it would do.
"""

from __future__ import annotations

import re

# apt: "No package matching 'nftables' is available"; dnf: "No package nftables available." /
# "Failed to install some of the specified packages"
_PACKAGE_UNKNOWN = re.compile(r"No package matching '[^']+' is available|No package \S+ available")


def package_unknown(result):
    """Whether a package module ``result`` failed only because the package manager does not know the
    package (its package lists were never downloaded)."""
    return bool(isinstance(result, dict) and result.get("failed") and _PACKAGE_UNKNOWN.search(str(result.get("msg", ""))))


def unit_unknown(result):
    """Whether a systemd module ``result`` failed only because the unit does not exist (yet): in check
    mode, a unit that an earlier task would write or a package would install."""
    return bool(isinstance(result, dict) and result.get("failed")
                and "Could not find the requested service" in str(result.get("msg", "")))
