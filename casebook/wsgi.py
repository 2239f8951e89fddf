from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebook.settings")
application = get_wsgi_application()

from casebook.common.runtime import freeze_startup_objects  # noqa: E402

freeze_startup_objects()
