"""A role's model on Ray actors: each actor holds the model (an embedded GGUF, loaded once per actor), and the
requests of this process are sent to whichever actor is free.

Only the answering moves: the chat model here is an ordinary LangChain model in the driver, so the session's
callbacks around it (the ledger, which reserves a call before it is sent and refuses one past the budget; the
replay cache; the journal) run where they always run, and stay exact. Each request carries the configured model
(its token limit, grammar, tools), which is plain data; the actor keeps the loaded weights between requests.
An actor that dies is restarted by Ray, and the request it held is sent again (`max_task_retries`): an example is
retried, never lost, and counted once.

    ray start --head --node-ip-address 127.0.0.1     # or nothing: `ray = "local"` starts one in this process
    IDEALPROMPT_RAY=auto idealprompt optimize task.yaml
"""

from __future__ import annotations

import queue
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import ConfigDict, Field

from idealprompt.errors import RouteError
from idealprompt.routes.wrapping import WrappingChatModel

NAMESPACE = "idealprompt"  # the actors are named in it, so that every task of a cluster shares one pool
RAY_EXTRA = "pip install 'idealprompt[ray]'"


class ModelActor:
    """Answers requests with the model each one carries; llama.cpp's weights stay loaded in the actor."""

    def __init__(self) -> None:
        self.answered = 0  # since the actor (re)started: what the driver's ledger is checked against

    def generate(self, model: BaseChatModel, messages: list[BaseMessage], stop, kwargs: dict) -> ChatResult:
        result = model._generate(messages, stop=stop, **kwargs)
        self.answered += 1
        return result

    def served(self) -> int:
        return self.answered


class ActorPool:
    """`size` named actors for one model; a request waits for a free one."""

    def __init__(self, name: str, size: int):
        import ray

        actor = ray.remote(ModelActor)
        options = dict(
            namespace=NAMESPACE,
            lifetime="detached",  # outlives a task of `optimize --ray`, so the next one finds its weights loaded
            get_if_exists=True,
            max_restarts=-1,
            max_task_retries=-1,
            max_concurrency=1,  # llama.cpp answers one sequence at a time
            num_cpus=1,
        )
        self.actors = [actor.options(name=f"{name}-{i}", **options).remote() for i in range(size)]
        self._free: queue.Queue = queue.Queue()
        for a in self.actors:
            self._free.put(a)

    def __len__(self) -> int:
        return len(self.actors)

    def generate(self, model: BaseChatModel, messages: list[BaseMessage], stop, kwargs: dict) -> ChatResult:
        import ray

        actor = self._free.get()
        try:
            return ray.get(actor.generate.remote(model, messages, stop, kwargs))
        except ray.exceptions.RayTaskError as e:  # the model's own error, raised in the actor: raise it here
            raise e.as_instanceof_cause() from None
        finally:
            self._free.put(actor)


class ActorChatModel(WrappingChatModel):
    """`inner`, answered on the actors of `pool`; for the replay cache and the ledger it is `inner` itself."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pool: ActorPool = Field(exclude=True)

    @property
    def _llm_type(self) -> str:
        return self.inner._llm_type  # an answer recorded in this process replays on the actors, and back

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return dict(self.inner._identifying_params)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self.pool.generate(self.inner, messages, stop, kwargs)


_pools: dict[tuple[str, str], ActorPool] = {}


def on_actors(model: BaseChatModel, address: str, size: int, name: str) -> ActorChatModel:
    """`model` answered on `size` actors named after `name` in the Ray cluster at `address` ("local": one started
    in this process; "auto": the one `ray start` runs on this machine; or host:port, ray://host:10001)."""
    connect(address)
    key = (address, name)
    if key not in _pools:
        _pools[key] = ActorPool(f"idealprompt-{name}", size)
    return ActorChatModel(inner=model, pool=_pools[key], name=model.name)


def connect(address: str) -> None:
    """Join the Ray cluster at `address` once per process (a Ray worker is already joined)."""
    try:
        import ray
    except ImportError:
        raise RouteError(f"the `ray` setting needs Ray, which is not installed: {RAY_EXTRA}") from None
    if ray.is_initialized():
        return
    try:
        if address == "local":
            # On loopback: nothing of a local cluster listens beyond this machine.
            ray.init(
                namespace=NAMESPACE,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _node_ip_address="127.0.0.1",
            )
        else:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise RouteError(
            f"no Ray cluster at {address!r} ({e}): start one with `ray start --head --node-ip-address 127.0.0.1`, "
            'or set ray = "local" to start one in this process'
        ) from None
