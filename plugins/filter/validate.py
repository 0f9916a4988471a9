# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of role validate's problem report. The logic lives in module_utils/_validate.py
(unit-tested); documentation for each filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._validate import (
    argspec_problems,
    nfs_unreachable_problems,
    python_version_problems,
    run_phases,
    venv_python_problems,
)


class FilterModule(object):
    """llmops.ray_vllm validate filters."""

    def filters(self):
        return {
            "argspec_problems": argspec_problems,
            "nfs_unreachable_problems": nfs_unreachable_problems,
            "python_version_problems": python_version_problems,
            "run_phases": run_phases,
            "venv_python_problems": venv_python_problems,
        }
