from linli.volunteers import selectors


def hours(request):
    """Organisers: hours waiting for confirmation. Volunteers: their hours, stars and points."""
    pending = selectors.pending_records(user=request.user).count() if selectors.can_organise_any(request.user) else None
    volunteer = selectors.volunteer_of(request.user)
    if pending is None and volunteer is None:
        return None
    return {"pending": pending, "summary": selectors.summary(volunteer) if volunteer else None}


def my_work(request):
    """A volunteer's home: the orders dispatched to them (or their team) and their next shifts."""
    from linli.cases import selectors as cases

    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        return None
    return {"orders": list(cases.offers(user=request.user)[:5]),
            "shifts": list(selectors.upcoming_signups(volunteer)[:5])}
