"""``methods.md`` and ``references.bib``: a methods paragraph a psychologist can paste and edit."""
from __future__ import annotations

from importlib import metadata

REFERENCES = {
    "kriegeskorte2008": ("article", {"author": "Kriegeskorte, Nikolaus and Mur, Marieke and Bandettini, Peter",
                                     "title": "Representational similarity analysis -- connecting the branches of "
                                              "systems neuroscience",
                                     "journal": "Frontiers in Systems Neuroscience", "volume": "2", "pages": "4",
                                     "year": "2008", "doi": "10.3389/neuro.06.004.2008"}),
    "nili2014": ("article", {"author": "Nili, Hamed and Wingfield, Cai and Walther, Alexander and Su, Li and "
                                       "Marslen-Wilson, William and Kriegeskorte, Nikolaus",
                             "title": "A toolbox for representational similarity analysis",
                             "journal": "PLoS Computational Biology", "volume": "10", "number": "4",
                             "pages": "e1003553", "year": "2014", "doi": "10.1371/journal.pcbi.1003553"}),
    "schutt2023": ("article", {"author": "Sch{\\\"u}tt, Heiko H. and Kipnis, Alexander D. and Diedrichsen, J{\\\"o}rn "
                                         "and Kriegeskorte, Nikolaus",
                               "title": "Statistical inference on representational geometries", "journal": "eLife",
                               "volume": "12", "pages": "e82566", "year": "2023", "doi": "10.7554/eLife.82566"}),
    "hong2016": ("article", {"author": "Hong, Ha and Yamins, Daniel L. K. and Majaj, Najib J. and DiCarlo, James J.",
                             "title": "Explicit information for category-orthogonal object properties increases "
                                      "along the ventral stream", "journal": "Nature Neuroscience", "volume": "19",
                             "pages": "613--622", "year": "2016", "doi": "10.1038/nn.4247"}),
    "selvaraju2017": ("inproceedings", {"author": "Selvaraju, Ramprasaath R. and Cogswell, Michael and Das, Abhishek "
                                                  "and Vedantam, Ramakrishna and Parikh, Devi and Batra, Dhruv",
                                        "title": "Grad-CAM: Visual explanations from deep networks via "
                                                 "gradient-based localization",
                                        "booktitle": "IEEE International Conference on Computer Vision (ICCV)",
                                        "pages": "618--626", "year": "2017", "doi": "10.1109/ICCV.2017.74"}),
    "zhang2018": ("article", {"author": "Zhang, Jianming and Bargal, Sarah Adel and Lin, Zhe and Brandt, Jonathan "
                                        "and Shen, Xiaohui and Sclaroff, Stan",
                              "title": "Top-down neural attention by excitation backprop",
                              "journal": "International Journal of Computer Vision", "volume": "126",
                              "pages": "1084--1102", "year": "2018", "doi": "10.1007/s11263-017-1059-x"}),
    "varoquaux2018": ("article", {"author": "Varoquaux, Ga{\\\"e}l",
                                  "title": "Cross-validation failure: small sample sizes lead to large error bars",
                                  "journal": "NeuroImage", "volume": "180", "pages": "68--77", "year": "2018",
                                  "doi": "10.1016/j.neuroimage.2017.06.061"}),
    "bengio2004": ("article", {"author": "Bengio, Yoshua and Grandvalet, Yves",
                               "title": "No unbiased estimator of the variance of K-fold cross-validation",
                               "journal": "Journal of Machine Learning Research", "volume": "5",
                               "pages": "1089--1105", "year": "2004"}),
    "wilson1927": ("article", {"author": "Wilson, Edwin B.",
                               "title": "Probable inference, the law of succession, and statistical inference",
                               "journal": "Journal of the American Statistical Association", "volume": "22",
                               "number": "158", "pages": "209--212", "year": "1927",
                               "doi": "10.1080/01621459.1927.10502953"}),
    "pedregosa2011": ("article", {"author": "Pedregosa, Fabian and others",
                                  "title": "Scikit-learn: Machine learning in Python",
                                  "journal": "Journal of Machine Learning Research", "volume": "12",
                                  "pages": "2825--2830", "year": "2011"}),
    "paszke2019": ("inproceedings", {"author": "Paszke, Adam and others",
                                     "title": "PyTorch: An imperative style, high-performance deep learning library",
                                     "booktitle": "Advances in Neural Information Processing Systems 32",
                                     "pages": "8024--8035", "year": "2019"}),
}

_COMPARISONS = {"corr": "Pearson correlation", "spearman": "Spearman rank correlation",
                "rho-a": "Spearman's rho-a", "tau-a": "Kendall's tau-a", "tau-b": "Kendall's tau-b",
                "cosine": "cosine similarity", "corr_cov": "whitened Pearson correlation",
                "cosine_cov": "whitened cosine similarity"}
_DISTANCES = {"correlation": "correlation distance (1 - Pearson r)", "euclidean": "squared Euclidean distance "
              "divided by the number of units", "cosine": "cosine distance", "mahalanobis": "Mahalanobis distance",
              "poisson": "Poisson KL divergence"}


_READOUT = ("standardised inside each training fold; a ridge classifier for categorical factors and ridge regression "
            "for continuous ones, the penalty chosen among 10^-3 to 10^5 by leave-one-out inside the training fold; "
            "scikit-learn")
_DECODING_CI = ("95% confidence intervals are percentile bootstraps over test items (1000 resamples of the "
                "out-of-fold predictions within each fold, stratified by class, each averaged over folds like the "
                "score), holding the trained decoders fixed: the finite test sample dominates the uncertainty of "
                "cross-validated decoding (Varoquaux, 2018), and the fold scores are not independent, so a t interval "
                "over folds has no unbiased variance estimate (Bengio & Grandvalet, 2004). Where every class of every "
                "test fold was all right or all wrong (so the bootstrap has no spread), the interval is the Wilson "
                "score interval at the observed balanced accuracy (Wilson, 1927).")
_DECODING_CITES = ["bengio2004", "varoquaux2018", "wilson1927"]


def _and(words) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_transform(transform) -> str:
    """A torchvision preprocessing pipeline in words (for a methods section)."""
    steps = getattr(transform, "transforms", [transform])
    words = []
    for t in steps:
        name = type(t).__name__
        if name == "Compose":  # load(..., resize=(h, w)): a resize, then the model's own pipeline
            words.append(describe_transform(t))
        elif name == "Resize":
            size = t.size if isinstance(t.size, int) else " x ".join(str(s) for s in t.size)
            words.append(f"resized to {size} px" + (" (shorter side)" if isinstance(t.size, int) else ""))
        elif name == "CenterCrop":
            words.append(f"centre-cropped to {' x '.join(str(s) for s in t.size)} px")
        elif name in ("ToTensor", "PILToTensor"):
            words.append("scaled to [0, 1]")
        elif name == "Normalize":
            mean = ", ".join(f"{v:.3g}" for v in t.mean)
            std = ", ".join(f"{v:.3g}" for v in t.std)
            words.append(f"normalised per channel (mean {mean}; SD {std})")
        elif name == "Grayscale":
            words.append("converted to greyscale")
        else:
            words.append(name)
    return ", ".join(words) if words else "none"


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "?"


def methods_text(state) -> tuple[str, list[str]]:
    """The methods section (Markdown) and the keys of the references it cites."""
    cfg = state.study.config
    cites = ["paszke2019"]
    parts = [f"# Methods\n\n*Generated by neurocompare {_version('neurocompare')} from `{state.study.path.name}`. "
             "Edit freely; every number below comes from the study file and the run.*\n"]
    sets = []
    for name, st in state.sets.items():
        entry = cfg.stimuli[name]
        src = (f"the shipped stimulus specification `{entry.spec}`" if entry.spec else
               "the 92 object images of Kriegeskorte et al. (2008)" if entry.dataset else f"the folder `{entry.path}`")
        factors = ", ".join(list(st.what) + list(st.where)) or "none"
        sets.append(f"**{name}**: {len(st)} images from {src} (factors: {factors})")
    parts.append("## Stimuli\n\n" + "; ".join(sets) + ".\n")
    lines = []
    for name, m in state.models.items():
        entry = cfg.models[name]
        if entry.train_on:
            how = (f"trained for {entry.epochs or 'the default number of'} epochs on the stimulus set "
                   f"`{entry.train_on}` (seed {cfg.study.random_state})")
        elif entry.weights == "DEFAULT":
            how = "with its default pretrained weights"
        elif entry.weights:
            how = f"with the weights in `{entry.weights}`"
        else:
            how = f"with random weights (seeded initialisation, seed {cfg.study.random_state}; an untrained control)"
        layers = [layer for (s, mm), tree in state.trees.items() if mm == name
                  for layer in tree[name].children][:50]
        lines.append(f"- **{name}** ({entry.model}) {how}. Layers analysed: {', '.join(f'`{x}`' for x in layers) or '-'}."
                     f" Preprocessing: {describe_transform(m.transform)}.")
    reduce = cfg.extraction.reduce
    red = {"none": "every unit was kept", "avgpool": "feature maps were averaged over space"}.get(
        reduce if isinstance(reduce, str) else "", None)
    if red is None:
        red = {"grid": f"each feature map was average-pooled to a {reduce[1]} x {reduce[1]} grid",
               "project": f"activations were reduced to {reduce[1]} dimensions by a seeded sparse random projection",
               "pca": f"activations were reduced to their first {reduce[1]} principal components"}[reduce[0]]
    parts.append("## Models and activations\n\n" + "\n".join(lines) + f"\n\nLayer activations were recorded with "
                 f"forward hooks (batch size {cfg.study.batch_size}); {red}.\n")
    a = cfg.analyses
    if a.probes is not None:
        cites += ["hong2016", "pedregosa2011", *_DECODING_CITES]
        split = f"generalisation across `{a.probes.split}`" if a.probes.split else f"{a.probes.cv}-fold cross-validation"
        perm = (f" Significance: {a.probes.permutations} label permutations per layer and target." if
                a.probes.permutations else "")
        parts.append("## What and where probes\n\nIdentity (\"what\") and position/size (\"where\") information was "
                     f"read out of every layer with linear decoders ({_READOUT}), scored by {split} (balanced "
                     f"accuracy and R²), following Hong et al. (2016).{perm} {_DECODING_CI}\n")
    if a.decoding is not None:
        cites += ["pedregosa2011", *_DECODING_CITES]
        d = a.decoding
        grouped = f", keeping the levels of `{d.groups}` on one side of every fold" if d.groups else ""
        perm = (f" Significance: {d.permutations} label permutations per layer and target, each re-running the "
                "cross-validation on the same folds." if d.permutations else "")
        parts.append(f"## Decoding\n\n{_and([f'`{t}`' for t in d.targets])} {'was' if len(d.targets) == 1 else 'were'} "
                     f"decoded from every layer with linear decoders ({_READOUT}), scored by {d.cv}-fold "
                     f"cross-validation{grouped} (balanced accuracy for categorical targets; R² and Pearson r for "
                     f"continuous ones; the score is the mean over folds).{perm} {_DECODING_CI}\n")
    if a.rsa is not None:
        cites += ["kriegeskorte2008", "nili2014", "schutt2023"]
        r = a.rsa
        refs = []
        for ref in r.references:
            if ref in cfg.human:
                h = cfg.human[ref]
                kind = next(k for k in ("ratings", "triplets", "arrangements", "rdms", "dataset")
                            if getattr(h, k, None) is not None)
                refs.append(f"the human data `{ref}` ({kind})")
            else:
                refs.append(f"a hypothesis RDM of `{ref}`")
        boot = ("no bootstrap" if r.bootstrap == "none" else
                f"{int(r.ci * 100)}% percentile intervals from {r.n_bootstrap} bootstrap samples of the {r.bootstrap}")
        perm = f"one-sided p-values from {r.permutations} stimulus-label permutations" if r.permutations else \
            "no permutation test"
        parts.append("## Representational similarity analysis\n\nFor every layer, a representational dissimilarity "
                     f"matrix (RDM) was computed as the {_DISTANCES[r.rdm_method]} between the activation patterns "
                     f"of each pair of stimuli (Kriegeskorte et al., 2008). Each layer's RDM was compared with "
                     f"{', '.join(refs)} by the {_COMPARISONS[r.method]} of their upper triangles, averaged over "
                     f"subjects where there are several; {boot}; {perm}. Where several subjects' RDMs were "
                     "available, the noise ceiling (lower: leave-one-subject-out; upper: all subjects) was computed "
                     "as in Nili et al. (2014). Inference follows rsatoolbox (Schütt et al., 2023)."
                     f"{_missing_pairs(state)}\n")
    if a.cam is not None:
        cites += ["selvaraju2017", "zhang2018"]
        parts.append("## Class-activation maps\n\nClass-activation maps (" + ", ".join(a.cam.methods) + ") were "
                     f"computed for the {a.cam.target} class of every image (Selvaraju et al., 2017) and scored "
                     "against the object masks by the pointing game (Zhang et al., 2018), the share of map energy "
                     f"inside the mask and the IoU of the thresholded map; means with {a.cam.n_bootstrap}-sample "
                     "bootstrap intervals.\n")
    versions = ", ".join(f"{p} {_version(p)}" for p in ("neurocompare", "torch", "torchvision", "numpy", "scipy",
                                                        "scikit-learn", "rsatoolbox", "xarray"))
    parts.append(f"## Software\n\nAll analyses ran in neurocompare on {state.device} ({versions}); random seed "
                 f"{cfg.study.random_state}. The full configuration, and the SHA-256 of every input file and of every "
                 "model's weights, are in `provenance.json`.\n")
    return "\n".join(parts), list(dict.fromkeys(cites))


def _missing_pairs(state) -> str:
    """A sentence on pairwise deletion when some subject did not define every pair (missed trials)."""
    res = getattr(state, "results", {}).get("rsa")
    if res is None or "n_pairs_min" not in res:
        return ""
    total = res["n_stimuli"] * (res["n_stimuli"] - 1) // 2
    short = res[res["n_pairs_min"] < total]
    if short.empty:
        return ""
    lo, hi, n = int(short["n_pairs_min"].min()), int(short["n_pairs_max"].max()), int(total[short.index[0]])
    return (" Pairs missing from a subject's data (e.g. missed trials) were left out of that subject's comparisons "
            f"(pairwise deletion): each comparison used the pairs both RDMs define, {lo} to {hi} of the {n} pairs "
            "(per subject in `tables/rsa_pairs.csv`); the bootstrap, the permutation test and the noise ceiling "
            "(whose pooled RDM averages each pair over the subjects who rated it) did the same.")


def bibtex(keys) -> str:
    """BibTeX entries for ``keys`` of :data:`REFERENCES`."""
    out = []
    for key in keys:
        kind, fields = REFERENCES[key]
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
        out.append(f"@{kind}{{{key},\n{body}\n}}")
    return "\n\n".join(out) + "\n"


def methods_files(state) -> dict[str, str]:
    """The texts of ``methods.md`` and ``references.bib`` for a study run."""
    text, keys = methods_text(state)
    return {"methods.md": text, "references.bib": bibtex(keys)}
