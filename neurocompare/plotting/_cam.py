"""Figures of class-activation maps: overlays on the stimuli and score bars by method and layer."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, new_axes, paper_style

#: One fixed colour per CAM method (Okabe-Ito, plus grey for the ninth), so figures agree with each other.
METHOD_COLOURS = dict(zip(("gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam", "ablationcam",
                           "eigencam", "cam"), [*PALETTE[:6], "#F0E442", "#000000", "#999999"]))


def _explained(da, i, class_names):
    """The name of the class map ``i`` explains: ``class_names``, else ``target_label``, else its index."""
    k = int(da["target_class"].values[i]) if "target_class" in da.coords else None
    if k is None or k < 0:
        target = str(da.attrs.get("target", ""))
        return target.removeprefix("callable ") if target.startswith("callable") else None
    if class_names is not None:
        from collections.abc import Mapping

        if isinstance(class_names, Mapping):
            return str(class_names.get(k, class_names.get(str(k), f"class {k}")))
        return str(class_names[k]) if 0 <= k < len(class_names) else f"class {k}"
    label = str(da["target_label"].values[i]) if "target_label" in da.coords else ""
    return label or f"class {k}"


def _outline(outline, stimuli):
    """``"auto"``: the mask outline where the stimuli have masks, the box where they have ``bbox_*``, else none."""
    if outline != "auto":
        return outline
    if getattr(stimuli, "has_masks", False):
        return "mask"
    if {"bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"} <= set(stimuli.metadata.columns):
        return "box"
    return None


def plot_cam_overlay(maps, stimuli, *, fixations=None, outline: str | None = "auto", n: int = 6,
                     cmap: str = "inferno", alpha: float = 0.55, class_names=None, axes=None):
    """A grid of stimuli (top row) and their maps over them (bottom row), each map naming the class it explains.

    Parameters
    ----------
    maps : DataArray
        From :func:`neurocompare.cam.compute`.
    stimuli : StimulusSet
        The stimuli the maps were computed on.
    fixations : pandas.DataFrame, optional
        Human fixations with columns ``stimulus, subject, x, y, width, height``
        (0-based pixel column ``x`` and row ``y`` in an image of ``width`` x
        ``height``), drawn as white dots moved onto the map grid.
    outline : {"auto", "mask", "box", None}
        Draw the object's mask outline (cyan contour) or its ``bbox_*`` box; ``"auto"``: the
        mask where the stimuli have masks, else the box where they have ``bbox_*``
        columns, else no outline.
    n : int
        Number of stimuli shown, spread evenly over the set (first, ..., last).
    cmap : str
        Colour map of the heat map (perceptually uniform by default).
    alpha : float
        Opacity of the heat map.
    class_names : sequence or dict of str, optional
        Names of the model's classes, to say which class each map explains (default: the
        maps' ``target_label``, from ``model.classes``; ``"class k"`` without names).
    axes : array of Axes, optional
        A (2, n) array of Axes to draw in.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from .._utils.checks import check_option, check_positive_int
    from ..cam import regions
    from ..cam.geometry import as_map_list, image_to_map_grid, point_map

    (da,) = as_map_list(maps)
    n = min(check_positive_int("n", n), da.sizes["stimulus"])
    if outline is not None:
        check_option("outline", outline, ("auto", "mask", "box"))
    outline = _outline(outline, stimuli)
    if outline == "mask" and not getattr(stimuli, "has_masks", False):
        raise ValueError("Invalid value for 'outline': 'mask' needs object masks, and these stimuli have none; use "
                         "outline='auto' (a box where there are bbox_* columns), 'box' or None.")
    if fixations is not None:
        need = {"stimulus", "x", "y", "width", "height"}
        if not need <= set(fixations.columns):
            raise ValueError(f"Invalid value for 'fixations': expected columns {sorted(need)}; got "
                             f"{list(fixations.columns)}.")
    da = da.isel(stimulus=np.unique(np.linspace(0, da.sizes["stimulus"] - 1, n).round().astype(int)))
    n = da.sizes["stimulus"]
    shape = (da.sizes["y"], da.sizes["x"])
    geometry = da.attrs.get("geometry") or None
    reg = regions(da, stimuli, region=outline) if outline is not None else None
    with paper_style():
        if axes is None:
            fig, axes = plt.subplots(2, n, figsize=(1.25 * n + 0.6, 2.7), squeeze=False)
        else:
            axes = np.asarray(axes).reshape(2, -1)
            if axes.shape[1] < n:
                raise ValueError(f"Invalid value for 'axes': expected a (2, {n}) array; got {axes.shape}.")
            fig = axes[0, 0].figure
        vmax = 1.0 if da.attrs.get("normalize", 1) else float(np.nanmax(da.values)) or 1.0
        im = None
        for i, sid in enumerate(map(str, da["stimulus"].values)):
            img = image_to_map_grid(stimuli.load_image(sid), geometry, shape)
            axes[0, i].imshow(img, interpolation="nearest")
            axes[1, i].imshow(img, interpolation="nearest")
            im = axes[1, i].imshow(da.values[i], cmap=cmap, alpha=alpha, vmin=0, vmax=vmax, interpolation="bilinear")
            if reg is not None:
                axes[1, i].contour(reg[i].astype(float), levels=[0.5], colors=["#56B4E9"], linewidths=0.8)
            if fixations is not None:
                f = fixations[fixations["stimulus"].astype(str) == sid]
                if len(f):
                    sx, sy, tx, ty = point_map(geometry, (int(f["width"].iloc[0]), int(f["height"].iloc[0])), shape)
                    axes[1, i].scatter(sx * (f["x"] + 0.5) + tx - 0.5, sy * (f["y"] + 0.5) + ty - 0.5, s=4,
                                       c="white", edgecolors="black", linewidths=0.3)
            title = str(da["category"].values[i]) if "category" in da.coords else sid
            axes[0, i].set_title(title, fontsize=8)
            explained = _explained(da, i, class_names)
            if explained:
                axes[1, i].set_title(f"explains: {explained}", fontsize=7)
            for ax in axes[:, i]:
                ax.set_axis_off()
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_xlim(-0.5, shape[1] - 0.5)
                ax.set_ylim(shape[0] - 0.5, -0.5)
        target = str(da.attrs.get("target", ""))
        target = {"predicted": "predicted class", "true": "true class"}.get(target, target)
        axes[1, 0].text(-0.08, 0.5, f"{da.attrs.get('method', '')} {da.attrs.get('layer', '')}\n{target}".strip(),
                        fontsize=7, rotation=90, ha="right", va="center", transform=axes[1, 0].transAxes)
        if im is not None:
            cb = fig.colorbar(im, ax=list(axes[1, :n]), fraction=0.03, pad=0.02)
            cb.set_label("map (normalised)" if da.attrs.get("normalize", 1) else "map", fontsize=7)
    return fig


def plot_cam_scores(df, *, metric: str, ax=None, chance: bool = True):
    """Bars of a CAM score by layer, one colour per method, with CIs and the chance level.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy scores with columns ``method, layer, metric, value`` and optionally
        ``ci_low, ci_high`` and ``chance`` (e.g. from
        :func:`neurocompare.cam.summarize_scores`). Per-stimulus frames are
        averaged (no error bars then).
    metric : str
        Which ``metric`` to plot.
    ax : Axes, optional
    chance : bool
        Draw the mean chance level as a dashed line where the frame has one.

    Returns
    -------
    matplotlib.axes.Axes
    """
    need = {"method", "layer", "metric", "value"}
    if not need <= set(df.columns):
        raise ValueError(f"Invalid value for 'df': expected columns {sorted(need)}; got {list(df.columns)}.")
    sub = df[df["metric"] == metric]
    if sub.empty:
        from .._utils.checks import check_option

        check_option("metric", metric, sorted(df["metric"].unique()))
    agg = {"value": "mean"}
    for c in ("ci_low", "ci_high", "chance"):
        if c in sub.columns:
            agg[c] = "mean"
    sub = sub.groupby(["method", "layer"], sort=False).agg(agg).reset_index()
    methods = list(dict.fromkeys(sub["method"]))
    layers = list(dict.fromkeys(sub["layer"]))
    ax = new_axes(ax, figsize=(max(3.0, 0.5 * len(methods) * len(layers) + 1.2), 2.6))
    width = 0.8 / max(1, len(methods))
    with paper_style():
        for j, m in enumerate(methods):
            d = sub[sub["method"] == m].set_index("layer").reindex(layers)
            xs = np.arange(len(layers)) + (j - (len(methods) - 1) / 2) * width
            yerr = None
            if "ci_low" in d.columns and d["ci_low"].notna().any():
                yerr = np.vstack([d["value"] - d["ci_low"], d["ci_high"] - d["value"]])
            colour = METHOD_COLOURS.get(m, PALETTE[j % len(PALETTE)])
            ax.bar(xs, d["value"], width=width * 0.95, color=colour, label=m, yerr=yerr,
                   error_kw={"elinewidth": 0.8, "capsize": 1.5})
        if chance and "chance" in sub.columns and sub["chance"].notna().any():
            ax.axhline(float(sub["chance"].mean()), color="black", ls="--", lw=0.8, label="chance")
        ax.set_xticks(np.arange(len(layers)))
        ax.set_xticklabels(layers, rotation=30 if max(len(str(s)) for s in layers) > 8 else 0, ha="right"
                           if max(len(str(s)) for s in layers) > 8 else "center")
        ax.set_xlabel("layer")
        ax.set_ylabel(metric.replace("_", " "))
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_randomization_test(df, *, metric: str = "spearman", ax=None, ci: float = 0.95, random_state=0):
    """Map similarity to the original as the model's weights are re-initialised (Adebayo et al. 2018).

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`neurocompare.cam.randomization_test`.
    metric : {"spearman", "ssim"}
    ax : Axes, optional
    ci : float
        Bootstrap interval over stimuli drawn around each mean.
    random_state : int

    Returns
    -------
    matplotlib.axes.Axes
        One line per method: mean similarity (with its CI band) at each step,
        from the original model (left) to the most randomised (right).
    """
    from .._utils.random import seed_int
    from .._utils.stats import bootstrap_mean_ci

    need = {"method", "step", "randomized", "metric", "value"}
    if not need <= set(df.columns):
        raise ValueError(f"Invalid value for 'df': expected the columns of cam.randomization_test {sorted(need)}; "
                         f"got {list(df.columns)}.")
    sub = df[df["metric"] == metric]
    if sub.empty:
        from .._utils.checks import check_option

        check_option("metric", metric, sorted(df["metric"].unique()))
    rng = np.random.default_rng(seed_int(random_state))
    steps = sub.drop_duplicates("step").sort_values("step")
    labels = ["original" if r == "none" else r for r in steps["randomized"]]
    ax = new_axes(ax, figsize=(max(3.2, 0.45 * len(labels) + 1.6), 2.6))
    with paper_style():
        for j, (m, g) in enumerate(sub.groupby("method", sort=False)):
            means, lo, hi = [], [], []
            for s in steps["step"]:
                v = g.loc[g["step"] == s, "value"].to_numpy(float)
                v = v[np.isfinite(v)]
                means.append(v.mean() if len(v) else np.nan)
                a, b = bootstrap_mean_ci(v, n_boot=2000, ci=ci, rng=rng)
                lo.append(a)
                hi.append(b)
            xs = np.arange(len(labels))
            colour = METHOD_COLOURS.get(m, PALETTE[j % len(PALETTE)])
            ax.plot(xs, means, marker="o", ms=3, color=colour, label=m)
            ax.fill_between(xs, lo, hi, color=colour, alpha=0.2, lw=0)
        ax.axhline(0, color="black", lw=0.6, ls=":")
        ax.set_xticks(np.arange(len(labels)))
        ax.set_xticklabels(labels, rotation=35, ha="right")
        order = str(sub["order"].iloc[0]) if "order" in sub.columns else "cascade"
        ax.set_xlabel("re-initialised (cumulative, from the output)" if order == "cascade" else
                      "re-initialised block (one at a time)")
        ax.set_ylabel({"spearman": "rank correlation with\nthe original map",
                       "ssim": "SSIM with the original map"}.get(metric, metric))
        ax.set_ylim(min(-0.2, float(np.nanmin(sub["value"])) - 0.05), 1.05)
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
