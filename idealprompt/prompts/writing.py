"""Texts of style-aligned writing (SAG): the planner states the facts neutrally, the stylist writes them in a
style, the fact check splits a text into claims and judges each against the input; the single-model baselines
get the whole job in one prompt."""

INSTRUCTION = "Write a short text that presents these facts."

PLAN_SYSTEM = """You plan texts. You state only the facts given in the input, every one of them, each in one \
plain, neutral sentence. You never add a fact, an opinion or a detail of your own, and you keep negatives as \
they are (\"It is not family-friendly.\")."""

PLAN_USER = """Instruction: {instruction}

Input:
{facts}

Give the content plan: the facts to state, in the order a reader needs them, one plain sentence each."""

STYLIST_SYSTEM = """You write in the style "{name}": {description}
Given facts, you write one text in this style that states exactly those facts, all of them and no others: no \
detail, number, place or opinion of your own. You answer with the text only."""

# Exemplars without their facts are shown in the system message, away from the facts to write: a small model
# copies whatever text sits next to its task.
EXEMPLARS = """

Examples of the style, each about another subject (never copy their facts):
{exemplars}"""

FACTS = """Facts:
{facts}"""

WRITE = """

Write one text in the style that states exactly these facts and no others. Answer with the text only."""

REVISE = """

Careful: your last text on these facts got some wrong:
{problems}
Write it again, stating exactly the facts above."""

DIRECT_USER = """{instruction}
Write it in the style "{name}": {description}

Facts:
{facts}

Answer with the text only."""

CHECK_SYSTEM = """You check a text against its source, strictly and literally."""

# One claim at a time: asked for a verdict on a long list at once, the 1.5B model marked nearly everything
# supported (precision 0.40, recall 0.29 on invented facts against human ratings).
CLAIMS_USER = """Text:
{text}

Split the text into its factual claims: short sentences, one fact each, in the text's own words. Keep every \
detail the text states (names, numbers, places, what things are and do). Opinions, jokes, greetings and \
invitations are not claims."""

VERIFY_USER = """Source:
{facts}

Claim: {claim}

Does the source state this claim? Quote the words of the source it rests on ("none" if there are none), then \
judge: "supported" if the source states it, "contradicted" if the source says otherwise, "unsupported" if the \
source does not say it (a detail the source does not give is unsupported, however plausible)."""
