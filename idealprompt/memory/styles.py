"""Style cards: one per style, its id the style's name."""

from __future__ import annotations

from typing import Any

from idealprompt.memory.base import RecordMemory
from idealprompt.memory.records import StyleCard


class StyleMemory(RecordMemory[StyleCard]):
    record_type = StyleCard
    kind = "style"

    def text(self, record: StyleCard) -> str:
        return record.description

    def fields(self, record: StyleCard) -> dict[str, Any]:
        return {"name": record.id}
