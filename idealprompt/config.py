"""Settings: defaults, overridden by `idealprompt.toml`, overridden by environment variables, overridden by code.

The file is `./idealprompt.toml` when present, or the path in `IDEALPROMPT_CONFIG`. Keys in the file are the field
names below; each variable is `IDEALPROMPT_<FIELD>`, and the usual `OPENAI_API_KEY`, `OPENAI_BASE_URL` and
`OLLAMA_HOST` are honoured too.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, TomlConfigSettingsSource

from idealprompt.errors import ConfigError

CONFIG_ENV = "IDEALPROMPT_CONFIG"
CONFIG_FILE = "idealprompt.toml"


MEMORY_SERVERS = ("http://", "https://")  # a Chroma server's URL
DATABASES = ("postgresql://", "postgres://")  # a PostgreSQL database's URL
SERVER_SCHEMES = MEMORY_SERVERS + DATABASES


def location(value: str | Path) -> str | Path:
    """Where a store lives: a folder on this machine, or a server's URL (a Chroma server for the memory, a
    PostgreSQL database for the runs), kept as written, since a Path would fold its `//`."""
    if isinstance(value, str) and value.startswith(SERVER_SCHEMES):
        return value
    return Path(value)


Location = Annotated[str | Path, BeforeValidator(location)]


def _also(name: str, *env: str) -> AliasChoices:
    """Accept a field by its own name (code, file, IDEALPROMPT_ variable) and by a conventional variable."""
    return AliasChoices(name, f"IDEALPROMPT_{name.upper()}", *env)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDEALPROMPT_", extra="forbid", populate_by_name=True)

    # Routes `provider:model` per role; unset means: chosen from what is available (see idealprompt.routes).
    large: str | None = None
    small: str | None = None

    openai_api_key: SecretStr | None = Field(None, validation_alias=_also("openai_api_key", "OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_also("openai_base_url", "OPENAI_BASE_URL"))
    openai_model: str = "gpt-4o-mini"
    ollama_host: str = Field("http://127.0.0.1:11434", validation_alias=_also("ollama_host", "OLLAMA_HOST"))
    ollama_model: str = "qwen2.5:0.5b"
    embedded_large: str = "qwen2.5-coder-1.5b"
    embedded_small: str = "qwen2.5-coder-0.5b"

    # Generation defaults for every route; a call may override them.
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(512, gt=0)
    seed: int = 0
    timeout: float = Field(120.0, gt=0, description="seconds per request to a server")
    concurrency: int = Field(4, ge=1, description="requests in flight at once to a server route")

    trust_code: bool = Field(False, description="load task files whose metric is a module:function (runs it)")

    # The embedded runtime (llama.cpp).
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1, gt=0)
    context_size: int = Field(4096, ge=512)
    models_dir: Path = Field(default_factory=lambda: platformdirs.user_cache_path("idealprompt") / "models")

    # Scale-out (idealprompt.routes.actors): the small model's requests answered on Ray actors, each holding the
    # embedded model; "local" starts a cluster in the process, "auto" joins `ray start`'s, or host:port.
    ray: str | None = None
    ray_actors: int = Field(2, ge=1, description="actors answering the small model when `ray` is set")

    # Optional SQLite replay cache of model calls.
    replay_cache: Path | None = None

    # The vector memory (priors and style exemplars): a folder, or a Chroma server (`chroma run`) at http(s)://.
    memory: Location = Field(default_factory=lambda: platformdirs.user_data_path("idealprompt") / "memory")

    # The run store (idealprompt.runs): every CLI run, its steps and calls, for `idealprompt runs` and `trace`; a
    # folder, or a PostgreSQL database (postgresql://...) that every worker of a team lists, resumes and forks from.
    runs: Location = Field(default_factory=lambda: platformdirs.user_data_path("idealprompt") / "runs")

    # Privacy (idealprompt.routes.privacy): what may be sent to a route off this machine, and the record of it.
    privacy: Literal["open", "redact", "private"] | None = Field(
        None, description="unset: open if every route is local, else redact"
    )
    local_hosts: list[str] = Field(default_factory=list, description="hosts counted as local besides loopback")
    redact_terms: list[str] = Field(default_factory=list, description="terms redact mode replaces, e.g. names")
    allow_tracing: list[Literal["langsmith", "opentelemetry"]] = Field(default_factory=list)
    audit_log: Path = Field(default_factory=lambda: platformdirs.user_data_path("idealprompt") / "audit.jsonl")

    @field_validator("large", "small")
    @classmethod
    def _route_shape(cls, value: str | None) -> str | None:
        if value is not None and ":" not in value:
            raise ValueError(f"{value!r} is not a route: write provider:model, e.g. embedded:qwen2.5-coder-0.5b")
        return value

    @field_validator("ollama_host")
    @classmethod
    def _with_scheme(cls, value: str) -> str:
        # OLLAMA_HOST is often written as host:port, as the Ollama server itself accepts.
        return value if "://" in value else f"http://{value}"

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file())


def config_file() -> Path | None:
    """The configuration file in force, if any."""
    if explicit := os.environ.get(CONFIG_ENV):
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={explicit}: no such file")
        return path
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


# Variables with the prefix that are not settings: the config file's path, and the benchmarks' data folder.
OTHER_VARIABLES = {CONFIG_ENV, "IDEALPROMPT_DATA"}


def load_settings(**overrides) -> Settings:
    """Settings from all sources, with errors that name the file or variable and the field."""
    source = config_file()
    _check_variables()
    try:
        return Settings(**overrides)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{source}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8") from None
    except ValidationError as e:
        where = f"{source} or IDEALPROMPT_* variables" if source else "IDEALPROMPT_* variables or arguments"
        problems = []
        for err in e.errors():
            field = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown setting {field!r}")
            else:
                shown = "" if "key" in field else f" (got {err.get('input')!r})"  # never echo a secret
                problems.append(f"setting {field!r}: {err['msg']}{shown}")
        raise ConfigError(f"bad configuration in {where}: " + "; ".join(problems)) from None


def _check_variables() -> None:
    """A mistyped IDEALPROMPT_* variable is an error, as an unknown key of the file is, not silently ignored."""
    prefix = Settings.model_config["env_prefix"]
    known = {f"{prefix}{name}".upper() for name in Settings.model_fields} | OTHER_VARIABLES
    for name in sorted(n for n in os.environ if n.upper().startswith(prefix) and n.upper() not in known):
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; the settings are: {', '.join(sorted(known))}"
        raise ConfigError(f"unknown setting in environment variable {name}{hint}")
