# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_vars
author:
  - llmops.ray_vllm maintainers (@llmops)
version_added: 0.1.0
short_description: Other roles' variables as a play will see them, before those roles run
description:
  - For each role and variable name given, the value the inventory (or play) sets, templated, else the default
    of that role's C(meta/argument_specs.yml) entry point C(main) (equal to its C(defaults/main.yml), as the
    collection's CI checks that); a default chained to another variable is rendered as the role would render it.
  - Lets role P(llmops.ray_vllm.validate#role) check every role's inputs before any of them runs, without
    reading the other roles' files by path.
options:
  _terms:
    description: One dict per term, role name to a list of that role's variable names.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read python_venv's path and Python
  ansible.builtin.set_fact:
    venv: "{{ lookup('llmops.ray_vllm.role_vars', {'python_venv': ['python_venv_path', 'python_venv_python']}) }}"
"""

RETURN = r"""
_raw:
  description: One dict per term, variable name to value.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.llmops.ray_vllm.plugins.lookup.role_spec import render_defaults, role_options, trust_as_template


def role_values(names_by_role, is_set, value_of, options_of=role_options):
    """``{name: value}`` for every name of ``names_by_role`` (role -> names): ``value_of(name)`` when
    ``is_set(name)``, else the default of the role's option (None when it declares none).

    Raises ValueError for a name that is not an option of its role.
    """
    out = {}
    for role, names in names_by_role.items():
        options = options_of(role)
        for name in names:
            if name not in options:
                raise ValueError("%s is not an option of role %s (meta/argument_specs.yml)" % (name, role))
            out[name] = value_of(name) if is_set(name) else options[name].get("default")
    return out


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        result = []
        for term in terms:
            if not isinstance(term, dict):
                raise AnsibleLookupError("role_vars: each term is a dict of role name to variable names, got %r" % (term,))
            try:
                # Templated defaults are only marked as templates here: the one template() below renders the
                # ones picked (rendering every default of every role cost more than the rest of validate's task).
                result.append(role_values(term, variables.__contains__, lambda n: variables[n],
                                          lambda role: render_defaults(role_options(role), trust_as_template)))
            except ValueError as exc:
                raise AnsibleLookupError("role_vars: %s" % exc)
        return self._templar.template(result)
