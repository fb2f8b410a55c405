"""What is wrong with an application file: the file, the field and a sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file. `field` is a dotted path inside the document ('parameters.
    seconds.min'), prefixed by the document's position when the file holds several ('[2]
    tool'); it is empty when the problem concerns the whole file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.file}: {self.field}: {self.message}"
        return f"{self.file}: {self.message}"


class CatalogFileError(ValueError):
    """A file that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
