# Installed by `make sanity` as ~/.ansible/test/cache/get_pip_24_2.py (ansible-test 2.19 bootstraps pip 24.2).
# Offline stand-in for ansible-test's get-pip bootstrap (ci-files.testing.ansible.com is not
# reachable here): installs the interpreter's bundled pip, then runs `pip install` with the
# arguments ansible-test passes (pip==24.2 comes from PyPI), minus get-pip's own options.
import ensurepip
import os
import runpy
import sys

saved = dict(os.environ)
ensurepip.bootstrap()
os.environ.clear()
os.environ.update(saved)  # ensurepip sets PIP_CONFIG_FILE=/dev/null; /etc/pip.conf holds the CA
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--upgrade"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
