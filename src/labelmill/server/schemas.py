"""Request and response bodies of the REST API (separate input and output models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AnswerIn",
    "AnswerOut",
    "NextItemOut",
    "RoundIn",
    "SettingsIn",
    "TokenOut",
    "UserIn",
    "UserOut",
    "UserPatch",
]

Queue = Literal["review", "audit", "crowd"]
Role = Literal["admin", "reviewer", "annotator"]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class AnswerIn(BaseModel):
    """An answer: one class name, a list of names (multi-label), or a skip."""

    model_config = ConfigDict(extra="forbid")
    label: str | list[str] | None = None
    skip: bool = False
    queue: Queue | None = Field(
        default=None, description="Only used when the item is not leased to you."
    )

    @model_validator(mode="after")
    def _label_or_skip(self) -> AnswerIn:
        if self.skip and self.label is not None:
            raise ValueError("send either a label or skip=true, not both")
        if not self.skip and (self.label is None or self.label == []):
            raise ValueError("a label is required (a class name, or a list for multi-label)")
        return self


class AnswerOut(BaseModel):
    item_id: str
    queue: str
    label: str | list[str] | None
    skipped: bool


class Span(BaseModel):
    start: int
    end: int
    source: str


class NextItemOut(BaseModel):
    item_id: str
    mode: str
    data_type: str
    task: str
    classes: list[str]
    payload: Any
    suggestion: str | list[str] | None = None
    confidence: float | None = None
    votes: list[dict[str, Any]] = Field(default_factory=list)
    spans: list[Span] = Field(default_factory=list)
    lease_expires_at: datetime | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=1000)
    role: Role = "annotator"


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    active: bool | None = None


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    active: bool
    can_login: bool
    created_at: datetime | None = None


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_accuracy: float | None = Field(default=None, gt=0, lt=1)
    confidence: float | None = Field(default=None, gt=0, lt=1)


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_accuracy: float | None = Field(default=None, gt=0, lt=1)
    confidence: float | None = Field(default=None, gt=0, lt=1)
    audit_fraction: float | None = Field(default=None, gt=0, lt=1)
    batch_size: int | None = Field(default=None, ge=1)
