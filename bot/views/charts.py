"""Charts as PNG bytes (matplotlib's Agg renderer: no display, safe off the event loop)."""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from functools import cache

from bot.domain.models import CustomerStatus
from bot.i18n import Translator, translator
from bot.views import labels

CAPTION_LIMIT = 1024

# Charts are drawn in worker threads, several at once when digests fall due together;
# matplotlib's caches are not made for that, so one chart at a time.
_DRAWING = threading.Lock()

# Fonts with Chinese glyphs, in order of preference; matplotlib's default (DejaVu) has none.
_CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
    "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback",
)

_ACTIVE = "#4C78A8"
_COLORS = {
    CustomerStatus.WON: "#54A24B",
    CustomerStatus.MAINTAINING: "#88D27A",
    CustomerStatus.CHURN_WARNING: "#F58518",
    CustomerStatus.CHURNED: "#E45756",
    CustomerStatus.DORMANT: "#9D9D9D",
}


def fits_caption(text: str) -> bool:
    """Whether a text fits a photo's caption (Telegram counts UTF-16 units; the tags of our
    HTML count too here, which only errs on the safe side)."""
    return len(text.encode("utf-16-le")) // 2 <= CAPTION_LIMIT


@cache
def cjk_font() -> str | None:
    """An installed font family that can draw Chinese, or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in _CJK_FAMILIES if family in installed), None)


def pipeline_chart(counts: Mapping[CustomerStatus, int], _: Translator) -> bytes:
    """A horizontal bar per status, in pipeline order, with its count."""
    with _DRAWING:
        return _draw_pipeline(counts, _)


def _draw_pipeline(counts: Mapping[CustomerStatus, int], _: Translator) -> bytes:
    """The pipeline chart's PNG (callers hold the drawing lock)."""
    # Imported here: matplotlib (and numpy) would add half a second to every start-up.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A server has no display: never let matplotlib look for one.
    matplotlib.use("Agg")
    font = cjk_font() if _.language == "zh" else None
    if _.language == "zh" and font is None:
        # Without a Chinese font the labels would be empty boxes: English reads better.
        _ = translator("en")
    statuses = list(CustomerStatus)
    values = [counts.get(status, 0) for status in statuses]
    names = [labels.label(labels.STATUS, status, _) for status in statuses]
    figure = Figure(figsize=(6.4, 3.6), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.barh(names, values, color=[_COLORS.get(s, _ACTIVE) for s in statuses])
    axes.invert_yaxis()  # the pipeline reads from top to bottom
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3, fontsize=8)
    title = axes.set_title(_("Pipeline by status"), fontsize=11)
    axes.tick_params(axis="y", labelsize=9)
    if font is not None:
        for text in [title, *axes.get_yticklabels()]:
            text.set_fontfamily(font)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
