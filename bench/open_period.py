"""Benchmark opening a period for a large agency: evaluations created per second.

Run: ``.venv/bin/python bench/open_period.py [--employees 5000] [--reps 3]``.

For SQLite (a file database, the app's pragmas) and PostgreSQL (a scratch database created
and dropped here; ``BENCH_PG_URL`` names the server, default
``postgresql+psycopg://root@127.0.0.1:5432/postgres``) it imports an org chart of
``--employees`` people (one kepala, units of 50: a kepala bidang and 49 staff), publishes the
national flow, and times ``open_period`` + commit for the whole agency: each evaluation
with its three participants (reporting line frozen) and its hash-chained ``open`` event.
Each repetition uses a new period of the same agency. Prints the median and every run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch import pg_server_url
from scratch import postgres_engine
from scratch import sqlite_engine
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forms.library import load_form_sources
from forms.store import StoredForms
from forms.store import publish_national_forms
from workflow import history  # noqa: F401 - registers the PostgreSQL append-only trigger
from workflow import service
from workflow.actors import Actor
from workflow.history import verify_chain
from workflow.models import Agency
from workflow.models import Base
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow

ROOT = Path(__file__).resolve().parents[1]

SLUG = "kota-kupang"
HEADER = "nip,nama,jabatan,pangkat,golongan,unit_kerja,jenis_asn,nip_atasan,grup\n"


def nip(n: int) -> str:
    """Return a distinct, valid 18-digit NIP."""
    return f"19800101200501{n:04d}" if n < 10_000 else f"1980010120050{n:05d}"


def org_csv(employees: int) -> str:
    """One kepala (admin), the PPK, then units of 50: a kepala bidang and 49 staff reporting
    to them."""
    rows = [f"{nip(1)},Kepala Dinas,Kepala Dinas,Pembina Utama Muda,IV/c,Sekretariat,PNS,,"
            "admin;tim-penilai-kinerja",
            # The PPK decides the kepala bidang's appeals (their appraiser has no superior) and
            # sits on the team, which reviews the ratings the kepala gives: every evaluation
            # can finish, so every one opens (workflow/casting.py).
            f"{nip(99_999)},Wali Kota,Wali Kota,,,Pemerintah Kota,PNS,,ppk;tim-penilai-kinerja"]
    for unit in range((employees - 1) // 50):
        head = 2 + unit * 50
        rows.append(f"{nip(head)},Kepala Bidang {unit},Kepala Bidang,Pembina,IV/a,"
                    f"Bidang {unit},PNS,{nip(1)},")
        rows.extend(f"{nip(head + k)},Pegawai {head + k},Analis,Penata Muda,III/a,Bidang {unit},"
                    f"PNS,{nip(head)}," for k in range(1, 50))
    return HEADER + "\n".join(rows) + "\n"


def bench(label: str, engine: Engine, employees: int, reps: int) -> None:
    service.clear_caches()
    Base.metadata.create_all(engine)
    wf = Workflow(b"bench-audit-key", StoredForms())
    with Session(engine) as s:
        publish_national_forms(s, load_form_sources(ROOT / "definitions" / "forms"))
        agency = Agency(slug=SLUG, name="Pemerintah Kota Kupang", city="Kupang")
        s.add(agency)
        s.flush()
        import_org_csv(s, wf.audit_key, agency, org_csv(employees))
        publish_definitions(s, {SLUG: load_definitions(ROOT / "definitions")[SLUG]})
        s.commit()
        agency_id = agency.id
        admin = Actor.of(s.scalars(select(Employee).where(Employee.nip == nip(1))).one())
    seconds, created = [], 0
    for rep in range(reps):
        with Session(engine) as s:
            period = ensure_period(s, s.get(Agency, agency_id), "annual", 2026 - rep)
            s.commit()
            started = time.perf_counter()
            report = open_period(s, wf, admin, period.id)
            s.commit()
            seconds.append(time.perf_counter() - started)
            created = len(report.evaluations)
    with Session(engine) as s:
        sample = s.scalars(select(Evaluation).order_by(Evaluation.id).limit(20)).all()
        broken = sum(not verify_chain(s, wf.audit_key, e).ok for e in sample)
    median = statistics.median(seconds)
    print(f"\n== {label} ==")
    print(f"  open_period for {created:,} employees (+ commit): median {median:.2f} s, "
          f"{created / median:,.0f} evaluations/s, {median / created * 1e6:,.0f} µs each; "
          f"runs: {', '.join(f'{x:.2f}' for x in seconds)} s")
    print(f"  chains verified: {len(sample)} sampled, {broken} broken")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=5000, help="agency size (5000)")
    parser.add_argument("--reps", type=int, default=3, help="periods opened (3)")
    args = parser.parse_args()
    print("bench/open_period.py: opening a period for a whole agency")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}; {os.cpu_count()} CPUs")
    with sqlite_engine() as (engine, where):
        print(f"database: {where}")
        bench("SQLite", engine, args.employees, args.reps)
    with postgres_engine(pg_server_url(), "open") as pg:
        if pg is not None:
            engine, where = pg
            print(f"\ndatabase: {where}")
            bench("PostgreSQL", engine, args.employees, args.reps)


if __name__ == "__main__":
    main()
