"""Style exemplars: texts written in a named style, found by content similarity within a style."""

from __future__ import annotations

from typing import Any

from idealprompt.memory.base import RecordMemory
from idealprompt.memory.records import Exemplar


class ExemplarMemory(RecordMemory[Exemplar]):
    record_type = Exemplar
    kind = "exemplar"

    def text(self, record: Exemplar) -> str:
        return record.text

    def fields(self, record: Exemplar) -> dict[str, Any]:
        return {"style": record.style}

    def search(self, text: str, *, style: str | None = None, k: int = 5) -> list[tuple[Exemplar, float]]:
        """Exemplars closest in content to `text`, best first; only those of `style` when given."""
        return self.similar(text, k, {"style": style} if style else None)
