"""Writes for grids: boundaries, assignments, visits, campaigns and their reach. Every service checks
the user's role over the division it touches, runs in one transaction and raises ValidationError keyed
by field (translated), or PermissionDenied."""

import base64
import datetime as dt
import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.models import Role, User
from linli.core import crypto
from linli.core.scoping import forget_grants, has_role_over
from linli.core.templatetags.linli_format import format_when
from linli.divisions.models import Division
from linli.grids import geometry, imports
from linli.grids.models import Campaign, GridAssignment, Reach, RegisterImport, Visit
from linli.jobs import services as jobs
from linli.jobs.models import Job
from linli.jobs.selectors import job_for
from linli.people import services as people_services
from linli.people.models import Household, Person

log = logging.getLogger(__name__)

# Who may record a visit or a reach: the grid's own worker, or staff above it.
RECORDERS = Role.PEOPLE_KEEPERS
PHOTO_MAX_BYTES = 5 * 1024 * 1024
_PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=10)


def _require(by, roles, division, message):
    if not has_role_over(by, roles, division):
        raise PermissionDenied(message)


def _key(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({"submission_key": _("The submission key is not a UUID.")}) from None


# Boundaries -----------------------------------------------------------------------------------------

@transaction.atomic
def grid_boundary_set(*, by, grid: Division, boundary: dict | None) -> Division:
    """Set a grid's polygon: valid (no self-intersection), in China, not overlapping a sibling grid."""
    _require(by, Role.STAFF, grid, _("Only community staff draw grid boundaries."))
    if grid.level != Division.Level.GRID:
        raise ValidationError({"grid": _("Only a grid has a grid boundary.")})
    if boundary:
        poly = geometry.parse_polygon(boundary)
        siblings = Division.objects.filter(parent_id=grid.parent_id, level=Division.Level.GRID,
                                           boundary__isnull=False).exclude(pk=grid.pk)
        clash = geometry.overlaps(poly, siblings)
        if clash:
            raise ValidationError({"boundary": _("This polygon overlaps %(names)s; neighbouring grids may share "
                                                 "an edge but not homes.") % {"names": "、".join(g.name for g in clash)}})
        boundary = poly.__geo_interface__ if boundary.get("type") in ("Feature", "FeatureCollection") else boundary
        boundary = {"type": boundary["type"], "coordinates": boundary["coordinates"]}
    grid.boundary = boundary or None
    grid.save(update_fields=["boundary"])
    return grid


# Assignments ----------------------------------------------------------------------------------------

@transaction.atomic
def assignment_start(*, by, grid: Division, user: User, kind: str = GridAssignment.Kind.WORKER,
                     start_date: dt.date | None = None) -> GridAssignment:
    """Designate a grid worker (or deputy) from a date; grants the grid-worker role over the grid."""
    _require(by, Role.STAFF, grid, _("Only community staff assign grid workers."))
    if grid.level != Division.Level.GRID:
        raise ValidationError({"grid": _("Grid workers are assigned to a grid.")})
    if kind not in GridAssignment.Kind.values:
        raise ValidationError({"kind": _("Choose grid worker or deputy.")})
    if GridAssignment.objects.filter(grid=grid, user=user, end_date__isnull=True).exists():
        raise ValidationError({"user": _("%(name)s already works this grid.") % {"name": user}})
    assignment = GridAssignment.objects.create(grid=grid, user=user, kind=kind,
                                               start_date=start_date or timezone.localdate())
    Role.objects.get_or_create(user=user, kind=Role.Kind.GRID_WORKER, division=grid, defaults={"granted_by": by})
    forget_grants(user)
    return assignment


@transaction.atomic
def assignment_end(*, by, assignment: GridAssignment, end_date: dt.date | None = None) -> GridAssignment:
    """End an assignment (the record stays); the grid-worker role over the grid goes with it."""
    _require(by, Role.STAFF, assignment.grid, _("Only community staff assign grid workers."))
    end_date = end_date or timezone.localdate()
    if assignment.end_date is not None:
        raise ValidationError({"end_date": _("This assignment has already ended.")})
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("An assignment cannot end before it started.")})
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    Role.objects.filter(user=assignment.user, kind=Role.Kind.GRID_WORKER, division=assignment.grid).delete()
    forget_grants(assignment.user)
    return assignment


# Visits ---------------------------------------------------------------------------------------------

def _check_photo(photo) -> None:
    if photo is None:
        return
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _("A photo may be at most 5 MB.")})
    head = photo.read(12)
    photo.seek(0)
    if not any(head.startswith(m) for m in _PHOTO_MAGIC):
        raise ValidationError({"photo": _("Upload a JPEG, PNG or WebP photo.")})


@transaction.atomic
def visit_record(*, by, household: Household, visited_on: dt.date | None = None, met: Person | None = None,
                 nobody_home: bool = False, notes: str = "", needs: str = "", photo=None,
                 submission_key=None, campaigns: Iterable[Campaign] = ()) -> tuple[Visit, bool]:
    """Record a visit to a household in a grid the user works (or keeps). Idempotent: the same
    submission key returns the visit already recorded, with created=False. A visit where someone was
    met also reaches the `campaigns` delivered on it (method: home visit), so nobody enters it twice."""
    _require(by, RECORDERS, household.division, _("You may record visits only in your own grids."))
    key = _key(submission_key)
    if key is not None:
        existing = Visit.objects.filter(submission_key=key).first()
        if existing is not None:
            if existing.household_id != household.pk:
                raise ValidationError({"submission_key": _("This submission key belongs to another record.")})
            return existing, False
    today = timezone.localdate()
    visited_on = visited_on or today
    errors = {}
    if visited_on > today:
        errors["visited_on"] = _("A visit cannot be in the future.")
    elif visited_on < today - dt.timedelta(days=366):
        errors["visited_on"] = _("Record visits within a year of making them.")
    if met is not None and not met.memberships.filter(household=household, end_date__isnull=True).exists():
        errors["met"] = _("Choose someone who lives in this household.")
    if met is not None and nobody_home:
        errors["nobody_home"] = _("Either someone was met or nobody was at home.")
    campaigns = list(campaigns)
    if campaigns and nobody_home:
        errors["campaigns"] = _("Nobody was at home: no campaign reached this household.")
    if errors:
        raise ValidationError(errors)
    _check_photo(photo)
    visit = Visit(household=household, division=household.division, visited_on=visited_on, met=met,
                  nobody_home=nobody_home, notes=(notes or "").strip(), needs=(needs or "").strip(),
                  recorded_by=by)
    if key is not None:
        visit.submission_key = key
    if photo is not None:
        visit.photo = photo
    visit.full_clean(exclude=["photo", "submission_key"])
    try:
        with transaction.atomic():
            visit.save()
            at = timezone.make_aware(dt.datetime.combine(visited_on, dt.time(12))) if visited_on != today \
                else timezone.now()
            for campaign in campaigns:
                if not Reach.objects.filter(campaign=campaign, household=household).exists():
                    reach_record(by=by, campaign=campaign, household=household, method=Campaign.Method.VISIT,
                                 reached_at=at, note=str(_("on a home visit")))
    except IntegrityError:  # the same key arrived twice at once: the first one stands
        existing = Visit.objects.filter(submission_key=key).first() if key else None
        if existing is None:
            raise
        return existing, False
    return visit, True


def visit_need_as_case(*, visit: Visit) -> dict:
    """What a case raised from a visit's needs starts with, so nobody types it again (used by the cases
    feature once it exists)."""
    return {"division": visit.division, "household": visit.household, "person": visit.met,
            "description": visit.needs, "source": "visit", "source_id": visit.pk}


# Campaigns ------------------------------------------------------------------------------------------

@transaction.atomic
def campaign_create(*, by, title: str, content: str, division: Division, scope: Iterable[Division] = (),
                    starts_on: dt.date, deadline: dt.date, methods: Iterable[str]) -> Campaign:
    """Start a campaign run by `division` for the households under `scope` (default: all of it)."""
    _require(by, Role.STAFF, division, _("Only county or community staff start campaigns."))
    scope = list(scope) or [division]
    methods = list(dict.fromkeys(methods))
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the campaign a title.")
    if not content.strip():
        errors["content"] = _("Say what residents must be told.")
    if deadline < starts_on:
        errors["deadline"] = _("The deadline is before the start.")
    if not methods or set(methods) - set(Campaign.Method.values):
        errors["methods"] = _("Choose at least one reach method.")
    outside = [d.name for d in scope if not d.is_within(division)]
    if outside:
        errors["scope"] = _("%(names)s is outside %(division)s.") % {"names": "、".join(outside),
                                                                     "division": division.name}
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.create(title=title.strip(), content=content.strip(), division=division,
                                       starts_on=starts_on, deadline=deadline, methods=methods, created_by=by)
    campaign.scope.set(scope)
    _campaign_tell(campaign, scope)
    return campaign


def _campaign_tell(campaign: Campaign, scope: list[Division]) -> None:
    """Tell the grid workers of every grid under the campaign's scope that it has started."""
    from django.db.models import Q
    from django.urls import reverse

    from linli.notifications.services import notify_all

    under = Q(pk__in=[])
    for d in scope:
        under |= Q(path__startswith=d.path)
    notify_all(recipients=[user for _grid, user in grid_workers(under)], key="campaign.started",
               obj=reverse("grids:campaign_detail", args=[campaign.pk]),
               params={"title": campaign.title, "scope": "、".join(d.name for d in scope),
                       "starts": campaign.starts_on.isoformat(), "deadline": campaign.deadline.isoformat()},
               dedup_key=f"campaign.started:{campaign.pk}")


def in_campaign_scope(campaign: Campaign, division: Division) -> bool:
    return any(division.is_within(d) for d in campaign.scope.all())


@transaction.atomic
def reach_record(*, by, campaign: Campaign, household: Household, method: str,
                 reached_at: dt.datetime | None = None, note: str = "", submission_key=None) -> tuple[Reach, bool]:
    """Mark a household reached by a campaign. A household is reached once per campaign: the same
    submission key returns the reach already recorded (created=False, e.g. a phone syncing twice); a
    second reach with another key is refused, naming when and how the household was reached."""
    _require(by, RECORDERS, household.division, _("You may record reach only in your own grids."))
    key = _key(submission_key)
    if key is not None:
        existing = Reach.objects.filter(submission_key=key).first()
        if existing is not None:
            if (existing.campaign_id, existing.household_id) != (campaign.pk, household.pk):
                raise ValidationError({"submission_key": _("This submission key belongs to another record.")})
            return existing, False
    now = timezone.now()
    reached_at = reached_at or now
    errors = {}
    if not in_campaign_scope(campaign, household.division):
        errors["household"] = _("This household is outside the campaign's scope.")
    if method not in campaign.methods:
        errors["method"] = _("This campaign allows: %(methods)s.") % {"methods": "、".join(campaign.method_labels())}
    if reached_at > now + CLOCK_SKEW:
        errors["reached_at"] = _("The time of reach is in the future.")
    elif timezone.localdate(reached_at) < campaign.starts_on:
        errors["reached_at"] = _("The campaign starts on %(date)s.") % {"date": format_when(campaign.starts_on, "fulldate")}
    if errors:
        raise ValidationError(errors)
    earlier = Reach.objects.filter(campaign=campaign, household=household).first()
    if earlier is not None:
        if key is not None and earlier.submission_key == key:  # the same phone's resend won meanwhile
            return earlier, False
        raise _already_reached(earlier)
    reach = Reach(campaign=campaign, household=household, division=household.division, method=method,
                  reached_at=reached_at, note=(note or "").strip()[:200], recorded_by=by)
    if key is not None:
        reach.submission_key = key
    try:
        with transaction.atomic():
            reach.save()
    except IntegrityError:  # a concurrent submission won: the same key is that reach, another key is refused
        if key is not None:
            existing = Reach.objects.filter(submission_key=key).first()
            if existing is not None:
                return existing, False
        earlier = Reach.objects.filter(campaign=campaign, household=household).first()
        if earlier is None:
            raise
        raise _already_reached(earlier) from None
    return reach, True


def _already_reached(earlier: Reach) -> ValidationError:
    return ValidationError({"household": ValidationError(
        _("This household was already reached on %(date)s (%(method)s); a household is counted once per campaign.")
        % {"date": format_when(earlier.reached_at, "stamp"),
           "method": earlier.get_method_display()}, code="already_reached")})


# Register import ------------------------------------------------------------------------------------

IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ERRORS_KEPT = 2000


def _require_some_keeping(by) -> None:
    from linli.people import selectors as people_selectors

    if not people_selectors.keeper_divisions(user=by).exists():
        raise PermissionDenied(_("You do not keep the residents of any grid."))


def _store_preview(register_import: RegisterImport, preview) -> None:
    summary = preview.summary()
    summary["error_list"] = [{"row": e.row, "column": e.column, "message": e.message}
                             for e in preview.errors[:IMPORT_MAX_ERRORS_KEPT]]
    summary["sample"] = imports.sample(preview)
    register_import.summary = summary


@transaction.atomic
def register_import_start(*, by, file_name: str, data: bytes) -> tuple[RegisterImport, "imports.Preview"]:
    """Check an uploaded register workbook and keep it (encrypted) for the commit; writes nothing else."""
    _require_some_keeping(by)
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB; split it.")})
    preview = imports.read(data, user=by)
    register_import = RegisterImport(file_name=(file_name or "register.xlsx")[:200], created_by=by,
                                     sha256=hashlib.sha256(data).hexdigest(),
                                     payload_encrypted=crypto.encrypt(base64.b64encode(data).decode()))
    _store_preview(register_import, preview)
    register_import.save()
    return register_import, preview


def register_import_commit(*, by, register_import: RegisterImport, claimed_at: dt.datetime | None = None,
                           on_progress: Callable[[int], None] | None = None) -> RegisterImport:
    """Register every new household and person of a previewed workbook, all or nothing: the file is
    checked again (the register may have changed since the preview; the new errors are kept for the
    preview page), then written in one transaction through the people services, which check each row
    again; any error rolls everything back. Rows already on the register are left as they are, so
    importing the same file twice changes nothing. Called directly it commits a previewed import; the
    background thread passes the `claimed_at` of its claim and commits only while that claim stands."""
    if register_import.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who uploaded this file may import it."))
    expected = RegisterImport.Status.COMMITTING if claimed_at else RegisterImport.Status.PREVIEWED
    if register_import.status != expected:
        raise _not_committable(register_import.status)
    data = base64.b64decode(crypto.decrypt(register_import.payload_encrypted))
    preview = imports.read(data, user=by)
    if not preview.ok:
        _store_preview(register_import, preview)
        register_import.save(update_fields=["summary"])
        raise ValidationError({"file": _("The file has errors; nothing was imported.")})
    if on_progress:
        on_progress(IMPORT_PROGRESS_READ)
    with transaction.atomic():
        locked = RegisterImport.objects.select_for_update().get(pk=register_import.pk)
        # A double click (or a retry after a stale claim) finds the status or the claim changed.
        if locked.status != expected or (claimed_at and locked.commit_started_at != claimed_at):
            raise _not_committable(locked.status)
        _write_rows(by, preview.rows, on_progress=on_progress)
        summary = preview.summary()
        summary["sample"] = imports.sample(preview)
        summary["error_list"] = []
        locked.summary = summary
        locked.status = RegisterImport.Status.COMMITTED
        locked.committed_at = timezone.now()
        locked.progress = 100
        locked.error = ""
        locked.payload_encrypted = ""  # the register now holds what matters, encrypted where it must be
        locked.save()
        _import_tell(locked, "import.finished", households=summary.get("households_new", 0),
                     persons=summary.get("persons_new", 0))
    return locked


def grid_workers(grids=None) -> list[tuple[Division, User]]:
    """(grid, worker) for every grid's current workers: assigned to the grid, or granted the grid-worker
    role at it. `grids` (a Q on Division) narrows the grids."""
    from django.db.models import Q

    grids = Division.objects.filter(level=Division.Level.GRID).filter(grids if grids is not None else Q())
    pairs = [(a.grid, a.user) for a in GridAssignment.objects.filter(
        grid__in=grids, kind=GridAssignment.Kind.WORKER, end_date__isnull=True).select_related("grid", "user")]
    pairs += [(r.division, r.user) for r in Role.objects.filter(
        kind=Role.Kind.GRID_WORKER, division__in=grids).select_related("division", "user")]
    seen, out = set(), []
    for grid, user in sorted(pairs, key=lambda p: (p[0].path, p[1].pk)):
        if (grid.pk, user.pk) not in seen and user.is_active:
            seen.add((grid.pk, user.pk))
            out.append((grid, user))
    return out


def _import_tell(register_import: RegisterImport, key: str, **params) -> None:
    from django.urls import reverse

    from linli.notifications.services import notify

    notify(recipient=register_import.created_by, key=key, params={"file": register_import.file_name, **params},
           obj=reverse("grids:import_preview", args=[register_import.pk]))


def _not_committable(status: str) -> ValidationError:
    if status == RegisterImport.Status.COMMITTING:
        return ValidationError({"file": _("This file is being imported right now; wait for it to finish.")})
    return ValidationError({"file": _("This file has already been imported or discarded.")})


def _write_rows(by, rows, *, on_progress: Callable[[int], None] | None = None) -> None:
    made = {}
    todo = [row for row in rows if not row.unchanged]
    for done, row in enumerate(todo):
        if on_progress and done and done % IMPORT_PROGRESS_EVERY == 0:
            on_progress(IMPORT_PROGRESS_READ + (99 - IMPORT_PROGRESS_READ) * done // len(todo))
        try:
            household = row.household or made.get(row.household_key)
            if household is None:
                household = made[row.household_key] = people_services.household_create(
                    by=by, division=row.grid, address=row.address)
            person = people_services.person_create(
                by=by, name=row.name, division=household.division, sex=row.sex, birth_date=row.birth_date,
                phone=row.phone, id_number=row.id_number, care_tags=row.care_tags)
            people_services.membership_add(by=by, person=person, household=household, relation=row.relation,
                                           start_date=row.start_date)
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise ValidationError({"file": [_("Row %(row)s: %(message)s") % {"row": row.row, "message": " ".join(m)}
                                            for m in messages.values()]}) from None


@transaction.atomic
def register_import_discard(*, by, register_import: RegisterImport) -> RegisterImport:
    """Forget a previewed file (or one whose import died half-way: nothing of it was written)."""
    if register_import.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who uploaded this file may discard it."))
    if register_import.status == RegisterImport.Status.PREVIEWED or register_import_is_stale(register_import):
        register_import.status = RegisterImport.Status.DISCARDED
        register_import.payload_encrypted = ""
        register_import.save(update_fields=["status", "payload_encrypted"])
    return register_import


# Register import in the background ------------------------------------------------------------------
# A community's ledger (5,000–8,000 persons, 10–22 ms each) takes longer than the web worker's 60 s
# timeout, so the page claims the import and a job worker (linli.jobs) commits it. A worker that dies
# mid-commit loses its transaction (nothing written); the job's retry commits under the same claim.

IMPORT_PROGRESS_READ = 5  # the file has been read and checked again
IMPORT_PROGRESS_EVERY = 100  # rows between progress updates
IMPORT_STALE_AFTER = dt.timedelta(minutes=10)

# The live percentage of the commits running in this process: {import pk: (percent, last update)}.
# Other processes (the page's) read the job's progress, which the worker's heartbeat writes from its
# own connection; on SQLite the commit's one transaction holds the write lock (IMMEDIATE) from its
# start, so there the page shows the bar without a percentage until the end. The database status
# stays the truth once the commit has ended.
_PROGRESS: dict[int, tuple[int, dt.datetime]] = {}
_PROGRESS_LOCK = threading.Lock()


def _inline() -> bool:
    """Tests run the commit in the calling thread instead of a background thread."""
    return bool(getattr(settings, "LINLI_GRIDS_IMPORT_INLINE", False))


def _progress_note(pk: int, percent: int) -> None:
    with _PROGRESS_LOCK:
        _PROGRESS[pk] = (percent, timezone.now())
    jobs.progress(percent)


def _job_key(pk: int) -> str:
    return f"grids.import:{pk}"


def _progress_forget(pk: int) -> None:
    with _PROGRESS_LOCK:
        _PROGRESS.pop(pk, None)


def register_import_progress(register_import: RegisterImport) -> int | None:
    """How far the commit has got (0–100); None while it runs in another process (unknown here)."""
    if register_import.status != RegisterImport.Status.COMMITTING:
        return register_import.progress
    with _PROGRESS_LOCK:
        seen = _PROGRESS.get(register_import.pk)
    if seen:
        return seen[0]
    job = job_for(_job_key(register_import.pk), statuses=[Job.Status.RUNNING])
    return job.progress if job and job.progress else None


def register_import_is_stale(register_import: RegisterImport) -> bool:
    """A commit that has shown no sign of life for IMPORT_STALE_AFTER: its process died (the transaction
    was rolled back with it) and its job is not about to try again, so the import may be tried again
    or discarded."""
    if register_import.status != RegisterImport.Status.COMMITTING:
        return False
    with _PROGRESS_LOCK:
        seen = _PROGRESS.get(register_import.pk)
    job = job_for(_job_key(register_import.pk))
    if job is not None and job.status == Job.Status.QUEUED:
        return False  # its retry is on the way
    beat = job.heartbeat_at if job is not None and job.status == Job.Status.RUNNING else None
    last = max(filter(None, [register_import.commit_started_at, seen[1] if seen else None, beat]), default=None)
    return last is None or timezone.now() - last > IMPORT_STALE_AFTER


def register_import_commit_start(*, by, register_import: RegisterImport) -> RegisterImport:
    """Claim a previewed import (or a stale one) for committing and queue the commit for a job worker;
    returns at once with the status "committing". A second claim while one runs is refused."""
    if register_import.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who uploaded this file may import it."))
    try:
        with transaction.atomic():
            # nowait: on PostgreSQL a running commit holds this row's lock until it ends; refuse at once
            # rather than wait minutes. (SQLite has no row locks; its write lock serialises the claim.)
            locked = RegisterImport.objects.select_for_update(nowait=True).get(pk=register_import.pk)
            if not (locked.status == RegisterImport.Status.PREVIEWED or register_import_is_stale(locked)):
                raise _not_committable(locked.status)
            if locked.summary.get("errors") or not locked.summary.get("valid_rows"):
                raise ValidationError({"file": _("The file has errors; nothing was imported.")})
            locked.status = RegisterImport.Status.COMMITTING
            locked.commit_started_at = timezone.now()
            locked.progress = 0
            locked.error = ""
            locked.save(update_fields=["status", "commit_started_at", "progress", "error"])
    except DatabaseError:  # the row is locked by the commit running right now
        raise _not_committable(RegisterImport.Status.COMMITTING) from None
    if _inline():
        register_import_commit_run(locked.pk, locked.commit_started_at, translation.get_language())
    else:
        # The job is part of this transaction: a worker sees it once the claim is committed.
        jobs.enqueue("linli.grids.services.register_import_commit_job", by=by,
                     key=_job_key(locked.pk), pk=locked.pk, claimed_at=locked.commit_started_at.isoformat(),
                     language=translation.get_language())
    locked.refresh_from_db()
    return locked


def register_import_commit_job(*, pk: int, claimed_at: str, language: str | None = None) -> dict:
    """The job of a claimed commit. Run again (its worker died), it commits under the same claim: the
    dead attempt's transaction was rolled back, and rows already on the register are skipped."""
    register_import_commit_run(pk, dt.datetime.fromisoformat(claimed_at), language)
    imp = RegisterImport.objects.only("status").get(pk=pk)
    return {"status": imp.status}


def register_import_commit_run(pk: int, claimed_at: dt.datetime, language: str | None = None) -> None:
    """Run a claimed commit; a failure is recorded on the import (back to "previewed", nothing
    written), not raised: the thread must not die silently."""
    _progress_note(pk, 0)
    try:
        with translation.override(language):
            register_import = RegisterImport.objects.select_related("created_by").get(pk=pk)
            try:
                register_import_commit(by=register_import.created_by, register_import=register_import,
                                       claimed_at=claimed_at, on_progress=lambda p: _progress_note(pk, p))
            except (ValidationError, PermissionDenied) as exc:
                message = " ".join(exc.messages[:20]) if isinstance(exc, ValidationError) else str(exc)
                _commit_failed(pk, claimed_at, message)
            except jobs.Cancelled:
                _commit_failed(pk, claimed_at, _("The import was cancelled; nothing was imported."))
                raise
            except Exception:
                log.exception("register import %s failed", pk)
                _commit_failed(pk, claimed_at, _("The import failed unexpectedly; nothing was imported. "
                                                 "Try again, or tell your administrator."))
    finally:
        _progress_forget(pk)


def _commit_failed(pk: int, claimed_at: dt.datetime, message: str) -> None:
    # Only while our claim stands: a retry after a stale claim is not undone by the dead thread.
    with transaction.atomic():
        if RegisterImport.objects.filter(pk=pk, status=RegisterImport.Status.COMMITTING,
                                         commit_started_at=claimed_at).update(
                status=RegisterImport.Status.PREVIEWED, progress=0, error=message[:4000]):
            register_import = RegisterImport.objects.select_related("created_by").get(pk=pk)
            _import_tell(register_import, "import.failed", error=message[:300])


# Overdue care visits (each morning) ------------------------------------------------------------------

def care_visits_overdue_notify(*, today: dt.date | None = None) -> int:
    """Tell each grid worker how many care households in their grids are past their visit cadence, once
    a day (a second run that day sends nothing). Returns how many workers were told."""
    from linli.grids import selectors
    from linli.notifications.services import already_notified, notify

    today = today or timezone.localdate()
    dedup = f"care.overdue:{today.isoformat()}"
    per_user: dict[int, tuple[User, list[tuple[str, int]]]] = {}
    counts: dict[int, int] = {}
    for grid, user in grid_workers():
        if grid.pk not in counts:
            counts[grid.pk] = selectors.overdue_households(division=grid, today=today).count()
        if counts[grid.pk]:
            per_user.setdefault(user.pk, (user, []))[1].append((grid.name, counts[grid.pk]))
    done = already_notified(dedup_key=dedup, user_ids=list(per_user))
    told = 0
    for user_id, (user, grids) in per_user.items():
        if user_id in done:
            continue
        with transaction.atomic():
            notify(recipient=user, key="care.overdue", dedup_key=dedup, obj="/grids/overdue/",
                   params={"count": sum(n for _g, n in grids), "grids": "、".join(g for g, _n in grids)})
        told += 1
    return told
