"""Exceptions the hub turns into plain HTTP errors rather than XML-RPC faults."""


class ServerError(Exception):
    """Base class for HTTP-level hub errors."""


class ServerRedirect(ServerError):
    """Redirect the client (kept for API compatibility; the hub does not raise it)."""


class BadRequest(ServerError):
    """The request body could not be accepted (HTTP 400)."""


class RequestTimeout(ServerError):
    """Reading the request body timed out (HTTP 408)."""
