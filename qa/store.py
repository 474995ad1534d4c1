"""The Chroma collection of chunk vectors: embedded on disk, or a `chroma run` server."""

import os
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from qa.errors import ConfigError, StoreUnavailable
from qa.settings import StoreSettings
from qa.types import Chunk

# Chroma's telemetry would try the network; this product never leaves loopback.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


Encode = Callable[[Sequence[str]], np.ndarray]


def _chroma_embedding_function(encode: Encode) -> Any:
    """Chroma's side of our model, so Chroma never falls back to its downloading default."""
    from chromadb.api.types import EmbeddingFunction

    class PackagedEmbeddingFunction(EmbeddingFunction):
        def __init__(self) -> None:
            pass

        def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
            return list(encode(input))

        @staticmethod
        def name() -> str:
            return "groundedqa-packaged-minilm"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "PackagedEmbeddingFunction":
            return PackagedEmbeddingFunction()

    return PackagedEmbeddingFunction()


class ChunkStore:
    """Chunk vectors, texts and metadata in one Chroma collection (cosine distance)."""

    def __init__(self, settings: StoreSettings, encode: Encode) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        self.location = settings.url or str(settings.path / "chroma")
        try:
            if settings.url:
                url = urlparse(settings.url)
                if url.scheme not in ("http", "https") or not url.hostname:
                    raise ConfigError(
                        f"QA_STORE__URL must look like http://host:port, got {settings.url!r}"
                    )
                self._client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                self._client = chromadb.PersistentClient(
                    path=str(settings.path / "chroma"), settings=chroma_settings
                )
            self._collection = self._client.get_or_create_collection(
                settings.collection,
                embedding_function=_chroma_embedding_function(encode),
                configuration={"hnsw": {"space": "cosine"}},
            )
        except ConfigError:
            raise
        except Exception as exc:
            raise StoreUnavailable(
                f"cannot open the Chroma store at {self.location}: {exc}"
            ) from exc

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise StoreUnavailable(f"Chroma {what} failed at {self.location}: {exc}") from exc

    def heartbeat(self) -> None:
        """Raise StoreUnavailable unless Chroma answers."""
        self._call("heartbeat", self._client.heartbeat)

    def count(self) -> int:
        return int(self._call("count", self._collection.count))

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        return set(self._call("get", self._collection.get, include=[])["ids"])

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, titles: dict[str, str]) -> None:
        """Write chunks with their vectors, in as few requests as Chroma allows."""
        batch = max(1, int(self._call("limits", self._client.get_max_batch_size)))
        for first in range(0, len(chunks), batch):
            part = chunks[first : first + batch]
            self._call(
                "upsert",
                self._collection.upsert,
                ids=[c.chunk_id for c in part],
                embeddings=vectors[first : first + batch],
                documents=[c.text for c in part],
                metadatas=[
                    {
                        "doc_id": c.doc_id,
                        "title": titles[c.doc_id],
                        "position": c.position,
                        "start": c.start,
                        "end": c.end,
                    }
                    for c in part
                ],
            )

    def delete(self, chunk_ids: set[str]) -> None:
        if chunk_ids:
            self._call("delete", self._collection.delete, ids=sorted(chunk_ids))

    def search(
        self, vector: np.ndarray, limit: int, doc_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        where = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        found = self._call(
            "query",
            self._collection.query,
            query_embeddings=[vector],
            n_results=limit,
            where=where,
            include=["distances"],
        )
        return [(i, 1.0 - d) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]
