"""The REST API's conventions, shared by every endpoint under /api/v1/ (docs/api.md).

``views`` (the base classes every endpoint derives from: idempotent POSTs, the caller),
``authentication`` (API keys, sessions), ``permissions``, ``pagination`` (cursor),
``throttling`` (per key), ``idempotency``, ``limits`` (body caps), ``schema`` (OpenAPI with
the error component on every operation) and ``middleware`` (one audit row per key use).
"""
