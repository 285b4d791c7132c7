# b2c.trustframework — developer and CI entry points.
#   make demo   run the whole tenant job (playbooks/site.yml: keys, then policies) against the local emulator
#   make test   every check CI runs
#   make lint   the quick subset while developing (ansible-lint + sanity)
#   make bench  the benchmark (not part of CI)
#   make test-live  a safe subset of the integration scenarios against a real tenant, for maintainers
#               before a release (B2C_LIVE_* variables, see tests/live/README.md); skips without them, not in CI
#   make test-matrix  unit tests + module integration targets on every claimed ansible-core and with every
#               runtime requirement at its floor (not part of CI)
#   make test-floor  the unit tests with every runtime requirement at its floor (part of make test)

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/b2c/trustframework
DIST := $(CURDIR)/build/dist
INSTALL_ROOT := $(CURDIR)/build/installed
MODULES := b2c_keyset b2c_keyset_key b2c_keyset_info b2c_policy b2c_policy_info b2c_policy_set b2c_report_file
SHIPPED_DOCS := README.md requirements.txt meta/execution-environment.yml extras/aap/README.md extras/aap/credential_type.yml \
	inventory/example.yml playbooks/vars/connection.yml docs/docsite/extra-docs.yml \
	$(patsubst %,docs/docsite/rst/%.rst,guide_authentication guide_key_rollover guide_ci)
# galaxy.yml is the one place the version is written.
VERSION := $(shell sed -n "s/^version: *['\"]*\([^'\"]*\).*/\1/p" galaxy.yml)
TARBALL := $(DIST)/b2c-trustframework-$(VERSION).tar.gz
ANSIBLE_TEST_GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)

.PHONY: venv link system-deps ruff test test-live test-matrix test-floor unit integration sanity ansible-lint lint collection build release changelog-lint docs-lint ee demo bench clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The collection is used in place: a symlink gives it its FQCN path.
link:
	$(BIN)/python tools/link_collection.py $(CURDIR) > /dev/null

test: venv link system-deps ruff unit test-floor integration sanity ansible-lint changelog-lint docs-lint build ee

# The test suites run on every logical CPU with pytest-xdist; TEST_WORKERS=1 (or another number) to choose.
TEST_WORKERS ?= logical

# Line coverage of plugins/ by the unit suite, printed; below COVERAGE_FLOOR percent the target fails.
COVERAGE_FLOOR ?= 95

unit: venv link
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --ignore=tests/integration --ignore=tests/live \
		--cov=plugins --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

# Lint and format check of every Python file (ruff.toml); `ruff format .` and `ruff check --fix .` apply them.
ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each worker starts its own emulator. loadgroup without xdist_group marks: each test is a unit of its own, handed
# in collection order (long tests first, tests/integration/conftest.py) to the next worker with room.
integration: venv link system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder tests/integration

test-live: venv link
	$(BIN)/python -m pytest -q -p no:cacheprovider -m live -rs tests/live

# libfaketime runs playbooks in the emulator's shifted time (tests/emulator/README.md, "Moving the clock").
# Installed with apt-get when missing (as root, or with password-less sudo); elsewhere, a clear message.
HAVE_LIBFAKETIME = $(BIN)/python -c "from tests.integration.playbook_runner import libfaketime_path; raise SystemExit(libfaketime_path() is None)"
LIBFAKETIME_ADVICE = make system-deps: libfaketime is missing; install it as root (apt-get install libfaketime, dnf install libfaketime)
AS_ROOT = $(if $(filter 0,$(shell id -u)),,sudo -n)

system-deps: venv
	@$(HAVE_LIBFAKETIME) || { \
		command -v apt-get > /dev/null || { echo "$(LIBFAKETIME_ADVICE)" >&2; exit 1; }; \
		echo "make system-deps: installing libfaketime with apt-get"; \
		$(AS_ROOT) apt-get update -qq && $(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfaketime > /dev/null; \
		$(HAVE_LIBFAKETIME) || { echo "$(LIBFAKETIME_ADVICE)" >&2; exit 1; }; }

# ansible-test fetches a pip bootstrap script from a host that offline and
# air-gapped machines cannot reach; the offline stand-in uses ensurepip.
$(ANSIBLE_TEST_GET_PIP): tools/offline_get_pip.py
	mkdir -p $(dir $@)
	cp $< $@

# ansible-test needs real directories and a git index: it runs on a synced copy.
sanity: venv $(ANSIBLE_TEST_GET_PIP)
	cd $$($(BIN)/python tools/sanity_snapshot.py $(CURDIR)) && $(BIN)/ansible-test sanity --venv --python 3.11 --color no
	$(BIN)/python -m tools.sanity_pythons $$($(BIN)/python tools/sanity_snapshot.py $(CURDIR)) $(BIN)/ansible-test

ansible-lint: venv link
	$(BIN)/ansible-lint --offline --profile production

lint: ansible-lint sanity

# The tarball, installed the way a user installs it; no development files inside.
collection: venv
	rm -rf $(DIST) $(INSTALL_ROOT)
	$(BIN)/ansible-galaxy collection build --output-path $(DIST) .
	$(BIN)/ansible-galaxy collection install --offline --force -p $(INSTALL_ROOT) $(TARBALL)
	@if tar -tzf $(TARBALL) | grep -E '^(tests/emulator|tests/support|tests/live|\.venv|build|changelogs/fragments)/|^(\.ansible-lint|docs/layers\.md|changelogs/\.plugin-cache\.yaml)$$'; then \
		echo "the collection tarball contains development files"; exit 1; fi
	# What the guides and the README point installed users to.
	for doc in $(SHIPPED_DOCS); do \
		test -f $(INSTALL_ROOT)/ansible_collections/b2c/trustframework/$$doc || { echo "the built collection lacks $$doc"; exit 1; }; \
	done
	# ansible-doc exits 0 even when it finds nothing: require a rendered doc.
	for module in $(MODULES); do \
		ANSIBLE_COLLECTIONS_PATH=$(INSTALL_ROOT) $(BIN)/ansible-doc --json b2c.trustframework.$$module \
			| grep -q '"doc"' || { echo "ansible-doc found no documentation for $$module in the built collection"; exit 1; }; \
	done

# The tarball plus the verdict Galaxy and Automation Hub would give it on upload (galaxy-importer,
# offline, with certification's version >= 1.0.0 rule): a refusal, an error or a warning fails.
build: collection
	cd build && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg \
		$(BIN)/python -m galaxy_importer.main $(TARBALL) > galaxy-importer.log 2>&1 \
		|| { cat galaxy-importer.log; echo "galaxy-importer refuses $(TARBALL)"; exit 1; }
	@if grep -E '^(ERROR|WARNING|CRITICAL):' build/galaxy-importer.log; then \
		echo "galaxy-importer reports the problems above (full log: build/galaxy-importer.log)"; exit 1; fi
	@echo "galaxy-importer accepts $(TARBALL)"

changelog-lint: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

# Records the release galaxy.yml names in changelogs/changelog.yaml from the fragments, renders
# CHANGELOG.md, and builds the tarball. Run again before tagging to fold in fragments merged since
# (the release date becomes today). See CONTRIBUTING.md, "Cutting a release".
release: venv link
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/test_version.py
	$(BIN)/antsibull-changelog release --update-existing
	$(MAKE) changelog-lint build

docs-lint: venv link
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs $(COLLECTION_LINK)

# The built collection must declare its Python dependencies to ansible-builder,
# and an execution environment including it must have a build context.
ee: collection
	ANSIBLE_COLLECTIONS_PATH= $(BIN)/ansible-builder introspect --sanitize $(INSTALL_ROOT) > build/ee-introspect.txt
	for dep in httpx msal cryptography defusedxml; do \
		grep -q "^- '$$dep" build/ee-introspect.txt || { echo "ansible-builder does not see the $$dep dependency"; exit 1; }; \
	done
	rm -rf build/ee-context
	$(BIN)/ansible-builder create -f tests/ee/execution-environment.yml -c build/ee-context --output-filename Containerfile > /dev/null
	test -f build/ee-context/Containerfile && test -f build/ee-context/_build/collections/$(notdir $(TARBALL))

demo: venv collection
	$(BIN)/python -m tools.demo

# One venv per ansible-core minor that meta/runtime.yml claims, on the Python it needs, and one with every
# runtime requirement at its floor (build/matrix/); minutes per minor.
test-matrix: venv link
	$(BIN)/python -m tools.test_matrix

# The floors of requirements.txt and requires_ansible, tested: the unit tests in build/matrix/floor (about
# 25 s with a warm pip cache, 10 s when the venv is reused).
test-floor: venv link
	$(BIN)/python -m tools.test_matrix --unit-only floor

bench: venv link
	$(BIN)/python -m bench

clean:
	rm -rf build tests/output .pytest_cache
