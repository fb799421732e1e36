"""What a CycleGAN keeps and what it changes: cycle/identity L1 and the what/where/style dissociation."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.checks import check_option, check_positive_int
from .._utils.stats import bootstrap_mean_ci, percentile_ci, row_corr
from ._cyclegan import DIRECTIONS, CycleGAN
from .images import images_tensor

DISSOCIATION_COLUMNS = ["analysis", "direction", "kind", "factor", "image", "metric", "value", "ci_low", "ci_high",
                        "n", "chance"]
_ARROW = {"a": ("A", "B"), "b": ("B", "A")}


def _check_result(result) -> CycleGAN:
    if not isinstance(result, CycleGAN):
        raise TypeError(f"Invalid value for 'result': expected the CycleGAN returned by train_cyclegan or "
                        f"load_cyclegan; got {type(result).__name__}.")
    return result


def _check_ci(ci) -> float:
    if not isinstance(ci, (int, float)) or isinstance(ci, bool) or not 0 < ci < 1:
        raise ValueError(f"Invalid value for 'ci': expected a number in (0, 1) such as 0.95; got {ci!r}.")
    return float(ci)


def _boot_mean(values, n_boot, ci, rng) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean over stimuli (NaN for fewer than 2)."""
    return bootstrap_mean_ci(values, n_boot=n_boot, ci=ci, rng=rng, min_n=2)


def _boot_r(x, y, n_boot, ci, rng) -> tuple[float, float]:
    if n_boot == 0 or len(x) < 3:
        return np.nan, np.nan
    idx = rng.integers(0, len(x), (n_boot, len(x)))
    return percentile_ci(row_corr(x[idx], y[idx]), ci)


def cycle_metrics(result, domain_a, domain_b, *, resize: bool = False, n_bootstrap: int = 1000, ci: float = 0.95,
                  batch_size: int = 32, device="auto", random_state: int = 0, progress: bool = True):
    """How well each domain survives the round trip, the identity mapping, and how much translation changes it.

    For every image the mean absolute difference over pixels and channels is computed on the 0-1
    intensity scale (in memory, without 8-bit rounding); the table gives its mean over the images
    with a percentile bootstrap CI over images.

    - ``cycle_l1`` (mapping ``A->B->A``): ``|G_ba(G_ab(a)) - a|``; 0 is a perfect round trip.
    - ``identity_l1`` (``B->A on A``): ``|G_ba(a) - a|``: the generator into A should leave A alone.
    - ``change_l1`` (``A->B``): ``|G_ab(a) - a|``: how much the translation alters the image, the
      scale against which to read the cycle L1 (an identity "translator" has 0 for all three).

    and the same for domain B.

    Parameters
    ----------
    result : CycleGAN
        The trained translator.
    domain_a, domain_b : StimulusSet
        Images of the two domains (ideally held out from training). Not modified.
    resize : bool
        Resize images whose size differs from the model's (otherwise an error).
    n_bootstrap : int
        Bootstrap resamples (0: no CI).
    ci : float
        Coverage of the CI.
    batch_size : int
        Images per forward pass.
    device : str
        Where the generators run: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    random_state : int
        Seeds the bootstrap.
    progress : bool
        Show a progress bar over the translations (each domain's images three times: there, back, identity).

    Returns
    -------
    pandas.DataFrame
        ``metric, domain, mapping, value, ci_low, ci_high, sd, n`` (``sd``: across images).
    """
    import pandas as pd

    from .._utils.progress import progress_bar
    from .._utils.random import check_random_state

    result = _check_result(result)
    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap, minimum=0)
    batch_size = check_positive_int("batch_size", batch_size)
    ci = _check_ci(ci)
    rng = check_random_state(random_state)
    rows = []
    from ..stimuli import StimulusSet

    for param, stim in (("domain_a", domain_a), ("domain_b", domain_b)):
        if not isinstance(stim, StimulusSet):
            raise TypeError(f"Invalid value for {param!r}: expected a StimulusSet; got {type(stim).__name__}.")
    total = 3 * (len(domain_a) + len(domain_b))        # each domain's images go through three translations
    with progress_bar(total, "CycleGAN: cycle metrics", enable=progress) as advance:
        for dom, stim, (src, dst) in (("a", domain_a, _ARROW["a"]), ("b", domain_b, _ARROW["b"])):
            there, back = ("a2b", "b2a") if dom == "a" else ("b2a", "a2b")
            x = images_tensor(stim, result.image_shape, resize=resize, param=f"domain_{dom}")
            kw = dict(batch_size=batch_size, device=device, progress=False)
            y = result.apply(x, there, **kw)
            advance(len(x))
            rec = result.apply(y, back, **kw)
            advance(len(x))
            idt = result.apply(x, back, **kw)
            advance(len(x))
            for metric, mapping, other in (("cycle_l1", f"{src}->{dst}->{src}", rec),
                                           ("identity_l1", f"{dst}->{src} on {src}", idt),
                                           ("change_l1", f"{src}->{dst}", y)):
                per = ((other - x).abs().flatten(1).mean(1) / 2).double().numpy()
                lo, hi = _boot_mean(per, n_bootstrap, ci, rng)
                rows.append({"metric": metric, "domain": dom, "mapping": mapping, "value": float(per.mean()),
                             "ci_low": lo, "ci_high": hi, "sd": float(per.std(ddof=1)) if len(per) > 1 else np.nan,
                             "n": len(per)})
    return pd.DataFrame(rows, columns=["metric", "domain", "mapping", "value", "ci_low", "ci_high", "sd", "n"])


def style_features(images) -> np.ndarray:
    """Image statistics that tell backgrounds apart: (N, 12) for a (N, 3, H, W) tensor in [-1, 1].

    Per colour channel the mean and standard deviation; of the grey image the mean absolute
    horizontal and vertical difference between neighbouring pixels; and the log power of the grey
    image's spectrum in four octave bands of spatial frequency (1-2, 2-4, 4-8, 8+ cycles per image).

    Parameters
    ----------
    images : torch.Tensor
        Float tensor (N, 3, H, W) in [-1, 1].

    Returns
    -------
    numpy.ndarray
        float64, (N, 12): 3 channel means, 3 channel sds, 2 mean neighbour differences, 4 band log powers.
    """
    import torch

    x = (images.double() + 1) / 2
    grey = x.mean(1)
    feats = [x.mean((2, 3)), x.std((2, 3)),
             (grey[:, :, 1:] - grey[:, :, :-1]).abs().mean((1, 2))[:, None],
             (grey[:, 1:, :] - grey[:, :-1, :]).abs().mean((1, 2))[:, None]]
    h, w = grey.shape[-2:]
    power = torch.fft.fft2(grey - grey.mean((1, 2), keepdim=True)).abs() ** 2
    fy = torch.fft.fftfreq(h, d=1 / h).abs()
    fx = torch.fft.fftfreq(w, d=1 / w).abs()
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    for lo, hi in ((1, 2), (2, 4), (4, 8), (8, np.inf)):
        band = (radius >= lo) & (radius < hi)
        feats.append(torch.log(power[:, band].mean(1) + 1e-6)[:, None])
    return torch.cat(feats, 1).numpy()


def translation_dissociation(result, stimuli, *, labeler, reference, direction: str = "a2b",
                             where=("x", "y", "size"), what=("category",), resize: bool = False, n_bootstrap: int = 1000,
                             ci: float = 0.95, batch_size: int = 32, device="auto", random_state: int = 0,
                             progress: bool = True):
    """What the translation keeps (position, identity) and what it changes (style): the what/where/style read-out.

    The source stimuli are translated (``direction``), saved as 8-bit images exactly as
    :meth:`CycleGAN.translate` writes them, and read out three ways:

    - **where** (kept): ``labeler`` (a what/where net, e.g. a TwoStreamNet trained on both
      domains with ``nc.models.train``) reads each factor in ``where`` from the source and from its
      translation (``nc.models.predict``: the first localised instance). Reported: ``r`` and
      ``mean_abs_shift`` between the two read-outs (image ``source_vs_translation``; position is
      kept when r is near 1), and ``r_truth``, the read-out's correlation with the source's true
      factor, on the source and on the translation.
    - **what** (kept): the labeler's top label; ``agreement`` between source and translation, and
      ``accuracy`` against the true factor on each (``chance`` = 1 / number of classes).
    - **style** (changed): a logistic regression on image statistics (:func:`style_features`,
      standardised) is trained to tell ``reference[0]`` (domain A) from ``reference[1]``
      (domain B); ``cv_accuracy`` is its 5-fold cross-validated accuracy on the reference images
      (image ``reference``). Refitted on all reference images, it classifies the source and the
      translation: ``target_domain_rate`` is the share read as the target domain (B for
      ``"a2b"``): near 0 on the source, and near 1 on the translation when the style changed (the
      flip rate). A translation that is merely degraded can also cross the boundary, so
      ``target_distance_ratio`` says how typical of the target domain it is: the mean distance of
      its standardised features to the centroid of the target's reference images, divided by the
      reference images' own mean distance to it (1: as typical as real target images; the
      ``chance`` column holds that 1). Use reference images other than ``stimuli`` so that the
      source is not classified in-sample.

    CIs are percentile bootstrap intervals over stimuli (``n_bootstrap`` resamples); the classifier's CI
    is over folds (min, max).

    Parameters
    ----------
    result : CycleGAN
        The trained translator.
    stimuli : StimulusSet
        Source images (domain A for ``"a2b"``) with the true factors. Not modified.
    labeler : ModelWrapper or str
        A model that ``nc.models.predict`` reads what and where from (TwoStreamNet, UNet, a detector),
        or the name ``"twostreamnet"`` or ``"onestreamnet"``: that net is then trained (with the
        defaults of ``nc.models.train``, cached) on the reference images of both domains together.
    reference : (StimulusSet, StimulusSet)
        Real images of domain A and domain B for the style classifier.
    direction : {"a2b", "b2a"}
        Which way ``stimuli`` are translated.
    where, what : sequence of str
        Factors to read out (columns of ``stimuli`` and outputs of the labeler).
    resize : bool
        Resize images whose size differs from the model's (otherwise an error).
    n_bootstrap : int
        Bootstrap resamples over stimuli (0: no CI).
    ci : float
        Coverage of the CIs.
    batch_size : int
        Images per forward pass (translation and read-out).
    device : str
        Where the generator and the labeler run: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    random_state : int
        Seeds the bootstrap and the classifier's folds.
    progress : bool
        Show progress bars, one after another, for training a named labeler,
        translating, and reading out the source and the translations.

    Returns
    -------
    pandas.DataFrame
        ``analysis, direction, kind, factor, image, metric, value, ci_low, ci_high, n, chance``
        (``kind``: ``where``, ``what`` or ``style``).
    """
    import tempfile

    import pandas as pd

    from .._utils.random import check_random_state, seed_int
    from ..models import predict
    from ..models import ModelWrapper
    from ..stimuli import StimulusSet

    result = _check_result(result)
    check_option("direction", direction, DIRECTIONS)
    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    if len(stimuli) < 3:
        raise ValueError(f"Invalid value for 'stimuli': expected at least 3 stimuli to correlate read-outs; "
                         f"got {len(stimuli)}.")
    if (not isinstance(reference, (tuple, list)) or len(reference) != 2
            or not all(isinstance(r, StimulusSet) for r in reference)):
        raise TypeError("Invalid value for 'reference': expected a pair (domain_a, domain_b) of StimulusSets "
                        f"of real images; got {type(reference).__name__}.")
    if isinstance(labeler, str):
        labeler = _train_labeler(labeler, reference, result.image_shape, random_state, progress=progress)
    if not isinstance(labeler, ModelWrapper):
        raise TypeError(f"Invalid value for 'labeler': expected a ModelWrapper such as "
                        f"nc.models.train('twostreamnet', ...) or the name 'twostreamnet'; got "
                        f"{type(labeler).__name__}.")
    where = [where] if isinstance(where, str) else list(where)
    what = [what] if isinstance(what, str) else list(what)
    missing = [f for f in where + what if f not in stimuli.metadata.columns]
    if missing:
        raise ValueError(f"Invalid value for 'where'/'what': factor(s) {missing} are not columns of 'stimuli'; "
                         f"available factors: {stimuli.factors}.")
    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap, minimum=0)
    ci = _check_ci(ci)
    rng = check_random_state(random_state)
    md = stimuli.metadata
    n = len(stimuli)
    rows = []

    def add(kind, factor, image, metric, value, lo=np.nan, hi=np.nan, count=n, chance=np.nan):
        rows.append({"analysis": "translation_dissociation", "direction": direction, "kind": kind, "factor": factor,
                     "image": image, "metric": metric, "value": float(value), "ci_low": lo, "ci_high": hi,
                     "n": int(count), "chance": chance})

    with tempfile.TemporaryDirectory() as tmp:
        translated = result.translate(stimuli, direction=direction, out=f"{tmp}/translated", resize=resize,
                                      batch_size=batch_size, device=device, progress=progress)
        src_pred = predict(labeler, stimuli, batch_size=batch_size, device=device, progress=progress)
        tr_pred = predict(labeler, translated, batch_size=batch_size, device=device, progress=progress)
        shape = result.image_shape
        src_x = images_tensor(stimuli, shape, resize=resize, param="stimuli")
        tr_x = images_tensor(translated, shape, resize=False, param="translation")

    def first(df, col):
        return df.drop_duplicates("stimulus_id").set_index("stimulus_id")[col].reindex(md.index)

    for f in where:
        if f not in src_pred.where.columns or src_pred.where[f].isna().all():
            raise ValueError(f"Invalid value for 'where': the labeler {labeler.name!r} gives no {f!r} read-out; "
                             "use a what/where net such as nc.models.train('twostreamnet', ...).")
        s = first(src_pred.where, f).to_numpy(float)
        t = first(tr_pred.where, f).to_numpy(float)
        truth = pd.to_numeric(md[f], errors="coerce").to_numpy(float)
        ok = np.isfinite(s) & np.isfinite(t) & np.isfinite(truth)
        s, t, truth = s[ok], t[ok], truth[ok]
        k = int(ok.sum())
        add("where", f, "source_vs_translation", "r", row_corr(s, t), *_boot_r(s, t, n_bootstrap, ci, rng), count=k)
        shift = np.abs(t - s)
        add("where", f, "source_vs_translation", "mean_abs_shift", shift.mean(), *_boot_mean(shift, n_bootstrap, ci, rng),
            count=k)
        for image, v in (("source", s), ("translation", t)):
            add("where", f, image, "r_truth", row_corr(v, truth), *_boot_r(v, truth, n_bootstrap, ci, rng), count=k)

    for f in what:
        top = src_pred.what[src_pred.what["rank"] == 1]
        s = first(top, "label").astype(str).to_numpy()
        t = first(tr_pred.what[tr_pred.what["rank"] == 1], "label").astype(str).to_numpy()
        truth = md[f].astype(str).to_numpy()
        chance = 1 / len(labeler.classes) if labeler.classes else np.nan
        agree = (s == t).astype(float)
        add("what", f, "source_vs_translation", "agreement", agree.mean(), *_boot_mean(agree, n_bootstrap, ci, rng),
            chance=np.nan)
        if not set(truth) & set(s):
            raise ValueError(f"Invalid value for 'what': the labeler's labels ({sorted(set(s))[:5]}) do not match "
                             f"the values of {f!r} ({sorted(set(truth))[:5]}).")
        for image, v in (("source", s), ("translation", t)):
            hit = (v == truth).astype(float)
            add("what", f, image, "accuracy", hit.mean(), *_boot_mean(hit, n_bootstrap, ci, rng), chance=chance)

    # style: a domain classifier on image statistics
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ref_a, ref_b = reference
    fa = style_features(images_tensor(ref_a, shape, resize=True, param="reference[0]"))
    fb = style_features(images_tensor(ref_b, shape, resize=True, param="reference[1]"))
    feats = np.concatenate([fa, fb])
    labels = np.r_[np.zeros(len(fa), int), np.ones(len(fb), int)]
    folds = min(5, len(fa), len(fb))
    if folds < 2:
        raise ValueError("Invalid value for 'reference': each domain needs at least 2 images for the style "
                         f"classifier; got {len(fa)} and {len(fb)}.")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed_int(random_state))
    scores = cross_val_score(clf, feats, labels, cv=cv)
    add("style", "domain", "reference", "cv_accuracy", scores.mean(), float(scores.min()), float(scores.max()),
        count=len(labels), chance=0.5)
    clf.fit(feats, labels)
    target = 1 if direction == "a2b" else 0
    scaler = clf[0]
    z_target = scaler.transform(fb if target == 1 else fa)
    centroid = z_target.mean(0)
    typical = np.linalg.norm(z_target - centroid, axis=1).mean()
    for image, x in (("source", src_x), ("translation", tr_x)):
        f = style_features(x)
        hit = (clf.predict(f) == target).astype(float)
        add("style", "domain", image, "target_domain_rate", hit.mean(), *_boot_mean(hit, n_bootstrap, ci, rng))
        ratio = np.linalg.norm(scaler.transform(f) - centroid, axis=1) / typical
        add("style", "domain", image, "target_distance_ratio", ratio.mean(), *_boot_mean(ratio, n_bootstrap, ci, rng),
            chance=1.0)
    return pd.DataFrame(rows, columns=DISSOCIATION_COLUMNS)


def _combine_sets(sets, *, name: str = "combined"):
    """One StimulusSet over several sets (in their folders): ids and files prefixed by each set's folder.

    The root is the folders' common parent; nothing is copied. Columns missing from a set are NaN.
    """
    import os

    import pandas as pd

    from ..stimuli import StimulusSet

    roots = [Path(s.root).resolve() for s in sets]
    common = Path(os.path.commonpath(roots))
    parts = []
    for s, root in zip(sets, roots):
        prefix = root.relative_to(common).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        md = s.metadata.reset_index()
        md["stimulus_id"] = prefix + md["stimulus_id"].astype(str)
        for col in ("file", "mask_file"):
            if col in md.columns:
                md[col] = [prefix + str(f) if isinstance(f, str) else f for f in md[col]]
        parts.append(md)
    md = pd.concat(parts, ignore_index=True)
    if md["stimulus_id"].duplicated().any():
        raise ValueError("Invalid value for 'reference': the two sets share a folder and stimulus ids; "
                         "pass sets stored in different folders.")
    what = [f for f in sets[0].what if f in md.columns]
    where = [f for f in sets[0].where if f in md.columns]
    return StimulusSet(common, md, what=what, where=where, name=name)


def _train_labeler(name: str, reference, shape, random_state, *, progress: bool = False):
    from .._utils.logging import logger
    from .._utils.random import seed_int
    from ..models import train

    check_option("labeler", name, ["twostreamnet", "onestreamnet"])
    both = _combine_sets(list(reference), name=f"{reference[0].name}+{reference[1].name}")
    logger.info("Training a %s labeler on the %d reference images of both domains", name, len(both))
    return train(name, both, options={"image_size": int(shape[0])}, random_state=seed_int(random_state),
                 progress=progress)
