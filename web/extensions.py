"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflow.database import sqlite_pragmas

# pool_pre_ping: a connection the database dropped (restart, failover) is replaced before use
# instead of failing the request that drew it from the pool.
db = SQLAlchemy(engine_options={"pool_pre_ping": True})
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
bootstrap = Bootstrap5()


# Every engine the app creates gets the SQLite pragmas (other databases are left alone).
event.listen(Engine, "connect", sqlite_pragmas)
