"""LangGraph state machines. Each module reads top-down: state, nodes, edges, compile.

Graphs take an `idealprompt.Session` as their context (`graph.invoke(inputs, context=session)`), so the caller
chooses the models, budget and cache.
"""
