# Gradients Through Time: every command a reader or contributor needs.
#   make serve   serve with live reload on http://127.0.0.1:8000 (outputs fill in as they finish)
#   make test    every check: ruff, the snippet tests, the site build, the browser suite
#   make build   strict build into site/
#   make check NAME=x   run one snippet (x.py) and its test module: the loop while writing one
#   make regen   re-run every snippet and rewrite tests/expected/ on purpose (prints the diff)
#   make bench   build-time and gradient-measurement benchmarks, report in docs/generated/
#   make clean   remove generated output and the runner's store (keeps .venv)

PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
# Seconds each snippet may run, e.g. `make build TIMEOUT=1200` (default: five times its last
# run, at least 60 s; 600 s for one never run; gtt/limits.py). Passed on as GTT_TIMEOUT.
TIMEOUT ?=
ifneq ($(TIMEOUT),)
export GTT_TIMEOUT := $(TIMEOUT)
endif
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
# Where pip finds torch's CPU build when it is not on local disk, for example
# TORCH_LINKS=https://download.pytorch.org/whl/cpu/torch/ (a page listing torch alone).
TORCH_LINKS ?=
# The stamp's name carries the lock file's hash: a changed lock reinstalls, an unchanged one is a no-op.
STAMP  := $(VENV)/.installed-$(shell sha256sum $(LOCK) | cut -c1-16)

.PHONY: serve build test check regen bench clean venv browser

venv: $(STAMP)

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		$(if $(TORCH_LINKS),--find-links $(TORCH_LINKS)) -r $(LOCK)
	@# The project itself (the book's library rnnbook/ and the site's machinery gtt/), editable:
	@# `cd snippets/<chapter> && python <name>.py` then finds rnnbook from any folder.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# The server is up in seconds: snippets not yet cached run in the background (gtt/preview.py).
serve: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

build: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

# The browser suite needs Debian's Chromium; tools/ensure-chromium installs it where it can.
browser:
	@bash tools/ensure-chromium

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# One job and the tests that read it, e.g. `make check NAME=norm_decay`.
check: $(STAMP)
	@test -n "$(NAME)" || { echo "make check: name the snippet or lab, e.g. make check NAME=norm_decay" >&2; exit 2; }
	@ls tests/snippets/*/test_$(NAME).py >/dev/null 2>&1 || { \
		echo "make check: no test module tests/snippets/<chapter>/test_$(NAME).py for NAME=$(NAME)" >&2; exit 2; }
	$(BIN)/python -m gtt.runner --only $(NAME)
	$(BIN)/python -m pytest -q tests/snippets/*/test_$(NAME).py

regen: $(STAMP)
	$(BIN)/python -m gtt.runner --regen

bench: $(STAMP)
	$(BIN)/python -m gtt.bench

clean:
	rm -rf site build docs/generated .cache/runner .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
