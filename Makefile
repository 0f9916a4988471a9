# llmops.ray_vllm: developer entry points. Run as root on Debian 12 (the lab needs root).
#   make demo   bring up the local lab and deploy site.yml on it
#   make test   unit tests, ansible-test sanity, ansible-lint, Molecule scenarios on the lab
#   make bench  benchmarks on the lab (prints figures)
#   make test-e2e  end-to-end tests of site.yml on a lab (tests/e2e: bad-input matrix, fault drills)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PY ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
LAB := $(BIN)/python tests/lab/lab
STAGE := tests/ci/stage
COLL_LINK := .cache/collections/ansible_collections/llmops/ray_vllm
SANITY_DIR := .cache/sanity/ansible_collections/llmops/ray_vllm
# Scenarios `make test` runs; a scenario joins a list once it passes in a full run. `make test` runs three
# lanes at the same time (tests/ci/lanes; each scenario and the e2e suite have their own lab): M = multinode, the
# end-to-end suite on its lab, its cleanup; A = the static checks, then LANE_A; B = LANE_B. The machine is
# CPU-bound (about 85% of its 2 cores over a whole run; each stage prints its CPU time): only less work shortens
# it (the bad-input matrix on a lab of its own in lane A, `make e2e-bad-input`, made the run longer: one more
# converge and a fourth busy lab). `make molecule` runs the lanes without the static checks;
# `make molecule SCENARIOS=x` runs x alone.
LANE_A ?= default preflight system_deps cuda_check vllm_server
LANE_B ?= ray_cluster python_venv model_storage debian13
MULTINODE ?= multinode
# multinode's test sequence up to verify (create also prepares); tests/e2e then runs on its converged lab, then its cleanup (teardown checks).
MULTINODE_STEPS := syntax create converge idempotence check verify
CHECKS := unit,argspecs,sanity,lint
SCENARIOS ?=
# $(call run_lanes,FIRST): the three lanes (tests/ci/lanes), lane A starting with the targets FIRST (comma-separated,
# none when left out); then the e2e suite's slowest phases from its stage log, for the CI log. Exits with the lanes' status.
comma := ,
run_lanes = MAKE="$(MAKE)" $(LANES) m=lane-multinode a=$(if $(1),$(1)$(comma))lane-a-scenarios b=lane-b-scenarios; rc=$$?; \
  sed -n '/slowest 25 durations/,/ passed\| failed\| error/p' .cache/stage-e2e.log 2>/dev/null || true
# $(call run_scenarios,LIST): `molecule test` each scenario of LIST in order, as a stage; stop at the first failure.
run_scenarios = for s in $(1); do $(STAGE) "mol:$$s" $(BIN)/molecule test -s $$s || exit 1; done
# Scenarios live under molecule/: without MOLECULE_GLOB, Molecule 26 in a collection warns on every run that they
# "should migrate to 'extensions/molecule'" (molecule/util.py get_effective_molecule_glob).
export MOLECULE_GLOB := molecule/*/molecule.yml
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export STAGE_TIMES := $(CURDIR)/.cache/stage-times.txt
LANES := $(CURDIR)/tests/ci/lanes

.PHONY: lane-a-scenarios lane-b-scenarios lane-multinode e2e-bad-input help venv lab-prereqs collection wheelhouse venv-image unit argspecs sanity lint molecule test test-e2e bench demo lab-up lab-down clean build galaxy-import ee

help:
	@sed -n 's/^#   //p' Makefile

$(VENV)/.installed: requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

lab-prereqs: venv
	$(LAB) prereqs --install

# Left alone when it is right: other lanes of `make test` may be reading it.
collection:
	@mkdir -p $(dir $(COLL_LINK))
	@[ "$$(readlink $(COLL_LINK))" = "$(CURDIR)" ] || ln -sfn $(CURDIR) $(COLL_LINK)

wheelhouse: venv
	$(LAB) wheelhouse $(foreach f,$(wildcard tests/lab/wheelhouse/*.txt),-r $(f))

# The venv site.yml installs on the lab inventory, made once per machine and input by its roles and saved as the
# lab image lab-venv: the scenarios whose subject is not the install boot with it (tests/ci/venv_image.py).
venv-image: lab-prereqs collection wheelhouse
	$(STAGE) venv-image $(BIN)/python tests/ci/venv_image.py

unit: venv collection
	$(STAGE) unit $(BIN)/pytest -q -p no:cacheprovider tests/unit

# Every role's meta/argument_specs.yml agrees with its defaults/main.yml (AWX shows the spec).
argspecs: venv
	$(STAGE) argspecs $(BIN)/python tests/ci/check_argument_specs.py

# ansible-test bootstraps pip in its sanity venvs with a get-pip script from a host this machine
# cannot reach; it documents saving the script in its cache by hand. Ours installs pip from PyPI.
GET_PIP_CACHE := $(HOME)/.ansible/test/cache/get_pip_24_2.py
sanity: venv
	@mkdir -p $(dir $(GET_PIP_CACHE)) && cmp -s tests/ci/get_pip_offline.py $(GET_PIP_CACHE) || \
	  cp tests/ci/get_pip_offline.py $(GET_PIP_CACHE)
	rm -rf $(SANITY_DIR) && mkdir -p $(SANITY_DIR)
	git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ $(SANITY_DIR)/
	cd $(SANITY_DIR) && git init -q && git add -A && \
	  $(CURDIR)/$(STAGE) sanity $(BIN)/ansible-test sanity --python 3.11 --requirements --color no

lint: venv collection
	$(STAGE) lint $(BIN)/ansible-lint --profile production --nocolor

# The lanes' targets (their prerequisites are made first, once: the lanes run at the same time).
lane-a-scenarios:
	@$(call run_scenarios,$(LANE_A))

lane-b-scenarios:
	@$(call run_scenarios,$(LANE_B))

# multinode runs step by step up to verify and keeps its converged lab for the end-to-end suite (tests/e2e:
# bad-input matrix, fault drills; its first site.yml run changes nothing there), then its cleanup (the teardown
# checks); the lab goes afterwards either way. The explicit first destroy clears a state left behind (Molecule
# would otherwise skip create for instances it remembers and run on whatever holds their IPs).
lane-multinode:
	@[ -n "$(MULTINODE)" ] || exit 0; rc=0; \
	$(BIN)/molecule destroy -s multinode > /dev/null; \
	$(STAGE) "mol:multinode" bash -c 'for step in $(MULTINODE_STEPS); do $(BIN)/molecule $$step -s multinode || exit 1; done' && \
	  E2E_LAB=mol-multinode E2E_CONVERGED=1 $(STAGE) e2e $(BIN)/pytest -q -p no:cacheprovider --durations=25 tests/e2e && \
	  $(STAGE) "mol:multinode:cleanup" $(BIN)/molecule cleanup -s multinode || rc=$$?; \
	$(BIN)/molecule destroy -s multinode > /dev/null; exit $$rc

# The bad-input matrix alone (read-only site.yml runs that must fail before any change) on a lab of its own: booted
# with the lab venv, converged by the suite's site.yml run, removed afterwards (a lab left by a run cut off is
# removed first). `make test` runs it on the multinode lab with the rest of tests/e2e.
E2E_INPUT_LAB := e2e-input
e2e-bad-input:
	@$(LAB) --name $(E2E_INPUT_LAB) down > /dev/null
	E2E_LAB=$(E2E_INPUT_LAB) $(STAGE) e2e-bad-input $(BIN)/pytest -q -p no:cacheprovider --durations=10 tests/e2e/test_bad_input.py

molecule: lab-prereqs collection wheelhouse venv-image
	@if [ -n "$(SCENARIOS)" ]; then $(call run_scenarios,$(SCENARIOS)); exit 0; fi; \
	$(call run_lanes); exit $$rc

test: venv lab-prereqs collection wheelhouse
	@rm -f $(STAGE_TIMES)
	@$(MAKE) --no-print-directory venv-image
	@$(call run_lanes,$(CHECKS)); echo "== stage timings"; cat $(STAGE_TIMES); exit $$rc

# tests/e2e on the lab E2E_LAB (default e2e): used as it is when up (make test reuses the multinode
# scenario's lab), else booted, deployed with site.yml and removed at the end (E2E_KEEP=1 keeps it).
test-e2e: lab-prereqs collection wheelhouse
	$(STAGE) e2e $(BIN)/pytest -q -p no:cacheprovider --durations=25 tests/e2e

bench: lab-prereqs collection wheelhouse
	$(BIN)/python tests/bench/ray_bench.py
	$(BIN)/python tests/bench/deploy_bench.py

lab-up: lab-prereqs
	$(LAB) up 3 --inventory inventories/lab/hosts.yml

lab-down: venv
	$(LAB) down --all

# The hub test double serves the generated tiny model (there is no model hub here); site.yml downloads
# it onto the lab's NFS export and serves it; the last step asks the endpoint from this machine.
demo: lab-up collection wheelhouse
	$(BIN)/ansible-playbook -i inventories/lab tests/tools/fake_hub.yml
	$(BIN)/ansible-playbook -i inventories/lab site.yml
	@VLLM_API_KEY=$$(cat /var/lib/llmops-lab/api-key) $(BIN)/python tests/tools/ask.py inventories/lab/hosts.yml tiny

# Collection packaging and the AWX execution environment (offline checks; the tool venvs under .cache/
# need PyPI once). `make build`: the tarball, checked by tests/ci/check_build.py;
# `make galaxy-import`: Galaxy's importer on it; `make ee`: ansible-builder create + introspect.
TARBALL := llmops-ray_vllm-*.tar.gz
ANSIBLE_BUILDER_VERSION := 3.2.0
GALAXY_IMPORTER_VERSION := 0.4.44
BUILDER_VENV := .cache/builder-venv
IMPORTER_VENV := .cache/importer-venv
EE_DIR := .cache/ee
BUNDLED_COLLECTIONS := $(VENV)/lib/python3.11/site-packages/ansible_collections

build: venv
	rm -f $(TARBALL)
	$(BIN)/ansible-galaxy collection build --force .
	$(BIN)/python tests/ci/check_build.py $(TARBALL)

$(BUILDER_VENV)/.installed:
	$(PY) -m venv $(BUILDER_VENV)
	$(BUILDER_VENV)/bin/pip install --quiet ansible-builder==$(ANSIBLE_BUILDER_VERSION)
	touch $@

$(IMPORTER_VENV)/.installed:
	$(PY) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install --quiet galaxy-importer==$(GALAXY_IMPORTER_VERSION)
	touch $@

# ansible-test is left to `make sanity` (the importer runs it in a container). It runs in a directory
# of its own, also its HOME: it writes importer_result.json to the working directory, and its
# ansible-lint installs the collection under $HOME/.ansible.
galaxy-import: build $(IMPORTER_VENV)/.installed
	rm -rf $(EE_DIR)/importer-home && mkdir -p $(EE_DIR)/importer-home
	cp $(TARBALL) $(EE_DIR)/importer-home/
	cd $(EE_DIR)/importer-home && env -u ANSIBLE_COLLECTIONS_PATH HOME=$$PWD PATH=$(CURDIR)/$(IMPORTER_VENV)/bin:$$PATH \
	  GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/ci/galaxy-importer.cfg \
	  $(CURDIR)/$(IMPORTER_VENV)/bin/python -m galaxy_importer.main $(TARBALL)
	@echo "galaxy-import: full result in $(EE_DIR)/importer-home/importer_result.json"

# The EE's collections as the image's galaxy stage installs them (the built tarball; ansible.posix and
# community.general at requirements.yml's versions, from the venv's ansible bundle), then what
# ansible-builder would install for them; fails unless the collection's own needs are among them.
ee: build $(BUILDER_VENV)/.installed
	rm -rf $(EE_DIR)/context $(EE_DIR)/collections $(EE_DIR)/requirements.txt $(EE_DIR)/bindep.txt
	$(BUILDER_VENV)/bin/bindep -f meta/bindep.txt -l newline >/dev/null
	$(BUILDER_VENV)/bin/ansible-builder create -f execution-environment.yml -c $(EE_DIR)/context
	ANSIBLE_COLLECTIONS_PATH=$(EE_DIR)/collections $(BIN)/ansible-galaxy collection install --offline --no-deps \
	  --force -p $(EE_DIR)/collections $(TARBALL)
	for c in ansible/posix community/general; do \
	  mkdir -p $(EE_DIR)/collections/ansible_collections/$${c%/*} && \
	  cp -a $(BUNDLED_COLLECTIONS)/$$c $(EE_DIR)/collections/ansible_collections/$$c; done
	$(BUILDER_VENV)/bin/ansible-builder introspect --sanitize $(EE_DIR)/collections \
	  --write-pip $(EE_DIR)/requirements.txt --write-bindep $(EE_DIR)/bindep.txt
	grep -q '^jmespath.*from collection llmops.ray_vllm' $(EE_DIR)/requirements.txt
	grep -q '^openssh-clients .*from collection llmops.ray_vllm' $(EE_DIR)/bindep.txt
	@echo "ee: build context in $(EE_DIR)/context (ansible-builder build needs podman or docker)"

clean: lab-down
	rm -rf $(VENV) .cache ansible_collections
