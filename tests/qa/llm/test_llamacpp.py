"""The llamacpp backend: the packaged SmolLM2 in-process, with every citation verified."""

import copy
import re
from dataclasses import replace

import pytest

from qa.compose import AnswerContext
from qa.errors import ConfigError
from qa.llm.passages import prompt_texts
from qa.pipeline import build_pipeline
from qa.refusal import load_refusal_model, logit, refusal_probability
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
    settings = llama_pipeline.answerer.settings
    shown = context.passages[: settings.max_passages]
    texts = prompt_texts(
        replace(context, passages=shown),
        settings.passage_sentences,
        settings.prompt_sentences,
        settings.prompt_score_gap,
    )
    assert sum(1 for t in texts if t) >= 2
    lines = dict(re.findall(r"^\[(\d+)\] (.*)$", user, re.M))
    for number, (passage, text) in enumerate(zip(shown, texts, strict=True), start=1):
        if not text:
            assert str(number) not in lines
            continue
        assert lines[str(number)] == " ".join(text.split())
        fence = user[: user.index(f"\n[{number}] ")].rsplit("<document title=", 1)[1]
        assert "</document>" not in fence, "the passage sits inside its document's fence"
        # the prompt holds the passage's own sentences, cut to the best ones, never rewritten
        flat = " ".join(passage.text.split())
        for piece in text.split(" … "):
            assert piece and " ".join(piece.split()) in flat


def test_missing_gguf_is_a_config_error_naming_the_setting(tmp_path):
    settings = make_settings(
        tmp_path / "store", llm={"provider": "llamacpp", "model_path": tmp_path / "none.gguf"}
    )
    with pytest.raises(ConfigError, match="QA_LLM__MODEL_PATH"):
        build_pipeline(settings)


def test_a_restored_system_turn_reads_the_same_as_a_fresh_context(gguf):
    """Answer and judge prompts alternate in one context; restoring the saved state after each
    system turn must give exactly what a fresh model gives."""
    from llama_cpp import Llama

    from qa.llm.local import LocalModel

    def fresh() -> LocalModel:
        llama = Llama(model_path=str(gguf), n_ctx=1024, n_threads=2, verbose=False)
        return LocalModel(llama=llama, name="smollm2")

    answer = [("system", "Answer in one short sentence."), ("user", "What colour is the sky?")]
    judge = [("system", "You check claims."), ("user", "Evidence: the sky is blue.\n")]
    claims = ["Claim: the sky is blue. Yes or no?", "Claim: the sky is green. Yes or no?"]

    first = fresh()
    expected_reply = first.complete(answer, 24)
    expected_votes = fresh().yes_probabilities(judge, claims)

    shared = fresh()
    shared.complete(answer, 24)
    votes = shared.yes_probabilities(judge, claims)  # restores from a context holding the answer
    reply = shared.complete(answer, 24)  # and back again
    assert reply == expected_reply
    assert votes == pytest.approx(expected_votes, abs=1e-3)
    assert len(shared._system_states) == 2


def test_a_reply_can_be_kept_from_opening_with_a_word(llama_pipeline):
    local = llama_pipeline.answerer.model.local
    asked = [("user", "What colour is the sky on a clear day?")]
    usual = local.complete(asked, 8)
    first = usual.split()[0]
    overruled = "".join(local.stream(asked, 8, forbid_first=(first, f" {first}")))
    assert overruled.strip() and not overruled.lstrip().startswith(first)
    assert local.complete(asked, 8) == usual, "the ban holds for one reply only"


def gated(llama_pipeline, threshold: float):
    """The pipeline's llamacpp answerer refusing by the first token alone, at `threshold`."""
    answerer = copy.copy(llama_pipeline.answerer)
    update = {"min_not_found": threshold, "refusal": "first_token"}
    answerer.settings = answerer.settings.model_copy(update=update)
    answerer.refusal_model = None
    return answerer


def test_the_refusal_gate_decides_before_anything_is_written(llama_pipeline):
    context = context_for(llama_pipeline, QUESTION)
    p_not = llama_pipeline.answerer.gate(llama_pipeline.answerer.messages(context))
    # At a threshold of 0 every question is refused, without a word written.
    [refusal] = list(gated(llama_pipeline, 0.0).stream(context))
    assert refusal.abstained and not refusal.citations
    assert refusal.support == pytest.approx(1 - p_not, abs=1e-3)
    # At 1 the model must write; what it writes is verified as usual.
    *deltas, written = list(gated(llama_pipeline, 1.0).stream(context))
    assert deltas and not "".join(deltas).lstrip().startswith(("NOT", "["))
    assert written.claims


def test_the_learned_refusal_mixes_the_first_token_with_the_extractive_support(
    llama_pipeline,
):
    assert llama_pipeline.answerer.refusal_model is None, "the first-token rule is the default"
    answerer = copy.copy(llama_pipeline.answerer)
    answerer.settings = answerer.settings.model_copy(update={"refusal": "learned"})
    answerer.refusal_model = load_refusal_model()
    context = context_for(llama_pipeline, QUESTION)
    messages = answerer.messages(context)
    signals = answerer.refusal_signals(context, messages)
    assert signals[0] == pytest.approx(logit(answerer.gate(messages)), abs=1e-3)
    p_refuse, threshold = answerer.refusal_share(context, messages)
    assert p_refuse == pytest.approx(refusal_probability(answerer.refusal_model, signals))
    assert threshold == answerer.refusal_model.threshold
    # At a threshold of 0 the model refuses with 1 - P(refuse) as support; at 1 it writes.
    strict = copy.copy(answerer)
    strict.refusal_model = replace(answerer.refusal_model, threshold=0.0)
    [refusal] = list(strict.stream(context))
    assert refusal.abstained and refusal.support == pytest.approx(1 - p_refuse, abs=1e-3)
    lenient = copy.copy(answerer)
    lenient.refusal_model = replace(answerer.refusal_model, threshold=1.0)
    *deltas, written = list(lenient.stream(context))
    assert deltas and written.claims


@pytest.mark.parametrize("reply", ["Not_FOUND", "not_found", " NOT_FOUND.", ""])
def test_the_not_found_words_in_any_case_are_an_abstention(llama_pipeline, reply):
    """The reader, kept from opening with "NOT", wrote "Not_FOUND" (seen on the sample set)."""
    context = context_for(llama_pipeline, QUESTION)
    composition = llama_pipeline.answerer.finish(context, reply)
    assert composition.abstained and not composition.citations and not composition.claims


def test_when_nothing_written_is_borne_out_the_documents_are_quoted(llama_pipeline):
    """A reply that goes along with a false premise is rejected sentence by sentence; the
    answer then quotes what the passages say (or abstains by the extractive support)."""
    question = "Why did Vladimir Putin fly to Ulaanbaatar on June 19?"
    context = context_for(llama_pipeline, question)
    invented = "Putin flew to Ulaanbaatar to sign a trade deal with Mongolia on the Moon. [1]"
    answerer = copy.copy(llama_pipeline.answerer)
    answerer.settings = answerer.settings.model_copy(update={"quote_when_unsupported": True})
    quoted = answerer.finish(context, invented)
    assert not quoted.abstained and quoted.citations
    assert "Ulaanbaatar" not in quoted.text and "Moon" not in quoted.text
    assert quoted.fallback and "quoted from the passages" in quoted.fallback
    assert [c.supported for c in quoted.claims] == [False], "the rejected verdict stays listed"
    document = llama_pipeline.document(quoted.citations[0].doc_id).text
    for c in quoted.citations:
        assert document[c.start : c.end] == c.quote or c.doc_id != quoted.citations[0].doc_id
    assert "Pyongyang" in quoted.text
    assert llama_pipeline.answerer.finish(context, invented).abstained, "off by default"
