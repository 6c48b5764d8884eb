"""Plan templates and their versions: the SQL of their lifecycle."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, or_, select

from app.db import tables as t
from app.db.accounts import bump_tenant_revision, lock_tenant, tenant_id

__all__ = ["tenant_id"]

TemplateRow = t.PlanTemplate
VersionRow = t.PlanTemplateVersion


def _changed(session: Session, template: TemplateRow) -> None:
    """Count a change of one of the template's versions: snapshots re-read this template alone."""
    session.exec(
        update(TemplateRow).where(col(TemplateRow.id) == template.id).values(revision=TemplateRow.revision + 1)
    )
    bump_tenant_revision(session, template.tenant_id or 0)


def visible_templates(session: Session, owner_id: int | None) -> list[TemplateRow]:
    query = select(TemplateRow).where(or_(col(TemplateRow.tenant_id).is_(None), TemplateRow.tenant_id == owner_id))
    return list(session.exec(query.order_by(TemplateRow.slug)).all())


def find_template(session: Session, slug: str, owner_id: int | None, *, lock: bool = False) -> TemplateRow | None:
    """The caller's own template of that slug, else the shared one. `lock` holds the row until commit."""
    candidates = [owner_id, None] if owner_id is not None else [None]
    for owner in candidates:
        owner_filter = col(TemplateRow.tenant_id).is_(None) if owner is None else TemplateRow.tenant_id == owner
        query = select(TemplateRow).where(TemplateRow.slug == slug, owner_filter)
        row = session.exec(query.with_for_update() if lock else query).first()
        if row is not None:
            return row
    return None


def create_template(session: Session, owner_id: int, slug: str, title: str, description: str) -> TemplateRow:
    row = TemplateRow(tenant_id=owner_id, slug=slug, title=title, description=description, source="tenant")
    session.add(row)
    session.flush()
    bump_tenant_revision(session, owner_id)
    return row


def count_templates(session: Session, owner_id: int) -> int:
    """How many templates the tenant owns, with its row locked so that concurrent creates count in turn."""
    lock_tenant(session, owner_id)
    return session.exec(select(func.count()).select_from(TemplateRow).where(TemplateRow.tenant_id == owner_id)).one()


def count_versions(session: Session, template_id: int) -> int:
    return session.exec(select(func.count()).select_from(VersionRow).where(VersionRow.template_id == template_id)).one()


def versions(session: Session, template_id: int) -> list[VersionRow]:
    query = select(VersionRow).where(VersionRow.template_id == template_id).order_by(col(VersionRow.version))
    return list(session.exec(query).all())


def find_version(session: Session, template_id: int, number: int) -> VersionRow | None:
    query = select(VersionRow).where(VersionRow.template_id == template_id, VersionRow.version == number)
    return session.exec(query).first()


def create_draft(session: Session, template: TemplateRow, body: dict[str, Any]) -> VersionRow:
    """A new draft numbered after the highest version. The caller holds the template row lock (find_template
    with lock=True), so concurrent drafts of one template get distinct, consecutive numbers."""
    highest = session.exec(select(func.max(VersionRow.version)).where(VersionRow.template_id == template.id)).one()
    row = VersionRow(
        template_id=template.id or 0,
        version=(highest or 0) + 1,
        status="draft",
        body=body,
        revision=1,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    _changed(session, template)
    return row


def update_draft(
    session: Session, template: TemplateRow, row: VersionRow, expected_revision: int, body: dict[str, Any]
) -> bool:
    """Compare-and-set on the revision: False when somebody else changed the draft first."""
    result = session.exec(
        update(VersionRow)
        .where(
            col(VersionRow.id) == row.id,
            col(VersionRow.revision) == expected_revision,
            col(VersionRow.status) == "draft",
        )
        .values(body=body, revision=VersionRow.revision + 1)
    )
    if result.rowcount != 1:
        return False
    _changed(session, template)
    session.refresh(row)
    return True


def change_status(
    session: Session, template: TemplateRow, row: VersionRow, *, from_status: str, to_status: str
) -> bool:
    now = datetime.now(UTC)
    stamps = {"published": {"published_at": now}, "retired": {"retired_at": now}}[to_status]
    result = session.exec(
        update(VersionRow)
        .where(col(VersionRow.id) == row.id, col(VersionRow.status) == from_status)
        .values(status=to_status, revision=VersionRow.revision + 1, **stamps)
    )
    if result.rowcount != 1:
        return False
    _changed(session, template)
    session.refresh(row)
    return True
