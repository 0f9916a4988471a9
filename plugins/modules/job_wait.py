#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: job_wait
short_description: Wait for a background job, printing a progress line every few seconds
version_added: 0.1.0
description:
  - Waits for a job started by a task with C(async) and C(poll) 0, like M(ansible.builtin.async_status) in an
    C(until) loop, but prints a progress line on standard error every O(progress_interval) seconds (standard
    output stays the stdout callback's), and ends with the job's own result (its C(changed), C(failed),
    C(rc), output), so that the task stands for the step it waited for.
  - The line names O(label) and the time waited; with O(venv) it also counts what the install has put into
    that virtual environment so far (packages, compiled C(.pyc) files), one shell command on the host each time.
  - Polls the job every 1 to 5 seconds (one module call each; less often the longer it runs) and removes its status
    file at the end.
  - This is an action plugin; the job runs on the managed host.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  jid:
    description:
      - The job id, C(ansible_job_id) of the task that started the job.
    type: str
    required: true
  label:
    description:
      - What the job does, the start of each line (for example C(installing into /opt/vllm_env with uv)).
    type: str
    required: true
  progress_interval:
    description:
      - Seconds between two progress lines; V(0) prints none.
    type: int
    default: 30
  venv:
    description:
      - A virtual environment the job installs into; each line then says how many packages (C(*.dist-info))
        and compiled files (C(*.pyc)) are in it.
    type: path
attributes:
  check_mode:
    support: full
    details: Waits for the job as in a real run (a job started in check mode ran in check mode).
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
  - llmops.ray_vllm.controller_action
notes:
  - Used by the role python_venv for the install of the venv's packages.
seealso:
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Install the packages (a background job)
  ansible.builtin.command:
    argv: [/opt/vllm_env/bin/uv, pip, install, --python, /opt/vllm_env/bin/python, vllm==0.11.0]
  async: 7200
  poll: 0
  changed_when: false
  register: install_job

- name: Wait for the install, a progress line every 30 s
  llmops.ray_vllm.job_wait:
    jid: "{{ install_job.ansible_job_id }}"
    label: installing into /opt/vllm_env with uv
    venv: /opt/vllm_env
"""

RETURN = r"""
changed:
  description: The job's C(changed).
  returned: always
  type: bool
  sample: true
waited:
  description: Seconds this task waited for the job.
  returned: always
  type: float
  sample: 171.3
"""
