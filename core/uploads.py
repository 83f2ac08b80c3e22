"""Request size limits per route: every form keeps MAX_CONTENT_LENGTH (64 KB); a route that
takes a file gets its own limit from the setting named here.

The limit has to be known before the first read of the body, and CSRF and the input guard read
the form in `before_request`, before any view runs; so the request itself answers
`max_content_length` from the matched endpoint (routing happens before `before_request`)."""

from __future__ import annotations

from flask import Request, current_app

# endpoint → the config key of its file limit
UPLOAD_LIMITS = {"staff.visit_document": "DOCUMENT_MAX_BYTES"}
OVERHEAD = 16 * 1024  # the other fields and the multipart boundaries around the file


def upload_limit(endpoint: str | None) -> int | None:
    """The route's file limit in bytes (the file itself, without OVERHEAD), or None."""
    key = UPLOAD_LIMITS.get(endpoint or "")
    return int(current_app.config[key]) if key else None


class LimitedRequest(Request):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if current_app and self.url_rule is not None:
            limit = upload_limit(self.url_rule.endpoint)
            if limit is not None:
                return limit + OVERHEAD
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
