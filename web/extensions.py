"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from workflow.database import postgres_settings
from workflow.database import sqlite_pragmas

# pool_pre_ping: a connection the database dropped (restart, failover) is replaced before use
# instead of failing the request that drew it from the pool.
db = SQLAlchemy(engine_options={"pool_pre_ping": True})
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
bootstrap = Bootstrap5()
# Per-address limits (only on the routes that name one); storage from RATELIMIT_STORAGE_URI:
# Redis when REDIS_URL is set (shared by every process), else this process's memory.
limiter = Limiter(key_func=get_remote_address)


# Every engine the app creates gets the SQLite pragmas (other databases are left alone).
event.listen(Engine, "connect", sqlite_pragmas)
event.listen(Engine, "connect", postgres_settings)
