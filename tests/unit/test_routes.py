import hashlib
import importlib.metadata
import importlib.util
import json
from pathlib import Path

import pytest

from idealprompt import Session, routes
from idealprompt.errors import ChecksumError, ModelPackageError, RouteError
from idealprompt.packaged import PackagedFile
from idealprompt.routes import Route, Shape, catalog, check, make_chat_model, resolve, shaped
from tests.fakes import ScriptedChatModel

# Two files of an installed package stand in for model parts: the real lookup, join and check, in milliseconds.
PYTEST = importlib.metadata.version("pytest")
PARTS = (
    PackagedFile("pytest", PYTEST, "pytest", "__init__.py"),
    PackagedFile("pytest", PYTEST, "pytest", "__main__.py"),
)


def _package_bytes() -> bytes:
    folder = Path(importlib.util.find_spec("pytest").submodule_search_locations[0])
    return b"".join((folder / p.path).read_bytes() for p in PARTS)


def _model(sha256: str, parts=PARTS, size: int | None = None) -> catalog.EmbeddedModel:
    size = len(_package_bytes()) if size is None else size
    return catalog.EmbeddedModel("tiny", "test parts", "MIT", parts, size, sha256)


def test_parts_are_joined_in_order_and_verified(tmp_path):
    data = _package_bytes()
    model = _model(hashlib.sha256(data).hexdigest())
    seen = []
    path = catalog.gguf_path(model, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == data and path.name == model.filename
    assert seen[-1] == (len(data), len(data))
    assert catalog.gguf_path(model, tmp_path) == path  # verified once, then trusted


def test_a_checksum_mismatch_names_the_model_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(ChecksumError, match=r"'tiny'.*expected .* sha256 0{64}.*--force"):
        catalog.gguf_path(_model("0" * 64), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_model_package_says_how_to_install_it(tmp_path):
    missing = (PackagedFile("idealprompt-no-such-part", "1.0", "idealprompt_no_such_part", "data/part01.bin"),)
    with pytest.raises(ModelPackageError, match=r"idealprompt-no-such-part==1.0.*idealprompt models install tiny"):
        catalog.gguf_path(_model("0" * 64, parts=missing), tmp_path)


def test_a_wrong_package_version_is_refused(tmp_path):
    wrong = (PackagedFile("pytest", "0.0.1", "pytest", "__init__.py"),)
    with pytest.raises(ModelPackageError, match=f"needs pytest==0.0.1, but {PYTEST} is installed"):
        catalog.gguf_path(_model("0" * 64, parts=wrong), tmp_path)


def test_every_catalog_model_is_fully_pinned():
    for model in catalog.CATALOG.values():
        assert len(model.sha256) == 64 and model.size > 10_000_000
        assert all(p.version and p.distribution for p in model.parts)
    assert [p.path for p in catalog.lookup("qwen2.5-coder-1.5b").parts][-1] == "data/part22.bin"


def test_unknown_embedded_model_lists_the_known_ones(offline_settings):
    with pytest.raises(RouteError, match=r"qwen2.5-coder-0.5b"):
        make_chat_model("embedded:gpt-5", offline_settings)


def test_openai_route_without_key_or_server_says_what_to_set(offline_settings):
    with pytest.raises(RouteError, match="needs OPENAI_API_KEY, or OPENAI_BASE_URL"):
        make_chat_model("openai:gpt-4o-mini", offline_settings)


def test_unreachable_servers_are_named(offline_settings):
    with pytest.raises(RouteError, match=r"no Ollama server answers at http://127.0.0.1:9"):
        check(Route("ollama:qwen2.5:0.5b"), offline_settings)
    settings = offline_settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(RouteError, match=r"http://127.0.0.1:9/v1 did not answer"):
        check(Route("openai:any"), settings)


def test_compatible_servers_get_max_tokens_their_way(offline_settings):
    settings = offline_settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1", "max_tokens": 7})
    model = make_chat_model("openai:local", settings)
    assert model.max_tokens == 7 and model.extra_body == {"max_tokens": 7}


@pytest.mark.embedded
def test_models_of_your_own_join_the_session(offline_settings):
    session = Session(offline_settings, models={"large": ScriptedChatModel(script=["ok"])})
    assert session.describe("large") == "custom:ScriptedChatModel"
    assert session.describe("small") == "embedded:qwen2.5-coder-0.5b"
    with pytest.raises(ValueError, match="unknown role"):
        Session(offline_settings, models={"medium": ScriptedChatModel(script=[])})


def test_other_providers_go_through_langchains_init_chat_model(offline_settings, monkeypatch):
    with pytest.raises(RouteError, match=r"anthropic:claude-x: .*langchain-anthropic"):  # its own install hint
        make_chat_model("anthropic:claude-x", offline_settings)
    with pytest.raises(RouteError, match=r"(?s)nosuch:model: Unsupported .*openai, ollama, embedded"):
        make_chat_model("nosuch:model", offline_settings)
    # A provider whose package is here (langchain-openai's Azure class), made without a call.
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.invalid")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-a-key")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    model = make_chat_model("azure_openai:gpt-4o", offline_settings.model_copy(update={"max_tokens": 9}))
    assert type(model).__name__ == "AzureChatOpenAI" and model.max_tokens == 9 and model.temperature == 0
    assert shaped(model, Shape(max_tokens=3)).max_tokens == 3


def test_an_embedded_route_takes_a_gguf_file_by_path(offline_settings, tmp_path):
    gguf = tmp_path / "my-stylist.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    if routes.embedded_available():  # the route reads the header (a model, or an adapter and its base): a real one
        import gguf as gguf_package

        writer = gguf_package.GGUFWriter(str(gguf), "llama")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    expected = hashlib.sha256(gguf.read_bytes()).hexdigest()
    if routes.embedded_available():
        model = make_chat_model(f"embedded:{gguf}", offline_settings)  # loaded at its first call, not here
        assert (model.model_name, model.model_path, model.sha256) == ("my-stylist", str(gguf), expected)
        assert model.lora_path is None
        assert check(Route(f"embedded:{gguf}"), offline_settings).startswith(f"a local GGUF, sha256 {expected[:12]}")
        (tmp_path / "cut.gguf").write_bytes(b"GGUF" + bytes(60))
        with pytest.raises(RouteError, match=r"cut\.gguf: not a readable GGUF file"):
            make_chat_model(f"embedded:{tmp_path / 'cut.gguf'}", offline_settings)
    assert catalog.local_gguf(str(gguf)) == (gguf, expected)
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(RouteError, match="is not a GGUF file"):
        catalog.local_gguf(str(tmp_path / "notes.gguf"))
    with pytest.raises(RouteError, match="no GGUF file at"):
        catalog.local_gguf(str(tmp_path / "missing.gguf"))


def test_without_the_embedded_extra_the_defaults_say_what_to_set(offline_settings, monkeypatch):
    monkeypatch.setattr(routes, "embedded_available", lambda: False)
    with pytest.raises(RouteError, match=r"no route for the large model: .*OPENAI_BASE_URL.*idealprompt\[embedded\]"):
        resolve("large", offline_settings)
    with pytest.raises(RouteError, match=r"no route for the small model: no Ollama server answers.*OLLAMA_HOST"):
        resolve("small", offline_settings)
    with pytest.raises(RouteError, match=r"embedded:qwen2.5-coder-0.5b runs llama.cpp .*idealprompt\[embedded\]"):
        make_chat_model("embedded:qwen2.5-coder-0.5b", offline_settings)
    settings = offline_settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    assert resolve("large", settings).spec.startswith("openai:")  # nothing embedded is needed there


def test_a_password_in_the_base_url_is_never_printed(offline_settings):
    assert routes.shown_url("http://user:hunter2@127.0.0.1:9/v1") == "http://***@127.0.0.1:9/v1"
    assert routes.shown_url("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1"
    assert routes.shown_url("postgresql://db:5432/runs?user=team&password=hunter2") == (
        "postgresql://db:5432/runs?user=team&password=***"
    )
    assert routes.shown_url("postgresql://db/runs?sslmode=require") == "postgresql://db/runs?sslmode=require"
    settings = offline_settings.model_copy(update={"openai_base_url": "http://user:hunter2@127.0.0.1:9/v1"})
    with pytest.raises(RouteError, match=r"http://\*\*\*@127.0.0.1:9/v1 did not answer") as caught:
        check(Route("openai:any"), settings)
    assert "hunter2" not in str(caught.value)


def test_sample_sets_temperature_and_seed_where_a_route_has_them(offline_settings):
    from langchain_openai import ChatOpenAI

    greedy = ChatOpenAI(model="m", api_key="k", base_url="http://127.0.0.1:9/v1", temperature=0.0, seed=0)
    sampled = shaped(greedy, Shape(temperature=0.8, seed=21))
    assert (sampled.temperature, sampled.seed) == (0.8, 21) and (greedy.temperature, greedy.seed) == (0.0, 0)
    scripted = ScriptedChatModel(script=[])
    assert shaped(scripted, Shape(temperature=0.8, seed=21)) is scripted  # a model of the caller's keeps its own


def test_a_role_asked_for_a_limit_or_sampling_is_a_metered_copy_of_its_model(offline_settings):
    settings = offline_settings.model_copy(update={"large": "openai:m", "openai_base_url": "http://127.0.0.1:9/v1"})
    session = Session(settings)
    plain = session.model("large")
    limited = session.model("large", max_tokens=5, temperature=0.8, seed=3)
    assert (limited.max_tokens, limited.extra_body, limited.temperature, limited.seed) == (5, {"max_tokens": 5}, 0.8, 3)
    assert plain.max_tokens == settings.max_tokens and session.model("large") is plain
    assert limited.callbacks == plain.callbacks and plain.callbacks  # the ledger's callback goes along


def _tool(name: str) -> dict:
    return {"type": "function", "function": {"name": name, "description": name, "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        (None, "auto"),
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        ("b", {"type": "function", "function": {"name": "b"}}),
        ({"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}}),
    ],
)
def test_embedded_bind_tools_follows_langchain_tool_choice(asked, sent):
    from idealprompt.routes.embedded import EmbeddedChatModel

    model = EmbeddedChatModel(model_name="tiny", model_path="unused.gguf", sha256="0")  # loaded only when called
    bound = model.bind_tools([_tool("a"), _tool("b")], tool_choice=asked)
    assert bound.kwargs["tool_choice"] == sent
    assert [t["function"]["name"] for t in bound.kwargs["tools"]] == ["a", "b"]


def test_embedded_bind_tools_forces_a_single_tool_when_required_and_refuses_unknown_names():
    from idealprompt.routes.embedded import EmbeddedChatModel

    model = EmbeddedChatModel(model_name="tiny", model_path="unused.gguf", sha256="0")
    for asked in ("required", True):
        assert model.bind_tools([_tool("a")], tool_choice=asked).kwargs["tool_choice"]["function"]["name"] == "a"
    with pytest.raises(ValueError, match="names no bound tool; the tools are a, b"):
        model.bind_tools([_tool("a"), _tool("b")], tool_choice="c")
    with pytest.raises(ValueError, match="exactly one tool"):
        model.bind_tools([_tool("a"), _tool("b")], tool_choice=True)


class _TemplatedLlama:
    """What `_called_by_template` needs of a llama_cpp.Llama: a chat template that shows tools, and one answer."""

    def __init__(self, content: str):
        self.metadata = {"tokenizer.chat_template": "{% if tools %}# Tools{% endif %}"}
        self.content, self.asked = content, {}

    def create_chat_completion(self, **request):
        self.asked = request
        return {"choices": [{"message": {"role": "assistant", "content": self.content}}], "usage": {}}


def test_a_required_call_goes_through_the_models_own_template_held_to_the_tools(monkeypatch):
    from idealprompt.routes import embedded

    monkeypatch.setattr(embedded, "_schema_grammar", json.loads)  # the schema itself, not llama.cpp's grammar
    llm = _TemplatedLlama('{"name": "b", "arguments": {"x": 1}}')
    request = {"messages": [{"role": "user", "content": "hi"}], "tools": [_tool("a"), _tool("b")]}
    answer = embedded._called_by_template(llm, request | {"tool_choice": "required"})
    assert embedded._template_shows_tools(llm) and "tool_choice" not in llm.asked
    assert [c["properties"]["name"]["const"] for c in llm.asked["grammar"]["oneOf"]] == ["a", "b"]
    [call] = answer["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "b", "arguments": '{"x": 1}'}
    forced = embedded._called_by_template(llm, request | {"tool_choice": embedded._forced("a")})
    assert llm.asked["grammar"]["properties"]["name"]["const"] == "a"  # only the forced tool is allowed
    assert forced["choices"][0]["finish_reason"] == "tool_calls"


def test_a_call_cut_at_the_token_limit_comes_back_as_an_invalid_tool_call(monkeypatch):
    from langchain_core.messages import AIMessage

    from idealprompt.routes import embedded

    monkeypatch.setattr(embedded, "_schema_grammar", json.loads)
    llm = _TemplatedLlama('{"name": "a", "arguments": {"x": ')
    request = {"messages": [], "tools": [_tool("a")], "tool_choice": embedded._forced("a")}
    [call] = embedded._called_by_template(llm, request)["choices"][0]["message"]["tool_calls"]
    message = AIMessage(content="")
    embedded._attach_tool_calls(message, [call])
    assert not message.tool_calls and message.invalid_tool_calls[0]["name"] == "a"


def test_a_model_on_actors_is_reshaped_inside_and_keeps_its_actors(offline_settings):
    from idealprompt.routes.actors import ActorChatModel
    from idealprompt.routes.embedded import EmbeddedChatModel

    inner = EmbeddedChatModel(model_name="m", model_path="/nowhere.gguf", sha256="0" * 64)
    pool = object()  # never asked: reshaping sends nothing
    model = ActorChatModel.model_construct(inner=inner, pool=pool)
    held = shaped(model, Shape(max_tokens=3, grammar='root ::= "yes" | "no"'))
    assert isinstance(held, ActorChatModel) and held.pool is pool
    assert (held.inner.max_tokens, held.inner.grammar) == (3, 'root ::= "yes" | "no"')
    assert held._identifying_params == held.inner._identifying_params  # one replay cache for both


def test_only_the_embedded_small_model_goes_to_actors_and_only_with_the_ray_setting(offline_settings):
    routes = {"small": "embedded:qwen2.5-coder-0.5b", "large": "embedded:qwen2.5-coder-1.5b"}
    here = Session(offline_settings.model_copy(update=routes))
    assert not here._on_actors("small") and here.concurrency("small") == 1
    on_ray = Session(offline_settings.model_copy(update={**routes, "ray": "local", "ray_actors": 3}))
    assert on_ray._on_actors("small") and on_ray.concurrency("small") == 3
    assert not on_ray._on_actors("large")  # its few requests stay in the process
    served = Session(offline_settings.model_copy(update={"small": "ollama:qwen2.5:0.5b", "ray": "local"}))
    assert not served._on_actors("small")  # a server serves concurrently on its own
