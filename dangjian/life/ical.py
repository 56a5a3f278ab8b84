"""iCalendar (RFC 5545) export of meetings, written by hand.

Times are local Asia/Shanghai times with a TZID and an embedded VTIMEZONE (China has had no daylight
saving time since 1991); all-day meetings use VALUE=DATE. Lines are folded at 75 octets (never inside a
UTF-8 character) and text values escape backslash, semicolon, comma and newlines.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone

TZID = "Asia/Shanghai"
VTIMEZONE = [
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "TZNAME:CST",
    "END:STANDARD", "END:VTIMEZONE",
]


def escape(text):
    return (str(text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line):
    """Split a content line into chunks of at most 75 octets; continuation lines start with one space."""
    out, current, size, limit = [], "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _local(d, t):
    return datetime.combine(d, t).strftime("%Y%m%dT%H%M%S")


def event_lines(meeting, host, stamp):
    lines = ["BEGIN:VEVENT", f"UID:meeting-{meeting.pk}@{host}", f"DTSTAMP:{stamp}"]
    if meeting.start_time:
        lines.append(f"DTSTART;TZID={TZID}:{_local(meeting.date, meeting.start_time)}")
        end = meeting.end_time or (datetime.combine(meeting.date, meeting.start_time) + timedelta(hours=1)).time()
        if meeting.end_time is None and end < meeting.start_time:
            end = meeting.start_time
        lines.append(f"DTEND;TZID={TZID}:{_local(meeting.date, end)}")
    else:
        lines.append(f"DTSTART;VALUE=DATE:{meeting.date:%Y%m%d}")
        lines.append(f"DTEND;VALUE=DATE:{meeting.date + timedelta(days=1):%Y%m%d}")
    lines.append(f"SUMMARY:{escape(f'【{meeting.type_label}】{meeting.theme}')}")
    if meeting.place:
        lines.append(f"LOCATION:{escape(meeting.place)}")
    lines.append(f"DESCRIPTION:{escape(f'{meeting.org.name} · {meeting.get_status_display()}')}")
    lines.append("STATUS:" + ("CONFIRMED" if meeting.status == "held" else "TENTATIVE"))
    lines.append("END:VEVENT")
    return lines


def calendar(meetings, *, host="dangjian.local", name="组织生活", now=None):
    now = now or timezone.now()
    stamp = now.astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//dangjian//学校党建工作平台//ZH", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}", f"X-WR-TIMEZONE:{TZID}", *VTIMEZONE]
    for meeting in meetings:
        lines += event_lines(meeting, host, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
