"""What a server process does once it has started, and after each answer it sends
(docs/performance.md, "The pages' tail" and "A request's objects freed when its answer is
sent")."""

from __future__ import annotations

import gc
from functools import partial

from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject, empty


def freeze_startup_objects() -> None:
    """Leave the objects made while starting out of Python's full garbage collections.

    The modules, models, URL patterns and templates of a started process (about 190,000
    objects) live as long as it does, yet every full collection walked all of them: 250 ms
    in the middle of a request on a busy machine, the p95 of the case page and the board.
    Frozen, a full collection walks only what requests left behind (a few ms). Garbage
    already unreachable is collected first, so that nothing is frozen that should be freed.
    """
    gc.collect()
    gc.freeze()


def free_request_objects(request: HttpRequest, response: HttpResponseBase) -> None:
    """Break the reference cycles a request's objects form, so that they are freed by their
    count once the answer is sent rather than by the garbage collector.

    Django's request holds its lazy user and its message storage, and each refers back to it;
    DRF's view holds its request and its answer, the request's parser context holds the view
    and the request, the answer's renderer context holds the view, the request and the
    answer. Left as they are, a list's page (its rows, their rendered values, the URL
    resolver's tries) waits in cycles for a collection, and the collections it brings on fell
    in the middle of later requests: a young collection for every second list request, and
    every twentieth request paying a middle-generation one of several ms, the lists' p95
    (docs/performance.md, "A request's objects freed when its answer is sent")."""
    context = getattr(response, "renderer_context", None)
    if isinstance(context, dict):
        response.renderer_context = None
        view, drf_request = context.get("view"), context.get("request")
        if drf_request is not None:
            drf_request.parser_context = None
        if view is not None:
            view.__dict__.clear()
    attributes = request.__dict__
    attributes.pop("auser", None)
    attributes.pop("_messages", None)
    user = attributes.get("user")
    if isinstance(user, SimpleLazyObject):
        # The user as read (the lazy object's function is a closure over the request); one
        # never read keeps its lazy object.
        wrapped = user._wrapped
        if wrapped is not empty:
            attributes["user"] = wrapped


class FreeWhenSentMiddleware(MiddlewareMixin):
    """Frees each request's objects once its answer is sent (`free_request_objects`): the
    server closes the answer after sending it, and the answer's closers run then."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        response._resource_closers.append(partial(free_request_objects, request, response))
        return response
