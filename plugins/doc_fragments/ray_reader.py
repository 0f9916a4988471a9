# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that read a Ray cluster (module_utils._ray_client.READER_ARGUMENT_SPEC)."""

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  head_address:
    description:
      - Address of the head node, C(HOST) or C(HOST:PORT). Without a port, O(port) is used.
    type: str
    required: true
  port:
    description: GCS port of the head.
    type: int
    default: 6379
  dashboard_port:
    description: Port of the head's dashboard.
    type: int
    default: 8265
  source:
    description:
      - Where to read from. C(auto) tries the dashboard, then falls back to the GCS
        when the dashboard does not answer (but not when it refuses the token).
    type: str
    default: auto
    choices: [auto, dashboard, gcs]
  ray_executable:
    description:
      - Path of the C(ray) executable of the Ray venv; the C(gcs) source runs the C(python) next to it.
    type: path
    default: /opt/vllm_env/bin/ray
  auth_token:
    description:
      - Ray authentication token, when the cluster runs with C(RAY_AUTH_MODE=token).
      - Mutually exclusive with O(auth_token_file).
    type: str
  auth_token_file:
    description:
      - File on the managed host that holds the Ray authentication token.
      - Mutually exclusive with O(auth_token).
    type: path
  request_timeout:
    description: Seconds to wait for each HTTP request or TCP probe.
    type: float
    default: 5.0
"""
