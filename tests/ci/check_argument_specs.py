# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that every role's meta/argument_specs.yml agrees with its defaults (make argspecs).

For each role under roles/ (or the role directories given on the command line):

- every variable in defaults/main.yml (or defaults/main/*.yml) is an option of an entry point,
  with the same default value and a type that value satisfies;
- every option that declares a default has that variable in defaults, with that value;
- an option's default is one of its choices, and a list default matches its elements type;
- a string option whose name says it is a secret (api_key, token, password, secret, passphrase; not a
  *_file or *_path naming where one is kept) sets ``no_log: true``;
- every entry point has a short_description, and every entry point other than ``main`` has its task
  file tasks/<name>.yml (ansible-core validates the spec of ``tasks_from: <name>`` before that file runs);
- an option that ``main`` also has is defined the same way in every other entry point (type, elements,
  default, choices, no_log): share main's definition with a YAML anchor;
- an entry point's options are the role variables (``<role>_*``) its task file reads, through the files
  it includes, the templates it renders, the handlers it notifies or flushes and the role's vars/main.yml
  (names it registers or sets are its output, not options); Jinja is read from ``{{ }}``/``{% %}`` and
  from conditionals (when, that, until, failed_when, changed_when), so plain text naming a variable is no read;
- run on the whole tree (no arguments): every ``tasks_from`` of a role of this collection in roles/,
  playbooks/ and site.yml names an entry point of its spec, without ``.yml`` (ansible-core looks the spec
  up by the literal ``tasks_from`` value, so ``tasks_from: status.yml`` is never validated).

AWX/Automation Controller and ``ansible-doc -t role`` show the spec, the play uses the defaults:
they must say the same thing. Prints one line per problem naming the file and the fix; exits 1
when any was found. Needs PyYAML only (in the project venv).

Usage: python tests/ci/check_argument_specs.py [ROLE_DIR ...]
"""

from __future__ import annotations

import glob
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Ansible's argument spec types and the Python types of YAML values that satisfy them without
# conversion. bool is not an int here (YAML `true` for an `int` option is a mistake).
_TYPES = {
    "str": (str,),
    "path": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "list": (list,),
    "dict": (dict,),
}
# Types whose values are not checked (anything goes, or the value is a string in another form).
_UNCHECKED = {"raw", "jsonarg", "json", "bytes", "bits"}
# Option names that hold a secret value (a *_file / *_path / *_dir option only says where one is).
_SECRET = re.compile(r"(api_key|token|password|passwd|secret|passphrase)(?!.*_(file|path|dir)$)")


def type_problem(opt_type, value):
    """Return why ``value`` does not satisfy argument spec type ``opt_type``, or None."""
    if value is None or opt_type in _UNCHECKED:
        return None
    if isinstance(value, str) and "{{" in value:
        return None  # a template: its type is known only at run time
    allowed = _TYPES.get(opt_type)
    if allowed is None:
        return "unknown type %r" % opt_type
    if isinstance(value, bool) and bool not in allowed:
        return "a bool (%r) is not of type %s" % (value, opt_type)
    if not isinstance(value, allowed):
        return "%r is a %s, not of type %s" % (value, _yaml_kind(value), opt_type)
    return None


def _yaml_kind(value):
    return {bool: "bool", int: "int", float: "float", str: "string", list: "list",
            dict: "dict"}.get(type(value), type(value).__name__)


def _same(a, b):
    """YAML-level equality: 10 == 10.0 for numbers, but True != 1 and "1" != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# What an entry point's option must share with main's option of the same name.
_SHARED_KEYS = ("type", "elements", "default", "choices", "no_log")


def compare(defaults, specs, task_files=None):
    """Compare one role's defaults (dict) with its ``argument_specs`` (dict of entry points).

    ``task_files``: names of the role's tasks/ files without extension, to check that every entry
    point other than main has one; None skips that check. Returns a list of problem strings, empty
    when they agree. Pure: reads no files.
    """
    problems = []
    options = set()
    main_options = ((specs or {}).get("main") or {}).get("options") or {}
    for entry, spec in sorted((specs or {}).items()):
        spec = spec or {}
        problems.extend(_entry_problems(entry, spec, task_files))
        for name, opt in sorted((spec.get("options") or {}).items()):
            options.add(name)
            if entry != "main" and name in main_options:
                # Checked as main's option; here it only has to say the same (one problem, not one per entry point).
                problems.extend(_shared_problems(name, entry, opt or {}, main_options[name] or {}))
            else:
                problems.extend(_option_problems(name, entry, opt or {}, defaults))

    for name in sorted(defaults):
        if name not in options:
            problems.append(
                "default %s = %r has no option in meta/argument_specs.yml: add it under "
                "argument_specs.main.options with default %r" % (name, defaults[name], defaults[name]))
    return problems


def _entry_problems(entry, spec, task_files):
    problems = []
    if not spec.get("short_description"):
        problems.append("entry point %s has no short_description: add one (ansible-doc -t role -l lists it)" % entry)
    if entry != "main" and task_files is not None and entry not in task_files:
        problems.append(
            "entry point %s has no tasks/%s.yml: name the entry point after the task file that "
            "`tasks_from` includes, or remove it" % (entry, entry))
    return problems


def _shared_problems(name, entry, opt, main_opt):
    """An entry point's option must say what main's option of the same name says."""
    differ = [key for key in _SHARED_KEYS
              if (key in opt) != (key in main_opt) or (key in opt and not _same(opt[key], main_opt[key]))]
    if not differ:
        return []
    return ["option %s (entry point %s) differs from entry point main in %s: use main's definition "
            "(an anchor `%s: &%s` under main, `%s: *%s` here)"
            % (name, entry, ", ".join(differ), name, name, name, name)]


def _option_problems(name, entry, opt, defaults):
    problems = []
    where = "option %s (entry point %s)" % (name, entry)
    opt_type = opt.get("type", "str")
    if "default" not in opt and name in defaults:
        problems.append(
            "%s declares no default, but defaults/main.yml sets %r: add `default: %r` to the option"
            % (where, defaults[name], defaults[name]))
    if "default" in opt:
        default = opt["default"]
        if name not in defaults:
            problems.append(
                "%s has default %r but defaults/main.yml has no %s: add `%s: %s` there "
                "(or drop the option's default)" % (where, default, name, name, _yaml_inline(default)))
        elif not _same(default, defaults[name]):
            problems.append(
                "%s: argument_specs default %r != defaults/main.yml %r: make them equal"
                % (where, default, defaults[name]))
        why = type_problem(opt_type, default)
        if why:
            problems.append("%s: default %s: fix the default or the type" % (where, why))
        elif opt_type == "list" and isinstance(default, list) and opt.get("elements"):
            for item in default:
                why = type_problem(opt["elements"], item)
                if why:
                    problems.append("%s: list item %s (elements: %s)" % (where, why, opt["elements"]))
        choices = opt.get("choices")
        if choices is not None and default is not None and not any(_same(default, c) for c in choices):
            problems.append("%s: default %r is not one of its choices %r" % (where, default, choices))
    if opt_type in ("str", "raw") and _SECRET.search(name) and opt.get("no_log") is not True:
        problems.append("%s holds a secret: add `no_log: true` to the option" % where)
    if name in defaults:
        why = type_problem(opt_type, defaults[name])
        if why:
            problems.append("defaults/main.yml %s: %s (argument_specs type)" % (name, why))
    return problems


def _yaml_inline(value):
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def load_defaults(role_dir):
    """Variables of defaults/main.yml, or of every defaults/main/*.yml merged in name order."""
    files = [os.path.join(role_dir, "defaults", "main.yml")]
    if not os.path.isfile(files[0]):
        files = sorted(glob.glob(os.path.join(role_dir, "defaults", "main", "*.yml")))
    merged = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        if not isinstance(data, dict):
            raise ValueError("%s: not a mapping of variables" % path)
        merged.update(data)
    return merged


def load_specs(role_dir):
    """The ``argument_specs`` mapping of meta/argument_specs.yml, or None when the file is missing."""
    path = os.path.join(role_dir, "meta", "argument_specs.yml")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    specs = data.get("argument_specs") if isinstance(data, dict) else None
    if not isinstance(specs, dict):
        raise ValueError("%s: no argument_specs mapping" % path)
    return specs


def load_task_files(role_dir):
    """Names (without .yml/.yaml) of the files directly under the role's tasks/."""
    return {os.path.splitext(os.path.basename(path))[0]
            for ext in ("yml", "yaml") for path in glob.glob(os.path.join(role_dir, "tasks", "*." + ext))}


_CONDITIONALS = {"when", "that", "until", "failed_when", "changed_when"}
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# A name after a dot is an attribute or a plugin's name (llmops.ray_vllm.vllm_server_plan), not a variable.
_NAME = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*")
_INCLUDE_TASKS = {"include_tasks", "import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks"}
_TEMPLATE = {"template", "ansible.builtin.template"}
_SET_FACT = {"set_fact", "ansible.builtin.set_fact"}
_META = {"meta", "ansible.builtin.meta"}


def expression_names(data, key=None):
    """Names in the Jinja of YAML data: the {{ }} and {% %} parts of strings, conditionals (when, that, ...) whole."""
    names = set()
    if isinstance(data, dict):
        for sub_key, value in data.items():
            names |= expression_names(value, sub_key)
    elif isinstance(data, list):
        for item in data:
            names |= expression_names(item, key)
    elif isinstance(data, str):
        for part in [data] if key in _CONDITIONALS else _JINJA.findall(data):
            names.update(_NAME.findall(part))
    return names


_SIMPLE_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def resolve(target, known):
    """An include's file name with each ``{{ name }}`` of ``known`` (literal vars given on the way) put in; None
    while any other Jinja is left."""
    out = _SIMPLE_VAR.sub(lambda m: str(known[m.group(1)]) if m.group(1) in known else m.group(0), target)
    return None if "{{" in out else out


def task_refs(data, known=None):
    """What task data pulls in: (include_tasks/import_tasks files - literal, or templated with ``{{ name }}`` parts
    that ``known`` or the include's own literal ``vars`` give -, each with the literal vars known there, literal
    template srcs, whether it notifies or flushes handlers, names it registers or sets as facts). Pure."""
    known = dict(known or {})
    includes, templates, handlers, sets = [], [], False, set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in _INCLUDE_TASKS:
                target = value.get("file") if isinstance(value, dict) else value
                given = dict(known, **dict((k, v) for k, v in (node.get("vars") or {}).items()
                                           if isinstance(v, str) and "{{" not in v))
                target = resolve(target, given) if isinstance(target, str) else None
                if target:
                    includes.append((target, given))
            elif key in _TEMPLATE and isinstance(value, dict) and "{{" not in str(value.get("src", "{{")):
                templates.append(value["src"])
            elif key == "notify" or (key in _META and value == "flush_handlers"):
                handlers = True
            elif key == "register" and isinstance(value, str):
                sets.add(value)
            elif key in _SET_FACT and isinstance(value, dict):
                sets |= set(value) - {"cacheable"}
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return includes, templates, handlers, sets


def entry_point_reads(role_dir, entry, prefix):
    """Variables named ``prefix*`` that tasks/<entry>.yml reads, through what it includes, the templates it
    renders, the role's handlers when it notifies or flushes them, and the role's vars/main.yml; and the
    names it sets (register, set_fact)."""
    vars_path = os.path.join(role_dir, "vars", "main.yml")
    role_vars = {}
    if os.path.isfile(vars_path):
        with open(vars_path, encoding="utf-8") as handle:
            role_vars = yaml.load(handle, Loader=_AnyTagLoader) or {}
    names, sets, seen = set(), set(), set()
    queue = [(os.path.join(role_dir, "tasks", entry + ".yml"), {})]
    while queue:
        path, known = queue.pop()
        key = (path, tuple(sorted(known.items())))
        if key in seen or not os.path.isfile(path):
            continue
        seen.add(key)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if path.endswith(".j2"):
            names |= expression_names(text)
            continue
        data = yaml.load(text, Loader=_AnyTagLoader)
        names |= expression_names(data)
        includes, templates, handlers, set_here = task_refs(data, known)
        sets |= set_here
        queue.extend((os.path.join(os.path.dirname(path), inc), given) for inc, given in includes)
        queue.extend((os.path.join(role_dir, "templates", src), {}) for src in templates)
        if handlers:
            queue.append((os.path.join(role_dir, "handlers", "main.yml"), {}))
    todo, done = list(names), set()
    while todo:  # role vars are templates evaluated where used: what they read is read too
        name = todo.pop()
        if name in role_vars and name not in done:
            done.add(name)
            more = expression_names(role_vars[name])
            names |= more
            todo.extend(more)
    return {n for n in names if n.startswith(prefix)}, sets


def reads_problems(entry, reads, sets, options):
    """An entry point lists exactly the role variables its task file reads (set ones are its output). Pure."""
    problems = []
    for name in sorted(reads - set(options) - sets):
        problems.append("entry point %s: tasks/%s.yml reads %s, which is not one of its options: add it "
                        "(`%s: *%s` when main has it)" % (entry, entry, name, name, name))
    for name in sorted(set(options) - reads):
        problems.append("entry point %s: option %s is not read by tasks/%s.yml (or what it includes): remove it"
                        % (entry, name, entry))
    return problems


def check_role(role_dir):
    """Problems of one role directory, each prefixed with the role's path."""
    rel = os.path.relpath(role_dir, ROOT)
    try:
        specs = load_specs(role_dir)
        defaults = load_defaults(role_dir)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return ["%s: %s" % (rel, exc)]
    if specs is None:
        return ["%s: meta/argument_specs.yml is missing: every role documents its variables there" % rel]
    task_files = load_task_files(role_dir)
    problems = compare(defaults, specs, task_files)
    prefix = os.path.basename(role_dir) + "_"
    for entry, spec in sorted(specs.items()):
        if entry != "main" and entry in task_files:
            try:
                reads, sets = entry_point_reads(role_dir, entry, prefix)
            except (OSError, yaml.YAMLError) as exc:
                problems.append("entry point %s: cannot read its task files: %s" % (entry, exc))
                continue
            problems.extend(reads_problems(entry, reads, sets, (spec or {}).get("options") or {}))
    return ["%s: %s" % (rel, p) for p in problems]


_ROLE_ACTIONS = {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role",
                 "ansible.legacy.include_role", "ansible.legacy.import_role"}


def tasks_from_uses(data, collection="llmops.ray_vllm"):
    """``(role, tasks_from)`` of every include_role/import_role with a literal ``tasks_from`` in YAML data.

    ``role`` is the short name of a role of ``collection`` (FQCN or a bare name); roles of other
    collections and templated values are left out. Pure.
    """
    uses = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in _ROLE_ACTIONS and isinstance(value, dict):
                    name, entry = value.get("name", value.get("role")), value.get("tasks_from")
                    if isinstance(name, str) and isinstance(entry, str) and "{{" not in name + entry:
                        prefix, short = name.rpartition(".")[::2]
                        if prefix in ("", collection):
                            uses.append((short, entry))
                elif isinstance(value, (dict, list)):
                    stack.append(value)
    return uses


def tasks_from_problems(where, uses, entry_points):
    """Problems of ``uses`` (from tasks_from_uses) in file ``where``; entry_points: role -> set of names."""
    problems = []
    for role, entry in uses:
        if role not in entry_points:
            continue  # not a role of this tree (checked elsewhere if it is one)
        stem, ext = os.path.splitext(entry)
        if ext in (".yml", ".yaml"):
            problems.append(
                "%s: tasks_from: %s (role %s): ansible-core looks up the entry point %r, so its argument spec is "
                "never validated: write `tasks_from: %s`" % (where, entry, role, entry, stem))
        elif entry not in entry_points[role]:
            problems.append(
                "%s: tasks_from: %s (role %s) has no entry point in roles/%s/meta/argument_specs.yml: add "
                "argument_specs.%s with the options tasks/%s.yml reads" % (where, entry, role, role, entry, entry))
    return problems


class _AnyTagLoader(yaml.SafeLoader):
    """SafeLoader that reads !vault, !unsafe and other local tags as plain strings."""


def _any_tag(loader, _suffix, node):
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_AnyTagLoader.add_multi_constructor("!", _any_tag)


def check_tasks_from(role_dirs):
    """tasks_from problems of roles/, playbooks/ and site.yml against the entry points of ``role_dirs``."""
    entry_points = {}
    for role_dir in role_dirs:
        try:
            entry_points[os.path.basename(role_dir)] = set(load_specs(role_dir) or {})
        except (OSError, ValueError, yaml.YAMLError):
            continue  # reported by check_role
    paths = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "**", "*.y*ml"), recursive=True)
                   + glob.glob(os.path.join(ROOT, "roles", "*", "handlers", "**", "*.y*ml"), recursive=True)
                   + glob.glob(os.path.join(ROOT, "playbooks", "**", "*.y*ml"), recursive=True)
                   + glob.glob(os.path.join(ROOT, "site.yml")))
    problems = []
    for path in paths:
        rel = os.path.relpath(path, ROOT)
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.load(handle, Loader=_AnyTagLoader)  # a SafeLoader
        except (OSError, yaml.YAMLError) as exc:
            problems.append("%s: cannot read it: %s" % (rel, exc))
            continue
        problems.extend(tasks_from_problems(rel, tasks_from_uses(data), entry_points))
    return problems


def main(argv):
    roles = argv or sorted(d for d in glob.glob(os.path.join(ROOT, "roles", "*")) if os.path.isdir(d))
    if not roles:
        print("check_argument_specs: no roles found under %s/roles" % ROOT)
        return 1
    problems = []
    for role_dir in roles:
        problems.extend(check_role(os.path.abspath(role_dir)))
    if not argv:
        problems.extend(check_tasks_from([os.path.abspath(d) for d in roles]))
    for line in problems:
        print(line)
    print("check_argument_specs: %d role(s), %d problem(s)" % (len(roles), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
