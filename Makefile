# 学校党建工作平台 — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run test audit install install-dev migrate demo lint bench proof clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(VENV)/bin/dangjian migrate --noinput

demo: migrate
	$(VENV)/bin/dangjian demo

run: demo
	$(VENV)/bin/dangjian runserver 127.0.0.1:$(PORT)

test: install-dev
	DANGJIAN_TESTING=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

# bandit + pip-audit; fails on a finding not waived (with a reason) in .security-waivers.toml.
audit: install-dev
	$(PY) .ci/audit.py

bench: install-dev
	DANGJIAN_TESTING=1 $(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) var/staticfiles

# PostgreSQL primary + streaming replica, two app servers (one killed mid-run), schedulers running each job once.
# About 2 minutes; see docs/SCALE.md.
proof: install
	$(PY) deploy/proof/cluster_proof.py
