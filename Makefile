# Asisten MPP Kukar. New users need only `make run` and `make test`; both set up what is missing.
SHELL := /bin/bash
PY311 ?= $(shell command -v python3.11 || echo $$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python)
PY310 ?= $(shell command -v python3.10 2>/dev/null || echo $$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python)
VENV := .venv
RASA_VENV := .venv-rasa
STAMP_APP := $(VENV)/.installed
STAMP_RASA := $(RASA_VENV)/.installed

.PHONY: setup run test lint types unit kb index train validate conversations bench lock clean

setup: $(STAMP_APP) $(STAMP_RASA)

# Re-installs only when a lock file changed (idempotent and quick otherwise).
$(STAMP_APP): requirements/app.lock requirements/dev.lock pyproject.toml
	@test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements/app.lock -r requirements/dev.lock
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

$(STAMP_RASA): requirements/rasa.in requirements/rasa.lock
	@test -x $(RASA_VENV)/bin/python || bash scripts/python310.sh $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check -r requirements/rasa.in -c requirements/rasa.lock
	@touch $@

lock: ## re-resolve the pinned sets from the .in files (run after editing them)
	$(VENV)/bin/pip freeze --exclude-editable --exclude asisten-mpp-kukar | grep -v -i -E '^(ruff|mypy|mypy.extensions|pytest|pytest.asyncio|iniconfig|pluggy|types-.*|pathspec|librt)==' > requirements/app.lock
	$(VENV)/bin/pip freeze | grep -i -E '^(ruff|mypy|mypy.extensions|pytest|pytest.asyncio|iniconfig|pluggy|types-.*|pathspec|librt)==' > requirements/dev.lock

kb: $(STAMP_APP)
	$(VENV)/bin/mpp kb validate

index: $(STAMP_APP)
	$(VENV)/bin/mpp kb index

lint: $(STAMP_APP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP_APP)
	$(VENV)/bin/mypy mpp knowledge_base channels actions bench

unit: $(STAMP_APP)
	$(VENV)/bin/python -m pytest -q

test: setup lint types kb validate index train conversations unit

train: setup
	$(VENV)/bin/mpp train

validate: $(STAMP_RASA)
	RASA_TELEMETRY_ENABLED=false $(RASA_VENV)/bin/rasa data validate --config config.yml --domain bot/domain --data nlu bot/rules --fail-on-warnings

conversations: $(STAMP_RASA)
	RASA_TELEMETRY_ENABLED=false ACTION_SERVER_PORT=5055 $(RASA_VENV)/bin/rasa test core --stories tests/conversations \
	  --model models/mpp.tar.gz --fail-on-prediction-errors --out var/rasa_test

run: setup kb index train
	$(VENV)/bin/mpp run

bench: $(STAMP_APP) index train
	$(VENV)/bin/python bench/search_quality.py --json docs/bench/search_quality.json
	$(VENV)/bin/python bench/search_speed.py
	$(VENV)/bin/python bench/query_runtime.py
	$(VENV)/bin/python bench/chat_latency.py
	$(VENV)/bin/python bench/nlu_cv.py

clean:
	rm -rf var/index .pytest_cache .mypy_cache .ruff_cache
