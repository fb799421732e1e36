"""Figures of stimuli and model predictions."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, new_axes, paper_style

#: COCO person skeleton (0-based keypoint pairs) for keypoint detectors.
COCO_SKELETON = [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9),
                 (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]


def plot_stimuli(stimuli, *, n: int = 16, by: str | None = "category", ncols: int | None = None, show_boxes=False,
                 ax=None):
    """A montage of stimuli in one Axes, labelled by a factor.

    Parameters
    ----------
    stimuli : StimulusSet
    n : int
        How many to show; with ``by``, they are spread evenly over its levels.
    by : str or None
        Factor used to pick and label the images.
    ncols : int, optional
    show_boxes : bool
        Draw the ground-truth ``bbox_*`` of each stimulus.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    md = stimuli.metadata
    if by is not None and by not in md.columns:
        raise ValueError(f"Invalid value for 'by': expected a factor of the stimuli ({stimuli.factors}); got {by!r}.")
    n = min(n, len(stimuli))
    if by is None:
        picks = list(range(n))
    else:
        pos = np.arange(len(md))
        groups = [pos[(md[by] == level).to_numpy()] for level in md[by].unique()]
        picks, k = [], 0
        while len(picks) < n:
            for g in groups:
                if k < len(g) and len(picks) < n:
                    picks.append(int(g[k]))
            k += 1
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    imgs = [np.asarray(stimuli.load_image(p)) for p in picks]
    h, w = imgs[0].shape[:2]
    pad = max(2, w // 16)
    canvas = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    ax = new_axes(ax, figsize=(1.1 * ncols, 1.2 * nrows))
    for i, (p, img) in enumerate(zip(picks, imgs)):
        if img.shape[:2] != (h, w):
            from PIL import Image

            img = np.asarray(Image.fromarray(img).resize((w, h)))
        r, c = divmod(i, ncols)
        y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
        canvas[y0:y0 + h, x0:x0 + w] = img
    ax.imshow(canvas, interpolation="nearest")
    with paper_style():
        for i, p in enumerate(picks):
            r, c = divmod(i, ncols)
            y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
            if by is not None:
                ax.text(x0 + w / 2, y0 - pad * 0.15, str(md[by].iloc[p]), ha="center", va="bottom", fontsize=6)
            if show_boxes and {"bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"} <= set(md.columns):
                row = md.iloc[p]
                _box(ax, x0 + row.bbox_x0, y0 + row.bbox_y0, x0 + row.bbox_x1, y0 + row.bbox_y1, PALETTE[1], 0.8)
    ax.set_axis_off()
    return ax


def _box(ax, x0, y0, x1, y1, colour, lw=1.5):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour, linewidth=lw))


def plot_predictions(predictions, stimuli, stimulus_id, *, ax=None, alpha: float = 0.45, show_truth: bool = True,
                     max_instances: int = 10, legend: bool = True):
    """Overlay a model's instances on one stimulus: mask, box and "label score" (the detectron2-demo view).

    The title gives the image-level prediction (the top class of ``predictions.what``)
    and the true category; each box gives its region's own label and score (from
    ``predictions.where``). The two come from different read-outs and can disagree.

    Parameters
    ----------
    predictions : Predictions
        From :func:`neurocompare.models.predict`.
    stimuli : StimulusSet
    stimulus_id : str or int
        Id (or position) of the stimulus to show.
    ax : matplotlib Axes, optional
    alpha : float
        Mask opacity.
    show_truth : bool
        Also draw the ground-truth box (dashed) where the stimuli have ``bbox_*``.
    max_instances : int
        Draw at most this many instances (highest scores first).
    legend : bool
        A legend below the image telling the solid (predicted region) and dashed (true
        box) boxes apart.

    Returns
    -------
    matplotlib.axes.Axes
    """
    sid = stimuli.ids[stimulus_id] if isinstance(stimulus_id, (int, np.integer)) else str(stimulus_id)
    img = np.asarray(stimuli.load_image(sid)).astype(float) / 255
    rows = predictions.where[predictions.where.stimulus_id == sid].sort_values("score", ascending=False)
    rows = rows.head(max_instances)
    masks = predictions.masks.get(sid)
    ax = new_axes(ax, figsize=(3, 3))
    over = img.copy()
    for k, row in enumerate(rows.itertuples()):
        colour = np.array(_rgb(PALETTE[k % len(PALETTE)]))
        if masks is not None and row.instance < len(masks):
            m = masks[row.instance]
            over[m] = (1 - alpha) * over[m] + alpha * colour
    ax.imshow(over, interpolation="nearest")
    h, w = img.shape[:2]
    fs = 7
    from matplotlib.lines import Line2D

    handles = {}
    with paper_style():
        for k, row in enumerate(rows.itertuples()):
            colour = PALETTE[k % len(PALETTE)]
            if not np.isnan(row.bbox_x0):
                _box(ax, row.bbox_x0 + 0.5, row.bbox_y0 + 0.5, row.bbox_x1 + 0.5, row.bbox_y1 + 0.5, colour)
                handles.setdefault("predicted region (region label, score)",
                                   Line2D([], [], color=PALETTE[0], lw=1.5, ls="-"))
                tx, ty = row.bbox_x0, row.bbox_y0
            else:
                tx, ty = 0, 0
            if not np.isnan(row.x) and np.isnan(row.bbox_x0):
                ax.plot(row.x * w, row.y * h, "+", color=colour, ms=10, mew=2)
                handles.setdefault("predicted location (region label, score)",
                                   Line2D([], [], color=PALETTE[0], marker="+", ls="", ms=7, mew=1.5))
            ax.text(max(tx, 0), max(ty, 0), f"{row.label} {row.score:.2f}", color="white", fontsize=fs, va="bottom",
                    bbox={"facecolor": colour, "alpha": 0.85, "pad": 1, "edgecolor": "none"})
            kp = predictions.keypoints.get(sid)
            if kp is not None and row.instance < len(kp):
                pts = kp[row.instance]
                vis = pts[:, 2] > 0
                ax.scatter(pts[vis, 0], pts[vis, 1], s=6, color=colour, zorder=3)
                if len(pts) == 17:
                    for a, b in COCO_SKELETON:
                        if vis[a] and vis[b]:
                            ax.plot(pts[[a, b], 0], pts[[a, b], 1], color=colour, lw=1)
        if show_truth and {"bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"} <= set(stimuli.metadata.columns):
            t = stimuli.metadata.loc[sid]
            from matplotlib.patches import Rectangle

            ax.add_patch(Rectangle((t.bbox_x0 - 0.5, t.bbox_y0 - 0.5), t.bbox_x1 - t.bbox_x0, t.bbox_y1 - t.bbox_y0,
                                   fill=False, edgecolor="white", linestyle="--", linewidth=1))
            # drawn white on the image; black in the legend, whose background is white
            handles["true box"] = Line2D([], [], color="black", lw=1, ls="--")
        truth = f", true: {stimuli.metadata.loc[sid, 'category']}" if "category" in stimuli.metadata.columns else ""
        top = predictions.what[(predictions.what.stimulus_id == sid) & (predictions.what["rank"] == 1)]
        pred = f"{top.label.iloc[0]} {top.score.iloc[0]:.2f}" if len(top) else "none"
        ax.set_title(f"{predictions.model}\nimage: {pred}{truth}", fontsize=8)
        if legend and handles:
            ax.legend(list(handles.values()), list(handles), loc="upper center", bbox_to_anchor=(0.5, -0.02),
                      frameon=False, fontsize=6, ncol=1, handlelength=2.2)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_axis_off()
    return ax


def _rgb(hex_colour: str):
    hex_colour = hex_colour.lstrip("#")
    return [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
