"""Discourse-shaped error responses (notes §1, §2, §3, §9).

Every refusal the emulator makes is an ApiError carrying the status, the JSON body and any extra
headers; the HTTP layer renders it like any other response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# notes §1; wording from discourse/wp-discourse tests quoting the en invalid_api_credentials text.
INVALID_API_CREDENTIALS = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
# notes §2: not found → 404 {"errors":[...],"error_type":"not_found"}
NOT_FOUND = "The requested URL or resource could not be found."
# notes §2: Discourse::InvalidParameters → 400 invalid_parameters
INVALID_PARAMETERS = "You supplied invalid parameters to the request: {name}"
NOT_LOGGED_IN = "You need to be logged in to do that."


@dataclass
class ApiError(Exception):
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.status} {self.body}"


def not_found() -> ApiError:
    return ApiError(404, {"errors": [NOT_FOUND], "error_type": "not_found"})


def topic_not_found() -> ApiError:
    # notes §2: topics#show adds extras (title, html, group) to its 404.
    body = {
        "errors": [NOT_FOUND],
        "error_type": "not_found",
        "extras": {
            "html": "<div class='page-not-found'><h1>Oops! That page doesn’t exist or is "
            "private.</h1></div>",
            "group": None,
        },
    }
    return ApiError(404, body)


def invalid_access(message: str = INVALID_API_CREDENTIALS) -> ApiError:
    return ApiError(403, {"errors": [message], "error_type": "invalid_access"})


def not_logged_in() -> ApiError:
    return ApiError(403, {"errors": [NOT_LOGGED_IN], "error_type": "not_logged_in"})


def invalid_parameters(name: str) -> ApiError:
    return ApiError(
        400, {"errors": [INVALID_PARAMETERS.format(name=name)], "error_type": "invalid_parameters"}
    )


def param_missing(name: str) -> ApiError:
    # notes §2: "plain 400 for a missing required param" (ActionController::ParameterMissing).
    return ApiError(400, {"errors": [f"param is missing or the value is empty: {name}"]})


def record_invalid(errors: list[str]) -> ApiError:
    # notes §2: ActiveRecord invalid → 422 record_invalid
    return ApiError(422, {"errors": errors, "error_type": "record_invalid"})


def create_post_failed(errors: list[str]) -> ApiError:
    # notes §3: post pipeline failure → 422 {"action":"create_post","errors":[...]} (no error_type)
    return ApiError(422, {"action": "create_post", "errors": errors})


def plain_422(errors: list[str]) -> ApiError:
    # notes §2: render_json_error defaults to 422 without error_type (e.g. a taken category name).
    return ApiError(422, {"errors": errors})


def rate_limited(wait_seconds: int, error_code: str | None) -> ApiError:
    """notes §9: app-level 429, JSON with extras.wait_seconds/time_left, Retry-After, and the
    limiter's error code header. time_left follows core lib/rate_limiter/limit_exceeded.rb:
    "a few seconds" up to 3 s, otherwise "N seconds"."""
    time_left = "a few seconds" if wait_seconds <= 3 else f"{wait_seconds} seconds"
    body = {
        "errors": [
            f"You’ve performed this action too many times. Please wait {time_left} before trying "
            "again."
        ],
        "error_type": "rate_limit",
        "extras": {"wait_seconds": wait_seconds, "time_left": time_left},
    }
    headers = {"Retry-After": str(wait_seconds)}
    if error_code:
        headers["Discourse-Rate-Limit-Error-Code"] = error_code
    return ApiError(429, body, headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"errors": [message], "error_type": "invalid_parameters"})


def payload_too_large(limit: int) -> ApiError:
    # Emulator choice: Discourse's nginx refuses bodies over client_max_body_size with 413.
    return ApiError(413, {"errors": [f"Request body is larger than {limit} bytes."]})
