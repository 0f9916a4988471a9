# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_spec and role_vars: other roles' argument specs and variables, read from the collection itself."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.llmops.ray_vllm.plugins.lookup.role_spec import COLLECTION_ROOT, render_defaults, rendered_role_options, role_options
from ansible_collections.llmops.ray_vllm.plugins.lookup.role_vars import role_values

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def test_reads_the_collections_own_roles():
    assert os.path.realpath(COLLECTION_ROOT) == os.path.realpath(ROOT)
    options = role_options("python_venv")
    with open(os.path.join(ROOT, "roles", "python_venv", "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    assert options["python_venv_path"]["default"] == defaults["python_venv_path"]
    assert set(defaults) <= set(options)


@pytest.mark.parametrize("role,entry,text", [
    ("nosuch", "main", "has no argument spec"),
    ("../roles", "main", "not a role name"),
    ("", "main", "not a role name"),
    ("python_venv", "nosuch", "no entry point 'nosuch'"),
])
def test_role_options_refuses(role, entry, text):
    with pytest.raises(ValueError, match=text):
        role_options(role, entry)


def test_a_spec_file_is_parsed_once_and_read_again_when_it_changes(tmp_path):
    """The parse is kept per file (validate asks for each spec once per host and loop item); a caller changing
    what it got does not change the next answer; an edited file is read again."""
    meta = tmp_path / "roles" / "r" / "meta"
    meta.mkdir(parents=True)
    spec = meta / "argument_specs.yml"
    spec.write_text("argument_specs:\n  main:\n    options:\n      r_port: {type: int, default: 1}\n")
    first = role_options("r", root=str(tmp_path))
    first["r_port"]["default"] = 99
    assert role_options("r", root=str(tmp_path)) == {"r_port": {"type": "int", "default": 1}}
    spec.write_text("argument_specs:\n  main:\n    options:\n      r_port: {type: int, default: 22}\n")
    assert role_options("r", root=str(tmp_path))["r_port"]["default"] == 22


def test_values_are_the_inventorys_else_the_spec_default():
    inventory = {"ray_cluster_port": 7000}
    values = role_values({"ray_cluster": ["ray_cluster_port", "ray_cluster_dashboard_port"]},
                         inventory.__contains__, inventory.__getitem__)
    assert values == {"ray_cluster_port": 7000, "ray_cluster_dashboard_port": role_options("ray_cluster")[
        "ray_cluster_dashboard_port"]["default"]}
    assert values["ray_cluster_dashboard_port"] == 8265


def test_a_name_outside_the_spec_is_refused():
    with pytest.raises(ValueError, match="ray_cluster_nope is not an option of role ray_cluster"):
        role_values({"ray_cluster": ["ray_cluster_nope"]}, lambda n: False, None)


def test_validates_own_name_list_is_in_the_specs():
    """Every variable roles/validate reads is an option of the role it names (a rename breaks here, not on a host)."""
    with open(os.path.join(ROOT, "roles", "validate", "vars", "main.yml")) as handle:
        names = yaml.safe_load(handle)["__validate_names"]
    values = role_values(names, lambda n: False, None)
    assert len(values) == sum(len(v) for v in names.values())


def test_vllm_servers_plan_options_are_in_its_spec():
    """server_plan() reads these options of role vllm_server: a rename of one breaks here."""
    from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_plan import SERVER_OPTIONS
    assert {"vllm_server_" + name for name in SERVER_OPTIONS} <= set(role_options("vllm_server"))


def test_render_defaults_renders_only_templated_defaults():
    options = {"a": {"type": "int", "default": "{{ ray_cluster_port | default(6379) }}"},
               "b": {"type": "str", "default": "plain"}, "c": {"type": "list"}}
    rendered = render_defaults(options, lambda text: "<%s>" % text)
    assert rendered == {"a": {"type": "int", "default": "<{{ ray_cluster_port | default(6379) }}>"},
                        "b": {"type": "str", "default": "plain"}, "c": {"type": "list"}}
    assert options["a"]["default"] == "{{ ray_cluster_port | default(6379) }}"  # the input is left as it was


def test_chained_defaults_render_with_a_real_templar():
    """The chained defaults of the real specs, rendered as in a play: the owner's value when the inventory sets
    it, else the literal fallback (with its type: an int port stays an int)."""
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader

    templar = Templar(loader=DataLoader(), variables={"ray_cluster_port": 7000})
    options = rendered_role_options(templar, "vllm_server")
    assert options["vllm_server_ray_port"]["default"] == 7000
    assert options["vllm_server_ray_dashboard_port"]["default"] == 8265
    assert options["vllm_server_venv"]["default"] == "/opt/vllm_env"


def test_without_defaults_leaves_types_and_choices():
    from ansible_collections.llmops.ray_vllm.plugins.lookup.role_spec import without_defaults

    options = role_options("vllm_server")
    bare = without_defaults(options)
    assert set(bare) == set(options)
    assert not [name for name, option in bare.items() if "default" in option]
    assert bare["vllm_server_distributed_executor_backend"]["choices"] == options["vllm_server_distributed_executor_backend"]["choices"]
    assert bare["vllm_server_port"]["type"] == "int"
    assert "default" in options["vllm_server_port"]  # the input is left as it was


def test_role_vars_renders_the_chained_defaults_it_returns():
    """The lookup as validate calls it, with a real templar: a value the play sets, a chained default rendered
    with the play's variables (an int stays an int), a plain default."""
    from ansible.template import Templar
    from ansible.parsing.dataloader import DataLoader
    from ansible_collections.llmops.ray_vllm.plugins.lookup.role_vars import LookupModule

    variables = {"ray_cluster_port": 7000, "vllm_server_port": 8100}
    lookup = LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    got = lookup.run([{"vllm_server": ["vllm_server_ray_port", "vllm_server_port", "vllm_server_venv", "vllm_server_name"]}],
                     variables=variables)
    assert got == [{"vllm_server_ray_port": 7000, "vllm_server_port": 8100, "vllm_server_venv": "/opt/vllm_env",
                    "vllm_server_name": role_options("vllm_server")["vllm_server_name"]["default"]}]
