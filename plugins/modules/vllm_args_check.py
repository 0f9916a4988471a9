#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vllm_args_check
short_description: Check a vLLM OpenAI server command line with the installed vLLM's own argument parser
version_added: 0.1.0
description:
  - Runs the venv's python to build the parser of vLLM's OpenAI-compatible server (C(make_arg_parser) of
    C(vllm.entrypoints.launchers.cli_args) in vLLM 0.32, C(vllm.entrypoints.openai.cli_args) before, over
    C(FlexibleArgumentParser)), parses O(argv) with it and runs C(validate_parsed_serve_args), as C(vllm serve)
    does before it starts an engine. No engine, model load or GPU is involved.
  - An unknown or misspelled flag, a bad value or a forbidden combination fails here, at deploy time,
    with vLLM's own message, instead of at the next restart of the service.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  python:
    description: The python of the venv that holds vLLM, for example C(/opt/vllm_env/bin/python).
    type: path
    required: true
  argv:
    description:
      - The server arguments, without the program (what follows C(vllm serve)).
      - Never put secrets here; vLLM reads the API key from C(VLLM_API_KEY).
    type: list
    elements: str
    required: true
  environment:
    description: Extra environment variables for the check (some vLLM defaults read C(VLLM_*) variables).
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Read-only; runs the same way in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - Importing vLLM (and torch) takes several seconds.
  - The parser does not look at GPUs or the model, so checks that need them (attention heads divisible
    by the tensor parallel size, GPUs per node) stay with the P(llmops.ray_vllm.vllm_server_plan#filter) filter.
seealso:
  - plugin: llmops.ray_vllm.vllm_cli_args
    plugin_type: filter
  - plugin: llmops.ray_vllm.vllm_server_plan
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check the rendered vLLM arguments with the installed vLLM
  llmops.ray_vllm.vllm_args_check:
    python: /opt/vllm_env/bin/python
    argv: [--model, /mnt/models/llama, --tensor-parallel-size, "8", --pipeline-parallel-size, "2",
           --distributed-executor-backend, ray]
  register: vllm_args

- name: Show what vLLM understood
  ansible.builtin.debug:
    msg: "vLLM {{ vllm_args.vllm_version }}: TP={{ vllm_args.args.tensor_parallel_size }}"
"""

RETURN = r"""
vllm_version:
  description: The vLLM version that parsed the arguments.
  returned: success
  type: str
  sample: 0.32.0
args:
  description:
    - The parsed arguments as vLLM sees them (every option, defaults included), keyed by destination name.
      Values that are not JSON types are given as their string form.
  returned: success
  type: dict
  sample: {"model": "/mnt/models/llama", "tensor_parallel_size": 8, "pipeline_parallel_size": 2}
"""

import json

from ansible.module_utils.basic import AnsibleModule

# Exit codes of the check script (argparse itself exits 2 on a parse error).
_RC_IMPORT = 3
_RC_INVALID = 4
_MARKER = "LLMOPS_VLLM_ARGS_CHECK "

# Runs inside the vLLM venv. argv arrives on stdin as JSON, the result leaves on one marked line
# (vLLM logs to stdout while importing). vLLM moved both helpers: FlexibleArgumentParser from
# vllm.utils to vllm.utils.argparse_utils, the server's parser from vllm.entrypoints.openai.cli_args
# to vllm.entrypoints.launchers.cli_args (0.32: the old module is a deprecated shim or gone); the
# new places are tried first. `vllm serve` builds its subparser with the same make_arg_parser.
CHECK_SCRIPT = r"""
import json, sys
argv = json.loads(sys.stdin.read())
try:
    import vllm
    try:
        from vllm.utils.argparse_utils import FlexibleArgumentParser
    except ImportError:
        from vllm.utils import FlexibleArgumentParser
    try:
        from vllm.entrypoints.launchers.cli_args import make_arg_parser, validate_parsed_serve_args
    except ImportError:
        from vllm.entrypoints.openai.cli_args import make_arg_parser, validate_parsed_serve_args
except Exception as exc:
    sys.stderr.write("cannot import vLLM's argument parser: %s: %s\n" % (type(exc).__name__, exc))
    raise SystemExit(3)
parser = make_arg_parser(FlexibleArgumentParser(
    prog="vllm serve",
    description="vLLM OpenAI-Compatible RESTful API server."))
args = parser.parse_args(argv)
try:
    validate_parsed_serve_args(args)
except Exception as exc:
    sys.stderr.write("error: %s: %s\n" % (type(exc).__name__, exc))
    raise SystemExit(4)
def plain(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)
print("LLMOPS_VLLM_ARGS_CHECK " + json.dumps({
    "vllm_version": getattr(vllm, "__version__", None),
    "args": dict((k, plain(v)) for k, v in sorted(vars(args).items())),
}))
"""


def parse_check_output(rc, stdout, stderr):
    """Turn the check script's result into (result dict, None) or (None, error message)."""
    if rc == 0:
        for line in reversed(stdout.splitlines()):
            if line.startswith(_MARKER):
                try:
                    return json.loads(line[len(_MARKER):]), None
                except ValueError:
                    break
        return None, "vLLM's parser accepted the arguments but gave no readable result: %s" % stdout[-2000:]
    errors = [line.strip() for line in stderr.splitlines() if "error:" in line]
    detail = errors[-1] if errors else (stderr.strip().splitlines() or ["no output"])[-1]
    if rc == _RC_IMPORT:
        return None, "%s. Fix: install vLLM into the venv of this python." % detail
    if rc == 2:
        return None, ("vLLM's argument parser refused the command line: %s. Fix: correct or remove that "
                      "option (vllm_server_extra_args)." % detail)
    if rc == _RC_INVALID:
        return None, "vLLM rejected the combination of arguments: %s" % detail
    return None, "checking the arguments failed (rc=%s): %s" % (rc, detail)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            python=dict(type="path", required=True),
            argv=dict(type="list", elements="str", required=True),
            environment=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )


def run_module(module):
    python = module.params["python"]
    environ = dict((str(k), str(v)) for k, v in module.params["environment"].items())
    rc, stdout, stderr = module.run_command(
        [python, "-c", CHECK_SCRIPT], data=json.dumps(module.params["argv"]),
        environ_update=environ, binary_data=True)
    result, error = parse_check_output(rc, stdout, stderr)
    if error:
        module.fail_json(msg=error, rc=rc, stderr=stderr[-4000:])
    module.exit_json(changed=False, vllm_version=result.get("vllm_version"), args=result.get("args"))


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
