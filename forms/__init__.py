"""Form specs (YAML/JSON) turned into WTForms classes, with conditional and per-role rules.

Imports WTForms, PyYAML, SQLAlchemy (stored versions, authoring) and ``workflow`` (errors,
texts, rating tables, models, history); never Flask: web code passes ``base=FlaskForm`` in.
See docs/forms.md for the spec format.
"""

from .builder import FormData
from .builder import build_form_class
from .builder import flat_errors
from .builder import form_values_from_stored
from .builder import stored_values
from .builder import validate_data
from .fields import FIELD_FACTORIES
from .library import load_form_specs
from .parsing import parse_form_spec
from .parsing import validate_spec
from .rules import editable_fields
from .rules import may_edit
from .rules import may_see
from .spec import FIELD_TYPES
from .spec import RESERVED_NAMES
from .spec import Condition
from .spec import FieldSpec
from .spec import FormSpec
from .spec import FormSpecError
from .spec import Option
from .spec import Rule
from .visibility import Viewer
from .visibility import Visibility
from .visibility import redact
from .visibility import visible_names

__all__ = [
    "FIELD_FACTORIES",
    "FIELD_TYPES",
    "RESERVED_NAMES",
    "Condition",
    "FieldSpec",
    "FormData",
    "FormSpec",
    "FormSpecError",
    "Option",
    "Rule",
    "Viewer",
    "Visibility",
    "build_form_class",
    "editable_fields",
    "flat_errors",
    "form_values_from_stored",
    "load_form_specs",
    "may_edit",
    "may_see",
    "parse_form_spec",
    "redact",
    "stored_values",
    "validate_data",
    "validate_spec",
    "visible_names",
]
