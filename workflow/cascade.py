"""Cascading results down the org chart: the leader's *Matriks Peran Hasil* and the tree.

A leader whose SKP is set shares out her results (RHK) to her direct subordinates: assigning
one puts a draft RHK with the parent link into the subordinate's SKP of the same year
(creating that draft SKP if she has none), which the subordinate refines (indicators,
targets) and submits. The matrix is her RHK × her subordinates, each cell the subordinates'
RHK that cascade from that RHK; the tree follows one RHK down to the staff. Pure core, like
``workflow.skp`` (no commit; one event per change on the subordinate's SKP chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .errors import GuardFailed
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .models import Employee
from .models import Skp
from .models import SkpRhk
from .service import Workflow
from .skp import ENDED
from .skp import appraiser_of
from .skp import current_skp
from .skp import get_skp
from .skp import may_read_skp
from .skp import open_skp
from .skp import record_change
from .skp_content import JENIS_JABATAN
from .skp_flow import EDITABLE
from .skp_flow import SET

#: How deep the tree goes (an org chart is never this deep; a loop never hangs a read).
MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class MatrixColumn:
    """A direct subordinate: who, and her current SKP of the year (None: none yet)."""

    employee: Employee
    skp: Skp | None

    @property
    def editable(self) -> bool:
        """Whether results can be assigned to her now (no SKP yet, or one being drafted)."""
        return self.skp is None or self.skp.status in EDITABLE


@dataclass(frozen=True, slots=True)
class RoleMatrix:
    """The Matriks Peran Hasil of one leader's SKP: rows are her RHK, columns her direct
    subordinates; ``cells[(rhk id, employee id)]`` the subordinate's RHK cascading from it."""

    skp: Skp
    rows: tuple[SkpRhk, ...]
    columns: tuple[MatrixColumn, ...]
    cells: dict[tuple[int, int], tuple[SkpRhk, ...]]
    # Whether the reader may assign and unassign (the leader, her SKP set).
    may_assign: bool


def _lineage(session: Session, rhk_ids: set[int]) -> dict[int, int]:
    """Map every earlier copy of the given RHK (perubahan SKP) to the RHK it became."""
    found = {i: i for i in rhk_ids}
    frontier = dict(found)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        rows = session.execute(select(SkpRhk.id, SkpRhk.copied_from_id).where(
            SkpRhk.id.in_(list(frontier)), SkpRhk.copied_from_id.is_not(None))).all()
        frontier = {}
        for rid, earlier in rows:
            if earlier is not None and earlier not in found:
                found[earlier] = found[rid]
                frontier[earlier] = found[rid]
    return found


def _children(session: Session, rhk_ids: set[int]) -> dict[int, list[SkpRhk]]:
    """Return, per RHK, the RHK of current SKPs that cascade from it (or an earlier copy)."""
    lineage = _lineage(session, rhk_ids)
    out: dict[int, list[SkpRhk]] = {}
    if not lineage:
        return out
    rows = session.scalars(
        select(SkpRhk).join(Skp, Skp.id == SkpRhk.skp_id)
        .where(SkpRhk.parent_id.in_(list(lineage)), Skp.status.not_in(ENDED))
        .order_by(Skp.employee_id, SkpRhk.position, SkpRhk.id))
    for row in rows:
        assert row.parent_id is not None
        out.setdefault(lineage[row.parent_id], []).append(row)
    return out


def role_matrix(session: Session, actor: Actor, skp_id: int) -> RoleMatrix:
    """Return the Matriks Peran Hasil of an SKP (readable by whoever may read the SKP).

    :raises NotFound: no such SKP, another agency's, or one the actor may not read.
    """
    skp = get_skp(session, actor, skp_id)
    rows = tuple(sorted(skp.rhk, key=lambda r: r.position))
    people = session.scalars(
        select(Employee).where(Employee.superior_id == skp.employee_id, Employee.active,
                               Employee.agency_id == skp.agency_id)
        .order_by(Employee.unit_kerja, Employee.name)).all()
    columns = tuple(MatrixColumn(p, current_skp(session, p.id, skp.year)) for p in people)
    children = _children(session, {r.id for r in rows})
    cells: dict[tuple[int, int], tuple[SkpRhk, ...]] = {}
    column_skps = {c.skp.id: c.employee.id for c in columns if c.skp is not None}
    for rid, found in children.items():
        for child in found:
            owner = column_skps.get(child.skp_id)
            if owner is not None:
                cells[(rid, owner)] = (*cells.get((rid, owner), ()), child)
    return RoleMatrix(skp, rows, columns, cells,
                      actor.employee_id == skp.employee_id and skp.status == SET)


def _leader_rhk(session: Session, actor: Actor, leader_rhk_id: int,
                skp_id: int | None) -> tuple[SkpRhk, Skp]:
    rhk = session.get(SkpRhk, leader_rhk_id)
    if rhk is None or (skp_id is not None and rhk.skp_id != skp_id):
        raise NotFound("RHK tidak ditemukan.", "Result not found.")
    skp = rhk.skp
    if not may_read_skp(session, actor, skp):
        raise NotFound("RHK tidak ditemukan.", "Result not found.")
    if actor.employee_id != skp.employee_id:
        raise NotPermitted("Hanya pemilik RHK yang dapat membaginya ke bawahannya.",
                           "Only the result's owner can share it out to her subordinates.")
    if skp.status != SET:
        raise GuardFailed("skp_set", "RHK baru dapat dibagi setelah SKP Anda ditetapkan.",
                          "A result can only be shared out once your SKP is set.")
    return rhk, skp


def assign_result(session: Session, wf: Workflow, actor: Actor, leader_rhk_id: int,
                  subordinate_id: int, *, skp_id: int | None = None) -> SkpRhk:
    """Assign one of the leader's RHK to a direct subordinate: a draft utama RHK with the
    parent link (and the leader's wording, for the subordinate to refine) is added to the
    subordinate's current SKP of the year, created as a draft if she has none (pendekatan of
    the leader's SKP, jenis jabatan from the org chart, else JA).

    :raises NotFound: no such RHK (or not one of ``skp_id``'s, when given) or subordinate
        (another agency's included).
    :raises NotPermitted: the RHK is not the actor's.
    :raises GuardFailed: the leader's SKP is not set (``skp_set``); the subordinate's SKP is
        submitted or set (``skp_editable``); already assigned (``already_assigned``).
    :raises InvalidData: the employee is not the actor's direct subordinate.
    """
    rhk, leader_skp = _leader_rhk(session, actor, leader_rhk_id, skp_id)
    subordinate = session.get(Employee, subordinate_id)
    if subordinate is None or subordinate.agency_id != actor.agency_id:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    if subordinate.superior_id != actor.employee_id or not subordinate.active:
        raise InvalidData.of({"subordinate_id": (
            "Hasil kerja hanya dapat dibagi ke bawahan langsung yang aktif.",
            "Results can only be shared out to active direct subordinates.")})
    target = current_skp(session, subordinate.id, leader_skp.year)
    if target is None:
        jenis = subordinate.jenis_jabatan if subordinate.jenis_jabatan in JENIS_JABATAN else "JA"
        target = open_skp(session, wf, actor, subordinate, appraiser_of(session, subordinate),
                           year=leader_skp.year, pendekatan=leader_skp.pendekatan,
                           jenis_jabatan=jenis, trigger="create", role="penilai", copy=None,
                           keep_parents=False, payload={"assigned_from": rhk.id})
    if target.status not in EDITABLE:
        raise GuardFailed("skp_editable",
                          "SKP bawahan ini sudah diajukan atau ditetapkan; hasil kerja dapat "
                          "dibagi lagi setelah dikembalikan atau melalui perubahan SKP.",
                          "This subordinate's SKP is submitted or set; results can be shared "
                          "again once it is returned or through an SKP change.")
    if target.appraiser_id != actor.employee_id:
        raise InvalidData.of({"subordinate_id": (
            "Anda bukan Pejabat Penilai pada SKP bawahan ini.",
            "You are not the appraiser on this subordinate's SKP.")})
    if any(r.parent_id == rhk.id for r in target.rhk):
        raise GuardFailed("already_assigned",
                          "RHK ini sudah dibagi ke pegawai tersebut.",
                          "This result is already assigned to that employee.")
    child = SkpRhk(position=len(target.rhk), jenis="utama", text=rhk.text, parent_id=rhk.id,
                   klasifikasi=rhk.klasifikasi, perspektif="", assigned_by_id=actor.employee_id,
                   indicators=[])
    target.rhk.append(child)
    record_change(session, wf, target, actor, kind="data", trigger="assign", role="penilai",
            source=target.status, dest=target.status,
            payload={"parent_rhk": rhk.id, "leader_skp": leader_skp.id})
    return child


def unassign_result(session: Session, wf: Workflow, actor: Actor, rhk_id: int) -> Skp:
    """Withdraw a result the actor assigned (the subordinate's RHK with its indicators) while
    the subordinate's SKP is editable; returns that SKP.

    :raises NotFound: no such RHK, or not one the actor may read.
    :raises NotPermitted: the actor did not assign it.
    :raises GuardFailed: the subordinate's SKP is submitted or set (``skp_editable``).
    """
    child = session.get(SkpRhk, rhk_id)
    if child is None or not may_read_skp(session, actor, child.skp):
        raise NotFound("RHK tidak ditemukan.", "Result not found.")
    target = child.skp
    if child.assigned_by_id is None or child.assigned_by_id != actor.employee_id:
        raise NotPermitted("Hanya pimpinan yang membagi RHK ini yang dapat menariknya.",
                           "Only the leader who assigned this result can withdraw it.")
    if target.status not in EDITABLE:
        raise GuardFailed("skp_editable",
                          "SKP bawahan ini sudah diajukan atau ditetapkan.",
                          "This subordinate's SKP is submitted or set.")
    parent = child.parent_id
    target.rhk = [r for r in target.rhk if r.id != child.id]
    for n, r in enumerate(sorted(target.rhk, key=lambda r: r.position)):
        r.position = n
    record_change(session, wf, target, actor, kind="data", trigger="unassign", role="penilai",
            source=target.status, dest=target.status, payload={"parent_rhk": parent})
    return target


@dataclass(slots=True)
class TreeNode:
    """One RHK in the cascade tree, whose SKP and owner it belongs to, and what cascades
    from it."""

    rhk: SkpRhk
    skp: Skp
    employee_name: str
    employee_nip: str
    jabatan: str
    children: list[TreeNode] = field(default_factory=list)


def cascade_tree(session: Session, actor: Actor, rhk_id: int) -> TreeNode:
    """Return every RHK that cascades from one RHK, down to the staff (current SKPs only:
    drafts included, closed and replaced ones left out). Readable by whoever may read the
    RHK's SKP.

    :raises NotFound: no such RHK, or its SKP is not readable by the actor.
    """
    root = session.get(SkpRhk, rhk_id)
    if root is None or not may_read_skp(session, actor, root.skp):
        raise NotFound("RHK tidak ditemukan.", "Result not found.")
    nodes = {root.id: _node(root)}
    level = [root.id]
    seen = {root.id}
    for _ in range(MAX_DEPTH):
        if not level:
            break
        found = _children(session, set(level))
        level = []
        for parent_id, children in found.items():
            for child in children:
                if child.id in seen:
                    continue
                seen.add(child.id)
                nodes[child.id] = _node(child)
                nodes[parent_id].children.append(nodes[child.id])
                level.append(child.id)
    return nodes[root.id]


def _node(rhk: SkpRhk) -> TreeNode:
    skp = rhk.skp
    identity = skp.employee_identity or {}
    return TreeNode(rhk, skp, identity.get("name", ""), identity.get("nip", ""),
                    identity.get("jabatan", ""))
