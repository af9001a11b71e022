"""Parse and check form specs (plain mappings from YAML or JSON) into ``FormSpec`` objects.

Pure: no I/O. ``validate_spec`` lists every problem as an Indonesian sentence naming the path
(``fields[2].name``); ``parse_form_spec`` raises ``FormSpecError`` with that list, or returns a
``FormSpec``.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from collections.abc import Sequence
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any
from typing import Literal

from workflow.rating import BERAKHLAK
from workflow.rating import RATING_LEVELS
from workflow.texts import Text

from .slots import PRINT_TARGETS
from .slots import PRINTABLE_TYPES
from .spec import CONDITION_TARGET_TYPES
from .spec import DEFAULT_BERAKHLAK_PREFIX
from .spec import FIELD_TYPES
from .spec import GROUP_TYPES
from .spec import KEY_RE
from .spec import NAME_MAX
from .spec import NAME_RE
from .spec import RESERVED_NAMES
from .spec import RESERVED_PREFIXES
from .spec import SCALES
from .spec import Condition
from .spec import FieldSpec
from .spec import FormSpec
from .spec import FormSpecError
from .spec import Option
from .spec import Rule

_TOP_KEYS = {"key", "title", "title_en", "description", "description_en", "fields"}
_COMMON_KEYS = {"name", "type", "label", "label_en", "help", "help_en", "required",
                "required_when", "show_when"}
_ACCESS_KEYS = {"visible_to", "editable_by", "visible_in_states"}
_TOP_ONLY_KEYS = _ACCESS_KEYS | {"prints"}  # not allowed on the columns of a rows field
_TYPE_KEYS: Mapping[str, set[str]] = {
    "text": {"min_length", "max_length"},
    "textarea": {"min_length", "max_length"},
    "integer": {"min", "max"},
    "decimal": {"min", "max"},
    "choice": {"options"},
    "multichoice": {"options"},
    "date": set(),
    "rating": {"scale", "options"},
    "rows": {"columns", "min_rows", "max_rows"},
}
_ALL_FIELD_KEYS = _COMMON_KEYS | _TOP_ONLY_KEYS | set().union(*_TYPE_KEYS.values())
_GROUP_KEYS = {"type", "name_prefix", "label", "label_en", "required", "max_length",
               "required_when", "show_when"}
_OPTION_KEYS = {"value", "label", "label_en"}
_CONDITION_KEYS = {"field", "in"}


def validate_spec(mapping: object) -> list[str]:
    """Return every problem of a spec mapping as a ``Text`` (Indonesian, with English; empty
    when valid)."""
    return _Parser().parse(mapping)[1]


def parse_form_spec(mapping: object) -> FormSpec:
    """Build a ``FormSpec`` from a mapping; raise ``FormSpecError`` listing all problems."""
    spec, problems = _Parser().parse(mapping)
    if problems or spec is None:
        raise FormSpecError(problems or [Text("Spesifikasi formulir tidak valid.",
                                              "The form spec is not valid.")])
    return spec


class _Parser:
    """Collect problems while building dataclasses, so one pass reports everything."""

    def __init__(self) -> None:
        """Start with no problems."""
        self.problems: list[str] = []

    def add(self, path: str, message: str, message_en: str) -> None:
        """Record one problem at ``path``, in Indonesian and English."""
        self.problems.append(Text(f"{path} {message}", f"{path} {message_en}") if path
                             else Text(message, message_en))

    def parse(self, mapping: object) -> tuple[FormSpec | None, list[str]]:
        """Check the top level and every field; return the spec only when nothing is wrong."""
        if not isinstance(mapping, Mapping):
            return None, [Text("Spesifikasi formulir harus berupa mapping (kunci: nilai).",
                               "A form spec must be a mapping (key: value).")]
        self.unknown_keys("", mapping, _TOP_KEYS)
        key = mapping.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            self.add("key", "wajib berupa huruf kecil, angka dan tanda hubung, diawali huruf.",
                     "must be lowercase letters, digits and hyphens, starting with a letter.")
        title = self.text(mapping, "title", "", required=True)
        title_en = self.text(mapping, "title_en", "")
        description = self.text(mapping, "description", "")
        description_en = self.text(mapping, "description_en", "")
        raw_fields = mapping.get("fields")
        fields: tuple[FieldSpec, ...] = ()
        if not isinstance(raw_fields, list) or not raw_fields:
            self.add("fields", "wajib berupa daftar field yang tidak kosong.",
                     "must be a non-empty list of fields.")
        else:
            fields = self.fields(raw_fields, "fields", nested=False)
        if self.problems:
            return None, self.problems
        return (
            FormSpec(
                key=str(key),
                title=title or "",
                fields=fields,
                title_en=title_en,
                description=description,
                description_en=description_en,
            ),
            [],
        )

    # --- helpers ------------------------------------------------------------------------

    def unknown_keys(self, path: str, mapping: Mapping[Any, Any], allowed: set[str]) -> None:
        """Report keys outside ``allowed``."""
        for k in mapping:
            if k not in allowed:
                where, where_en = (f"{path}: kunci", f"{path}: unknown key") if path else (
                    "Kunci", "Unknown key")
                self.problems.append(Text(f"{where} tidak dikenal: {k!r}.", f"{where_en}: {k!r}."))

    def text(
        self, m: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        """Read an optional (or required) non-empty string."""
        value = m.get(key)
        here = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.add(here, "wajib diisi.", "is required.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(here, "harus berupa teks yang tidak kosong.", "must be non-empty text.")
            return None
        return value

    def count(self, m: Mapping[str, Any], key: str, path: str) -> int | None:
        """Read an optional non-negative integer."""
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(f"{path}.{key}", "harus bilangan bulat tidak negatif.",
                     "must be a non-negative integer.")
            return None
        return value

    def roles(self, m: Mapping[str, Any], key: str, path: str) -> tuple[str, ...] | None:
        """Read an optional non-empty list of role or state names."""
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            self.add(f"{path}.{key}", "harus berupa daftar nama yang tidak kosong.",
                     "must be a non-empty list of names.")
            return None
        return tuple(value)

    # --- fields -------------------------------------------------------------------------

    def fields(self, raw: list[Any], path: str, *, nested: bool) -> tuple[FieldSpec, ...]:
        """Parse a list of fields (top level or the columns of a rows field)."""
        result: list[FieldSpec] = []
        seen: dict[str, str] = {}
        for index, item in enumerate(raw):
            here = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.add(here, "harus berupa mapping.", "must be a mapping.")
                continue
            if item.get("type") in GROUP_TYPES:
                if nested:
                    self.add(f"{here}.type", f"{item.get('type')!r} tidak boleh di dalam rows.",
                             f"{item.get('type')!r} is not allowed inside rows.")
                    continue
                produced = self.berakhlak(item, here, result)
            else:
                one = self.field(item, here, result, nested=nested)
                produced = [one] if one else []
            for spec in produced:
                if spec.name in seen:
                    self.add(
                        f"{here}.name",
                        f"{spec.name!r} duplikat (sudah dipakai di {seen[spec.name]}).",
                        f"{spec.name!r} is a duplicate (already used at {seen[spec.name]}).",
                    )
                    continue
                seen[spec.name] = here
                result.append(spec)
        return tuple(result)

    def name(self, value: object, path: str) -> str | None:
        """Check a field name: a safe identifier that does not shadow the Form API."""
        if not isinstance(value, str) or not value:
            self.add(path, "wajib diisi.", "is required.")
            return None
        if not NAME_RE.match(value) or len(value) > NAME_MAX:
            self.add(
                path,
                f"{value!r} tidak sah: gunakan huruf kecil, angka dan garis bawah, diawali "
                f"huruf, paling panjang {NAME_MAX} karakter.",
                f"{value!r} is not valid: use lowercase letters, digits and underscores, "
                f"starting with a letter, at most {NAME_MAX} characters.",
            )
            return None
        if (
            value in RESERVED_NAMES
            or keyword.iskeyword(value)
            or value.startswith(RESERVED_PREFIXES)
        ):
            self.add(path, f"{value!r} bentrok dengan API Form.",
                     f"{value!r} clashes with the Form API.")
            return None
        return value

    def field(
        self,
        m: Mapping[str, Any],
        path: str,
        earlier: Sequence[FieldSpec],
        *,
        nested: bool,
    ) -> FieldSpec | None:
        """Parse one field; return None (after recording problems) when it is broken."""
        before = len(self.problems)
        name = self.name(m.get("name"), f"{path}.name")
        ftype = m.get("type")
        if ftype not in FIELD_TYPES:
            allowed = ", ".join((*FIELD_TYPES, *GROUP_TYPES))
            self.add(f"{path}.type", f"{ftype!r} tidak dikenal (pilihan: {allowed}).",
                     f"{ftype!r} is unknown (choices: {allowed}).")
            self.unknown_keys(path, m, _ALL_FIELD_KEYS)
            return None
        if nested and ftype == "rows":
            self.add(f"{path}.type", "'rows' tidak boleh bersarang di dalam rows.",
                     "'rows' cannot be nested inside rows.")
            return None
        allowed_keys = _COMMON_KEYS | _TYPE_KEYS[ftype] | (set() if nested else _TOP_ONLY_KEYS)
        for k in m:
            if k in allowed_keys:
                continue
            if k in _TOP_ONLY_KEYS:
                self.add(f"{path}.{k}", "tidak berlaku untuk kolom rows.",
                         "does not apply to rows columns.")
            elif any(k in keys for keys in _TYPE_KEYS.values()):
                self.add(f"{path}.{k}", f"tidak berlaku untuk tipe {ftype}.",
                         f"does not apply to type {ftype}.")
            else:
                self.add(path + ":", f"kunci tidak dikenal: {k!r}.", f"unknown key: {k!r}.")
        label = self.text(m, "label", path, required=True)
        texts = {k: self.text(m, k, path) for k in ("label_en", "help", "help_en")}
        required = m.get("required", False)
        if not isinstance(required, bool):
            self.add(f"{path}.required", "harus true atau false.", "must be true or false.")
            required = False
        kwargs: dict[str, Any] = {}
        if ftype in ("integer", "decimal"):
            kwargs["min"] = self.number(m, "min", path, ftype)
            kwargs["max"] = self.number(m, "max", path, ftype)
            low, high = kwargs["min"], kwargs["max"]
            if low is not None and high is not None and low > high:
                self.add(path + ".min", f"({m['min']}) lebih besar dari max ({m['max']}).",
                         f"({m['min']}) is greater than max ({m['max']}).")
        if ftype in ("text", "textarea"):
            kwargs["min_length"] = self.count(m, "min_length", path)
            kwargs["max_length"] = self.count(m, "max_length", path)
            lo, hi = kwargs["min_length"], kwargs["max_length"]
            if lo is not None and hi is not None and lo > hi:
                self.add(path + ".min_length", f"({lo}) lebih besar dari max_length ({hi}).",
                         f"({lo}) is greater than max_length ({hi}).")
        if ftype in ("choice", "multichoice"):
            if m.get("options") is None:
                self.add(f"{path}.options", f"wajib untuk tipe {ftype}.",
                         f"is required for type {ftype}.")
            else:
                kwargs["options"] = self.options(m.get("options"), f"{path}.options")
        if ftype == "rating":
            scale = m.get("scale")
            if m.get("options") is not None:
                if scale is not None:
                    self.add(f"{path}.scale", "tidak boleh dipakai bersama options.",
                             "cannot be used together with options.")
                kwargs["options"] = self.options(m.get("options"), f"{path}.options")
            else:
                scale = "national" if scale is None else scale
                if scale not in SCALES:
                    self.add(f"{path}.scale", f"{scale!r} tidak dikenal (pilihan: national).",
                             f"{scale!r} is unknown (choices: national).")
                kwargs["options"] = tuple(
                    Option(level.value, level.label, level.label_en) for level in RATING_LEVELS
                )
            kwargs["scale"] = scale
        if ftype == "rows":
            raw_columns = m.get("columns")
            if not isinstance(raw_columns, list) or not raw_columns:
                self.add(f"{path}.columns", "wajib berupa daftar kolom yang tidak kosong.",
                         "must be a non-empty list of columns.")
            else:
                kwargs["columns"] = self.fields(raw_columns, f"{path}.columns", nested=True)
            min_rows = self.count(m, "min_rows", path)
            max_rows = self.count(m, "max_rows", path)
            if min_rows is None:
                min_rows = 1 if required else 0
            if max_rows is not None and min_rows > max_rows:
                self.add(
                    path + ".min_rows", f"({min_rows}) lebih besar dari max_rows ({max_rows}).",
                    f"({min_rows}) is greater than max_rows ({max_rows}).",
                )
            if max_rows == 0:
                self.add(path + ".max_rows", "harus lebih dari 0.", "must be more than 0.")
            kwargs["min_rows"] = min_rows
            kwargs["max_rows"] = max_rows
        required_when = self.rule(m, "required_when", path, earlier)
        show_when = self.rule(m, "show_when", path, earlier)
        if required and required_when is not None:
            self.add(f"{path}.required_when", "tidak boleh dipakai bersama required: true.",
                     "cannot be used together with required: true.")
        access = self.access(m, path) if not nested else {}
        prints = self.prints(m, path, ftype) if not nested else None
        if len(self.problems) > before or name is None or label is None:
            return None
        return FieldSpec(
            name=name,
            type=ftype,
            label=label,
            required=required,
            required_when=required_when,
            show_when=show_when,
            label_en=texts["label_en"],
            help=texts["help"],
            help_en=texts["help_en"],
            prints=prints,
            **access,
            **kwargs,
        )

    def prints(self, m: Mapping[str, Any], path: str, ftype: str) -> str | None:
        """Read ``prints``: the document section an agency's own field is printed in."""
        value = m.get("prints")
        if value is None:
            return None
        if value not in PRINT_TARGETS:
            allowed = ", ".join(PRINT_TARGETS)
            self.add(f"{path}.prints", f"{value!r} tidak dikenal (pilihan: {allowed}).",
                     f"{value!r} is unknown (choices: {allowed}).")
            return None
        if ftype not in PRINTABLE_TYPES:
            self.add(f"{path}.prints", f"field bertipe {ftype} tidak dapat dicetak sebagai "
                     "keterangan tambahan.",
                     f"a field of type {ftype} cannot be printed as additional information.")
            return None
        return str(value)

    def access(self, m: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Read visible_to, editable_by and visible_in_states and check they agree."""
        visible_to = self.roles(m, "visible_to", path)
        editable_by = self.roles(m, "editable_by", path)
        by_role = None
        if isinstance(m.get("visible_in_states"), Mapping):
            by_role = self.states_by_role(m["visible_in_states"], f"{path}.visible_in_states")
            states = None
        else:
            states = self.roles(m, "visible_in_states", path)
        if visible_to is not None and editable_by is not None:
            outside = [r for r in editable_by if r not in visible_to]
            if outside:
                self.add(
                    f"{path}.editable_by",
                    f"memuat peran yang tidak ada di visible_to: {', '.join(outside)}.",
                    f"names roles that are not in visible_to: {', '.join(outside)}.",
                )
        if (states is not None or by_role is not None) and editable_by is None:
            self.add(
                f"{path}.visible_in_states",
                "memerlukan editable_by (siapa yang mengisi sebelum nilainya terlihat).",
                "needs editable_by (who fills it in before the value becomes visible).",
            )
        return {"visible_to": visible_to, "editable_by": editable_by, "visible_in_states": states,
                "visible_in_states_by_role": by_role}

    def states_by_role(
        self, value: Mapping[str, Any], path: str
    ) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """Read ``{role: [state, …]}``: each listed role sees the value only in those states."""
        result = []
        for role, states in value.items():
            if isinstance(states, str):
                states = [states]
            if not isinstance(role, str) or not isinstance(states, list) or not states or not all(
                    isinstance(x, str) and x.strip() for x in states):
                self.add(f"{path}.{role}", "harus berupa daftar nama status yang tidak kosong.",
                         "must be a non-empty list of state names.")
                return None
            result.append((role, tuple(states)))
        if not result:
            self.add(path, "tidak boleh kosong.", "must not be empty.")
            return None
        return tuple(result)

    def number(self, m: Mapping[str, Any], key: str, path: str, ftype: str) -> int | Decimal | None:
        """Read a numeric bound: an integer for integer fields, any number for decimals."""
        value = m.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.add(f"{path}.{key}", "harus berupa angka.", "must be a number.")
            return None
        if ftype == "integer":
            if not isinstance(value, int):
                self.add(f"{path}.{key}", "harus bilangan bulat untuk tipe integer.",
                         "must be a whole number for type integer.")
                return None
            return value
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.add(f"{path}.{key}", "harus berupa angka.", "must be a number.")
            return None
        return number

    def options(self, raw: object, path: str) -> tuple[Option, ...]:
        """Parse a non-empty list of ``{value, label, label_en}`` with unique values."""
        if not isinstance(raw, list) or not raw:
            self.add(path, "wajib berupa daftar pilihan yang tidak kosong.",
                     "must be a non-empty list of options.")
            return ()
        result: list[Option] = []
        for index, item in enumerate(raw):
            here = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.add(here, "harus berupa mapping {value, label}.",
                         "must be a mapping {value, label}.")
                continue
            self.unknown_keys(here, item, _OPTION_KEYS)
            value = item.get("value")
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                self.add(f"{here}.value", "wajib berupa teks tanpa spasi di tepi.",
                         "must be text without leading or trailing spaces.")
                continue
            if any(o.value == value for o in result):
                self.add(f"{here}.value", f"{value!r} duplikat.", f"{value!r} is a duplicate.")
                continue
            label = self.text(item, "label", here, required=True)
            if label is None:
                continue
            result.append(Option(value, label, self.text(item, "label_en", here)))
        return tuple(result)

    def rule(
        self, m: Mapping[str, Any], key: str, path: str, earlier: Sequence[FieldSpec]
    ) -> Rule | None:
        """Parse ``{field, in}``, ``{any: [...]}`` or ``{all: [...]}`` against earlier fields."""
        raw = m.get(key)
        here = f"{path}.{key}"
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.add(here, "harus berupa {field, in} atau {any: [...]} / {all: [...]}.",
                     "must be {field, in} or {any: [...]} / {all: [...]}.")
            return None
        mode: Literal["any", "all"] = "any"
        items: list[tuple[str, Any]]
        if "any" in raw or "all" in raw:
            if len(raw) != 1:
                self.add(here, "hanya boleh memuat satu kunci: any atau all.",
                         "may hold only one key: any or all.")
                return None
            mode = "all" if "all" in raw else "any"
            listed = raw[mode]
            if not isinstance(listed, list) or not listed:
                self.add(f"{here}.{mode}", "wajib berupa daftar syarat yang tidak kosong.",
                         "must be a non-empty list of conditions.")
                return None
            items = [(f"{here}.{mode}[{i}]", c) for i, c in enumerate(listed)]
        else:
            items = [(here, raw)]
        conditions: list[Condition] = []
        for where, item in items:
            condition = self.condition(item, where, earlier)
            if condition is not None:
                conditions.append(condition)
        if len(conditions) != len(items):
            return None
        return Rule(tuple(conditions), mode)

    def condition(
        self, raw: object, path: str, earlier: Sequence[FieldSpec]
    ) -> Condition | None:
        """Parse one ``{field, in}`` that must name an earlier choice/multichoice/rating field."""
        if not isinstance(raw, Mapping):
            self.add(path, "harus berupa {field, in}.", "must be {field, in}.")
            return None
        before = len(self.problems)
        self.unknown_keys(path, raw, _CONDITION_KEYS)
        target_name = raw.get("field")
        target = next((f for f in earlier if f.name == target_name), None)
        if target is None:
            self.add(
                f"{path}.field",
                f"{target_name!r} tidak dikenal atau belum didefinisikan sebelum field ini.",
                f"{target_name!r} is unknown or not defined before this field.",
            )
        elif target.type not in CONDITION_TARGET_TYPES:
            self.add(
                f"{path}.field",
                f"{target_name!r} bertipe {target.type}; syarat hanya untuk "
                f"{', '.join(CONDITION_TARGET_TYPES)}.",
                f"{target_name!r} is of type {target.type}; conditions only work on "
                f"{', '.join(CONDITION_TARGET_TYPES)}.",
            )
        values = raw.get("in")
        if isinstance(values, str):
            values = [values]
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            self.add(f"{path}.in", "wajib berupa daftar nilai (teks) yang tidak kosong.",
                     "must be a non-empty list of (text) values.")
            values = []
        elif target is not None and target.type in CONDITION_TARGET_TYPES:
            known = {o.value for o in target.options}
            unknown = [v for v in values if v not in known]
            if unknown:
                self.add(
                    f"{path}.in",
                    f"memuat nilai yang bukan pilihan {target.name!r}: {', '.join(unknown)}.",
                    f"holds values that are not options of {target.name!r}: "
                    f"{', '.join(unknown)}.",
                )
        if len(self.problems) > before:
            return None
        return Condition(str(target_name), tuple(values))

    def berakhlak(
        self, m: Mapping[str, Any], path: str, earlier: Sequence[FieldSpec]
    ) -> list[FieldSpec]:
        """Expand a BerAKHLAK group into one textarea per core value, guides as help text."""
        before = len(self.problems)
        self.unknown_keys(path, m, _GROUP_KEYS | _ACCESS_KEYS)
        prefix = m.get("name_prefix", DEFAULT_BERAKHLAK_PREFIX)
        if not isinstance(prefix, str) or not NAME_RE.match(prefix):
            self.add(
                f"{path}.name_prefix", "harus huruf kecil, angka dan garis bawah, diawali huruf.",
                "must be lowercase letters, digits and underscores, starting with a letter.",
            )
            return []
        required = m.get("required", False)
        if not isinstance(required, bool):
            self.add(f"{path}.required", "harus true atau false.", "must be true or false.")
        max_length = self.count(m, "max_length", path)
        required_when = self.rule(m, "required_when", path, earlier)
        show_when = self.rule(m, "show_when", path, earlier)
        if required is True and required_when is not None:
            self.add(f"{path}.required_when", "tidak boleh dipakai bersama required: true.",
                     "cannot be used together with required: true.")
        access = self.access(m, path)
        heading = self.text(m, "label", path)
        heading_en = self.text(m, "label_en", path) or heading
        names = [prefix + value.key for value in BERAKHLAK]
        for name in names:
            self.name(name, f"{path}.name_prefix")
        if len(self.problems) > before:
            return []
        return [
            FieldSpec(
                name=name,
                type="textarea",
                label=f"{heading}: {value.name}" if heading else value.name,
                label_en=f"{heading_en}: {value.name_en}" if heading_en else value.name_en,
                help=f"{value.meaning}. Panduan perilaku: "
                + "; ".join(f"{i}. {guide}" for i, guide in enumerate(value.guides, start=1))
                + ".",
                required=bool(required),
                max_length=max_length,
                required_when=required_when,
                show_when=show_when,
                group="berakhlak",
                group_item=value.key,
                **access,
            )
            for name, value in zip(names, BERAKHLAK, strict=True)
        ]
