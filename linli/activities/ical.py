"""iCal (RFC 5545) text for activity feeds: the signed per-site feed and the public feed share it."""

import datetime as dt

FMT = "%Y%m%dT%H%M%SZ"


def ics_text(value: str) -> str:
    return (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets are folded with CRLF + space."""
    out, cur = [], b""
    for ch in line:
        b = ch.encode()
        if len(cur) + len(b) > 74:
            out.append(cur.decode())
            cur = b" "
        cur += b
    out.append(cur.decode())
    return "\r\n".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(FMT)


def ics_calendar(*, name: str, events: list[dict], now: dt.datetime | None = None) -> str:
    """A VCALENDAR of events given as dicts: uid, start, end, summary, and optionally location,
    description, url, cancelled."""
    stamp = _utc(now or dt.datetime.now(dt.UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Linli//Activities//ZH", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{ics_text(name)}", "X-WR-TIMEZONE:Asia/Shanghai"]
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{e['uid']}", f"DTSTAMP:{stamp}", f"DTSTART:{_utc(e['start'])}",
                  f"DTEND:{_utc(e['end'])}", f"SUMMARY:{ics_text(e['summary'])}"]
        for key, prop in (("location", "LOCATION"), ("description", "DESCRIPTION")):
            if e.get(key):
                lines.append(f"{prop}:{ics_text(e[key])}")
        if e.get("url"):
            lines.append(f"URL:{e['url']}")
        lines += [f"STATUS:{'CANCELLED' if e.get('cancelled') else 'CONFIRMED'}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
