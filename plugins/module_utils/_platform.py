# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operating systems the collection supports and what it needs from each (pure; unit-tested).

One data table, OS_DATA: roles preflight and system_deps check hosts against its keys, system_deps installs
its packages, python_venv's default interpreter is its ``python``, and validate checks that the pins have
a distribution for its ``python_version`` on its ``glibc``. tests/unit/plugins/module_utils/test_os_data.py
checks every package name against a package list of that release (tests/unit/fixtures/os_packages)."""

from __future__ import annotations

# The build tools (Triton and vLLM compile C extensions at run time, with Python.h), the NFS client of the
# shared model store, and lspci to diagnose GPUs the driver does not see.
_DEBIAN_TOOLS = ["gcc", "g++", "make", "nfs-common", "curl", "ca-certificates", "tar", "pciutils"]
# EL9 (BaseOS + AppStream; no EPEL or CRB needed). `curl` is left out on purpose: EL9 ships curl-minimal,
# which provides /usr/bin/curl and conflicts with the `curl` package (dnf fails without --allowerasing).
_EL9_TOOLS = ["gcc", "gcc-c++", "make", "nfs-utils", "ca-certificates", "tar", "pciutils"]
# The OS's own python3, where the pinned vLLM and Ray support it (vLLM 0.33 needs Python >= 3.11).
_DEBIAN_PYTHON3 = ["python3-dev", "python3-venv", "python3-pip"]
# A newer Python from the distribution where python3 is too old: Ubuntu 22.04's is 3.10 (universe has 3.11),
# EL9's is 3.9 (AppStream has 3.11; `python3.11 -m venv` needs no extra package there).
_EL9_PYTHON311 = ["python3.11", "python3.11-devel", "python3.11-pip"]

# "<distribution> <version>" as os_label() writes it -> the interpreter python_venv uses by default, its
# version (major.minor), the release's glibc (the manylinux tags its wheels may carry), and the packages.
OS_DATA = {
    "Debian 12": {"python": "python3", "python_version": "3.11", "glibc": "2.36",
                  "packages": _DEBIAN_PYTHON3 + _DEBIAN_TOOLS},
    "Debian 13": {"python": "python3", "python_version": "3.13", "glibc": "2.41",
                  "packages": _DEBIAN_PYTHON3 + _DEBIAN_TOOLS},
    "Ubuntu 22.04": {"python": "python3.11", "python_version": "3.11", "glibc": "2.35",
                     "packages": ["python3.11", "python3.11-dev", "python3.11-venv"] + _DEBIAN_TOOLS},
    "Ubuntu 24.04": {"python": "python3", "python_version": "3.12", "glibc": "2.39",
                     "packages": _DEBIAN_PYTHON3 + _DEBIAN_TOOLS},
    "Rocky 9": {"python": "python3.11", "python_version": "3.11", "glibc": "2.34",
                "packages": _EL9_PYTHON311 + _EL9_TOOLS},
    "RedHat 9": {"python": "python3.11", "python_version": "3.11", "glibc": "2.34",
                 "packages": _EL9_PYTHON311 + _EL9_TOOLS},
}
SUPPORTED_OS = tuple(OS_DATA)


def os_label(facts):
    """``"<distribution> <version>"`` from ansible_facts: Ubuntu with its full version (22.04), the
    others with their major version (Debian 12, Rocky 9)."""
    distribution = facts.get("distribution", "")
    version = facts.get("distribution_version" if distribution == "Ubuntu" else "distribution_major_version", "")
    return "%s %s" % (distribution, version)


def os_support(facts):
    """``{label, supported, supported_os}`` for a host's ansible_facts, and OS_DATA's row for it
    (``python``, ``python_version``, ``glibc``, ``packages``; empty values for an unsupported OS)."""
    label = os_label(facts)
    row = OS_DATA.get(label, {"python": "", "python_version": "", "glibc": "", "packages": []})
    return dict(row, label=label, supported=label in OS_DATA, supported_os=list(SUPPORTED_OS),
                packages=list(row["packages"]))
