"""The installation's super-admins, and a new agency with its first admin (issue 16 item 7).

A super-admin is created once per installation from the command line
(``flask users create-superadmin``): an employee row in the reserved agency ``instalasi`` plus
a row in ``installation_admin`` (no agency admin can make anyone a super-admin: the admin's
group pages never write that table). In the browser she creates an agency, its ``admin``
group and its first admin, and publishes the agency's first flow version as an overlay on the
national flow (``extends: default``); the first admin gets a one-time activation code.
Everything is recorded in the new agency's history chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import IssuedCode
from .accounts import issue_activation_codes
from .accounts import set_password
from .actors import Actor
from .definition import SLUG
from .errors import InvalidData
from .errors import NotPermitted
from .history import append_event
from .localtime import abbreviation
from .models import Agency
from .models import Employee
from .models import Group
from .models import InstallationAdmin
from .org import GROUP_NAMES
from .org import nip_problem
from .publishing import publish_edited_definition
from .publishing import starting_overlay

INSTALLATION_SLUG = "instalasi"
#: The zones an Indonesian agency is in: WIB, WITA, WIT (and Pontianak's WIB).
AGENCY_ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")


def is_superadmin(session: Session, employee_id: int | None) -> bool:
    """Tell whether an employee is a super-admin of the installation."""
    if employee_id is None:
        return False
    return session.get(InstallationAdmin, employee_id) is not None


def create_superadmin(session: Session, audit_key: bytes, *, nip: str, name: str,
                      password: str, hash_method: str, now: datetime) -> Employee:
    """Create (or promote) a super-admin with a password; recorded in the ``instalasi``
    agency's history. The caller commits.

    :raises InvalidData: a malformed NIP, no name, a NIP already used by an agency's
        employee, or a password the policy refuses (``accounts.password_problem``).
    """
    if why := nip_problem(nip):
        raise InvalidData.of({"nip": (str(why), why.en)})
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidData.of({"name": ("Nama wajib diisi (paling banyak 200 karakter).",
                                       "A name is required (at most 200 characters).")})
    home = session.scalar(select(Agency).where(Agency.slug == INSTALLATION_SLUG))
    if home is None:
        home = Agency(slug=INSTALLATION_SLUG, name="Pengelola instalasi", city="")
        session.add(home)
        session.flush()
    employee = session.scalar(select(Employee).where(Employee.nip == nip))
    if employee is not None and employee.agency_id != home.id:
        raise InvalidData.of({"nip": (
            "NIP ini sudah dipakai pegawai sebuah instansi; super-admin memakai akun sendiri.",
            "This NIP belongs to an agency's employee; a super-admin has an account of her "
            "own.")})
    if employee is None:
        employee = Employee(agency_id=home.id, nip=nip, name=name, unit_kerja="")
        session.add(employee)
    employee.name = name
    try:
        set_password(employee, password, hash_method=hash_method)
    except ValueError as exc:
        raise InvalidData.of({"password": (str(exc), str(exc))}) from exc
    session.flush()
    if session.get(InstallationAdmin, employee.id) is None:
        session.add(InstallationAdmin(employee_id=employee.id, created_at=now))
    append_event(session, audit_key, home, kind="admin", at=now, actor_nip="",
                 actor_role="system", trigger="superadmin_created", payload={"nip": nip})
    session.flush()
    return employee


@dataclass(frozen=True, slots=True)
class AgencyRequest:
    """What the super-admin typed for a new agency and its first admin."""

    slug: str
    name: str
    city: str
    timezone: str
    admin_nip: str
    admin_name: str
    admin_jabatan: str = ""
    admin_unit_kerja: str = ""


@dataclass(frozen=True, slots=True)
class NewAgency:
    """A created agency, its first admin and her one-time activation code (shown once)."""

    agency: Agency
    admin: Employee
    activation: IssuedCode


def agency_request_problems(session: Session, request: AgencyRequest) -> dict[str, tuple[str, str]]:
    """Return what is wrong with a new agency request, per field (empty: nothing)."""
    problems: dict[str, tuple[str, str]] = {}
    if not SLUG.match(request.slug) or len(request.slug) > 64:
        problems["slug"] = ("Kode instansi hanya huruf kecil, angka dan tanda minus "
                            "(contoh: kab-contoh).",
                            "The agency code has lowercase letters, digits and dashes only "
                            "(e.g. kab-contoh).")
    elif request.slug in (INSTALLATION_SLUG, "default") or session.scalar(
            select(Agency.id).where(Agency.slug == request.slug)) is not None:
        problems["slug"] = ("Kode instansi sudah dipakai.", "The agency code is taken.")
    if not request.name or len(request.name) > 200:
        problems["name"] = ("Nama instansi wajib diisi (paling banyak 200 karakter).",
                            "The agency name is required (at most 200 characters).")
    if len(request.city) > 100:
        problems["city"] = ("Kota paling banyak 100 karakter.",
                            "The city has at most 100 characters.")
    if request.timezone not in AGENCY_ZONES:
        problems["timezone"] = ("Pilih zona waktu WIB, WITA atau WIT.",
                                "Choose the WIB, WITA or WIT time zone.")
    if why := nip_problem(request.admin_nip):
        problems["admin_nip"] = (str(why), why.en)
    elif session.scalar(select(Employee.id).where(Employee.nip == request.admin_nip)):
        problems["admin_nip"] = ("NIP ini sudah terdaftar di instansi lain.",
                                 "This NIP is already registered in another agency.")
    if not request.admin_name or len(request.admin_name) > 200:
        problems["admin_name"] = ("Nama admin wajib diisi (paling banyak 200 karakter).",
                                  "The admin's name is required (at most 200 characters).")
    for field, value in (("admin_jabatan", request.admin_jabatan),
                         ("admin_unit_kerja", request.admin_unit_kerja)):
        if len(value) > 200:
            problems[field] = ("Paling banyak 200 karakter.", "At most 200 characters.")
    return problems


def create_agency(session: Session, audit_key: bytes, superadmin: Actor,
                  request: AgencyRequest, *, parents: Mapping[str, Mapping[str, Any]],
                  now: datetime, activation_days: int = 7) -> NewAgency:
    """Create an agency, its ``admin`` group and first admin, its first flow version (the
    national flow as an overlay, in the chosen zone) and the admin's activation code; all in
    the new agency's history. The caller commits; nothing is written on an error.

    :raises NotPermitted: ``superadmin`` is not a super-admin of the installation.
    :raises InvalidData: per field (``agency_request_problems``).
    """
    if not is_superadmin(session, superadmin.employee_id):
        raise NotPermitted("Hanya super-admin instalasi yang dapat membuat instansi.",
                           "Only the installation's super-admin can create an agency.")
    problems = agency_request_problems(session, request)
    if problems:
        raise InvalidData.of(problems)
    agency = Agency(slug=request.slug, name=request.name, city=request.city)
    session.add(agency)
    session.flush()
    append_event(session, audit_key, agency, kind="admin", at=now,
                 actor_id=superadmin.employee_id, actor_nip=superadmin.nip,
                 actor_role="superadmin", trigger="agency_created",
                 payload={"slug": agency.slug, "name": agency.name, "city": agency.city,
                          "timezone": request.timezone, "admin_nip": request.admin_nip})
    group = Group(agency_id=agency.id, slug="admin", name=GROUP_NAMES["admin"])
    admin = Employee(agency_id=agency.id, nip=request.admin_nip, name=request.admin_name,
                     jabatan=request.admin_jabatan, unit_kerja=request.admin_unit_kerja)
    admin.groups = [group]
    session.add_all([group, admin])
    session.flush()
    # The super-admin acts for the new agency as its system (she is not one of its people).
    acting = Actor(None, superadmin.nip, superadmin.name, agency.id)
    zone = request.timezone
    text = (starting_overlay(agency.slug)
            + f"timezone: {zone}                 # {abbreviation(zone)}\n")
    publish_edited_definition(session, audit_key, acting, text, now, parents)
    [activation] = issue_activation_codes(session, audit_key, acting, [admin], now=now,
                                          days=activation_days)
    return NewAgency(agency, admin, activation)
