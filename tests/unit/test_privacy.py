"""Privacy: which routes are remote, redaction that comes back, the audit log, and whole runs in redact and private
mode against a recording OpenAI-compatible server standing in for a remote API."""

import json
import time

import pytest
import yaml
from langchain_core.messages import HumanMessage
from typer.testing import CliRunner

from idealprompt import Session
from idealprompt.cli import app
from idealprompt.errors import ConfigError, PrivacyError
from idealprompt.prompts.writing import PLAN_SYSTEM
from idealprompt.routes import privacy
from idealprompt.routes.privacy import AuditLog, Redactor, host_of, is_local
from idealprompt.sag import write
from tests.fake_openai_server import FakeOpenAIServer
from tests.fakes import ScriptedChatModel
from tests.unit.test_sag_graph import FACTS, FAITHFUL, PLAN


def test_which_routes_are_remote(offline_settings):
    s = offline_settings
    assert host_of("embedded:qwen2.5-coder-0.5b", s) is None and is_local(None, s)
    assert host_of("ollama:qwen2.5:0.5b", s) == "127.0.0.1" and is_local("127.0.0.1", s)
    assert host_of("openai:gpt-4o-mini", s) == "api.openai.com" and not is_local("api.openai.com", s)
    lan = s.model_copy(update={"openai_base_url": "http://10.1.2.3:8000/v1"})
    assert host_of("openai:m", lan) == "10.1.2.3" and not is_local("10.1.2.3", lan)
    assert is_local("10.1.2.3", lan.model_copy(update={"local_hosts": ["10.1.2.3"]}))
    assert host_of("anthropic:claude-sonnet-4-5", s) == "anthropic" and not is_local("anthropic", s)
    assert is_local("localhost", s) and is_local("::1", s) and is_local("127.0.0.2", s)
    assert privacy.mode(s, remote=False) == "open" and privacy.mode(s, remote=True) == "redact"
    assert privacy.mode(s.model_copy(update={"privacy": "open"}), remote=True) == "open"


def test_redaction_replaces_personal_data_consistently_and_restores_it():
    redactor = Redactor(terms=["Acme Corp"])
    text = (
        "Mail ann.lee@example.com or call +44 20 7946 0958 about card 4111 1111 1111 1111, IBAN "
        "DE89 3704 0044 0532 0130 00, SSN 123-45-6789, at Acme Corp. Again: ann.lee@example.com."
    )
    redacted, found = redactor.redact(text)
    for value in ("ann.lee", "7946", "4111", "DE89", "123-45-6789", "Acme"):
        assert value not in redacted
    assert found == {"EMAIL": 2, "PHONE": 1, "CARD": 1, "IBAN": 1, "SSN": 1, "TERM": 1}
    assert redacted.count("[EMAIL_1]") == 2  # the same value, the same placeholder
    assert redactor.restore(redacted) == text
    assert redactor.redact("Mail bob@example.org")[0] == "Mail [EMAIL_2]"  # the numbering goes on per redactor
    # What is not personal stays: years, prices, a number that fails the card checksum is no card.
    plain = "In 2019 it cost 1,234.50 EUR; 12 of 30 voted; 1234 5678 9012 3456."
    assert "CARD" not in Redactor().redact(plain)[1] and "2019" in Redactor().redact(plain)[0]


def test_redaction_does_not_backtrack_on_long_adversarial_input():
    # Quadratic work here took minutes (an unbounded address part, a placeholder count over all made so far);
    # linear work takes a fraction of a second. The bound only tells the two apart: it is no speed target.
    started = time.perf_counter()
    long = ("1 " * 5_000) + ("a." * 5_000) + "@" + ("b-" * 5_000) + ("1-" * 5_000)
    _, found = Redactor(terms=["x"]).redact(long)
    assert time.perf_counter() - started < 20 and found["CARD"] + found["PHONE"] > 0


def test_tracing_is_refused_outside_open_mode_unless_allowed(offline_settings, monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    privacy.check_tracing(offline_settings, "open")  # open: the user's choice
    with pytest.raises(ConfigError, match="LANGSMITH_TRACING is set, so langsmith would receive"):
        privacy.check_tracing(offline_settings, "redact")
    privacy.check_tracing(offline_settings.model_copy(update={"allow_tracing": ["langsmith"]}), "redact")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    privacy.check_tracing(offline_settings, "redact")


REVIEWS = {"a delight": "positive", "pure joy": "positive", "a gem": "positive", "moving": "positive"}
REVIEWS |= {"dull": "negative", "a chore": "negative", "lifeless": "negative", "a slog": "negative"}
REVIEWS |= {"warm and funny": "positive", "hollow": "negative", "a triumph": "positive", "clumsy": "negative"}


def answer(body: dict) -> str:
    """Small: right once the prompt holds a rule; large: the reflector proposes it (as in test_openai_compatible)."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if body["model"] == "small":
        review = user.split(" (", 1)[0]
        return REVIEWS.get(review, "positive") if "[RULE]" in system else "positive"
    schema = json.dumps((body.get("response_format") or {}).get("schema") or {})
    if "task_description" in schema:
        return json.dumps({"diagnosis": "d", "label_definitions": [], "task_description": "Classify. [RULE]"})
    return json.dumps({"prompt": "Classify the review, carefully."})


def _reviews_task(folder, shape: str, people: list[str]) -> list[dict]:
    """task.yaml in `folder`: REVIEWS, each input written as `shape` with its review and a person; its examples."""
    examples = [
        {"input": shape.format(review=r, person=p), "target": y}
        for (r, y), p in zip(REVIEWS.items(), people, strict=True)
    ]
    task = {
        "name": "reviews",
        "description": "Classify film reviews by sentiment.",
        "seed_prompt": "Classify.",
        "labels": ["positive", "negative"],
        "data": {"format": "inline", "examples": examples},
        "split": {"train": 6, "dev": 4, "test": 2, "seed": 0},
    }
    (folder / "task.yaml").write_text(yaml.safe_dump(task))
    return examples


def test_a_redacted_optimisation_sends_no_listed_datum_and_the_audit_log_matches_the_server(
    offline_settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(privacy, "is_local", lambda host, settings: host is None)  # the server on 127.0.0.1 is "remote"
    people = [f"reviewer{i}@mail.example.org" for i in range(len(REVIEWS))]
    _reviews_task(tmp_path, "{review} ({person}, Acme Corp)", people)
    (tmp_path / "idealprompt.toml").write_text('redact_terms = ["Acme Corp"]\n')
    with FakeOpenAIServer(answer) as server:
        env = server.env()
        args = [
            "optimize",
            str(tmp_path / "task.yaml"),
            "--budget",
            "60",
            "--no-memory",
            "--out",
            str(tmp_path / "out"),
        ]
        ran = CliRunner().invoke(app, args, env=env)
    assert ran.exit_code == 0, ran.output
    assert "privacy redact: large to 127.0.0.1, small to 127.0.0.1 (remote)" in ran.output
    sent = json.dumps(server.received)
    assert server.received and not any(p in sent for p in people) and "Acme Corp" not in sent
    assert "[EMAIL_" in sent and "[TERM_1]" in sent
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["optimized"]["dev"] == 1.0, result["stopped"]  # the small model answers through the placeholders
    entries = AuditLog(tmp_path / "audit.jsonl").read(result["run_id"])
    assert len(entries) == len(server.received)  # one line per request the server got
    assert sorted(e["route"] for e in entries) == sorted(f"openai:{b['model']}" for b in server.received)
    assert {e["mode"] for e in entries} == {"redact"} and sum(e["redacted"].get("EMAIL", 0) for e in entries) > 0
    shown = CliRunner().invoke(app, ["audit", result["run_id"][:12], "--json"])
    assert shown.exit_code == 0 and [json.loads(line) for line in shown.output.splitlines()] == entries
    assert CliRunner().invoke(app, ["audit", result["run_id"]]).exit_code == 0  # the table
    assert "no remote request for run nosuch" in CliRunner().invoke(app, ["audit", "nosuch"]).output


def test_a_tracing_exporter_stops_a_redacted_run_before_any_request(offline_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(privacy, "is_local", lambda host, settings: host is None)
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    examples = [{"input": r, "target": y} for r, y in REVIEWS.items()]
    task = {"name": "t", "description": "d", "seed_prompt": "Classify.", "labels": ["positive", "negative"]}
    task |= {"data": {"format": "inline", "examples": examples}, "split": {"train": 6, "dev": 4, "test": 2}}
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(task))
    with FakeOpenAIServer(answer) as server:
        env = server.env()
        ran = CliRunner().invoke(app, ["optimize", str(tmp_path / "task.yaml"), "--no-memory"], env=env)
    assert ran.exit_code != 0 and "LANGSMITH_TRACING is set" in str(ran.exception)
    assert server.received == []


# --- private mode -------------------------------------------------------------------------------------------------
def _remote_large(monkeypatch):
    """Only the large route is off this machine (both roles talk to the one fake server on 127.0.0.1)."""
    monkeypatch.setattr(privacy, "host_of", lambda spec, settings: "api.example.com" if "large" in spec else None)


def private_answer(body: dict) -> str:
    """As `answer`, and the small model describes a mistake without quoting it when asked to."""
    if body["model"] == "small" and body["messages"][0]["content"].startswith("You describe a mistake"):
        return "A short verdict on a film whose negative tone the model missed."
    return answer(body)


def test_a_private_optimisation_sends_no_example_to_the_remote_large_model(offline_settings, tmp_path, monkeypatch):
    _remote_large(monkeypatch)
    people = [f"reviewer{i}@mail.example.org" for i in range(len(REVIEWS))]
    examples = _reviews_task(tmp_path, "{review} (wrote {person} of Acme Corp after the screening)", people)
    (tmp_path / "idealprompt.toml").write_text('privacy = "private"\n')
    with FakeOpenAIServer(private_answer) as server:
        args = ["optimize", str(tmp_path / "task.yaml"), "--budget", "60", "--no-memory", "--out", str(tmp_path / "o")]
        ran = CliRunner().invoke(app, args, env=server.env())
    assert ran.exit_code == 0, ran.output
    assert "privacy private: large to api.example.com (remote); the large model sees prompts" in ran.output
    large = json.dumps([b for b in server.received if b["model"] == "large"])
    small = json.dumps([b for b in server.received if b["model"] == "small"])
    assert "task_description" in large  # the reflector was asked
    assert "negative tone the model missed" in large and "times positive where negative was right" in large
    # No example reached it, not even redacted: every input ends "... of Acme Corp after the screening".
    assert not any(e["input"] in large for e in examples) and "screening" not in large and "Acme" not in large
    assert "You describe a mistake" in small  # the descriptions were written on this machine
    result = json.loads((tmp_path / "o" / "result.json").read_text())
    assert result["optimized"]["dev"] == 1.0, result["stopped"]  # the reflection still found the rule
    entries = AuditLog(tmp_path / "audit.jsonl").read(result["run_id"])
    assert len(entries) == large.count('"model": "large"') and {e["role"] for e in entries} == {"large"}


def test_private_mode_needs_a_local_small_model(offline_settings):
    lan = {"privacy": "private", "small": "openai:small", "openai_base_url": "http://10.9.9.9:8000/v1"}
    session = Session(offline_settings.model_copy(update=lan))
    with pytest.raises(ConfigError, match=r"privacy private: the small route openai:small goes to 10\.9\.9\.9"):
        session.model("small")


def test_the_shield_refuses_a_request_that_quotes_an_example_or_carries_an_image(offline_settings, monkeypatch):
    _remote_large(monkeypatch)
    settings = offline_settings.model_copy(update={"privacy": "private", "large": "openai:large"})
    session = Session(settings)
    secret = "the quarterly figures of the northern branch were restated twice this spring"
    session.protect([secret, "short text"])
    inner = ScriptedChatModel(script=["fine"] * 3)
    monkeypatch.setattr("idealprompt.session.make_chat_model", lambda route, settings, progress=None: inner)
    large = session.model("large")
    assert large.invoke("Improve this prompt: classify reports.").content == "fine"
    assert large.invoke("short text, as such, is not held").content == "fine"  # under SPAN words: not held
    quoting = "Rule: when THE QUARTERLY figures of the northern branch were restated, answer yes."
    with pytest.raises(PrivacyError, match="quotes a protected example"):
        large.invoke(quoting)
    image = HumanMessage([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}])
    with pytest.raises(PrivacyError, match="carries an image"):
        large.invoke([image])
    assert len(inner.received) == 2  # what was refused was never sent
    assert privacy.quotes("they restated the figures", secret) is False
    assert privacy.quotes("it says northern branch were restated", secret) is True


def test_private_writing_plans_on_this_machine(offline_settings, monkeypatch):
    _remote_large(monkeypatch)
    settings = offline_settings.model_copy(update={"privacy": "private", "large": "openai:large"})
    small = ScriptedChatModel(script=[json.dumps({"facts": PLAN}), FAITHFUL])
    with FakeOpenAIServer("never asked") as server:
        session = Session(settings.model_copy(update={"openai_base_url": f"{server.url}/v1"}), models={"small": small})
        assert session.private and session.data_model("large") is session.model("small")
        result = write(FACTS, style="tablenotes", session=session)
    assert server.received == [] and result.plan == PLAN and result.text == FAITHFUL
    assert small.received[0][0].content.startswith(PLAN_SYSTEM)  # the plan was asked of the small model


def test_redacted_writing_sends_no_listed_term_and_restores_the_plan(offline_settings, tmp_path, monkeypatch):
    _remote_large(monkeypatch)
    settings = offline_settings.model_copy(
        update={"privacy": "redact", "large": "openai:large", "redact_terms": ["The Eagle"]}
    )

    def planner(body: dict) -> str:  # the remote planner plans with the placeholder it was sent
        assert "[TERM_1]" in body["messages"][-1]["content"]
        return json.dumps({"facts": ["[TERM_1] is a pub.", "It is by the riverside."]})

    small = ScriptedChatModel(script=[FAITHFUL])
    with FakeOpenAIServer(planner) as server:
        url = {"openai_base_url": f"{server.url}/v1"}
        session = Session(settings.model_copy(update=url), models={"small": small}, run="write-run")
        result = write(FACTS, style="tablenotes", session=session)
    assert len(server.received) == 1 and "The Eagle" not in json.dumps(server.received)
    assert result.plan == PLAN and result.text == FAITHFUL  # the placeholder came back as the name
    entries = AuditLog(settings.audit_log).read("write-run")
    assert [(e["role"], e["redacted"]) for e in entries] == [("large", {"TERM": 1})]
