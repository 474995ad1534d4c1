"""GET /healthz (the process answers) and GET /readyz (model loaded, store reachable)."""

from fastapi import APIRouter

from qa.errors import QAError
from service.deps import StateDep
from service.errors import NotReady
from service.schemas import Health, error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses=error_responses(503),
    summary="The model is loaded and the store answers",
)
def readyz(state: StateDep) -> Health:
    pipeline = state.pipeline()  # builds it now if the store was down at start-up
    try:
        pipeline.store.heartbeat()
    except QAError as exc:
        raise NotReady(f"the store is unreachable: {exc.message}") from exc
    return Health(status="ready")
