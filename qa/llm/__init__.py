"""Answerer backends, each a factory registered under a lowercase name."""

from collections.abc import Callable
from importlib import import_module

from qa.compose import Answerer
from qa.errors import ConfigError
from qa.settings import Settings

Factory = Callable[[Settings], Answerer]
_FACTORIES: dict[str, Factory] = {}
_BACKEND_MODULES = (
    "qa.llm.extractive",
    "qa.llm.select",
    "qa.llm.llamacpp",
    "qa.llm.openai_compat",
    "qa.llm.ollama_chat",
)


def register_llm(name: str) -> Callable[[Factory], Factory]:
    """Register `factory` as the backend called `name`."""

    def decorator(factory: Factory) -> Factory:
        _FACTORIES[name.lower()] = factory
        return factory

    return decorator


def available_llms() -> list[str]:
    for module in _BACKEND_MODULES:
        import_module(module)
    return sorted(_FACTORIES)


def build_answerer(settings: Settings) -> Answerer:
    """The answerer named by settings.llm.provider."""
    known = available_llms()
    name = settings.llm.provider.lower()
    if name not in _FACTORIES:
        raise ConfigError(
            f"unknown answerer {name!r} (QA_LLM__PROVIDER); known: {', '.join(known)}"
        )
    return _FACTORIES[name](settings)
