"""The settings the suite runs on: casebook's own, on plain HTTP with a key of its own.

Production refuses to start without SECRET_KEY and serves HTTPS only (docs/security.md);
tests/security/test_settings.py starts the real settings with and without them."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "casebook-test-suite-key-not-for-any-deployment-0123456789")
os.environ.setdefault("HTTPS", "0")

from casebook.settings import *  # noqa: F403
