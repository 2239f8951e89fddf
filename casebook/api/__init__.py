"""The REST API machinery every app's `api.py` builds on.

- `exceptions`: one error shape for every failure (`api_exception_handler`).
- `pagination`: cursor pagination (`CasebookCursorPagination`, 50 a page, at most 200).
- `concurrency`: `VersionedUpdateMixin` (ETag from `version`, `If-Match` on PUT/PATCH).
- `idempotency`: `IdempotentCreateMixin` (`Idempotency-Key` on POST creates).
- `filters`: `AllowListOrderingFilter` (ordering keys from an allow-list only), `IdFilter`.
- `views`: `ServiceCreateMixin` (POST parsed by an input serializer, created by a service).
- `references`: `resolve(field, getter, value)` turns body ids into objects or field errors.
- `schema`: error responses, `If-Match` and `Idempotency-Key` documented on every operation.
- `urls`: the v1 router; an app's `api.py` joins it with `register(router)` and may add plain
  views with a module-level `urlpatterns` list (mounted under `/api/v1/`).
"""
