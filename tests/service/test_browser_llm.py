"""The web chat with a local model answering: sentences no passage supports are flagged."""

import pytest

from service import create_app
from tests.conftest import make_settings
from tests.qa.llm.conftest import LLM
from tests.service.conftest import index_sample, serve
from tests.service.test_browser import ask, browser, page  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.llm]
# SmolLM2 (greedy) lists items for this question, one of which no passage supports.
QUESTION = "What might North Korea receive in exchange for aiding Russia?"


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory):
    settings = make_settings(
        tmp_path_factory.mktemp("llm-web") / "store",
        llm={"provider": "llamacpp", "unsupported": "flag", **LLM},
    )
    index_sample(settings)
    with serve(create_app(settings)) as url:
        yield url


def test_unsupported_sentences_are_flagged_and_the_rest_cited(page, llm_url, tmp_path):  # noqa: F811
    import httpx

    expected = httpx.post(f"{llm_url}/ask", json={"question": QUESTION}, timeout=300).json()
    assert expected["backend"] == "llamacpp" and expected["fallback"] is None
    unsupported = [c["text"] for c in expected["claims"] if not c["supported"]]
    assert unsupported, "precondition: the model wrote a sentence the passages do not support"

    page.goto(llm_url)
    turn = ask(page, QUESTION)
    flagged = turn.locator(".unsupported li .claim")
    assert flagged.all_inner_texts() == unsupported
    assert "shown above without a citation" in turn.locator(".unsupported").inner_text()
    assert turn.locator("a.cite").count() >= 1
    turn.locator("details.details summary").click()
    verified = len(expected["claims"]) - len(unsupported)
    assert (
        f"{verified} of {len(expected['claims'])}" in turn.locator("details.details").inner_text()
    )
    page.screenshot(path=str(tmp_path / "flagged.png"), full_page=True)
