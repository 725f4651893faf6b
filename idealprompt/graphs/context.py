"""What a graph needs beside its state, passed as its LangGraph context. An optimisation: the session (models,
budget), the task, the strategy pool, the memory, and the evaluator that remembers every answer; and how a
strategy is applied to a prompt, which the warm-up and Stage 2 share. A writing job: the session, the style,
where its exemplars are found, and how its texts are checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool

from idealprompt.agents.describer import describe_mistake
from idealprompt.agents.optimizer import apply_strategy, apply_strategy_with_tools
from idealprompt.agents.reflector import Withheld
from idealprompt.errors import StyleError
from idealprompt.facts import Facts
from idealprompt.facts.slots import SlotLexicon
from idealprompt.memory import Lesson, Memory, ScoredPrior, TaskDescriptor, lessons, rank_strategies
from idealprompt.scoring.evaluate import Evaluation, Evaluator, Prediction, bad_cases, error_statistics
from idealprompt.scoring.facts import Mode
from idealprompt.scoring.style import StyleScorer
from idealprompt.search.beam import Candidate, render
from idealprompt.search.demos import Demo, choose
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.styles import Style, builtin_styles
from idealprompt.tasks import Example, Task
from idealprompt.tools.evaluation import draft_tools, rewrite_tools
from idealprompt.tools.facts import facts_tool
from idealprompt.tools.memory import memory_tools
from idealprompt.tools.style import exemplars_tool, style_tool

EXAMPLES_IN_DESCRIPTOR = 3
PRIORS_CONSULTED = 5  # the most similar tasks' priors that rank strategies for a new one
SHOWN_TO_OPTIMIZER = 4  # training examples the optimizer sees: enough to ground a rule, few enough to fit
MISTAKE_POOL = 20  # training examples a prompt's mistakes (and its right answers) are read from


@dataclass
class Optimization:
    session: Session
    task: Task
    pool: StrategyPool = field(default_factory=StrategyPool.builtin)
    memory: Memory | None = None  # None: no priors are read or written
    priors_before: datetime | None = None  # read only priors written before then: a resumed run's own start

    _descriptions: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.evaluator  # noqa: B018  built now: a task the small model cannot serve (images) fails before any call
        examples = [*self.task.train, *self.task.dev, *self.task.test]
        self.session.protect(text for e in examples for text in (e.text, e.target))

    @cached_property
    def evaluator(self) -> Evaluator:
        return Evaluator.for_session(self.session, self.task)

    @property
    def target(self) -> str:
        """The target model's route: priors are about what helped this model."""
        return self.session.describe("small")

    def descriptor(self) -> TaskDescriptor:
        """The task as the memory compares it with others."""
        return TaskDescriptor(
            name=self.task.name,
            description=self.task.description,
            labels=self.task.labels,
            examples=[e.text for e in self.task.train[:EXAMPLES_IN_DESCRIPTOR]],
        )

    def applicable(self) -> list[str]:
        """The pool's strategies that make sense for this task (labels, images), in pool order."""
        images = any(e.images for e in self.task.train)
        return self.pool.applicable(labels=bool(self.task.labels), images=images)

    @cached_property
    def priors(self) -> list[ScoredPrior]:
        """The priors of the most similar tasks, weighted by their target model's affinity to this run's; none
        without a memory. Read once per run: what the run writes back is for the next one."""
        if self.memory is None:
            return []
        return self.memory.priors.search(
            self.descriptor(), model=self.target, k=PRIORS_CONSULTED, before=self.priors_before
        )

    def favoured(self) -> list[str]:
        """Applicable strategies that priors of similar tasks expect to help (positive score), best first."""
        applicable = set(self.applicable())
        return [s.strategy for s in rank_strategies(self.priors) if s.score > 0 and s.strategy in applicable]

    def favoured_path(self, k: int) -> list[str]:
        """The k best favoured strategies to apply one after another, with one demonstrations strategy at most:
        a second would replace the first's demonstrations, not add to them."""
        path: list[str] = []
        for name in self.favoured():
            if len(path) < k and not (self.pool[name].by_code and any(self.pool[p].by_code for p in path)):
                path.append(name)
        return path

    def lessons(self) -> list[Lesson]:
        """The kept reflections of similar tasks that raised their dev score: shown to the reflector."""
        return lessons(self.priors)

    def withheld(self, evaluation: Evaluation, mistakes: list[Prediction]) -> Withheld:
        """The mistakes as private mode shows them to the reflector: statistics, and the small model's description
        of each (asked once per example and answer: a mistake shown again costs no call)."""
        for m in mistakes:
            if (m.example.id, m.answer) not in self._descriptions:
                self._descriptions[m.example.id, m.answer] = describe_mistake(self.session.model("small"), m, self.task)
        return Withheld(
            statistics=error_statistics(evaluation, labelled=self.task.answer == "label"),
            descriptions=[self._descriptions[m.example.id, m.answer] for m in mistakes],
        )

    def reflector_tools(self, candidate: Candidate, k: int) -> list[BaseTool]:
        """What the reflector may call on `candidate`, metered: its further mistakes and drafts scored on the
        mistake pool, and the priors of similar tasks when there is a memory."""
        tools = draft_tools(self.evaluator, self.mistake_pool(), candidate, k=k)
        return self.session.tools(tools + self._priors_tool())

    def optimizer_tools(
        self, instruction: str, demos: list[Demo], definitions: dict[str, str] | None
    ) -> list[BaseTool]:
        """What the optimizer may call as it rewrites `instruction`, metered: a draft scored on the mistake pool, and
        the priors of similar tasks when there is a memory."""
        tools = rewrite_tools(self.evaluator, self.mistake_pool(), instruction, demos, definitions)
        return self.session.tools(tools + self._priors_tool())

    def _priors_tool(self) -> list[BaseTool]:
        """`retrieve_priors`, when there is a memory to read them from."""
        return [] if self.memory is None else [t for t in memory_tools(self.memory) if t.name == "retrieve_priors"]

    def mistake_pool(self) -> list[Example]:
        """The training examples whose answers show a prompt's mistakes: a prefix of train, as is the warm-up's
        minibatch, so their answers are shared."""
        return self.task.train[:MISTAKE_POOL]

    def apply(
        self,
        name: str,
        instruction: str,
        demos: list[Demo],
        definitions: dict[str, str] | None = None,
        *,
        tools: int = 0,
        notes: list[str] | None = None,
    ) -> tuple[str, list[Demo]] | None:
        """Strategy `name` applied to a prompt: a rewrite of its instruction by the optimizer agent (which may call
        its tools for `tools` turns first, not in private mode; what it called goes to `notes`), or new
        demonstrations chosen by code; None when nothing new came of it. Raises BudgetExhausted."""
        strategy = self.pool[name]
        if strategy.selection is None:  # not by code: a rewrite
            model = self.session.model("large")
            shown = [] if self.session.private else showcase(self.task.train, SHOWN_TO_OPTIMIZER)
            asked: dict[str, Any] = {"prompt": instruction, "strategy": strategy, "task": self.task, "examples": shown}
            if tools and not self.session.private:
                offered = self.optimizer_tools(instruction, demos, definitions)
                new, consultation = apply_strategy_with_tools(model, offered, steps=tools, **asked)
                if notes is not None:
                    notes.append(f"optimizer, {name}: {consultation.said()}")
            else:
                new = apply_strategy(model, **asked)
            return None if new is None else (new, demos)
        right, mistakes = [], []
        if strategy.selection != "cover":  # read from the prompt's answers on train: memoised, or paid once
            current = self.evaluator.evaluate(render(instruction, definitions or {}, demos), self.mistake_pool())
            right = [p.example.id for p in current.predictions if p.score == 1]
            mistakes = [p.example for p in bad_cases(current, labelled=self.task.answer == "label", k=strategy.k)]
        worked = self.task.output.mode == "free"  # a working shown to a model held to the bare answer misleads
        chosen = choose(strategy.selection, strategy.k, self.task.train, right=right, mistakes=mistakes, worked=worked)
        return None if not chosen or chosen == demos else (instruction, chosen)


def with_thread(config: RunnableConfig | None, thread: str) -> RunnableConfig:
    """A caller's LangGraph config (callbacks, tags, metadata) with the run's thread for its checkpoints."""
    config = config or {}
    return {**config, "configurable": {**config.get("configurable", {}), "thread_id": thread}}


def showcase(examples: list[Example], k: int) -> list[Example]:
    """k examples with as many different answers as possible, in their order."""
    chosen: list[Example] = []
    answers: set[str] = set()
    for e in examples:
        if e.target not in answers and len(chosen) < k:
            chosen.append(e)
            answers.add(e.target)
    return chosen + [e for e in examples if e not in chosen][: k - len(chosen)]


@dataclass
class Writing:
    session: Session
    style: Style
    memory: Memory | None = None  # where the style's exemplars are searched, when it holds the style
    lexicon: SlotLexicon | None = None  # the slot values key-value facts are checked against (None: the default)
    scorer: StyleScorer | None = None  # None: the style told apart from the built-in styles

    def __post_init__(self):
        if self.scorer is None:
            self.scorer = StyleScorer.against_builtins(self.style)

    @classmethod
    def of(cls, session: Session, style: Style | str, memory: Memory | None = None, **more) -> Writing:
        """A style by name: from the memory (which stores a built-in style on first use), else a built-in one."""
        if isinstance(style, str):
            if memory is not None:
                style = memory.style(style)
            elif style in builtin_styles():
                style = builtin_styles()[style]
            else:
                raise StyleError(
                    f"no built-in style {style!r} (built in: {', '.join(builtin_styles())}); "
                    "pass a memory that holds it"
                )
        return cls(session, style, memory=memory, **more)

    def exemplars(self, text: str, k: int) -> list[dict[str, str]]:
        """The style's k texts closest in content to `text`, each {"text", "neutral"} ("neutral": the same facts
        stated plainly, or empty): from the memory when it holds the style, else ranked here by its embedder."""
        if k == 0:
            return []
        if self.memory is not None and self._stored:
            found = self.memory.exemplars.search(text, style=self.style.name, k=k)
            return [{"text": e.text, "neutral": e.neutral} for e, _ in found]
        similarity = self._vectors @ _embed([text])[0]
        neutral = self.style.neutral or [""] * len(self.style.exemplars)
        return [{"text": self.style.exemplars[i], "neutral": neutral[i]} for i in np.argsort(-similarity)[:k]]

    def stylist_tools(self, facts: Facts, mode: Mode) -> list[BaseTool]:
        """What the stylist may call on its draft, metered: the fact check against `facts` (in `mode`), the style
        score, and more of the style's exemplars."""
        checker = self.session.data_model("large") if mode == "full" else None
        assert self.scorer is not None  # __post_init__ sets it
        tools = [
            facts_tool(facts, model=checker, lexicon=self.lexicon, mode=mode),
            style_tool(self.scorer, self.style.name),
            exemplars_tool(self.exemplars),
        ]
        return self.session.tools(tools)

    @cached_property
    def _stored(self) -> bool:
        return self.memory is not None and self.memory.styles.find(self.style.name) is not None

    @cached_property
    def _vectors(self) -> np.ndarray:
        return _embed(self.style.exemplars)


def _embed(texts: list[str]) -> np.ndarray:
    from idealprompt.memory.embeddings import embedder

    return embedder().embed(texts)
