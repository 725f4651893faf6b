import pytest

from idealprompt.config import load_settings
from idealprompt.errors import ConfigError, RouteError
from idealprompt.routes import Route, resolve


@pytest.mark.embedded
def test_with_nothing_configured_both_roles_run_embedded(offline_settings):
    large, small = resolve("large", offline_settings), resolve("small", offline_settings)
    assert large.spec == "embedded:qwen2.5-coder-1.5b" and "OPENAI_API_KEY" in large.reason
    assert small.spec == "embedded:qwen2.5-coder-0.5b" and "no Ollama server answers" in small.reason


def test_a_key_sends_the_large_role_to_the_api(offline_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings(ollama_host="127.0.0.1:9")
    assert resolve("large", settings).spec == "openai:gpt-4o-mini"
    assert settings.openai_api_key.get_secret_value() == "sk-test"


def test_file_then_environment_then_code(offline_settings, tmp_path, monkeypatch):
    (tmp_path / "idealprompt.toml").write_text('small = "ollama:llama3.2:1b"\nthreads = 3\nmax_tokens = 64\n')
    settings = load_settings()
    assert (settings.small, settings.threads, settings.max_tokens) == ("ollama:llama3.2:1b", 3, 64)
    monkeypatch.setenv("IDEALPROMPT_THREADS", "5")
    assert load_settings().threads == 5
    assert load_settings(threads=7).threads == 7
    assert resolve("small", load_settings()).reason.startswith("set by `small`")


def test_an_explicit_config_path_is_used(offline_settings, tmp_path, monkeypatch):
    path = tmp_path / "elsewhere.toml"
    path.write_text('large = "openai:gpt-4.1"\nopenai_base_url = "http://127.0.0.1:8000/v1"\n')
    monkeypatch.setenv("IDEALPROMPT_CONFIG", str(path))
    assert load_settings().large == "openai:gpt-4.1"
    monkeypatch.setenv("IDEALPROMPT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing.toml: no such file"):
        load_settings()
    (tmp_path / "latin1.toml").write_bytes(b'large = "openai:caf\xe9"\n')
    monkeypatch.setenv("IDEALPROMPT_CONFIG", str(tmp_path / "latin1.toml"))
    with pytest.raises(ConfigError, match=r"latin1.toml: not UTF-8 text"):
        load_settings()


def test_ollama_host_without_scheme_is_accepted(offline_settings, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.5:11434")
    assert load_settings().ollama_host == "http://10.0.0.5:11434"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("thread = 2\n", "unknown setting 'thread'"),
        ('threads = "many"\n', "setting 'threads'"),
        ('large = "gpt-4o"\n', "not a route"),
        ("temperature = 9\n", "setting 'temperature'"),
        ("threads = \n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_the_field(offline_settings, tmp_path, text, message):
    (tmp_path / "idealprompt.toml").write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings()
    assert "idealprompt.toml" in str(caught.value)


def test_a_bad_secret_is_never_echoed(offline_settings):
    with pytest.raises(ConfigError, match="openai_api_key") as caught:
        load_settings(openai_api_key=["sk-secret-value"])
    assert "sk-secret" not in str(caught.value)


def test_malformed_route_and_unknown_role():
    with pytest.raises(RouteError, match="openai, ollama, embedded"):
        Route("claude")
    with pytest.raises(RouteError, match="write provider:model"):
        Route("my provider:x")
    with pytest.raises(RouteError, match="unknown role"):
        resolve("medium", None)


def test_a_mistyped_variable_is_named_with_the_closest_setting(offline_settings, monkeypatch):
    monkeypatch.setenv("IDEALPROMPT_TEMPERATUR", "0.3")
    with pytest.raises(ConfigError, match=r"IDEALPROMPT_TEMPERATUR; did you mean IDEALPROMPT_TEMPERATURE\?"):
        load_settings()
    monkeypatch.delenv("IDEALPROMPT_TEMPERATUR")
    monkeypatch.setenv("IDEALPROMPT_DATA", "/data")  # the benchmarks' own variable is not a setting, nor an error
    assert load_settings().temperature == 0
