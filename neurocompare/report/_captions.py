"""Figure captions written for a psychologist: what is plotted, how to read it, and the result in one sentence."""
from __future__ import annotations

import math


def _fmt(v, digits: int = 2) -> str:
    return "NaN" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def rsa_caption(table, target: str) -> str:
    """Caption of the RSA layer profile against ``target``."""
    sub = table[table["target"] == target]
    scheme = sub["bootstrap"].iloc[0] if "bootstrap" in sub else "stimuli"
    level = sub["ci_level"].iloc[0] if "ci_level" in sub else float("nan")
    over = {"stimuli": "stimuli", "subjects": "subjects", "both": "stimuli and subjects"}.get(scheme)
    pct = f"{100 * level:g}% " if level == level else ""
    bars = f"with its {pct}bootstrap confidence interval over {over}" if over else "without an interval"
    text = (f"Each point is one layer's similarity to <b>{target}</b>: the {sub['metric'].iloc[0]} between the "
            f"layer's representational dissimilarity matrix (RDM) and the reference RDM, {bars}. Higher means the "
            "layer orders the stimuli more like the reference does; 0 is no relation.")
    if "p" in sub and sub["p"].notna().any():
        text += (" Stars mark the one-sided stimulus-label permutation test (* p < .05, ** p < .01, *** p < .001): "
                 "evidence of any relation in these stimuli. The interval instead says how much the score would "
                 "vary with other stimuli or subjects, so a star can sit on an interval that includes 0.")
    lo = sub["noise_ceiling_lower"].iloc[0] if "noise_ceiling_lower" in sub else float("nan")
    hi = sub["noise_ceiling_upper"].iloc[0] if "noise_ceiling_upper" in sub else float("nan")
    if lo == lo:
        text += (f" The grey band is the noise ceiling ({_fmt(lo)} to {_fmt(hi)}): how well the true model could "
                 "score given how much the subjects disagree.")
    best = sub.loc[sub["value"].idxmax()]
    label = f"{best['model']} {best['layer']}" if "model" in best else str(best["layer"])
    result = (f" <b>Result:</b> {label} is most similar to {target}, {best['metric']} = {_fmt(best['value'])} "
              f"[{_fmt(best['ci_low'])}, {_fmt(best['ci_high'])}]")
    if lo == lo and lo > 0:
        result += f", {100 * best['value'] / lo:.0f}% of the lower noise ceiling"
    if "p" in best and best["p"] == best["p"]:
        result += f" (p = {_fmt(best['p'], 3)}, permutation test)"
    return text + result + "."


def probes_caption(table, model: str) -> str:
    """Caption of a model's what/where profile."""
    sub = table[(table["model"] == model) & table["metric"].isin(["balanced_accuracy", "r2"])]
    text = ("Cross-validated linear read-out of each factor from every layer, from input (left) to output (right). "
            "Categorical (\"what\") factors are scored by balanced accuracy (chance = 1 / number of classes), "
            "continuous (\"where\") factors by R² (0 = no better than the mean), each on its own axis (top and "
            "bottom); the bars are 95% bootstrap intervals over the test items, resampled within folds, and the "
            "dashed lines chance.")
    if sub.empty:
        return text
    means = sub.groupby(["target", "layer"], sort=False)["value"].mean().reset_index()
    best = means.loc[means.groupby("target")["value"].idxmax()]
    parts = [f"{r.target} best at {r.layer} ({_fmt(r.value)})" for r in best.itertuples()]
    return text + f" <b>Result ({model}):</b> " + "; ".join(parts) + "."


def cam_caption(table, metric: str) -> str:
    """Caption of the CAM localisation scores for ``metric``."""
    sub = table[table["metric"] == metric]
    what = {"pointing_game": "the share of images whose map peak falls on the object",
            "energy": "the share of the map's energy inside the object mask",
            "iou": "the overlap (IoU) of the thresholded map with the object mask"}.get(metric, metric)
    text = f"Mean {what}, per model, method and layer, with bootstrap 95% intervals."
    if "chance" in sub and sub["chance"].notna().any():
        text += f" The dashed line is chance ({_fmt(sub['chance'].mean())}): a map that ignores the image."
    if not sub.empty:
        best = sub.loc[sub["value"].idxmax()]
        text += (f" <b>Result:</b> {best.get('model', '')} {best.get('method', '')} ({best.get('layer', '')}) "
                 f"localises best, {_fmt(best['value'])} [{_fmt(best.get('ci_low'))}, {_fmt(best.get('ci_high'))}].")
    return text


def decoding_caption(table, target: str) -> str:
    """Caption of the decoding of ``target`` across layers."""
    sub = table[(table["target"] == target) & table["metric"].isin(["balanced_accuracy", "r2"])]
    if sub.empty:
        return ""
    metric = sub["metric"].iloc[0]
    text = (f"Cross-validated linear decoding of <b>{target}</b> from each layer ({metric.replace('_', ' ')}; the "
            "bars are 95% bootstrap intervals over the test items, resampled within folds; the dashed line is chance).")
    best = sub.loc[sub["value"].idxmax()]
    return text + (f" <b>Result:</b> {best['model']} {best['layer']} decodes {target} best, "
                   f"{_fmt(best['value'])} [{_fmt(best['ci_low'])}, {_fmt(best['ci_high'])}].")


def behavior_caption(table, stem: str) -> str:
    """Caption of the behaviour figures (accuracy, error consistency)."""
    if stem == "accuracy":
        return ("Each model's accuracy on the images (points), over the range of the people's accuracies (band). "
                "Chance is 1 / number of categories.")
    text = ("Error consistency (Cohen's kappa over trials; Geirhos et al. 2020): do a model and a person err on the "
            "same images, beyond what their accuracies predict? 0 is independent errors, 1 identical; the human "
            "row is every pair of people.")
    if "value" in table and "subject" in table:
        models = table[table["subject"] != "humans"] if "humans" in set(table["subject"]) else table
        if not models.empty:
            best = models.loc[models["value"].idxmax()]
            text += f" <b>Result:</b> {best['subject']} is the most human-like, kappa = {_fmt(best['value'])}"
            humans = table[table["subject"] == "humans"]
            if not humans.empty:
                text += f", against {_fmt(humans['value'].mean())} between people"
            text += "."
    return text


def generation_caption(table, stem: str) -> str:
    """Caption of the generation figures (training, axis cosines, traversals)."""
    if stem == "gan_history":
        return ("The GAN's training: discriminator and generator losses, and the discriminator's mean output on "
                "real images D(x) and on generated ones D(G(z)), per epoch; both near 0.5 means neither wins.")
    if stem == "axis_cosines":
        return ("Cosines between the latent feature axes before and after Gram-Schmidt locking: 0 means the "
                "axes are orthogonal, so moving along one leaves the others' factors unchanged.")
    factor = stem.removeprefix("traversal_")
    text = (f"Images generated along the latent axis of <b>{factor}</b> (columns), from several starting points "
            "(rows), with the factors the labeller reads off them.")
    if {"axis", "factor", "spearman_rho"} <= set(table.columns):
        sub = table[(table["axis"] == factor) & ~table["factor"].astype(str).str.startswith("p_")]
        target = sub[sub["factor"] == factor]
        others = sub[sub["factor"] != factor]
        if not target.empty:
            text += (f" <b>Result:</b> {factor} follows the axis (Spearman rho = "
                     f"{_fmt(target['spearman_rho'].iloc[0])})")
            if not others.empty:
                worst = others.loc[others["spearman_rho"].abs().idxmax()]
                text += f"; the largest side effect is on {worst['factor']} (rho = {_fmt(worst['spearman_rho'])})"
            text += "."
    return text


def transfer_caption(table, stem: str) -> str:
    """Caption of the transfer figures (learning curves, scores against training-set size, change inside)."""
    kind, _, model = stem.partition("_")
    if kind == "learning":
        return (f"Learning curves of <b>{model}</b> on the new task: frozen backbone (only a new read-out "
                "learns), fine-tuned (everything learns) and trained from scratch, per epoch.")
    if kind == "change":
        return (f"How much each layer of <b>{model}</b> changed while learning the new task (CKA with its state "
                "before training: 1 = unchanged). Lower layers usually change least.")
    text = (f"Test score of <b>{model}</b> on the new task against the number of training stimuli, per mode, "
            "with 95% intervals over seeds.")
    sub = table[table.get("model", "") == model] if "model" in table else table
    if not sub.empty and {"mode", "value", "n_train"} <= set(sub.columns):
        top = sub[sub["n_train"] == sub["n_train"].max()]
        best = top.loc[top["value"].idxmax()]
        text += (f" <b>Result:</b> with {int(best['n_train'])} training stimuli, {best['mode']} scores best "
                 f"({best['metric']} = {_fmt(best['value'])}).")
    return text
