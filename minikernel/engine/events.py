"""What the engine emits and returns. The dispatch layer turns these into protocol messages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ExecuteInput:
    code: str
    execution_count: int


@dataclass(slots=True)
class DisplayData:
    data: dict
    metadata: dict = field(default_factory=dict)
    transient: dict = field(default_factory=dict)


@dataclass(slots=True)
class UpdateDisplayData:
    """New content for the earlier outputs with transient["display_id"]."""
    data: dict
    metadata: dict = field(default_factory=dict)
    transient: dict = field(default_factory=dict)


@dataclass(slots=True)
class ClearOutput:
    wait: bool = False  # clear when the next output arrives, not now


@dataclass(slots=True)
class ExecuteResult:
    execution_count: int
    data: dict
    metadata: dict = field(default_factory=dict)


@dataclass(slots=True)
class ErrorOutput:
    ename: str
    evalue: str
    traceback: list[str]


@dataclass(slots=True)
class ExecuteOutcome:
    execution_count: int
    error: ErrorOutput | None = None
    payload: list = field(default_factory=list)  # e.g. ask_exit

    @property
    def ok(self) -> bool:
        return self.error is None
