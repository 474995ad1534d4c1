"""A model served by Ollama, through langchain-ollama."""

from typing import Any

from qa.errors import ConfigError
from qa.llm import register_llm
from qa.llm.chat import ChatAnswerer
from qa.settings import LLMSettings, Settings


def load_ollama(settings: LLMSettings) -> Any:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise ConfigError(
            "the ollama backend needs langchain-ollama: pip install '.[ollama]'"
        ) from exc
    if not settings.model:
        raise ConfigError("the ollama backend needs a model name: QA_LLM__MODEL (e.g. llama3.2)")
    return ChatOllama(
        model=settings.model,
        base_url=settings.base_url or "http://127.0.0.1:11434",
        temperature=settings.temperature,
        num_predict=settings.max_tokens,
        client_kwargs={"timeout": settings.timeout_s},
    )


@register_llm("ollama")
def build_ollama(settings: Settings) -> ChatAnswerer:
    base = (settings.llm.base_url or "http://127.0.0.1:11434").rstrip("/")
    return ChatAnswerer("ollama", load_ollama(settings.llm), settings, probe_url=f"{base}/api/tags")
