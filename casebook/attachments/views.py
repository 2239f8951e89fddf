"""Adding a file to a case or to another app's object (a visit report) and downloading one
(docs/security.md, "Attachments").

The download is the only way to a file's bytes: the policy first (404 otherwise), the
read access-logged on confidential and restricted cases, and an answer no browser runs
(`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.attachments import files, policy, selectors, services
from casebook.attachments.forms import AttachmentForm, HostAttachmentForm
from casebook.common.web import form_action, new_form_token, page_view
from casebook.intake import selectors as case_selectors
from casebook.intake import services as case_services
from casebook.intake.models import Case


@page_view
@require_http_methods(["GET", "POST"])
def attachment_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_selectors.case_get_for_user(user=request.user, pk=pk)
    case_services.access_log_record(user=request.user, cases=[case], via="attachment")
    policy.require_attach(request.user, case)
    sessions = case.sessions.order_by("-started_at", "-id")
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES, sessions=sessions)
    else:
        form = AttachmentForm(initial={"form_token": new_form_token()}, sessions=sessions)
    case_url = reverse("case_detail", args=[case.pk])

    def render_form(form: AttachmentForm, status: int) -> HttpResponse:
        context = {"case": case, "form": form, "cancel_url": case_url}
        return render(request, "attachments/attachment_new.html", context, status=status)

    return form_action(
        request,
        form=form,
        perform=lambda data: services.attachment_add(
            case=case, by=request.user, upload=data["file"], session=data["session"]
        ),
        done=lambda attachment: _("Attached %s.") % attachment.name,
        success_url=case_url + "#attachments",
        render_form=render_form,
        once=True,
    )


@page_view
@require_http_methods(["GET", "POST"])
def attachment_new_on(request: HttpRequest, pk: int, host: str) -> HttpResponse:
    """A file for an object of another app (`host`, e.g. a visit report): the object through
    its app's getter (404), its rule (403); the page names the object only, never its case
    (on a restricted case the expert sees the visit, not the case, docs/exits.md)."""
    found = policy.host(host)
    obj = found.get(request.user, pk)
    policy.require_attach_to(request.user, found, obj)
    if request.method == "POST":
        form = HostAttachmentForm(request.POST, request.FILES)
    else:
        form = HostAttachmentForm(initial={"form_token": new_form_token()})
    back_url = found.url(obj)

    def render_form(form: HostAttachmentForm, status: int) -> HttpResponse:
        context = {"obj": obj, "host": found.key, "form": form, "cancel_url": back_url}
        return render(request, "attachments/attachment_new_on.html", context, status=status)

    return form_action(
        request,
        form=form,
        perform=lambda data: services.attachment_add_to(
            host=found, obj=obj, by=request.user, upload=data["file"]
        ),
        done=lambda attachment: _("Attached %s.") % attachment.name,
        success_url=back_url + "#attachments",
        render_form=render_form,
        once=True,
    )


@page_view
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    return attachment_response(request, pk)


def attachment_response(request: HttpRequest, pk: int) -> HttpResponse:
    """The bytes of a file `request.user` may see (the web download and the API's alike)."""
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
    case: Case = attachment.case
    store = files.store()
    try:
        handle = store.open(attachment.stored_name, "rb")
    except FileNotFoundError:
        raise Http404("the file is missing from the store") from None
    case_services.access_log_record(
        user=request.user,
        cases=[case],
        via=f"attachment:{attachment.pk}",
        levels=policy.LOGGED_LEVELS,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
