"""The OpenAPI schema says what the service does: limits, the event stream, allowed methods,
and /docs that works without the internet."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from jsonschema import Draft202012Validator

from service import create_app
from tests.conftest import make_settings
from tests.service.conftest import read_events

ROUTE_METHODS = {"get", "head", "post", "put", "patch", "delete", "options"}


@pytest.fixture(scope="module")
def schema(client) -> dict:
    return client.get("/openapi.json").json()


def validator_for(schema: dict, ref: dict) -> Draft202012Validator:
    """A JSON Schema validator for `ref`, resolving #/components/... inside the document."""
    return Draft202012Validator({**ref, "components": schema["components"]})


def test_the_question_limits_in_the_schema_are_the_ones_enforced(client, schema):
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["minLength"] == 1 and question["pattern"] == r"\S"
    longest = question["maxLength"]
    assert longest == 2000  # QA_ANSWER__MAX_QUESTION_CHARS's default
    checks = validator_for(schema, question)

    def status(text: str) -> int:
        return client.post("/ask", json={"question": text}).status_code

    for text in ("", " \t\n", "x" * (longest + 1), " " + "x" * longest):
        assert not checks.is_valid(text)
        assert status(text) == 400, text
    for text in ("x", "Why? " * (longest // 5)):
        assert len(text) <= longest and checks.is_valid(text)
        assert status(text) == 200, text


def test_the_schema_follows_the_configured_question_limit(tmp_path):
    settings = make_settings(tmp_path / "store", answer={"max_question_chars": 300})
    schema = create_app(settings).openapi()
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["maxLength"] == 300


def test_the_stream_is_declared_as_the_server_sent_events_it_sends(client, schema):
    response_200 = schema["paths"]["/ask/stream"]["post"]["responses"]["200"]
    assert list(response_200["content"]) == ["text/event-stream"]
    event_schema = response_200["content"]["text/event-stream"]["schema"]
    data_schemas = {
        branch["properties"]["event"]["const"]: branch["properties"]["data"]["contentSchema"]
        for branch in event_schema["oneOf"]
    }
    assert list(data_schemas) == ["passages", "delta", "citations", "done", "error"]
    response = client.post("/ask/stream", json={"question": "What did Russia veto in March?"})
    assert response.headers["content-type"].startswith("text/event-stream")
    sent = read_events(response)
    names = [name for name, _ in sent]
    assert names[0] == "passages" and names[-2:] == ["citations", "done"]
    for name, data in sent:
        validator_for(schema, event_schema).validate({"event": name, "data": data})
        validator_for(schema, data_schemas[name]).validate(json.loads(data))
    assert not validator_for(schema, event_schema).is_valid({"event": "surprise", "data": "{}"})
    # The declared shapes are exact: the done event carries no citations or passages.
    done = json.loads(sent[-1][1])
    assert "citations" not in done and "passages" not in done
    error = validator_for(schema, data_schemas["error"])
    assert error.is_valid({"error": {"code": "store_unavailable", "message": "down"}})
    assert not error.is_valid({"detail": "down"})


def test_405_lists_every_method_the_path_takes(client, schema):
    for path, item in schema["paths"].items():
        documented = {method.upper() for method in item if method in ROUTE_METHODS}
        concrete = re.sub(r"\{[^}]+\}", "some-doc-abc123", path)
        refused = sorted({"PUT", "PATCH", "DELETE", "POST"} - documented)[0]
        response = client.request(refused, concrete)
        assert response.status_code == 405, (refused, path)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed - {"HEAD", "OPTIONS"} == documented, (path, allowed)
        assert response.json()["error"]["code"] == "method_not_allowed"


class _Assets(HTMLParser):
    """Every URL a page loads: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {"script": "src", "link": "href", "img": "src"}
        value = dict(attrs).get(names.get(tag, ""))
        if value:
            self.urls.append(value)


def test_docs_load_only_local_files(client):
    page = "/docs"
    response = client.get(page)
    assert response.status_code == 200
    parser = _Assets()
    parser.feed(response.text)
    assert any(url.endswith(".js") for url in parser.urls), parser.urls
    for url in parser.urls:
        absolute = urljoin(str(client.base_url) + page, url)
        assert urlsplit(absolute).netloc == urlsplit(str(client.base_url)).netloc, url
        assert client.get(absolute).status_code == 200, url
    # Nothing else is fetched from elsewhere by the page's own script (fonts, CDN bundles).
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", response.text)
    assert client.get("/redoc").status_code == 404  # ReDoc fetches its logo from a CDN


@pytest.mark.browser
def test_the_docs_render_in_a_browser_cut_off_from_the_internet(live_url):
    from playwright.sync_api import sync_playwright

    from tests.service.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

    local = urlsplit(live_url).netloc
    outside: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).netloc == local or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_local)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(live_url + "/docs")
            operations = page.locator(".opblock-summary-path")
            operations.first.wait_for()
            shown = operations.all_inner_texts()
        finally:
            browser.close()
    assert "/ask/stream" in shown and "/documents/{doc_id}" in shown, shown
    assert not outside, f"the page tried to reach the internet: {outside}"
    assert not errors, errors


def test_a_streamed_chat_completion_has_its_content_type_declared(client, schema):
    """Schema fuzzing found `stream: true` answered text/event-stream where the schema only
    named application/json."""
    body = {"messages": [{"role": "user", "content": "What did Russia veto?"}]}
    declared = schema["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    for stream in (False, True):
        response = client.post("/v1/chat/completions", json={**body, "stream": stream})
        assert response.status_code == 200
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in declared, (stream, media_type, list(declared))
    assert set(declared) == {"application/json", "text/event-stream"}
