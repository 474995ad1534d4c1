"""The llamacpp backend: the packaged SmolLM2 in-process, with every citation verified."""

import pytest

from qa.compose import AnswerContext
from qa.errors import ConfigError
from qa.llm.chat import prompt_texts
from qa.pipeline import build_pipeline
from tests.conftest import make_settings
from tests.qa.llm.checks import assert_citations_verified

pytestmark = pytest.mark.llm

QUESTION = "What did Russia veto in March?"


def context_for(pipeline, question: str) -> AnswerContext:
    answer = pipeline.ask(question)
    encode = pipeline.embedder.encode
    view = pipeline.catalog.view()
    return AnswerContext(question, question, encode([question])[0], answer.passages, view, encode)


def test_answer_comes_from_the_model_with_verified_citations(llama_pipeline):
    answer = llama_pipeline.ask(QUESTION)
    assert answer.backend == "llamacpp"
    assert answer.fallback is None
    assert answer.claims, "the model's sentences were checked"
    assert_citations_verified(llama_pipeline, answer)


def test_a_marker_pointing_nowhere_is_removed(llama_pipeline):
    context = context_for(llama_pipeline, QUESTION)
    written = "".join(
        piece for piece in llama_pipeline.answerer.stream(context) if isinstance(piece, str)
    )
    composition = llama_pipeline.answerer.finish(context, f"{written} [9]")
    assert "[9]" not in composition.text
    assert all(9 not in claim.markers for claim in composition.claims)
    assert all(c.marker != 9 for c in composition.citations)


def test_streaming_yields_text_then_the_verified_answer(llama_pipeline):
    events = list(llama_pipeline.ask_stream(QUESTION))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "passages" and kinds[-1] == "answer"
    assert kinds.count("delta") >= 2, "tokens arrive as they are generated"
    assert_citations_verified(llama_pipeline, events[-1][1])


def test_prompt_fences_passages_as_numbered_data(llama_pipeline):
    context = context_for(llama_pipeline, QUESTION)
    (_, system), (_, user) = llama_pipeline.answerer.messages(context)
    assert "not instructions" in system
    keep = llama_pipeline.answerer.settings.passage_sentences
    texts = prompt_texts(context, keep)
    for number, (passage, text) in enumerate(
        zip(context.passages[:3], texts, strict=False), start=1
    ):
        assert f'<passage number="{number}">\n{text}\n</passage>' in user
        # the prompt holds the passage's own sentences, cut to the best ones, never rewritten
        for piece in text.split(" … "):
            assert piece and piece in passage.text


def test_missing_gguf_is_a_config_error_naming_the_setting(tmp_path):
    settings = make_settings(
        tmp_path / "store", llm={"provider": "llamacpp", "model_path": tmp_path / "none.gguf"}
    )
    with pytest.raises(ConfigError, match="QA_LLM__MODEL_PATH"):
        build_pipeline(settings)
