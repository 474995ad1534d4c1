"""/readyz means ready: 503 not_ready until a question can be answered at full speed."""

import time

import httpx

from qa.settings import Settings
from service import create_app
from tests.service.conftest import serve


def test_readyz_is_503_until_the_warm_up_question_has_run(sample_settings: Settings):
    app = create_app(sample_settings)
    # An index change under way at start-up holds the warm-up question back, as it would
    # hold back any question: the service must not call itself ready meanwhile.
    index_change = app.state.service.lock.writing()
    index_change.__enter__()
    try:
        with serve(app, warm=False) as url, httpx.Client(base_url=url, timeout=60) as c:
            assert c.get("/healthz").status_code == 200
            for _ in range(3):
                response = c.get("/readyz")
                assert response.status_code == 503
                assert response.json()["error"]["code"] == "not_ready"
                time.sleep(0.3)
            index_change.__exit__(None, None, None)
            index_change = None
            deadline = time.monotonic() + 60
            while (response := c.get("/readyz")).status_code != 200:
                assert response.json()["error"]["code"] == "not_ready"
                assert time.monotonic() < deadline, "never became ready"
                time.sleep(0.05)
            answer = c.post("/ask", json={"question": "What did Russia veto in March?"})
            assert answer.status_code == 200 and answer.json()["citations"]
    finally:
        if index_change is not None:
            index_change.__exit__(None, None, None)
