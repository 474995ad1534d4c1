"""Health, readiness, the OpenAPI schema and the page itself."""

from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from service.routes import ask, documents, health, jobs, openai_compat, web


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok", "detail": ""}
    assert client.get("/readyz").status_code == 200


def test_openapi_schema_validates_and_lists_every_route(client):
    schema = client.get("/openapi.json").json()
    validate(schema)
    routes = {
        (route.path, method)
        for module in (ask, documents, health, jobs, openai_compat, web)
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method.upper()) for path, item in schema["paths"].items() for method in item
    }
    assert routes == documented
    assert routes >= {
        ("/ask", "POST"),
        ("/ask/stream", "POST"),
        ("/documents", "GET"),
        ("/documents", "POST"),
        ("/documents/{doc_id}", "GET"),
        ("/documents/{doc_id}", "DELETE"),
        ("/healthz", "GET"),
        ("/readyz", "GET"),
        ("/v1/chat/completions", "POST"),
        ("/v1/models", "GET"),
    }
    stream = schema["paths"]["/ask/stream"]["post"]["responses"]["200"]["content"]
    assert "text/event-stream" in stream
    upload = schema["paths"]["/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert any("X-API-Key" in str(s) for s in schema["components"]["securitySchemes"].values())
    assert client.get("/docs").status_code == 200


def test_the_chat_page_and_its_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/app.js">' in page.text
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    for asset in ("app.css", "dom.js", "sse.js", "source.js"):
        assert client.get(f"/static/{asset}").status_code == 200
