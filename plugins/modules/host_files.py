#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_files
short_description: Directories and small files of a role in one call (content, owner, group, mode, validation)
version_added: 0.1.0
description:
  - Makes every entry of O(files) what it says, in order, in one module run on the host. A role that writes
    a unit, its configuration and a script pays one SSH round trip instead of two per file
    (M(ansible.builtin.template) and M(ansible.builtin.copy) read the file, then set its attributes).
  - A file whose content differs is written to a temporary file in its directory, checked with the
    entry's O(files[].validate) command, and moved into place; owner, group and mode are set as
    M(ansible.builtin.file) does. A file edited by hand is written back.
  - Directories are created with their parents.
  - Reports which paths changed (RV(changed_paths)), so handlers can be chosen per file.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  files:
    description: What to ensure, in order (a directory before the files in it).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: V(file) (written with O(files[].content)) or V(directory).
        type: str
        choices: [file, directory]
        default: file
      content:
        description: The whole content of the file (state V(file)).
        type: str
      owner:
        description: Owner (name).
        type: str
        default: root
      group:
        description: Group (name).
        type: str
        default: root
      mode:
        description: Mode as an octal string, for example V("0644").
        type: str
        required: true
      validate:
        description:
          - Command run on the new content before it replaces the file; C(%s) is the temporary file's path.
          - A non-zero exit fails the task and leaves the file as it was.
        type: str
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports what would change; writes nothing and runs no O(files[].validate) command.
  diff_mode:
    support: full
    details: One diff per changed file (content), none for directories.
  platform:
    support: full
    platforms: posix
notes:
  - Write a secret (an API key, a token) in a task of its own with C(no_log) (a diff would show it; C(no_log) hides
    it, the arguments in the host's journal included).
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Write the unit and its script
  llmops.ray_vllm.host_files:
    files:
      - path: /usr/local/lib/myapp
        state: directory
        mode: "0755"
      - path: /usr/local/lib/myapp/run.py
        content: "{{ lookup('ansible.builtin.file', 'run.py') }}"
        mode: "0755"
      - path: /etc/systemd/system/myapp.service
        content: "{{ lookup('ansible.builtin.template', 'myapp.service.j2') }}"
        mode: "0644"
        validate: systemd-analyze verify %s:myapp.service
  register: __myapp_files
  notify: Restart myapp
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would change in check mode), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/myapp.service]
"""

import grp
import os
import pwd
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

ENTRY_SPEC = dict(
    path=dict(type="path", required=True),
    state=dict(type="str", choices=["file", "directory"], default="file"),
    content=dict(type="str"),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    mode=dict(type="str", required=True),
    validate=dict(type="str"),
)


def build_module():
    return AnsibleModule(
        argument_spec=dict(files=dict(type="list", elements="dict", required=True, options=ENTRY_SPEC)),
        supports_check_mode=True,
    )


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _attributes(module, entry, changed):
    """Owner, group and mode of an existing path, as ansible.builtin.file sets them (check mode: whether they would
    change); True if changed. In check mode an owner or group that does not exist yet (made by an earlier task that
    check mode only reported) counts as a change."""
    if module.check_mode:
        try:
            pwd.getpwnam(entry["owner"])
            grp.getgrnam(entry["group"])
        except KeyError:
            return True
    args = dict(path=entry["path"], owner=entry["owner"], group=entry["group"], mode=entry["mode"],
                secontext=[None, None, None], attributes=None)
    return module.set_fs_attributes_if_different(args, changed, expand=False)


def _write(module, entry, data):
    """New content through a temporary file in the same directory: validated, then moved into place."""
    path = entry["path"]
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if entry["validate"]:
            if "%s" not in entry["validate"]:
                module.fail_json(msg="files[].validate of %s must contain %%s (the new file's path): %s"
                                 % (path, entry["validate"]))
            rc, out, err = module.run_command(shlex.split(entry["validate"] % tmp))
            if rc != 0:
                module.fail_json(msg="%s: the new content failed the check %r (rc %d): %s %s; the file is left as "
                                 "it was" % (path, entry["validate"] % tmp, rc, err.strip(), out.strip()))
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure(module, entry, check):
    """(changed, diff or None) for one entry."""
    path = entry["path"]
    if entry["state"] == "directory":
        if os.path.isdir(path):
            return _attributes(module, entry, False), None
        if os.path.exists(path):
            module.fail_json(msg="%s exists and is not a directory" % path)
        if not check:
            os.makedirs(path)
            _attributes(module, entry, True)
        return True, None
    if entry["content"] is None:
        module.fail_json(msg="files[] entry %s (state file) needs content" % path)
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory; this entry wants a file" % path)
    data = to_bytes(entry["content"], errors="surrogate_or_strict")
    old = _read(path)
    diff = None
    if old != data:
        diff = dict(before_header=path, after_header=path,
                    before="" if old is None else to_text(old, errors="surrogate_or_replace"),
                    after=entry["content"])
        if not check:
            _write(module, entry, data)
    if old is None and check:
        return True, diff
    return _attributes(module, entry, diff is not None), diff


def run_module(module):
    check = module.check_mode
    changed_paths, diffs = [], []
    for entry in module.params["files"]:
        if not os.path.isabs(entry["path"]):
            module.fail_json(msg="files[].path must be absolute, got %r" % entry["path"])
        try:
            int(entry["mode"], 8)
        except ValueError:
            module.fail_json(msg="files[].mode of %s must be an octal string such as \"0644\", got %r"
                             % (entry["path"], entry["mode"]))
        try:
            changed, diff = ensure(module, entry, check)
        except (OSError, IOError) as e:
            module.fail_json(msg="%s: %s" % (entry["path"], to_native(e)), changed_paths=changed_paths)
        if changed:
            changed_paths.append(entry["path"])
        if diff is not None:
            diffs.append(diff)
    result = dict(changed=bool(changed_paths), changed_paths=changed_paths)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
