"""The wire format of UCloud's Jobs API as pydantic models (camelCase on the wire).

Shared by the server, the SDK and the tests, so there is exactly one copy of every JSON shape.
Requests are lenient (unknown fields ignored, optional fields null or absent); responses are strict
(every documented field present, `null` when unset).
"""
