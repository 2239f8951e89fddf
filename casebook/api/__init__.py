"""The REST API machinery every app's `api` module builds on (docs/architecture.md, "The API").

- `viewsets`: `ReadViewSet` / `ServiceViewSet`, the base of every resource (reads through
  selectors, writes through services), `@transition` and `@sub_list` actions.
- `exceptions`: one error shape for every failure (`api_exception_handler`).
- `pagination`: cursor pagination (`CasebookCursorPagination`, 50 a page, at most 200).
- `concurrency`: ETag from `version`, `If-Match` parsing.
- `idempotency`: `IdempotentCreateMixin` (`Idempotency-Key` on POST creates).
- `filters`: `AllowListOrderingFilter` (ordering keys from an allow-list only), `IdFilter`.
- `references`: `resolve(field, getter, **lookup)` turns body ids into objects or field errors.
- `schema`: error responses, `If-Match` and `Idempotency-Key` documented on every operation.
- `urls`: the v1 router; each app's `api` module joins it by name (`APP_APIS`).
"""
