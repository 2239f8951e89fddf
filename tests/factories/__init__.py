"""Every factory of the suite, in one place: one module per app, re-exported here."""

from tests.factories.clients import *  # noqa: F403
from tests.factories.core import *  # noqa: F403
from tests.factories.experts import *  # noqa: F403
from tests.factories.referrals import *  # noqa: F403
