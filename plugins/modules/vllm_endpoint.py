#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vllm_endpoint
short_description: Read a vLLM OpenAI server in one call - its unit, its recorded plan, /health, /v1/models, a completion
version_added: 0.1.0
description:
  - Asks C(/health) and C(/v1/models), then, when C(/health) answers 200, one chat completion; optionally reads the
    server's systemd unit (C(systemctl show)) and the plan recorded next to it (JSON).
  - One module run on the host instead of one task per request (the readiness wait and the status of role
    P(llmops.ray_vllm.vllm_server#role)). Never fails for a server that does not answer; the caller decides from
    what it returns (for example with C(until)).
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  url:
    description: Base URL of the server, for example V(http://127.0.0.1:8000).
    type: str
    required: true
  api_key:
    description: Bearer token (vLLM's C(--api-key)); empty for none.
    type: str
    default: ""
  model:
    description: Model name the completion asks for; empty asks the first model C(/v1/models) lists.
    type: str
    default: ""
  fallback_model:
    description:
      - Model name asked when O(model) is empty and C(/v1/models) lists none, after the C(served_model_name) of
        O(plan_file).
    type: str
    default: ""
  prompt:
    description: The user message of the completion.
    type: str
    default: Say hello.
  max_tokens:
    description:
      - C(max_tokens) of the completion. A few tokens prove that the engine generates; each costs a decode step
        through every pipeline stage (on the lab's CPU model about 27 ms).
    type: int
    default: 4
  completion_timeout:
    description: Seconds the completion may take (a hung engine answers C(/health) but no completion).
    type: float
    default: 30
  http_timeout:
    description: Seconds C(/health) and C(/v1/models) may take.
    type: float
    default: 10
  unit:
    description:
      - systemd unit whose C(LoadState), C(ActiveState), C(SubState), C(Result), C(NRestarts), C(MainPID) and
        C(ExecMainStatus) are read; empty reads none.
    type: str
    default: ""
  journal_lines:
    description: Number of the last journal lines of O(unit) returned as RV(journal); 0 reads none.
    type: int
    default: 0
  plan_file:
    description: JSON file read as RV(plan) (C({}) when missing or not JSON); empty reads none.
    type: path
  wait_timeout:
    description:
      - Seconds to ask again (every O(wait_delay) seconds, on the controller's clock) until the server is RV(ready);
        0 asks once. The module returns what the last try read, RV(ready) false when the time ran out.
      - While it waits, a line on the server's progress goes to the controller's standard error every
        O(progress_interval) seconds - the time waited, the unit's state, what C(/health) or the completion answered
        and the last line of the unit's journal (C(vLLM loading - 2 min 5 s, unit active/running, /health 503,
        journal - ...)).
    type: float
    default: 0
  wait_delay:
    description: Seconds between tries while waiting (O(wait_timeout)).
    type: float
    default: 5
  progress_interval:
    description: Seconds between progress lines while waiting (O(wait_timeout)); 0 prints none.
    type: float
    default: 30
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
  - llmops.ray_vllm.controller_action
attributes:
  check_mode:
    support: full
    details: Read-only; asks the same in check mode.
seealso:
  - module: ansible.builtin.uri
notes:
  - The wait (O(wait_timeout)) runs in the module's action on the controller, one module run per try.
"""

EXAMPLES = r"""
- name: Wait until vLLM answers a completion
  llmops.ray_vllm.vllm_endpoint:
    url: http://127.0.0.1:8000
    api_key: "{{ vllm_api_key }}"
    model: tiny
    prompt: ping
    max_tokens: 1
    wait_timeout: 600
  register: __vllm
  failed_when: not __vllm.ready
"""

RETURN = r"""
health:
  description: HTTP status of C(/health); -1 when nothing answered.
  returned: always
  type: int
  sample: 200
models_status:
  description: HTTP status of C(/v1/models); -1 when nothing answered.
  returned: always
  type: int
  sample: 200
models:
  description: The model ids C(/v1/models) lists.
  returned: always
  type: list
  elements: str
  sample: [tiny]
model:
  description: The model the completion asked for.
  returned: always
  type: str
  sample: tiny
completion:
  description:
    - The completion - C(status) (HTTP status, -1 when nothing answered, C(not asked) when C(/health) was not 200),
      C(tokens) (generated, from C(usage)), C(text), C(choices), C(seconds), C(error) (body or connection error when
      not 200), C(timed_out).
  returned: always
  type: dict
  sample: {"status": 200, "tokens": 16, "text": "Hello", "choices": 1, "seconds": 0, "error": "", "timed_out": false}
ready:
  description: C(/health) 200, O(model) listed by C(/v1/models) and a completion with a choice (false without O(model)).
  returned: always
  type: bool
journal:
  description: The last O(journal_lines) lines of the unit's journal (C([]) without O(unit) or O(journal_lines)).
  returned: always
  type: list
  elements: str
tries:
  description: How many times the server was asked (1 without O(wait_timeout)).
  returned: always
  type: int
waited:
  description: Seconds from the first try to the last answer.
  returned: always
  type: float
unit:
  description: The unit's properties (C({}) without O(unit)).
  returned: always
  type: dict
  sample: {"ActiveState": "active", "SubState": "running", "NRestarts": "0", "MainPID": "4123", "LoadState": "loaded"}
plan:
  description: The JSON of O(plan_file) (C({}) without it, or when it is missing).
  returned: always
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import parse_systemctl_show
from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_endpoint import ARGUMENT_SPEC, opener, probe, ready

UNIT_PROPERTIES = "LoadState,ActiveState,SubState,Result,NRestarts,MainPID,ExecMainStatus"


def build_module():
    return AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)


def _plan(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (IOError, OSError, ValueError):
        return {}


def run_module(module, open_=None):
    p = module.params
    plan = _plan(p["plan_file"]) if p["plan_file"] else {}
    recorded = plan.get("served_model_name")
    recorded = recorded[0] if isinstance(recorded, list) and recorded else recorded
    result = probe(p["url"].rstrip("/"), open_ or opener(p["api_key"], p["http_timeout"]), p["model"],
                   recorded or p["fallback_model"], p["prompt"], p["max_tokens"], p["completion_timeout"])
    result["ready"] = bool(p["model"]) and ready(result, p["model"])
    unit = {}
    if p["unit"]:
        _rc, out, _err = module.run_command(["systemctl", "show", p["unit"], "--property=" + UNIT_PROPERTIES])
        unit = parse_systemctl_show(out)
    journal = []
    if p["unit"] and p["journal_lines"] > 0:
        _rc, out, _err = module.run_command(["journalctl", "--unit", p["unit"], "--lines", str(p["journal_lines"]),
                                             "--no-pager", "--output", "cat"])
        journal = out.rstrip("\n").split("\n") if out else []  # lines end at newlines only (a progress bar's \r)
    result.update(unit=unit, journal=journal, plan=plan)
    module.exit_json(changed=False, **result)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
