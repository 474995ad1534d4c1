"""Any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp's server, LM Studio, Ollama's /v1)."""

import os
from typing import Any

from qa.errors import ConfigError
from qa.llm import register_llm
from qa.llm.chat import ChatAnswerer
from qa.settings import LLMSettings, Settings


def load_openai(settings: LLMSettings) -> Any:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError(
            "the openai backend needs langchain-openai: pip install '.[openai]'"
        ) from exc
    key = (
        settings.api_key.get_secret_value()
        if settings.api_key
        else os.environ.get("OPENAI_API_KEY")
    )
    if not key and not settings.base_url:
        raise ConfigError(
            "the openai backend needs QA_LLM__API_KEY (or OPENAI_API_KEY) or QA_LLM__BASE_URL"
        )
    return ChatOpenAI(
        model=settings.model or "gpt-4o-mini",
        base_url=settings.base_url,
        api_key=key or "not-needed",
        timeout=settings.timeout_s,
        max_retries=0,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )


@register_llm("openai")
def build_openai(settings: Settings) -> ChatAnswerer:
    base = (settings.llm.base_url or "https://api.openai.com/v1").rstrip("/")
    probe = f"{base}/models" if settings.llm.base_url else None
    return ChatAnswerer("openai", load_openai(settings.llm), settings, probe_url=probe)
