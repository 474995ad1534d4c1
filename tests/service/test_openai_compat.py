"""POST /v1/chat/completions and GET /v1/models, used through the official openai client."""

import openai
import pytest

from tests.service.conftest import FOLLOW_UP_FIRST


@pytest.fixture(scope="module")
def oa(live_url):
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)


def test_models_lists_the_service(oa):
    assert [m.id for m in oa.models.list().data] == ["groundedqa"]


def test_completion_carries_markers_and_structured_citations(oa, sample_settings):
    completion = oa.chat.completions.create(
        model="groundedqa",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What did Russia veto in March?"},
        ],
    )
    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert "Russia vetoed the extension of a UN panel" in content
    citations = completion.model_extra["citations"]
    assert citations and completion.model_extra["abstained"] is False
    for citation in citations:
        assert f"[{citation['marker']}]" in content
        assert citation["quote"] in content  # listed under Sources


def test_streamed_completion_adds_up_to_the_whole_answer(oa):
    messages = [{"role": "user", "content": "What did Russia veto in March?"}]
    whole = oa.chat.completions.create(model="groundedqa", messages=messages)
    chunks = list(oa.chat.completions.create(model="groundedqa", messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) >= 3
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]


def test_history_makes_a_follow_up_standalone(oa):
    completion = oa.chat.completions.create(
        model="groundedqa",
        messages=[
            {"role": "user", "content": FOLLOW_UP_FIRST},
            {"role": "assistant", "content": "She says it could justify sending soldiers."},
            {"role": "user", "content": "and what does she say about China?"},
        ],
    )
    assert "China" in completion.choices[0].message.content
    assert all(c["source"].startswith("004_") for c in completion.model_extra["citations"])


def test_abstention_and_bad_input(oa):
    completion = oa.chat.completions.create(
        model="groundedqa", messages=[{"role": "user", "content": "Who won the 2018 World Cup?"}]
    )
    assert completion.model_extra["abstained"] is True
    assert completion.model_extra["citations"] == []
    with pytest.raises(openai.BadRequestError) as caught:
        oa.chat.completions.create(
            model="groundedqa", messages=[{"role": "assistant", "content": "Hello"}]
        )
    assert "last message must be the user's question" in str(caught.value)
