"""Running a study: stimuli -> models -> activations -> analyses -> tables, figures, provenance, report."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .._utils.hashing import config_hash
from .._utils.logging import logger
from ._validate import StudyFile, read_study

LEDGER = ".stages.json"


@dataclass
class Stage:
    """One step of a study, with what it works on (for ``--dry-run`` and progress).

    Attributes
    ----------
    name : str
        The kind of stage: stimuli, model, extract, probes, rsa, decoding, cam, generation, behavior, report.
    what : str
        What it works on (a stimulus set, a model, "model on stimuli").
    size : str
        How big it is, in words.
    """

    name: str
    what: str
    size: str = ""


@dataclass
class _State:
    study: StudyFile
    out: Path
    progress: bool
    device: str = "cpu"
    sets: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    trees: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)  # file -> sha256
    weights: dict = field(default_factory=dict)  # model -> sha256 of its weights
    ledger: dict = field(default_factory=dict)
    written: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # stage -> seconds (this run; 0-ish when reused)
    scheduler: object = None  # a distributed.Client for the whole run, or None


def plan_study(study) -> list[Stage]:
    """The stages :func:`run_study` would run, with their sizes, without running anything.

    Parameters
    ----------
    study : path-like or StudyFile
        The study file, or one read by :func:`read_study`.

    Returns
    -------
    list of Stage
    """
    study = study if isinstance(study, StudyFile) else read_study(study)
    cfg = study.config
    stages = []
    for name, entry in cfg.stimuli.items():
        src = entry.path or entry.spec or entry.dataset
        stages.append(Stage("stimuli", name, f"{_n_stimuli(study, entry)} stimuli from {src}"))
    for name, entry in cfg.models.items():
        how = f"train on {entry.train_on!r}" if entry.train_on else f"weights={entry.weights or 'random (seeded)'}"
        stages.append(Stage("model", name, f"{entry.model}, {how}"))
    for set_name, model_names in _extraction_plan(cfg).items():
        for m in model_names:
            layers = cfg.models[m].layers
            stages.append(Stage("extract", f"{m} on {set_name}",
                                f"layers={layers if isinstance(layers, str) else len(layers)}, "
                                f"reduce={cfg.extraction.reduce}"))
    a = cfg.analyses
    if a.probes is not None:
        stages.append(Stage("probes", _target_set(cfg, a.probes), f"cv={a.probes.cv}, "
                                                                   f"permutations={a.probes.permutations}"))
    if a.rsa is not None:
        stages.append(Stage("rsa", _target_set(cfg, a.rsa), f"{len(a.rsa.references)} reference(s), "
                                                             f"{a.rsa.bootstrap} bootstrap x {a.rsa.n_bootstrap}, "
                                                             f"{a.rsa.permutations} permutations"))
    if a.decoding is not None:
        stages.append(Stage("decoding", _target_set(cfg, a.decoding), f"targets={a.decoding.targets}, "
                                                                       f"cv={a.decoding.cv}"))
    if a.cam is not None:
        stages.append(Stage("cam", _target_set(cfg, a.cam), f"methods={a.cam.methods}"))
    if a.transfer is not None:
        t = a.transfer
        stages.append(Stage("transfer", _target_set(cfg, t), f"target={t.target!r}, modes={t.modes}, "
                                                              f"{t.n_seeds} seed(s), {t.epochs} epochs"))
    if a.generation is not None:
        g = a.generation
        stages.append(Stage("generation", _target_set(cfg, g), f"GAN {g.epochs} epochs, {g.method} axes for "
                                                               f"{g.factors}, {g.steps} x {g.n} traversal"))
    if a.behavior is not None:
        stages.append(Stage("behavior", _target_set(cfg, a.behavior), f"trials={a.behavior.trials!r}, "
                                                                       f"mapping={a.behavior.mapping}"))
    stages.append(Stage("report", "report.html", "methods.md, references.bib, provenance.json"))
    return stages


def run_study(study, *, out=None, overwrite: bool = False, progress: bool = True):
    """Run a study file and write its results folder.

    Parameters
    ----------
    study : path-like or StudyFile
        The study file (TOML), or one read by :func:`read_study`.
    out : path-like, optional
        The results folder; default ``<study file's stem>-results`` beside the file. A
        rerun into the same folder resumes: finished stages are kept when their inputs and
        settings are unchanged, and redone when anything they depend on changed.
    overwrite : bool
        Start afresh in ``out`` even if it holds another study's results (only ever a
        folder neurocompare wrote).
    progress : bool
        Show progress bars.

    Returns
    -------
    pathlib.Path
        The results folder: ``figures/`` (PNG and PDF), ``tables/`` (CSV), ``activations/``
        (zarr), ``provenance.json``, ``methods.md``, ``references.bib`` and ``report.html``.
    """
    from .._utils.checks import check_bool
    from .._utils.paths import write_lock

    overwrite, progress = check_bool("overwrite", overwrite), check_bool("progress", progress)
    study = study if isinstance(study, StudyFile) else read_study(study)
    out = Path(out) if out is not None else study.folder / f"{study.path.stem}-results"
    with write_lock(out, what="study folder"):
        _prepare_folder(out, study, overwrite)
        state = _State(study, out, progress)
        state.ledger = _read_json(out / LEDGER)
        from .._utils.scheduler import using_scheduler

        with using_scheduler(study.config.study.scheduler, param="study.scheduler", progress=progress) as client:
            state.scheduler = client
            _run_stages(state)
    return out


def _prepare_folder(out: Path, study: StudyFile, overwrite: bool) -> None:
    from .._utils.paths import MARKER, check_target, remove_ours, write_marker

    marker = _read_json(out / MARKER)
    mine = marker.get("kind") == "study" and marker.get("study") == str(study.path)
    if out.exists() and not mine:
        if marker.get("kind") == "study" and not overwrite:
            raise FileExistsError(f"Invalid value for 'out': {str(out)!r} holds the results of another study "
                                  f"({marker.get('study')!r}). Choose another folder, or pass overwrite=True to "
                                  "replace them.")
        check_target(out, overwrite=overwrite)
        if out.exists() and any(out.iterdir()):
            remove_ours(out)
    elif mine and overwrite:
        remove_ours(out)
    for sub in ("figures", "tables", "activations"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    write_marker(out, "study")
    data = _read_json(out / MARKER)
    data["study"] = str(study.path)
    _write_text(out / MARKER, json.dumps(data) + "\n")


def _run_stages(state: _State) -> None:
    from .._utils.device import resolve_device
    from .._utils.progress import progress_bar

    cfg = state.study.config
    state.device = str(resolve_device(cfg.study.device))
    stages = plan_study(state.study)
    state.inputs[str(state.study.path)] = _sha256(state.study.path)
    import time

    with progress_bar(len(stages), "study", enable=state.progress) as advance:
        for i, stage in enumerate(stages, 1):
            advance.describe(f"study, stage {i}/{len(stages)}: {stage.name} {stage.what} ({stage.size})")
            logger.info("Study stage %s: %s (%s)", stage.name, stage.what, stage.size)
            start = time.perf_counter()
            if stage.name == "report":
                state.timings["report"] = 0.0  # recorded in provenance before the report is built
            _STAGES[stage.name](state, stage)
            state.timings[f"{stage.name}: {stage.what}"] = round(time.perf_counter() - start, 2)
            advance(1)


# -- stimuli and models ----------------------------------------------------------------------------------------
def _stage_stimuli(state: _State, stage: Stage) -> None:
    from .. import stimuli

    entry = state.study.config.stimuli[stage.what]
    if entry.path is not None:
        st = stimuli.load(state.study.resolve(entry.path))
    elif entry.spec is not None:
        folder = state.out / "stimuli" / stage.what
        spec = entry.spec if entry.spec in stimuli.list_specs() else str(state.study.resolve(entry.spec))
        key = config_hash({"spec": stimuli.read_spec(spec)})
        if state.ledger.get(f"stimuli/{stage.what}") == key and folder.is_dir():
            st = stimuli.load(folder)
        else:
            if folder.exists():
                from .._utils.paths import remove_ours

                remove_ours(folder)
            st = stimuli.make_from_spec(spec, folder)
            _record(state, f"stimuli/{stage.what}", key)
    elif entry.dataset == "geirhos2019":
        from .. import datasets

        st = datasets.fetch_geirhos2019().stimuli[entry.part]
    else:
        from .. import datasets

        st = datasets.fetch_kriegeskorte92().stimuli
    for f in st.metadata["file"]:
        path = st.root / f
        state.inputs[str(path)] = _sha256(path)
    state.sets[stage.what] = st


def _stage_model(state: _State, stage: Stage) -> None:
    from .. import models

    cfg = state.study.config
    entry = cfg.models[stage.what]
    seed = cfg.study.random_state
    if entry.train_on is not None:
        from ..models.resizing import apply_resize

        options = {k: v for k, v in entry.options.items() if k != "resize"}
        m = models.train(entry.model, state.sets[entry.train_on], epochs=entry.epochs, random_state=seed,
                         device=cfg.study.device, progress=state.progress, options=options or None)
        m = apply_resize(m, entry.options.get("resize"))  # preprocessing of the extraction, not of the training
    else:
        weights = entry.weights
        if weights not in (None, "DEFAULT"):
            weights = str(state.study.resolve(weights))
            state.inputs[weights] = _sha256(Path(weights))
        name = str(state.study.resolve(entry.model)) if state.study.resolve(entry.model).is_file() else entry.model
        m = models.load(name, weights=weights, random_state=seed, **entry.options)
    m.name = stage.what
    from ..models.training import state_hash

    state.weights[stage.what] = state_hash(m.module, length=None)
    if entry.train_on is not None:  # one label whether the net was trained now or loaded from the cache
        m.weights = (f"trained on {entry.train_on} ({entry.epochs or 'default'} epochs, seed {seed}); "
                     f"sha256 {state.weights[stage.what][:12]}")
    state.models[stage.what] = m


# -- extraction ------------------------------------------------------------------------------------------------
def _extraction_plan(cfg) -> dict[str, list[str]]:
    plan: dict[str, list[str]] = {}
    for a in (cfg.analyses.probes, cfg.analyses.rsa, cfg.analyses.decoding):
        if a is None:
            continue
        names = plan.setdefault(_target_set(cfg, a), [])
        for m in a.models or list(cfg.models):
            if m not in names:
                names.append(m)
    return plan


def _stage_extract(state: _State, stage: Stage) -> None:
    from .. import extract
    from .._utils.paths import remove_ours

    cfg = state.study.config
    model_name, set_name = stage.what.split(" on ")
    m, st = state.models[model_name], state.sets[set_name]
    layers = cfg.models[model_name].layers
    layers = None if layers == "default" else layers
    reduce = cfg.extraction.reduce
    reduce = None if reduce == "none" else (reduce if isinstance(reduce, str) else tuple(reduce))
    key = config_hash({"weights": state.weights[model_name], "transform": repr(m.transform), "layers": layers,
                       "resolved_layers": m.resolve_layers(layers), "reduce": reduce,
                       "stimuli": [(i, state.inputs[str(st.root / f)]) for i, f in zip(st.ids, st.metadata["file"])],
                       "batch_size": cfg.study.batch_size, "random_state": cfg.study.random_state}, length=12)
    folder = state.out / "activations" / set_name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{model_name}-{key}.zarr"
    for stale in folder.glob(f"{model_name}-*.zarr"):
        if stale != target:  # settings, weights or images changed: never reuse those activations
            logger.info("Removing stale activations %s", stale)
            remove_ours(stale)
    kwargs = dict(layers=layers, reduce=reduce, batch_size=cfg.study.batch_size, device=cfg.study.device, out=target,
                  random_state=cfg.study.random_state, progress=state.progress, scheduler=state.scheduler)
    try:
        tree = extract(m, st, **kwargs)
    except FileExistsError:  # same weights, images and settings, other labels: the store is ours to redo
        remove_ours(target)
        tree = extract(m, st, **kwargs)
    state.trees[(set_name, model_name)] = tree


def _tree(state: _State, set_name: str, names: list[str]):
    import xarray as xr

    nodes = {"/": xr.Dataset()}
    for m in names:
        sub = state.trees[(set_name, m)]
        for node in sub.subtree:
            if node.path != "/":
                nodes[node.path] = node.to_dataset(inherit=False)
    return xr.DataTree.from_dict(nodes)


# -- analyses --------------------------------------------------------------------------------------------------
def _stage_probes(state: _State, stage: Stage) -> None:
    from .. import probes

    cfg = state.study.config
    a, names, key, table, fresh = _begin(state, stage, "probes", "probes.csv")
    if not fresh:
        res = probes.what_where(_tree(state, stage.what, names), state.sets[stage.what], what=a.what, where=a.where,
                                cv=a.cv, groups=a.groups, split=a.split, permutations=a.permutations,
                                random_state=cfg.study.random_state, progress=state.progress,
                                scheduler=state.scheduler)
        _write_table(res, table)
        _figures_probes(state, res)
        _record(state, "probes", key)
    import pandas as pd

    state.results["probes"] = pd.read_csv(table)


def _figures_probes(state, res) -> None:
    from .. import plotting

    for model in res.model.unique():
        axes = plotting.plot_probe_profile(res[res.model == model])
        _save_figure(state, axes[0].figure, f"probes_{model}")


def _hypothesis_rdm(st, factor: str):
    import numpy as np
    import pandas as pd

    from ..rsa import make_rdm

    values = st.metadata[factor]
    if pd.api.types.is_numeric_dtype(values):
        v = values.to_numpy(dtype=float)
        d = np.abs(v[:, None] - v[None, :])
        kind = "absolute difference"
    else:
        v = values.astype(str).to_numpy()
        d = (v[:, None] != v[None, :]).astype(float)
        kind = "same (0) or different (1)"
    rdm = make_rdm(d, list(st.ids), method="hypothesis")
    rdm.attrs.update(source=f"hypothesis: {factor} ({kind})")
    return rdm.rename(factor)


def _human_rdms(state, name: str):
    from .. import rsa

    entry = state.study.config.human[name]
    st = state.sets[entry.stimuli]
    ids = [str(i) for i in st.ids]
    params = entry.model_dump(exclude={"stimuli"})
    if "dataset" in params:
        from .. import datasets

        data = datasets.fetch_kriegeskorte92()
        rdms = getattr(data, entry.part)
        return _align(rdms, ids, name)
    kind = next(k for k in ("ratings", "triplets", "arrangements", "rdms") if k in params)
    path = state.study.resolve(params.pop(kind))
    state.inputs[str(path)] = _sha256(path)
    if kind == "rdms":
        rdms = rsa.load_rdms(path, format="matrix" if path.suffix.lower() in (".csv", ".tsv", ".txt") else None,
                             variable=params.get("variable"),
                             stimulus_ids=ids if path.suffix.lower() in (".npy", ".mat") else None)
    else:
        loader = {"ratings": rsa.from_ratings, "triplets": rsa.from_triplets,
                  "arrangements": rsa.from_arrangements}[kind]
        rdms = loader(path, **params)
    return _align(rdms, ids, name)


def _align(rdms, ids, name):
    """Human RDMs in the stimulus set's order, their ids matched by id, file name or file stem (match_stimuli)."""
    from ..rsa import match_stimuli

    rdms = match_stimuli(rdms, ids, name=f"human.{name}")
    have = set(map(str, rdms.stimulus_a.values))
    absent = [i for i in ids if i not in have]
    if absent:
        raise ValueError(f"The human data {name!r} have no data for {len(absent)} stimuli of the set (first: "
                         f"{absent[:5]}); RSA needs the same stimuli on both sides.")
    return rdms.sel(stimulus_a=ids, stimulus_b=ids)


def _stage_rsa(state: _State, stage: Stage) -> None:
    import numpy as np
    import pandas as pd

    from .. import rsa

    cfg = state.study.config
    a, names, key, table, fresh = _begin(state, stage, "rsa", "rsa.csv")
    if not fresh:
        st = state.sets[stage.what]
        rdms = rsa.compute_rdm(_tree(state, stage.what, names), a.rdm_method, scheduler=state.scheduler)
        frames, pairs = [], []
        for ref in a.references:
            reference = _human_rdms(state, ref) if ref in cfg.human else _hypothesis_rdm(st, ref)
            boot = None if a.bootstrap == "none" else a.bootstrap
            if boot in ("subjects", "both") and reference.ndim < 3:
                boot = "stimuli"
            frames.append(rsa.evaluate(rdms, reference, method=a.method, bootstrap=boot, n_bootstrap=a.n_bootstrap,
                                       permutations=a.permutations, ci=a.ci, ceiling=reference.ndim >= 3,
                                       random_state=cfg.study.random_state, target=ref))
            if ref in cfg.human:   # the pairs each subject contributed (fewer where trials were missed)
                pairs.append(rsa.pair_counts(rdms, reference).assign(target=ref))
        res = pd.concat(frames, ignore_index=True)
        _write_table(res, table)
        if pairs:
            _write_table(pd.concat(pairs, ignore_index=True), state.out / "tables" / "rsa_pairs.csv")
        _figures_rsa(state, res)
        if a.compare_models:
            similarity = np.asarray(rsa.compare(rdms, rdms, method=a.method))
            _write_table(_layer_similarity(rdms, similarity, a.method), state.out / "tables" / "rsa_layers.csv")
            _figure_layer_similarity(state, rdms, similarity, a.method)
        _record(state, "rsa", key)
    state.results["rsa"] = pd.read_csv(table)


def _layer_similarity(rdms, vals, method):
    """Every layer's RDM against every other's (second-order RSA, ``vals``), as a tidy table."""
    import pandas as pd

    labels = [f"{m} {layer}" for m, layer in zip(rdms["model"].values, rdms["layer"].values)]
    rows = [{"model_a": rdms["model"].values[i], "layer_a": rdms["layer"].values[i],
             "model_b": rdms["model"].values[j], "layer_b": rdms["layer"].values[j], "metric": method,
             "value": float(vals[i, j])} for i in range(len(labels)) for j in range(len(labels))]
    return pd.DataFrame(rows)


def _figure_layer_similarity(state, rdms, vals, method):
    import matplotlib.pyplot as plt
    import numpy as np

    labels = [f"{m} {layer}" for m, layer in zip(rdms["model"].values, rdms["layer"].values)]
    size = 2.5 + 0.28 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(vals, cmap="viridis", vmin=min(0.0, float(np.nanmin(vals))), vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    fig.colorbar(im, ax=ax, label=f"RDM similarity ({method})")
    ax.set_title("Layers compared with each other")
    fig.tight_layout()
    _save_figure(state, fig, "rsa_layers")


def _stage_decoding(state: _State, stage: Stage) -> None:
    import pandas as pd

    from ..decoding import decode
    from ..extraction import iter_layers

    cfg = state.study.config
    a, names, key, table, fresh = _begin(state, stage, "decoding", "decoding.csv")
    if not fresh:
        frames = []
        for model, layer, da in iter_layers(_tree(state, stage.what, names)):
            acts = da.load()
            for target in a.targets:
                res = decode(acts, target, task=a.task, cv=a.cv, groups=a.groups, permutations=a.permutations,
                             random_state=cfg.study.random_state, scheduler=state.scheduler)
                frames.append(res.assign(model=model, layer=layer, stream=da.attrs.get("stream", "")))
        res = pd.concat(frames, ignore_index=True)
        cols = ["model", "layer", "stream"] + [c for c in res.columns if c not in ("model", "layer", "stream")]
        res = res[cols]
        _write_table(res, table)
        _figures_decoding(state, res)
        _record(state, "decoding", key)
    state.results["decoding"] = pd.read_csv(table)


def _figures_decoding(state, res) -> None:
    import matplotlib.pyplot as plt

    main = res[res.metric.isin(["balanced_accuracy", "r2"])]
    for target in main.target.unique():
        sub = main[main.target == target]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for model in sub.model.unique():
            m = sub[sub.model == model]
            x = range(len(m))
            line = ax.plot(x, m["value"], marker="o", label=model)[0]
            # the interval as drawn from its bounds: a bootstrap interval need not be symmetric about the value
            ax.vlines(list(x), m["ci_low"], m["ci_high"], color=line.get_color(), lw=1)
            ax.set_xticks(list(x), list(m["layer"]), rotation=45, ha="right")
        chance = sub["chance"].iloc[0]
        if chance == chance:
            ax.axhline(chance, ls="--", color="grey", lw=1, label="chance")
        ax.set_ylabel(sub["metric"].iloc[0].replace("_", " "))
        ax.set_title(f"Decoding {target}")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        _save_figure(state, fig, f"decoding_{target}")


def _figures_rsa(state, res) -> None:
    from .. import plotting

    for target in res.target.unique():
        sub = res[res.target == target]
        streams = "stream" in sub and sub["stream"].nunique() > 1
        ax = plotting.plot_layer_profile(sub, color_by="stream" if streams else None,
                                         ceiling=bool(sub["noise_ceiling_lower"].notna().any()),
                                         title=f"RSA against {target}")
        _save_figure(state, ax.figure, f"rsa_{target}")


def _stage_cam(state: _State, stage: Stage) -> None:
    import pandas as pd

    from .. import cam, plotting

    cfg = state.study.config
    a, names, key, table, fresh = _begin(state, stage, "cam", "cam_localization.csv")
    if not fresh:
        st = state.sets[stage.what]
        if not st.has_masks:
            raise ValueError(f"Invalid value for 'analyses.cam.stimuli': the stimulus set {stage.what!r} has no "
                             "object masks (mask_file), so the maps cannot be scored; use a set with masks.")
        frames = []
        for name in names:
            m = state.models[name]
            for method in a.methods:
                maps = cam.compute(m, st, method=method, layer=a.layer, target=a.target,
                                   batch_size=cfg.study.batch_size, device=cfg.study.device, progress=state.progress)
                frames.append(cam.localization(maps, st).assign(model=name))
                fig = plotting.plot_cam_overlay(maps.isel(stimulus=slice(0, 8)), st.subset(list(st.ids[:8])),
                                                outline="mask")
                _save_figure(state, fig, f"cam_{name}_{method}".replace("+", "p"))
        scores = pd.concat(frames, ignore_index=True)
        summary = cam.summarize_scores(scores, n_bootstrap=a.n_bootstrap, random_state=cfg.study.random_state)
        _write_table(summary, table)
        for metric in summary["metric"].unique():
            ax = plotting.plot_cam_scores(summary, metric=metric)
            _save_figure(state, ax.figure, f"cam_scores_{metric}")
        _record(state, "cam", key)
    state.results["cam"] = pd.read_csv(table)


def _stage_report(state: _State, stage: Stage) -> None:
    from ..report import build_report
    from ._methods import methods_files

    from .._utils.provenance import provenance

    cfg = state.study.config
    record = provenance(study=str(state.study.path), resolved_config=cfg.model_dump(mode="json"),
                        random_state=cfg.study.random_state, device=state.device,
                        weights_sha256=state.weights, inputs_sha256=dict(sorted(state.inputs.items())),
                        stage_seconds={k: v for k, v in state.timings.items() if k != "report"})
    _write_text(state.out / "provenance.json", json.dumps(record, indent=2, default=str) + "\n")
    for name, text in methods_files(state).items():
        _write_text(state.out / name, text)
    build_report(state.out)


def _human_trials(state, name: str):
    from .. import behavior, datasets

    entry = state.study.config.human[name]
    if getattr(entry, "dataset", None) == "geirhos2019":
        part = state.study.config.stimuli[entry.stimuli].part
        humans = datasets.fetch_geirhos2019().humans
        return humans[humans["condition"] == part]
    path = state.study.resolve(entry.trials)
    state.inputs[str(path)] = _sha256(path)
    return behavior.load_trials(path, columns=entry.columns or None, format=entry.format)


def _stage_behavior(state: _State, stage: Stage) -> None:
    import pandas as pd

    from .. import behavior, plotting

    cfg = state.study.config
    a, names, key, table, fresh = _begin(state, stage, "behavior", "behavior_consistency.csv")
    if not fresh:
        humans = _human_trials(state, a.trials)
        conditions = humans["condition"].dropna().unique() if "condition" in humans else []
        condition = conditions[0] if len(conditions) == 1 else "all"
        mapping = None if a.mapping == "identity" else a.mapping
        models = pd.concat([behavior.model_trials(state.models[m], state.sets[stage.what], mapping=mapping,
                                                  subject=m, condition=condition, batch_size=cfg.study.batch_size,
                                                  device=cfg.study.device, progress=state.progress)
                            for m in names], ignore_index=True)
        seed = cfg.study.random_state
        acc = pd.concat([behavior.accuracy(models, n_bootstrap=a.n_bootstrap, ci=a.ci, random_state=seed)
                         .assign(group="model"),
                         behavior.accuracy(humans, n_bootstrap=a.n_bootstrap, ci=a.ci, random_state=seed)
                         .assign(group="human")], ignore_index=True)
        consistency = behavior.consistency_table(models, humans, n_bootstrap=a.n_bootstrap, ci=a.ci,
                                                 random_state=seed)
        summary = behavior.summarize_consistency(consistency)
        _write_table(models, state.out / "tables" / "behavior_model_trials.csv")
        _write_table(acc, state.out / "tables" / "behavior_accuracy.csv")
        _write_table(consistency, state.out / "tables" / "behavior_consistency_pairs.csv")
        _write_table(summary, table)
        ax = plotting.plot_accuracy_by_condition(acc[acc.group == "model"], acc[acc.group == "human"])
        _save_figure(state, ax.figure, "behavior_accuracy")
        ax = plotting.plot_consistency(summary)
        _save_figure(state, ax.figure, "behavior_consistency")
        _record(state, "behavior", key)
    state.results["behavior"] = pd.read_csv(table)


def _stage_transfer(state: _State, stage: Stage) -> None:
    import pandas as pd

    from .. import plotting, transfer

    cfg = state.study.config
    t, names, key, table, fresh = _begin(state, stage, "transfer", "transfer_summary.csv")
    if not fresh:
        seeds = [cfg.study.random_state + i for i in range(t.n_seeds)]
        results = {}
        for name in names:
            results[name] = transfer.run(state.models[name], state.sets[stage.what], target=t.target,
                                         modes=tuple(t.modes), train_sizes=t.train_sizes, random_state=seeds,
                                         epochs=t.epochs, lr=t.lr, batch_size=cfg.study.batch_size,
                                         device=cfg.study.device, progress=state.progress)
        for part in ("scores", "history", "change"):
            frames = [getattr(r, part).assign(model=n) for n, r in results.items()]
            _write_table(pd.concat(frames, ignore_index=True), state.out / "tables" / f"transfer_{part}.csv")
        summary = pd.concat([r.summary().assign(model=n) for n, r in results.items()], ignore_index=True)
        _write_table(summary, table)
        for name, r in results.items():
            ax = plotting.plot_learning_curves(r.history)
            _save_figure(state, ax.figure, f"transfer_learning_{name}")
            ax = plotting.plot_score_vs_n(r.scores)
            _save_figure(state, ax.figure, f"transfer_scores_{name}")
            if not r.change.empty:
                ax = plotting.plot_representational_change(r.change)
                _save_figure(state, ax.figure, f"transfer_change_{name}")
        _record(state, "transfer", key)
    state.results["transfer"] = pd.read_csv(table)


def _stage_generation(state: _State, stage: Stage) -> None:
    import pandas as pd

    from .. import generation, plotting

    cfg = state.study.config
    g = cfg.analyses.generation
    key = _analysis_key(state, stage, g, [g.labeler])
    table = state.out / "tables" / "generation_traversal.csv"
    if not _fresh(state, "generation", key, table):
        seed = cfg.study.random_state
        gan = generation.train_gan(state.sets[stage.what], image_size=g.image_size, latent_dim=g.latent_dim,
                                   epochs=g.epochs, random_state=seed, device=cfg.study.device,
                                   out=state.out / "gan", overwrite=True, progress=state.progress)
        labeler = state.models[g.labeler]
        axes = generation.feature_axes(gan, labeler, factors=g.factors, lock=g.lock, method=g.method,
                                       n_samples=g.n_samples, random_state=seed, device=cfg.study.device,
                                       progress=state.progress)
        from .._utils.paths import remove_ours

        summaries = []
        for factor in g.factors:
            folder = state.out / "traversals" / factor
            if folder.exists():
                remove_ours(folder)
            trav = generation.traverse(gan, axes, factor=factor, steps=g.steps, n=g.n, labeler=labeler,
                                       random_state=seed, out=folder, progress=state.progress)
            summaries.append(generation.traversal_summary(trav).assign(axis=factor))
            fig = plotting.plot_traversal(trav, factors=list(dict.fromkeys([factor, *g.factors, *g.lock])))
            _save_figure(state, fig, f"generation_traversal_{factor}")
        _write_table(gan.history, state.out / "tables" / "generation_gan_history.csv")
        _write_table(axes.fit, state.out / "tables" / "generation_axes.csv")
        _write_table(axes.cosines, state.out / "tables" / "generation_axis_cosines.csv")
        _write_table(pd.concat(summaries, ignore_index=True), table)
        _save_figure(state, plotting.plot_gan_history(gan.history), "generation_gan_history")
        _save_figure(state, plotting.plot_axis_cosines(axes), "generation_axis_cosines")
        _record(state, "generation", key)
    state.results["generation"] = pd.read_csv(table)


_STAGES = {"stimuli": _stage_stimuli, "model": _stage_model, "extract": _stage_extract, "probes": _stage_probes,
           "rsa": _stage_rsa, "decoding": _stage_decoding, "cam": _stage_cam, "behavior": _stage_behavior,
           "transfer": _stage_transfer, "generation": _stage_generation, "report": _stage_report}


# -- helpers ---------------------------------------------------------------------------------------------------
def _target_set(cfg, analysis) -> str:
    return analysis.stimuli or next(iter(cfg.stimuli))


def _n_stimuli(study, entry) -> str:
    if entry.path is not None:
        csv = study.resolve(entry.path) / "stimuli.csv"
        if csv.is_file():
            return str(sum(1 for _ in csv.open()) - 1)
        return "?"
    if entry.spec is not None:
        from ..stimuli import read_spec

        try:
            params = read_spec(entry.spec)["params"]
            cats = params.get("categories")
            n_cats = len(cats) if isinstance(cats, list) else (cats or 8)
            return str(params.get("n_per_category", 20) * n_cats)
        except (ValueError, KeyError, TypeError, FileNotFoundError):
            return "?"
    return "92"


def _analysis_key(state, stage, analysis, names) -> str:
    acts = {m: state.weights.get(m) for m in names}
    stim = config_hash(sorted(v for k, v in state.inputs.items() if k.startswith(str(state.sets[stage.what].root))))
    human = {}
    for ref in getattr(analysis, "references", []):
        if ref in state.study.config.human:
            human[ref] = state.study.config.human[ref].model_dump(mode="json")
    return config_hash({"analysis": analysis.model_dump(mode="json"), "models": acts, "stimuli": stim,
                        "human": human, "inputs": {k: v for k, v in state.inputs.items() if k not in
                                                   (str(state.study.path),)},
                        "extraction": state.study.config.extraction.model_dump(mode="json"),
                        "study": state.study.config.study.model_dump(mode="json", exclude={"title", "description",
                                                                                          "authors"})})


def _begin(state, stage, name: str, table: str):
    """An analysis's settings, its models, its cache key, its table, and whether that table is up to date."""
    cfg = state.study.config
    analysis = getattr(cfg.analyses, name)
    names = analysis.models or list(cfg.models)
    key = _analysis_key(state, stage, analysis, names)
    path = state.out / "tables" / table
    return analysis, names, key, path, _fresh(state, name, key, path)


def _fresh(state, name, key, *files) -> bool:
    return state.ledger.get(name) == key and all(Path(f).is_file() for f in files)


def _record(state, name, key) -> None:
    state.ledger[name] = key
    _write_text(state.out / LEDGER, json.dumps(state.ledger, indent=2, sort_keys=True) + "\n")


def _write_table(df, path: Path) -> None:
    from .._utils.paths import atomic_write_bytes

    atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _write_text(path: Path, text: str) -> None:
    from .._utils.paths import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def _save_figure(state, fig, stem: str) -> None:
    import matplotlib.pyplot as plt

    from .. import plotting

    tmp = state.out / "figures" / f".tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for f in plotting.save_figure(fig, tmp / stem):
            os.replace(f, state.out / "figures" / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        plt.close(fig)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sha256(path: Path) -> str:
    import pooch

    return pooch.file_hash(str(path))


