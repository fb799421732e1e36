"""RSA figures: RDM heatmaps with category bands, MDS, layer profiles, model comparisons."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_columns
from ._style import PALETTE, STREAM_COLOURS, legend_outside, new_axes, paper_style, set_category_ticks

NC_COLOUR = "#bdbdbd"


def _rdm2d(rdm):
    from ..rsa import as_rdm

    da = as_rdm(rdm, name="rdm", check_symmetric=False)
    if da.ndim != 2:
        raise ValueError(f"Invalid value for 'rdm': expected a single RDM (stimulus_a, stimulus_b); got dims {da.dims}. "
                         "Select one first, e.g. rdms.isel(rdm=0) or neurocompare.rsa.group_rdm(subject_rdms).")
    return da


#: Colour-bar names of the dissimilarity measures (``attrs["method"]``).
MEASURES = {"correlation": "1 − r", "cosine": "1 − cosine similarity",
            "euclidean": "squared Euclidean distance / unit", "mahalanobis": "squared Mahalanobis distance / unit",
            "crossnobis": "crossnobis distance / unit", "poisson": "symmetrised KL divergence (Poisson)",
            "ratings": "dissimilarity rating", "multi-arrangement": "arrangement distance",
            "triplets": "dissimilarity (triplet choices)", "confusions-shepard": "dissimilarity (confusions)",
            "confusions-symmetric": "dissimilarity (confusions)"}


def measure_label(method) -> str:
    """The name of a dissimilarity for an axis or colour bar: ``"1 − r"`` for correlation distance."""
    if not method or str(method) == "unknown":
        return "dissimilarity"
    return MEASURES.get(str(method), f"dissimilarity ({method})")


def _levels(da, by):
    if by == "auto":  # the category bands where the RDM has a category factor, none otherwise
        by = "category" if "category" in da.coords and da["category"].dims == ("stimulus_a",) else None
    if by is None:
        return None
    if by not in da.coords or da[by].dims != ("stimulus_a",):
        coords = [c for c in da.coords if da[c].dims == ("stimulus_a",) and c != "stimulus_a"]
        raise ValueError(f"Invalid value for 'by': expected a stimulus factor of the RDM ({coords}); got {by!r}.")
    return np.asarray(da[by].values).astype(str)


def plot_rdm(rdm, *, by: str | None = "auto", sort: bool = False, percentile: bool = False, cmap="viridis",
             colorbar: bool = True, title: str | None = None, ax=None):
    """An RDM as a heatmap, with a colour band per level of a stimulus factor along both edges.

    Parameters
    ----------
    rdm : RDM DataArray (2-D)
    by : str or None
        Stimulus factor for the bands (e.g. ``"category"``). ``"auto"``: ``category`` where
        the RDM has that factor, no bands otherwise; ``None``: no bands.
    sort : bool
        Group the stimuli by ``by`` (stable, in order of first appearance). The stored
        order is used otherwise.
    percentile : bool
        Show each dissimilarity as its percentile (Kriegeskorte et al. 2008's display).
        The colour bar names the measure from ``attrs["method"]`` (``1 − r`` for
        correlation distance).
    cmap : str or matplotlib colormap
    colorbar : bool
        Draw a colour bar.
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    da = _rdm2d(rdm)
    levels = _levels(da, by)
    order = np.arange(da.sizes["stimulus_a"])
    if sort and levels is not None:
        first = {lev: i for i, lev in reversed(list(enumerate(levels)))}
        order = np.array(sorted(order, key=lambda i: (first[levels[i]], i)))
    m = np.asarray(da.values, dtype=float)[np.ix_(order, order)]
    if percentile:
        from scipy.stats import rankdata

        iu = np.triu_indices(len(m), 1)
        vals = m[iu]
        ok = ~np.isnan(vals)
        pct = np.full(vals.shape, np.nan)
        pct[ok] = 100 * (rankdata(vals[ok]) - 1) / max(1, ok.sum() - 1)
        m = np.zeros_like(m)
        m[iu] = pct
        m[(iu[1], iu[0])] = pct
    ax = new_axes(ax, figsize=(3.6, 3.2))
    n = len(m)
    with paper_style():
        im = ax.imshow(m, cmap=cmap, interpolation="nearest", extent=(0, n, n, 0))
        if colorbar:
            measure = measure_label(da.attrs.get("method"))
            ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                               label=f"percentile of {measure}" if percentile else measure)
        if levels is not None:
            from matplotlib.patches import Patch, Rectangle

            lev = levels[order]
            uniq = list(dict.fromkeys(lev))
            colours = {u: PALETTE[i % len(PALETTE)] for i, u in enumerate(uniq)}
            band = max(1.0, n * 0.03)
            for i, lv in enumerate(lev):
                ax.add_patch(Rectangle((i, -band * 1.2), 1, band, color=colours[lv], clip_on=False, lw=0))
                ax.add_patch(Rectangle((-band * 1.2, i), band, 1, color=colours[lv], clip_on=False, lw=0))
            ax.legend(handles=[Patch(color=colours[u], label=u) for u in uniq], loc="upper center",
                      bbox_to_anchor=(0.5, -0.02), ncol=min(3, len(uniq)), frameon=False, fontsize=6)
            ax.set_xlim(-band * 1.3, n)
            ax.set_ylim(n, -band * 1.3)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        label = title if title is not None else " / ".join(str(da.attrs[k]) for k in ("model", "layer")
                                                           if da.attrs.get(k))
        if label:
            ax.set_title(label)
    return ax


def plot_mds(rdm, *, by: str | None = "auto", random_state: int = 0, ax=None):
    """Two-dimensional metric MDS of an RDM, points coloured by a stimulus factor.

    Parameters
    ----------
    rdm : RDM DataArray (2-D)
        A complete RDM (no NaN).
    by : str or None
        Stimulus factor colouring the points (``"auto"``: ``category`` where the RDM has it).
    random_state : int
        Seeds the MDS.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    da = _rdm2d(rdm)
    m = np.asarray(da.values, dtype=float)
    if np.isnan(m).any():
        raise ValueError("Invalid value for 'rdm': MDS needs a complete RDM; this one has NaN entries.")
    levels = _levels(da, by)
    emb = _mds(np.maximum(m, 0), random_state)
    ax = new_axes(ax, figsize=(3.2, 3.0))
    with paper_style():
        if levels is None:
            ax.scatter(emb[:, 0], emb[:, 1], s=12, color=PALETTE[0])
        else:
            for i, lev in enumerate(dict.fromkeys(levels)):
                sel = levels == lev
                ax.scatter(emb[sel, 0], emb[sel, 1], s=12, color=PALETTE[i % len(PALETTE)], label=lev)
            ax.legend(frameon=False, fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("MDS 1")
        ax.set_ylabel("MDS 2")
        ax.set_aspect("equal", adjustable="datalim")
    return ax


def _mds(d, random_state):
    """Metric MDS (SMACOF) of a dissimilarity matrix, started from classical MDS."""
    import inspect

    from sklearn.manifold import MDS

    kw = {"n_components": 2, "random_state": random_state, "n_init": 1}
    if "init" in inspect.signature(MDS).parameters:  # scikit-learn >= 1.8 starts from classical MDS itself
        return MDS(metric="precomputed", init="classical_mds", **kw).fit_transform(d)
    n = len(d)
    j = np.eye(n) - 1.0 / n
    vals, vecs = np.linalg.eigh(-0.5 * j @ (d ** 2) @ j)
    init = vecs[:, ::-1][:, :2] * np.sqrt(np.maximum(vals[::-1][:2], 0))
    return MDS(dissimilarity="precomputed", **kw).fit_transform(d, init=init)


def _stars(p):
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _first(results, col):
    """The first non-missing value of a column, or None."""
    if col not in results.columns:
        return None
    vals = results[col].dropna()
    return vals.iloc[0] if len(vals) else None


def _p_text(level: float) -> str:
    return "* p < .05, ** p < .01, *** p < .001" if level == 0.05 else f"* p < {level:g}".replace("0.", ".")


def stars_note(results, level: float = 0.05) -> str:
    """What the stars of an RSA figure are, from the table's own columns (no method it did not use)."""
    n_perm = _first(results, "n_permutations")
    if n_perm is not None and n_perm > 0:
        how = f"one-sided permutation test,\n{int(n_perm)} stimulus-label permutations"
    elif n_perm is None and _first(results, "analysis") == "rsa":
        how = "permutation test"  # neurocompare.rsa.evaluate's p, from a table without the count
    else:
        how = ""
    return _p_text(level) + (f"\n({how})" if how else "")


def bars_note(results) -> str:
    """What the error bars of an RSA figure are, from the table's ``bootstrap``, ``n_bootstrap`` and ``ci_level``."""
    scheme = _first(results, "bootstrap")
    level = _first(results, "ci_level")
    pct = f"{100 * float(level):g}% " if level is not None else ""
    if scheme in ("stimuli", "subjects", "both"):
        over = {"stimuli": "stimuli", "subjects": "subjects", "both": "stimuli and subjects"}[scheme]
        n = _first(results, "n_bootstrap")
        return f"{pct}bootstrap CI\n(over {over}" + (f", {int(n)} resamples)" if n else ")")
    return f"{pct}CI (ci_low to ci_high)" if pct else "CI (ci_low to ci_high)"


def _display(order, layer_names, name="layer_names"):
    """Display names of the x categories: ``layer_names`` as a mapping (missing ones unchanged) or a list."""
    if layer_names is None:
        return list(order)
    from collections.abc import Mapping

    if isinstance(layer_names, Mapping):
        unknown = [k for k in map(str, layer_names) if k not in order]
        if unknown:
            from .._utils.checks import unknown_name_error

            raise unknown_name_error(f"layer in '{name}'", unknown[0], order)
        names = {str(k): str(v) for k, v in layer_names.items()}
        return [names.get(o, o) for o in order]
    names = [str(v) for v in layer_names]
    if len(names) != len(order):
        raise ValueError(f"Invalid value for '{name}': expected {len(order)} names (one per layer, in order: "
                         f"{order}); got {len(names)}.")
    return names


def _target_label(results):
    """The reference's name for a title: a path-like name (``data/judgments.csv``) loses its folder and suffix."""
    from pathlib import PurePath

    target = _first(results, "target")
    if target is None:
        return ""
    target = str(target)
    if "/" in target or "\\" in target or PurePath(target).suffix.lower() in (".csv", ".tsv", ".npy", ".mat",
                                                                              ".txt", ".nc"):
        target = PurePath(target.replace("\\", "/")).stem
    return target


def _legend_extras(results, *, bars: bool, stars: bool, level: float, colour="black"):
    """Legend entries explaining the error bars and the stars."""
    from matplotlib.lines import Line2D

    handles, labels = [], []
    if bars:
        handles.append(Line2D([], [], color=colour, marker="|", ls="", ms=9, mew=1.0))
        labels.append(bars_note(results))
    if stars:
        handles.append(Line2D([], [], ls="", marker="$*$", color=colour, ms=6))
        labels.append(stars_note(results, level))
    return handles, labels


def plot_layer_profile(results, *, x: str = "layer", hue: str = "model", ax=None, level: float = 0.05,
                       ceiling: bool = True, color_by: str | None = None, layer_names=None,
                       title: str | None = None, legend: str | None = "right"):
    """RSA score across layers: one line per model, CIs, the noise-ceiling band and significance marks.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.rsa.evaluate` (columns ``value, ci_low, ci_high, p`` and the
        noise-ceiling columns), in layer order.
    x, hue : str
        Columns for the x axis and the lines.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    level : float
        Significance level: layers with ``p < level`` get stars above their CI.
    ceiling : bool
        Draw the noise ceiling (lower to upper bound) as a grey band.
    color_by : str, optional
        A column of ``results`` whose values colour the points (each line keeps its
        colour): ``"stream"`` marks shared / what / where layers in the stream
        colours; another column gets the palette. The legend names the values.
        ``None`` (default): points in their line's colour.
    layer_names : dict or sequence of str, optional
        Display names of the layers: ``{name: display}`` (layers not in it keep their name)
        or one name per layer, in order.
    title : str, optional
        Axes title. Default: from the table's names, ``"<model> vs <target>"`` (``"vs <target>"``
        for several models); ``""`` for none.
    legend : {"right", "below"} or None
        Where the legend goes, always outside the Axes so that it never covers the data
        or the noise ceiling; ``None``: no legend.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The legend says what the bars and the stars are, read from the table: the bars are
    the bootstrap interval of ``ci_level`` over what ``bootstrap`` resampled, the stars
    the permutation p-values (``p``, ``n_permutations``). The two answer different
    questions and can disagree (a star on a layer whose interval includes 0): see
    "Stars and error bars" in the RSA guide.
    """
    from .._utils.checks import check_option

    need = {x, "value"}
    check_columns("results", results, need, expected="the output of neurocompare.rsa.evaluate")
    if legend is not None:
        check_option("legend", legend, ("right", "below"))
    point_colours = {}
    if color_by is not None:
        if not isinstance(color_by, str):
            raise TypeError(f"Invalid value for 'color_by': expected a column name or None; got {color_by!r}.")
        if color_by not in results.columns:
            raise ValueError(f"Invalid value for 'color_by': {color_by!r} is not a column of 'results'; its columns "
                             f"are {list(results.columns)}.")
        levels = list(dict.fromkeys(results[color_by]))
        point_colours = {v: STREAM_COLOURS.get(v, "black") if color_by == "stream" else PALETTE[i % len(PALETTE)]
                         for i, v in enumerate(levels)}
    ax = new_axes(ax, figsize=(4.2, 2.8))
    groups = list(results.groupby(hue, sort=False)) if hue in results.columns else [("", results)]
    order = list(dict.fromkeys(results[x].astype(str)))
    shown = _display(order, layer_names)
    pos = {lab: i for i, lab in enumerate(order)}
    has_bars = has_stars = False
    tops = [float(np.nanmax(results["value"]))] if results["value"].notna().any() else [0.0]
    with paper_style():
        if ceiling and {"noise_ceiling_lower", "noise_ceiling_upper"} <= set(results.columns):
            lo, hi = results["noise_ceiling_lower"].iloc[0], results["noise_ceiling_upper"].iloc[0]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axhspan(lo, hi, color=NC_COLOUR, alpha=0.6, lw=0, label="noise ceiling", zorder=0, gid="ceiling")
                tops.append(float(hi))
        ax.axhline(0, color="black", lw=0.6, zorder=1)
        width = 0.25 if len(groups) > 1 else 0.0
        for g, (name, d) in enumerate(groups):
            off = (g - (len(groups) - 1) / 2) * width / max(1, len(groups) - 1) if len(groups) > 1 else 0.0
            xs = np.array([pos[str(v)] for v in d[x]]) + off
            colour = PALETTE[g % len(PALETTE)]
            ax.plot(xs, d["value"], "-", color=colour, lw=1.2, label=str(name) if name != "" else None, zorder=2)
            pts = [point_colours[v] for v in d[color_by]] if color_by is not None else colour
            ax.scatter(xs, d["value"], s=16, color=pts, zorder=3)
            if {"ci_low", "ci_high"} <= set(d.columns) and d["ci_low"].notna().any():
                ax.vlines(xs, d["ci_low"], d["ci_high"], color=colour, lw=0.9, zorder=2)
                has_bars = True
                tops.append(float(np.nanmax(d["ci_high"])))
            if "p" in d.columns:
                top = d["ci_high"].where(d["ci_high"].notna(), d["value"]) if "ci_high" in d else d["value"]
                for xi, yi, p in zip(xs, top, d["p"]):
                    if np.isfinite(p) and np.isfinite(yi) and p < level:
                        ax.text(xi, yi, _stars(p) if level == 0.05 else "*", ha="center", va="bottom", fontsize=7,
                                color=colour)
                        has_stars = True
        set_category_ticks(ax, shown)
        ax.set_xlabel("layer" if x == "layer" else x.replace("_", " "))
        metric = results["metric"].iloc[0] if "metric" in results.columns else "similarity"
        ax.set_ylabel(f"RDM similarity ({metric})")
        if has_stars:  # room for the stars above the highest interval
            lo_y, hi_y = ax.get_ylim()
            ax.set_ylim(lo_y, max(hi_y, max(tops) + 0.12 * (max(tops) - lo_y)))
        if title is None:
            target = _target_label(results)
            models = list(dict.fromkeys(results[hue].astype(str))) if hue in results.columns else []
            lead = models[0] if len(models) == 1 else ""
            title = f"{lead} vs {target}".strip() if target else lead
        ax.set_title(title)
        if legend is not None:
            handles, labels = ax.get_legend_handles_labels()
            if color_by is not None:
                from matplotlib.lines import Line2D

                for v, c in point_colours.items():
                    handles.append(Line2D([], [], marker="o", ls="", color=c))
                    labels.append(f"{v} layer" if color_by == "stream" else f"{color_by} {v}")
            extra_h, extra_l = _legend_extras(results, bars=has_bars, stars=has_stars, level=level)
            legend_outside(ax, handles + extra_h, labels + extra_l, where=legend)
    return ax


def _auto_label(results):
    """The column naming the bars: ``model`` when each row is a model, ``layer`` for one model's layers."""
    if "model" in results.columns and results["model"].is_unique:
        return "model", None
    if "layer" in results.columns:
        if "model" not in results.columns or results["model"].nunique() == 1:
            return "layer", None
        return None, (results["model"].astype(str) + "\n" + results["layer"].astype(str)).tolist()
    raise ValueError(f"Invalid value for 'label': the table has no 'model' or 'layer' column to name the bars "
                     f"({list(results.columns)}); pass label=<column>.")


def plot_model_comparison(results, *, label: str | None = None, pairwise=None, ax=None, level: float = 0.05,
                          title: str | None = None, legend: str | None = "right"):
    """Bars of RSA scores with CIs, the noise ceiling, and (optionally) significant pairwise differences.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.rsa.evaluate`, one row per bar.
    label : str, optional
        Column naming the bars. Default: ``model`` when each row is a different model,
        ``layer`` for the layers of one model, both (``"model\\nlayer"``) otherwise.
    pairwise : pandas.DataFrame, optional
        From :func:`neurocompare.rsa.pairwise_tests`; each model that differs significantly
        (FDR) from the best-scoring one is linked to it by a horizontal line above the bars.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    level : float
        Significance level: bars with ``p < level`` get stars.
    title : str, optional
        Axes title (default: ``"<model> vs <target>"`` from the table's names).
    legend : {"right", "below"} or None
        Where the legend (noise ceiling, bars, stars) goes, outside the Axes; ``None``: none.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .._utils.checks import check_option

    if label is None:
        label, names = _auto_label(results)
    elif label not in results.columns:
        raise ValueError(f"Invalid value for 'label': {label!r} is not a column of 'results' "
                         f"({list(results.columns)}).")
    if label is not None:
        names = results[label].astype(str).tolist()
    if legend is not None:
        check_option("legend", legend, ("right", "below"))
    ax = new_axes(ax, figsize=(4.0, 2.8))
    xs = np.arange(len(names))
    has_bars = has_stars = False
    with paper_style():
        if {"noise_ceiling_lower", "noise_ceiling_upper"} <= set(results.columns):
            lo, hi = results["noise_ceiling_lower"].iloc[0], results["noise_ceiling_upper"].iloc[0]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axhspan(lo, hi, color=NC_COLOUR, alpha=0.6, lw=0, label="noise ceiling", zorder=0, gid="ceiling")
        ax.bar(xs, results["value"], color=PALETTE[0], width=0.7, zorder=2)
        if {"ci_low", "ci_high"} <= set(results.columns) and results["ci_low"].notna().any():
            ax.vlines(xs, results["ci_low"], results["ci_high"], color="black", lw=1, zorder=3)
            has_bars = True
        top = float(np.nanmax(np.r_[results.get("ci_high", results["value"]).to_numpy(), results["value"].to_numpy()]))
        if "p" in results.columns:
            ys = results["ci_high"].where(results["ci_high"].notna(), results["value"]) if "ci_high" in results \
                else results["value"]
            for xi, p, y in zip(xs, results["p"], ys):
                if np.isfinite(p) and p < level:
                    ax.text(xi, y, _stars(p) if level == 0.05 else "*", ha="center", va="bottom", fontsize=7)
                    has_stars = True
        linked = False
        if pairwise is not None and len(pairwise):
            best = names[int(np.nanargmax(results["value"].to_numpy()))]
            sig = pairwise[pairwise["significant"]]
            step = 0.04 * max(abs(top), 1e-9)
            height = top + 2 * step
            key = label or "model"
            key_a = f"{key}_a" if f"{key}_a" in pairwise.columns else pairwise.columns[0]
            key_b = f"{key}_b" if f"{key}_b" in pairwise.columns else pairwise.columns[1]
            idx = {n: i for i, n in enumerate(names)}
            for _, row in sig.iterrows():
                a, b = idx.get(str(row[key_a])), idx.get(str(row[key_b]))
                if a is None or b is None or best not in (str(row[key_a]), str(row[key_b])):
                    continue
                ax.plot([a, b], [height, height], color="black", lw=0.7,
                        label=None if linked else "differs from the best (FDR)")
                linked = True
                height += step
        ax.axhline(0, color="black", lw=0.6)
        set_category_ticks(ax, names)
        ax.set_xlabel((label or "model, layer").replace("_", " "))
        metric = results["metric"].iloc[0] if "metric" in results.columns else "similarity"
        ax.set_ylabel(f"RDM similarity ({metric})")
        if title is None:
            target = _target_label(results)
            models = list(dict.fromkeys(results["model"].astype(str))) if "model" in results.columns else []
            lead = models[0] if len(models) == 1 and label != "model" else ""
            title = f"{lead} vs {target}".strip() if target else lead
        ax.set_title(title)
        if legend is not None:
            handles, labels = ax.get_legend_handles_labels()
            extra_h, extra_l = _legend_extras(results, bars=has_bars, stars=has_stars, level=level)
            legend_outside(ax, handles + extra_h, labels + extra_l, where=legend)
    return ax
