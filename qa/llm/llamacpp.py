"""A local GGUF model writes the answer (default: the packaged Qwen2.5-Coder-1.5B reader).

The model is prompted in ChatML from the project's own template (prompts/chatml_*.txt), never
the template embedded in the file, and the same model then judges each written sentence
against its evidence (qa.llm.judge) unless QA_LLM__JUDGE=score.
"""

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.llm import register_llm
from qa.llm.chat import NOT_FOUND_OPENINGS, ChatAnswerer
from qa.llm.judge import EntailmentJudge
from qa.llm.local import LocalModel, load_local_model
from qa.settings import Settings


class LocalChat(BaseChatModel):
    """LangChain's chat-model interface over a LocalModel."""

    local: Any
    max_tokens: int = 160

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _messages(self, messages: list[BaseMessage]) -> list[tuple[str, str]]:
        return [(m.type, str(m.content)) for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.local.complete(self._messages(messages), self.max_tokens)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        forbid = kwargs.get("forbid_first", ())
        for piece in self.local.stream(self._messages(messages), self.max_tokens, forbid):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    def refusal_share(self, messages: list[tuple[str, str]]) -> float:
        """P(the reply opens with the not-found words); the prompt stays cached for the reply."""
        return float(self.local.first_token_share(messages, NOT_FOUND_OPENINGS))


def build_local_chat(local: LocalModel, max_tokens: int) -> LocalChat:
    return LocalChat(local=local, max_tokens=max_tokens)


@register_llm("llamacpp")
def build_llamacpp(settings: Settings) -> ChatAnswerer:
    local = load_local_model(settings.llm)
    judge = EntailmentJudge(local).support if settings.llm.judge == "model" else None
    chat = build_local_chat(local, settings.llm.max_tokens)
    return ChatAnswerer(
        "llamacpp", chat, settings, judge=judge, serial=False, gate=chat.refusal_share
    )
