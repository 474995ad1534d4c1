"""Entailment by the local model: is each claim stated by its evidence? P(yes) per claim.

All claims of one answer are judged after one shared prompt prefix (the rules and the
evidence), so the evidence is read once; each claim is asked on its own, so the order of the
claims cannot sway the verdicts.
"""

from collections.abc import Sequence

from qa.llm.local import LocalModel
from qa.prompts import load_prompt, load_template


class EntailmentJudge:
    """Asks the local model whether each claim follows from the evidence."""

    def __init__(self, model: LocalModel) -> None:
        self.model = model

    def support(self, claims: Sequence[str], evidence: Sequence[str]) -> list[float]:
        """P(supported) for every claim, each judged against all of `evidence`."""
        if not claims:
            return []
        if not evidence:
            return [0.0 for _ in claims]
        prefix, questions = judge_prompts(claims, evidence)
        return self.model.yes_probabilities(prefix, questions)


def judge_prompts(
    claims: Sequence[str], evidence: Sequence[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """The judge's system and evidence messages, and one question per claim to end them with
    (prompts/judge_*.txt); shared by the local and the hosted judge."""
    lines = "\n".join(f"- {e.strip()}" for e in dict.fromkeys(evidence))
    prefix = [
        ("system", load_prompt("judge_system")),
        ("user", load_template("judge_evidence").format(evidence=lines)),
    ]
    return prefix, [load_prompt("judge_claim").format(claim=c.strip()) for c in claims]
