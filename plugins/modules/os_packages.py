#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_packages
short_description: Install OS packages, asking the package database first
version_added: 0.1.0
description:
  - Ensures the OS packages in O(name) are installed, at the cost of one shell command when they
    already are.
  - On the Debian family it lists the installed ones with C(dpkg-query) (no Python runs on the host for
    that) and calls M(ansible.builtin.apt) only with the missing ones, refreshing the package lists first
    when they are older than O(cache_valid_time) or absent (images often ship without lists but with a
    fresh update stamp). The package lists are never refreshed when nothing is missing.
  - On other OS families it calls M(ansible.builtin.package) with every name; in check mode, a failure only
    because the package metadata was never downloaded is reported as the install it would make.
  - Names with a version, a glob or a path are never taken as installed; the package module decides them.
  - Needs the facts C(ansible_facts.os_family) (gathered by the play); without them it behaves as on other
    OS families.
  - This is an action plugin; the package database is read on the managed host.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  name:
    description:
      - The packages that must be installed.
    type: list
    elements: str
    required: true
  cache_valid_time:
    description:
      - On the Debian family, seconds the apt package lists stay valid before an install refreshes them.
    type: int
    default: 3600
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
  - llmops.ray_vllm.controller_action
attributes:
  check_mode:
    support: full
    details: On the Debian family it reports the missing packages as a change without calling apt.
notes:
  - Used by the roles system_deps, host_firewall and model_storage.
seealso:
  - module: ansible.builtin.apt
  - module: ansible.builtin.package
"""

EXAMPLES = r"""
- name: Install the NFS client
  llmops.ray_vllm.os_packages:
    name: [nfs-common]
"""

RETURN = r"""
missing:
  description: The packages that were not installed before this task (Debian family).
  returned: on the Debian family
  type: list
  elements: str
  sample: [nftables]
msg:
  description: What was found or would be done.
  returned: when nothing was missing, and in check mode
  type: str
  sample: "would install: nftables"
"""
