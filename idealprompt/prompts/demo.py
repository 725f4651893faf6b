"""Texts of the demo graph: the large model plans the facts, the small model writes them up."""

PLAN_SYSTEM = """You plan short texts. You never add facts of your own."""

PLAN_USER = """Turn these facts into a content plan for a short {style} text: one plain sentence per fact, \
in the order a reader needs them, using only what is given.

Facts:
{facts}"""

WRITE_SYSTEM = """You are a copywriter. You write only what the plan says, in a {style} voice."""

WRITE_USER = """Write the text, two or three sentences, from this plan:
{plan}"""
