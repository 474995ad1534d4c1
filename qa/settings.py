"""Every path and knob of the product, read from QA_* environment variables and .env."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbeddingSettings(BaseModel):
    """The sentence-embedding model."""

    model_path: Path | None = Field(
        None, description="Folder of a sentence-transformers model; empty = packaged MiniLM"
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Chunks per forward pass")
    threads: int = Field(
        0, ge=0, le=64, description="Torch threads while indexing; 0 = torch's default (all cores)"
    )
    # Measured in issue 9: 2 threads on 2 shared cores made question p95 0.8-1.3 s, 1 gave 33 ms.
    query_threads: int = Field(
        1, ge=0, le=64, description="Torch threads while encoding questions; 0 = torch's default"
    )
    backend: Literal["torch", "onnx-int8"] = Field(
        "torch",
        description="torch = fp32 MiniLM; onnx-int8 = the packaged int8 ONNX MiniLM "
        "(a store is indexed with one of them)",
    )


class StoreSettings(BaseModel):
    """Where chunks and their vectors live."""

    path: Path = Field(Path(".qa-data"), description="Embedded Chroma store and the catalog")
    url: str | None = Field(None, description="Chroma server URL; empty = embedded store")
    collection: str = Field("qa_chunks", min_length=3, max_length=63)


class IndexSettings(BaseModel):
    """How documents are read and cut into chunks."""

    chunk_tokens: int = Field(200, ge=32, le=254, description="Chunk size in word pieces")
    overlap_tokens: int = Field(40, ge=0, le=128, description="Overlap between chunks")
    max_file_mb: float = Field(20.0, gt=0, description="Largest file accepted")
    parse_seconds: float = Field(
        30.0, gt=0, description="Time allowed to read one file's text before it is refused"
    )
    max_chars: int = Field(
        20_000_000, ge=1, description="Most characters of text one file may hold"
    )
    max_pdf_pages: int = Field(2000, ge=1, description="Most pages a PDF may have")


class RetrievalSettings(BaseModel):
    """How a question finds passages."""

    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer")
    candidates: int = Field(40, ge=1, le=500, description="Candidates per ranker before fusion")
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="Hybrid fusion: weighted normalised scores, or reciprocal ranks"
    )
    # Tuned on SQuAD 2.0 dev (eval/BENCHMARKS.md): 0.35-0.45 is a plateau for R@1 and R@5.
    dense_weight: float = Field(
        0.4, ge=0, le=1, description="Weight of the dense ranker in hybrid fusion (rest: BM25)"
    )
    rrf_k: int = Field(60, ge=1, le=1000, description="Rank offset of reciprocal-rank fusion")


class AnswerSettings(BaseModel):
    """The extractive answerer and when to abstain."""

    max_sentences: int = Field(3, ge=1, le=10)
    # Calibrated by eval/bench/calibrate_abstention.py on SQuAD 2.0 dev (eval/BENCHMARKS.md).
    min_support: float = Field(
        0.455, ge=0, le=1, description="Abstain when the best sentence scores below this"
    )
    margin: float = Field(0.08, ge=0, le=1, description="Extra sentences score within this")
    # "score" stays the default: the learned model measured worse on held-out SQuAD articles
    # (abstention balanced accuracy 0.574 vs 0.618) and on the sample corpus; see fit_support.
    support: Literal["learned", "score"] = Field(
        "score",
        description="learned: P(answers) from the fitted support model and its threshold; "
        "score: the similarity/overlap mix against min_support",
    )
    support_model: Path | None = Field(
        None, description="JSON of a fitted support model; empty = qa/support_model.json"
    )
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    calibrated: bool = Field(
        True,
        description="Use the refusal cuts `qa calibrate --write` fitted on this collection "
        "(a file beside the catalog) where no setting names them",
    )


class LLMSettings(BaseModel):
    """Which answerer composes the answer, and how a language model is reached."""

    provider: Literal["extractive", "select", "llamacpp", "openai", "ollama"] = "extractive"
    model: str | None = Field(None, description="Model name for openai and ollama")
    model_path: Path | None = Field(
        None, description="GGUF file for select and llamacpp; empty = the packaged local_model"
    )
    local_model: Literal["reader", "smollm2"] = Field(
        "reader",
        description="Packaged GGUF when model_path is empty: reader = Qwen2.5-Coder-1.5B-Instruct"
        " (assembled from PyPI parts), smollm2 = SmolLM2-135M (fast, weak; for tests)",
    )
    model_cache: Path = Field(
        Path("~/.cache/groundedqa/models"),
        description="Folder the packaged reader is assembled into (outside the repository)",
    )
    base_url: str | None = Field(None, description="OpenAI-compatible or Ollama endpoint")
    api_key: SecretStr | None = Field(None, description="Key for the openai endpoint")
    timeout_s: float = Field(30.0, gt=0, description="Give up on the model after this long")
    max_tokens: int = Field(160, ge=16, le=4096, description="Longest answer the model writes")
    temperature: float = Field(0.0, ge=0, le=2)
    draft_tokens: int = Field(
        6,
        ge=0,
        le=32,
        description="At temperature 0, tokens guessed ahead from the prompt and checked in one "
        "batch (prompt-lookup decoding; the same answer, written faster); 0 = one at a time",
    )
    threads: int = Field(2, ge=1, le=64, description="CPU threads generating tokens (local)")
    batch_threads: int = Field(2, ge=1, le=64, description="CPU threads reading prompts (local)")
    context_tokens: int = Field(2048, ge=512, le=131072, description="llamacpp context size")
    max_passages: int = Field(5, ge=1, le=20, description="Passages put in the prompt")
    passage_sentences: int = Field(
        3, ge=0, le=50, description="Sentences of each passage put in the prompt (0 = all)"
    )
    prompt_sentences: int = Field(
        8,
        ge=0,
        le=100,
        description="When above 0, the prompt holds this many sentences, the best across its "
        "passages, instead of passage_sentences from each (a passage with none is left out)",
    )
    prompt_score_gap: float = Field(
        0.15,
        ge=0,
        le=1,
        description="With prompt_sentences, leave out sentences scoring more than this below "
        "the best one (the best 3 always stay); 0 = keep all prompt_sentences",
    )
    flash_attention: bool = Field(
        True, description="llamacpp: flash attention (reads prompts about 5% faster)"
    )
    passage_layout: Literal["document", "passage"] = Field(
        "document",
        description="Prompt layout: one fence per document with its passages as [n] lines "
        "(fewer tokens to read), or each passage fenced under its own title line",
    )
    unsupported: Literal["drop", "flag"] = Field(
        "drop", description="Sentences no passage supports: drop them, or keep them flagged"
    )
    quote_when_unsupported: bool = Field(
        False,
        description="When none of the written sentences is supported, give the extractive "
        "answer instead (a quote, or an abstention by its own support); the answer says so. "
        "Off: on held-out questions it answered more unanswerable questions than it fixed",
    )
    min_claim_support: float = Field(
        0.55, ge=0, le=1, description="A sentence counts as supported from this score up"
    )
    judge: Literal["model", "score"] = Field(
        "model",
        description="Who decides a written sentence is supported: the local model as an "
        "entailment judge (when one is loaded), or the embedding-and-overlap score",
    )
    min_entailment: float = Field(
        0.5, ge=0, le=1, description="The judge's P(yes) from which a sentence is supported"
    )
    check_names: bool = Field(
        False,
        description="A written sentence whose proper names or numbers its evidence lacks is "
        "unsupported, whatever the judge says (qa/names.py); off: it refused more fair "
        "questions than false premises it caught",
    )
    min_not_found: float = Field(
        0.35,
        ge=0,
        le=1,
        description="llamacpp: refuse when P(the reply opens NOT_FOUND) reaches this; below it "
        "the model must write an answer, which verification checks",
    )
    refusal: Literal["learned", "first_token"] = Field(
        "first_token",
        description="llamacpp: refuse by the first-token share against min_not_found, or by "
        "the refusal model (that share mixed with the extractive answerer's support, fitted on "
        "SQuAD 2.0 tuning articles; qa/refusal.py): better on Wikipedia-like text, worse on "
        "the sample corpus",
    )
    refusal_model: Path | None = Field(
        None, description="Refusal model JSON; empty = the packaged qa/refusal_model.json"
    )
    min_selected: float = Field(
        0.5,
        ge=0,
        le=1,
        description="select: answer when 1 - P(the model replies NONE) reaches this",
    )


class JudgeSettings(BaseModel):
    """A hosted judge for `qa eval`: a chat model behind an OpenAI-compatible endpoint."""

    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint of the eval's judge; set = the default judge"
    )
    model: str = Field("gpt-4o-mini", description="Model name the judge endpoint serves")
    api_key: SecretStr | None = Field(None, description="Key for the judge endpoint")
    timeout_s: float = Field(60.0, gt=0, description="Give up on one verdict after this long")

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class ServiceSettings(BaseModel):
    """The HTTP service."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(
        None, description="Required on POST/DELETE /documents when set (X-API-Key header)"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description='Origins allowed by CORS, as JSON: ["https://a.b"]'
    )
    max_upload_mb: float = Field(20.0, gt=0, description="Largest upload request, all files")
    max_upload_files: int = Field(10, ge=1, le=1000, description="Most files in one upload")
    max_request_kb: int = Field(1024, ge=1, description="Largest request body other than uploads")
    open: bool = Field(
        False,
        description="Allow `qa serve` on a non-loopback address without an API key "
        "(anyone who reaches it can add and delete documents)",
    )
    # Uploads are indexed as jobs beside questions (service/jobs.py).
    max_waiting_uploads: int = Field(
        8, ge=1, le=10_000, description="Uploads queued behind the one being indexed; more get 503"
    )
    jobs_kept: int = Field(100, ge=1, le=100_000, description="Finished jobs /jobs/{id} remembers")
    ingest_threads: int = Field(
        1, ge=0, le=64, description="Torch threads an upload is embedded with (0 = torch's default)"
    )
    write_burst: int = Field(20, ge=1, description="Writes a client may send at once")
    write_per_minute: float = Field(
        60, gt=0, description="Writes per minute a client may keep up (per client address)"
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        # QA_SERVICE__API_KEY= (empty, as .env.example shows it) means no key, not "".
        return None if isinstance(value, str) and not value.strip() else value


class Settings(BaseSettings):
    """All settings; built once at each entry point and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="QA_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        env_parse_none_str="",
    )

    embeddings: EmbeddingSettings = EmbeddingSettings()
    store: StoreSettings = StoreSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    judge: JudgeSettings = JudgeSettings()
    service: ServiceSettings = ServiceSettings()
