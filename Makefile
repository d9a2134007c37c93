# The two commands of the README. Both install what they need: uv (from PyPI, if missing), then the
# locked dependencies (uv.lock) into .venv.
export UV_PYTHON_DOWNLOADS := never
# Python keeps the compiled form of every module it imports (this machine's environment says not to): the
# suite starts some 20 Python processes and dozens of servers, each compiling all of FastAPI, SQLAlchemy and
# the tests again without it (12 s → 4 s to collect the suite)
unexport PYTHONDONTWRITEBYTECODE
UV := python3 -m uv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test uv install frontend bench

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

install: uv frontend
	$(UV) sync --frozen --extra test

# The pages' JavaScript and CSS: npm packages from the lock file, bundled into web/static.
frontend:
	cd web/frontend && npm ci --no-audit --no-fund && npm run build

demo: uv frontend
	$(UV) sync --frozen
	$(UV) run --frozen gridops demo --host $(HOST) --port $(PORT)

# (the import layers, lint-imports, are checked by tests/test_layers.py inside the suite)
test: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest -n 3 --durations=15

bench: install
	$(UV) run --frozen python bench/locate.py
