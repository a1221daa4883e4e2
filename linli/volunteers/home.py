from linli.volunteers import selectors


def hours(request):
    """Organisers: hours waiting for confirmation. Volunteers: their hours, stars and points."""
    pending = selectors.pending_records(user=request.user).count() if selectors.can_organise_any(request.user) else None
    volunteer = selectors.volunteer_of(request.user)
    if pending is None and volunteer is None:
        return None
    return {"pending": pending, "summary": selectors.summary(volunteer) if volunteer else None}
