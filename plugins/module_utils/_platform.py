# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operating systems the collection supports (pure; unit-tested). Roles preflight and
system_deps check hosts against this one list."""

from __future__ import annotations

# "<distribution> <version>" as os_label() writes it from ansible_facts.
SUPPORTED_OS = ("Debian 12", "Ubuntu 22.04", "Ubuntu 24.04", "Rocky 9", "RedHat 9")


def os_label(facts):
    """``"<distribution> <version>"`` from ansible_facts: Ubuntu with its full version (22.04), the
    others with their major version (Debian 12, Rocky 9)."""
    distribution = facts.get("distribution", "")
    version = facts.get("distribution_version" if distribution == "Ubuntu" else "distribution_major_version", "")
    return "%s %s" % (distribution, version)


def os_support(facts):
    """``{label, supported, supported_os}`` for a host's ansible_facts."""
    label = os_label(facts)
    return {"label": label, "supported": label in SUPPORTED_OS, "supported_os": list(SUPPORTED_OS)}
