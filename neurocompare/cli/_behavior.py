"""`neurocompare behavior`."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ._app import _split, _table, app


def _parse_columns(text: Optional[str]) -> dict:
    out = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"Invalid value for '--columns': expected STANDARD=SOURCE pairs separated by commas "
                             f"(e.g. subject=participant,response=key_resp.keys); got {item!r}.")
        out[key.strip()] = value.strip()
    return out


@app.command()
def behavior(humans: List[Path] = typer.Argument(None, help="Human trial CSVs, or folders of them (PsychoPy, jsPsych, "
                                                               "model-vs-human/Geirhos or standard format)."),
             models: List[Path] = typer.Option([], "--models", "-m", help="Model trial CSVs or folders (repeat the "
                                                                          "option for several)."),
             dataset: Optional[str] = typer.Option(None, help="Use a fetched dataset instead: 'geirhos2019' (edge "
                                                               "and silhouette experiments, and cue conflict)."),
             columns: Optional[str] = typer.Option(None, help="Column mapping STANDARD=SOURCE,... for other exports."),
             categories: Optional[str] = typer.Option(None, help="Comma-separated response categories (default: the "
                                                                 "values of the category column)."),
             shape_bias: Optional[bool] = typer.Option(None, "--shape-bias/--no-shape-bias",
                                                       help="Shape bias on cue-conflict trials (default: when every "
                                                            "stimulus is named <shape><n>-<texture><n>)."),
             n_bootstrap: int = typer.Option(1000, help="Bootstrap resamples of the trials for the CIs."),
             seed: int = typer.Option(0, help="random_state."),
             out: Path = typer.Option(Path("behavior-results"), help="Folder for the tables and figures.")):
    """Compare models with people trial by trial: accuracy, error consistency, confusions, shape bias; human ceiling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from .. import behavior as B
    from .. import plotting

    cue = None
    if dataset is not None:
        from .._utils.checks import check_option
        from ..datasets import fetch_geirhos2019

        check_option("dataset", dataset, ("geirhos2019",))
        if humans:
            raise ValueError("Invalid arguments: give human trial files or --dataset, not both.")
        data = fetch_geirhos2019()
        h, m, cue = data.humans, data.models, data.cue_conflict
    else:
        if not humans:
            raise ValueError("Missing argument 'HUMANS': give human trial CSV files or folders (or --dataset "
                             "geirhos2019).")
        mapping = _parse_columns(columns)
        cats = _split(categories) if categories else None
        h = B.load_trials([str(p) for p in humans], columns=mapping or None, categories=cats)
        m = B.load_trials([str(p) for p in models], columns=mapping or None, categories=cats) if models else None
    tables, figures = {}, []
    rng = seed
    tables["accuracy"] = pd.concat([B.accuracy(h, n_bootstrap=n_bootstrap, random_state=rng).assign(group="human")]
                                   + ([B.accuracy(m, n_bootstrap=n_bootstrap, random_state=rng)
                                       .assign(group="model")] if m is not None else []), ignore_index=True)
    if m is not None:
        tab = B.consistency_table(m, h, n_bootstrap=n_bootstrap, random_state=rng)
        tables["confusion_correlation"] = pd.concat(
            [B.confusion_correlation(m, h, n_bootstrap=n_bootstrap, random_state=rng).assign(pair="model-human"),
             B.confusion_correlation(h, n_bootstrap=n_bootstrap, random_state=rng).assign(pair="human-human")],
            ignore_index=True)
    else:
        tab = B.error_consistency(h, n_bootstrap=n_bootstrap, random_state=rng).assign(pair="human-human")
    tables["error_consistency"] = tab
    summary = B.summarize_consistency(tab)
    tables["consistency_summary"] = summary
    if cue is None and shape_bias is not False:
        try:
            B.texture_categories(h["stimulus"].unique())
            cue_ok = True
        except ValueError:
            if shape_bias:
                raise
            cue_ok = False
        if cue_ok:
            cue = pd.concat([h] + ([m] if m is not None else []), ignore_index=True)
    if cue is not None and shape_bias is not False:
        tables["shape_bias"] = B.shape_bias(cue, by_category=True, n_bootstrap=n_bootstrap, random_state=rng)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        t.to_csv(out / "tables" / f"{name}.csv", index=False)
    acc = tables["accuracy"]
    if m is not None:
        ax = plotting.plot_accuracy_by_condition(acc[acc.group == "model"], acc[acc.group == "human"])
        figures += plotting.save_figure(ax.figure, out / "figures" / "accuracy")[:1]
        ax = plotting.plot_consistency(summary)
        figures += plotting.save_figure(ax.figure, out / "figures" / "consistency")[:1]
    for i, cond in enumerate(dict.fromkeys(tab["condition"])):
        ax = plotting.plot_error_consistency_matrix(tab, condition=cond)
        figures += plotting.save_figure(ax.figure, out / "figures" / f"error_consistency_{i + 1}_{cond}")[:1]
    if "shape_bias" in tables:
        hs = list(dict.fromkeys((cue[cue["observer"] == "human"] if "observer" in cue else h)["subject"]))
        ax = plotting.plot_shape_bias(tables["shape_bias"], humans=hs)
        figures += plotting.save_figure(ax.figure, out / "figures" / "shape_bias")[:1]
    plt.close("all")
    show = summary.copy()
    typer.echo("Error consistency (kappa): each model's mean over the humans; 'humans' = every pair of people")
    typer.echo(_table(show[["subject", "condition", "value", "min", "max", "human_value"]]))
    if "shape_bias" in tables:
        sb = tables["shape_bias"]
        sb = sb[(sb.metric == "shape_bias") & (sb.category == "all")]
        typer.echo("Shape bias:")
        typer.echo(_table(sb[["subject", "value", "ci_low", "ci_high", "n"]]))
    typer.echo(f"Wrote {len(tables)} tables to {out / 'tables'} and {len(figures)} figures to {out / 'figures'}")
