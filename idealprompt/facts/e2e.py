"""The E2E NLG slot table (data only; `facts.slots` builds the `E2E` lexicon from it).

Written from the values and phrasings of the E2E dev and test references (`testset_w_refs.csv`, `devset.csv`) and
checked on all of them: on the 4,693 test references it flags 320 of 29,985 mentions, nearly all of them real errors
of the references (see `facts.slots` for how matches become verdicts). Patterns match case-insensitively on whole
words. Phrasings used as often for one value as for another ("reasonably priced", "affordable", "good rating") are
left out on purpose: an omission is better than a false alarm.
"""

# Building blocks. A space stands for any run of whitespace (`slots._compile`).
_FILL = (
    r"(?: (?:is|are|was|were|be|being|been|has|have|had|gets?|got|of|as|at|a|an|the|its|very|quite|rather|"
    r"fairly|pretty|relatively|extremely|really|only|just|considered|on the|in the))*"
)  # "rating is very high"
_RATED = r"(?:customer[\s-]+)?(?:ratings?|rated|rates?|reviews?|reviewed|stars?)"
_PRICED = r"(?:price[\s-]+range|prices?|priced|pricing|costs?)"
_CONTEXT = rf"(?:{_RATED}|{_PRICED})"  # a value word before one of these is said of that, not of the word before
_BELOW, _ABOVE = r"(?:below|lower than|less than) (?:the )?average", r"(?:above|higher than|more than) (?:the )?average"
_20, _25, _30 = r"(?:£|L)?\s*(?:20|twenty)", r"(?:£|L)?\s*(?:25|twenty[\s-]*five)", r"(?:£|L)?\s*(?:30|thirty)"
_AMOUNT = r"(?:more|less|over|under|above|below|around|about|£|\d)"  # what follows "average price" as a mean
_POUNDS = r"(?:\s*(?:pounds?|GBP|quid))?"


def _said(words: str, about: str) -> tuple[str, str]:
    """`words` said of `about`, either way round: "high customer rating", "customer rating is high". The context
    word is what tells E2E's priceRange[high] from customer rating[high]."""
    return rf"(?:{words})(?:ly)?[\s-]+{about}", rf"{about}{_FILL}[\s-]+(?:{words})(?:ly)?(?![\s-]+{_CONTEXT})"


def _out_of_5(n: str, word: str) -> tuple[str, ...]:
    return (
        rf"(?:{n}|{word}) (?:out of|out|of) (?:5|five)(?:[\s-]+stars?)?",
        rf"(?:{n}|{word})[\s-]*stars?",
        rf"{n}\s*/\s*5",
    )


_CENTRE = r"(?:(?:city|town)[\s-]+cent(?:re|er)|cent(?:re|er) of (?:the )?(?:city|town))"
_AROUND = r"(?:north|south|east|west|outside|out|blocks?|minutes?|walk|close|near|nearby|next)"
_NOT = r"(?:\w+n't|not|non|none|no)"
_YOUNG = r"(?:famil(?:y|ies)|kids?|child(?:ren)?)"
_TO = r"(?:for|to|towards?|bring|welcomes?|welcoming|allows?|accepts?|permits?)"  # what a place is or does to families
_FRIENDLY = r"(?:friendly|oriented|orientated)"
_THE = r"(?:(?:the|your|young|whole|all) )*"

PATTERNS: dict[str, dict[str, tuple[str, ...]]] = {
    "eatType": {
        "coffee shop": (r"coffee[\s-]*(?:shop|house)s?", r"caf[eé]s?"),
        "pub": (r"pubs?",),
        "restaurant": (r"restaurants?",),
    },
    "food": {
        "Chinese": (r"Chinese",),
        "English": (r"English", r"British(?! pounds?)"),
        "Fast food": (r"fast[\s-]*food",),
        "French": (r"French(?! fries)",),
        "Indian": (r"Indian",),
        "Italian": (r"Italian",),
        "Japanese": (r"Japanese", r"sushi"),
    },
    "area": {
        "riverside": (
            r"river[\s-]*side",
            r"(?:by|near|on|along|beside|next to|close to|at) the river(?:\s*bank)?",
            r"river",
        ),
        "city centre": (_CENTRE, r"heart of (?:the )?(?:city|town)", r"downtown"),
        "(near the city centre)": (rf"{_AROUND} (?:of |from |to )?(?:the )?{_CENTRE}",),
    },
    "priceRange": {
        "cheap": (
            *_said(r"low|cheap|inexpensive", _PRICED),
            r"cheap(?:ly)?",
            r"inexpensive(?:ly)?",
            r"low[\s-]+cost",
            rf"{_NOT}(?: (?:too|very|that|so))? expensive",
            rf"{_BELOW}[\s-]+{_PRICED}",
        ),
        "less than £20": (
            rf"(?:less than|under|below|lower than|cheaper than|no more than|up to) {_20}{_POUNDS}",
            rf"{_20}{_POUNDS} or (?:less|under|below)",
        ),
        # Not "reasonable" or "affordable": the references use them as often for cheap as for moderate.
        "moderate": (*_said(r"moderate|average|medium|mid", _PRICED), r"mid[\s-]*range", r"moderately expensive"),
        "£20-25": (rf"{_20}{_POUNDS}\s*(?:-|–|to|and)\s*{_25}{_POUNDS}",),
        "high": (
            *_said(r"high|expensive", _PRICED),
            r"expensive",
            r"pricey",
            r"costly",
            r"high[\s-]+end",
            rf"{_NOT}(?: (?:too|very|that|so))? cheap",
            rf"{_ABOVE}[\s-]+{_PRICED}",
        ),
        "(mean price)": (rf"average price(?: for a meal)?(?: (?:is|of))?(?= {_AMOUNT})",),
        "more than £30": (
            rf"(?:more than|over|above|upwards of|higher than|in excess of) {_30}{_POUNDS}",
            rf"{_30}{_POUNDS}\s*(?:\+|plus|or more)",
        ),
    },
    "customer rating": {
        "low": (*_said(rf"low|poor|bad|{_BELOW}", _RATED), rf"{_NOT} (?:very )?(?:highly|well)[\s-]+rated"),
        "1 out of 5": _out_of_5("1", "one"),
        "average": _said(r"average|mediocre|mid[\s-]*range|middling", _RATED),
        "3 out of 5": _out_of_5("3", "three"),
        "high": _said(rf"high|excellent|outstanding|{_ABOVE}", _RATED),
        "5 out of 5": _out_of_5("5", "five"),
    },
    "familyFriendly": {
        "no": (
            rf"(?:{_NOT}|less|lacking|without)(?:[\s-]+\w+){{0,2}}[\s-]+{_YOUNG}[\s-]+{_FRIENDLY}",
            rf"{_YOUNG}[\s-]+(?:friendly[\s:,]+no|unfriendly)",
            r"adults?[\s-]+only",
            r"only (?:for )?adults",
            rf"(?:{_NOT}(?: \w+){{0,3}}?|unsuitable|inappropriate) (?:{_TO} )+{_THE}{_YOUNG}",
            rf"non[\s-]+{_YOUNG}(?:[\s-]+\w+)?",
            rf"{_YOUNG} (?:are|is)(?:n't| not) (?:welcome|allowed|permitted)",
            rf"leave {_THE}{_YOUNG} at home",
            rf"no (?:\w+ )?{_YOUNG}(?: (?:are )?(?:allowed|welcome|permitted))?",
        ),
        "yes": (
            rf"{_YOUNG}[\s-]+{_FRIENDLY}",
            rf"{_TO} {_THE}{_YOUNG}",
            rf"{_YOUNG} (?:(?:are|is) (?:(?!not )\w+ )?)?(?:welcome|allowed|permitted)",
            r"family (?:pub|restaurant|place|venue|coffee shop)",
        ),
    },
    "name": {  # other spellings; every name also matches as written (`NAMES`)
        "Crowne Plaza Hotel": (r"(?:the )?Crowne Plaza(?: Hotel)?",),
        "Express by Holiday Inn": (r"(?:the )?(?:Express by Holiday Inn|Holiday Inn(?: Express)?)",),
    },
}

# Values that state the same thing.
COMPATIBLE: dict[str, tuple[frozenset[str], ...]] = {
    "priceRange": (
        frozenset({"cheap", "less than £20"}),
        frozenset({"moderate", "£20-25"}),
        frozenset({"high", "more than £30"}),
    ),
    "customer rating": (
        frozenset({"low", "1 out of 5"}),
        frozenset({"average", "3 out of 5"}),
        frozenset({"high", "5 out of 5"}),
    ),
}

# Values that only ever support. The references call every venue a restaurant ("The Eagle is a pub ... this
# restaurant"), so the word is no claim about eatType: it supports eatType[restaurant] and is otherwise ignored. The
# values in brackets are phrasings that contain a value's words but claim nothing ("north of the city centre", "an
# average price of £25"); as longer matches they hide the shorter value inside them.
GENERIC: dict[str, frozenset[str]] = {
    "eatType": frozenset({"restaurant"}),
    "area": frozenset({"(near the city centre)"}),
    "priceRange": frozenset({"(mean price)"}),
}

SHARED: dict[str, tuple[str, ...]] = {"name": ("name", "near")}  # one set of restaurant names serves both slots

# The name and near values of the E2E dev and test sets.
NAMES = (
    "Alimentum",
    "Aromi",
    "Bibimbap House",
    "Blue Spice",
    "Browns Cambridge",
    "Clowns",
    "Cocum",
    "Cotto",
    "Fitzbillies",
    "Giraffe",
    "Green Man",
    "Loch Fyne",
    "Midsummer House",
    "Strada",
    "Taste of Cambridge",
    "The Cambridge Blue",
    "The Cricketers",
    "The Eagle",
    "The Golden Palace",
    "The Mill",
    "The Phoenix",
    "The Plough",
    "The Punter",
    "The Vaults",
    "The Waterman",
    "The Wrestlers",
    "Travellers Rest Beefeater",
    "Wildwood",
    "Zizzi",
    "All Bar One",
    "Avalon",
    "Burger King",
    "Café Brazil",
    "Café Rouge",
    "Café Sicilia",
    "Clare Hall",
    "Crowne Plaza Hotel",
    "Express by Holiday Inn",
    "Rainbow Vegetarian Café",
    "Raja Indian Cuisine",
    "Ranch",
    "The Bakers",
    "The Portland Arms",
    "The Rice Boat",
    "The Sorrento",
)
