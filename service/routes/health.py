"""GET /healthz (the process answers) and GET /readyz (answering is warm, store reachable)."""

from fastapi import APIRouter

from service.deps import StateDep
from service.schemas import Health, error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses=error_responses(503),
    summary="A question can be answered at full speed: model, catalog and store are warm",
)
def readyz(state: StateDep) -> Health:
    # 503 not_ready during the start-up warm-up; builds the pipeline now if the store was
    # down at start-up (StoreUnavailable is a 503).
    pipeline = state.ready_pipeline()
    pipeline.store.heartbeat()
    # An LLM backend that is down does not make the service unready: answers fall back to
    # the extractive answerer, and the detail says why.
    problem = getattr(pipeline.answerer, "problem", None)
    return Health(status="ready", detail=(problem() if problem else None) or "")
