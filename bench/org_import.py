"""Benchmark the org-chart import at scale: a first import of ``--employees`` people, then a
re-import of the same people with every row changed (a bulk upsert), on SQLite and PostgreSQL.

Run: ``flock /work/bench.lock .venv/bin/python bench/org_import.py [--employees 100000]``.

The chart: one head, units of 100 (a unit head reporting to her, 99 staff reporting to the
unit head). The re-import changes every person's jabatan and moves 1 % to another unit;
``--same`` re-imports the identical file as a third run (nothing to write). Prints the times,
the re-import / first-import ratio (measured in the same run) and the load average.
PostgreSQL: a scratch database (``BENCH_PG_URL`` names the server, see bench/scratch.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch import pg_server_url
from scratch import postgres_engine
from scratch import sqlite_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from workflow import history  # noqa: F401 - registers the PostgreSQL append-only trigger
from workflow.models import Agency
from workflow.models import Base
from workflow.models import Employee
from workflow.org import import_org_csv

HEADER = "nip,nama,jabatan,pangkat,golongan,unit_kerja,jenis_asn,nip_atasan,grup\n"


def nip(n: int) -> str:
    return f"198001012005{n:06d}"


def chart(employees: int, jabatan: str = "Analis", moved: int = 0) -> str:
    rows = [f"{nip(0)},Kepala,Kepala,Pembina Utama,IV/c,Sekretariat,PNS,,admin"]
    for n in range(1, employees):
        head = n - (n - 1) % 100
        superior = nip(0) if n == head else nip(head)
        unit = head + 100 if moved and n % 100 == 50 else head  # 1 % change units
        rows.append(f"{nip(n)},Pegawai {n},{jabatan},Penata Muda,III/a,Unit {unit},PNS,"
                    f"{superior},")
    return HEADER + "\n".join(rows) + "\n"


def timed(engine: Engine, agency_id: int, text: str) -> tuple[float, str]:
    with Session(engine) as s:
        started = time.perf_counter()
        result = import_org_csv(s, b"bench-audit-key", s.get(Agency, agency_id), text)
        s.commit()
        return time.perf_counter() - started, f"{result.created:,} created, " \
                                              f"{result.updated:,} updated"


def bench(label: str, engine: Engine, employees: int, same: bool) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        agency = Agency(slug="kota-besar", name="Kota Besar")
        s.add(agency)
        s.commit()
        agency_id = agency.id
    first, changed = chart(employees), chart(employees, "Analis Ahli Muda", moved=1)
    print(f"\n== {label}: {employees:,} employees ==")
    load = os.getloadavg()
    seconds, what = timed(engine, agency_id, first)
    print(f"  first import:            {seconds:7.2f} s ({what}; "
          f"{employees / seconds:,.0f} rows/s)")
    again, what = timed(engine, agency_id, changed)
    print(f"  re-import, all changed:  {again:7.2f} s ({what}; {employees / again:,.0f} rows/s)")
    print(f"  ratio re-import / first: {again / seconds:.2f}")
    if same:
        unchanged, what = timed(engine, agency_id, changed)
        print(f"  re-import, unchanged:    {unchanged:7.2f} s ({what})")
    with Session(engine) as s:
        count = s.scalar(select(func.count()).select_from(Employee))
        staff = s.scalar(select(func.count()).select_from(Employee).where(
            Employee.superior_id.is_not(None)))
    print(f"  in the database: {count:,} employees, {staff:,} with a superior")
    print(f"  load average before / after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=100_000, help="rows (100000)")
    parser.add_argument("--same", action="store_true", help="also re-import an unchanged file")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    args = parser.parse_args()
    print("bench/org_import.py: org-chart import and re-import")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}; {os.cpu_count()} CPUs")
    if args.only != "postgresql":
        with sqlite_engine() as (engine, where):
            print(f"database: {where}")
            bench("SQLite", engine, args.employees, args.same)
    if args.only != "sqlite":
        with postgres_engine(pg_server_url(), "org") as pg:
            if pg is not None:
                engine, where = pg
                print(f"\ndatabase: {where}")
                bench("PostgreSQL", engine, args.employees, args.same)


if __name__ == "__main__":
    main()
