"""Request and response bodies of the REST API (separate input and output models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from labelmill.enums import Queue, Role, Strategy

__all__ = [
    "AnswerIn",
    "AnswerOut",
    "ItemOut",
    "NextItemOut",
    "RoundIn",
    "RoundOut",
    "SettingsIn",
    "StatsOut",
    "TokenOut",
    "UserIn",
    "UserOut",
    "UserPatch",
]


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
    role: Role = Role.ANNOTATOR


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
    """Settings of the project to change before the round (saved), all optional."""

    model_config = ConfigDict(extra="forbid")
    target_accuracy: float | None = Field(default=None, gt=0, lt=1)
    confidence: float | None = Field(default=None, gt=0, lt=1)
    strategy: Strategy | None = None


class SettingsIn(BaseModel):
    """Project settings to change (written to labelmill.yaml): the scalar settings of
    :class:`~labelmill.settings.ProjectSettings`, all optional, checked by it on save."""

    model_config = ConfigDict(extra="forbid")
    target_accuracy: float | None = None
    confidence: float | None = None
    audit_fraction: float | None = None
    batch_size: int | None = None
    strategy: Strategy | None = None
    overlap: int | None = None


class AccuracyOut(BaseModel):
    estimate: float
    lower: float
    upper: float
    n: int


class RoundAccuracyOut(BaseModel):
    threshold: float | None = None
    guarantee: str | None = None
    auto: AccuracyOut | None = None
    audit_accuracy: float | None = None
    n_audit: int | None = None
    summary: list[str] = Field(default_factory=list)


class CurvePointOut(BaseModel):
    round: int
    n_human: int | None = None
    n_audit: int | None = None
    audit_accuracy: float | None = None
    auto_estimate: float | None = None
    auto_lower: float | None = None
    auto_upper: float | None = None
    auto: int | None = None


class StatsOut(BaseModel):
    """What the dashboard shows."""

    items: int
    by_status: dict[str, int]
    leased: int
    answers: int
    answers_per_user: list[dict[str, Any]]
    last_round: dict[str, Any] | None = None
    accuracy: RoundAccuracyOut
    agreement: dict[str, Any]
    curve: list[CurvePointOut]


class RoundOut(BaseModel):
    """One labeling round as the rounds page lists it."""

    id: int
    status: str
    stage: str | None = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: list[str] = Field(default_factory=list)
    threshold: float | None = None


class ItemOut(BaseModel):
    """An item; label, status, confidence, posterior and votes only when not blind."""

    item_id: str
    mode: str | None = None
    payload: Any
    meta: dict[str, Any] | None = None
    label: str | list[str] | None = None
    status: str | None = None
    confidence: float | None = None
    posterior: list[float] | None = None
    votes: list[dict[str, Any]] | None = None
