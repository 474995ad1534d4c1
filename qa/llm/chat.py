"""Answers written by a chat model (any LangChain chat model), then verified sentence by sentence.

The model never has the last word on citations: qa.verify checks each sentence against the
passages; markers that point nowhere go, unsupported sentences are dropped or flagged, and
an answer with nothing supported becomes an abstention. A model that fails or runs past its
deadline hands over to the extractive answerer, and the answer says so.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

from qa.compose import AnswerContext, Composition
from qa.llm.extractive import ExtractiveAnswerer
from qa.prompts import load_prompt
from qa.settings import Settings
from qa.types import Turn
from qa.verify import verify_answer

Delta = str


class ChatAnswerer:
    """Prompt a chat model with fenced, numbered passages; verify what it writes."""

    def __init__(
        self, name: str, model: Any, settings: Settings, probe_url: str | None = None
    ) -> None:
        self.name = name
        self.model = model  # a LangChain chat model
        self.probe_url = probe_url  # answers 200 when a remote backend is up
        self.settings = settings.llm
        self._lock = threading.Lock()  # one generation at a time: local models are not reentrant
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
        template = load_prompt("passage")
        blocks = [
            template.format(number=n, title=p.title, text=p.text.replace("</passage", "< /passage"))
            for n, p in enumerate(context.passages[: self.settings.max_passages], start=1)
        ]
        system = load_prompt("answer_system").format(not_found=load_prompt("not_found"))
        user = load_prompt("answer_user").format(
            passages="\n\n".join(blocks), question=context.question
        )
        return [("system", system), ("human", user)]

    def stream(self, context: AnswerContext) -> Iterator[Delta | Composition]:
        """Text deltas as the model writes them, then the verified Composition."""
        if not context.passages:
            yield self._extractive.compose(context)
            return
        deadline = time.monotonic() + self.settings.timeout_s
        parts: list[str] = []
        try:
            with self._lock:
                for chunk in self.model.stream(self.messages(context)):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        parts.append(piece)
                        yield piece
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
        if load_prompt("not_found") in text or not text.strip():
            return Composition(load_prompt("abstention"), (), True, 0.0)
        verdicts = verify_answer(context, text, self.settings.min_claim_support)
        kept, citations = [], []
        for verdict in verdicts:
            claim = verdict.claim
            if claim.supported:
                kept.append(f"{claim.text} {''.join(f'[{m}]' for m in claim.markers)}")
                citations.extend(verdict.citations)
            elif self.settings.unsupported == "flag":
                kept.append(claim.text)
        claims = tuple(v.claim for v in verdicts)
        support = max((c.support for c in claims), default=0.0)
        if not citations:
            return Composition(load_prompt("abstention"), (), True, support, claims)
        return Composition(" ".join(kept), tuple(citations), False, support, claims)

    def condense(self, question: str, history: list[Turn]) -> str:
        """A standalone question written by the model from the conversation."""
        lines = "\n".join(f"{t.role}: {t.content}" for t in history[-6:])
        prompt = load_prompt("condense").format(history=lines, question=question)
        with self._lock:
            reply = self.model.invoke([("human", prompt)])
        text = reply.content.strip() if isinstance(reply.content, str) else ""
        return text.splitlines()[0].strip() if text else question
