# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/ci/check_argument_specs.py: the pure comparison, and the script on real role copies."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_SPEC = importlib.util.spec_from_file_location(
    "check_argument_specs", os.path.join(ROOT, "tests", "ci", "check_argument_specs.py"))
cas = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cas)


def specs(**options):
    return {"main": {"short_description": "x", "options": options}}


def test_equal_role_has_no_problem():
    defaults = {"r_port": 8000, "r_name": "vllm", "r_list": ["a"], "r_map": {}, "r_ratio": 10,
                "r_path": "/opt/x", "r_flag": False, "r_any": "32k", "r_tpl": "{{ r_name }}.env"}
    assert cas.compare(defaults, specs(
        r_port={"type": "int", "default": 8000},
        r_name={"default": "vllm"},  # type defaults to str
        r_list={"type": "list", "elements": "str", "default": ["a"]},
        r_map={"type": "dict", "default": {}},
        r_ratio={"type": "float", "default": 10.0},  # 10 == 10.0; an int is a valid float
        r_path={"type": "path", "default": "/opt/x"},
        r_flag={"type": "bool", "default": False},
        r_any={"type": "raw", "default": "32k"},
        r_tpl={"type": "str", "default": "{{ r_name }}.env"},
        r_required={"type": "str", "required": True},  # no default, not in defaults: fine
    )) == []


def test_default_without_option():
    [msg] = cas.compare({"r_new": 3}, specs())
    assert msg == ("default r_new = 3 has no option in meta/argument_specs.yml: add it under "
                   "argument_specs.main.options with default 3")


def test_option_default_missing_from_defaults():
    [msg] = cas.compare({}, specs(r_port={"type": "int", "default": 8000}))
    assert "option r_port (entry point main) has default 8000 but defaults/main.yml has no r_port" in msg
    assert "add `r_port: 8000` there" in msg


def test_option_without_default_but_defaults_sets_one():
    [msg] = cas.compare({"r_port": 8000}, specs(r_port={"type": "int"}))
    assert "declares no default, but defaults/main.yml sets 8000: add `default: 8000`" in msg


@pytest.mark.parametrize("spec_default, role_default", [
    (8000, 8001), ("12.1", 12.1), (True, 1), (0, False), (["a", "b"], ["b", "a"]), ({"a": 1}, {"a": "1"}),
])
def test_different_values(spec_default, role_default):
    problems = cas.compare({"r_x": role_default}, specs(r_x={"type": "raw", "default": spec_default}))
    assert len(problems) == 1
    assert "argument_specs default %r != defaults/main.yml %r" % (spec_default, role_default) in problems[0]


@pytest.mark.parametrize("opt_type, value, why", [
    ("str", 5, "5 is a int, not of type str"),
    ("int", True, "a bool (True) is not of type int"),
    ("int", 0.9, "0.9 is a float, not of type int"),
    ("bool", "yes", "'yes' is a string, not of type bool"),
    ("list", "a,b", "'a,b' is a string, not of type list"),
    ("dict", [], "[] is a list, not of type dict"),
    ("path", None, None),
    ("raw", [1], None),
    ("float", 3, None),
    ("strr", "x", "unknown type 'strr'"),
])
def test_type_problem(opt_type, value, why):
    assert cas.type_problem(opt_type, value) == why


def test_type_mismatch_reported_for_both_files():
    problems = cas.compare({"r_port": "8000"}, specs(r_port={"type": "int", "default": "8000"}))
    assert problems == [
        "option r_port (entry point main): default '8000' is a string, not of type int: fix the default or the type",
        "defaults/main.yml r_port: '8000' is a string, not of type int (argument_specs type)",
    ]


def test_list_elements_and_choices():
    problems = cas.compare({"r_l": ["a", 2], "r_c": "nfs3"}, specs(
        r_l={"type": "list", "elements": "str", "default": ["a", 2]},
        r_c={"type": "str", "choices": ["kernel", "ganesha"], "default": "nfs3"}))
    assert problems == [
        "option r_c (entry point main): default 'nfs3' is not one of its choices ['kernel', 'ganesha']",
        "option r_l (entry point main): list item 2 is a int, not of type str (elements: str)",
    ]


def test_empty_string_is_a_valid_choice_when_listed():
    assert cas.compare({"r_b": ""}, specs(r_b={"choices": ["", "ray"], "default": ""})) == []


@pytest.mark.parametrize("name, opt, flagged", [
    ("r_api_key", {"default": ""}, True),
    ("r_hf_token", {"default": ""}, True),
    ("r_db_password", {"type": "raw", "default": ""}, True),
    ("r_api_key", {"default": "", "no_log": True}, False),
    ("r_auth_token_file", {"default": ""}, False),  # where the secret is kept, not the secret
    ("r_allow_no_api_key", {"type": "bool", "default": False}, False),
])
def test_secret_options_need_no_log(name, opt, flagged):
    problems = cas.compare({name: opt["default"]}, specs(**{name: opt}))
    assert problems == (["option %s (entry point main) holds a secret: add `no_log: true` to the option" % name]
                        if flagged else [])


def test_option_in_a_second_entry_point_counts():
    two = {"main": {"short_description": "m", "options": {}},
           "stop": {"short_description": "s", "options": {"r_x": {"type": "int", "default": 1}}}}
    assert cas.compare({"r_x": 1}, two) == []


def test_option_of_an_entry_point_only_is_checked_there():
    two = {"main": {"short_description": "m", "options": {}},
           "stop": {"short_description": "s", "options": {"r_x": {"type": "int"}, "r_gone": {"type": "bool"}}}}
    assert cas.compare({"r_x": 1}, two) == [
        "option r_x (entry point stop) declares no default, but defaults/main.yml sets 1: add `default: 1` "
        "to the option"]


def test_entry_points_need_a_short_description_and_a_task_file():
    entry_points = {"main": {"options": {}}, "status": {"short_description": "s"},
                    "stop": {"short_description": "s"}}
    assert cas.compare({}, entry_points, task_files={"main", "status"}) == [
        "entry point main has no short_description: add one (ansible-doc -t role -l lists it)",
        "entry point stop has no tasks/stop.yml: name the entry point after the task file that `tasks_from` "
        "includes, or remove it",
    ]
    assert cas.compare({}, {"stop": {"short_description": "s"}}) == []  # no task_files: not checked


def test_an_option_shared_with_main_is_checked_once_and_must_say_the_same():
    port = {"type": "int", "default": 8000, "description": "Port."}
    entry_points = {"main": {"short_description": "m", "options": {"r_port": port}},
                    "a": {"short_description": "a", "options": {"r_port": port}},  # an anchor: the same dict
                    "b": {"short_description": "b", "options": {"r_port": dict(port, description="Other words.")}}}
    assert cas.compare({"r_port": 8000}, entry_points) == []
    # A wrong default is one problem (main's), not one per entry point that shares the option.
    assert cas.compare({"r_port": 8001}, entry_points) == [
        "option r_port (entry point main): argument_specs default 8000 != defaults/main.yml 8001: make them equal"]
    entry_points["b"]["options"]["r_port"] = {"type": "str", "choices": ["8000"]}
    assert cas.compare({"r_port": 8000}, entry_points) == [
        "option r_port (entry point b) differs from entry point main in type, default, choices: use main's "
        "definition (an anchor `r_port: &r_port` under main, `r_port: *r_port` here)"]


def test_tasks_from_uses_finds_this_collections_roles():
    data = yaml.safe_load("""
- hosts: all
  tasks:
    - ansible.builtin.include_role: {name: llmops.ray_vllm.vllm_server, tasks_from: status}
    - name: block
      block:
        - import_role: {name: ray_cluster, tasks_from: teardown.yml}
        - ansible.builtin.include_role: {name: other.coll.role, tasks_from: x}
        - ansible.builtin.include_role: {name: llmops.ray_vllm.python_venv}
        - ansible.builtin.include_role: {name: llmops.ray_vllm.python_venv, tasks_from: "{{ step }}"}
  roles:
    - role: llmops.ray_vllm.model_storage
""")
    assert cas.tasks_from_uses(data) == [("vllm_server", "status"), ("ray_cluster", "teardown.yml")]


def test_tasks_from_problems():
    entry_points = {"vllm_server": {"main", "status"}, "ray_cluster": {"main", "teardown"}}
    uses = [("vllm_server", "status"), ("vllm_server", "plan"), ("ray_cluster", "teardown.yml"), ("gone", "x")]
    assert cas.tasks_from_problems("p.yml", uses, entry_points) == [
        "p.yml: tasks_from: plan (role vllm_server) has no entry point in roles/vllm_server/meta/argument_specs.yml: "
        "add argument_specs.plan with the options tasks/plan.yml reads",
        "p.yml: tasks_from: teardown.yml (role ray_cluster): ansible-core looks up the entry point 'teardown.yml', "
        "so its argument spec is never validated: write `tasks_from: teardown`",
    ]


def test_every_tasks_from_of_the_tree_has_an_entry_point():
    roles = sorted(d for d in glob.glob(os.path.join(ROOT, "roles", "*")) if os.path.isdir(d))
    assert cas.check_tasks_from(roles) == []


@pytest.fixture(name="role_copy")
def fixture_role_copy(tmp_path):
    """A copy of the real vllm_server role's defaults, specs, tasks, vars, handlers and templates."""
    dest = tmp_path / "vllm_server"
    for sub in ("defaults", "meta", "tasks", "vars", "handlers", "templates"):
        shutil.copytree(os.path.join(ROOT, "roles", "vllm_server", sub), dest / sub)
    return dest


def test_real_role_copy_agrees_then_a_changed_default_is_found(role_copy, capsys):
    assert cas.main([str(role_copy)]) == 0
    path = role_copy / "defaults" / "main.yml"
    text = path.read_text(encoding="utf-8")
    assert "\nvllm_server_port: 8000\n" in text
    path.write_text(text.replace("\nvllm_server_port: 8000\n", "\nvllm_server_port: 8080\n"), encoding="utf-8")
    capsys.readouterr()
    assert cas.main([str(role_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("vllm_server: option vllm_server_port (entry point main): argument_specs default 8000 "
                           "!= defaults/main.yml 8080: make them equal")
    assert out[-1] == "check_argument_specs: 1 role(s), 1 problem(s)"


def test_defaults_directory_and_missing_specs(role_copy):
    main_yml = role_copy / "defaults" / "main.yml"
    data = yaml.safe_load(main_yml.read_text(encoding="utf-8"))
    main_yml.unlink()
    (role_copy / "defaults" / "main").mkdir()
    keys = sorted(data)
    half = len(keys) // 2
    for part, names in (("10-a.yml", keys[:half]), ("20-b.yml", keys[half:])):
        (role_copy / "defaults" / "main" / part).write_text(
            yaml.safe_dump({k: data[k] for k in names}), encoding="utf-8")
    assert cas.check_role(str(role_copy)) == []
    (role_copy / "meta" / "argument_specs.yml").unlink()
    [msg] = cas.check_role(str(role_copy))
    assert msg.endswith("meta/argument_specs.yml is missing: every role documents its variables there")


def test_expression_names_reads_jinja_and_conditionals_only():
    data = [{"name": "Set r_name", "ansible.builtin.debug": {"msg": "r_text {{ r_a | default(r_b) }} and {% if r_c %}x{% endif %}"},
             "when": ["r_d | bool", "r_e"], "vars": {"fail_msg": "Set r_f: true"}}]
    assert cas.expression_names(data) & {"r_name", "r_text", "r_a", "r_b", "r_c", "r_d", "r_e", "r_f"} == {
        "r_a", "r_b", "r_c", "r_d", "r_e"}


def test_task_refs():
    data = [{"ansible.builtin.include_tasks": "a.yml"}, {"import_tasks": {"file": "b.yml"}},
            {"ansible.builtin.include_tasks": "server_{{ kind }}.yml"},
            {"block": [{"ansible.builtin.template": {"src": "x.j2", "dest": "/x"}, "notify": "Restart", "register": "r_out"}]},
            {"ansible.builtin.set_fact": {"r_fact": 1, "cacheable": True}}]
    includes, templates, handlers, sets = cas.task_refs(data)
    assert (sorted(includes), templates, handlers, sets) == (
        [("a.yml", {}), ("b.yml", {})], ["x.j2"], True, {"r_out", "r_fact"})


def test_task_refs_resolves_a_templated_include_from_the_vars_given_on_the_way():
    data = [{"ansible.builtin.include_tasks": "server_{{ kind }}.yml", "vars": {"other": "{{ x }}"}},
            {"ansible.builtin.include_tasks": "loop.yml", "vars": {"kind": "status"}}]
    assert sorted(cas.task_refs(data, {"kind": "plan"})[0]) == [
        ("loop.yml", {"kind": "status"}), ("server_plan.yml", {"kind": "plan"})]
    assert cas.task_refs(data)[0] == [("loop.yml", {"kind": "status"})]
    assert cas.resolve("a_{{ k }}_{{ j }}.yml", {"k": 1}) is None


def test_reads_problems():
    assert cas.reads_problems("stop", {"r_a", "r_b", "r_out"}, {"r_out"}, {"r_a": {}, "r_c": {}}) == [
        "entry point stop: tasks/stop.yml reads r_b, which is not one of its options: add it (`r_b: *r_b` when main has it)",
        "entry point stop: option r_c is not read by tasks/stop.yml (or what it includes): remove it",
    ]


def test_real_role_copy_entry_point_options_follow_what_the_task_file_reads(role_copy):
    assert cas.check_role(str(role_copy)) == []
    specs_path = role_copy / "meta" / "argument_specs.yml"
    text = specs_path.read_text(encoding="utf-8")
    # service reads vllm_server_journal_lines (only in its rescue) and not vllm_server_venv.
    assert "      vllm_server_journal_lines: *vllm_server_journal_lines\n" in text
    text = text.replace("      vllm_server_journal_lines: *vllm_server_journal_lines\n", "", 1)
    text = text.replace("      vllm_server_ready_delay: *vllm_server_ready_delay\n",
                        "      vllm_server_ready_delay: *vllm_server_ready_delay\n      vllm_server_venv: *vllm_server_venv\n", 1)
    specs_path.write_text(text, encoding="utf-8")
    problems = cas.check_role(str(role_copy))
    assert [p.split(": ", 1)[1] for p in problems] == [
        "entry point service: tasks/service.yml reads vllm_server_journal_lines, which is not one of its options: add it "
        "(`vllm_server_journal_lines: *vllm_server_journal_lines` when main has it)",
        "entry point service: option vllm_server_venv is not read by tasks/service.yml (or what it includes): remove it",
    ]
