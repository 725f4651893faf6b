"""The errors idealprompt raises on purpose; each message says what to fix."""


class IdealpromptError(Exception):
    """Base of every error raised on purpose, so callers can catch them apart from bugs."""


class ConfigError(IdealpromptError):
    """A setting is malformed; the message names the file or variable and the field."""


class RouteError(IdealpromptError):
    """A route string names an unknown provider or model, or its server cannot be reached."""


class ModelPackageError(RouteError):
    """A package that carries an embedded model is missing or not the pinned version."""


class ChecksumError(RouteError):
    """An embedded model joined from its packages does not match the pinned sha256."""


class BudgetExhausted(IdealpromptError):
    """A run reached one of its hard budgets; runs catch it and stop cleanly with what they have."""


class RunCancelled(BudgetExhausted):
    """The run was cancelled: no further model call is sent (its graph winds down as on an empty budget)."""


class MemoryStoreError(IdealpromptError):
    """The memory store cannot be opened or read, a record is missing, or a file to import is malformed."""


class TaskError(IdealpromptError):
    """A task file or its data is malformed; the message names the file and field (and line where there is one)."""


class StrategyError(IdealpromptError):
    """A strategy or a strategy file is malformed, or a strategy is not in the pool; the message names which."""


class StyleError(IdealpromptError):
    """A style, its file or its corpus is malformed, or a style is not known; the message names which."""


class FactsError(IdealpromptError):
    """The facts of a writing job (a facts file, an E2E meaning representation, a dataset of them) are missing or
    malformed; the message names the file and field (and line where there is one)."""


class PrivacyError(IdealpromptError):
    """A request would send what the privacy mode keeps on this machine; it is refused before it is sent."""


class OutputError(IdealpromptError):
    """A result cannot be written where it was asked: an earlier result is in the way, the disk is full, or the
    folder is not writable; nothing is left half-written."""


class RunNotFound(IdealpromptError):
    """No run in the run store has the id asked for, or several start with the prefix given."""


class TrainError(IdealpromptError):
    """Training the stylist cannot start or go on: a missing extra, a bad dataset, a base model that does not load."""
