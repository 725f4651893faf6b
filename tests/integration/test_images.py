"""Images reach a route that can see them as message content parts (recorded by the Ollama-protocol test server).

No vision model ships in a registry package, so the server answers with the text-only embedded model: this checks
the path of the images, not what a model sees in them.
"""

import base64
from pathlib import Path

from idealprompt import Session
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.tasks import load_task

TASK = Path(__file__).resolve().parents[2] / "examples" / "easy_vqa.yaml"


def test_images_travel_to_an_ollama_route(real_settings, ollama_server):
    task = load_task(TASK)
    settings = real_settings.model_copy(
        update={"ollama_host": ollama_server.url, "small": f"ollama:{ollama_server.model_name}", "max_tokens": 8}
    )
    examples = task.train[:2]
    before = len(ollama_server.requests)
    evaluator = Evaluator.for_session(Session(settings), task)
    result = evaluator.evaluate(task.seed_prompt, examples)
    assert len(result.predictions) == 2 and not any(p.error for p in result.predictions)
    chats = sorted(
        (body for path, body in ollama_server.requests[before:] if path == "/api/chat"),
        key=lambda body: body["messages"][-1]["content"],
    )
    for body, example in zip(chats, sorted(examples, key=lambda e: e.text), strict=True):
        system, user = body["messages"]
        assert system == {"role": "system", "content": evaluator.system(task.seed_prompt)}
        assert user["content"].strip() == example.text
        assert user["images"] == [base64.b64encode(example.images[0].read_bytes()).decode()]
