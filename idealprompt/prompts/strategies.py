"""The built-in strategy pool: human-designed ways to rewrite a prompt, each an instruction for the large model.

IDEAL's warm-up searches over sequences of these (MISSION.md, Stage 1). Each entry is (name, summary,
instruction, needs): `needs` names what a task must have for the strategy to make sense ("labels", "images").
Users add their own in code or from a file (`idealprompt.strategies`). Demonstrations are not here: code copies
them from train (the `demos_*` strategies of `idealprompt.strategies`), so none is paraphrased or invented.
"""

BUILTIN = [
    (
        "define_labels",
        "Define each label precisely.",
        "Add a precise definition of every label: what an input must show to get it, in one or two sentences "
        "each, grounded in the examples.",
        ("labels",),
    ),
    (
        "role_and_domain",
        "Add a role and domain context.",
        "Open the prompt with the role the model plays (an expert of this domain) and two sentences of context "
        "about the domain and why the task matters.",
        (),
    ),
    (
        "output_format",
        "Constrain the output format for a small model.",
        "State exactly what the answer must look like (for labels: one of the labels, written exactly as given, "
        "and nothing else) and put that rule at the end of the prompt, where a small model sees it last.",
        (),
    ),
    (
        "step_by_step",
        "Decompose the task into steps.",
        "Break the task into a short numbered list of steps the model follows to reach its answer (what to read "
        "first, what to check, how to decide), then ask for the final answer alone.",
        (),
    ),
    (
        "glossary",
        "Add a glossary of domain terms.",
        "Add a short glossary of the domain terms and phrasings that inputs of this task use, with what each "
        "means for the decision.",
        (),
    ),
    (
        "decision_rules",
        "State decision rules for confusable labels.",
        "Find the labels that are easiest to confuse and add explicit rules that decide between them, with the "
        "cue that tips the balance each way.",
        ("labels",),
    ),
    (
        "simplify",
        "Simplify the wording for a small model.",
        "Rewrite the prompt in short, plain sentences a small model follows easily: one instruction per "
        "sentence, no hedging, no rare words; keep every rule it contains.",
        (),
    ),
    (
        "pitfalls",
        "Warn about common mistakes.",
        "Add a short list of mistakes a model is likely to make on this task (traps in the inputs, misleading "
        "words, surface cues) and how to avoid each.",
        (),
    ),
    (
        "task_goal",
        "Restate the goal precisely.",
        "Rewrite the first sentence so it states precisely what is being decided or computed, from what input, "
        "and for what purpose; remove anything vague.",
        (),
    ),
    (
        "image_focus",
        "Say what to look at in the image.",
        "Add instructions on what to look at in the image (objects, colours, shapes, positions, text) and in "
        "which order, before answering the question about it.",
        ("images",),
    ),
]
