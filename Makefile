# Developer and CI entry points; README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# requirements.txt plus any requirements-*.txt that a part of the project adds.
REQUIREMENTS := $(sort $(wildcard requirements*.txt))
# Reinstall only when a requirements file changes, so a second `make test` starts at once.
STAMP := $(VENV)/.requirements-installed

.PHONY: venv demo test test-postgres lint evaluate evaluate-cv train-matcher train-kinds clean debian-packages

venv: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet $(addprefix -r ,$(REQUIREMENTS))
	touch $@

demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py schedule_ensure
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Debian packages the tests need (redis-server, Chromium): installed when missing and possible.
debian-packages:
	scripts/debian-packages

# Lint first: it takes seconds and fails before the suite's minutes.
test: debian-packages lint
	$(BIN)/python -m pytest

# The whole suite on PostgreSQL: DATABASE_URL=postgres://user@127.0.0.1:PORT/db make test-postgres
# (the user may create databases; pytest makes test_<db>). .ci/run starts a throwaway server for it.
test-postgres: venv
	@test -n "$(DATABASE_URL)" || { echo "test-postgres needs DATABASE_URL=postgres://..."; exit 2; }
	DATABASE_URL="$(DATABASE_URL)" $(BIN)/python -m pytest -p no:cacheprovider

# The engine's figures against the devset gold files (extraction, evidence, status), the sampled real pairs too.
evaluate: venv
	$(BIN)/python manage.py evaluate ../shared/devset/*.gold.json ../shared/devset/sampled/*.gold.json

# The figures to quote: each pair scored by a matcher fitted without it (leave-one-pair-out).
evaluate-cv: venv
	$(BIN)/python manage.py evaluate --cv ../shared/devset/*.gold.json ../shared/devset/sampled/*.gold.json

# Fit the shipped matcher on every gold file (writes commitments/engine/matching/model/matcher.json).
train-matcher: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py train_matcher ../shared/devset/*.gold.json ../shared/devset/sampled/*.gold.json

# Fit the shipped concrete / vague / not-a-commitment call (writes commitments/engine/nlp/kinds/model/kinds.json).
train-kinds: venv
	$(BIN)/python manage.py train_kinds ../shared/devset/*.gold.json ../shared/devset/sampled/*.gold.json

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Caches and the virtual environment; the database (db.sqlite3) is data and stays.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
