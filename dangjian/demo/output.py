"""Console output of the demo/synth commands: aligned tables with Chinese text."""

import unicodedata


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def table(headers, rows):
    """A plain-text table whose columns line up with Chinese characters."""
    widths = [max(_width(h), *(_width(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(str(c) + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def status_summary(counts):
    return (f"正式党员 {counts['full']} 人，预备党员 {counts['probationary']} 人，发展对象 {counts['candidate']} 人，"
            f"入党积极分子 {counts['activist']} 人，入党申请人 {counts['applicant']} 人，群众 {counts['non_member']} 人")
