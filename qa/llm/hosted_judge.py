"""Entailment by a hosted chat model (any OpenAI-compatible endpoint): a judge that shares
nothing with the answerer it scores.

The prompt is the local judge's (prompts/judge_*.txt); each claim is asked on its own. The
verdict is P(yes) from the first token's log-probabilities when the endpoint returns them,
else the reply's first word: yes = 1, anything else = 0 (an unclear verdict is no support).
"""

import math
from collections.abc import Sequence
from typing import Any

from qa.errors import BackendError, ConfigError
from qa.llm.judge import judge_prompts
from qa.settings import JudgeSettings


class HostedJudge:
    """Asks a LangChain chat model whether each claim follows from the evidence."""

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name

    def support(self, claims: Sequence[str], evidence: Sequence[str]) -> list[float]:
        """P(supported) for every claim, each judged against all of `evidence`."""
        if not evidence:
            return [0.0 for _ in claims]
        ((_, system), (_, head)), questions = judge_prompts(claims, evidence)
        out = []
        for question in questions:
            try:
                reply = self.model.invoke([("system", system), ("human", head + question)])
            except Exception as exc:  # the endpoint's own error types vary by client
                raise BackendError(
                    f"the judge at {self.name} failed: {type(exc).__name__}: {exc}"[:300]
                ) from exc
            out.append(verdict(reply))
        return out


def verdict(reply: Any) -> float:
    """P(yes) / (P(yes) + P(no)) from the first token's top log-probs, else the first word."""
    logprobs = (getattr(reply, "response_metadata", None) or {}).get("logprobs") or {}
    content = logprobs.get("content") or []
    if content:
        shares = {"yes": 0.0, "no": 0.0}
        for option in content[0].get("top_logprobs") or [content[0]]:
            word = str(option.get("token", "")).strip().lower()
            if word in shares:
                shares[word] += math.exp(float(option.get("logprob", -math.inf)))
        total = shares["yes"] + shares["no"]
        if total > 0:
            return shares["yes"] / total
    text = reply.content if isinstance(reply.content, str) else ""
    words = text.strip().lower().split()
    return 1.0 if words and words[0].strip(".,!:;\"'") == "yes" else 0.0


def build_hosted_judge(settings: JudgeSettings) -> HostedJudge:
    """The judge QA_JUDGE__* describe; a ConfigError naming the setting when none is set."""
    if not settings.base_url:
        raise ConfigError("a hosted judge needs QA_JUDGE__BASE_URL (an OpenAI-compatible /v1 URL)")
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError(
            "the hosted judge needs langchain-openai: pip install '.[openai]'"
        ) from exc
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    model = ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=key,
        timeout=settings.timeout_s,
        max_retries=1,
        temperature=0.0,
        max_tokens=2,
        logprobs=True,
        top_logprobs=5,
    )
    return HostedJudge(model, settings.base_url)
