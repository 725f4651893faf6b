"""Retrieval from the memory as LangChain tools, so agents can call them by tool calling."""

from __future__ import annotations

import json

from langchain_core.tools import BaseTool, tool

from idealprompt.memory import Memory, TaskDescriptor, rank_strategies


def memory_tools(memory: Memory) -> list[BaseTool]:
    """`retrieve_priors` and `retrieve_exemplars` over `memory`; each answers in JSON."""

    @tool
    def retrieve_priors(description: str, labels: list[str] | None = None, model: str | None = None, k: int = 3) -> str:
        """Find optimisation priors of tasks similar to the described one, and rank the prompt-optimisation
        strategies that helped them most. `model` restricts to priors of that target model route."""
        found = memory.priors.search(TaskDescriptor(description=description, labels=labels or []), model=model, k=k)
        return json.dumps(
            {
                "priors": [
                    {
                        "id": f.prior.id,
                        "similarity": round(f.similarity, 3),
                        "task": f.prior.task.description,
                        "model": f.prior.model,
                        "best_paths": [p.model_dump() for p in f.prior.best_paths[:3]],
                    }
                    for f in found
                ],
                "strategies": [
                    {"strategy": s.strategy, "score": round(s.score, 4), "support": s.support}
                    for s in rank_strategies(found)
                ],
            }
        )

    @tool
    def retrieve_exemplars(text: str, style: str | None = None, k: int = 3) -> str:
        """Find texts written in a style (all styles when none is given), closest in content to `text`."""
        found = memory.exemplars.search(text, style=style, k=k)
        return json.dumps([{"style": e.style, "similarity": round(s, 3), "text": e.text} for e, s in found])

    return [retrieve_priors, retrieve_exemplars]
