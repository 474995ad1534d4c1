"""What the app keeps between requests: settings, the pipeline once built, and the write lock."""

import logging
import threading

from qa.errors import StoreUnavailable
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
from service.errors import NotReady
from service.jobs import JobRunner
from service.locks import ReadWriteLock

log = logging.getLogger("service")


class ServiceState:
    """Builds the pipeline once (model loaded and warmed, store opened) and hands it out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = ReadWriteLock()
        self._pipeline: Pipeline | None = None
        self._building = threading.Lock()
        self._warmed = threading.Event()
        self._warming: threading.Thread | None = None
        self.jobs = JobRunner(self.pipeline, self.lock, settings.service)

    @property
    def built(self) -> bool:
        return self._pipeline is not None

    def start(self) -> None:
        """Build now, then warm answering in the background; /readyz is 503 until it is done.

        An unreachable store is remembered and retried on the next request.
        """
        try:
            pipeline = self.pipeline()
        except StoreUnavailable as exc:
            log.warning("not ready, will retry on the next request: %s", exc.message)
            return
        self._warming = threading.Thread(
            target=self._warm_up, args=(pipeline,), name="warm-up", daemon=True
        )
        self._warming.start()

    def _warm_up(self, pipeline: Pipeline) -> None:
        try:
            with self.lock.reading():  # as a question would: an index change holds it back
                warm_answering(pipeline)
        except Exception:  # a failed warm-up only costs the first question its speed
            log.exception("warm-up query failed")
        finally:
            self._warmed.set()

    def ready_pipeline(self) -> Pipeline:
        """The pipeline once answering is warm; NotReady while the warm-up still runs."""
        if not self._warmed.is_set():
            if self._warming is not None and self._warming.is_alive():
                raise NotReady("warming up: the model, catalog and store are being loaded")
            # The store was down at start-up: build now (StoreUnavailable is a 503) and warm.
            self._warm_up(self.pipeline())
        return self.pipeline()

    def pipeline(self) -> Pipeline:
        if self._pipeline is not None:
            return self._pipeline
        with self._building:
            if self._pipeline is None:
                pipeline = build_pipeline(self.settings)
                warm(pipeline)
                self._pipeline = pipeline
        return self._pipeline

    def close(self) -> None:
        self.jobs.close()
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None


def warm(pipeline: Pipeline) -> None:
    """Load the model and run it once, so the first question pays no start-up cost.

    Upload jobs chunk and embed with the pipeline's indexing_embedder, whose tokenizer is
    their own, so the questions' tokenizer keeps its configuration.
    """
    pipeline.embedder.encode(["warm-up"])


def warm_answering(pipeline: Pipeline) -> None:
    """Warm what the first question would pay for: the model, the catalog and the store index."""
    warm(pipeline)
    if pipeline.catalog.view().chunks:
        question = "What is this about?"
        pipeline.retriever.retrieve(question, pipeline.embedder.encode([question])[0])
