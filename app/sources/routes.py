"""Operator pages for the HTTP data sources: configure, see the last pull, pull now."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ServiceError
from app.forms import attach_error
from app.sources import services
from app.sources.forms import PullForm, SourceForm
from app.sources.models import ENTERPRISE_SOURCES
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("sources", __name__, url_prefix="/admin/sources")


def batch_url(batch_id: int | None) -> str | None:
    """The import batch page, when the ingest pages are installed."""
    if not batch_id:
        return None
    try:
        return url_for("ingest.batch", batch_id=batch_id)
    except BuildError:
        return None


@bp.route("")
@role_required(Role.ADMIN)
def index():
    configured = {ds.source: ds for ds in services.list_sources()}
    rows = [(name, configured.get(name)) for name in ENTERPRISE_SOURCES]
    return render_template(
        "sources/index.html",
        rows=rows,
        pull_form=PullForm(),
        masked_token=services.masked_token,
        batch_url=batch_url,
    )


@bp.route("/<source>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(source: str):
    if source not in ENTERPRISE_SOURCES:
        abort(404)
    ds = services.get_source(source)
    form = SourceForm(obj=ds, url=ds.base_url if ds else None)
    if form.validate_on_submit():
        try:
            services.set_source(
                source,
                form.url.data,
                form.token.data or None,
                interval_minutes=form.interval_minutes.data,
                timeout_seconds=form.timeout_seconds.data,
                enabled=form.enabled.data,
                user_id=current_user.id,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
        else:
            flash(_("数据源 %(source)s 已保存", source=source), "success")
            return redirect(url_for("sources.index"))
    return render_template(
        "sources/edit.html",
        source=source,
        ds=ds,
        form=form,
        masked=services.masked_token(ds) if ds else None,
    ), (422 if form.errors else 200)


@bp.route("/<source>/pull", methods=["POST"])
@role_required(Role.ADMIN)
def pull(source: str):
    if source not in ENTERPRISE_SOURCES:
        abort(404)
    form = PullForm()
    if not form.validate_on_submit():
        abort(400)
    # A unit of work of its own: commits the batch, or the failure on the source (a refused
    # pull keeps that failure and nothing else).
    with refusal_flashed():
        data = services.pull_source(source, user_id=current_user.id).to_dict()
        flash(_("拉取完成：%(source)s", source=source), "success")
        return render_template(
            "sources/pulled.html", summary=data, batch_link=batch_url(data.get("batch_id"))
        )
    return redirect(url_for("sources.index"))
