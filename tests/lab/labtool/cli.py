"""The lab's commands (up, down, status, ssh, reboot, image-save, layer, inventory, wheelhouse, services, prereqs) and
their command line; tests/lab/lab runs main()."""

import argparse
import contextlib
import os
import signal
import shutil
import subprocess
import sys
import time

from . import __doc__ as LAB_DOC
from . import wheelhouse
from .hosts import (boot, container_pss_kib, host_running, host_state, inventory_yaml, ssh_argv, wait_ready, wait_stopped,
                    write_inventory, write_keys, write_known_hosts)
from .labs import (DEFAULT_RELEASE, RELEASES, all_labs, find_host, host_paths, host_release, host_specs, lab_dir, lab_lock,
                   load_lab, parse_hosts, pick_index, require_lab, save_lab)
from .net import LAB_NET, ensure_host_network, ensure_network, host_record, remove_host_network, remove_network
from .rootfs import HOST_OWN, build_base, changed_dirs, link_image, prepare_rootfs, resolve_image, save_image, unmount_root
from .services import services_down, services_line, services_ok, services_up
from .util import LabError, kill_tree, locked, log, run, which

PREREQS = {
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "nft": "nftables",
    "ip": "iproute2",
    "rsync": "rsync",
}
SHUTDOWN_GRACE = 30
STATUS_ROW = "  %-12s %-14s %-9s %-8s %-8s %-9s %s"


# ---------------------------------------------------------------- prerequisites

def missing_prereqs():
    return sorted({pkg for binary, pkg in PREREQS.items() if not which(binary)})


def ensure_root(why=""):
    if os.geteuid() != 0:
        raise LabError("lab must run as root" + why)


def ensure_prereqs(install):
    ensure_root(" (it creates network namespaces and containers): run it with sudo or as root")
    missing = missing_prereqs()
    if not missing:
        return
    if not install:
        raise LabError("missing on this machine: %s (install with: apt-get install -y %s, "
                       "or run 'lab prereqs --install' / 'make lab-prereqs')"
                       % (", ".join(missing), " ".join(missing)))
    log("lab: installing %s" % " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, env=env)


# ---------------------------------------------------------------- commands

def selected_labs(args):
    """The labs a command with --all acts on: every lab, or the one named (if it is up)."""
    return all_labs() if args.all else [lab for lab in [load_lab(args.name)] if lab]


def cmd_up(args):
    t0 = time.monotonic()
    ensure_prereqs(args.install)
    wanted = parse_hosts(args.count, args.hosts, args.name, args.release)
    with locked(lab_lock(args.name)):
        # Under the lab's own lock only: a release's first base build (minutes) keeps no other lab waiting.
        for release in sorted({release for _host, _groups, release in wanted}):
            build_base(release)
        lab = up_locked(args, wanted, t0)
        if lab is None:
            return 0
        wait_ready(lab, lab["hosts"])
        write_inventory(lab, args.inventory)
    log("lab %r: %d hosts up in %.1fs; inventory: %s"
        % (args.name, len(lab["hosts"]), time.monotonic() - t0, os.path.join(lab_dir(args.name), "inventory.yml")))
    for h in lab["hosts"]:
        log("  %-12s %-14s %-9s %s" % (h["name"], h["ip"], host_release(h), ",".join(h["groups"])))
    return 0


def up_locked(args, wanted, t0):
    """Under the machine-wide lock (labs' indexes, networks, shared services): record the lab, build its
    network and roots, boot what is not running. The lab, or None when it was up already."""
    image = resolve_image(args.image) if args.image else None
    with locked():
        lab = load_lab(args.name)
        if lab:
            have = host_specs(lab["hosts"])
            if have != wanted or lab.get("image") != image:
                raise LabError("lab %r exists with other hosts (%s, image %s); run 'lab down --name %s' first"
                               % (args.name, ", ".join("%s@%s" % (host, release) for host, _groups, release in have),
                                  lab.get("image"), args.name))
            if all(host_running(h) for h in lab["hosts"]) and services_ok():
                wait_ready(lab, lab["hosts"], 30)
                write_inventory(lab, args.inventory)
                log("lab %r: already up (%d hosts), nothing to do (%.1fs)"
                    % (args.name, len(lab["hosts"]), time.monotonic() - t0))
                return None
        else:
            index = pick_index(args.name)
            lab = {"name": args.name, "index": index, "created": time.time(), "image": image,
                   "hosts": [host_record(args.name, index, pos, host, groups, release)
                             for pos, (host, groups, release) in enumerate(wanted, start=1)]}
            save_lab(lab)
        services_up()
        ensure_network(lab)
        pubkey = write_keys(lab)
        for h in lab["hosts"]:
            ensure_host_network(lab, h)
            prepare_rootfs(lab, h, pubkey)
            if not host_running(h):
                boot(lab, h)
        save_lab(lab)
        write_known_hosts(lab)
    return lab


def power_off_late(hosts, grace, why):
    """Wait up to grace seconds for the hosts (already told to shut down) to stop; power off (SIGKILL the
    container's processes) the ones still running, saying why. Whether all of them stopped."""
    if wait_stopped(hosts, grace):
        return True
    for h in hosts:
        if host_running(h):
            log("host %s: still shutting down after %d s; powering it off (%s)" % (h["name"], grace, why))
            kill_tree(h["pid"])
    return wait_stopped(hosts, grace)


def stop_hosts(hosts, grace=10):
    """Shut the hosts down at the same time (SIGTERM: systemd-nspawn shuts its host down); the ones still
    running after grace seconds are powered off (a lab being removed keeps nothing of its hosts)."""
    running = [h for h in hosts if host_running(h)]
    for h in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(h["pid"], signal.SIGTERM)
    power_off_late(running, grace, "the lab is being removed")


def teardown(lab):
    """Stop the lab's hosts (under its own lock only: other labs go on), then remove its roots, network and
    state under the machine-wide lock."""
    with locked(lab_lock(lab["name"])):
        stop_hosts(lab["hosts"])
        with locked():
            for h in lab["hosts"]:
                unmount_root(lab, h)
                remove_host_network(h)
            remove_network(lab)
            shutil.rmtree(lab_dir(lab["name"]), ignore_errors=True)


def cmd_down(args):
    t0 = time.monotonic()
    ensure_root()
    labs = selected_labs(args)
    for lab in labs:
        teardown(lab)
        log("lab %r: removed %d hosts" % (lab["name"], len(lab["hosts"])))
    with locked():
        if not all_labs():
            services_down()
    if not labs:
        log("lab %r: not up, nothing to do" % args.name)
    log("lab down: %.1fs" % (time.monotonic() - t0))
    return 0


def cmd_status(args):
    labs = selected_labs(args)
    if not labs:
        log("lab %r: not up" % args.name)
        return 0 if not args.check else 1
    log(services_line())
    bad = 0
    for lab in labs:
        log("lab %r (%s):" % (lab["name"], LAB_NET.format(index=lab["index"])))
        log(STATUS_ROW % ("HOST", "IP", "RELEASE", "PID", "STATE", "MEM(MiB)", "GROUPS"))
        for h in lab["hosts"]:
            state = host_state(h)
            bad += state != "running"
            pss = container_pss_kib(h["pid"]) if state != "stopped" else None
            mem = "%.0f" % (pss / 1024) if pss else "-"
            log(STATUS_ROW % (h["name"], h["ip"], host_release(h), h["pid"] or "-", state, mem, ",".join(h["groups"])))
    return 1 if (bad and args.check) else 0


def cmd_ssh(args):
    lab = require_lab(args.name)
    h = find_host(lab, args.host)
    argv = ssh_argv(lab, h["ip"], args.command)
    os.execvp(argv[0], argv)


def cmd_reboot(args):
    """Reboot hosts as a real machine reboots: `systemctl reboot` inside each (systemd stops its units in
    order; systemd-nspawn then exits), then each boots again from the same root: its /etc, /var and
    enabled units are kept, its processes are new. Hosts given together reboot at the same time."""
    t0 = time.monotonic()
    with locked(lab_lock(args.name)):
        lab = require_lab(args.name)
        hosts = [find_host(lab, name) for name in args.hosts]
        for h in hosts:
            # ssh returns when the connection drops (rc 255) or once the reboot job is queued (0)
            subprocess.run(ssh_argv(lab, h["ip"], ["systemctl", "reboot"]), capture_output=True, timeout=60, check=False)
        # systemd inside a lab host cannot always kill a unit's cgroup ("Input/output error" from the nested
        # cgroup): orphans of a killed raylet then hold its shutdown. Power it off instead.
        if not power_off_late(hosts, SHUTDOWN_GRACE, "a unit's orphans can hold a shutdown"):
            raise LabError("hosts still running after being powered off: %s"
                           % ", ".join(h["name"] for h in hosts if host_running(h)))
        for h in hosts:
            boot(lab, h)
        save_lab(lab)
        wait_ready(lab, hosts)
    log("lab %r: rebooted %s in %.1fs" % (args.name, ", ".join(h["name"] for h in hosts), time.monotonic() - t0))
    return 0


def cmd_layer(args):
    """Boot every host of a lab again with an image layered above its base (what `up --image` gives a new lab):
    each host keeps its own files (its overlay), its processes are new."""
    t0 = time.monotonic()
    image = resolve_image(args.image)
    with locked(lab_lock(args.name)):
        lab = require_lab(args.name)
        stop_hosts(lab["hosts"], SHUTDOWN_GRACE)
        with locked():
            lab["image"] = image
            pubkey = write_keys(lab)
            for h in lab["hosts"]:
                unmount_root(lab, h)
                prepare_rootfs(lab, h, pubkey)
                boot(lab, h)
            save_lab(lab)
        wait_ready(lab, lab["hosts"])
    log("lab %r: %d hosts booted again with image %s in %.1fs" % (args.name, len(lab["hosts"]), image, time.monotonic() - t0))
    return 0


def cmd_image_save(args):
    """Save directories of a running lab host, or with --changes what it changed over its base (its overlay's upper
    directory) but its own identity and run-time state (rootfs.HOST_OWN), as an image (rootfs.save_image); --link
    points a name at it."""
    ensure_root()
    if bool(args.paths) == args.changes:
        raise LabError("image-save: name the directories to save, or give --changes (not both)")
    lab = require_lab(args.name)
    h = find_host(lab, args.host)
    keep = {other["image"] for other in all_labs() if other.get("image")}
    if args.changes:
        upper = host_paths(lab, h)["upper"]
        target = save_image(upper, changed_dirs(upper), args.image, keep, exclude=HOST_OWN)
    else:
        target = save_image(host_paths(lab, h)["root"], args.paths, args.image, keep)
    if args.link:
        link_image(args.link, args.image)
    log("lab: image %s saved from %s (%s)%s" % (args.image, h["name"], target,
                                                "; %s points at it" % args.link if args.link else ""))
    return 0


def cmd_inventory(args):
    sys.stdout.write(inventory_yaml(require_lab(args.name)))
    return 0


def cmd_wheelhouse(args):
    wheelhouse.fill(args.python, args.requirements, args.requirement or [], args.force, args.release)
    return 0


def cmd_services(args):
    if args.action == "up":
        ensure_prereqs(args.install)
        with locked():
            services_up()
    elif args.action == "down":
        with locked():
            if all_labs():
                raise LabError("labs are still up (%s): 'lab down --all' first"
                               % ", ".join(lab["name"] for lab in all_labs()))
            services_down()
    log(services_line())
    return 0


def cmd_prereqs(args):
    ensure_prereqs(args.install)
    log("lab prerequisites: all present (%s)" % ", ".join(sorted(PREREQS)))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="lab", description=LAB_DOC.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--name", default=os.environ.get("LLMOPS_LAB_NAME", "lab"),
                        help="lab name (several labs can coexist); default: $LLMOPS_LAB_NAME or 'lab'")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up", help="create and boot hosts (idempotent)")
    p.add_argument("count", type=int, nargs="?")
    p.add_argument("--hosts", help="NAME[@RELEASE][=GROUP+GROUP],... instead of N")
    p.add_argument("--release", default=DEFAULT_RELEASE, choices=sorted(RELEASES),
                   help="Debian release of the hosts whose spec names none (default: %(default)s)")
    p.add_argument("--inventory", help="also write the inventory to this path")
    p.add_argument("--install", action="store_true", help="apt-get install missing prerequisites")
    p.add_argument("--image", help="an overlay layer of saved files above the base of every host (see image-save)")
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="remove the lab and everything it created")
    p.add_argument("--all", action="store_true", help="every lab on this machine")
    p.set_defaults(func=cmd_down)
    p = sub.add_parser("status", help="show hosts")
    p.add_argument("--all", action="store_true")
    p.add_argument("--check", action="store_true", help="exit 1 unless every host is running")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("ssh", help="ssh into a host")
    p.add_argument("host")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_ssh)
    p = sub.add_parser("reboot", help="reboot hosts (systemctl reboot inside, then boot them again)")
    p.add_argument("hosts", nargs="+")
    p.set_defaults(func=cmd_reboot)
    p = sub.add_parser("image-save", help="save directories of a host as an image other labs can boot with")
    p.add_argument("host")
    p.add_argument("paths", nargs="*", help="absolute directories on the host")
    p.add_argument("--changes", action="store_true",
                   help="save what the host changed over its base instead (not its identity, logs or run-time state)")
    p.add_argument("--as", dest="image", required=True, help="the image's name")
    p.add_argument("--link", help="also point this name at the image (what 'up --image' is given)")
    p.set_defaults(func=cmd_image_save)
    p = sub.add_parser("layer", help="boot every host again with a saved image above its base (keeping its own files)")
    p.add_argument("image")
    p.set_defaults(func=cmd_layer)
    p = sub.add_parser("inventory", help="print the Ansible inventory")
    p.set_defaults(func=cmd_inventory)
    p = sub.add_parser("wheelhouse", help="fill the lab's package index")
    p.add_argument("requirements", nargs="*")
    p.add_argument("-r", "--requirement", action="append")
    p.add_argument("--python", default=sys.executable,
                   help="interpreter whose pip downloads for %s hosts (default: this one; use a Python %s)"
                   % (DEFAULT_RELEASE, RELEASES[DEFAULT_RELEASE]))
    p.add_argument("--release", action="append", choices=sorted(RELEASES),
                   help="fill for the Python of this release's hosts only (repeatable; default: every release)")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_wheelhouse)
    p = sub.add_parser("services", help="the apt proxy and the package index")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--install", action="store_true")
    p.set_defaults(func=cmd_services)
    p = sub.add_parser("prereqs", help="check what the lab needs")
    p.add_argument("--install", action="store_true")
    p.set_defaults(func=cmd_prereqs)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LabError as exc:
        print("lab: error: %s" % exc, file=sys.stderr)
        return 2
