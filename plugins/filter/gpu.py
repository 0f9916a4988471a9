# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter gpu_readiness: whether a host's GPUs are ready for CUDA work (NVSwitch fabric, MIG, ECC,
persistence mode), from llmops.ray_vllm.gpu_facts. The logic lives in module_utils/_gpu_readiness.py
(unit-tested); documentation in gpu_readiness.yml next to this file."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import _as_filter
from ansible_collections.llmops.ray_vllm.plugins.module_utils._gpu_readiness import gpu_readiness


class FilterModule(object):
    """llmops.ray_vllm GPU filters."""

    def filters(self):
        return {"gpu_readiness": _as_filter("gpu_readiness", gpu_readiness)}
