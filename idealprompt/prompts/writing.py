"""Texts of style-aligned writing (SAG): the planner states the facts neutrally, the stylist writes them in a
style, a checker lists the claims a text makes; the single-model baselines get the whole job in one prompt."""

INSTRUCTION = "Write a short text that presents these facts."

PLAN_SYSTEM = """You plan texts. You state only the facts given in the input, every one of them, each in one \
plain, neutral sentence. You never add a fact, an opinion or a detail of your own, and you keep negatives as \
they are (\"It is not family-friendly.\")."""

PLAN_USER = """Instruction: {instruction}

Input:
{facts}

Give the content plan: the facts to state, in the order a reader needs them, one plain sentence each."""

STYLIST_SYSTEM = """You write in the style "{name}": {description}
You state exactly the facts of the plan you are given, all of them and no others: no detail, number, place or \
opinion of your own."""

EXEMPLARS = """Texts in this style, to show the voice only (their facts are not yours):
{exemplars}

"""

STYLIST_USER = """{exemplars}Plan:
{plan}

Write the text now, in the style, stating exactly the facts of the plan. Answer with the text only."""

REVISE = """Your text gets facts wrong:
{problems}
Write it again in the same style, stating exactly the facts of the plan. Answer with the text only."""

DIRECT_USER = """{instruction}
Write it in the style "{name}": {description}

Facts:
{facts}

Answer with the text only."""

CHECK_SYSTEM = """You check a text against its source, strictly and literally."""

CHECK_USER = """Source:
{facts}

Text:
{text}

List each factual claim the text makes (short, one fact each) and judge it against the source: "supported" if \
the source states it, "contradicted" if the source says otherwise, "unsupported" if the source does not say it. \
Opinions, jokes, greetings and invitations are not claims."""
