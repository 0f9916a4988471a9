# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of a long step run as a background job on its host (Ansible's async_wrapper, as ``async:``
starts it), polled with async_status, with a progress line every few seconds: the hf_model download and the
python_venv install (action plugins hf_model and job_wait). Lines go to standard error, so that standard output
stays the stdout callback's (e.g. JSON)."""

from __future__ import annotations

import json
import shlex
import time

from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import ProgressLines

# Seconds between two status checks of the job (one module call each): 1 s at the start, 1 s more every 10 s the
# job has run, at most POLL_MAX (a short job ends soon after it is done; a long one costs few calls).
POLL_MAX = 5
JOB_LIMIT = 7 * 24 * 3600  # async_wrapper ends a job started by start_job() after this long
# Seconds a job may take to write its first status file. async_wrapper answers "started" after at most 2.5 s whether or
# not its daemonized child wrote the file yet, and async_status fails "could not find job" while it is missing: on a
# loaded host (a test machine at load 6 on 2 cores) the first poll came before the file.
JOB_APPEARS = 60
# What async_wrapper and async_status add to the module's own result.
JOB_KEYS = ("ansible_job_id", "started", "finished", "results_file")


def not_started_yet(status):
    """Whether async_status found no status file of the job (yet)."""
    return bool(status.get("failed")) and status.get("msg") == "could not find job"


class AsyncJobMixin(object):
    """For an ActionBase subclass: start a module as a job, wait for it printing progress lines."""

    def start_job(self, module_name, module_args, task_vars, limit=JOB_LIMIT):
        """Start module_name as a background job; async_wrapper's answer (with ansible_job_id) or a failure."""
        saved = self._task.async_val
        self._task.async_val = limit
        try:
            return self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars,
                                        wrap_async=True)
        finally:
            self._task.async_val = saved

    def wait_job(self, jid, task_vars, interval, line):
        """Poll job jid until it ends; every interval seconds (0: never) display '<host>: <line(seconds)>'. Then
        remove its status file and return the module's result, without the job's keys."""
        status_args = {"jid": jid, "_async_dir": self._remote_expand_user(
            self.get_shell_option("async_dir", default="~/.ansible_async"))}
        progress = ProgressLines(task_vars, self._play_context, interval)
        while True:
            time.sleep(min(POLL_MAX, interval or POLL_MAX, 1 + progress.elapsed() / 10))
            status = self._execute_module(module_name="ansible.legacy.async_status", module_args=status_args,
                                          task_vars=task_vars)
            if not_started_yet(status) and progress.elapsed() < JOB_APPEARS:
                continue
            if status.get("finished") or status.get("failed"):
                break
            progress.tick(line)
        self._execute_module(module_name="ansible.legacy.async_status", module_args=dict(status_args, mode="cleanup"),
                             task_vars=task_vars)
        return dict((k, v) for k, v in status.items() if k not in JOB_KEYS)

    def remote_output(self, command):
        """Standard output of a shell command on the host (as the task's become user), or None when it fails."""
        res = self._low_level_execute_command(command, sudoable=True)
        return res.get("stdout") if res.get("rc") == 0 else None

    def remote_json(self, path):
        """The JSON file at path on the host, or None while it is missing or being replaced."""
        try:
            return json.loads(self.remote_output("cat %s" % shlex.quote(path)) or "null")
        except ValueError:
            return None
