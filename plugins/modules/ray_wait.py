#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_wait
short_description: Wait until a Ray cluster has the nodes and resources you expect
version_added: 0.1.0
description:
  - Polls the cluster (the same reader as M(llmops.ray_vllm.ray_cluster_info)) until at least
    O(min_nodes) nodes are alive, the alive nodes together hold at least O(resources), and every IP in
    O(expected_node_ips) is an alive node.
  - On timeout it fails with what is missing - which expected IPs are absent or dead (with Ray's reason),
    which resources are short and by how much.
  - Uses a monotonic deadline; read errors (head restarting) are retried until the deadline.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  min_nodes:
    description: Minimum number of alive nodes.
    type: int
  resources:
    description: 'Minimum totals over alive nodes, for example C({"GPU": 8}).'
    type: dict
    default: {}
  expected_node_ips:
    description: IPs that must each be an alive node.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait before failing.
    type: float
    default: 300
  poll_interval:
    description: Seconds between reads.
    type: float
    default: 1.0
extends_documentation_fragment:
  - action_common_attributes
  - llmops.ray_vllm.ray_reader
attributes:
  check_mode:
    support: full
    details: Read-only; waits the same way in check mode.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
seealso:
  - module: llmops.ray_vllm.ray_cluster_info
"""

EXAMPLES = r"""
- name: Wait for 3 nodes and 6 GPUs
  llmops.ray_vllm.ray_wait:
    head_address: 10.0.0.11
    min_nodes: 3
    resources:
      GPU: 6
    expected_node_ips: [10.0.0.11, 10.0.0.12, 10.0.0.13]
    timeout: 120
"""

RETURN = r"""
elapsed:
  description: Seconds waited.
  returned: always
  type: float
  sample: 1.02
polls:
  description: Number of reads made.
  returned: always
  type: int
  sample: 2
missing:
  description:
    - What was still missing at the end (empty on success). Keys, when present -
      C(nodes) (C({wanted, alive})), C(resources) (name to C({wanted, have, short_by})),
      C(absent_ips), C(dead_ips), C(error) (the last read error).
  returned: always
  type: dict
  sample: {"dead_ips": ["10.0.0.13"], "resources": {"GPU": {"wanted": 6.0, "have": 4.0, "short_by": 2.0}}}
cluster:
  description: The last cluster facts read (see M(llmops.ray_vllm.ray_cluster_info)), null if none could be read.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import format_missing, missing_for_wait
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (
    MUTUALLY_EXCLUSIVE,
    READER_ARGUMENT_SPEC,
    read_cluster,
    wait_for,
)


def build_module():
    spec = dict(READER_ARGUMENT_SPEC)
    spec.update(
        head_address=dict(type="str", required=True),
        min_nodes=dict(type="int"),
        resources=dict(type="dict", default={}),
        expected_node_ips=dict(type="list", elements="str", default=[]),
        timeout=dict(type="float", default=300),
        poll_interval=dict(type="float", default=1.0),
    )
    return AnsibleModule(argument_spec=spec, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)


def run_module(module, read=None, **wait_kwargs):
    p = module.params
    for name, amount in p["resources"].items():
        try:
            p["resources"][name] = float(amount)
        except (TypeError, ValueError):
            module.fail_json(msg="resources.%s must be a number, got %r" % (name, amount))

    def check(facts):
        return missing_for_wait(facts, p["min_nodes"], p["resources"], p["expected_node_ips"])

    facts, missing, elapsed, polls = wait_for(
        read or (lambda: read_cluster(module, p)), check, p["timeout"], p["poll_interval"], **wait_kwargs)
    result = dict(changed=False, elapsed=round(elapsed, 3), polls=polls, missing=missing, cluster=facts)
    if missing:
        what = missing["error"] if "error" in missing else format_missing(missing, facts)
        module.fail_json(msg="Ray cluster at %s not ready after %.1fs: %s" % (p["head_address"], elapsed, what), **result)
    module.exit_json(**result)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
