from idealprompt import Session
from idealprompt.graphs.demo import SAMPLE_FACTS, build_demo_graph


def test_the_demo_runs_on_both_embedded_models(real_settings):
    session = Session(real_settings)
    out = build_demo_graph().invoke({"facts": SAMPLE_FACTS}, context=session)
    assert out["plan"] and out["text"] and not out.get("stopped")
    assert "149" in " ".join(out["plan"])  # the planner kept a fact
    usage = session.ledger.snapshot()
    assert usage["large"]["calls"] >= 1 and usage["small"]["calls"] == 1
