# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.preflight_probe (documentation: plugins/modules/preflight_probe.py).

The module's logic (module_utils/_probe.py and the three module_utils it imports) needs only Python's standard library.
Run as a module it costs a host about 0.2 CPU-s, most of it importing Ansible's module_utils from the module's zip
(measured on the lab); sent to the host's Python on standard input with the validated options it costs about 0.05 s,
and the controller builds no module payload."""

from __future__ import annotations

import json
import os

from ansible.executor.interpreter_discovery import InterpreterDiscoveryRequiredError, discover_interpreter
from ansible.executor.module_common import _get_shebang
from ansible_collections.llmops.ray_vllm.plugins.module_utils._probe_spec import ARGUMENT_SPEC
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import SpecAction

MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils")
PACKAGE = "ansible_collections.llmops.ray_vllm.plugins.module_utils"
# In import order: _probe last (it imports the others).
SOURCES = ("_probe_spec", "_node_state", "_preflight", "_nvidia_smi", "_probe")

BOOTSTRAP = """
import sys, types
def _load(name, source):
    parts = name.split(".")
    for i in range(1, len(parts)):
        package = ".".join(parts[:i])
        if package not in sys.modules:
            module = types.ModuleType(package)
            module.__path__ = []
            sys.modules[package] = module
    module = types.ModuleType(name)
    module.__file__ = "<llmops.ray_vllm %s>" % name
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
for _name, _source in SOURCES:
    _load(_name, _source)
sys.modules[PROBE].payload_main(PARAMS)
"""


def payload(params):
    """The Python program the host runs: the module_utils' sources, the options, the call."""
    sources = []
    for name in SOURCES:
        with open(os.path.join(MODULE_UTILS, name + ".py")) as f:
            sources.append((PACKAGE + "." + name, f.read()))
    return "SOURCES = %r\nPARAMS = %r\nPROBE = %r\n%s" % (sources, json.loads(json.dumps(params)), PACKAGE + "._probe", BOOTSTRAP)


def parse_payload_output(res):
    """The module-like result from _low_level_execute_command's res, or a failure that says what the host printed."""
    try:
        out = json.loads(res.get("stdout", ""))
        if not isinstance(out, dict):
            raise ValueError("not an object")
        return out
    except ValueError:
        return {"failed": True, "rc": res.get("rc"), "msg": "the probe did not answer (rc %s): %s" % (
            res.get("rc"), (res.get("stderr", "") or res.get("stdout", "")).strip()[-2000:])}


class ActionModule(SpecAction):
    OPTION_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def python(self, task_vars):
        """The host's Python, as a module's shebang would name it (interpreter discovery where it is asked for)."""
        for _try in (1, 2):
            try:
                return _get_shebang("/usr/bin/python", task_vars, self._templar)[1]
            except InterpreterDiscoveryRequiredError as e:
                found = discover_interpreter(action=self, interpreter_name=e.interpreter_name,
                                             discovery_mode=e.discovery_mode, task_vars=task_vars)
                task_vars.setdefault("ansible_facts", {})["discovered_interpreter_%s" % e.interpreter_name] = found
        return "/usr/bin/python3"

    def act(self, args, task_vars, result):
        if not self._connection.has_pipelining:
            # A connection that cannot pipe data into a command (paramiko, winrm) gets the module itself.
            result.update(self._execute_module(module_name="llmops.ray_vllm.preflight_probe", module_args=args,
                                               task_vars=task_vars))
            return result
        python = self.python(dict(task_vars))
        res = self._low_level_execute_command("%s -" % python, in_data=payload(args).encode("utf-8"))
        result.update(parse_payload_output(res))
        return result
