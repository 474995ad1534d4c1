"""Answers written by a chat model (any LangChain chat model), then verified sentence by sentence.

The model never has the last word on citations: qa.verify checks each sentence against the
passages; markers that point nowhere go, unsupported sentences are dropped or flagged, and
an answer with nothing supported becomes an abstention. A model that fails or runs past its
deadline hands over to the extractive answerer, and the answer says so.
"""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from qa.answer_type import echoes_question, expected_type, has_type
from qa.claims import written_twice
from qa.compose import AnswerContext, Composition
from qa.condense import condense_prompt, written_question
from qa.llm.extractive import ExtractiveAnswerer
from qa.llm.passages import passage_blocks
from qa.prompts import load_prompt
from qa.refusal import load_refusal_model, refusal_features, refusal_probability
from qa.settings import Settings
from qa.types import Citation, Turn
from qa.verify import Judge, unsupported, verify_answer

Delta = str
# messages -> P(the reply opens with the not-found words), read off the first token
RefusalGate = Callable[[list[tuple[str, str]]], float]
# First tokens of prompts/not_found.txt (NOT_FOUND) as the tokenizer may cut it.
NOT_FOUND_OPENINGS = ("NOT", " NOT")
# What a reply may not open with once the gate let it through: the not-found words, and a bare
# citation marker (the reader sometimes answers "[1]" alone, which says nothing to check).
FORBIDDEN_OPENINGS = (*NOT_FOUND_OPENINGS, "[", " [")


# Question kinds whose answer is checked to hold one (a time, a number); the rules for a
# place or an agent lean on capitalisation and are too loose to overrule a model's answer.
TYPED_ANSWERS = ("time", "quantity")


def says_not_found(text: str) -> bool:
    """An empty reply, or one holding the not-found words in any case ("Not_FOUND" too)."""
    return not text.strip() or load_prompt("not_found").casefold() in text.casefold()


class ChatAnswerer:
    """Prompt a chat model with fenced, numbered passages; verify what it writes."""

    def __init__(
        self,
        name: str,
        model: Any,
        settings: Settings,
        probe_url: str | None = None,
        judge: Judge | None = None,
        serial: bool = True,
        gate: RefusalGate | None = None,
    ) -> None:
        self.name = name
        self.model = model  # a LangChain chat model
        self.probe_url = probe_url  # answers 200 when a remote backend is up
        self.settings = settings.llm
        self.judge = judge  # decides sentence support; None: the embedding-and-overlap score
        # With a gate, the answerer refuses only when P(not found) reaches min_not_found; below
        # it the model must write an answer, which verification then checks sentence by sentence.
        self.gate = gate
        # With a refusal model, the first-token share is one of two signals (qa.refusal).
        self.refusal_model = (
            load_refusal_model(self.settings.refusal_model)
            if gate is not None and self.settings.refusal == "learned"
            else None
        )
        # One generation at a time unless the model serialises itself (a local model does).
        self._lock: Any = threading.Lock() if serial else contextlib.nullcontext()
        self._extractive = ExtractiveAnswerer(settings.answer)

    def problem(self) -> str | None:
        """Why the backend cannot answer right now, or None when it can."""
        if not self.probe_url:
            return None
        import httpx

        try:
            response = httpx.get(self.probe_url, timeout=min(self.settings.timeout_s, 3.0))
        except httpx.HTTPError as exc:
            return f"{self.name} backend unreachable at {self.probe_url}: {type(exc).__name__}"
        if response.status_code >= 400:
            return f"{self.name} backend at {self.probe_url} answered {response.status_code}"
        return None

    def messages(self, context: AnswerContext) -> list[tuple[str, str]]:
        """The system and user messages for this question and its passages."""
        blocks = passage_blocks(context, self.settings)
        system = load_prompt("answer_system").format(not_found=load_prompt("not_found"))
        user = load_prompt("answer_user").format(passages=blocks, question=context.question)
        return [("system", system), ("human", user)]

    def refusal_signals(
        self, context: AnswerContext, messages: list[tuple[str, str]]
    ) -> list[float]:
        """The refusal model's inputs for this question (the gate reads the prompt once)."""
        assert self.gate is not None
        return refusal_features(self.gate(messages), self._extractive.support(context))

    def refusal_share(
        self, context: AnswerContext, messages: list[tuple[str, str]]
    ) -> tuple[float, float]:
        """P(refuse) and the threshold it is held against."""
        assert self.gate is not None
        if self.refusal_model is None:
            return self.gate(messages), self.settings.min_not_found
        p = refusal_probability(self.refusal_model, self.refusal_signals(context, messages))
        return p, self.refusal_model.threshold

    def stream(self, context: AnswerContext) -> Iterator[Delta | Composition]:
        """Text deltas as the model writes them, then the verified Composition."""
        if not context.passages:
            yield self._extractive.compose(context)
            return
        deadline = time.monotonic() + self.settings.timeout_s
        parts: list[str] = []
        try:
            with self._lock:
                messages = self.messages(context)
                options: dict[str, Any] = {}
                if self.gate is not None:
                    p_refuse, threshold = self.refusal_share(context, messages)
                    if p_refuse >= threshold:
                        yield self.refusal(round(1.0 - p_refuse, 4))
                        return
                    options["forbid_first"] = FORBIDDEN_OPENINGS
                for chunk in self.model.stream(messages, **options):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        parts.append(piece)
                        yield piece
                        if any(c in piece for c in ".!?]") and written_twice("".join(parts)):
                            break  # a looping model would only repeat itself to max_tokens
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"no complete answer within {self.settings.timeout_s:g} s"
                        )
        except Exception as exc:  # any backend failure falls back; the reason is reported
            yield self.fall_back(context, exc)
            return
        yield self.finish(context, "".join(parts))

    def compose(self, context: AnswerContext) -> Composition:
        result = None
        for item in self.stream(context):
            if isinstance(item, Composition):
                result = item
        assert result is not None
        return result

    def refusal(self, support: float) -> Composition:
        """ "The documents don't say", with the model's confidence that they do as support."""
        return Composition(load_prompt("abstention"), (), True, support)

    def fall_back(self, context: AnswerContext, exc: Exception) -> Composition:
        composition = self._extractive.compose(context)
        reason = f"{self.name} failed ({type(exc).__name__}: {exc}); extractive answer instead"
        return Composition(
            composition.text,
            composition.citations,
            composition.abstained,
            composition.support,
            composition.claims,
            reason[:500],
        )

    def finish(self, context: AnswerContext, text: str) -> Composition:
        """Verify the model's text and rebuild it from the sentences the passages bear out."""
        if says_not_found(text):
            return Composition(load_prompt("abstention"), (), True, 0.0)
        note = None
        try:
            verdicts = verify_answer(
                context,
                text,
                self.settings.min_claim_support,
                self.judge,
                self.settings.min_entailment,
                self.settings.check_names,
            )
        except Exception as exc:  # a judge that fails leaves the score to decide
            if self.judge is None:
                raise
            verdicts = verify_answer(
                context,
                text,
                self.settings.min_claim_support,
                check_names=self.settings.check_names,
            )
            note = f"the judge failed ({type(exc).__name__}: {exc}); the score decided support"
        asked = f"{context.question} {context.query}"
        verdicts = [
            unsupported(v)
            if v.claim.supported and echoes_question(v.claim.text, context.query, asked)
            else v
            for v in verdicts
        ]
        kept: list[str] = []
        citations: list[Citation] = []
        for verdict in verdicts:
            claim = verdict.claim
            if claim.supported:
                kept.append(f"{claim.text} {''.join(f'[{m}]' for m in claim.markers)}")
                citations.extend(verdict.citations)
            elif self.settings.unsupported == "flag":
                kept.append(claim.text)
        claims = tuple(v.claim for v in verdicts)
        support = max((c.support for c in claims), default=0.0)
        kind = expected_type(context.query)
        said = [v.claim.text for v in verdicts if v.claim.supported]
        if kind in TYPED_ANSWERS and not any(has_type(t, kind) for t in said):
            # Asked for a number or a time and given none: it is not an answer, however true.
            citations = []
        if not citations and self.settings.quote_when_unsupported:
            # A premise the passages contradict is the usual cause: the model writes along
            # with it, the judge rejects that, and a quote states what the documents say.
            quoted = self._extractive.compose(context)
            if not quoted.abstained:
                reason = f"no sentence {self.name} wrote was borne out; quoted from the passages"
                fallback = "; ".join(filter(None, (note, reason)))
                return replace(quoted, claims=claims, fallback=fallback)
        if not citations:
            return Composition(load_prompt("abstention"), (), True, support, claims, note)
        return Composition(" ".join(kept), tuple(citations), False, support, claims, note)

    def condense(self, question: str, history: list[Turn]) -> str:
        """A standalone question written by the model from the conversation."""
        with self._lock:
            reply = self.model.invoke([("human", condense_prompt(question, history))])
        return written_question(reply.content if isinstance(reply.content, str) else "")
