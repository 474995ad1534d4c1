"""FastAPI dependencies: the app state, the pipeline, settings and the API key check."""

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from qa.pipeline import Pipeline
from qa.settings import ServiceSettings
from service.errors import Unauthorized
from service.state import ServiceState

_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed on POST and DELETE /documents when QA_SERVICE__API_KEY is set.",
)


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_pipeline(state: StateDep) -> Pipeline:
    return state.pipeline()


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def get_service_settings(state: StateDep) -> ServiceSettings:
    return state.settings.service


ServiceSettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]


UNAUTHORIZED = "this endpoint needs the API key in the X-API-Key header"


def api_key_accepted(settings: ServiceSettings, given: str | None) -> bool:
    """True when no key is configured, or `given` matches it (compared in constant time)."""
    if settings.api_key is None:
        return True
    expected = settings.api_key.get_secret_value().encode()
    return bool(given) and hmac.compare_digest((given or "").encode(), expected)


def require_api_key(
    settings: ServiceSettingsDep,
    given: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    """Pass when no key is configured, or when the X-API-Key header matches it.

    WriteGuard (service/limits.py) has already refused a wrong key before the body was
    read; this dependency puts the key in the OpenAPI schema and guards direct calls.
    """
    if not api_key_accepted(settings, given):
        raise Unauthorized(UNAUTHORIZED)


ApiKeyDep = Depends(require_api_key)
