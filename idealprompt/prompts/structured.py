"""Texts that ask a model for JSON and ask it again when its answer did not validate."""

FORMAT = """Answer with one JSON object and nothing else, matching this JSON schema:
{schema}"""

REPAIR = """That answer could not be used: {error}
Answer again with only the corrected JSON object."""
