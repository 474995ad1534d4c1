"""CORS on and off, and an error that comes after a stream has begun."""

import asyncio
import json

import httpx
import pytest

from service import create_app
from tests.conftest import make_settings
from tests.service.conftest import read_events

ORIGIN = "https://intranet.example"


async def _requests(app, calls):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return [await client.request(method, path, **kw) for method, path, kw in calls]


def test_cors_is_off_by_default_and_allows_only_configured_origins(tmp_path):
    preflight = {
        "headers": {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
    }
    calls = [
        ("OPTIONS", "/ask", preflight),
        ("GET", "/healthz", {"headers": {"Origin": ORIGIN}}),
        ("GET", "/healthz", {"headers": {"Origin": "https://evil.example"}}),
    ]
    off = asyncio.run(_requests(create_app(make_settings(tmp_path / "a")), calls))
    assert all("access-control-allow-origin" not in r.headers for r in off)

    settings = make_settings(tmp_path / "b", service={"cors_origins": [ORIGIN]})
    on = asyncio.run(_requests(create_app(settings), calls))
    assert on[0].status_code == 200
    assert on[0].headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in on[0].headers["access-control-allow-methods"]
    assert on[1].headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in on[2].headers


def test_an_error_after_the_stream_began_is_an_error_event(tmp_path):
    app = create_app(make_settings(tmp_path / "empty"))
    body = {"json": {"question": "What is in the documents?"}}
    whole, streamed = asyncio.run(
        _requests(app, [("POST", "/ask", body), ("POST", "/ask/stream", body)])
    )
    assert whole.status_code == 400
    assert whole.json()["error"]["code"] == "bad_input"
    assert "nothing is indexed" in whole.json()["error"]["message"]
    assert streamed.status_code == 200
    events = read_events(streamed)
    assert [name for name, _ in events] == ["error"]
    assert json.loads(events[0][1]) == whole.json()


def test_an_empty_api_key_setting_means_no_key(tmp_path):
    from service.deps import require_api_key
    from service.errors import Unauthorized

    open_settings = make_settings(tmp_path / "a", service={"api_key": "  "}).service
    assert open_settings.api_key is None
    require_api_key(open_settings, None)
    keyed = make_settings(tmp_path / "b", service={"api_key": "k3y"}).service
    require_api_key(keyed, "k3y")
    for wrong in (None, "", "k3", "k3y ", "K3Y"):
        with pytest.raises(Unauthorized):
            require_api_key(keyed, wrong)
