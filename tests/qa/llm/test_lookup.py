"""Prompt-lookup decoding: the model's own greedy tokens, in fewer model calls."""

import numpy as np
import pytest

from qa.llm import lookup
from qa.llm.local import render_chat
from qa.llm.lookup import agreed, draft_after, greedy_tokens

pytestmark = pytest.mark.llm
SENTENCE = (
    "In March, Russia vetoed the extension of a UN panel that had been responsible for "
    "monitoring sanctions enforcement against North Korea."
)


def test_a_draft_follows_the_latest_match_of_the_longest_tail():
    assert draft_after([1, 2, 3, 9, 1, 2, 4, 5, 7, 1, 2], (3, 2), 3) == [4, 5, 7]
    # the 3-token tail matches early on; it wins over a later 2-token match
    assert draft_after([5, 1, 2, 8, 6, 1, 2, 9, 5, 1, 2], (3, 2), 3) == [8, 6, 1]
    assert draft_after([1, 2, 3, 4], (3, 2), 4) == []
    assert draft_after([7, 7], (3, 2), 4) == []


def test_only_the_drafts_agreed_prefix_counts():
    assert agreed([4, 5, 6], [4, 5, 7, 8]) == 2
    assert agreed([4], [3, 1]) == 0
    assert agreed([], [3]) == 0


@pytest.fixture(scope="module")
def smol(gguf):
    llama_cpp = pytest.importorskip("llama_cpp")
    return llama_cpp.Llama(model_path=str(gguf), n_ctx=1024, n_threads=2, verbose=False)


def test_every_token_is_the_models_greedy_choice_in_fewer_calls(smol, monkeypatch):
    import llama_cpp

    calls, rejected = [], []
    check, forget = lookup._check, lookup._forget_after
    monkeypatch.setattr(lookup, "_check", lambda llama, t: calls.append(1) or check(llama, t))
    monkeypatch.setattr(
        lookup, "_forget_after", lambda llama, at: rejected.append(1) or forget(llama, at)
    )
    # Two near-identical sentences: drafts taken from the wrong one get rejected.
    other = "In April, China vetoed the extension of a UN panel that had been responsible for "
    text = f"Sentence A: {SENTENCE}\nSentence B: {other}writing reports.\n"
    messages = [("user", f"{text}Repeat sentence A word for word.")]
    prompt = smol.tokenize(render_chat(messages).encode(), add_bos=False, special=True)
    written = list(greedy_tokens(smol, prompt, 48, {smol.token_eos()}))
    assert len(written) >= 20
    assert len(calls) < len(written) * 0.7, "copied words were drafted and accepted"
    assert rejected, "some drafts were wrong and taken back"

    # The same tokens fed one by one to a clean context: each was the model's best, up to the
    # float noise of reading several tokens in one batch. A cache left holding a rejected
    # draft would show here as tokens the model would not have chosen.
    smol.n_tokens = 0
    smol.eval(prompt)
    for token in written:
        pointer = llama_cpp.llama_get_logits_ith(smol.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(smol.n_vocab(),))
        assert logits[token] >= float(logits.max()) - 0.05
        smol.eval([token])


def test_plain_and_drafted_decoding_agree_on_a_copied_answer(smol):
    messages = [("user", f"Repeat this sentence word for word:\n{SENTENCE}")]
    prompt = smol.tokenize(render_chat(messages).encode(), add_bos=False, special=True)
    stops = {smol.token_eos()}
    drafted = list(greedy_tokens(smol, prompt, 40, stops))
    plain = list(greedy_tokens(smol, prompt, 40, stops, draft_max=0))
    assert smol.detokenize(drafted) == smol.detokenize(plain)
