"""Chat models that wrap another (the privacy guard, Ray actors): how the route's reshaping reaches the inner one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableBinding


class WrappingChatModel(BaseChatModel):
    """A model around `inner` that sends it each request with the kwargs it was bound with. A token limit, a
    grammar or a sampling change is made to `inner` and wrapped again (`around`); tools are bound as `inner`'s
    provider wants them."""

    inner: BaseChatModel

    def around(self, inner: BaseChatModel) -> WrappingChatModel:
        """The same wrapper around another configuration of the model."""
        return self.model_copy(update={"inner": inner})

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        bound = self.inner.bind_tools(tools, **kwargs)
        return self.bind(**bound.kwargs) if isinstance(bound, RunnableBinding) else bound
