# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that every role's meta/argument_specs.yml agrees with its defaults (make argspecs).

For each role under roles/ (or the role directories given on the command line):

- every variable in defaults/main.yml (or defaults/main/*.yml) is an option of an entry point,
  with the same default value and a type that value satisfies;
- every option that declares a default has that variable in defaults, with that value;
- an option's default is one of its choices, and a list default matches its elements type;
- a string option whose name says it is a secret (api_key, token, password, secret, passphrase; not a
  *_file or *_path naming where one is kept) sets ``no_log: true``.

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


def compare(defaults, specs):
    """Compare one role's defaults (dict) with its ``argument_specs`` (dict of entry points).

    Returns a list of problem strings, empty when they agree. Pure: reads no files.
    """
    problems = []
    options = {}  # name -> (entry point, option spec); the first entry point that has it
    for entry, spec in sorted((specs or {}).items()):
        for name, opt in sorted(((spec or {}).get("options") or {}).items()):
            options.setdefault(name, (entry, opt or {}))
            problems.extend(_option_problems(name, entry, opt or {}, defaults))

    for name in sorted(defaults):
        if name not in options:
            problems.append(
                "default %s = %r has no option in meta/argument_specs.yml: add it under "
                "argument_specs.main.options with default %r" % (name, defaults[name], defaults[name]))
            continue
        entry, opt = options[name]
        if "default" not in opt:
            problems.append(
                "option %s (entry point %s) declares no default, but defaults/main.yml sets %r: "
                "add `default: %r` to the option" % (name, entry, defaults[name], defaults[name]))
    return problems


def _option_problems(name, entry, opt, defaults):
    problems = []
    where = "option %s (entry point %s)" % (name, entry)
    opt_type = opt.get("type", "str")
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
    return ["%s: %s" % (rel, p) for p in compare(defaults, specs)]


def main(argv):
    roles = argv or sorted(d for d in glob.glob(os.path.join(ROOT, "roles", "*")) if os.path.isdir(d))
    if not roles:
        print("check_argument_specs: no roles found under %s/roles" % ROOT)
        return 1
    problems = []
    for role_dir in roles:
        problems.extend(check_role(os.path.abspath(role_dir)))
    for line in problems:
        print(line)
    print("check_argument_specs: %d role(s), %d problem(s)" % (len(roles), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
