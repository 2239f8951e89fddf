"""The application as the end-to-end server runs it: casebook plus its static files.

Production serves static files collected by `collectstatic` through WhiteNoise; the test
server reads them straight from the source tree instead, so nothing is written into it.
"""

from __future__ import annotations

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from casebook.asgi import application as casebook_application

application = ASGIStaticFilesHandler(casebook_application)
