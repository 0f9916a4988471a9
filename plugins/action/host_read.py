# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.host_read (documentation: plugins/modules/host_read.py)."""

from __future__ import annotations

import shlex

from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import SpecAction

ARGUMENT_SPEC = {
    "argv": {"type": "list", "elements": "str", "required": True},
}


def read_result(argv, res):
    """The module-like result of the command argv from _low_level_execute_command's res: rc, the output with
    line ends normalised (a terminal, where the connection gave one, writes CR LF), failed when rc is not 0."""
    stdout = res.get("stdout", "").replace("\r\n", "\n")
    stderr = res.get("stderr", "").replace("\r\n", "\n")
    rc = res.get("rc")
    out = {"changed": False, "cmd": list(argv), "rc": rc, "stdout": stdout.rstrip("\n"), "stderr": stderr.rstrip("\n"),
           "stdout_lines": stdout.splitlines(), "stderr_lines": stderr.splitlines()}
    if rc != 0:
        out.update(failed=True, msg="non-zero return code %s from %s" % (rc, shlex.join(argv)))
    return out


class ActionModule(SpecAction):
    OPTION_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def act(self, args, task_vars, result):
        # A connection that can pipe data into a command (ssh, local) then runs it without a terminal, as it runs a
        # pipelined module: standard error stays apart from the output. The command does not read its input.
        in_data = b"\n" if self._connection.has_pipelining else None
        res = self._low_level_execute_command(shlex.join(args["argv"]), in_data=in_data)
        result.update(read_result(args["argv"], res))
        return result
