"""Code shared by every app: Japanese data conventions, fiscal years, domain errors."""
