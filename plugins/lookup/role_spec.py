# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_spec
author:
  - llmops.ray_vllm maintainers (@llmops)
version_added: 0.1.0
short_description: The argument spec options of this collection's roles
description:
  - Reads C(meta/argument_specs.yml) of roles of this collection (the installed copy next to this plugin) and
    returns the options of one entry point per role, so a role never reads another role's files by path.
  - Role P(llmops.ray_vllm.validate#role) checks every role's variables with them before any host changes.
  - A default that is a template (a role's default chained to another role's variable, e.g.
    C({{ python_venv_path | default('/opt/vllm_env') }})) is returned rendered with the play's variables, as the
    role's C(defaults/main.yml) value would be when the role runs.
options:
  _terms:
    description: Role names of this collection (without the collection prefix).
    type: list
    elements: str
    required: true
  entry_point:
    description: The entry point whose options are returned.
    type: str
    default: main
  defaults:
    description:
      - V(false) leaves every option's C(default) out and renders nothing. That is enough to check the values a play
        sets against the types and choices, which is what P(llmops.ray_vllm.validate#role) does, and much cheaper.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check python_venv's variables against its spec
  ansible.builtin.validate_argument_spec:
    argument_spec: "{{ lookup('llmops.ray_vllm.role_spec', 'python_venv', defaults=false) }}"
"""

RETURN = r"""
_raw:
  description: One dict of options (name to option spec) per role, in the order given.
  type: list
  elements: dict
"""

import copy
import os

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:  # ansible-core >= 2.19 renders only strings marked as templates; the spec file is plain YAML
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover (ansible-core < 2.19 renders every string)
    def trust_as_template(value):
        return value

# plugins/lookup/role_spec.py -> the collection's root
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# libyaml's loader where PyYAML has it (ten times faster than the pure-Python one on these files).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# path -> ((mtime_ns, size), parsed file): one parse per file and controller process. validate templates a
# role's spec once per host and loop item, which parsed every spec file again each time (about 2 s a run).
_PARSED = {}


def _load_specs(path):
    """The parsed argument_specs.yml at ``path``, read again only when its mtime or size changed."""
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _PARSED.get(path)
    if cached is None or cached[0] != key:
        with open(path, encoding="utf-8") as handle:
            cached = _PARSED[path] = (key, yaml.load(handle, Loader=_LOADER) or {})
    return cached[1]


def role_options(role, entry_point="main", root=COLLECTION_ROOT):
    """The options of ``role``'s ``entry_point`` from its meta/argument_specs.yml under ``root``/roles.

    A copy: the caller may change it. Raises ValueError naming the file when the role, the file or the
    entry point is missing.
    """
    if not role or os.sep in role or role.startswith("."):
        raise ValueError("%r is not a role name of this collection" % (role,))
    path = os.path.join(root, "roles", role, "meta", "argument_specs.yml")
    try:
        specs = _load_specs(path)
    except OSError as exc:
        raise ValueError("role %s has no argument spec (%s): %s" % (role, path, exc.strerror))
    entry = (specs.get("argument_specs") or {}).get(entry_point)
    if entry is None:
        raise ValueError("role %s has no entry point %r in %s" % (role, entry_point, path))
    return copy.deepcopy(entry.get("options") or {})


def render_defaults(options, render):
    """``options`` with every default that is a template (a string holding ``{{``) replaced by
    ``render(default)``; the other options are returned as they are (a copy when one changed)."""
    out = {}
    for name, option in options.items():
        default = option.get("default")
        if isinstance(default, str) and "{{" in default:
            option = dict(option, default=render(default))
        out[name] = option
    return out


def without_defaults(options):
    """``options`` with no option's ``default`` (a copy of each option)."""
    return dict((name, dict((k, v) for k, v in option.items() if k != "default")) for name, option in options.items())


def rendered_role_options(templar, role, entry_point="main"):
    """role_options() with its templated defaults rendered by ``templar`` (the play's variables)."""
    return render_defaults(role_options(role, entry_point), lambda text: templar.template(trust_as_template(text)))


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            if not self.get_option("defaults"):
                return [without_defaults(role_options(term, self.get_option("entry_point"))) for term in terms]
            return [rendered_role_options(self._templar, term, self.get_option("entry_point")) for term in terms]
        except ValueError as exc:
            raise AnsibleLookupError("role_spec: %s" % exc)
