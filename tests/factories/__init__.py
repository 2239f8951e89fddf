"""Every factory of the suite, in one place: one module per app, re-exported here."""

from tests.factories.core import *  # noqa: F403
