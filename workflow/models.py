"""Database tables of the product (SQLAlchemy 2.x declarative, no Flask).

``Evaluation.status`` has exactly one writer: ``service.apply_transition``. History rows are
append-only (PostgreSQL refuses UPDATE/DELETE on them with a trigger, see ``history_guard``).
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import ClassVar

from sqlalchemy import DDL
from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import TypeDecorator
from sqlalchemy import UniqueConstraint
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from .localtime import DEFAULT_ZONE

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Store UTC; always hand back timezone-aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    # Every model here is declared with __tablename__, so it is mapped to a Table (never to a
    # subquery): say so, and Core statements (table.update(), insert(table)) type-check.
    __table__: ClassVar[Table]


class Agency(Base):
    """An instansi: a city, a province, a ministry office. Owns everything below it."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    # Head of the agency-level history chain (admin changes, log-ins, documents).
    history_seq: Mapped[int] = mapped_column(Integer, default=0)
    history_head: Mapped[str] = mapped_column(String(64), default="")


class Employee(Base):
    """An ASN (PNS or PPPK) in the org chart; also the log-in account."""

    __tablename__ = "employee"
    __table_args__ = (
        Index("ix_employee_agency_unit", "agency_id", "unit_kerja"),
        # The people search (``people_search.matches``: a substring of the name, NIP or unit
        # kerja): trigram GIN indexes on PostgreSQL (extension pg_trgm), so a search reads
        # the matching employees, not the agency's; elsewhere plain indexes nothing uses.
        *(Index(f"ix_employee_{column}_trgm", column, postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"}) for column in ("name", "nip",
                                                                        "unit_kerja")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    jabatan: Mapped[str] = mapped_column(String(200), default="")
    pangkat: Mapped[str] = mapped_column(String(100), default="")
    golongan: Mapped[str] = mapped_column(String(10), default="")
    unit_kerja: Mapped[str] = mapped_column(String(200), default="")
    asn_type: Mapped[str] = mapped_column(String(4), default="PNS")
    # JPT (pimpinan tinggi), JA (administrasi) or JF (fungsional); "" = not recorded (JA/JF forms)
    jenis_jabatan: Mapped[str] = mapped_column(String(3), default="")
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Every log-in session carries the epoch it began in; raising it (log-out, password change,
    # the admin's "end all sessions") makes every older session cookie worthless.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Where notifications go by e-mail ("" = none; the org-chart import and the admin form set
    # it, ``org.email_problem`` checks it) and whether she wants them (her account page).
    email: Mapped[str] = mapped_column(String(254), default="", server_default=text("''"))
    email_notifications: Mapped[bool] = mapped_column(default=True,
                                                      server_default=text("true"))

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
    superior: Mapped[Employee | None] = relationship(remote_side=[id])
    groups: Mapped[list[Group]] = relationship(secondary="group_member", back_populates="members")

    @property
    def pangkat_golongan(self) -> str:
        """Return 'Pangkat (gol.)' as official forms print it; a PPPK has a golongan only."""
        if self.asn_type == "PPPK":
            return self.golongan
        if self.pangkat and self.golongan:
            return f"{self.pangkat} ({self.golongan})"
        return self.pangkat or self.golongan

    def identity(self) -> dict[str, str]:
        """Return the identity block printed on official documents (snapshotted per evaluation)."""
        return {
            "name": self.name, "nip": self.nip, "pangkat_golongan": self.pangkat_golongan,
            "jabatan": self.jabatan, "unit_kerja": self.unit_kerja, "asn_type": self.asn_type,
            "jenis_jabatan": self.jenis_jabatan,
        }

    def __str__(self) -> str:
        return f"{self.name} ({self.nip})"


event.listen(Employee.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class Group(Base):
    """A named group in an agency: tim-penilai-kinerja, inspektorat, admin, …"""

    __tablename__ = "agency_group"
    __table_args__ = (UniqueConstraint("agency_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")

    members: Mapped[list[Employee]] = relationship(
        secondary="group_member", back_populates="groups"
    )

    def __str__(self) -> str:
        return self.name or self.slug


class AgencyDayOff(Base):
    """An extra day off of one agency (*cuti bersama*, a local holiday), kept by its admin.

    Working-day windows skip it, besides weekends and the national holidays
    (``workcalendar.WorkCalendar``).
    """

    __tablename__ = "agency_day_off"
    __table_args__ = (UniqueConstraint("agency_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(200), default="")

    def __str__(self) -> str:
        return f"{self.day.isoformat() if self.day else '?'} {self.name}".strip()


class GroupMember(Base):
    """Membership of an employee in a group."""

    __tablename__ = "group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("agency_group.id"), primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)


class DefinitionVersion(Base):
    """An immutable, published version of an agency's flow definition."""

    __tablename__ = "definition_version"
    __table_args__ = (UniqueConstraint("agency_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def timezone(self) -> str:
        """Return the IANA zone this version names (``Asia/Jakarta`` when it names none)."""
        return str((self.source or {}).get("timezone") or DEFAULT_ZONE)


class FormVersion(Base):
    """A version of a form spec; ``published_at`` set means frozen. Agency NULL = national."""

    __tablename__ = "form_version"
    __table_args__ = (Index("ix_form_version_lookup", "agency_id", "key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return f"{self.key} v{self.number}"


class Period(Base):
    """An evaluation period of an agency: a year, a quarter, a month."""

    __tablename__ = "period"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer, default=1)
    label: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # The organisation's achievement for the period (SE MenPANRB 3/2023), as set by the
    # next-higher leader: a ``rating.CapaianOrganisasi`` value, and the decision it rests on.
    capaian_organisasi: Mapped[str | None] = mapped_column(String(20))
    capaian_dasar: Mapped[str | None] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.label


class Evaluation(Base):
    """One employee's evaluation in one period, pinned to a definition version."""

    __tablename__ = "evaluation"
    __table_args__ = (
        # One evaluation per employee, period and SKP in force (``skp``): a mutasi inside the
        # period gives two. Evaluations without an SKP (none was made) are one per period by
        # ``periods.open_period`` (NULLs never clash in a unique constraint).
        UniqueConstraint("employee_id", "period_id", "skp_id"),
        # A state's evaluations in the order they wait (inbox sections of group roles); on
        # PostgreSQL it carries what a section filters on, so that a section over a large
        # span (a Sekda reviewing every kepala bidang) joins it with the participant rows
        # without reading the evaluations (inbox.py: the page's ids first).
        Index("ix_evaluation_status_page", "agency_id", "status", "updated_at", "id",
              postgresql_include=["definition_version_id", "employee_id", "period_id"]),
        # Lists newest change first (inbox, API, admin) walk this index and stop at a page.
        Index("ix_evaluation_agency_updated", "agency_id", "updated_at", "id"),
        # The inbox's own sections: an employee's evaluations by period.
        Index("ix_evaluation_employee_period", "employee_id", "period_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    # No index of its own: uq (employee_id, period_id) and ix_evaluation_employee_period
    # start with it.
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    # The SKP in force the evaluation reads (RHK, indicators, targets); kept when the SKP is
    # later replaced (perubahan) or closed (mutasi). None: opened without an SKP.
    skp_id: Mapped[int | None] = mapped_column(ForeignKey("skp.id"), index=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    status: Mapped[str] = mapped_column(String(32))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    deadlines: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    form_versions: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    rating_hasil_kerja: Mapped[str | None] = mapped_column(String(16))
    rating_perilaku_kerja: Mapped[str | None] = mapped_column(String(16))
    predikat: Mapped[str | None] = mapped_column(String(20))
    history_seq: Mapped[int] = mapped_column(Integer, default=0)
    history_head: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the deadline runner should next look at it (``workflow.due``): the earliest moment
    # a transition the system fires could pass; NULL: none can. Scheduling, not shown.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    employee: Mapped[Employee] = relationship(lazy="joined", innerjoin=True)
    period: Mapped[Period] = relationship(lazy="joined", innerjoin=True)
    definition_version: Mapped[DefinitionVersion] = relationship()
    # The SKP it reads (its RHK and targets): loaded when asked for.
    skp: Mapped[Skp | None] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", back_populates="evaluation"
    )

    # Optimistic lock: UPDATE … WHERE lock_version = :seen; 0 rows → StaleDataError.
    # (SQLAlchemy's DeclarativeBase declares __mapper_args__ as an instance attribute.)
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 - a ClassVar fails mypy

    def participant_ids(self) -> dict[str, int]:
        """Return role → employee id of the reporting line snapshotted at opening."""
        return {p.role: p.employee_id for p in self.participants}

    def values(self, form_key: str) -> dict[str, Any]:
        """Return the stored values of one step's form (empty if never saved)."""
        entry = (self.data or {}).get(form_key) or {}
        return dict(entry.get("values") or {})


class Participant(Base):
    """Who plays a person role on one evaluation, frozen when it opened (with their identity)."""

    __tablename__ = "evaluation_participant"
    # "Where do I play this role": the inbox and the lists start from the person, not the agency.
    __table_args__ = (Index("ix_evaluation_participant_employee_role", "employee_id", "role",
                            "evaluation_id"),)

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No index of its own: ix_evaluation_participant_employee_role starts with it.
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    identity: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)

    evaluation: Mapped[Evaluation] = relationship(back_populates="participants")


class Skp(Base):
    """A *Sasaran Kinerja Pegawai*: one employee's plan for (part of) a year, agreed with her
    appraiser, in its own flow (``workflow.skp``; status written only by ``skp.fire_skp_transition``
    and the perubahan/mutasi use cases through the engine) with its own history chain
    (``skp:<id>``). A *perubahan* makes a new version (``previous_id``); a *mutasi* shortens
    ``ends_on`` and opens a new SKP. See docs/skp.md "Data and rules"."""

    __tablename__ = "skp"
    __table_args__ = (
        # "My SKPs" and the SKP in force at a date: by employee and year.
        Index("ix_skp_employee_year", "employee_id", "year", "starts_on"),
        # "My subordinates' SKPs": by appraiser and year.
        Index("ix_skp_appraiser_year", "appraiser_id", "year"),
        Index("ix_skp_agency_year", "agency_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    # Pejabat Penilai Kinerja; None only for the top of the agency (set by the leader herself
    # or by an admin on her behalf).
    appraiser_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("skp.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    pendekatan: Mapped[str] = mapped_column(String(16))  # kuantitatif / kualitatif
    jenis_jabatan: Mapped[str] = mapped_column(String(3))  # JPT / JA / JF
    status: Mapped[str] = mapped_column(String(32))
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    history_seq: Mapped[int] = mapped_column(Integer, default=0)
    history_head: Mapped[str] = mapped_column(String(64), default="")
    employee_identity: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    appraiser_identity: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    # {dukungan_sumber_daya: [..], skema_pertanggungjawaban: [..], konsekuensi: [..]}
    lampiran: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Values of the agency's own fields (the form editor's ``skp`` form).
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    change_reason: Mapped[str] = mapped_column(Text, default="")
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    # The appraiser's comment when she returned it (shown until it is submitted again).
    return_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id], lazy="joined",
                                              innerjoin=True)
    appraiser: Mapped[Employee | None] = relationship(foreign_keys=[appraiser_id])
    rhk: Mapped[list[SkpRhk]] = relationship(
        back_populates="skp", cascade="all, delete-orphan", order_by="SkpRhk.position",
        lazy="selectin")
    expectations: Mapped[list[SkpExpectation]] = relationship(
        back_populates="skp", cascade="all, delete-orphan", order_by="SkpExpectation.value",
        lazy="selectin")

    # Optimistic lock like Evaluation: UPDATE … WHERE lock_version = :seen.
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012 - a ClassVar fails mypy


class SkpRhk(Base):
    """A *rencana hasil kerja* of an SKP: utama or tambahan, with the leader's RHK it cascades
    from (``parent_id``: an RHK of the appraiser's set SKP)."""

    __tablename__ = "skp_rhk"

    id: Mapped[int] = mapped_column(primary_key=True)
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    jenis: Mapped[str] = mapped_column(String(16))  # utama / tambahan
    text: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("skp_rhk.id"), index=True)
    klasifikasi: Mapped[str] = mapped_column(String(100), default="")
    perspektif: Mapped[str] = mapped_column(String(100), default="")  # JPT
    # The leader who put it here from her Matriks Peran Hasil (None: written by the employee).
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    # The RHK of the previous version it was copied from (perubahan SKP): RHK that cascade
    # from that one cascade from this one too (``cascade.cascade_tree``).
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("skp_rhk.id"))

    skp: Mapped[Skp] = relationship(back_populates="rhk")
    indicators: Mapped[list[SkpIndicator]] = relationship(
        back_populates="rhk", cascade="all, delete-orphan", order_by="SkpIndicator.position",
        lazy="selectin")


class SkpIndicator(Base):
    """An indicator of an RHK on one aspect, with its target (a range where allowed)."""

    __tablename__ = "skp_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    rhk_id: Mapped[int] = mapped_column(ForeignKey("skp_rhk.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    aspek: Mapped[str] = mapped_column(String(16))  # kuantitas / kualitas / waktu / biaya
    text: Mapped[str] = mapped_column(Text)
    target_min: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    target_max: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    target_text: Mapped[str] = mapped_column(Text, default="")
    satuan: Mapped[str] = mapped_column(String(50), default="")
    perspektif: Mapped[str] = mapped_column(String(100), default="")  # JPT

    rhk: Mapped[SkpRhk] = relationship(back_populates="indicators")


class SkpExpectation(Base):
    """The leader's specific behaviour expectation (*ekspektasi khusus pimpinan*) for one
    BerAKHLAK value (``rating.BERAKHLAK`` key) of an SKP; written by the appraiser."""

    __tablename__ = "skp_expectation"

    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")

    skp: Mapped[Skp] = relationship(back_populates="expectations")


class SkpFeedback(Base):
    """Continuous feedback (*umpan balik berkelanjutan*) on a set SKP (``workflow.feedback``).

    A thread starts with the appraiser's comment on one topic — an RHK (``rhk_id``), an
    indicator's realisation in one period (``indicator_id`` + ``month`` and/or ``period_id``,
    so it can join the realisation recorded per indicator per period), or a BerAKHLAK value
    (``value``) — and goes on with replies (``parent_id`` = the thread's first comment).
    ``event_seq`` is the SKP chain event that recorded it (``audit verify`` checks the row
    against it). Never edited or deleted.
    """

    __tablename__ = "skp_feedback"
    __table_args__ = (Index("ix_skp_feedback_skp", "skp_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"))
    topic: Mapped[str] = mapped_column(String(16))  # rhk / indikator / perilaku
    rhk_id: Mapped[int | None] = mapped_column(ForeignKey("skp_rhk.id"))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("skp_indicator.id"))
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"))
    month: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[str | None] = mapped_column(String(32))  # a BerAKHLAK key
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("skp_feedback.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    author_role: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[Employee] = relationship(foreign_keys=[author_id], lazy="joined",
                                            innerjoin=True)


class SkpDialog(Base):
    """A *dialog kinerja* held between the employee and her appraiser about a set SKP: when,
    the topics, the agreed actions, both parties (``workflow.feedback``). Never edited."""

    __tablename__ = "skp_dialog"
    __table_args__ = (Index("ix_skp_dialog_skp", "skp_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"))
    held_on: Mapped[date]
    topics: Mapped[str] = mapped_column(Text)
    agreed_actions: Mapped[str] = mapped_column(Text)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    appraiser_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)


class SkpPeriod(Base):
    """One realisation period of a set SKP (``2026-03``, ``2026-Q1``, ``2026-S1``): submitted
    or not. Once submitted, its realisation and evidence are immutable (a new evidence file
    supersedes an old one, which stays). See docs/skp.md "Realisation and evidence"."""

    __tablename__ = "skp_period"

    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))


class SkpRealisation(Base):
    """The employee's realisation of one indicator of her set SKP in one period: a value
    (quantitative) and/or a text, written by ``workflow.realisation``."""

    __tablename__ = "skp_realisation"
    __table_args__ = (UniqueConstraint("indicator_id", "period"),
                      Index("ix_skp_realisation_skp_period", "skp_id", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("skp_indicator.id"))
    period: Mapped[str] = mapped_column(String(8))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkpActionPlan(Base):
    """The *rencana aksi* of one RHK for one period (the employee's plan of what she does)."""

    __tablename__ = "skp_action_plan"
    __table_args__ = (UniqueConstraint("rhk_id", "period"),
                      Index("ix_skp_action_plan_skp_period", "skp_id", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"))
    rhk_id: Mapped[int] = mapped_column(ForeignKey("skp_rhk.id"))
    period: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkpEvidence(Base):
    """An evidence file (*bukti dukung*) of one realisation: the object in the storage
    (``storage_key``) with what was recorded when it was uploaded (and in the SKP's history
    chain): SHA-256, size, type checked by content, uploader, time. Never deleted: a newer
    upload supersedes it (``superseded_by_id``) and auditors can still read it."""

    __tablename__ = "skp_evidence"
    __table_args__ = (Index("ix_skp_evidence_skp_period", "skp_id", "period"),
                      Index("ix_skp_evidence_agency", "agency_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    skp_id: Mapped[int] = mapped_column(ForeignKey("skp.id"))
    realisation_id: Mapped[int] = mapped_column(ForeignKey("skp_realisation.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("skp_evidence.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HistoryEvent(Base):
    """An append-only, hash-chained record of a transition, a data change or an admin action."""

    __tablename__ = "history_event"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_history_event_agency_at", "agency_id", "at", "id"),
        # The audit search by actor, newest first.
        Index("ix_history_event_agency_actor_at", "agency_id", "actor_nip", "at", "id"),
        # The search form's kinds and triggers, read one distinct pair at a time.
        Index("ix_history_event_agency_kind_trigger", "agency_id", "kind", "trigger"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation.id"), index=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    actor_nip: Mapped[str] = mapped_column(String(18), default="")
    actor_role: Mapped[str] = mapped_column(String(64), default="")
    trigger: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(32), default="")
    dest: Mapped[str] = mapped_column(String(32), default="")
    definition_version_id: Mapped[int | None] = mapped_column(ForeignKey("definition_version.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    data_digest: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))
    # Which fields the hash covers (``history.HASHED_FIELDS``): 1 = before the projection was
    # recorded (``actor_id`` and ``projection`` outside it), 2 = everything shown anywhere,
    # 3 = also ``key_id`` and ``request_id``.
    hash_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # Per projected field of the evaluation, the digest of its value after this event
    # (``projection.PROJECTED_FIELDS``); empty on agency chains and version-1 events.
    projection: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict,
                                                       server_default=text("'{}'"))
    # Version 3: the id of the agency key that signed the event ("": the installation key,
    # ``workflow.auditkeys``) and the request id of the work that wrote it (the logs' id).
    key_id: Mapped[str] = mapped_column(String(40), default="", server_default=text("''"))
    request_id: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))

    # Lets the unit of work update the evaluation (version check) before inserting its event.
    evaluation: Mapped[Evaluation | None] = relationship()


class EvaluationTally(Base):
    """How many evaluations of an agency's period, unit kerja and flow version are in a state
    with a predikat ("" = none yet): the dashboard's figures, kept by ``workflow.tallies`` in
    the transaction of every change (a period opening, a transition, an employee moving
    units) so that the dashboard never scans evaluations."""

    __tablename__ = "evaluation_tally"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), primary_key=True)
    unit_kerja: Mapped[str] = mapped_column(String(200), primary_key=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"),
                                                       primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    predikat: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """An API token of an employee; only its SHA-256 digest is stored.

    ``scope`` is a space-separated list of operations (``workflow.accounts.TOKEN_SCOPES``);
    a token is refused after ``expires_at`` or once revoked.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    scope: Mapped[str] = mapped_column(String(500), default="read")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(lazy="joined", innerjoin=True)


class ActivationCode(Base):
    """A one-time code with which an employee sets her own password; only its keyed hash is stored.

    At most one per employee: issuing a new code replaces the old one, using it deletes it.
    """

    __tablename__ = "activation_code"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))


class LoginThrottle(Base):
    """Failed checks of one key (an account, or an account from one address), shared by every
    app process (kept in the database); ``locked_until``: no check of the key before then."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditCheckpoint(Base):
    """A signed checkpoint of every chain head, written outside the database (``checkpoints``).

    The row records the digest of the line appended to the checkpoint log, so the log and the
    database vouch for each other: a line missing from either side is reported.
    """

    __tablename__ = "audit_checkpoint"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))
    chains: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(32), default="")


class ChainVerification(Base):
    """How far one history chain was last verified (``workflow.verification``).

    ``seq``/``hash`` is the newest event checked; ``ok`` false names the first broken link.
    ``sig`` is the HMAC of the row with the audit key: a row edited in the database does not
    verify and its chain is checked again from its first event.
    """

    __tablename__ = "chain_verification"
    __table_args__ = (Index("ix_chain_verification_agency_ok", "agency_id", "ok", "chain"),
                      # The broken chains an incremental run over every agency checks again.
                      Index("ix_chain_verification_ok", "ok", "chain"))

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer)
    evaluation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")
    ok: Mapped[bool] = mapped_column(default=True)
    broken_seq: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sig: Mapped[str] = mapped_column(String(64), default="")


class VerificationRun(Base):
    """One run of the chain verification: what it covered and what it found."""

    __tablename__ = "verification_run"
    __table_args__ = (Index("ix_verification_run_agency_mode", "agency_id", "mode", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(Integer)  # None: every agency
    mode: Mapped[str] = mapped_column(String(16))  # full / incremental
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chains: Mapped[int] = mapped_column(Integer, default=0)  # chains checked by this run
    events: Mapped[int] = mapped_column(Integer, default=0)  # events hashed by this run
    broken: Mapped[int] = mapped_column(Integer, default=0)  # broken chains it found
    jobs: Mapped[int] = mapped_column(Integer, default=1)
    # What the checkpoint check of this run found (``checkpoints.CheckpointReport``: number,
    # newest time, the first problems), when it ran; the page shows it for a large history.
    checkpoint_report: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Every event with an id up to ``watermark`` was checked by this run or an earlier one of
    # its scope, or can never appear again (``workflow.verification``: an incremental run
    # checks the chains of the events above it); ``pending``: [id, [transaction ids]] of
    # candidates waiting for transactions that were in flight. ``sig``: their HMAC.
    watermark: Mapped[int | None] = mapped_column(Integer)
    pending: Mapped[list[Any] | None] = mapped_column(JSONType)
    sig: Mapped[str] = mapped_column(String(64), default="", server_default="")


class Document(Base):
    """An issued PDF: its verification code binds the content digest and a history event."""

    __tablename__ = "document"
    __table_args__ = (Index("ix_document_evaluation_kind", "evaluation_id", "kind"),
                      Index("ix_document_skp_kind", "skp_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    # An evaluation's document, or an SKP's (``reports.skp_document``): one of the two.
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation.id"))
    skp_id: Mapped[int | None] = mapped_column(ForeignKey("skp.id"))
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    event_hash: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_nip: Mapped[str] = mapped_column(String(18), default="")


class Job(Base):
    """A piece of background work run by the job queue (``workflow.jobs``): a bulk PDF export,
    opening a period, an activation-code batch, a chain verification, a deadline run.

    Its state lives here, so any app server shows it and any worker resumes it: progress
    (``done``/``total``), the errors per item, the result's storage key, size and SHA-256, and
    the running worker's heartbeat (a job whose heartbeat stops is resumed or failed).
    """

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_agency_kind", "agency_id", "kind", "id"),
        # The watchdog: running jobs by heartbeat; finished results by expiry.
        Index("ix_job_status_heartbeat", "status", "heartbeat_at"),
        Index("ix_job_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    kind: Mapped[str] = mapped_column(String(32))
    requested_by_nip: Mapped[str] = mapped_column(String(18), default="")
    # What to do (e.g. ``{"period_id": 3, "unit_kerja": ""}``) and what a resumed run must
    # reuse (the export's issuing moment, so re-issuing finds the same codes).
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # queued → running → done | failed | cancelled; done → expired once the result is deleted.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    worker: Mapped[str] = mapped_column(String(100), default="")
    result_key: Mapped[str] = mapped_column(String(500), default="")
    result_name: Mapped[str] = mapped_column(String(200), default="")
    result_size: Mapped[int] = mapped_column(Integer, default=0)
    result_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScheduledRun(Base):
    """The last run of a periodic task (the deadline runner): ``/healthz`` reports one that
    has not finished a run for too long."""

    __tablename__ = "scheduled_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class InstallationAdmin(Base):
    """A super-admin of the installation (``flask users create-superadmin``): creates agencies
    and their first admin in the browser (``workflow.agencies``). Her employee row lives in the
    reserved agency ``instalasi``; no agency admin can make anyone a super-admin."""

    __tablename__ = "installation_admin"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DefinitionOverlay(Base):
    """The text an agency admin wrote in the browser's flow editor for one published version:
    an overlay (``extends: default`` plus what differs), shown again the next time she edits.
    The version's ``source`` holds the merged, validated definition."""

    __tablename__ = "definition_overlay"

    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_version.id"),
                                                       primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


class IntegrationToken(Base):
    """An agency-level API token for a system (payroll/TPP, SIASN sync), not a person: it reads
    only what its scope names (``recap``), expires, can be revoked, and only its SHA-256 digest
    is stored (``workflow.integration_tokens``)."""

    __tablename__ = "integration_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    scope: Mapped[str] = mapped_column(String(200), default="recap")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_nip: Mapped[str] = mapped_column(String(18), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpAction(Base):
    """A follow-up (*tindak lanjut*) of one evaluation's result (``workflow.follow_up``): an
    award, competence development, coaching (*pembinaan*), a sanction or a PPPK contract
    recommendation, with who owns it, when it is due and how far it is."""

    __tablename__ = "follow_up_action"
    __table_args__ = (Index("ix_follow_up_action_evaluation_kind", "evaluation_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_nip: Mapped[str] = mapped_column(String(18), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Employee] = relationship(lazy="joined", innerjoin=True)
class Position(Base):
    """A position (*jabatan*) of the org chart: its unit, kind, level and parent position.

    ``kind`` is one of ``positions.KINDS`` (JPT, administrator, pengawas, pelaksana,
    fungsional). The appraiser of someone holding a position is the holder of the nearest
    parent position of at least *pengawas* kind (``workflow.positions``).
    """

    __tablename__ = "position"
    __table_args__ = (
        UniqueConstraint("agency_id", "code"),
        # A unit's positions (its head, for the leader rule on every rating step).
        Index("ix_position_agency_unit", "agency_id", "unit_kerja"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (agency_id, code) and ix_position_agency_unit start with it.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    unit_kerja: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"), index=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PositionHolder(Base):
    """Who holds a position, how (``definitif``, ``plt``, ``plh``) and from when to when
    (``ends_on`` None: still holding; both days included)."""

    __tablename__ = "position_holder"
    __table_args__ = (UniqueConstraint("position_id", "employee_id", "kind", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="definitif")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class UnitAchievement(Base):
    """The achievement (*capaian kinerja organisasi*) of one unit kerja (OPD) in one period,
    set by the official above its head (or the admin on her behalf) with its basis."""

    __tablename__ = "unit_achievement"
    __table_args__ = (UniqueConstraint("period_id", "unit_kerja"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    unit_kerja: Mapped[str] = mapped_column(String(200))
    capaian: Mapped[str] = mapped_column(String(20))
    dasar: Mapped[str] = mapped_column(String(200))
    set_by_nip: Mapped[str] = mapped_column(String(18), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
class Notification(Base):
    """A message to one employee about something that concerns her (``workflow.notifications``):
    shown in her notification centre; its e-mail / gateway copies go through the outbox."""

    __tablename__ = "notification"
    __table_args__ = (
        # The badge (unread count) and the list, newest first.
        Index("ix_notification_recipient_read", "recipient_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    # What happened: the step's trigger (``review``, ``ajukan``, …) or ``reminder``.
    kind: Mapped[str] = mapped_column(String(64))
    # What it is about: ``evaluation`` or ``skp``, and its id (the link).
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    # One reminder per deadline and day count: a second run of the periodic task adds nothing.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """One copy of a notification to send outside the app (e-mail, the gateway), written in
    the transaction of the event that caused it and sent after commit by the job queue
    (``workflow.outbox``): claimed by one sender, tried until sent or out of attempts."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | gateway
    address: Mapped[str] = mapped_column(String(254), default="")
    # pending → sending (claimed) → sent | failed (attempts used up).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
