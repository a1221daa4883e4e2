"""Django merges every app's catalogue into one: a msgid translated one way in one app and another way
in a second app shows whichever catalogue wins, on every page. Each (context, msgid) has one Chinese."""

from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po
from django.utils import translation

LINLI = Path(__file__).resolve().parents[1] / "linli"
CATALOGUES = sorted(LINLI.rglob("locale/zh_Hans/LC_MESSAGES/django.po"))


def _translations():
    seen = defaultdict(dict)
    for po in CATALOGUES:
        with po.open("rb") as fh:
            for m in read_po(fh):
                if not m.id or not m.string:
                    continue
                msgid = m.id if isinstance(m.id, str) else m.id[0]
                text = m.string if isinstance(m.string, str) else "|".join(m.string)
                seen[(m.context, msgid)][str(po.relative_to(LINLI).parts[0])] = text
    return seen


def test_no_msgid_is_translated_differently_in_two_catalogues():
    conflicts = {key: apps for key, apps in _translations().items() if len(set(apps.values())) > 1}
    assert not conflicts, "give these a context (pgettext) or one translation:\n" + "\n".join(
        f"  {ctx!r} {msgid!r}: {apps}" for (ctx, msgid), apps in sorted(conflicts.items(), key=str))


def test_the_catalogues_are_read():
    assert len(CATALOGUES) >= 10 and len(_translations()) > 500


def test_a_persons_name_and_a_places_name_read_differently():
    with translation.override("zh-hans"):
        assert translation.pgettext("of a person", "name") == "姓名"
        assert translation.pgettext("of a place or organisation", "name") == "名称"
        assert translation.pgettext("service rating", "How was it?") == "服务怎么样？"


def test_every_page_shows_our_translation_not_a_librarys():
    """Django and DRF catalogues (会话 for 'session', 名称 for 'name', 过滤器 for 'Filter') come before
    the apps' own: a msgid they also translate needs a context in ours."""
    shown = {}
    with translation.override("zh-hans"):
        for (ctx, msgid), apps in _translations().items():
            ours = next(iter(apps.values()))
            got = translation.pgettext(ctx, msgid) if ctx else translation.gettext(msgid)
            if got != ours:
                shown[(ctx, msgid)] = (ours, got)
    assert not shown, f"(context, msgid): (ours, shown): {shown}"


def test_filter_words_are_ours_not_a_librarys():
    """Third-party catalogues (DRF: 过滤器) come before ours; the filter words carry a context."""
    with translation.override("zh-hans"):
        assert translation.pgettext("list filter", "Filter") == "筛选"
        assert translation.pgettext("link", "Open") == "打开"
        assert translation.gettext("Open") == "未办结"
