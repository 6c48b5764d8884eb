"""Plan templates: reads, drafts with optimistic concurrency, publish and retire, diffs.

Published versions never change. Each write is one transaction; the template row is locked while a draft is
numbered, so concurrent drafts of one template get distinct, consecutive versions.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import templates as repo
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from app.schemas.problem import FieldError
from app.schemas.templates import (
    Change,
    DraftCreate,
    TemplateCreate,
    TemplateDiff,
    TemplateModes,
    TemplateOut,
    VersionOut,
    VersionSummary,
)
from app.services.accounts import Principal
from app.services.writes import IdempotencyKey, write

SOURCE_OF_TENANT_VERSIONS = "tenant"


def _owner_id(session: Session, principal: Principal | None) -> int | None:
    return repo.tenant_id(session, principal.tenant) if principal else None


def _template(session: Session, slug: str, principal: Principal | None, *, lock: bool = False) -> repo.TemplateRow:
    row = repo.find_template(session, slug, _owner_id(session, principal), lock=lock)
    if row is None:
        raise NotFound(f"no plan template '{slug}'")
    return row


def _writable(session: Session, slug: str, principal: Principal) -> repo.TemplateRow:
    row = _template(session, slug, principal, lock=True)
    if row.tenant_id is None:
        raise Forbidden(f"'{slug}' is a shared template and read-only; create your own", code="shared_read_only")
    return row


def _version(session: Session, template: repo.TemplateRow, number: int) -> repo.VersionRow:
    row = repo.find_version(session, template.id or 0, number)
    if row is None:
        known = [str(v.version) for v in repo.versions(session, template.id or 0)]
        raise NotFound(f"template '{template.slug}' has no version {number}", allowed=known)
    return row


def etag(row: repo.VersionRow) -> str:
    # Numbers of this template alone: an ETag of global row ids would show other tenants' write activity.
    return f'"{row.version}.{row.revision}"'


# --- stored body <-> API shape ------------------------------------------------------------------------------
def _modes_out(body: dict[str, Any]) -> TemplateModes:
    return TemplateModes.model_validate(
        {
            mode: {**spec, "phases": [{"phase": phase, **values} for phase, values in spec["phases"].items()]}
            for mode, spec in body["modes"].items()
        }
    )


def _body(modes: TemplateModes, source: str) -> dict[str, Any]:
    dumped = modes.model_dump()
    return {
        "modes": {
            mode: {**spec, "phases": {p.pop("phase"): p for p in spec["phases"]}} for mode, spec in dumped.items()
        },
        "source": source,
    }


def _summary(row: repo.VersionRow) -> VersionSummary:
    return VersionSummary(
        version=row.version,
        status=row.status,
        created_at=row.created_at,
        published_at=row.published_at,
        retired_at=row.retired_at,
    )


def _version_out(template: repo.TemplateRow, row: repo.VersionRow) -> VersionOut:
    return VersionOut(
        **_summary(row).model_dump(),
        template=template.slug,
        modes=_modes_out(row.body),
        source=row.body.get("source", ""),
        etag=etag(row),
    )


def _template_out(session: Session, row: repo.TemplateRow) -> TemplateOut:
    versions = repo.versions(session, row.id or 0)
    published = [v.version for v in versions if v.status == "published"]
    return TemplateOut(
        slug=row.slug,
        title=row.title,
        description=row.description,
        owner="shared" if row.tenant_id is None else "tenant",
        is_default=row.is_default,
        latest_published=published[-1] if published else None,
        versions=[_summary(v) for v in versions],
    )


# --- reads -----------------------------------------------------------------------------------------------------
def list_templates(engine: Engine, principal: Principal | None) -> list[TemplateOut]:
    with Session(engine) as session:
        return [_template_out(session, row) for row in repo.visible_templates(session, _owner_id(session, principal))]


def get_template(engine: Engine, slug: str, principal: Principal | None) -> TemplateOut:
    with Session(engine) as session:
        return _template_out(session, _template(session, slug, principal))


def list_versions(engine: Engine, slug: str, principal: Principal | None) -> list[VersionSummary]:
    with Session(engine) as session:
        return [_summary(v) for v in repo.versions(session, _template(session, slug, principal).id or 0)]


def get_version(engine: Engine, slug: str, number: int, principal: Principal | None) -> VersionOut:
    with Session(engine) as session:
        template = _template(session, slug, principal)
        return _version_out(template, _version(session, template, number))


def diff(engine: Engine, slug: str, before: int, after: int, principal: Principal | None) -> TemplateDiff:
    with Session(engine) as session:
        template = _template(session, slug, principal)
        old, new = _version(session, template, before).body, _version(session, template, after).body
    flat_old, flat_new = _flatten(old["modes"]), _flatten(new["modes"])
    changes = [
        Change(path=path, before=flat_old.get(path), after=flat_new.get(path))
        for path in sorted(set(flat_old) | set(flat_new))
        if flat_old.get(path) != flat_new.get(path)
    ]
    return TemplateDiff(template=slug, from_version=before, to_version=after, changes=changes)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _flatten(value, f"{path}.")
        else:
            flat[path] = value
    return flat


# --- writes ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quotas:
    """How much one tenant may store (CEPLAN_MAX_*): past a quota a write gets 403 quota_exceeded."""

    templates_per_tenant: int
    versions_per_template: int


def _check_quota(used: int, limit: int, what: str) -> None:
    if used >= limit:
        raise Forbidden(f"your tenant has reached its quota of {limit} {what}", code="quota_exceeded")


def create_template(
    engine: Engine,
    data: TemplateCreate,
    principal: Principal,
    quotas: Quotas,
    idempotency: IdempotencyKey | None = None,
) -> TemplateOut:
    def perform(session: Session, owner: int) -> TemplateOut:
        if repo.find_template(session, data.slug, owner) is not None:
            raise Conflict(f"a plan template '{data.slug}' already exists", code="template_exists")
        _check_quota(repo.count_templates(session, owner), quotas.templates_per_tenant, "plan templates")
        return _template_out(session, repo.create_template(session, owner, data.slug, data.title, data.description))

    try:
        return write(engine, principal, idempotency, TemplateOut, perform)
    except IntegrityError as error:  # a concurrent create of the same slug won the race
        raise Conflict(f"a plan template '{data.slug}' already exists", code="template_exists") from error


def create_draft(
    engine: Engine,
    slug: str,
    data: DraftCreate,
    principal: Principal,
    quotas: Quotas,
    idempotency: IdempotencyKey | None = None,
) -> VersionOut:
    if (data.copy_from is None) == (data.modes is None):
        raise InvalidInput(
            "give exactly one of `copy_from` and `modes`",
            errors=[FieldError(field="copy_from", message="give copy_from or modes, not both")],
        )

    def perform(session: Session, _owner: int) -> VersionOut:
        template = _writable(session, slug, principal)
        _check_quota(
            repo.count_versions(session, template.id or 0), quotas.versions_per_template, "versions a template"
        )
        if data.modes is not None:
            body = _body(data.modes, SOURCE_OF_TENANT_VERSIONS)
        else:
            body = _version(session, template, data.copy_from or 0).body
        return _version_out(template, repo.create_draft(session, template, body))

    return write(engine, principal, idempotency, VersionOut, perform)


def update_draft(
    engine: Engine, slug: str, number: int, modes: TemplateModes, if_match: str | None, principal: Principal
) -> VersionOut:
    if if_match is None:
        raise PreconditionRequired("send the version's ETag as If-Match, so a stale copy cannot overwrite it")

    def perform(session: Session, _owner: int) -> VersionOut:
        template = _writable(session, slug, principal)
        row = _version(session, template, number)
        if row.status != "draft":
            raise Conflict(f"version {number} is {row.status}: only drafts change", code="version_immutable")
        if if_match.strip() != etag(row):
            raise PreconditionFailed(f"version {number} has changed since {if_match}; its ETag is now {etag(row)}")
        if not repo.update_draft(session, template, row, row.revision, _body(modes, SOURCE_OF_TENANT_VERSIONS)):
            raise PreconditionFailed(f"version {number} changed while this edit was applied; fetch it again")
        return _version_out(template, row)

    # If-Match already makes a retried edit safe: the second attempt meets the new ETag (412), never a double edit.
    return write(engine, principal, None, VersionOut, perform)


def publish(
    engine: Engine, slug: str, number: int, principal: Principal, idempotency: IdempotencyKey | None = None
) -> VersionOut:
    return _transition(engine, slug, number, principal, idempotency, ("draft", "published"))


def retire(
    engine: Engine, slug: str, number: int, principal: Principal, idempotency: IdempotencyKey | None = None
) -> VersionOut:
    return _transition(engine, slug, number, principal, idempotency, ("published", "retired"))


def _transition(
    engine: Engine,
    slug: str,
    number: int,
    principal: Principal,
    idempotency: IdempotencyKey | None,
    change: tuple[str, str],
) -> VersionOut:
    start, end = change

    def perform(session: Session, _owner: int) -> VersionOut:
        template = _writable(session, slug, principal)
        row = _version(session, template, number)
        if not repo.change_status(session, template, row, from_status=start, to_status=end):
            raise Conflict(
                f"version {number} is {row.status}; only a {start} version can become {end}", code="invalid_transition"
            )
        return _version_out(template, row)

    return write(engine, principal, idempotency, VersionOut, perform)
