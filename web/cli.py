"""Command-line entrypoints (``flask --app wsgi …``): parse, call one use case, commit, report.

Schema changes, definition publishing, imports and the demo live here, never in the factory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import click
from alembic import command
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext
from sqlalchemy import Connection
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from forms.library import agency_form_dirs
from forms.library import load_form_sources
from forms.spec import FormSpecError
from forms.store import publish_national_forms
from forms.store import seed_agency_forms
from workflow.accounts import ACTIVATION_DAYS
from workflow.accounts import TOKEN_DAYS
from workflow.accounts import TOKEN_MAX_DAYS
from workflow.accounts import end_sessions
from workflow.accounts import issue_activation_codes
from workflow.accounts import issue_token
from workflow.accounts import revoke_token
from workflow.accounts import set_password
from workflow.accounts import tokens_of
from workflow.actors import Actor
from workflow.agencies import create_superadmin
from workflow.auditkeys import load_keys
from workflow.auditkeys import rotate_key
from workflow.calendars import agency_zone
from workflow.checkpoints import CheckpointReport
from workflow.checkpoints import checkpoint_after
from workflow.checkpoints import log_path
from workflow.checkpoints import verify_checkpoints
from workflow.checkpoints import write_checkpoint
from workflow.deadline_runner import run_deadlines
from workflow.errors import DefinitionError
from workflow.errors import InvalidData
from workflow.errors import OrgImportError
from workflow.errors import WorkflowError
from workflow.evidence_check import EvidenceReport
from workflow.evidence_check import check_evidence
from workflow.history import append_event
from workflow.integration_tokens import INTEGRATION_SCOPES
from workflow.integration_tokens import integration_tokens_of
from workflow.integration_tokens import issue_integration_token
from workflow.integration_tokens import revoke_integration_token
from workflow.jobs import create_job
from workflow.localtime import format_moment
from workflow.models import Agency
from workflow.models import ApiToken
from workflow.models import Employee
from workflow.models import IntegrationToken
from workflow.models import utcnow
from workflow.org import import_org_csv
from workflow.org_files import org_file_text
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.registry import validate_paths
from workflow.roles import grant_runtime_role
from workflow.service import Workflow
from workflow.spreadsheets import csv_writer
from workflow.tallies import rebuild_tallies
from workflow.texts import in_language
from workflow.verification import record_checkpoints
from workflow.verification import run_verification

from . import tasks
from .config import sqlalchemy_url
from .documents import public_base_url
from .extensions import db
from .resources import alembic_config

#: Activation codes issued per committed batch by ``users activation-codes``.
ACTIVATION_BATCH = 200


def _wf() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


#: The errors a command reports as a list of problems (a file's lines, a CSV's rows).
PROBLEMS = (WorkflowError, FormSpecError)


def describe_problems(exc: WorkflowError | FormSpecError) -> str:
    """Write an error for a terminal: each problem once, in Indonesian with its English below.

    Definition problems carry ``file:line``, form problems their file, CSV problems their row.
    """
    if isinstance(exc, DefinitionError):
        items = [(str(p), p.in_language("en")) for p in exc.problems]
        head = (f"Definisi alur tidak valid ({len(items)} masalah) / "
                f"invalid flow definition ({len(items)} problems):")
    elif isinstance(exc, OrgImportError):
        items = [(str(p), in_language(p, "en")) for p in exc.problems]
        head = (f"Impor struktur organisasi dibatalkan ({len(items)} kesalahan) / "
                f"org-chart import aborted ({len(items)} errors):")
    elif isinstance(exc, FormSpecError):
        where = f" {exc.source}" if exc.source else ""
        items = [(str(p), in_language(p, "en")) for p in exc.problems]
        head = (f"Formulir tidak valid{where} ({len(items)} masalah) / "
                f"invalid forms{where} ({len(items)} problems):")
    elif isinstance(exc, InvalidData):
        errors_en = exc.errors_in("en")
        items = [(f"{field}: {' '.join(messages)}",
                  f"{field}: {' '.join(errors_en.get(field, messages))}")
                 for field, messages in exc.errors_in("id").items()]
        head = exc.message if exc.message_en == exc.message else (
            f"{exc.message}\n{exc.message_en}")
    else:
        return exc.message if exc.message_en == exc.message else (
            f"{exc.message}\n{exc.message_en}")
    lines = [head]
    for indonesian, english in dict.fromkeys(items):
        lines.append(f"  - {indonesian}")
        if english != indonesian:
            lines.append(f"    {english}")
    return "\n".join(lines)


def _fail(exc: WorkflowError | FormSpecError) -> NoReturn:
    """Print the error's problems (``describe_problems``) and exit 1, without a traceback."""
    click.echo(describe_problems(exc), err=True)
    sys.exit(1)


@contextmanager
def owner_connection() -> Iterator[Connection]:
    """A transaction as the tables' owner: ``MIGRATION_DATABASE_URL`` when set (the app's own
    ``DATABASE_URL`` then names the runtime role), else the app's database."""
    url = current_app.config.get("MIGRATION_DATABASE_URL")
    engine = create_engine(sqlalchemy_url(url)) if url else db.engine
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if url:
            engine.dispose()


# PostgreSQL advisory lock key of schema upgrades (any constant no other lock uses): "PKMIGRAT".
MIGRATION_LOCK = 0x504B4D4947524154


def upgrade_schema() -> None:
    """Bring the database schema to the newest Alembic revision (as the owner).

    On PostgreSQL the upgrade first takes a transaction-scoped advisory lock: a second
    ``init-db`` started meanwhile (two hosts deploying at once) waits for the first to commit,
    then finds the schema at the head and does nothing, instead of failing on tables that
    now exist.
    """
    config = alembic_config()
    with owner_connection() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@click.command("init-db")
@with_appcontext
@click.option("--runtime-role", default=None,
              help="PostgreSQL: then grant this role what the app needs (see db-roles).")
@click.option("--runtime-password", default=None, envvar="RUNTIME_ROLE_PASSWORD",
              help="Password if the runtime role is created now (or RUNTIME_ROLE_PASSWORD).")
def init_db(runtime_role: str | None, runtime_password: str | None) -> None:
    """Create or upgrade the database schema (Alembic migrations), as the owner."""
    upgrade_schema()
    click.echo("Skema basis data mutakhir. / Database schema is up to date.")
    if runtime_role:
        _grant(runtime_role, runtime_password)


db_roles_cli = AppGroup("db-roles", help="PostgreSQL roles: the app's runtime role.")


@db_roles_cli.command("runtime")
@click.argument("role")
@click.option("--password", default=None, envvar="RUNTIME_ROLE_PASSWORD",
              help="Password of a new role (or RUNTIME_ROLE_PASSWORD).")
def db_roles_runtime(role: str, password: str | None) -> None:
    """Create ROLE if missing and grant it only what the app needs (history append-only).

    Run as the owner (MIGRATION_DATABASE_URL) after every migration; then run the app with a
    DATABASE_URL of ROLE.
    """
    _grant(role, password)


def _grant(role: str, password: str | None) -> None:
    try:
        with owner_connection() as connection:
            created = grant_runtime_role(connection, role, password)
    except WorkflowError as exc:
        _fail(exc)
        return
    click.echo(f"Peran {role} {'dibuat dan ' if created else ''}diberi hak aplikasi "
               "(riwayat: hanya SELECT dan INSERT) / runtime grants applied.")


definitions_cli = AppGroup("definitions", help="Validate and publish flow definitions.")


@definitions_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def definitions_validate(paths: tuple[Path, ...]) -> None:
    """Validate definition files (default: every file in the definitions folder)."""
    directory = Path(current_app.config["WORKFLOW_DEFINITIONS_DIR"])
    try:
        found = validate_paths(list(paths), directory)
    except PROBLEMS as exc:
        _fail(exc)
    for slug, definition in sorted(found.items()):
        click.echo(f"OK  {slug} v{definition.version}  ({len(definition.states)} status, "
                   f"{len(definition.transitions)} transisi)")


@definitions_cli.command("load")
def definitions_load() -> None:
    """Publish every definition as an immutable version (agencies must exist)."""
    try:
        found = load_definitions(current_app.config["WORKFLOW_DEFINITIONS_DIR"])
        results = publish_definitions(db.session, found)
        forms = publish_forms(db.session)
    except PROBLEMS as exc:
        _fail(exc)
    db.session.commit()
    click.echo("Formulir diterbitkan / forms published: "
               + (", ".join(forms) or "tidak ada perubahan / unchanged"))
    for r in results:
        note = {"new": "diterbitkan / published", "unchanged": "tidak berubah / unchanged",
                "no-agency": "dilewati: instansi belum ada / skipped: no such agency"}[r.status]
        click.echo(f"{r.agency} v{r.version}: {note}")


org_cli = AppGroup("org", help="Org chart: employees, superiors, groups.")


@org_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "slug", required=True, help="Agency slug, e.g. kota-kupang.")
@click.option("--name", default=None, help="Agency name (creates the agency if missing).")
@click.option("--city", default="", help="City printed on documents (tempat tanda tangan).")
def org_import(file: Path, slug: str, name: str | None, city: str) -> None:
    """Import employees from a CSV (UTF-8, `,` or `;`) or XLSX file: every row or none."""
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        if not name:
            click.echo(f"Instansi '{slug}' belum ada; beri --name untuk membuatnya.", err=True)
            sys.exit(1)
        agency = Agency(slug=slug, name=name, city=city)
        db.session.add(agency)
        db.session.flush()
    try:
        result = import_org_csv(db.session, _wf().audit_key, agency,
                                org_file_text(file.read_bytes()))
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    if result.positions:  # a positions file
        click.echo(f"{result.positions} jabatan, {result.holders} pemegang jabatan.")
        return
    click.echo(f"{result.created} pegawai baru, {result.updated} diperbarui, "
               f"{result.groups} grup.")


audit_cli = AppGroup("audit", help="Audit trail checks.")


@audit_cli.command("verify")
@click.option("--agency", "slug", default=None, help="Only this agency.")
@click.option("--full/--incremental", default=True, show_default=True,
              help="Re-hash every event and row (full), or only the chains with events "
                   "appended since the last run, and the broken ones (incremental; see "
                   "docs/audit.md for what it does not re-check).")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes checking the evaluations' chains in parallel (split by id).")
@click.option("--queue", "queued", is_flag=True, help="Hand the check to a queue worker (a "
              "verify_chains job; its result is in the job and in verification_run).")
def audit_verify(slug: str | None, full: bool, jobs: int, queued: bool) -> None:
    """Recompute the history chains; exit 1 and name the first broken link on any break."""
    agency_id = None
    if slug:
        agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
        if agency is None:
            click.echo(f"Instansi '{slug}' tidak ada.", err=True)
            sys.exit(2)
        agency_id = agency.id
    if queued:
        job = create_job(db.session, "verify_chains", agency_id, "", {"full": full}, utcnow())
        db.session.commit()
        tasks.enqueue(job)
        click.echo(f"Pemeriksaan #{job.id} masuk antrean / verification queued.")
        return
    result = run_verification(db.session, _wf().audit_key, agency_id, incremental=not full,
                              jobs=jobs)
    run = result.run
    for r in result.broken:
        click.echo(f"RUSAK {r.chain} di peristiwa #{r.broken_seq}: {r.reason}", err=True)
    checkpoints = _verify_checkpoints(agency_id)
    if checkpoints is not None:
        record_checkpoints(run, checkpoints)
    db.session.commit()
    evidence = _verify_evidence(agency_id)
    anchored = (checkpoints is None or checkpoints.ok) and evidence.ok
    seconds = max((run.finished_at - run.started_at).total_seconds(), 1e-6)
    click.echo(f"{run.mode}: {run.chains} rantai, {run.events} peristiwa diperiksa dalam "
               f"{seconds:.1f} s ({run.events / seconds:,.0f} peristiwa/s, {run.jobs} proses) "
               f"/ chains, events checked.")
    if result.broken:
        click.echo(f"{len(result.broken)} dari {run.chains} rantai rusak / chains broken.",
                   err=True)
    if result.broken or not anchored:
        sys.exit(1)
    click.echo(f"OK: {run.chains} rantai, {run.events} peristiwa utuh / chains intact.")


def _verify_evidence(agency_id: int | None) -> EvidenceReport:
    """Hash every stored evidence file against its row and upload event; print what differs."""
    report = check_evidence(db.session, tasks.storage(current_app), agency_id)
    db.session.rollback()  # read only
    for problem in report.problems:
        click.echo(f"RUSAK bukti dukung #{problem.evidence_id} (skp:{problem.skp_id}): "
                   f"{problem.reason}", err=True)
    if report.ok:
        click.echo(f"OK: {report.files} berkas bukti dukung utuh / evidence files intact.")
    return report


def _verify_checkpoints(agency_id: int | None) -> CheckpointReport | None:
    """Check the chains against the checkpoint log; print what differs (``None``: no log
    configured)."""
    directory = _wf().checkpoint_dir
    if directory is None:
        click.echo("Checkpoint tidak diatur (AUDIT_CHECKPOINT_DIR) / checkpoints not configured.")
        return None
    report = verify_checkpoints(db.session, _wf().audit_key, directory, agency_id)
    for problem in report.problems:
        click.echo(f"RUSAK checkpoint: {problem}", err=True)
    if report.ok and report.checkpoints:
        last = report.last_at.isoformat() if report.last_at else "-"
        click.echo(f"OK: {report.checkpoints} checkpoint cocok, terakhir {last} "
                   "/ checkpoints agree.")
    elif report.ok:
        click.echo("Belum ada checkpoint; jalankan 'audit checkpoint' / no checkpoint yet.")
    return report


@audit_cli.command("rotate-key")
@click.option("--agency", "slug", required=True, help="The agency whose key is rotated.")
def audit_rotate_key(slug: str) -> None:
    """Give the agency a new audit key (added to AUDIT_KEYRING); its new events are signed with
    it, older events keep verifying with the key that signed them (docs/operations.md)."""
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        click.echo(f"Instansi '{slug}' tidak ada / no such agency.", err=True)
        sys.exit(2)
    keyring = current_app.config.get("AUDIT_KEYRING")
    if not keyring:
        click.echo("AUDIT_KEYRING tidak diatur / not configured.", err=True)
        sys.exit(2)
    path = Path(keyring)
    key_id = rotate_key(path, agency.id, utcnow())
    keys = load_keys(bytes(_wf().audit_key), path)
    # The first event signed with the new key says so, in the agency's own chain.
    append_event(db.session, keys, agency, kind="admin", at=utcnow(), actor_role="system",
                 trigger="audit_key_rotated", payload={"key_id": key_id})
    db.session.commit()
    click.echo(f"Kunci audit baru {key_id} untuk {slug} disimpan di {path}. Salin berkas itu ke "
               "setiap server aplikasi dan worker, lalu mulai ulang mereka. / New audit key "
               f"{key_id} for {slug} saved in {path}: copy the file to every app server and "
               "worker, then restart them.")


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Append a signed checkpoint of every chain head to the log outside the database."""
    directory = _wf().checkpoint_dir
    if directory is None:
        click.echo("AUDIT_CHECKPOINT_DIR tidak diatur / not configured.", err=True)
        sys.exit(2)
    try:
        checkpoint = write_checkpoint(db.session, _wf().audit_key, directory, utcnow())
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"Checkpoint #{checkpoint.number}: {checkpoint.chains} rantai, "
               f"{checkpoint.moved} berubah / chains, moved → {log_path(directory)}")


workflow_cli = AppGroup("workflow", help="Scheduled work.")


@workflow_cli.command("tick")
@click.option("--batch", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Evaluations claimed and committed together.")
def workflow_tick(batch: int) -> None:
    """Fire the transitions the system may fire now (e.g. finalize after the appeal window),
    then write the deadline reminders due (7, 3 and 1 working days before).

    The worker runs this every DEADLINE_RUN_MINUTES; a run while another is in progress exits
    0 at once and says so.
    """
    report = run_deadlines(db.engine, _wf(), batch=batch)
    if report.ran:
        checkpoint_after(db.session, _wf().audit_key, _wf().checkpoint_dir, utcnow(), "tick")
    for evaluation_id, message in report.conflicts:
        click.echo(f"DILEWATI evaluasi {evaluation_id}: {message}", err=True)
    click.echo(report.message())
    reminded = tasks.remind(current_app._get_current_object())  # type: ignore[attr-defined]  # really a LocalProxy
    click.echo(f"Pengingat tenggat / deadline reminders: {reminded}")


@workflow_cli.command("recount")
def workflow_recount() -> None:
    """Recount every agency's dashboard tallies from its evaluations (after a bulk load)."""
    rows = 0
    for agency in db.session.scalars(select(Agency)).all():
        rows += rebuild_tallies(db.session, agency.id)
    db.session.commit()
    click.echo(f"Hitungan dasbor disusun ulang: {rows} baris.")


@click.command("demo")
@with_appcontext
@click.option("--password", default="demo-kinerja-2026", show_default=True,
              help="Password given to every demo user.")
def demo(password: str) -> None:
    """Seed two agencies, ~50 employees and evaluations in every state (idempotent)."""
    from demo.seed import seed_demo  # here: keeps demo data out of normal start-up

    try:
        publish_forms(db.session)
        users = seed_demo(db.session, _wf(), load_definitions(
            current_app.config["WORKFLOW_DEFINITIONS_DIR"]), password=password,
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            prepare_agency=lambda agency: publish_forms(db.session))
    except PROBLEMS as exc:
        db.session.rollback()
        _fail(exc)
    db.session.commit()
    checkpoint_after(db.session, _wf().audit_key, _wf().checkpoint_dir, utcnow(), "demo")
    click.echo("Data demo siap. Pengguna demo (NIP / peran), kata sandi: " + password)
    for line in users:
        click.echo("  " + line)


def publish_forms(session: Session) -> list[str]:
    """Publish the national forms and seed each existing agency's shipped copies."""
    directory = current_app.config["WORKFLOW_FORMS_DIR"]
    published = publish_national_forms(session, load_form_sources(directory))
    agencies = {a.slug: a.id for a in session.scalars(select(Agency))}
    for slug, folder in agency_form_dirs(directory).items():
        if slug in agencies:
            seeded = seed_agency_forms(session, agencies[slug], load_form_sources(folder))
            published.extend(f"{slug}/{key}" for key in seeded)
    return published


users_cli = AppGroup("users", help="Accounts: passwords, sessions and API tokens.")


def _employee(nip: str) -> Employee:
    employee = db.session.scalar(select(Employee).where(Employee.nip == nip))
    if employee is None:
        click.echo(f"NIP {nip} tidak ditemukan / not found.", err=True)
        sys.exit(1)
    return employee


@users_cli.command("set-password")
@click.argument("nip")
@click.password_option("--password", prompt="Kata sandi baru / new password")
def users_set_password(nip: str, password: str) -> None:
    """Set an employee's password (stored as a scrypt hash)."""
    employee = _employee(nip)
    try:
        set_password(employee, password,
                     hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Kata sandi {employee.name} diperbarui.")


def _agency_system(employee: Employee) -> Actor:
    return Actor.system(employee.agency_id)


@users_cli.command("token")
@click.argument("nip")
@click.option("--name", default="", help="What the token is for (e.g. sinkron SIASN).")
@click.option("--scope", default="read", show_default=True,
              help="Operations, space-separated: read, transition, transition:<name>.")
@click.option("--days", type=int, default=TOKEN_DAYS, show_default=True,
              help=f"Days the token stays valid (1–{TOKEN_MAX_DAYS}).")
def users_token(nip: str, name: str, scope: str, days: int) -> None:
    """Create an API token for NIP; it is printed once and stored only as a hash. The issue is
    recorded in the agency's history."""
    employee = _employee(nip)
    try:
        issued = issue_token(db.session, _wf().audit_key, _agency_system(employee), employee,
                             now=utcnow(), name=name, scope=scope, days=days)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    click.echo(issued.token)


@users_cli.command("tokens")
@click.option("--agency", "slug", required=True, help="Agency slug.")
@click.option("--nip", default="", help="Only this employee's tokens.")
@click.option("--all", "include_dead", is_flag=True, help="Also revoked and expired tokens.")
def users_tokens(slug: str, nip: str, include_dead: bool) -> None:
    """List an agency's API tokens (id, NIP, name, scope, expiry, last use, state)."""
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        click.echo(f"Instansi '{slug}' tidak ada / no such agency.", err=True)
        sys.exit(2)
    now = utcnow()
    zone = agency_zone(db.session, agency.id)
    for row in tokens_of(db.session, agency.id, nip=nip, include_dead=include_dead, now=now):
        state = ("dicabut/revoked" if row.revoked_at else
                 "kedaluwarsa/expired" if row.expires_at <= now else "aktif/live")
        used = (format_moment(row.last_used_at, zone, "id", "timestamp")
                if row.last_used_at else "-")
        click.echo("\t".join([str(row.id), row.employee.nip, row.name or "-", row.scope,
                              format_moment(row.expires_at, zone, "id", "timestamp"), used,
                              state]))
    if nip:
        return
    for item in integration_tokens_of(db.session, agency.id, include_dead=include_dead,
                                      now=now):
        state = ("dicabut/revoked" if item.revoked_at else
                 "kedaluwarsa/expired" if item.expires_at <= now else "aktif/live")
        used = (format_moment(item.last_used_at, zone, "id", "timestamp")
                if item.last_used_at else "-")
        click.echo("\t".join([str(item.id), "integrasi", item.name, item.scope,
                              format_moment(item.expires_at, zone, "id", "timestamp"), used,
                              state]))


@users_cli.command("integration-token")
@click.option("--agency", "slug", required=True, help="Agency slug.")
@click.option("--name", required=True, help="What the token is for (e.g. TPP BPKAD).")
@click.option("--scope", default="recap", show_default=True,
              help=f"Operations, space-separated: {', '.join(INTEGRATION_SCOPES)}.")
@click.option("--days", type=int, default=TOKEN_DAYS, show_default=True,
              help=f"Days the token stays valid (1–{TOKEN_MAX_DAYS}).")
def users_integration_token(slug: str, name: str, scope: str, days: int) -> None:
    """Create an agency-level integration token (payroll, SIASN: reads the recap); printed
    once, stored only as a hash, recorded in the agency's history."""
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        click.echo(f"Instansi '{slug}' tidak ada / no such agency.", err=True)
        sys.exit(2)
    try:
        issued = issue_integration_token(db.session, _wf().audit_key, Actor.system(agency.id),
                                         agency, now=utcnow(), name=name, scope=scope,
                                         days=days)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    click.echo(issued.token)


@users_cli.command("create-superadmin")
@click.argument("nip")
@click.option("--name", required=True, help="The super-admin's name.")
@click.password_option("--password", prompt="Kata sandi / password")
def users_create_superadmin(nip: str, name: str, password: str) -> None:
    """Create the installation's super-admin (once per installation): she creates agencies
    and their first admin in the browser (/admin/instansi-baru)."""
    try:
        create_superadmin(db.session, _wf().audit_key, nip=nip, name=name, password=password,
                          hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                          now=utcnow())
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
        return
    db.session.commit()
    click.echo(f"Super-admin {name} ({nip}) siap / ready: /admin/instansi-baru")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
@click.option("--integration", is_flag=True,
              help="TOKEN_ID is an integration token's (the 'integrasi' lines of users tokens).")
def users_revoke_token(token_id: int, integration: bool) -> None:
    """Revoke an API token by its id (see ``users tokens``); recorded in the history."""
    if integration:
        found = db.session.get(IntegrationToken, token_id)
        if found is None:
            click.echo(f"Token integrasi {token_id} tidak ada / no such token.", err=True)
            sys.exit(1)
        revoke_integration_token(db.session, _wf().audit_key, Actor.system(found.agency_id),
                                 token_id, now=utcnow())
        db.session.commit()
        click.echo(f"Token integrasi {token_id} dicabut / revoked.")
        return
    row = db.session.get(ApiToken, token_id)
    if row is None:
        click.echo(f"Token {token_id} tidak ada / no such token.", err=True)
        sys.exit(1)
    revoke_token(db.session, _wf().audit_key, _agency_system(row.employee), token_id,
                 now=utcnow())
    db.session.commit()
    click.echo(f"Token {token_id} dicabut / revoked.")


@users_cli.command("end-sessions")
@click.argument("nip")
def users_end_sessions(nip: str) -> None:
    """End every log-in session of NIP on the server (e.g. a lost phone); recorded."""
    employee = _employee(nip)
    end_sessions(db.session, _wf().audit_key, _agency_system(employee), employee,
                 now=utcnow())
    db.session.commit()
    click.echo(f"Semua sesi {employee.name} diakhiri / all sessions ended.")


@users_cli.command("activation-codes")
@click.option("--agency", "slug", required=True, help="Agency slug.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file to write (must not exist yet).")
@click.option("--unit", default="", help="Only this unit kerja.")
@click.option("--without-password", is_flag=True,
              help="Only employees who cannot log in yet.")
@click.option("--nip", "nips", multiple=True, help="Only these NIPs (repeatable).")
@click.option("--days", type=int, default=ACTIVATION_DAYS, show_default=True,
              help="Days a code stays valid (1–90).")
def users_activation_codes(slug: str, out: Path, unit: str, without_password: bool,
                           nips: tuple[str, ...], days: int) -> None:
    """Issue activation codes in bulk and write them to a CSV (NIP, nama, unit, kode).

    The codes exist only in that file (readable by its owner only): hand each one to its
    employee, then delete the file.
    """
    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        click.echo(f"Instansi '{slug}' tidak ada / no such agency.", err=True)
        sys.exit(2)
    if out.exists():
        click.echo(f"{out} sudah ada; tidak ditimpa / already exists, not overwritten.",
                   err=True)
        sys.exit(2)
    query = select(Employee).where(Employee.agency_id == agency.id, Employee.active)
    if unit:
        query = query.where(Employee.unit_kerja == unit)
    if without_password:
        query = query.where(Employee.password_hash.is_(None))
    if nips:
        query = query.where(Employee.nip.in_(nips))
    people = list(db.session.scalars(query.order_by(Employee.unit_kerja, Employee.name)))
    missing = set(nips) - {p.nip for p in people}
    if missing:
        click.echo("NIP tidak ditemukan atau tidak aktif / not found or inactive: "
                   + ", ".join(sorted(missing)), err=True)
        sys.exit(1)
    now = utcnow()
    try:  # the checks first (an empty batch checks the validity): nothing issued on refusal
        issue_activation_codes(db.session, _wf().audit_key, Actor.system(agency.id), [],
                               now=now, days=days)
    except WorkflowError as exc:
        db.session.rollback()
        _fail(exc)
    zone = agency_zone(db.session, agency.id)  # printed on slips: the agency's own time
    issued = 0
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                   newline="", encoding="utf-8") as handle:
        writer = csv_writer(handle)  # imported names are data, never spreadsheet formulas
        writer.writerow(["nip", "nama", "unit_kerja", "kode", "berlaku_sampai"])
        # Committed in batches: each batch's events lock the agency's chain head only until
        # its commit, so log-ins of the agency do not wait for thousands of codes. A batch's
        # rows are written (and synced) before it commits: every issued code is in the file.
        for start in range(0, len(people), ACTIVATION_BATCH):
            batch = issue_activation_codes(
                db.session, _wf().audit_key, Actor.system(agency.id),
                people[start:start + ACTIVATION_BATCH], now=now, days=days)
            for item in batch:
                writer.writerow([item.employee.nip, item.employee.name,
                                 item.employee.unit_kerja, item.code,
                                 format_moment(item.expires_at, zone, "id", "timestamp")])
            handle.flush()
            os.fsync(handle.fileno())
            db.session.commit()
            issued += len(batch)
    click.echo(f"{issued} kode aktivasi / activation codes → {out}")


export_cli = AppGroup("export", help="Bulk PDF export.")


@export_cli.command("run")
@click.option("--agency", "slug", required=True, help="Agency slug.")
@click.option("--period", "period_id", type=int, default=None, help="Period id (default: all).")
@click.option("--unit", default="", help="Only this unit kerja.")
@click.option("--workers", type=int, default=None, help="Renderer processes (default: "
              "EXPORT_PROCESSES).")
@click.option("--queue", "queued", is_flag=True, help="Hand the job to the queue's workers "
              "instead of running it here.")
def export_run(slug: str, period_id: int | None, unit: str, workers: int | None,
               queued: bool) -> None:
    """Export finalized evaluation documents into a ZIP in the storage, with a progress bar."""
    from reports.export import run_export  # here: reports.export loads WeasyPrint
    from reports.export import start_export

    agency = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        click.echo(f"Instansi '{slug}' tidak ada.", err=True)
        sys.exit(2)
    try:
        job = start_export(db.session, Actor.system(agency.id), period_id, unit, utcnow())
    except WorkflowError as exc:
        _fail(exc)
    db.session.commit()
    if queued:
        tasks.enqueue(job)
        click.echo(f"Ekspor #{job.id} masuk antrean / queued.")
        return
    app = current_app
    with click.progressbar(length=job.total, label="Merender PDF") as bar:
        done = run_export(db.engine, _wf().audit_key, job.id, tasks.storage(app),
                          public_base_url(), workers=workers or app.config["EXPORT_PROCESSES"],
                          progress=lambda n, total, err: bar.update(1),
                          checkpoint_dir=_wf().checkpoint_dir,
                          keep=timedelta(hours=app.config["JOB_RESULT_HOURS"]),
                          per_agency=app.config["JOB_AGENCY_CONCURRENCY"])
    if done is None:
        click.echo("Ekspor tidak dijalankan / not run.", err=True)
        sys.exit(1)
    for name, message in done.errors:
        click.echo(f"GAGAL {name}: {message}", err=True)
    click.echo(f"{done.total - len(done.errors)} dokumen → {done.result_key} "
               f"({done.result_size} B, sha256 {done.result_sha256})")
    if done.status != "done":
        sys.exit(1)


jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("recover")
def jobs_recover() -> None:
    """Run the watchdog once now: resume jobs whose worker died, delete expired results."""
    again, expired = tasks.recover(current_app._get_current_object())  # type: ignore[attr-defined]  # really a LocalProxy
    click.echo(f"{len(again)} pekerjaan dilanjutkan, {expired} hasil kedaluwarsa dihapus / "
               f"jobs resumed, expired results deleted.")


@click.command("worker")
@with_appcontext
@click.option("--threads", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Jobs this worker runs at once.")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic tasks here.")
def worker(threads: int, no_periodic: bool) -> None:
    """Run a queue worker (Huey's consumer) with this app's configuration until stopped."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("weasyprint", "fontTools"):  # a line per PDF step otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    tasks.bind(current_app._get_current_object())  # type: ignore[attr-defined]  # really a LocalProxy
    consumer = tasks.huey.create_consumer(workers=threads, worker_type="thread",
                                          periodic=not no_periodic)
    consumer.run()


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    for cmd in (init_db, db_roles_cli, definitions_cli, org_cli, audit_cli, workflow_cli, users_cli,
                export_cli, demo, worker, jobs_cli):
        app.cli.add_command(cmd)
