"""lab: turn this one Linux machine into N real Debian hosts for testing llmops.ray_vllm.

Each lab host is a systemd-nspawn container booted with systemd (``-b``) from a debootstrap'd rootfs of
its release, Debian 12 (bookworm, the default) or Debian 13 (trixie), each built once per machine and
cached under ``$LLMOPS_LAB_CACHE`` (default ``/var/cache/llmops-lab``).  Every host gets:

* its own on-disk overlay of that rootfs (its own /etc, /opt, /tmp, /var; nothing in RAM only),
* its own network namespace with one IP on a private bridge (10.213.<index>.0/24) and a default
  route to the bridge; the host machine never forwards lab traffic (an nftables table drops it),
  so a lab host reaches only its peers and the lab services,
* its own PID, mount and UTS namespaces with systemd as PID 1 and sshd,
* root SSH access with a key the lab generates, host keys the lab generates (strict checking),
* the lab's shared directory bind-mounted at /mnt/models (the "site already has shared storage" case).

Packages reach the hosts as they reach an air-gapped GPU cluster, through services on the address
10.213.255.1 (an address of this machine on its loopback device, reachable from every lab bridge):
a caching apt proxy on port 3142 (tests/lab/aptproxy.py: Debian packages, each downloaded once per
machine and cached under the lab cache) and pypiserver on port 3141 over a wheelhouse filled once
per machine (``lab wheelhouse``; wheels for the Python of every release: 3.11 and 3.13).

Commands (run as root):
  lab up N | --hosts NAME[@RELEASE][=GROUP+GROUP],... [--release RELEASE] [--image IMAGE]
                                             create/boot the hosts (idempotent) and write an inventory;
                                             RELEASE: bookworm (default) or trixie, per host or for all;
                                             IMAGE: saved files layered above the base of every host
  lab down [--all]                           remove every container, veth, bridge, mount, process
  lab status                                 hosts, IPs, releases, PIDs, state, memory
  lab ssh HOST [COMMAND...]                  ssh into a host as root
  lab reboot HOST...                         reboot hosts (systemctl reboot inside, then boot again)
  lab image-save HOST DIR... --as IMAGE [--link NAME]
                                             save a host's directories as an image (cached like the base)
  lab image-save HOST --changes --as IMAGE [--link NAME]
                                             save what a host changed over its base, but its identity, logs
                                             and run-time state (tests/ci/venv_image.py: the OS packages and
                                             the venv site.yml installs)
  lab layer IMAGE                            boot every host again with IMAGE above its base (its own files
                                             are kept)
  lab inventory                              print the Ansible inventory (YAML)
  lab wheelhouse REQUIREMENT... | -r FILE    fill the local package index (once per machine and Python of
                                             each release, --release to pick; also builds the lab's vLLM
                                             platform plugin, TEST ONLY)
  lab services up|down|status                the apt proxy and the package index
  lab prereqs [--install]                    check (or install) what the lab needs on this machine

Several labs can coexist (``--name``; each gets its own bridge index and subnet).

Modules: ``util`` (commands, files, locks, processes), ``labs`` (a lab's recorded state), ``net``
(addresses, bridge, namespaces, nftables), ``rootfs`` (the cached base, saved images and each host's overlay),
``services`` (apt proxy, package index), ``wheelhouse``, ``hosts`` (boot, SSH, readiness, inventory),
``cli`` (the commands). The executable is tests/lab/lab.
"""
