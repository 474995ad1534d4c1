"""Greedy decoding that guesses ahead from the prompt (prompt-lookup decoding), same tokens.

An answer copies much of its wording from the passages. After each token, the last few
tokens written are looked up in the prompt and what followed them there becomes a draft;
the model checks the token and the whole draft in one batch, keeps the longest run it agrees
with and its own next choice, and drops the rest from its cache. One batch of seven tokens
costs about twice one token on this machine, so an accepted run of copied words is written at
a fraction of the price (eval/BENCHMARKS.md). Only greedy decoding can be checked this way.

llama-cpp-python's own LlamaPromptLookupDecoding needs logits for every prompt token, which
made it slower than plain decoding here; this loop asks for logits on the checked batch only.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

# n-gram lengths looked up, longest first (a single token matches too often to be worth a
# batch), and the longest draft: chosen by replaying recorded answers (eval/BENCHMARKS.md).
NGRAMS = (3, 2)
DRAFT_MAX = 6


def draft_after(history: Sequence[int], ngrams: Sequence[int], limit: int) -> list[int]:
    """What followed the latest earlier occurrence of the history's last n tokens."""
    for n in ngrams:
        if len(history) <= n:
            continue
        tail = list(history[-n:])
        for start in range(len(history) - n - 1, -1, -1):
            if list(history[start : start + n]) == tail:
                return list(history[start + n : start + n + limit])
    return []


def agreed(draft: Sequence[int], choices: Sequence[int]) -> int:
    """How many draft tokens the model would have written itself, from the first."""
    kept = 0
    while kept < len(draft) and draft[kept] == choices[kept]:
        kept += 1
    return kept


def greedy_tokens(
    llama: Any,
    prompt: list[int],
    max_tokens: int,
    stop_ids: set[int],
    banned_first: Sequence[int] = (),
    draft_max: int = DRAFT_MAX,
) -> Iterator[int]:
    """The tokens plain greedy decoding would write after `prompt`, drafted from the prompt.

    Reuses the cached common prefix of `prompt`; the caller holds the model's lock. Stops
    before a token of `stop_ids`, or after `max_tokens`; `draft_max` 0 decodes one token at a
    time.
    """
    read_prompt(llama, prompt)
    choices = [_best(last_logits(llama, -1), banned_first)]
    written: list[int] = []
    history = list(prompt)
    while True:
        token = choices[0]
        if token in stop_ids or len(written) >= max_tokens:
            return
        written.append(token)
        history.append(token)
        yield token
        room = max_tokens - len(written)
        if room <= 0:
            return
        draft = draft_after(history, NGRAMS, min(draft_max, room)) if draft_max else []
        choices = _check(llama, [token, *draft])
        kept = agreed(draft, choices)
        for extra in draft[:kept]:
            if extra in stop_ids or len(written) >= max_tokens:
                return
            written.append(extra)
            history.append(extra)
            yield extra
        if kept < len(draft):
            _forget_after(llama, llama.n_tokens - (len(draft) - kept))
        choices = choices[kept:]


def read_prompt(llama: Any, prompt: list[int]) -> None:
    """Evaluate what the cache lacks of `prompt`, at least its last token (for its logits)."""
    cached = llama.input_ids[: llama.n_tokens]
    same = 0
    limit = min(len(cached), len(prompt) - 1)
    while same < limit and cached[same] == prompt[same]:
        same += 1
    llama.n_tokens = same
    llama.eval(prompt[same:])


def _check(llama: Any, tokens: list[int]) -> list[int]:
    """Decode `tokens` in one batch; the greedy choice after each of them."""
    start = llama.n_tokens
    llama._ctx.kv_cache_seq_rm(-1, start, -1)
    llama._batch.set_batch(batch=tokens, n_past=start, logits_all=True)
    llama._ctx.decode(llama._batch)
    llama.input_ids[start : start + len(tokens)] = tokens
    llama.n_tokens = start + len(tokens)
    return [int(np.argmax(last_logits(llama, i))) for i in range(len(tokens))]


def _forget_after(llama: Any, position: int) -> None:
    """Drop cached tokens from `position` on (a draft the model did not agree with)."""
    llama._ctx.kv_cache_seq_rm(-1, position, -1)
    llama.n_tokens = position


def last_logits(llama: Any, index: int) -> np.ndarray:
    """The logits the last decode left for its `index`-th output (-1: the last); a view."""
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llama.ctx, index)
    return np.ctypeslib.as_array(pointer, shape=(llama.n_vocab(),))


def _best(logits: np.ndarray, banned: Sequence[int]) -> int:
    if not banned:
        return int(np.argmax(logits))
    allowed = logits.copy()
    allowed[list(banned)] = -np.inf
    return int(np.argmax(allowed))
