"""Agents: LLM nodes with tool-calling components (the optimizer, the reflector, the style-writer)."""
