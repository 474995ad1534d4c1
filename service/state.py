"""What the app keeps between requests: settings, the pipeline once built, and the write lock."""

import logging
import threading

from qa.errors import StoreUnavailable
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
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
        self.jobs = JobRunner(self.pipeline, self.lock, settings.service)

    @property
    def built(self) -> bool:
        return self._pipeline is not None

    def start(self) -> None:
        """Build now; an unreachable store is remembered and retried on the next request."""
        try:
            self.pipeline()
        except StoreUnavailable as exc:
            log.warning("not ready, will retry on the next request: %s", exc.message)

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
