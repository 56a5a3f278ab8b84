"""Charts of the summary report as PNG images (matplotlib, Agg canvas, no pyplot global state: safe in the job
threads). Text on the charts uses a CJK font found through matplotlib's font manager (Noto Sans/Serif CJK from
Debian's fonts-noto-cjk); without one the charts still render, with numbers only (the Chinese captions are in the
Word document, not in the image)."""

import io
from functools import lru_cache

PREFERRED = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK", "Noto Serif CJK", "Source Han Sans",
             "WenQuanYi", "SimHei", "Microsoft YaHei")
DPI = 150
COLOUR, ACCENT = "#c8161d", "#1f5fa8"   # party red for meetings, blue for attendance


@lru_cache(maxsize=1)
def cjk_font():
    """The file of a font that can show Chinese, or None."""
    from matplotlib import font_manager

    fonts = sorted(font_manager.fontManager.ttflist, key=lambda e: (e.weight not in (400, "normal", "regular"),
                                                                      e.fname))
    for wanted in PREFERRED:
        for entry in fonts:
            if entry.name.startswith(wanted):
                return entry.fname
    for entry in fonts:
        if "CJK" in entry.name:
            return entry.fname
    return None


def _font_properties():
    from matplotlib.font_manager import FontProperties

    path = cjk_font()
    return FontProperties(fname=path) if path else None


def _figure(width=6.4, height=3.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig):
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _month_labels(by_month):
    many = len(by_month) > 12
    return [f"{m['month']:%y.%m}" if many else f"{m['month'].month}" for m in by_month]


def meetings_by_month(by_month):
    """Bars: meetings held per month."""
    fig = _figure()
    ax = fig.add_subplot()
    labels = _month_labels(by_month)
    counts = [m["count"] for m in by_month]
    bars = ax.bar(range(len(counts)), counts, color=COLOUR, width=0.6)
    ax.bar_label(bars, fontsize=7)
    ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=45 if len(labels) > 12 else 0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    font = _font_properties()
    if font is not None:
        ax.set_xlabel("月份", fontproperties=font, fontsize=9)
        ax.set_ylabel("会议次数", fontproperties=font, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def participation_by_month(by_month):
    """Bars: person-times present per month; line (right axis): attendance rate in %."""
    fig = _figure()
    ax = fig.add_subplot()
    labels = _month_labels(by_month)
    present = [m["present"] for m in by_month]
    ax.bar(range(len(present)), present, color=ACCENT, width=0.6, alpha=0.85)
    ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=45 if len(labels) > 12 else 0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    rates = [m["rate"] for m in by_month]
    right = ax.twinx()
    points = [(i, r) for i, r in enumerate(rates) if r is not None]
    if points:
        right.plot([i for i, _ in points], [r for _, r in points], color=COLOUR, marker="o", markersize=3,
                   linewidth=1.2)
    right.set_ylim(0, 105)
    font = _font_properties()
    if font is not None:
        ax.set_xlabel("月份", fontproperties=font, fontsize=9)
        ax.set_ylabel("参会人次", fontproperties=font, fontsize=9)
        right.set_ylabel("出席率（%）", fontproperties=font, fontsize=9)
    ax.spines[["top"]].set_visible(False)
    right.spines[["top"]].set_visible(False)
    return _png(fig)
