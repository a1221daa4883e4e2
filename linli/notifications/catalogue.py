"""Message templates, one per key: a subject and a body as gettext strings with %(name)s parameters.

The msgids are English and marked with gettext_noop, so `makemessages` puts them in this app's catalogue
and rendering translates them in the recipient's language at send time (not in the language of whoever
caused the event). A template with no Chinese translation is rendered in English and the fallback is
recorded on the notification; an unknown key raises UnknownKey, which the service records.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext, gettext_noop


class UnknownKey(KeyError):
    pass


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    # Turns stored codes into words of the active language (a refusal reason, a relation).
    prepare: Callable[[dict], dict] | None = field(default=None)


def _refusal(params: dict) -> dict:
    from linli.classroom.models import ReleaseAttempt

    reason = params.get("reason", "")
    label = dict(ReleaseAttempt.Reason.choices).get(reason, reason)
    return {**params, "reason": str(label)}


def _delivery_status(params: dict) -> dict:
    from linli.canteen.models import Delivery

    status = params.get("status", "")
    return {**params, "status": str(dict(Delivery.Status.choices).get(status, status))}


def _relation(params: dict) -> dict:
    from linli.classroom.models import PickupPerson

    relation = params.get("relation", "")
    if relation == "self":
        return {**params, "who": gettext("alone (guardian's consent)")}
    label = dict(PickupPerson.Relation.choices).get(relation, relation)
    return {**params, "who": f"{params.get('who', '')}（{label}）"}


TEMPLATES: dict[str, Template] = {
    # Everyone
    "welcome": Template(
        gettext_noop("Welcome to Linli"),
        gettext_noop("Messages about your requests, activities and services appear here. Choose on your "
                     "notification settings page how else you want to be told.")),
    # Service orders (点单 → 派单 → 接单 → 评单)
    "case.dispatched": Template(
        gettext_noop("Your request %(number)s has been dispatched"),
        gettext_noop("%(service)s has been passed to %(to)s. You will be told when it is taken.")),
    "case.offered": Template(
        gettext_noop("A service order for you: %(number)s"),
        gettext_noop("%(service)s in %(community)s. Accept or decline it on the Requests page.")),
    "case.accepted": Template(
        gettext_noop("Your request %(number)s has been accepted"),
        gettext_noop("%(who)s has taken %(service)s and will contact you.")),
    "case.done": Template(
        gettext_noop("Your request %(number)s is done: please rate it"),
        gettext_noop("%(service)s: %(report)s Rate the service with one to five stars.")),
    "case.taken": Template(
        gettext_noop("Order %(number)s has been taken"),
        gettext_noop("%(who)s has taken %(service)s; it is no longer waiting for you.")),
    "case.completed": Template(
        gettext_noop("Order %(number)s was reported done"),
        gettext_noop("%(who)s reported %(service)s done: %(report)s")),
    "case.rated": Template(
        gettext_noop("Order %(number)s was rated %(rating)s out of 5"),
        gettext_noop("%(service)s. %(comment)s")),
    "cases.overdue": Template(
        gettext_noop("Cases past their deadline: %(count)s"),
        gettext_noop("The oldest is %(oldest)s, due %(due)s. Open your inbox of cases to handle them.")),
    # Activities and volunteering
    "shift.reminder": Template(
        gettext_noop("Reminder: %(role)s at %(activity)s"),
        gettext_noop("Your shift starts %(when)s at %(site)s. If you cannot come, cancel it so another "
                     "volunteer can take it.")),
    "activity.reminder": Template(
        gettext_noop("Reminder: %(activity)s"),
        gettext_noop("It starts %(when)s at %(site)s. If you cannot come, cancel your seat so someone on "
                     "the waiting list can have it.")),
    "activity.promoted": Template(
        gettext_noop("You have a seat at %(activity)s"),
        gettext_noop("A seat has freed up for %(when)s at %(site)s and it is yours now.")),
    # The four-thirty classroom
    "classroom.checked_in": Template(
        gettext_noop("%(child)s has arrived at %(site)s"),
        gettext_noop("Checked in at %(time)s.")),
    "classroom.released": Template(
        gettext_noop("%(child)s has left %(site)s"),
        gettext_noop("Collected at %(time)s by %(who)s."), prepare=_relation),
    "classroom.late": Template(
        gettext_noop("%(child)s has not been collected at %(site)s"),
        gettext_noop("The classroom closed at %(time)s and %(child)s is still there. Please collect the "
                     "child or call the site.")),
    "classroom.refused": Template(
        gettext_noop("Pick-up of %(child)s refused at %(site)s"),
        gettext_noop("At %(time)s someone (%(claimed)s) tried to collect %(child)s and was refused: "
                     "%(reason)s. The child stays with the tutors. Call the site at once if you did not "
                     "send this person."), prepare=_refusal),
    "classroom.place": Template(
        gettext_noop("A place for %(child)s at %(program)s"),
        gettext_noop("A place has opened and %(child)s is now enrolled.")),
    # Grids, the register and the service circle
    "care.overdue": Template(
        gettext_noop("Care visits overdue: %(count)s"),
        gettext_noop("Households in %(grids)s are past their visit cadence. Open Grids to see them and "
                     "record your visits.")),
    "campaign.started": Template(
        gettext_noop("New campaign: %(title)s"),
        gettext_noop("Reach every household in %(scope)s from %(starts)s to %(deadline)s.")),
    "import.finished": Template(
        gettext_noop("Register import finished: %(file)s"),
        gettext_noop("%(households)s new households and %(persons)s new persons are on the register.")),
    "import.failed": Template(
        gettext_noop("Register import failed: %(file)s"),
        gettext_noop("Nothing was imported. %(error)s")),
    "coverage.finished": Template(
        gettext_noop("Coverage run finished: %(division)s"),
        gettext_noop("The 15-minute service circle for %(division)s is ready to read.")),
    "coverage.failed": Template(
        gettext_noop("Coverage run failed: %(division)s"),
        gettext_noop("The run could not be computed: %(error)s")),
    "wechat.bound": Template(
        gettext_noop("WeChat is bound"),
        gettext_noop("Messages now reach you on WeChat too. You can unbind it on your notification settings page.")),
    # Exports built in the background (linli.jobs.exports)
    "export.ready": Template(
        gettext_noop("Your export is ready: %(title)s"),
        gettext_noop("Open this message to download the file. Only you can download it, for a limited time.")),
    # The elderly canteen
    "canteen.delivery_missed": Template(
        gettext_noop("Meal not delivered: %(diner)s"),
        gettext_noop("On the %(round)s round of %(canteen)s the meal for %(diner)s was not handed over "
                     "(%(status)s). Someone may need to look in on them."),
        prepare=_delivery_status),
}


class _Lenient(dict):
    """A missing parameter shows as … instead of breaking the message."""

    def __missing__(self, key):
        return "…"


def _fill(text: str, params: dict) -> str:
    try:
        return text % _Lenient(params)
    except (TypeError, ValueError):
        return text


def _translated(msgid: str) -> bool:
    return gettext(msgid) != msgid


def render(key: str, params: dict, language: str) -> tuple[str, str, str, str]:
    """(subject, body, language used, note). English is the source language; a template not translated
    into the recipient's language is rendered in English, and the note says so."""
    template = TEMPLATES.get(key)
    if template is None:
        raise UnknownKey(key)
    note = ""
    with translation.override(language):
        if not language.startswith("en") and not (_translated(template.subject) and _translated(template.body)):
            note = f"template {key!r} has no {language} translation; rendered in English"
            language = "en"
    with translation.override(language):
        values = template.prepare(params) if template.prepare else dict(params)
        return _fill(gettext(template.subject), values), _fill(gettext(template.body), values), language, note
