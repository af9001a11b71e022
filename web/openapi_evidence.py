"""The OpenAPI description of the realisation and evidence endpoints (``web/api_evidence.py``),
added to the served document (``web/openapi.py``) when this module is imported."""

from __future__ import annotations

from typing import Any

from .openapi import DB_ID
from .openapi import FORBIDDEN
from .openapi import PATHS
from .openapi import SCHEMAS
from .openapi import SKP_CONFLICT
from .openapi import SKP_FORBIDDEN
from .openapi import SKP_ID
from .openapi import SKP_INVALID
from .openapi import SKP_NOT_FOUND
from .openapi import TEXT
from .openapi import UNAUTHORIZED
from .openapi import _error
from .openapi import _json
from .openapi import _query
from .openapi import _ref

PERIOD = {"name": "masa", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[0-9]{4}-([0-9]{2}|Q[1-4]|S[12])$"},
          "description": "Periode realisasi / realisation period: 2026-03, 2026-Q1, 2026-S1"}
EVIDENCE_ID = {"name": "evidence_id", "in": "path", "required": True, "schema": DB_ID,
               "description": "Id bukti dukung / evidence file id"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

EVIDENCE_SCHEMAS: dict[str, Any] = {
    "Evidence": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "skp_id": {"type": "integer"},
            "period": {"type": "string"}, "realisation_id": {"type": "integer"},
            "filename": {"type": "string"},
            "content_type": {"type": "string",
                             "description": "recognised from the content, not the name"},
            "size": {"type": "integer"}, "sha256": {"type": "string"},
            "uploaded_by_id": {"type": ["integer", "null"]},
            "uploaded_at": {"type": "string", "format": "date-time"},
            "superseded_by_id": {"type": ["integer", "null"]},
            "superseded_at": NULLABLE_TIME,
            "download_url": {"type": "string"},
        },
    },
    "EvidenceList": {"type": "object",
                     "properties": {"evidence": {"type": "array", "items": _ref("Evidence")}}},
    "Realisation": {
        "type": "object",
        "properties": {
            "skp_id": {"type": "integer"}, "version": {"type": "integer"},
            "period": {"type": "string"}, "period_label": {"type": "string"},
            "periods": {"type": "array", "items": {"type": "object"}},
            "submitted_at": NULLABLE_TIME, "may_edit": {"type": "boolean"},
            "evidence_bytes": {"type": "integer"},
            "rhk": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "jenis": {"type": "string"},
                "text": {"type": "string"}, "rencana_aksi": {"type": "string"},
                "indicators": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "aspek": {"type": "string"},
                    "text": {"type": "string"}, "satuan": {"type": "string"},
                    "value": {"type": ["number", "null"]},
                    "text_realisasi": {"type": "string"},
                    "evidence": {"type": "array", "items": _ref("Evidence")}}}}}}},
            "superseded": {"type": "array", "items": _ref("Evidence")},
        },
    },
    "RealisationSaveRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["version"],
        "properties": {
            "version": {"type": "integer", "minimum": 0, "description": "the SKP's version"},
            "realisasi": {"type": "array", "maxItems": 1000, "items": {
                "type": "object", "additionalProperties": False, "required": ["indicator_id"],
                "properties": {"indicator_id": DB_ID,
                               "value": {"anyOf": [{"type": ["number", "null"],
                                                    "minimum": 0}, TEXT]},
                               "text": TEXT}}},
            "rencana_aksi": {"type": "array", "maxItems": 1000, "items": {
                "type": "object", "additionalProperties": False, "required": ["rhk_id"],
                "properties": {"rhk_id": DB_ID, "text": TEXT}}},
        },
    },
    "RealisationSubmitRequest": {
        "type": "object", "additionalProperties": False, "required": ["version"],
        "properties": {"version": {"type": "integer", "minimum": 0}},
    },
    "EvidenceUploadRequest": {
        "type": "object", "additionalProperties": False, "required": ["file", "indicator_id"],
        "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "PDF, JPG, PNG, GIF, WebP, DOC(X), XLS(X), PPT(X), ODT, ODS, "
                                    "ODP; recognised from the content"},
            "indicator_id": {"type": "integer", "minimum": 1},
            "supersedes": {"type": "integer", "minimum": 1,
                           "description": "a current file of the period this one replaces"},
            "version": {"type": "integer", "minimum": 0},
        },
    },
}
SCHEMAS.update(EVIDENCE_SCHEMAS)

STORAGE_DOWN = _error("StorageFailed: penyimpanan gagal, tidak ada yang tersimpan / the storage "
                      "failed, nothing was kept")

EVIDENCE_PATHS: dict[str, Any] = {
    "/skp/{skp_id}/realisasi": {"get": {
        "summary": "Realisasi SKP: daftar periode (isi periode pertama) / realisation periods",
        "parameters": [SKP_ID],
        "responses": {"200": _json("Realisasi / realisation", "Realisation"),
                      "400": SKP_INVALID, "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": SKP_NOT_FOUND},
    }},
    "/skp/{skp_id}/realisasi/{masa}": {
        "get": {
            "summary": "Realisasi satu periode / one period's realisation",
            "parameters": [SKP_ID, PERIOD],
            "responses": {"200": _json("Realisasi / realisation", "Realisation"),
                          "400": SKP_INVALID, "401": UNAUTHORIZED, "403": FORBIDDEN,
                          "404": SKP_NOT_FOUND},
        },
        "put": {
            "summary": "Simpan realisasi dan rencana aksi / save realisation and action plans "
                       "(scope `skp`)",
            "parameters": [SKP_ID, PERIOD],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("RealisationSaveRequest")}}},
            "responses": {"200": _json("Realisasi / realisation", "Realisation"),
                          "400": SKP_INVALID, "401": UNAUTHORIZED, "403": SKP_FORBIDDEN,
                          "404": SKP_NOT_FOUND, "409": SKP_CONFLICT},
        },
    },
    "/skp/{skp_id}/realisasi/{masa}/kirim": {"post": {
        "summary": "Kirim realisasi periode (lalu tidak dapat diubah) / submit a period "
                   "(then immutable) (scope `skp`)",
        "parameters": [SKP_ID, PERIOD],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref("RealisationSubmitRequest")}}},
        "responses": {"200": _json("Realisasi / realisation", "Realisation"),
                      "400": SKP_INVALID, "401": UNAUTHORIZED, "403": SKP_FORBIDDEN,
                      "404": SKP_NOT_FOUND, "409": SKP_CONFLICT},
    }},
    "/skp/{skp_id}/realisasi/{masa}/bukti": {"post": {
        "summary": "Unggah bukti dukung / upload an evidence file (scope `skp`)",
        "parameters": [SKP_ID, PERIOD],
        "requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": _ref("EvidenceUploadRequest")}}},
        "responses": {"201": _json("Bukti tersimpan / stored", "Evidence"),
                      "400": _error("InvalidData: wrong type (by content), empty, too large, "
                                    "over the period's total, unknown indicator; nothing "
                                    "stored"),
                      "401": UNAUTHORIZED, "403": SKP_FORBIDDEN, "404": SKP_NOT_FOUND,
                      "409": SKP_CONFLICT,
                      "413": _error("Permintaan terlalu besar / request too large"),
                      "503": STORAGE_DOWN},
    }},
    "/skp/{skp_id}/bukti": {"get": {
        "summary": "Bukti dukung SKP / the SKP's evidence files",
        "parameters": [SKP_ID,
                       _query("masa", {"type": "string", "maxLength": 8}, "Periode / period"),
                       _query("superseded", {"enum": ["0", "1"]},
                              "1: termasuk yang sudah diganti / include superseded files")],
        "responses": {"200": _json("Bukti / files", "EvidenceList"), "400": SKP_INVALID,
                      "401": UNAUTHORIZED, "403": FORBIDDEN, "404": SKP_NOT_FOUND},
    }},
    "/bukti/{evidence_id}": {"get": {
        "summary": "Data satu bukti dukung / one evidence file's record",
        "parameters": [EVIDENCE_ID],
        "responses": {"200": _json("Bukti / file", "Evidence"), "401": UNAUTHORIZED,
                      "403": FORBIDDEN, "404": _error("Tidak ditemukan / not found")},
    }},
    "/bukti/{evidence_id}/unduh": {"get": {
        "summary": "Unduh bukti dukung (dialirkan) / download the file (streamed)",
        "parameters": [EVIDENCE_ID],
        "responses": {"200": {"description": "Isi berkas / the file",
                              "content": {"application/octet-stream": {
                                  "schema": {"type": "string",
                                             "contentMediaType": "application/octet-stream"}}}},
                      "401": UNAUTHORIZED, "403": FORBIDDEN,
                      "404": _error("Tidak ditemukan / not found")},
    }},
}
PATHS.update(EVIDENCE_PATHS)
