"""Command-line entrypoints, run as an operator would (Flask's CLI runner)."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import PG_URL
from tests.conftest import ROOT
from tests.conftest import nip
from tests.conftest import org_rows
from tests.integration.test_positions import positions_file
from web.extensions import db
from workflow.accounts import activate_account
from workflow.models import ActivationCode
from workflow.models import Agency
from workflow.models import ApiToken
from workflow.models import DefinitionVersion
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Job
from workflow.models import PositionHolder
from workflow.models import Skp
from workflow.models import utcnow


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_definitions_validate_ok(app: Flask) -> None:
    """Validating the shipped definitions succeeds and lists them."""
    code, out = run(app, "definitions", "validate")
    assert code == 0 and "kota-kupang v5" in out


def test_definitions_validate_names_problems(app: Flask, tmp_path: Path) -> None:
    """A broken file makes `definitions validate` exit 1 naming file, line and problem."""
    bad = tmp_path / "kota-rusak.yaml"
    bad.write_text("agency: kota-rusak\nversion: 1\nextends: default\n"
                   "transitions:\n  - {name: submit, from: draft, to: limbo, by: employee}\n")
    code, out = run(app, "definitions", "validate", str(bad))
    assert code == 1
    assert f"{bad}:5" in out and "limbo" in out


def test_org_import_and_definitions_load(app: Flask, session: Session, tmp_path: Path) -> None:
    """Importing an org chart creates the agency; loading publishes its definition once."""
    csv = tmp_path / "org.csv"
    csv.write_text(org_rows())
    code, out = run(app, "org", "import", str(csv), "--agency", "kota-kupang",
                    "--name", "Pemerintah Kota Kupang", "--city", "Kupang")
    assert code == 0, out
    assert session.scalar(select(func.count()).select_from(Employee)) == 8
    code, out = run(app, "definitions", "load")
    assert code == 0 and "kota-kupang v5: diterbitkan" in out
    code, out = run(app, "definitions", "load")
    assert "kota-kupang v5: tidak berubah" in out
    assert session.scalar(select(func.count()).select_from(DefinitionVersion)) == 1


def test_org_import_takes_a_positions_file(app: Flask, session: Session,
                                          tmp_path: Path) -> None:
    """After the employees, a positions file (``;``-separated) records positions and holders."""
    org, positions = tmp_path / "org.csv", tmp_path / "jabatan.csv"
    org.write_text(org_rows())
    positions.write_text(positions_file())
    assert run(app, "org", "import", str(org), "--agency", "kota-kupang",
               "--name", "Kupang")[0] == 0
    code, out = run(app, "org", "import", str(positions), "--agency", "kota-kupang")
    assert code == 0, out
    assert "6 jabatan, 6 pemegang jabatan." in out
    assert session.scalar(select(func.count()).select_from(PositionHolder)) == 6


def test_org_import_bad_file_imports_nothing(app: Flask, session: Session,
                                             tmp_path: Path) -> None:
    """A CSV with a bad row exits 1 with the row number; no employee is created."""
    csv = tmp_path / "org.csv"
    csv.write_text(ORG_HEADER + f"{nip(1)},Satu,,,,,PNS,,\n{nip(2)},Dua,,,,,PNS,{nip(99)},\n")
    code, out = run(app, "org", "import", str(csv), "--agency", "kota-uji", "--name", "Uji")
    assert code == 1 and "baris 3" in out
    assert f"row 3: superior NIP {nip(99)} is neither in the file nor in this agency" in out
    assert session.scalar(select(func.count()).select_from(Employee)) == 0


def test_demo_then_audit_verify(app: Flask, session: Session) -> None:
    """The demo seeds every state; the audit chains verify; tampering makes verify exit 1."""
    code, out = run(app, "demo", "--password", "demo-kinerja-2026")
    assert code == 0, out
    states = set(session.scalars(select(Evaluation.status)))
    assert {"draft", "submitted", "team_review", "reviewed", "appealed",
            "finalized"} <= states or {"draft", "submitted", "reviewed", "appealed",
                                       "finalized"} <= states
    assert session.scalar(select(func.count()).select_from(Employee)) >= 50
    # No undecidable appeal: every evaluation names a decider other than the employee and the
    # appraiser — the Kepala Dinas rated by the Sekda included (the PPK, group 'ppk').
    evaluations = session.scalars(select(Evaluation)).all()
    for ev in evaluations:
        roles = {p.role: p.employee_id for p in ev.participants}
        assert roles.get("appeal_reviewer") not in (None, roles["employee"],
                                                    roles["appraiser"]), ev.id
    assert any(p.identity["jabatan"].startswith("Wali Kota") for ev in evaluations
               for p in ev.participants if p.role == "appeal_reviewer")
    # One appeal was decided after hearing both parties.
    triggers = set(session.scalars(select(HistoryEvent.trigger)))
    assert {"ask_explanations", "explain_appraiser", "explain_employee"} <= triggers
    # The year starts with SKPs cascading from the top of each agency down to staff, and the
    # evaluations read them (demo/planning.py).
    skps = session.scalars(select(Skp)).all()
    assert skps and {s.status for s in skps} == {"ditetapkan"}
    depth: dict[int, int] = {}
    parents = {r.id: r.parent_id for s in skps for r in s.rhk}
    for rhk_id in parents:
        level, node = 0, parents[rhk_id]
        while node is not None:
            level, node = level + 1, parents[node]
        depth[rhk_id] = level
    assert max(depth.values()) == 3  # Sekda → Kepala Dinas → Kepala Bidang → staff
    assert sum(1 for ev in evaluations if ev.skp_id is not None) > len(evaluations) // 2
    # A few set SKPs carry feedback threads, replies and a dialog (demo/feedback.py).
    assert {"umpan_balik", "balas_umpan_balik", "dialog_kinerja"} <= set(session.scalars(
        select(HistoryEvent.trigger).where(HistoryEvent.chain.like("skp:%"))))
    code, out = run(app, "demo")  # idempotent
    assert code == 0
    code, out = run(app, "audit", "verify")
    assert code == 0 and "utuh" in out
    if PG_URL:
        session.execute(text("SET session_replication_role = replica"))
    session.execute(text("UPDATE history_event SET comment = 'diubah diam-diam' "
                         "WHERE id = (SELECT min(id) FROM history_event WHERE kind='transition' "
                         "AND seq > 1 AND evaluation_id IS NOT NULL)"))
    if PG_URL:
        session.execute(text("SET session_replication_role = DEFAULT"))
    session.commit()
    code, out = run(app, "audit", "verify")
    assert code == 1 and "RUSAK evaluation:" in out and "isi peristiwa telah diubah" in out


def test_workflow_tick_and_users_token(app: Flask, session: Session) -> None:
    """`workflow tick` runs without due work; `users token` prints a token stored hashed."""
    run(app, "demo")
    code, out = run(app, "workflow", "tick")
    assert code == 0 and "transisi otomatis" in out
    someone = session.scalars(select(Employee.nip)).first()
    code, out = run(app, "users", "token", str(someone), "--name", "sinkron")
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("pk_")
    stored = session.scalars(select(ApiToken.digest)).all()
    assert stored and token not in stored


def test_export_run_writes_zip(app: Flask, session: Session, tmp_path: Path) -> None:
    """`export run` renders the finalized documents of an agency into a ZIP in the storage,
    whose size and SHA-256 the job records."""
    run(app, "demo")
    code, out = run(app, "export", "run", "--agency", "kota-mataram", "--workers", "2")
    assert code == 0, out
    job = session.scalars(select(Job)).one()
    session.refresh(job)
    content = (tmp_path / "storage" / job.result_key).read_bytes()
    assert job.result_key in out and len(content) == job.result_size > 10_000
    assert hashlib.sha256(content).hexdigest() == job.result_sha256


def test_users_activation_codes_writes_a_private_csv(app: Flask, session: Session,
                                                     tmp_path: Path) -> None:
    """Bulk codes go to a new owner-only CSV; each code works once; nothing on refusal."""
    run(app, "demo")
    out = tmp_path / "kode.csv"
    someone = session.scalars(select(Employee).where(Employee.unit_kerja != "")).first()
    assert someone is not None
    code, printed = run(app, "users", "activation-codes", "--agency", someone.agency.slug,
                        "--unit", someone.unit_kerja, "--out", str(out))
    assert code == 0, printed
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert rows and {r["nip"] for r in rows} >= {someone.nip}
    assert session.scalar(select(func.count()).select_from(ActivationCode)) == len(rows)
    mine = next(r for r in rows if r["nip"] == someone.nip)
    assert mine["berlaku_sampai"].endswith(" WITA")  # the demo agencies' own time, for slips
    activate_account(session, app.config["AUDIT_KEY"].encode(), someone.nip, mine["kode"],
                     "kata-sandi-baru-1", now=utcnow())
    session.commit()
    # An existing file is never overwritten, an unknown NIP or agency issues nothing.
    before = session.scalar(select(func.count()).select_from(ActivationCode))
    assert run(app, "users", "activation-codes", "--agency", someone.agency.slug,
               "--out", str(out))[0] == 2
    assert run(app, "users", "activation-codes", "--agency", someone.agency.slug,
               "--nip", "199912312020121999", "--out", str(tmp_path / "x.csv"))[0] == 1
    assert run(app, "users", "activation-codes", "--agency", "tidak-ada",
               "--out", str(tmp_path / "y.csv"))[0] == 2
    assert session.scalar(select(func.count()).select_from(ActivationCode)) == before
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "y.csv").exists()


def test_activation_codes_commit_in_batches(app: Flask, session: Session, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes are issued and committed a batch at a time (the agency's log-ins wait for one
    batch at most): with batches of 3, every code of the agency is in the file, in the
    database and in the history, once; an invalid validity issues nothing and writes no
    file."""
    from web import cli

    run(app, "demo")
    agency = session.scalars(select(Agency).order_by(Agency.id)).first()
    assert agency is not None
    monkeypatch.setattr(cli, "ACTIVATION_BATCH", 3)
    commits: list[object] = []
    with app.app_context():
        engine = db.engine
    listener = commits.append
    event.listen(engine, "commit", listener)
    try:
        code, printed = run(app, "users", "activation-codes", "--agency", agency.slug,
                            "--out", str(tmp_path / "semua.csv"))
    finally:
        event.remove(engine, "commit", listener)
    assert code == 0, printed
    rows = list(csv.DictReader((tmp_path / "semua.csv").read_text(encoding="utf-8")
                               .splitlines()))
    active = session.scalar(select(func.count()).select_from(Employee).where(
        Employee.agency_id == agency.id, Employee.active))
    assert len(rows) == len({r["nip"] for r in rows}) == active > 6
    assert session.scalar(select(func.count()).select_from(ActivationCode)) == active
    assert len(commits) >= active // 3
    assert run(app, "users", "activation-codes", "--agency", agency.slug, "--days", "91",
               "--out", str(tmp_path / "z.csv"))[0] == 1
    assert not (tmp_path / "z.csv").exists()


def _flask(tmp_path: Path, *args: str, definitions: Path | None = None,
           forms: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app wsgi`` as an operator does, in a fresh process."""
    env = {**os.environ, "FLASK_SECRET_KEY": "x" * 32,
           "PUBLIC_BASE_URL": "https://kinerja.example.go.id",
           "FLASK_SQLALCHEMY_ENGINES": '{"default": "sqlite:///' + str(tmp_path / "db") + '"}',
           "FLASK_WORKFLOW_DEFINITIONS_DIR": str(definitions or ROOT / "definitions"),
           "FLASK_WORKFLOW_FORMS_DIR": str(forms or ROOT / "definitions" / "forms")}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_prints_definition_and_form_problems_without_a_traceback(tmp_path: Path) -> None:
    """A broken definition or form file stops every command with its problems, each once,
    with file and line in both languages — not a traceback (the app checks them at start)."""
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    shutil.copy(ROOT / "definitions" / "default.yaml", definitions)
    (definitions / "kota-a.yaml").write_text(
        "agency: kota-a\nversion: 1\nextends: default\ntransitions:\n"
        "  - {name: accept, from: reviewed, to: finalized, by: employee,\n"
        "     guards: [{within_deadline: [appeal_window]}]}\n")
    (definitions / "kota-b.yaml").write_text("")
    for command in (("definitions", "validate"), ("org", "import", "x.csv", "--agency", "a"),
                    ("workflow", "tick")):
        done = _flask(tmp_path, *command, definitions=definitions)
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr, done.stderr
        assert f"{definitions / 'kota-a.yaml'}:6: guard 'within_deadline'" in done.stderr
        assert f"{definitions / 'kota-a.yaml'}:6: guard 'within_deadline' in transition" in (
            done.stderr)
        assert f"{definitions / 'kota-b.yaml'}: berkas kosong" in done.stderr
        assert done.stderr.count("berkas kosong") == 1
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "definitions" / "forms", forms)
    (forms / "appeal.yaml").write_text("key: appeal\ntitle: &t Keberatan\ntitle_en: *t\n")
    done = _flask(tmp_path, "definitions", "validate", forms=forms)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "appeal.yaml:3: alias YAML (*t) tidak diizinkan" in done.stderr


def test_cli_names_a_missing_setting_without_a_traceback(tmp_path: Path) -> None:
    """In production a missing PUBLIC_BASE_URL stops every command with what to set."""
    env = {**os.environ, "FLASK_SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "",
           "FLASK_SQLALCHEMY_ENGINES": '{"default": "sqlite:///' + str(tmp_path / "db") + '"}'}
    env.pop("FLASK_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "workflow", "tick"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert "PUBLIC_BASE_URL belum diatur" in done.stderr
    assert "PUBLIC_BASE_URL is not set" in done.stderr


def test_definitions_validate_refuses_self_rating(app: Flask, tmp_path: Path) -> None:
    """`definitions validate` names the step where the employee would rate herself."""
    bad = tmp_path / "kota-sendiri.yaml"
    bad.write_text("agency: kota-sendiri\nversion: 1\nextends: default\ntransitions:\n"
                   "  - {name: review, from: submitted, to: reviewed, by: employee,\n"
                   "     form: appraiser-rating, effects: [record_rating]}\n")
    code, out = run(app, "definitions", "validate", str(bad))
    assert code == 1
    assert (f"{bad}:5: pegawai yang dinilai (peran 'employee') tidak boleh menjalankan "
            "langkah penilaian 'review'") in out
    assert "the employee evaluated (role 'employee') may not take the rating step" in out
def test_users_set_password_applies_the_policy(app: Flask, session: Session) -> None:
    """An administrator setting a password from the CLI gets the same rules."""
    run(app, "demo")
    someone = session.scalars(select(Employee)).first()
    assert someone is not None
    before = someone.password_hash
    code, out = run(app, "users", "set-password", someone.nip, "--password", "iloveyou2024")
    assert code == 1 and "terlalu umum" in out
    session.expire_all()
    assert someone.password_hash == before
    code, out = run(app, "users", "set-password", someone.nip, "--password",
                    "kuda makan rumput")
    assert code == 0, out
