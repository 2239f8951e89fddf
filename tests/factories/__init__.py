"""Every factory of the suite, in one place: one module per app, re-exported here."""

from tests.factories.clients import *  # noqa: F403
from tests.factories.core import *  # noqa: F403
from tests.factories.exits import *  # noqa: F403
from tests.factories.experts import *  # noqa: F403
from tests.factories.referrals import *  # noqa: F403
from tests.factories.reports import *  # noqa: F403
from tests.factories.satellites import *  # noqa: F403
