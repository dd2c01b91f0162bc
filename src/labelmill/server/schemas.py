"""Request and response bodies of the REST API (separate input and output models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from labelmill.enums import Queue, Role, Strategy

__all__ = [
    "AnswerIn",
    "AnswerOut",
    "ApiKeyIn",
    "ApiKeyOut",
    "AssignIn",
    "CommentIn",
    "CommentOut",
    "DecisionIn",
    "GuidanceIn",
    "ItemOut",
    "ModelVoteOut",
    "NextItemOut",
    "PasswordIn",
    "RoundIn",
    "RoundOut",
    "RulesIn",
    "SettingsIn",
    "StatsOut",
    "TokenOut",
    "UnassignIn",
    "UndoOut",
    "UserIn",
    "UserOut",
    "UserPatch",
]


ClassName = Annotated[str, Field(max_length=200)]
ClassNames = Annotated[list[ClassName], Field(max_length=64)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class AnswerIn(BaseModel):
    """An answer: one class name, a list of names (multi-label), or a skip with a reason."""

    model_config = ConfigDict(extra="forbid")
    label: ClassName | ClassNames | None = None
    skip: bool = False
    skip_reason: str | None = Field(
        default=None,
        max_length=500,
        description="Why the item is skipped: 'unclear', 'broken' or your own words.",
    )
    queue: Queue | None = Field(
        default=None, description="Only used when the item is not leased to you."
    )

    @model_validator(mode="after")
    def _label_or_skip(self) -> AnswerIn:
        if self.skip and self.label is not None:
            raise ValueError("send either a label or skip=true, not both")
        if not self.skip and (self.label is None or self.label == []):
            raise ValueError("a label is required (a class name, or a list for multi-label)")
        if self.skip_reason is not None and not self.skip:
            raise ValueError("skip_reason goes with skip=true")
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


class ModelVoteOut(BaseModel):
    """The end model's own vote: its class and probability, and the round that made it."""

    label: str
    probability: float
    round: int


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
    model: ModelVoteOut | None = None
    spans: list[Span] = Field(default_factory=list)
    lease_expires_at: datetime | None = None
    your_answer: str | list[str] | None = Field(
        default=None, description="Your current answer, when you come back to an item."
    )


class UndoOut(BaseModel):
    """An undone answer, and the item to answer again (in the queue of the withdrawn answer)."""

    item_id: str
    undone: bool = True
    queue: str
    card: NextItemOut


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class CommentOut(BaseModel):
    id: int
    item_id: str
    user: str
    text: str
    at: datetime | None = None


class DecisionIn(BaseModel):
    """A reviewer's decision on an item: the class (or classes) it gets."""

    model_config = ConfigDict(extra="forbid")
    label: ClassName | ClassNames


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: str = Field(min_length=1, max_length=1000)
    new: str = Field(min_length=8, max_length=1000)


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the key is for.")


class ApiKeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked: bool = False
    key: str | None = Field(default=None, description="The key itself: shown once, at creation.")


class AssignIn(BaseModel):
    """Give items to people: a list of item ids, or the items matching a browser filter."""

    model_config = ConfigDict(extra="forbid")
    people: list[str] = Field(min_length=1, max_length=200)
    mode: Literal["split", "each"] = "split"
    item_ids: list[str] | None = Field(default=None, max_length=100_000)
    filter: dict[str, Any] | None = None
    limit: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _ids_or_filter(self) -> AssignIn:
        if (self.item_ids is None) == (self.filter is None):
            raise ValueError("send either item_ids or filter, not both and not neither")
        return self


class UnassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    people: list[str] = Field(min_length=1, max_length=200)
    item_ids: list[str] | None = None


class RulesIn(BaseModel):
    """The text of a YAML rule file."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1_000_000)


class ClassInfoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(default="", max_length=500)
    color: str = Field(default="", max_length=7)
    key: str = Field(default="", max_length=1)


class GuidanceIn(BaseModel):
    """Guidelines and the per-class description, colour and key shown on the card."""

    model_config = ConfigDict(extra="forbid")
    guidelines: str | None = Field(default=None, max_length=20_000)
    class_info: dict[str, ClassInfoIn] | None = None


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
    people: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per person: accuracy against blind gold, time per item, skips.",
    )
    heatmap: dict[str, Any] = Field(
        default_factory=dict, description="Cohen's kappa per pair of people; worst pairs first."
    )


class RoundOut(BaseModel):
    """One labeling round as the rounds page lists it."""

    id: int
    status: str
    stage: str | None = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
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
