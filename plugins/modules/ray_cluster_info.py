#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_cluster_info
short_description: Read a Ray cluster's nodes, resources and pending demands
version_added: 0.1.0
description:
  - Returns structured facts about a running Ray cluster, read from JSON sources only
    (never the human text of C(ray status), whose labels change between Ray versions).
  - The C(dashboard) source makes three HTTP requests to the head's dashboard
    (C(/api/v0/nodes?detail=1), C(/api/cluster_status), C(/api/version)) and answers in milliseconds.
  - The C(gcs) source runs the Ray venv's python to ask the GCS directly (the data C(ray status) reads);
    it costs about a second and works with the dashboard disabled.
  - Works with Ray token authentication (C(RAY_AUTH_MODE=token)).
author:
  - llmops.ray_vllm maintainers (@llmops)
extends_documentation_fragment:
  - action_common_attributes
  - llmops.ray_vllm.ray_reader
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same way in check mode.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
notes:
  - The dashboard camelCases every key of C(/api/cluster_status), resource names included
    (C(my_res) arrives as C(myRes)); the module maps them back using the node list.
seealso:
  - module: llmops.ray_vllm.ray_wait
  - module: llmops.ray_vllm.ray_node
"""

EXAMPLES = r"""
- name: Read the cluster
  llmops.ray_vllm.ray_cluster_info:
    head_address: 10.0.0.11
  register: ray

- name: Show GPUs
  ansible.builtin.debug:
    msg: "{{ ray.cluster.alive_nodes }} nodes, {{ ray.cluster.totals.GPU | default(0) }} GPUs"

- name: Read a token-protected cluster without its dashboard
  llmops.ray_vllm.ray_cluster_info:
    head_address: 10.0.0.11:6379
    source: gcs
    auth_token_file: /etc/ray/auth_token
"""

RETURN = r"""
source:
  description: Which source answered (C(dashboard) or C(gcs)).
  returned: success
  type: str
  sample: dashboard
cluster:
  description: The cluster facts.
  returned: success
  type: dict
  contains:
    source:
      description: Same as RV(source).
      type: str
    ray_version:
      description: Ray version of the cluster.
      type: str
      sample: 2.60.0
    nodes:
      description:
        - Every node the GCS knows, alive and dead, head first.
        - Each has C(node_id), C(ip), C(name), C(hostname) (gcs source only, else null), C(state) (C(ALIVE)/C(DEAD)),
          C(state_message), C(alive), C(is_head), C(resources_total), C(resources_available)
          (null when the autoscaler has not reported the node), C(temp_dir) (gcs source only), C(vllm_ranks)
          (the alive vLLM Ray workers on the node by rank, e.g. C([PP1]) or C([TP0]); dashboard source only, else
          empty).
      type: list
      elements: dict
    alive_nodes:
      description: Number of alive nodes.
      type: int
      sample: 3
    dead_nodes:
      description: Number of dead node records.
      type: int
      sample: 0
    head_ip:
      description: IP of the alive head node.
      type: str
      sample: 10.0.0.11
    totals:
      description: Sum of C(resources_total) over alive nodes (C(node:*) markers left out).
      type: dict
      sample: {"CPU": 96.0, "GPU": 8.0}
    usage:
      description: Resource name to C({used, total}) as the autoscaler last reported it, or null.
      type: dict
      sample: {"GPU": {"used": 2.0, "total": 8.0}}
    pending_demands:
      description:
        - Unmet demands. Each has C(kind) (C(task), C(request) or C(placement_group)) and C(count);
          tasks and requests have C(resources); placement groups have C(strategy) and C(bundles).
      type: list
      elements: dict
    autoscaling_error:
      description: The autoscaler's error text, if any.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (
    MUTUALLY_EXCLUSIVE,
    READER_ARGUMENT_SPEC,
    RayReadError,
    read_cluster,
)


def build_module():
    spec = dict(READER_ARGUMENT_SPEC)
    spec["head_address"] = dict(type="str", required=True)
    return AnsibleModule(argument_spec=spec, mutually_exclusive=MUTUALLY_EXCLUSIVE, supports_check_mode=True)


def run_module(module):
    try:
        facts = read_cluster(module, module.params)
    except RayReadError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, source=facts["source"], cluster=facts)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
