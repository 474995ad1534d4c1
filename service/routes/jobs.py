"""Upload jobs: GET /jobs/{job_id} tells each file's progress and outcome."""

from typing import Annotated

from fastapi import APIRouter, Path

from service.deps import StateDep
from service.schemas import JobResponse, error_responses

router = APIRouter(prefix="/jobs", tags=["documents"])

JobIdPath = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}$", description="The id POST /documents answered with")
]


@router.get("/{job_id}", response_model=JobResponse, responses=error_responses(404, 422))
def get_job(job_id: JobIdPath, state: StateDep) -> JobResponse:
    """An upload's progress per file, and which files are applied once it has finished."""
    return state.jobs.describe(state.jobs.get(job_id))
