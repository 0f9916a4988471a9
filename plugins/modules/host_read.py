#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_read
short_description: Run a read-only command on the host, without Python there
version_added: 0.1.0
description:
  - Runs the command O(argv) on the managed host through the connection's shell, as the play's user (with
    C(become) where the play has it), and returns its exit status and output like M(ansible.builtin.command).
  - No Python runs on the host for it, so it costs a fraction of a module (on the lab, about 10 ms of CPU instead
    of about 0.2 s). The roles use it for the reads that run on every run (role host_firewall's detection, role
    python_venv's read of the installed versions).
  - It never reports a change, and it runs in check mode too. Give it only commands that change nothing.
  - Fails when the command exits with a status other than 0 (use C(failed_when) to accept one).
  - This is an action plugin; the command runs on the managed host.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  argv:
    description:
      - The command and its arguments, each quoted for the host's shell by the plugin.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
  - llmops.ray_vllm.controller_action
attributes:
  check_mode:
    support: full
    details: Runs in check mode as in a real run; it must only read.
notes:
  - Used by the roles host_firewall and python_venv.
  - Over a connection that can pipe data (ssh, local) the command runs without a terminal, so standard error stays
    apart from the output; over others a terminal may join them.
seealso:
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Read which nftables unit state this host has
  llmops.ray_vllm.host_read:
    argv: [systemctl, is-active, nftables.service]
  register: nft_state
  failed_when: false
"""

RETURN = r"""
rc:
  description: The exit status of the command.
  returned: always
  type: int
  sample: 0
stdout:
  description: Its standard output, without the trailing newline.
  returned: always
  type: str
  sample: active
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always
  type: list
  elements: str
  sample: [active]
stderr:
  description: Its standard error, without the trailing newline.
  returned: always
  type: str
  sample: ""
stderr_lines:
  description: RV(stderr) split into lines.
  returned: always
  type: list
  elements: str
  sample: []
cmd:
  description: The command as given.
  returned: always
  type: list
  elements: str
  sample: [systemctl, is-active, nftables.service]
"""
