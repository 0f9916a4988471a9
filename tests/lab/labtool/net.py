"""The lab's network: addresses and link names (pure), the bridge, the host namespaces, the nftables
table that keeps lab traffic on this machine, and the stand-in for the outside world."""

import ipaddress
import os

from .labs import DEFAULT_RELEASE
from .util import ok, run, run_retrying

LAB_NET = "10.213.{index}.0/24"
WAN_OFFSET = 128  # lab N's stand-in "outside" network is LAB_NET of index N + 128, see ensure_network
NFT_TABLE = "llmops_lab_{index}"
FIRST_HOST = 10  # host number pos (1, 2, ...) gets the address .FIRST_HOST + pos of the lab's subnet


def subnet(index):
    return ipaddress.ip_network(LAB_NET.format(index=index))


def gateway(index):
    """This machine's address on the lab's bridge (the hosts' default route)."""
    return str(subnet(index).network_address + 1)


def wan_ip(index):
    """The address of the lab's stand-in outside world."""
    return str(subnet(WAN_OFFSET + index).network_address + 2)


def names(lab, index):
    return {
        "bridge": "llb%d" % index,
        "wan": "llw%d" % index,
        "wan_bridge": "llo%d" % index,
        "wan_ns": "llmops-%s-wan" % lab,
    }


def host_record(labname, index, pos, host, groups, release=DEFAULT_RELEASE):
    return {
        "name": host,
        "groups": groups,
        "release": release,
        "ip": str(subnet(index).network_address + FIRST_HOST + pos),
        "netns": "llmops-%s-%s" % (labname, host),
        "veth": "llv%dh%d" % (index, pos),
        "machine": ("llmops-%s-%s" % (labname, host)).replace("_", "-"),  # nspawn: no "_"
        "pid": None,
    }


def ensure_network(lab):
    index = lab["index"]
    n = names(lab["name"], index)
    net = subnet(index)
    gw = "%s/%d" % (gateway(index), net.prefixlen)
    if not ok(["ip", "link", "show", n["bridge"]]):
        run_retrying(["ip", "link", "add", n["bridge"], "type", "bridge"])
    if gw.split("/")[0] not in run(["ip", "-4", "-o", "addr", "show", "dev", n["bridge"]], capture=True).stdout:
        run(["ip", "addr", "add", gw, "dev", n["bridge"]])
    run(["ip", "link", "set", n["bridge"], "up"])
    # The machine never routes lab traffic anywhere: hosts reach their peers (same bridge) and the
    # lab services (addresses of this machine) only.
    table = NFT_TABLE.format(index=index)
    run(["nft", "add", "table", "inet", table])
    run(["nft", "add", "chain", "inet", table, "forward",
         "{ type filter hook forward priority -10 ; policy accept ; }"])
    run(["nft", "flush", "chain", "inet", table, "forward"])
    # (bridged traffic between two lab hosts may pass this hook too, with both names equal to
    # the bridge: that is the one case to let through)
    run(["nft", "add", "rule", "inet", table, "forward", "iifname", n["bridge"], "oifname", "!=", n["bridge"], "drop"])
    run(["nft", "add", "rule", "inet", table, "forward", "oifname", n["bridge"], "iifname", "!=", n["bridge"], "drop"])
    # A stand-in for "the outside world": a namespace of the lab's own, on a network of its own
    # (10.213.<128+index>.0/24) that only this machine can reach.  Tests prove lab hosts cannot
    # reach it while this machine can, without sending a packet to any real outside address.
    wnet = subnet(WAN_OFFSET + index)
    if not ok(["ip", "netns", "exec", n["wan_ns"], "true"]):
        run(["ip", "netns", "add", n["wan_ns"]])
    if not ok(["ip", "link", "show", n["wan"]]):
        # veth into a bridge of its own: on this machine a bare veth between the host and a
        # namespace does not pass traffic, a bridged one does (same as the lab hosts)
        if not ok(["ip", "link", "show", n["wan_bridge"]]):
            run(["ip", "link", "add", n["wan_bridge"], "type", "bridge"])
            run(["ip", "addr", "add", "%s/%d" % (wnet.network_address + 1, wnet.prefixlen), "dev", n["wan_bridge"]])
            run(["ip", "link", "set", n["wan_bridge"], "up"])
        run_retrying(["ip", "link", "add", n["wan"], "type", "veth", "peer", "name", "eth0", "netns", n["wan_ns"]])
        run(["ip", "link", "set", n["wan"], "master", n["wan_bridge"], "up"])
        ns = ["ip", "-n", n["wan_ns"]]
        run(ns + ["addr", "add", "%s/%d" % (wan_ip(index), wnet.prefixlen), "dev", "eth0"])
        run(ns + ["link", "set", "eth0", "up"])
        run(ns + ["link", "set", "lo", "up"])
        # A return route to the lab only (so the outside could answer if this machine forwarded;
        # a default route here breaks host-to-namespace traffic on this machine's kernel).
        run(ns + ["route", "add", LAB_NET.format(index=index), "via", str(wnet.network_address + 1)])
    lab["wan_ip"] = wan_ip(index)
    lab["gateway"] = gateway(index)


def ensure_host_network(lab, h):
    bridge = names(lab["name"], lab["index"])["bridge"]
    ns = ["ip", "-n", h["netns"]]
    if not ok(["ip", "netns", "exec", h["netns"], "true"]):
        run(["ip", "netns", "add", h["netns"]])
    if not ok(["ip", "link", "show", h["veth"]]):
        run_retrying(["ip", "link", "add", h["veth"], "type", "veth", "peer", "name", "eth0", "netns", h["netns"]])
    run(["ip", "link", "set", h["veth"], "master", bridge, "up"])
    if h["ip"] not in run(ns + ["-4", "-o", "addr", "show", "dev", "eth0"], capture=True).stdout:
        run(ns + ["addr", "add", h["ip"] + "/24", "dev", "eth0"])
    run(ns + ["link", "set", "eth0", "up"])
    run(ns + ["link", "set", "lo", "up"])
    if "default" not in run(ns + ["route", "show"], capture=True).stdout:
        run(ns + ["route", "add", "default", "via", lab["gateway"]])


def remove_host_network(h):
    if ok(["ip", "link", "show", h["veth"]]):
        run(["ip", "link", "del", h["veth"]], check=False)
    if os.path.exists("/run/netns/" + h["netns"]):
        run(["ip", "netns", "del", h["netns"]], check=False)


def remove_network(lab):
    n = names(lab["name"], lab["index"])
    for link in (n["wan"], n["wan_bridge"], n["bridge"]):
        if ok(["ip", "link", "show", link]):
            run(["ip", "link", "del", link])
    if os.path.exists("/run/netns/" + n["wan_ns"]):
        run(["ip", "netns", "del", n["wan_ns"]])
    table = NFT_TABLE.format(index=lab["index"])
    if ok(["nft", "list", "table", "inet", table]):
        run(["nft", "delete", "table", "inet", table])
