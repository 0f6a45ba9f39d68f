"""Requests that fail for reasons the user can act on get a Chinese page, never a traceback.

- The database is busy (another writer holds SQLite's lock, a PostgreSQL lock wait timed out): a 503 page
  saying so, with Retry-After; the session write at the end of a request is retried first.
- An upload whose multipart headers Django refuses to parse (a file name of hundreds of characters): the
  upload page again, with the reason, instead of a bare "Bad Request (400)".
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.template.response import TemplateResponse

from commitments.services.busy import BUSY_MESSAGE, database_busy, retry_when_busy

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNPARSABLE_UPLOAD = (
    "上传失败：文件名太长或上传内容不完整，服务器无法读取。请把文件改为较短的名称（200 个字以内）后重新上传。"
)


def busy_page(request: HttpRequest) -> HttpResponse:
    response = TemplateResponse(request, "message.html", {"message": BUSY_MESSAGE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response.render()


class DatabaseBusyMiddleware:
    """A view that failed because the database was busy answers 503 with the Chinese busy page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_busy(exception):
            logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
            return busy_page(request)
        return None


class BusyTolerantSessionMiddleware(SessionMiddleware):
    """Django's session middleware, whose closing write waits out a short lock instead of failing."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return retry_when_busy(super().process_response)(request, response)
        except Exception as exc:
            if database_busy(exc):
                logger.warning("session not saved, database busy: %s", exc)
                return busy_page(request)
            raise


class UnparsableUploadMiddleware:
    """Parse a multipart POST up front, so that a refused one is answered before CSRF and the view read it.

    Placed after the message middleware and before CsrfViewMiddleware, which would otherwise turn the
    parser's error into a bare 400: a signed-in user is sent back to the same page with the reason.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018 - parsing is the point
            except MultiPartParserError as exc:
                logger.info("multipart upload to %s refused: %s", request.path, exc)
                return self._refused(request)
        return self.get_response(request)

    def _refused(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            messages.error(request, UNPARSABLE_UPLOAD)
            return HttpResponseRedirect(request.path)
        return TemplateResponse(request, "message.html", {"message": UNPARSABLE_UPLOAD}, status=400).render()
