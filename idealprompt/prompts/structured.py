"""Texts that ask a model for JSON and ask it again when its answer did not validate."""

FORMAT = """Answer with one JSON object and nothing else, matching this JSON schema:
{schema}"""

REPAIR = """That answer could not be used: {error}
Answer again with only the corrected JSON object."""

CUT_OFF = """Your answer was cut off at the length limit before the JSON object was complete. Answer again with \
only the JSON object, and make it shorter."""
