# Developer entry points.  The two that matter:
#   make demo   bring up a local Koji in ./demo and show how to use it
#   make test   run the whole test suite (unit, hub on PostgreSQL, HTTP, CLI, interop)
# Both install what is missing first: apt packages (only when run as root) and .venv.
# Also: make screenshots  regenerate docs/screenshots/*.png (web UI, headless Chromium)

PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
DEMO_DIR ?= demo
# empty: the demo makes its own PostgreSQL cluster in $(DEMO_DIR)/pgdata
DEMO_DSN ?=
DEMO_PORT ?=
# how the demo's clients log in: ssl (client certificates), kerberos or password
DEMO_AUTH ?= ssl
PYTEST_ARGS ?=
# parallel pytest workers (pytest-xdist); the suite mostly waits on PostgreSQL and on CLI
# subprocesses, so use at least 4 even on small machines.  0 runs serially.
PYTEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -lt 4 ] && n=4; \
	[ $$n -gt 8 ] && n=8; echo $$n)
KOJI_TEST_DSN ?= host=127.0.0.1 port=5432 user=postgres dbname=postgres
export KOJI_TEST_DSN

PIP_PACKAGES := psycopg2-binary mod_wsgi pytest pytest-xdist requests-gssapi Cheetah3 \
	python-dateutil defusedxml flake8 rpm selenium python-qpid-proton pykickstart
# what the venv was last built from; a change triggers a refresh
CONSTRAINTS := constraints.txt
VENV_KEY := $(shell cat setup.py $(CONSTRAINTS) | cksum | cut -d' ' -f1) $(sort $(PIP_PACKAGES))
# wildcard keeps lint working before optional trees (plugins, www) exist
LINT_PATHS := $(wildcard koji koji_cli hub plugins builder builder/kojid www util/koji-dev \
  util/bench-* util/kojidevlib util/kojimaint util/koji-gc util/koji-shadow util/koji-sweep-db \
  util/koji-sidetag-cleanup util/kojira util/kojiralib util/web-screenshots \
  cli/koji tests setup.py)

.PHONY: all deps venv demo demo-down test lint clean distclean bench

all: venv

# Install the Debian 12 packages that are missing (only as root; otherwise just list them):
# Apache + headers (mod_wsgi builds against them), rpm with its Python bindings (reached
# from the venv through the PyPI `rpm` shim), createrepo_c, Kerberos headers (gssapi) and
# a KDC, a compiler and venv support, git and gnupg (SCM checkouts, rpm signing in the
# tests), dnf and bubblewrap (the rpmbuild buildroot backend), qemu-img and mksquashfs
# (ImageFactory image formats), RabbitMQ (the protonmsg
# plugin's tests start a private node with its AMQP 1.0 plugin), the NSS tools (a client
# certificate for headless Chromium in the web login tests), and PostgreSQL when there
# is no server.
deps:
	@missing=""; \
	have() { command -v "$$1" >/dev/null 2>&1; }; \
	have apache2 || [ -x /usr/sbin/apache2 ] || missing="$$missing apache2"; \
	have apxs || [ -x /usr/bin/apxs2 ] || missing="$$missing apache2-dev"; \
	have rpm || missing="$$missing rpm"; \
	[ -d /usr/lib/python3/dist-packages/rpm ] || missing="$$missing python3-rpm"; \
	have createrepo_c || missing="$$missing createrepo-c"; \
	have krb5-config || missing="$$missing libkrb5-dev"; \
	have krb5kdc || [ -x /usr/sbin/krb5kdc ] || missing="$$missing krb5-kdc"; \
	[ -x /usr/sbin/kadmin.local ] || missing="$$missing krb5-admin-server krb5-user"; \
	[ -f /usr/lib/apache2/modules/mod_auth_gssapi.so ] || missing="$$missing libapache2-mod-auth-gssapi"; \
	have gcc || missing="$$missing gcc"; \
	have git || missing="$$missing git"; \
	have gpg || missing="$$missing gnupg"; \
	have dnf || missing="$$missing dnf"; \
	have bwrap || missing="$$missing bubblewrap"; \
	have rpm2cpio || missing="$$missing rpm2cpio"; \
	have qemu-img || missing="$$missing qemu-utils"; \
	have mksquashfs || missing="$$missing squashfs-tools"; \
	have chromium || missing="$$missing chromium chromium-driver"; \
	have pk12util || missing="$$missing libnss3-tools"; \
	[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$$missing rabbitmq-server"; \
	$(PYTHON) -c 'import ensurepip, sysconfig, os, sys; \
	sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
	  2>/dev/null || missing="$$missing python3-venv python3-dev"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || have postgres \
	  || missing="$$missing postgresql"; \
	have psql || missing="$$missing postgresql-client"; \
	if [ -z "$$missing" ]; then \
	  echo "deps: system packages present"; \
	elif [ "$$(id -u)" = 0 ] && have apt-get; then \
	  echo "deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "deps: missing packages:$$missing (run as root or install them yourself)" >&2; \
	fi

# .venv with the project in editable mode (kojihub resolves to hub/kojihub) and the tools.
venv:
	@if [ "$$(cat $(VENV)/.stamp 2>/dev/null)" != "$(VENV_KEY)" ]; then \
	  set -e; \
	  [ -x $(VPY) ] || $(PYTHON) -m venv $(VENV); \
	  echo "venv: installing the project and $(PIP_PACKAGES)"; \
	  $(VPY) -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS) pip; \
	  $(VPY) -m pip install -q --disable-pip-version-check -c $(CONSTRAINTS) \
	    -e . $(PIP_PACKAGES); \
	  $(VPY) -c 'import koji, kojihub, koji_cli, psycopg2, rpm, xdist' \
	    || { echo "venv: imports failed" >&2; exit 1; }; \
	  echo "$(VENV_KEY)" > $(VENV)/.stamp; \
	fi

demo: deps venv
	$(VPY) util/koji-dev up --dir $(DEMO_DIR) $(if $(DEMO_DSN),--dsn '$(DEMO_DSN)') \
	  $(if $(DEMO_PORT),--port $(DEMO_PORT)) --auth $(DEMO_AUTH) --quiet
	@eval "$$($(VPY) util/koji-dev env --dir $(DEMO_DIR))"; \
	koji() { echo "+ koji $$*"; $(abspath $(VPY)) $(CURDIR)/cli/koji -c "$$KOJI_CONFIG" \
	  -p "$$KOJI_PROFILE" $(if $(filter password,$(DEMO_AUTH)),\
	  --user "$$KOJI_ADMIN_USER" --password "$$KOJI_ADMIN_PASSWORD") "$$@"; }; \
	set -e; \
	koji hello; \
	koji list-targets; \
	nvr=kojidemo-1.0-1; scratch=; \
	if koji buildinfo $$nvr 2>/dev/null | grep -q '^State: COMPLETE'; then \
	  echo "($$nvr is built already: this run makes a scratch build of it)"; \
	  scratch=--scratch; fi; \
	koji build --wait $$scratch "$$KOJI_DEMO_TARGET" "$$KOJI_DEMO_SCMURL"; \
	koji list-tagged "$$KOJI_DEMO_TARGET"; \
	koji buildinfo $$nvr; \
	mkdir -p $(DEMO_DIR)/downloads; \
	(cd $(DEMO_DIR)/downloads && koji download-build --noprogress $$nvr); \
	echo; \
	echo "The demo Koji runs at $$KOJI_HUB_URL (files in $(DEMO_DIR)/)."; \
	echo "It built $$nvr from $$KOJI_DEMO_SCMURL"; \
	echo "  (docs/sample-package, served from $(DEMO_DIR)/served/git);" \
	  "the rpms are in $(DEMO_DIR)/downloads."; \
	echo "Its builder kojid runs as host $$KOJI_BUILDER_NAME (log $(DEMO_DIR)/kojid.log)."; \
	echo "Use it from a shell (README.md, 'Building your own package'):"; \
	echo '  eval "$$(util/koji-dev env --dir $(DEMO_DIR))"'; \
	echo '  .venv/bin/koji -c $$KOJI_CONFIG -p $$KOJI_PROFILE hello'; \
	echo "Status: util/koji-dev status --dir $(DEMO_DIR);" \
	  "stop: util/koji-dev down --dir $(DEMO_DIR) (or make demo-down)."; \
	echo "Environment:"; \
	$(VPY) util/koji-dev env --dir $(DEMO_DIR) | sed 's/^/  /'

# The hub benchmark (../shared/bench/bench.py, upstream's client in its own venv) against a
# fresh stack of ours in $(BENCH_DIR) (password logins, no hub plugins, as an upstream hub
# is usually measured), or against any hub: make bench BENCH_HUB_URL=http://host/kojihub
# BENCH_USER=admin BENCH_PASSWORD=pw.  Results go to $(BENCH_DIR)/bench-<time>.json.
BENCH_SCRIPT ?= $(abspath ../shared/bench/bench.py)
BENCH_DIR ?= .bench
BENCH_USER ?= kojiadmin
bench: deps venv
	@set -e; mkdir -p $(BENCH_DIR); \
	if [ -z "$(BENCH_HUB_URL)" ]; then \
	  mkdir -p $(BENCH_DIR)/stack/hub.conf.d; \
	  printf '[hub]\nPlugins =\nLogLevel = WARNING\n' > $(BENCH_DIR)/stack/hub.conf.d/bench.conf; \
	  $(VPY) util/koji-dev up --dir $(BENCH_DIR)/stack --auth password --quiet \
	    $(if $(BENCH_DSN),--dsn '$(BENCH_DSN)'); \
	  eval "$$($(VPY) util/koji-dev env --dir $(BENCH_DIR)/stack)"; \
	  url=$$KOJI_HUB_URL; user=$$KOJI_ADMIN_USER; pw=$$KOJI_ADMIN_PASSWORD; \
	else url='$(BENCH_HUB_URL)'; user='$(BENCH_USER)'; pw='$(BENCH_PASSWORD)'; fi; \
	out=$(BENCH_DIR)/bench-$$(date +%Y%m%d-%H%M%S).json; \
	echo "bench: $$url -> $$out"; \
	python3 $(BENCH_SCRIPT) --hub "$$url" --user "$$user" --password "$$pw" --out "$$out" \
	  $(BENCH_ARGS)

screenshots: venv
	$(VPY) util/web-screenshots docs/screenshots

demo-down:
	@if [ -f $(DEMO_DIR)/koji-dev.json ]; then $(VPY) util/koji-dev down --dir $(DEMO_DIR); fi

test: deps venv
	$(VPY) -m pytest -q $(if $(filter-out 0,$(PYTEST_JOBS)),-n $(PYTEST_JOBS)) \
	  $(PYTEST_ARGS) tests
	$(VPY) -m flake8 $(LINT_PATHS)

lint: venv
	$(VPY) -m flake8 $(LINT_PATHS)

# Stops and removes the demo (and its database), and build leftovers; keeps .venv.
clean:
	@if [ -f $(DEMO_DIR)/koji-dev.json ] && [ -x $(VPY) ]; then \
	  $(VPY) util/koji-dev down --purge --dir $(DEMO_DIR) || true; fi
	@if [ -f $(BENCH_DIR)/stack/koji-dev.json ] && [ -x $(VPY) ]; then \
	  $(VPY) util/koji-dev down --purge --dir $(BENCH_DIR)/stack || true; fi
	rm -rf $(DEMO_DIR) $(BENCH_DIR) build dist .pytest_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
