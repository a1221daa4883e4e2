from linli.cases import selectors
from linli.core import rollups


def requests(request):
    """Residents: their latest requests. Staff: the open and overdue cases of their divisions."""
    mine = list(selectors.my_cases(user=request.user)[:3])
    staff = None
    if selectors.is_staff(request.user):
        figures, as_of = rollups.section("cases", request.user)
        staff = {"open": figures["open"], "overdue_share": figures["overdue_share"], "as_of": as_of}
    if not mine and staff is None:
        return {"mine": [], "staff": None}
    return {"mine": mine, "staff": staff}
