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
                    "former": {"type": "boolean", "description": "a holder replaced by a "
                               "reassignment (role `<role>~<employee id>`): reads, never acts"},
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


_LABEL_OR_NULL = {"anyOf": [_ref("Label"), {"type": "null"}]}
SCHEMAS.update({
    "RecapRow": {
        "type": "object",
        "description": "one employee's result (reports.recap: the same rows as the admin's "
                       "CSV and XLSX)",
        "required": ["evaluation_id", "nip", "nama", "jenis_asn", "unit_kerja", "jabatan",
                     "periode", "rating_hasil_kerja", "rating_perilaku_kerja", "predikat",
                     "capaian_organisasi", "final", "tanggal_ditetapkan", "kode_dokumen"],
        "properties": {
            "evaluation_id": {"type": "integer"},
            "nip": {"type": "string", "description": "NIP, or NI PPPK when jenis_asn is PPPK"},
            "nama": {"type": "string"}, "jenis_asn": {"enum": ["PNS", "PPPK"]},
            "unit_kerja": {"type": "string"}, "jabatan": {"type": "string"},
            "periode": {"type": "string"},
            "rating_hasil_kerja": _LABEL_OR_NULL, "rating_perilaku_kerja": _LABEL_OR_NULL,
            "predikat": _LABEL_OR_NULL,
            "capaian_organisasi": {"description": "the period's capaian kinerja organisasi "
                                   "(null until recorded)", **_LABEL_OR_NULL},
            "final": {"type": "boolean", "description": "false while the result can still be "
                      "appealed or the appeal is undecided"},
            "tanggal_ditetapkan": {"type": ["string", "null"], "format": "date",
                                   "description": "the date the result was set, in the "
                                                  "agency's zone (the documents' signing date)"},
            "kode_dokumen": {"type": "array", "items": {"type": "string"},
                             "description": "verification codes of the documents issued"},
        },
    },
    "Recap": {
        "type": "object", "required": ["period", "unit_kerja", "items"],
        "properties": {
            "period": {"type": "object", "properties": {"id": {"type": "integer"},
                                                        "label": {"type": "string"}}},
            "unit_kerja": {"type": ["string", "null"]},
            "items": {"type": "array", "items": _ref("RecapRow")},
        },
    },
    "RecapPeriods": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "label": {"type": "string"},
                           "kind": {"type": "string"}, "year": {"type": "integer"},
                           "number": {"type": "integer"},
                           "starts_on": {"type": "string", "format": "date"},
                           "ends_on": {"type": "string", "format": "date"},
                           "capaian_organisasi": _LABEL_OR_NULL}}}},
    },
})
# Text with something besides spaces (what a reason, a role or a NIP must have).
WORDS = {"type": "string",
         "pattern": "^[^\\x00]*[^\\s\\x00\\x1c-\\x1f\\x85][^\\x00]*$"}
SCHEMAS.update({
    "ReassignmentRequest": {
        "type": "object", "required": ["evaluations", "role", "to", "reason"],
        "additionalProperties": False,
        "properties": {
            "evaluations": {"type": "array", "minItems": 1, "maxItems": 500, "items": DB_ID,
                            "description": "Ids of open evaluations"},
            "role": {**WORDS,
                     "description": "The role handed over: appraiser or appeal_reviewer"},
            "to": {**WORDS, "description": "NIP of the new person (active, "
                                                          "same agency)"},
            "reason": {**WORDS, "maxLength": 500},
        },
    },
    "ReassignmentResult": {
        "type": "object", "required": ["items"],
        "properties": {"items": {"type": "array", "items": {
            "type": "object",
            "properties": {"evaluation_id": {"type": "integer"}, "role": {"type": "string"},
                           "from": {"type": "string"}, "to": {"type": "string"},
                           "seq": {"type": "integer"}, "hash": {"type": "string"}}}}},
    },
})
INTEGRATION_ONLY = _error("Token pegawai (rekap hanya dengan token integrasi instansi) / an "
                          "employee's token: the recap takes the agency's integration token")

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
    "/reassignments": {"post": {
        "summary": "Alihkan peran / reassign a role on open evaluations",
        "description": "The agency admin, or the holder's direct superior for evaluations of "
                       "her own unit kerja, gives the appraiser or appeal decider of open "
                       "evaluations to another active employee, with a reason. Each change is "
                       "an event in the evaluation's history; all or nothing. Token scope "
                       "`reassign`.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref("ReassignmentRequest")}}},
        "responses": {
            "200": _json("Dialihkan / reassigned", "ReassignmentResult"),
            "400": _error("InvalidData: a malformed body, no reason"),
            "401": UNAUTHORIZED,
            "403": _error("NotPermitted, or the token's scope does not cover `reassign`"),
            "404": _error("Evaluasi atau pegawai tidak ditemukan (termasuk instansi lain) / "
                          "no such evaluation or employee (including another agency's)"),
            "409": _error("Refused, nothing changed: an inactive person, a final evaluation, "
                          "a role not handed over, separation of duties (every evaluation "
                          "named); or ConcurrentUpdate: an evaluation changed meanwhile"),
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
    "/rekap": {"get": {
        "summary": "Rekap periode untuk TPP/SIASN / a period's recap for payroll and SIASN",
        "description": "Only with the agency's integration token (`pki_…`, scope `recap`; "
                       "`flask --app wsgi users integration-token`). The rated evaluations of "
                       "the period whose rating an agency admin may see, by unit kerja and "
                       "name.",
        "security": [{"integrationToken": []}],
        "parameters": [
            {"name": "period_id", "in": "query", "required": True, "schema": DB_ID,
             "description": "Id periode (GET /rekap/periode)"},
            _query("unit_kerja", TEXT, "Only this unit kerja"),
        ],
        "responses": {"200": _json("Rekap", "Recap"),
                      "400": _error("Parameter tidak valid / invalid parameter"),
                      "401": UNAUTHORIZED, "403": INTEGRATION_ONLY,
                      "404": _error("Periode tidak ditemukan, termasuk periode instansi lain / "
                                    "no such period, including another agency's")},
    }},
    "/rekap/periode": {"get": {
        "summary": "Periode instansi / the agency's periods (for the recap)",
        "security": [{"integrationToken": []}],
        "responses": {"200": _json("Periode", "RecapPeriods"), "401": UNAUTHORIZED,
                      "403": INTEGRATION_ONLY},
    }},
    "/evaluations/{evaluation_id}/verify": {"get": {
        "summary": "Verifikasi rantai hash / verify the hash chain",
        "parameters": [ID_PARAM],
        "responses": {"200": _json("Hasil verifikasi", "ChainReport"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": NOT_FOUND},
    }},
}


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
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Authorization: Bearer <token> (an employee's "
                                              "token, `pk_…`)"},
                "integrationToken": {"type": "http", "scheme": "bearer",
                                     "description": "Authorization: Bearer <token> (the "
                                                    "agency's integration token, `pki_…`: "
                                                    "the recap only)"}},
            "schemas": SCHEMAS,
        },
    }
