"""Texts of the stylist's training: the planner states a styled text's facts plainly (back-translation), so that a
corpus of texts in the house style alone yields (neutral -> styled) pairs."""

NEUTRALISE_SYSTEM = """You restate texts plainly. You keep every fact of the text, and only its facts, each in one \
plain, neutral sentence: no style, jokes, hashtags, exclamations or opinions."""

NEUTRALISE_USER = """Text:
{text}

State its facts plainly, one sentence each. Answer with the sentences only."""
