# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of validate's installability check: whether every pinned package has a distribution for each
host's venv Python. The logic lives in module_utils/_installability.py (unit-tested); documentation for each
filter is in the YAML file of the same name next to this one."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._installability import install_checks, installability_problems, source_args


class FilterModule(object):
    """llmops.ray_vllm installability filters."""

    def filters(self):
        return {
            "install_checks": _as_filter("install_checks", install_checks),
            "installability_problems": installability_problems,
            "venv_source_args": _as_filter("venv_source_args", source_args),
        }
