# Common commands. Needs only python3 (>= 3.11) and make: uv is installed on first use if missing.

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_ARGS ?=

.PHONY: help sync demo run run-llm run-debate test fuzz real-model lint format typecheck check bench bench-compare bench-debate clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet --disable-pip-version-check uv

sync: .uv  ## install every package and dev tool from the lock file into .venv
	@$(UV) sync --frozen --quiet

demo: sync  ## a debate streaming in the terminal, both services in-process, no keys (more: ARGS="--help")
	@$(UV) run --frozen mcp-debate run --local $(ARGS)

run: sync  ## run mcp-llm (5001) and mcp-debate (5002) on embedded defaults; Ctrl-C stops both
	@$(UV) run --frozen mcp-llm & llm=$$!; \
	$(UV) run --frozen mcp-debate & debate=$$!; \
	trap 'kill $$llm $$debate 2>/dev/null' INT TERM; \
	while kill -0 $$llm 2>/dev/null && kill -0 $$debate 2>/dev/null; do sleep 1; done; \
	kill $$llm $$debate 2>/dev/null; wait

run-llm: sync  ## run mcp-llm on port 5001 (MCP at /mcp, tools at /tools/{name})
	$(UV) run --frozen mcp-llm

run-debate: sync  ## run mcp-debate on port 5002 (needs mcp-llm at LLM_SERVICE_URL)
	$(UV) run --frozen mcp-debate

test: sync  ## run every test (Redis-backed tests need redis-server on PATH)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

fuzz: sync  ## a longer, randomised run of the fuzz suite (FUZZ_EXAMPLES=500 per tool and transport)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} FUZZ_RANDOM=1 $(UV) run --frozen pytest -p no:cacheprovider tests/fuzz $(PYTEST_ARGS)

real-model: sync  ## build llama-server and fetch the small model the real-model tests use (cached)
	$(UV) run --frozen python -m tests.realmodel.build

lint: sync  ## ruff lint and format check
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: sync  ## apply ruff formatting and safe fixes
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

typecheck: sync  ## mypy over the packages
	$(UV) run --frozen mypy shared/src mcp-llm/src mcp-debate/src

check: lint typecheck test  ## everything CI runs

bench: sync  ## gateway overhead benchmark (see bench/README.md)
	$(UV) run --frozen python -m bench.gateway_overhead

bench-compare: sync  ## mcp-llm and LiteLLM's proxy side by side (LiteLLM installed apart: bench/README.md)
	$(UV) run --frozen python -m bench.compare

bench-debate: sync  ## mcp-debate turn overhead and 100 concurrent debates
	$(UV) run --frozen python -m bench.debate_overhead

clean:  ## remove caches and the virtualenv
	rm -rf .venv .pytest_cache .ruff_cache .mypy_cache
