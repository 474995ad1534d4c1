"""GET /healthz (the process answers) and GET /readyz (model loaded, store reachable)."""

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
    summary="The model is loaded and the store answers",
)
def readyz(state: StateDep) -> Health:
    # Builds the pipeline now if the store was down at start-up; StoreUnavailable is a 503.
    state.pipeline().store.heartbeat()
    return Health(status="ready")
