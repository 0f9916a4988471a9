"""Root filesystems: a Debian base per release (labs.RELEASES), built once per machine with debootstrap and
cached, and each host's on-disk overlay over its release's base with the files that make the host itself.

An image is a directory tree saved from a lab host (``lab image-save``: given directories, or with ``--changes``
everything the host changed over its base but what makes it that host, e.g. the OS packages and the venv site.yml
installs, see tests/ci/venv_image.py) and cached like the base: a lab booted with ``up --image NAME`` has it as an
overlay layer above the base, so its hosts start with those files (each host's writes still go to its own overlay)."""

import contextlib
import os
import shutil
import time
import uuid

from .labs import DEFAULT_RELEASE, check_release, host_paths, host_release
from .services import apt_proxy_url
from .util import CACHE, LabError, locked, log, run, write

MIRROR = "http://deb.debian.org/debian"
# Bump when the base recipe changes: a new version builds a new cached rootfs (of every release).
BASE_VERSION = "3"
BASE_PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "python3-apt",
    "iproute2", "iputils-ping", "ca-certificates", "procps", "sudo", "netbase", "curl",
    "less", "kmod",
]
# Timers that would run apt in the background and hold the dpkg lock during tests; and Debian 13's tmpfs on /tmp (half
# the RAM): a lab host keeps its /tmp on disk like the rest of it (see hosts.nspawn_env; a Debian 12 base has no
# tmp.mount to mask).
MASKED_UNITS = ["apt-daily.timer", "apt-daily-upgrade.timer", "apt-daily.service",
                "apt-daily-upgrade.service", "e2scrub_all.timer", "fstrim.timer", "tmp.mount"]
SHARED_MOUNT = "/mnt/models"
# What a host's own overlay holds that makes it that host (prepare_rootfs writes it for each host) or that is its
# run-time state: left out of an image saved from the host's changes (``image-save --changes``).
HOST_OWN = ("etc/hostname", "etc/machine-id", "etc/hosts", "etc/ssh/ssh_host_ed25519_key",
            "etc/ssh/ssh_host_ed25519_key.pub", "etc/apt/apt.conf.d/01lab-proxy", "root/.ssh", SHARED_MOUNT.strip("/"),
            "run", "tmp", "var/tmp", "var/log", "var/cache/apt", "var/lib/systemd")


def base_dir(release=DEFAULT_RELEASE):
    """The cached base rootfs of a release: <cache>/rootfs/<suite>-v<version>. Pure."""
    return os.path.join(CACHE, "rootfs", "%s-v%s" % (check_release(release), BASE_VERSION))


def base_lock(release):
    """The name of the lock under which a release's base is built (one per release: a machine builds each once,
    and building one keeps no other lab waiting). Pure."""
    return "base-" + check_release(release)


def apt_sources(release):
    """/etc/apt/sources.list of a release's hosts (through the lab's apt proxy, see prepare_rootfs). Pure."""
    return ("deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n"
            % (MIRROR, release, MIRROR, release, release))


def image_dir(name):
    """A saved image: <cache>/images/<name>. Pure."""
    if not name or "/" in name or name.startswith("."):
        raise LabError("bad image name %r: a plain directory name" % name)
    return os.path.join(CACHE, "images", name)


def image_ready(name):
    return os.path.exists(os.path.join(image_dir(name), ".lab-image-complete"))


def resolve_image(name):
    """The image a lab boots with: the name of a ready image (a link name such as 'lab-venv' resolves to the image
    it points at, so a lab keeps the layer it booted with when the link moves); a LabError naming how to build it."""
    if not image_ready(name):
        raise LabError("image %r is not built (%s): build it first (make venv-image)" % (name, image_dir(name)))
    return os.path.basename(os.path.realpath(image_dir(name)))


def lower_dirs(lab, h):
    """The overlay lowerdir option of host h: its lab's image (if any) above its release's base. Pure."""
    dirs = [image_dir(lab["image"])] if lab.get("image") else []
    return ":".join(dirs + [base_dir(host_release(h))])


def changed_dirs(upper):
    """The top-level directories of a host's overlay upper directory (what it changed over its base), as the
    absolute paths save_image takes."""
    return ["/" + e for e in sorted(os.listdir(upper)) if os.path.isdir(os.path.join(upper, e))]


def save_image(root, paths, name, keep=(), exclude=()):
    """Copy paths (absolute, inside the host root directory root) into the image name, leaving out the relative
    paths exclude, replacing the image whole; remove the other saved images except those named in keep (images labs
    still run on). The image's directory."""
    target = image_dir(name)
    with locked("image-" + name):
        tmp = target + ".build"
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.monotonic()
        for path in paths:
            src = os.path.join(root, path.strip("/"))
            if not os.path.isdir(src):
                raise LabError("cannot save %s: no such directory on the host" % path)
            os.makedirs(os.path.dirname(os.path.join(tmp, path.strip("/"))), exist_ok=True)
            run(["cp", "-a", "--reflink=auto", src, os.path.join(tmp, path.strip("/"))])
        for rel in exclude:
            left_out = os.path.join(tmp, rel)
            if os.path.isdir(left_out) and not os.path.islink(left_out):
                shutil.rmtree(left_out)
            elif os.path.lexists(left_out):
                os.unlink(left_out)
        write(os.path.join(tmp, ".lab-image-complete"), "saved %s in %.0fs\n" % (" ".join(paths), time.monotonic() - t0))
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    top = os.path.dirname(target)
    for other in os.listdir(top):
        if other not in keep and other != name and not other.endswith(".build") and not os.path.islink(os.path.join(top, other)):
            shutil.rmtree(os.path.join(top, other), ignore_errors=True)
    return target


def link_image(link, name):
    """Point the image name link at the image name (atomically)."""
    tmp = image_dir(link) + ".new"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(name, tmp)
    os.replace(tmp, image_dir(link))


def base_ready(release):
    return os.path.exists(os.path.join(base_dir(release), ".lab-base-complete"))


def build_base(release=DEFAULT_RELEASE):
    """Build a release's cached Debian rootfs once (debootstrap), reuse it afterwards. Whether it built one."""
    target = base_dir(release)
    if base_ready(release):
        return False
    with locked(base_lock(release)):
        if base_ready(release):
            return False
        tmp = target + ".build"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        log("lab: building the %s base rootfs with debootstrap (once per machine)" % release)
        t0 = time.monotonic()
        res = run(["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
                   release, tmp, MIRROR], check=False, capture=True)
        if res.returncode != 0:
            raise LabError("debootstrap of %s failed (rc=%d); see the last lines:\n%s"
                           % (release, res.returncode, "\n".join((res.stdout + res.stderr).splitlines()[-15:])))
        for name in os.listdir(os.path.join(tmp, "etc", "ssh")):
            if name.startswith("ssh_host_"):
                os.unlink(os.path.join(tmp, "etc", "ssh", name))  # each host gets its own
        write(os.path.join(tmp, "etc", "machine-id"), "")
        write(os.path.join(tmp, "etc", "resolv.conf"), "# lab hosts have no DNS: peers are in /etc/hosts\n")
        write(os.path.join(tmp, "etc", "apt", "sources.list"), apt_sources(release))
        write(os.path.join(tmp, "etc", "ssh", "sshd_config.d", "lab.conf"),
              "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n")
        for unit in MASKED_UNITS:
            link = os.path.join(tmp, "etc", "systemd", "system", unit)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link)
            os.symlink("/dev/null", link)
        run(["chroot", tmp, "apt-get", "clean"])
        shutil.rmtree(os.path.join(tmp, "var", "lib", "apt", "lists"), ignore_errors=True)
        os.makedirs(os.path.join(tmp, "var", "lib", "apt", "lists", "partial"))
        write(os.path.join(tmp, ".lab-base-complete"), "built in %.0fs\n" % (time.monotonic() - t0))
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
        log("lab: %s base rootfs ready in %.0fs (%s)" % (release, time.monotonic() - t0, target))
        return True


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def etc_hosts(lab, h):
    """/etc/hosts of host h: peers resolve each other by name, as on a cluster with working DNS. Pure."""
    lines = ["127.0.0.1\tlocalhost", "127.0.1.1\t%s" % h["name"]]
    lines += ["%s\t%s" % (o["ip"], o["name"]) for o in lab["hosts"] if o["name"] != h["name"]]
    return "\n".join(lines) + "\n"


def prepare_rootfs(lab, h, pubkey):
    """Per-host overlay over the cached base, and the files that make the host itself."""
    p = host_paths(lab, h)
    fresh = not os.path.exists(os.path.join(p["dir"], ".configured"))
    for d in (p["upper"], p["work"], p["root"]):
        os.makedirs(d, exist_ok=True)
    up = p["upper"]
    if fresh:
        write(os.path.join(up, "etc", "hostname"), h["name"] + "\n")
        write(os.path.join(up, "etc", "machine-id"), uuid.uuid4().hex + "\n", 0o444)
        os.makedirs(os.path.join(up, "etc", "ssh"), exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@" + h["name"],
             "-f", os.path.join(up, "etc", "ssh", "ssh_host_ed25519_key")])
        write(os.path.join(up, "root", ".ssh", "authorized_keys"), pubkey, 0o600)
        os.chmod(os.path.join(up, "root", ".ssh"), 0o700)
        write(os.path.join(up, "etc", "apt", "apt.conf.d", "01lab-proxy"), 'Acquire::http::Proxy "%s";\n' % apt_proxy_url())
        os.makedirs(os.path.join(up, SHARED_MOUNT.lstrip("/")), exist_ok=True)
        write(os.path.join(p["dir"], ".configured"), "")
    write(os.path.join(up, "etc", "hosts"), etc_hosts(lab, h))
    if not is_mounted(p["root"]):
        run(["mount", "-t", "overlay", "overlay", "-o",
             "lowerdir=%s,upperdir=%s,workdir=%s" % (lower_dirs(lab, h), p["upper"], p["work"]), p["root"]])


def unmount_root(lab, h):
    root = host_paths(lab, h)["root"]
    if is_mounted(root):
        run(["umount", root], check=False)
        if is_mounted(root):
            run(["umount", "-l", root])
