"""The OpenAPI 3.1 description of the JSON API, served at ``GET /api/v1/openapi.json``.

Kept as Python data next to the views it describes; ``tests/web/test_api.py`` checks that every
route of the ``api`` blueprint is listed here. Prose documentation: docs/api.md.
"""

from __future__ import annotations

from typing import Any

from workflow.trail import CURSOR_PATTERN

from .inputs import INT_MAX
from .inputs import PAGE_MAX

# What web/inputs.py lets through: ids in PostgreSQL's INTEGER, text without NUL.
DB_ID = {"type": "integer", "minimum": 1, "maximum": INT_MAX}
TEXT = {"type": "string", "pattern": "^[^\\x00]*$"}

def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


ID_PARAM = {"name": "evaluation_id", "in": "path", "required": True,
            "schema": DB_ID, "description": "Id evaluasi / evaluation id"}
UNAUTHORIZED = _error("Token tidak ada atau tidak sah / missing or invalid token "
                      "(header WWW-Authenticate: Bearer)")
NOT_FOUND = _error("Tidak ditemukan, termasuk evaluasi instansi lain / not found, including "
                   "another agency's evaluation")
FORBIDDEN = _error("Pemanggil tidak punya peran pada evaluasi ini, atau cakupan token tidak "
                   "mencakup operasi ini / the caller has no role on this evaluation, or the "
                   "token's scope does not cover the operation")

ROLE_LABEL = {"type": "string", "description": "the role's official name in the caller's "
               "language, from the flow definition's role_labels"}

SCHEMAS: dict[str, Any] = {
    "Value": {"description": "any JSON value whose texts hold no NUL (web/inputs.py)",
              "anyOf": [{"type": ["null", "boolean", "number"]}, TEXT,
                        {"type": "array", "items": _ref("Value")},
                        {"type": "object", "propertyNames": TEXT,
                         "additionalProperties": _ref("Value")}]},
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "Nama kelas galat / error class, e.g. "
                      "NotFound, NotPermitted, InvalidData, TransitionNotAllowed, GuardFailed, "
                      "ConcurrentUpdate, Unauthorized"},
            "message": {"type": "string", "description": "Pesan untuk pengguna (Indonesia)"},
            "errors": {"type": "object", "description": "Per field (InvalidData only)",
                       "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "guard": {"type": "string", "description": "Guard yang menolak (GuardFailed only)"},
        },
    },
    "Label": {"type": ["object", "null"],
              "properties": {"value": {"type": "string"}, "label": {"type": "string"}}},
    "EvaluationSummary": {
        "type": "object",
        "required": ["id", "state", "state_label", "version"],
        "properties": {
            "id": {"type": "integer"},
            "employee": {"type": "object", "properties": {
                "nip": {"type": "string"}, "name": {"type": "string"},
                "unit_kerja": {"type": "string"}}},
            "period": {"type": "object", "properties": {
                "id": {"type": "integer"}, "label": {"type": "string"}}},
            "state": {"type": "string"},
            "state_label": {"type": "string"},
            "final": {"type": "boolean"},
            "version": {"type": "integer",
                        "description": "lock_version; send it back as `version` when acting"},
            "predikat": _ref("Label"),
            "updated_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"},
        },
    },
    "EvaluationList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("EvaluationSummary")},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer"}, "pages": {"type": "integer"},
            "total_capped": {"type": "boolean",
                             "description": "true: more than `total` (counted up to 1,000)"},
            "after": {"anyOf": [{"type": "string", "pattern": CURSOR_PATTERN}, {"type": "null"}],
                      "description": "cursor of the next page (null on the last)"},
            "next": {"type": ["string", "null"], "description": "URL of the next page"},
        },
    },
    "Field": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": ["text", "textarea", "integer", "decimal",
                                                "choice", "multichoice", "date", "rating",
                                                "rows"]},
            "label": {"type": "string"}, "help": {"type": "string"},
            "required": {"type": "boolean"}, "conditionally_required": {"type": "boolean"},
            "visible": {"type": "boolean"}, "editable": {"type": "boolean"},
            "options": {"type": "array", "items": {"type": "object", "properties": {
                "value": {"type": "string"}, "label": {"type": "string"}}}},
            "min": {}, "max": {}, "min_length": {"type": "integer"},
            "max_length": {"type": "integer"}, "min_rows": {"type": "integer"},
            "max_rows": {"type": ["integer", "null"]},
            "columns": {"type": "array", "items": _ref("Field")},
        },
    },
    "Transition": {
        "type": "object",
        "properties": {
            "name": {"type": "string"}, "label": {"type": "string"},
            "from": {"type": "string"}, "to": {"type": "string"},
            "role": {"type": "string"}, "role_label": ROLE_LABEL,
            "comment_required": {"type": "boolean"},
            "form": {"type": ["string", "null"]},
            "fields": {"type": "array", "items": _ref("Field")},
            "url": {"type": "string"},
        },
    },
    "Evaluation": {
        "allOf": [_ref("EvaluationSummary"), {
            "type": "object",
            "properties": {
                "roles": {"type": "array", "items": {"type": "string"}},
                "skp_id": {"type": ["integer", "null"],
                           "description": "the SKP the evaluation reads (null: opened "
                                          "without one); GET /skp/{skp_id}"},
                "period": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "label": {"type": "string"},
                    "capaian_organisasi": {
                        "description": "the organisation achievement recorded for the period "
                                       "(null until the admin records it)",
                        "anyOf": [_ref("Label"), {"type": "null"}]}}},
                "definition": {"type": "object", "properties": {
                    "agency": {"type": "string"}, "version": {"type": "integer"},
                    "version_id": {"type": "integer"}}},
                "deadlines": {"type": "object",
                              "description": "when each window ends, a UTC instant (23:59:59 "
                                             "local time on its last day)",
                              "additionalProperties": {"type": "string", "format": "date-time"}},
                "timezone": {"type": "object",
                             "description": "the agency's zone: people read times in it",
                             "properties": {"name": {"type": "string",
                                                     "examples": ["Asia/Makassar"]},
                                            "abbreviation": {"enum": ["WIB", "WITA", "WIT"]}}},
                "ratings": {"type": "object", "properties": {
                    "hasil_kerja": _ref("Label"), "perilaku_kerja": _ref("Label")}},
                "appeal": {
                    "description": "the latest appeal, null if none: `original` is the rating "
                                   "in force when it was filed, `result` the one after the "
                                   "decision (null until decided), as the page and the "
                                   "appeal-decision PDF print them",
                    "anyOf": [{"type": "object", "properties": {
                        "filed_at": {"type": "string", "format": "date-time"},
                        "original": {"type": "object"},
                        "decided_at": {"type": ["string", "null"], "format": "date-time"},
                        "result": {"type": ["object", "null"]},
                        "revised": {"type": "boolean"}}}, {"type": "null"}]},
                "participants": {"type": "array", "items": {"type": "object", "properties": {
                    "role": {"type": "string"}, "role_label": ROLE_LABEL,
                    "identity": {"type": "object"}}}},
                "transitions": {"type": "array", "items": _ref("Transition")},
                "data": {"type": "object", "additionalProperties": {
                    "type": "object", "properties": {
                        "values": {"type": "object"},
                        "form_version_id": {"type": ["integer", "null"]},
                        "saved_at": {"type": ["string", "null"]},
                        "saved_by": {"type": ["string", "null"]},
                        "draft": {"type": "boolean"}}}},
                "links": {"type": "object"},
            },
        }],
    },
    "TransitionRequest": {
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {
            "data": {"type": "object", "description": "Isian formulir langkah ini",
                     "propertyNames": TEXT, "additionalProperties": _ref("Value")},
            "comment": {"type": ["string", "null"], "pattern": TEXT["pattern"]},
            "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX,
                        "description": "The `version` you last read"},
        },
    },
    "TransitionResult": {
        "type": "object",
        "properties": {
            "evaluation": {"type": "object", "properties": {
                "id": {"type": "integer"}, "state": {"type": "string"},
                "state_label": {"type": "string"}, "version": {"type": "integer"},
                "predikat": _ref("Label"), "url": {"type": "string"}}},
            "event": {"type": "object", "properties": {
                "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                "trigger": {"type": "string"}, "from": {"type": "string"},
                "to": {"type": "string"}, "role": {"type": "string"},
                "role_label": ROLE_LABEL,
                "hash": {"type": "string"}, "prev_hash": {"type": "string"}}},
        },
    },
    "Change": {
        "type": "object",
        "required": ["field"],
        "properties": {"field": {"type": "string"}, "old": {}, "new": {},
                       "hidden": {"type": "boolean",
                                  "description": "true: value not visible to you (no old/new)"},
                       "digest": {"type": "string",
                                  "description": "of a hidden change: HMAC-SHA256 (audit key) "
                                                 "of the event hash, field and values"}},
    },
    "HistoryEvent": {
        "type": "object",
        "properties": {
            "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
            "kind": {"type": "string"}, "actor_nip": {"type": "string"},
            "role": {"type": "string"}, "role_label": ROLE_LABEL,
            "trigger": {"type": "string"},
            "from": {"type": "string"}, "to": {"type": "string"},
            "definition_version_id": {"type": ["integer", "null"]},
            "comment": {"type": "string"},
            "changes": {"type": "array", "items": _ref("Change")},
            "data_digest": {"type": "string"},
            "prev_hash": {"type": "string"}, "hash": {"type": "string"},
        },
    },
    "History": {
        "type": "object",
        "properties": {"evaluation_id": {"type": "integer"},
                       "events": {"type": "array", "items": _ref("HistoryEvent")}},
    },
    "ChainReport": {
        "type": "object",
        "properties": {
            "chain": {"type": "string"}, "events": {"type": "integer"}, "ok": {"type": "boolean"},
            "broken_seq": {"type": ["integer", "null"]}, "reason": {"type": "string"},
        },
    },
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PATHS: dict[str, Any] = {
    "/openapi.json": {"get": {
        "summary": "Dokumen OpenAPI ini / this OpenAPI document",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
    "/evaluations": {"get": {
        "summary": "Daftar evaluasi saya / list my evaluations",
        "description": "Participants: evaluations they play a role on; group-role members: "
                       "every evaluation of a flow using that role; auditors and agency admins: "
                       "the whole agency. Newest change first.",
        "parameters": [
            _query("state", TEXT, "Status, e.g. draft, submitted, reviewed"),
            _query("period_id", DB_ID, "Id periode"),
            _query("role", TEXT, "Only where I play this role, e.g. appraiser"),
            _query("q", TEXT, "Search employee name, NIP or unit kerja"),
            _query("page", {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
                   "Page (1-based)"),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                   "Page size, 1–100"),
            _query("after", {"type": "string", "pattern": f"^$|{CURSOR_PATTERN}"},
                   "Cursor of the next page (`after` of the previous answer); "
                                  "without it `page` reaches the first 1,000 evaluations"),
        ],
        "responses": {"200": _json("Satu halaman / one page", "EvaluationList"),
                      "400": _error("Parameter tidak valid / invalid parameter"),
                      "401": UNAUTHORIZED,
                      "403": _error("Cakupan token tidak mencakup `read` / the token's scope "
                                    "does not cover `read`")},
    }},
    "/evaluations/{evaluation_id}": {"get": {
        "summary": "Satu evaluasi / one evaluation",
        "parameters": [ID_PARAM],
        "responses": {"200": _json("Evaluasi", "Evaluation"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": NOT_FOUND},
    }},
    "/evaluations/{evaluation_id}/transitions/{name}": {"post": {
        "summary": "Jalankan langkah / fire a transition",
        "parameters": [ID_PARAM, {"name": "name", "in": "path", "required": True,
                                  "schema": TEXT,
                                  "description": "Nama transisi, e.g. submit, review, appeal"}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref("TransitionRequest")}}},
        "responses": {
            "200": _json("Berhasil / done", "TransitionResult"),
            "400": _error("InvalidData: field errors in `errors`, or a malformed body"),
            "401": UNAUTHORIZED,
            "403": _error("NotPermitted: the caller does not play the step's role; or the "
                          "token's scope does not cover this transition"),
            "404": NOT_FOUND,
            "409": _error("ConcurrentUpdate (stale `version`), TransitionNotAllowed (wrong "
                          "state / unknown step) or GuardFailed (`guard` names it)"),
        },
    }},
    "/evaluations/{evaluation_id}/history": {"get": {
        "summary": "Riwayat evaluasi / the evaluation's history",
        "parameters": [ID_PARAM],
        "responses": {"200": _json("Riwayat", "History"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": NOT_FOUND},
    }},
    "/evaluations/{evaluation_id}/documents/{kind}.pdf": {"get": {
        "summary": "Dokumen PDF / a document as PDF",
        "description": "kind: evaluation (Dokumen Evaluasi Kinerja Pegawai), skp, "
                       "appeal-decision, audit-trail. The PDF carries a verification code "
                       "checkable at /verify/<code>; issuing is recorded in the history.",
        "parameters": [ID_PARAM, {"name": "kind", "in": "path", "required": True, "schema": {
            "type": "string", "enum": ["evaluation", "skp", "appeal-decision", "audit-trail"]}}],
        "responses": {
            "200": {"description": "PDF", "content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}},
            "401": UNAUTHORIZED, "403": FORBIDDEN, "404": NOT_FOUND,
            "409": {"description": "Belum tersedia pada tahap ini / not available yet",
                    "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}}},
        },
    }},
    "/evaluations/{evaluation_id}/verify": {"get": {
        "summary": "Verifikasi rantai hash / verify the hash chain",
        "parameters": [ID_PARAM],
        "responses": {"200": _json("Hasil verifikasi", "ChainReport"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": NOT_FOUND},
    }},
}

SKP_ID = {"name": "skp_id", "in": "path", "required": True, "schema": DB_ID,
          "description": "Id SKP / SKP id"}
RHK_ID = {"name": "rhk_id", "in": "path", "required": True, "schema": DB_ID,
          "description": "Id RHK / result id"}
SKP_NOT_FOUND = _error("Tidak ditemukan: SKP yang tidak boleh Anda baca, termasuk SKP instansi "
                       "lain / not found: an SKP you may not read, including another agency's")
SKP_FORBIDDEN = _error("NotPermitted: bagian ini bukan milik Anda atau SKP tidak dapat diubah "
                       "sekarang; atau cakupan token tidak mencakup operasi ini / not your part, "
                       "or not editable now; or the token's scope does not cover it")
SKP_CONFLICT = _error("ConcurrentUpdate (stale `version`), TransitionNotAllowed (wrong state / "
                      "unknown step) or GuardFailed (`guard` names it)")
SKP_INVALID = _error("InvalidData: field errors in `errors` (e.g. `rhk[0].indicators[1]."
                     "target_min`), or a malformed body; nothing changed")
NUMBER_OR_TEXT = {"anyOf": [{"type": ["number", "null"]}, TEXT]}
LIST_OF_TEXTS = {"type": "array", "items": TEXT}

SKP_SCHEMAS: dict[str, Any] = {
    "SkpIndicator": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "description": "read only"},
            "aspek": {"enum": ["kuantitas", "kualitas", "waktu", "biaya"]},
            "text": TEXT, "target_min": NUMBER_OR_TEXT, "target_max": NUMBER_OR_TEXT,
            "target_text": TEXT, "satuan": TEXT, "perspektif": TEXT},
    },
    "SkpRhk": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"anyOf": [DB_ID, {"type": "null"}],
                   "description": "an RHK of this SKP to update; none: a new RHK"},
            "jenis": {"enum": ["utama", "tambahan"]}, "text": TEXT,
            "parent_id": {"anyOf": [DB_ID, {"type": "null"}],
                          "description": "an RHK of the appraiser's set SKP it cascades from"},
            "klasifikasi": TEXT, "perspektif": TEXT,
            "assigned_by_id": {"type": ["integer", "null"], "description": "read only"},
            "indicators": {"type": "array", "items": _ref("SkpIndicator")}},
    },
    "SkpContent": {
        "type": "object",
        "description": "The SKP's content document (docs/skp.md, Data and rules). A save "
                       "sends the parts it changes: rhk, lampiran and data are the employee's, "
                       "expectations the appraiser's.",
        "additionalProperties": False,
        "properties": {
            "rhk": {"type": "array", "items": _ref("SkpRhk")},
            "expectations": {"type": "object", "description": "BerAKHLAK value key → text",
                             "propertyNames": TEXT, "additionalProperties": TEXT},
            "lampiran": {"type": "object", "additionalProperties": False, "properties": {
                "dukungan_sumber_daya": LIST_OF_TEXTS,
                "skema_pertanggungjawaban": LIST_OF_TEXTS, "konsekuensi": LIST_OF_TEXTS}},
            "data": {"type": "object", "description": "the agency's own fields",
                     "propertyNames": TEXT,
                     "additionalProperties": {"anyOf": [
                         {"type": ["null", "boolean", "number"]}, TEXT]}}},
    },
    "SkpSummary": {
        "type": "object",
        "required": ["id", "year", "state", "state_label", "version"],
        "properties": {
            "id": {"type": "integer"}, "year": {"type": "integer"},
            "version": {"type": "integer",
                        "description": "lock_version; send it back as `version` when acting"},
            "skp_version": {"type": "integer", "description": "1, 2, …: perubahan SKP"},
            "state": {"type": "string"}, "state_label": {"type": "string"},
            "employee": {"type": "object"}, "appraiser_id": {"type": ["integer", "null"]},
            "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"},
            "pendekatan": {"enum": ["kuantitatif", "kualitatif"]},
            "jenis_jabatan": {"enum": ["JPT", "JA", "JF"]},
            "updated_at": {"type": "string", "format": "date-time"},
            "url": {"type": "string"}},
    },
    "SkpList": {
        "type": "object",
        "properties": {"mine": {"type": "array", "items": _ref("SkpSummary")},
                       "subordinates": {"type": "array", "items": _ref("SkpSummary")}},
    },
    "Skp": {
        "allOf": [_ref("SkpSummary"), {
            "type": "object",
            "properties": {
                "roles": {"type": "array", "items": {"type": "string"}},
                "previous_id": {"type": ["integer", "null"]},
                "employee_identity": {"type": "object"},
                "appraiser_identity": {"type": "object"},
                "change_reason": {"type": "string"}, "closed_reason": {"type": "string"},
                "return_comment": {"type": "string"},
                "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                "set_at": {"type": ["string", "null"], "format": "date-time"},
                "content": _ref("SkpContent"),
                "parents": {"type": "object", "description": "RHK id → its parent RHK"},
                "may_edit": {"type": "boolean"}, "may_edit_expectations": {"type": "boolean"},
                "may_change": {"type": "boolean"},
                "transitions": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "label": {"type": "string"},
                    "comment_required": {"type": "boolean"}, "url": {"type": "string"}}}},
                "versions": {"type": "array", "items": {"type": "object"}},
                "history": {"type": "array", "items": _ref("HistoryEvent")},
                "links": {"type": "object"}},
        }],
    },
    "SkpCreateRequest": {
        "type": "object",
        "required": ["year"],
        "additionalProperties": False,
        "properties": {
            "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "pendekatan": {"enum": ["kuantitatif", "kualitatif"]},
            "jenis_jabatan": {"enum": ["JPT", "JA", "JF"]},
            "copy_from": {"anyOf": [DB_ID, {"type": "null"}]},
            "copy_last_year": {"type": "boolean",
                               "description": "true: copy the newest SKP of year − 1"}},
    },
    "SkpSaveRequest": {
        "type": "object",
        "required": ["content", "version"],
        "additionalProperties": False,
        "properties": {"content": _ref("SkpContent"),
                       "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX}},
    },
    "SkpTransitionRequest": {
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {"comment": {"type": ["string", "null"], "pattern": TEXT["pattern"]},
                       "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX}},
    },
    "SkpTransitionResult": {
        "type": "object",
        "properties": {"skp": _ref("SkpSummary"), "event": {"type": "object"}},
    },
    "SkpChangeRequest": {
        "type": "object",
        "required": ["reason", "version"],
        "additionalProperties": False,
        "properties": {"reason": TEXT,
                       "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX}},
    },
    "TransferRequest": {
        "type": "object",
        "required": ["employee_id", "on_date", "new_appraiser_id", "reason"],
        "additionalProperties": False,
        "properties": {
            "employee_id": DB_ID, "new_appraiser_id": DB_ID,
            "on_date": {"type": "string", "format": "date",
                        "description": "the first day with the new appraiser"},
            "reason": TEXT, "unit_kerja": {"anyOf": [TEXT, {"type": "null"}]},
            "jabatan": {"anyOf": [TEXT, {"type": "null"}]},
            "jenis_jabatan": {"anyOf": [{"enum": ["JPT", "JA", "JF"]}, {"type": "null"}]},
            "copy_rhk": {"type": "boolean"}},
    },
    "SkpRhkRef": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "skp_id": {"type": "integer"},
                       "jenis": {"type": "string"}, "text": {"type": "string"},
                       "parent_id": {"type": ["integer", "null"]},
                       "assigned_by_id": {"type": ["integer", "null"]}},
    },
    "RoleMatrix": {
        "type": "object",
        "properties": {
            "skp_id": {"type": "integer"}, "may_assign": {"type": "boolean"},
            "rows": {"type": "array", "items": _ref("SkpRhkRef")},
            "columns": {"type": "array", "items": {"type": "object", "properties": {
                "employee": {"type": "object"},
                "skp": {"anyOf": [_ref("SkpSummary"), {"type": "null"}]},
                "editable": {"type": "boolean"}}}},
            "cells": {"type": "array", "items": {"type": "object", "properties": {
                "rhk_id": {"type": "integer"}, "employee_id": {"type": "integer"},
                "rhk": {"type": "array", "items": _ref("SkpRhkRef")}}}}},
    },
    "AssignRequest": {
        "type": "object",
        "required": ["rhk_id", "subordinate_id"],
        "additionalProperties": False,
        "properties": {"rhk_id": DB_ID, "subordinate_id": DB_ID},
    },
    "AssignResult": {
        "type": "object",
        "properties": {"rhk": _ref("SkpRhkRef"), "skp": _ref("SkpSummary")},
    },
    "CascadeNode": {
        "type": "object",
        "properties": {
            "rhk": _ref("SkpRhkRef"), "skp_id": {"type": "integer"},
            "year": {"type": "integer"}, "state": {"type": "string"},
            "state_label": {"type": "string"}, "employee": {"type": "object"},
            "children": {"type": "array", "items": _ref("CascadeNode")}},
    },
}
SCHEMAS.update(SKP_SCHEMAS)


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


SKP_PATHS: dict[str, Any] = {
    "/skp": {
        "get": {
            "summary": "SKP saya dan SKP bawahan / my SKPs and those I appraise",
            "parameters": [_query("year", {"type": "integer", "minimum": 2000,
                                           "maximum": 2100}, "Tahun / year")],
            "responses": {"200": _json("SKP", "SkpList"),
                          "400": _error("Parameter tidak valid / invalid parameter"),
                          "401": UNAUTHORIZED, "403": FORBIDDEN},
        },
        "post": {
            "summary": "Buat SKP saya / create my SKP (scope `skp`)",
            "requestBody": _body("SkpCreateRequest"),
            "responses": {"201": _json("SKP baru (draf) / the new draft", "Skp"),
                          "400": SKP_INVALID, "401": UNAUTHORIZED, "403": SKP_FORBIDDEN,
                          "404": _error("SKP sumber tidak ditemukan / source SKP not found"),
                          "409": SKP_CONFLICT},
        },
    },
    "/skp/{skp_id}": {
        "get": {
            "summary": "Satu SKP / one SKP",
            "parameters": [SKP_ID],
            "responses": {"200": _json("SKP", "Skp"), "401": UNAUTHORIZED,
                          "403": FORBIDDEN, "404": SKP_NOT_FOUND},
        },
        "put": {
            "summary": "Simpan isi SKP / save the SKP's content (scope `skp`)",
            "parameters": [SKP_ID],
            "requestBody": _body("SkpSaveRequest"),
            "responses": {"200": _json("SKP", "Skp"), "400": SKP_INVALID,
                          "401": UNAUTHORIZED, "403": SKP_FORBIDDEN, "404": SKP_NOT_FOUND,
                          "409": SKP_CONFLICT},
        },
    },
    "/skp/{skp_id}/transitions/{name}": {"post": {
        "summary": "Langkah alur SKP / a step of the SKP flow (scope `transition`)",
        "parameters": [SKP_ID, {"name": "name", "in": "path", "required": True,
                                "schema": TEXT,
                                "description": "ajukan, kembalikan, tetapkan"}],
        "requestBody": _body("SkpTransitionRequest"),
        "responses": {"200": _json("Berhasil / done", "SkpTransitionResult"),
                      "400": SKP_INVALID, "401": UNAUTHORIZED,
                      "403": _error("NotPermitted: the caller plays none of the step's roles; "
                                    "or the token's scope does not cover this step"),
                      "404": SKP_NOT_FOUND, "409": SKP_CONFLICT},
    }},
    "/skp/{skp_id}/perubahan": {"post": {
        "summary": "Perubahan SKP: versi baru / SKP change: a new version (scope `skp`)",
        "parameters": [SKP_ID],
        "requestBody": _body("SkpChangeRequest"),
        "responses": {"201": _json("Versi baru (draf) / the new version", "Skp"),
                      "400": SKP_INVALID, "401": UNAUTHORIZED, "403": SKP_FORBIDDEN,
                      "404": SKP_NOT_FOUND, "409": SKP_CONFLICT},
    }},
    "/skp/{skp_id}/matriks": {
        "get": {
            "summary": "Matriks Peran Hasil / the role matrix",
            "parameters": [SKP_ID],
            "responses": {"200": _json("Matriks", "RoleMatrix"), "401": UNAUTHORIZED,
                          "403": FORBIDDEN, "404": SKP_NOT_FOUND},
        },
        "post": {
            "summary": "Bagikan RHK ke bawahan / assign a result to a subordinate "
                       "(scope `skp`)",
            "parameters": [SKP_ID],
            "requestBody": _body("AssignRequest"),
            "responses": {"201": _json("RHK bawahan / the subordinate's new RHK",
                                       "AssignResult"),
                          "400": SKP_INVALID, "401": UNAUTHORIZED, "403": SKP_FORBIDDEN,
                          "404": SKP_NOT_FOUND, "409": SKP_CONFLICT},
        },
    },
    "/skp/mutasi": {"post": {
        "summary": "Mutasi / ganti Pejabat Penilai (admin): tutup SKP yang berlaku, buka yang "
                   "baru / transfer or new appraiser (admins; scope `skp`)",
        "requestBody": _body("TransferRequest"),
        "responses": {"201": _json("SKP baru (draf) / the new draft", "Skp"),
                      "400": SKP_INVALID, "401": UNAUTHORIZED,
                      "403": _error("NotPermitted: only agency admins record a transfer; or "
                                    "the token's scope does not cover it"),
                      "404": _error("Pegawai tidak ditemukan / employee not found"),
                      "409": _error("GuardFailed: no SKP in force on that date "
                                    "(`skp_in_force`)")},
    }},
    "/skp/rhk/{rhk_id}/pohon": {"get": {
        "summary": "Pohon kinerja: RHK yang mengintervensi / the cascade tree of a result",
        "parameters": [RHK_ID],
        "responses": {"200": _json("Pohon / tree", "CascadeNode"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": SKP_NOT_FOUND},
    }},
}
PATHS.update(SKP_PATHS)

# Continuous feedback and dialog kinerja on a set SKP (web/api_feedback.py, workflow/feedback.py).
NULLABLE_ID = {"anyOf": [DB_ID, {"type": "null"}]}
FEEDBACK_ID = {"name": "feedback_id", "in": "path", "required": True, "schema": DB_ID,
               "description": "Id umpan balik (komentar pertama atau balasan) / feedback id"}
FEEDBACK_REFUSED = _error("GuardFailed: SKP belum/tidak lagi ditetapkan, atau ConcurrentUpdate "
                          "/ the SKP is not set, or it changed meanwhile; nothing changed")
FEEDBACK_FORBIDDEN = _error("NotPermitted: umpan balik dimulai oleh Pejabat Penilai, dibalas "
                            "pegawai; dialog oleh salah satu pihak; atau cakupan token tidak "
                            "mencakup `skp` / not a party, or the token's scope lacks `skp`")
FEEDBACK_SCHEMAS: dict[str, Any] = {
    "FeedbackAuthor": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "role": {"type": "string"}}},
    "Feedback": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "skp_id": {"type": "integer"},
            "topic": {"enum": ["rhk", "indikator", "perilaku"]},
            "rhk_id": {"type": ["integer", "null"]},
            "indicator_id": {"type": ["integer", "null"]},
            "period_id": {"type": ["integer", "null"]}, "month": {"type": ["integer", "null"]},
            "value": {"type": ["string", "null"]}, "parent_id": {"type": ["integer", "null"]},
            "text": {"type": "string"}, "author": _ref("FeedbackAuthor"),
            "created_at": {"type": "string", "format": "date-time"}},
    },
    "FeedbackThread": {"allOf": [_ref("Feedback"), {"type": "object", "properties": {
        "replies": {"type": "array", "items": _ref("Feedback")}}}]},
    "FeedbackList": {"type": "object", "properties": {
        "skp_id": {"type": "integer"}, "may_comment": {"type": "boolean"},
        "may_reply": {"type": "boolean"},
        "threads": {"type": "array", "items": _ref("FeedbackThread")}}},
    "FeedbackRequest": {
        "type": "object",
        "required": ["topic", "text"],
        "additionalProperties": False,
        "description": "topic `rhk` needs rhk_id; `indikator` needs indicator_id and month "
                       "(1-12) or period_id; `perilaku` needs value (a BerAKHLAK key)",
        "properties": {
            "topic": {"enum": ["rhk", "indikator", "perilaku"]}, "text": TEXT,
            "rhk_id": NULLABLE_ID, "indicator_id": NULLABLE_ID, "period_id": NULLABLE_ID,
            "month": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 12},
                                {"type": "null"}]},
            "value": {"anyOf": [TEXT, {"type": "null"}]}},
    },
    "ReplyRequest": {"type": "object", "required": ["text"], "additionalProperties": False,
                     "properties": {"text": TEXT}},
    "Dialog": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "skp_id": {"type": "integer"},
            "held_on": {"type": "string", "format": "date"}, "topics": {"type": "string"},
            "agreed_actions": {"type": "string"}, "employee_id": {"type": "integer"},
            "appraiser_id": {"type": "integer"}, "created_by_id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}},
    },
    "DialogList": {"type": "object", "properties": {
        "skp_id": {"type": "integer"}, "may_add": {"type": "boolean"},
        "dialogs": {"type": "array", "items": _ref("Dialog")}}},
    "DialogRequest": {
        "type": "object", "required": ["held_on", "topics", "agreed_actions"],
        "additionalProperties": False,
        "properties": {"held_on": {"type": "string", "format": "date"}, "topics": TEXT,
                       "agreed_actions": TEXT}},
}
SCHEMAS.update(FEEDBACK_SCHEMAS)
PATHS.update({
    "/skp/{skp_id}/umpan-balik": {
        "get": {"summary": "Umpan balik berkelanjutan pada SKP / the SKP's feedback threads",
                "parameters": [SKP_ID],
                "responses": {"200": _json("Percakapan / threads", "FeedbackList"),
                              "401": UNAUTHORIZED, "403": FORBIDDEN, "404": SKP_NOT_FOUND}},
        "post": {"summary": "Pejabat Penilai memulai umpan balik pada RHK, realisasi indikator "
                            "per periode, atau nilai BerAKHLAK / the appraiser starts a thread "
                            "(scope `skp`)",
                 "parameters": [SKP_ID], "requestBody": _body("FeedbackRequest"),
                 "responses": {"201": _json("Komentar / the comment", "Feedback"),
                               "400": SKP_INVALID, "401": UNAUTHORIZED,
                               "403": FEEDBACK_FORBIDDEN, "404": SKP_NOT_FOUND,
                               "409": FEEDBACK_REFUSED}},
    },
    "/skp/umpan-balik/{feedback_id}/balasan": {"post": {
        "summary": "Balas umpan balik (pegawai atau Pejabat Penilai) / reply to a thread "
                   "(scope `skp`)",
        "parameters": [FEEDBACK_ID], "requestBody": _body("ReplyRequest"),
        "responses": {"201": _json("Balasan / the reply", "Feedback"), "400": SKP_INVALID,
                      "401": UNAUTHORIZED, "403": FEEDBACK_FORBIDDEN,
                      "404": _error("Umpan balik tidak ditemukan / feedback not found"),
                      "409": FEEDBACK_REFUSED},
    }},
    "/skp/{skp_id}/dialog": {
        "get": {"summary": "Dialog kinerja pada SKP / the SKP's performance dialogs",
                "parameters": [SKP_ID],
                "responses": {"200": _json("Dialog", "DialogList"), "401": UNAUTHORIZED,
                              "403": FORBIDDEN, "404": SKP_NOT_FOUND}},
        "post": {"summary": "Catat dialog kinerja (pegawai atau Pejabat Penilai) / record a "
                            "dialog (either party; scope `skp`)",
                 "parameters": [SKP_ID], "requestBody": _body("DialogRequest"),
                 "responses": {"201": _json("Dialog", "Dialog"), "400": SKP_INVALID,
                               "401": UNAUTHORIZED, "403": FEEDBACK_FORBIDDEN,
                               "404": SKP_NOT_FOUND, "409": FEEDBACK_REFUSED}},
    },
})


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document (a fresh dict each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Penilaian Kinerja ASN — API",
            "version": "1.0.0",
            "description": "Token-authenticated JSON API. See docs/api.md. Create a token with "
                           "`flask --app wsgi users token NIP`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Authorization: Bearer <token>"}},
            "schemas": SCHEMAS,
        },
    }
