"""The SKP's flow: the national definition, and an agency's own (``skp:`` of its definition).

An SKP moves through a flow of its own, driven by the same engine as evaluations
(``engine.flow_for``: one shared ``transitions`` machine, role check, required comment, then
the guards of ``guards.GUARDS``). The national flow below is used unless the agency's flow
definition has an ``skp:`` section: that section is written like a flow (roles, states,
labels, transitions), resolved through the same ``extends`` (a child without ``skp:``
inherits its parent's), validated by the same validator and published with the same version,
so an SKP pinned to a definition version always runs the flow it was created under.

The use cases (``workflow.skp``) rely on the trigger names ``ajukan``, ``kembalikan``,
``tetapkan``, ``ubah`` (perubahan) and ``tutup`` (mutasi) and on the states ``draft`` /
``dikembalikan`` (editable) and ``ditetapkan`` (set): an agency's section must keep them
(checked by ``skp_problems``) and may add guards, labels and steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .definition import WorkflowDefinition
from .texts import Text

#: Editable states: the employee may change the content, the leader may assign results.
EDITABLE = ("draft", "dikembalikan")
#: The state whose RHK others may cascade from, and evaluations read.
SET = "ditetapkan"
#: Terminal states: closed by a mutasi, replaced by a perubahan.
CLOSED = "ditutup"
REPLACED = "diganti"
#: Steps the use cases fire by name.
SUBMIT, RETURN, ESTABLISH, CHANGE, CLOSE = "ajukan", "kembalikan", "tetapkan", "ubah", "tutup"
REQUIRED_TRIGGERS = (SUBMIT, RETURN, ESTABLISH, CHANGE, CLOSE)
REQUIRED_STATES = (*EDITABLE, SET, CLOSED, REPLACED)

#: The national SKP flow (PermenPANRB 6/2022 Pasal 5-8), as an agency would write it under
#: ``skp:``; ``agency`` and ``version`` come from the definition it belongs to.
NATIONAL: dict[str, Any] = {
    "name": "Sasaran Kinerja Pegawai (PermenPANRB 6/2022)",
    "name_en": "Employee performance plan (PermenPANRB 6/2022)",
    "roles": {
        "pegawai": "owner",  # the employee whose SKP it is
        "penilai": "owner.superior",  # Pejabat Penilai Kinerja (snapshotted on the SKP)
        "admin": "group:admin",  # sets the top of the agency's SKP on the leader's behalf
    },
    "role_labels": {
        "pegawai": {"id": "Pegawai", "en": "Employee"},
        "penilai": {"id": "Pejabat Penilai Kinerja", "en": "Appraiser"},
        "admin": {"id": "Admin Instansi", "en": "Agency admin"},
        "system": {"id": "Sistem", "en": "System"},
    },
    "states": ["draft", "diajukan", "dikembalikan", "ditetapkan", "ditutup", "diganti"],
    "labels": {
        "draft": {"id": "Draf", "en": "Draft"},
        "diajukan": {"id": "Diajukan", "en": "Submitted"},
        "dikembalikan": {"id": "Dikembalikan untuk perbaikan", "en": "Returned for revision"},
        "ditetapkan": {"id": "Ditetapkan", "en": "Set"},
        "ditutup": {"id": "Ditutup (mutasi)", "en": "Closed (transfer)"},
        "diganti": {"id": "Diganti (perubahan SKP)", "en": "Replaced (SKP change)"},
    },
    "initial": "draft",
    "final": ["ditutup", "diganti"],
    "transitions": [
        {"name": SUBMIT, "label": "Ajukan ke Pejabat Penilai", "label_en": "Submit to appraiser",
         "from": list(EDITABLE), "to": "diajukan", "by": "pegawai",
         "guards": ["skp_content_complete", "skp_appraiser_set", "skp_parent_rhk"],
         "notify": ["penilai"]},
        {"name": RETURN, "label": "Kembalikan untuk perbaikan",
         "label_en": "Return for revision", "from": "diajukan", "to": "dikembalikan",
         "by": ["penilai", "pegawai", "admin"], "comment": "required",
         "guards": ["skp_setter"], "notify": ["pegawai"]},
        {"name": ESTABLISH, "label": "Tetapkan SKP", "label_en": "Set the SKP",
         "from": "diajukan", "to": "ditetapkan", "by": ["penilai", "pegawai", "admin"],
         "guards": ["skp_setter"], "notify": ["pegawai"]},
        {"name": CHANGE, "label": "Perubahan SKP", "label_en": "Change the SKP",
         "from": "ditetapkan", "to": "diganti", "by": ["pegawai", "penilai"],
         "comment": "required"},
        {"name": CLOSE, "label": "Tutup SKP (mutasi / ganti Pejabat Penilai)",
         "label_en": "Close the SKP (transfer / new appraiser)",
         "from": ["draft", "diajukan", "dikembalikan", "ditetapkan"], "to": "ditutup",
         "by": ["admin", "system"], "comment": "required"},
    ],
}


def skp_mapping(section: Mapping[str, Any], agency: Any, version: Any) -> dict[str, Any]:
    """Return the flow mapping of an ``skp:`` section (or the national one), ready for the
    validator: the section's keys plus the definition's ``agency`` and ``version``."""
    mapping: dict[str, Any] = dict(section)
    mapping.setdefault("agency", agency)
    mapping.setdefault("version", version)
    return mapping


def skp_problems(definition: WorkflowDefinition) -> list[Text]:
    """Name the steps and states the SKP use cases need that a flow lacks."""
    problems = [Text(f"alur SKP harus punya langkah '{name}'",
                     f"the SKP flow must have the step '{name}'")
                for name in REQUIRED_TRIGGERS if definition.transition(name) is None]
    problems += [Text(f"alur SKP harus punya status '{name}'",
                      f"the SKP flow must have the state '{name}'")
                 for name in REQUIRED_STATES if name not in definition.states]
    return problems


_NATIONAL: WorkflowDefinition | None = None


def national_flow() -> WorkflowDefinition:
    """Return the national SKP flow, validated (once per process)."""
    global _NATIONAL
    if _NATIONAL is None:
        from .validation import parse_definition

        _NATIONAL = parse_definition(skp_mapping(NATIONAL, "default", 1), "<alur SKP nasional>")
    return _NATIONAL


def skp_flow_of(definition: WorkflowDefinition) -> WorkflowDefinition:
    """Return the SKP flow an agency's definition version runs: its ``skp:`` section, else
    the national flow."""
    return definition.skp if definition.skp is not None else national_flow()
