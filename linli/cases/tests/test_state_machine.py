"""THE MACHINE: every (kind, status, action) triple is tried; exactly the legal ones succeed, and an
illegal one raises a ValidationError and changes nothing (no status, no history line, no field)."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from linli.cases import services
from linli.cases.models import Case, CaseEvent, Kind
from linli.cases.tests.conftest import new_case

S = Case.Status
ACTIONS = ["dispatch", "accept", "decline", "reassign", "cancel_dispatch", "complete", "rate", "escalate", "close",
           "withdraw", "duplicate", "reopen"]

# Written out by hand from the issue, not copied from services.TRANSITIONS.
OTHERS = {("dispatch", S.NEW), ("reassign", S.IN_PROGRESS), ("escalate", S.NEW), ("escalate", S.IN_PROGRESS),
          ("close", S.IN_PROGRESS), ("close", S.ESCALATED), ("withdraw", S.NEW), ("duplicate", S.NEW),
          ("duplicate", S.IN_PROGRESS), ("reopen", S.CLOSED)}
LEGAL = {
    Kind.ORDER: {("dispatch", S.NEW), ("accept", S.DISPATCHED), ("decline", S.DISPATCHED),
                 ("reassign", S.DISPATCHED), ("reassign", S.IN_PROGRESS), ("cancel_dispatch", S.DISPATCHED),
                 ("cancel_dispatch", S.IN_PROGRESS), ("complete", S.IN_PROGRESS), ("rate", S.DONE),
                 ("close", S.DONE), ("withdraw", S.NEW), ("withdraw", S.DISPATCHED), ("duplicate", S.NEW),
                 ("duplicate", S.DISPATCHED), ("duplicate", S.IN_PROGRESS), ("reopen", S.CLOSED)},
    Kind.CONCERN: OTHERS, Kind.DISPUTE: OTHERS, Kind.OPINION: OTHERS,
}


def _put(case, status, w):
    """Put a case in a status with the fields that status implies (a dispatched order has a team)."""
    fields = {"status": status}
    if status in (S.DISPATCHED, S.IN_PROGRESS, S.DONE) and case.kind == Kind.ORDER:
        fields.update(team=w["team"], assignee=w["staff"])
    if status in (S.IN_PROGRESS, S.ESCALATED) and case.kind != Kind.ORDER:
        fields["assignee"] = w["staff"]
    if status == S.CLOSED:
        fields["resolution"] = Case.Resolution.RESOLVED
    Case.objects.filter(pk=case.pk).update(**fields)
    return Case.objects.get(pk=case.pk)


def _do(action, case, w):
    order = case.kind == Kind.ORDER
    staff, vol = w["staff"], w["vol_user"]
    match action:
        case "dispatch":
            return services.case_dispatch(case=case, by=staff, team=w["team"] if order else None)
        case "accept":
            return services.case_accept(case=case, by=vol if order else staff)
        case "decline":
            return services.case_decline(case=case, by=vol if order else staff, reason="这周没空")
        case "reassign":
            return services.case_reassign(case=case, by=staff, reason="换人", team=w["team"] if order else None,
                                          assignee=None if order else w["staff2"])
        case "cancel_dispatch":
            return services.case_cancel_dispatch(case=case, by=staff, reason="居民改期")
        case "complete":
            return services.case_complete(case=case, by=vol if order else staff, report="已办好")
        case "rate":
            return services.case_rate(case=case, by=w["resident"], rating=5, comment="很好")
        case "escalate":
            return services.case_escalate(case=case, by=staff, reason="需县里协调")
        case "close":
            return services.case_close(case=case, by=w["county_admin"], answer="已处理",
                                       agreement_terms="赔偿500元", performance="一周内在社区当面付清")
        case "withdraw":
            return services.case_withdraw(case=case, by=w["resident"])
        case "duplicate":
            return services.case_mark_duplicate(case=case, by=staff, original=new_case(w, case.kind))
        case "reopen":
            return services.case_reopen(case=case, by=staff, reason="居民反映未解决")
    raise AssertionError(action)


@pytest.mark.parametrize("kind", Kind.values)
def test_exactly_the_legal_transitions_succeed(world, kind):
    tried, succeeded = 0, set()
    for status, action in itertools.product(S.values, ACTIONS):
        case = _put(new_case(world, kind), status, world)
        before, lines = model_to_dict(case), CaseEvent.objects.filter(case=case).count()
        try:
            _do(action, case, world)
        except ValidationError as e:
            assert (action, status) not in LEGAL[kind], f"{kind} {status} {action} refused: {e.messages}"
            after = Case.objects.get(pk=case.pk)
            assert model_to_dict(after) == before, f"{kind} {status} {action} half-saved"
            assert CaseEvent.objects.filter(case=case).count() == lines
            assert e.messages and all(m.strip() for m in e.messages)
        else:
            succeeded.add((action, status))
            line = CaseEvent.objects.filter(case=case).order_by("-pk").first()
            assert (line.action, line.from_status) == (action, status)
            assert line.to_status == Case.objects.get(pk=case.pk).status
        tried += 1
    assert tried == len(S.values) * len(ACTIONS)
    assert succeeded == LEGAL[kind]


def test_table_in_services_matches_the_rules():
    actual = {kind: {(a, s) for a, kinds in services.TRANSITIONS.items() for s in kinds.get(kind, {})}
              for kind in Kind.values}
    assert actual == LEGAL
