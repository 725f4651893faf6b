"""Each graph's input and output schemas generate (LangGraph server and Studio read them), on Python 3.11 too:
pydantic needs typing_extensions.TypedDict there."""

import pytest

from idealprompt.graphs.demo import build_demo_graph
from idealprompt.graphs.ideal import build_ideal_graph
from idealprompt.graphs.sag import build_sag_graph
from idealprompt.graphs.warmup import build_warmup_graph


@pytest.mark.parametrize("build", [build_demo_graph, build_warmup_graph, build_ideal_graph, build_sag_graph])
def test_state_schemas_generate(build):
    graph = build()
    assert graph.get_input_jsonschema()["type"] == "object"
    assert "properties" in graph.get_output_jsonschema()
