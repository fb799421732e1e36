"""A tiny study end to end: tables, figures, provenance, methods, report; rerun, resume, refusals."""
import json
import shutil

import pandas as pd
import pytest

from neurocompare._utils.paths import MARKER
from neurocompare.study import plan_study, read_study, run_study


@pytest.fixture(scope="module")
def results(study_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny-results"
    run_study(study_file, out=out, progress=False)
    return out


def test_plan_lists_the_stages_without_running(study_file):
    stages = plan_study(study_file)
    assert [s.name for s in stages] == ["stimuli", "model", "model", "extract", "extract", "probes", "rsa",
                                        "decoding", "cam", "report"]
    assert stages[0].size == "16 stimuli from shapes"
    assert stages[3].what == "cnn on shapes" and stages[4].size.startswith("layers=2")


def test_the_results_folder(results):
    for name in ("report.html", "methods.md", "references.bib", "provenance.json", MARKER,
                 "tables/probes.csv", "tables/rsa.csv", "tables/cam_localization.csv",
                 "figures/rsa_judgments.png", "figures/rsa_judgments.pdf", "figures/probes_cnn.png",
                 "figures/cam_scores_pointing_game.png", "figures/decoding_identity.png", "figures/rsa_layers.png",
                 "tables/decoding.csv", "tables/rsa_layers.csv"):
        assert (results / name).is_file(), name
    assert len(list((results / "activations" / "shapes").glob("*.zarr"))) == 2


def test_tables_hold_real_numbers(results):
    rsa = pd.read_csv(results / "tables" / "rsa.csv")
    assert set(rsa.target) == {"judgments", "category"}
    assert set(rsa.model) == {"cnn", "random"} and set(rsa[rsa.model == "random"].layer) == {"block2", "fc"}
    judged = rsa[rsa.target == "judgments"]
    assert judged["n"].eq(3).all()  # three subjects
    lo = judged["noise_ceiling_lower"].iloc[0]
    assert 0.5 < lo < judged["noise_ceiling_upper"].iloc[0] <= 1  # the made-up raters agree strongly
    cat = rsa[rsa.target == "category"]
    assert cat["noise_ceiling_lower"].isna().all()  # one hypothesis RDM: no ceiling
    assert ((judged["ci_low"] <= judged["value"]) & (judged["value"] <= judged["ci_high"])).all()
    probes = pd.read_csv(results / "tables" / "probes.csv")
    assert set(probes.target) == {"category", "x"}
    dec = pd.read_csv(results / "tables" / "decoding.csv")
    assert set(dec.target) == {"identity", "size"}
    assert set(dec[dec.target == "identity"].metric) == {"balanced_accuracy"}
    assert set(dec[dec.target == "size"].metric) == {"r2", "pearson_r"}
    assert len(dec[dec.metric == "balanced_accuracy"]) == 6 + 2  # cnn's six layers, random's two
    acc = dec[dec.metric == "balanced_accuracy"]
    assert ((0 <= acc.ci_low) & (acc.ci_low <= acc.value) & (acc.value <= acc.ci_high) & (acc.ci_high <= 1)).all()
    assert dec.ci_method.notna().all() and (dec.ci_high > dec.ci_low).all()
    layers = pd.read_csv(results / "tables" / "rsa_layers.csv")
    assert len(layers) == 8 * 8 and (layers[(layers.model_a == layers.model_b) &
                                            (layers.layer_a == layers.layer_b)]["value"].round(12) == 1).all()
    cam = pd.read_csv(results / "tables" / "cam_localization.csv")
    assert set(cam.metric) == {"pointing_game", "energy", "iou"} and set(cam.model) == {"cnn"}


def test_the_ratings_are_turned_into_dissimilarities(results, study_dir):
    """Same-category pairs were rated similar: the judgments must correlate positively with category."""
    from neurocompare import rsa as nrsa

    st_rdms = nrsa.from_ratings(study_dir / "ratings.csv", stimulus_a="stim_a", stimulus_b="stim_b",
                                kind="similarity", scale=(1, 7))
    assert float(st_rdms.isel(subject=0).values[0, 1]) < float(st_rdms.isel(subject=0).values[0, -1])


def test_provenance_records_inputs_and_versions(results, study_file):
    rec = json.loads((results / "provenance.json").read_text())
    cfg = rec["config"]
    assert cfg["study"] == str(study_file.resolve()) and cfg["random_state"] == 0 and cfg["device"] == "cpu"
    assert cfg["resolved_config"]["analyses"]["rsa"]["n_bootstrap"] == 50
    inputs = cfg["inputs_sha256"]
    assert str(study_file.resolve()) in inputs and any(k.endswith("ratings.csv") for k in inputs)
    assert sum(k.endswith(".png") for k in inputs) == 16 and all(len(v) == 64 for v in inputs.values())
    assert set(cfg["weights_sha256"]) == {"cnn", "random"}
    assert "torch" in rec["versions"] and "rsatoolbox" in rec["versions"]


def test_methods_paragraph_and_references(results):
    text = (results / "methods.md").read_text()
    for phrase in ("16 images", "trained for 2 epochs", "random weights", "correlation distance",
                   "Pearson correlation", "50 bootstrap samples of the stimuli", "20 stimulus-label permutations",
                   "2-fold cross-validation", "resized to 32 x 32 px", "gradcam", "torch ", "## Decoding",
                   "percentile bootstraps over test items", "(Varoquaux, 2018)"):
        assert phrase in text, phrase
    bib = (results / "references.bib").read_text()
    for key in ("kriegeskorte2008", "nili2014", "hong2016", "selvaraju2017", "bengio2004", "varoquaux2018",
                "wilson1927"):
        assert f"{{{key}," in bib


def test_report_is_self_contained(results):
    page = (results / "report.html").read_text()
    assert page.count('<img src="data:image/png;base64,') >= 5
    assert "http://" not in page and "https://" not in page.replace('href="https://doi', "")
    assert "Tiny study" in page and "noise ceiling" in page and "<b>Result:</b>" in page
    assert 'href="tables/rsa.csv"' in page and "sortable" in page


def test_rerun_is_identical_and_reuses_everything(results, study_file, monkeypatch):
    before = {p.name: p.read_bytes() for p in (results / "tables").glob("*.csv")}
    import neurocompare.extraction._extract as ex

    calls = []
    monkeypatch.setattr(ex._Run, "_forward", lambda self, *a: calls.append(1))
    run_study(study_file, out=results, progress=False)
    assert calls == [], "a rerun with nothing changed must not run the networks again"
    assert {p.name: p.read_bytes() for p in (results / "tables").glob("*.csv")} == before


def test_changed_settings_recompute_only_what_depends_on_them(results, study_file, tmp_path):
    changed = tmp_path / "tiny.toml"
    shutil.copytree(study_file.parent / "shapes", tmp_path / "shapes")
    shutil.copy(study_file.parent / "ratings.csv", tmp_path / "ratings.csv")
    changed.write_text(study_file.read_text().replace('reduce = "avgpool"', 'reduce = ["grid", 2]'))
    out = tmp_path / "out"
    shutil.copytree(results, out)
    marker = json.loads((out / MARKER).read_text())
    marker["study"] = str(changed.resolve())
    (out / MARKER).write_text(json.dumps(marker))
    run_study(changed, out=out, progress=False)
    stores = sorted(p.name for p in (out / "activations" / "shapes").glob("*.zarr"))
    old = sorted(p.name for p in (results / "activations" / "shapes").glob("*.zarr"))
    assert len(stores) == 2 and not set(stores) & set(old), "new activations for the new reduction; old ones gone"
    assert pd.read_csv(out / "tables" / "rsa.csv")["value"].ne(
        pd.read_csv(results / "tables" / "rsa.csv")["value"]).any()


def test_another_studys_folder_is_refused(results, study_dir, write_study):
    other = write_study(study_dir, '[stimuli.shapes]\npath = "shapes"\n[models.m]\nmodel = "smallcnn"\n'
                                   'options = { image_size = 32, n_classes = 4 }\n', "other.toml")
    with pytest.raises(FileExistsError, match="holds the results of another study.*overwrite=True"):
        run_study(other, out=results, progress=False)
    assert (results / "report.html").is_file()


def test_a_user_folder_is_never_replaced(study_dir, write_study, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    other = write_study(study_dir, '[stimuli.shapes]\npath = "shapes"\n[models.m]\nmodel = "smallcnn"\n',
                        "other2.toml")
    with pytest.raises(FileExistsError):
        run_study(other, out=mine, overwrite=True, progress=False)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_an_interrupted_run_resumes(study_file, tmp_path, monkeypatch):
    import neurocompare.study._run as run

    out = tmp_path / "r"
    real = run._stage_rsa

    def boom(state, stage):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_STAGES", {**run._STAGES, "rsa": boom})
    with pytest.raises(KeyboardInterrupt):
        run_study(study_file, out=out, progress=False)
    assert (out / "tables" / "probes.csv").is_file() and not (out / "tables" / "rsa.csv").exists()
    probes = (out / "tables" / "probes.csv").read_bytes()
    monkeypatch.setattr(run, "_STAGES", {**run._STAGES, "rsa": real})
    seen = []
    monkeypatch.setattr(run, "_figures_probes", lambda *a: seen.append("probes"))
    run_study(study_file, out=out, progress=False)
    assert seen == [], "finished stages are not redone"
    assert (out / "tables" / "probes.csv").read_bytes() == probes and (out / "report.html").is_file()


def test_read_study_then_run(study_file):
    assert read_study(study_file).config.study.title == "Tiny study"


def test_ratings_of_file_names_work_against_a_folder_set(face_ratings, write_study, tmp_path):
    """'face_01.png' in the rating log matches the folder set's 'face/face_01' (file stem): the RSA table is the
    same as in Python with the ids matched by nc.rsa.match_stimuli."""
    import numpy as np

    import neurocompare as nc

    study = write_study(face_ratings.root, """
        [stimuli.faces]
        path = "images"

        [models.random]
        model = "smallcnn"
        layers = ["fc"]
        options = { image_size = 32, n_classes = 2 }

        [human.judgments]
        ratings = "ratings.csv"
        stimuli = "faces"
        stimulus_a = "stim_a"
        stimulus_b = "stim_b"
        kind = "similarity"
        scale = [1, 7]

        [analyses.rsa]
        references = ["judgments"]
        n_bootstrap = 20
        permutations = 10
        """, "faces.toml")
    out = tmp_path / "faces-results"
    run_study(study, out=out, progress=False)
    table = pd.read_csv(out / "tables" / "rsa.csv")
    assert list(table.layer) == ["fc"] and table["n"].tolist() == [3]
    ids = list(nc.stimuli.load(face_ratings.images).ids)
    assert ids[0] == "face/face_01"
    human = nc.rsa.from_ratings(face_ratings.ratings, stimulus_a="stim_a", stimulus_b="stim_b", kind="similarity",
                                scale=(1, 7))
    matched = nc.rsa.match_stimuli(human, ids)
    assert list(matched.stimulus_a.values) == ids
    ceiling = nc.rsa.noise_ceiling(matched, "corr")
    np.testing.assert_allclose(table[["noise_ceiling_lower", "noise_ceiling_upper"]].iloc[0], ceiling, rtol=1e-12)
    (store,) = (out / "activations" / "faces").glob("*.zarr")
    model = nc.rsa.compute_rdm(nc.extraction.load(store), "correlation")
    expected = nc.rsa.evaluate(model, matched, method="corr", bootstrap=None, permutations=0)
    np.testing.assert_allclose(table["value"], expected["value"], rtol=1e-12)


def test_missed_trials_run_with_pairwise_deletion(face_ratings, write_study, tmp_path):
    """A rating log with empty cells: the study runs, reports the pairs each subject contributed, and the methods
    text says how missing pairs were handled."""
    study = write_study(face_ratings.root, """
        [stimuli.faces]
        path = "images"

        [models.random]
        model = "smallcnn"
        layers = ["fc"]
        options = { image_size = 32, n_classes = 2 }

        [human.judgments]
        ratings = "ratings_missed.csv"
        stimuli = "faces"
        stimulus_a = "stim_a"
        stimulus_b = "stim_b"
        kind = "similarity"
        scale = [1, 7]

        [analyses.rsa]
        references = ["judgments"]
        n_bootstrap = 20
        permutations = 10
        """, "missed.toml")
    out = tmp_path / "missed-results"
    run_study(study, out=out, progress=False)
    table = pd.read_csv(out / "tables" / "rsa.csv")
    assert table[["value", "ci_low", "p", "noise_ceiling_lower"]].notna().all().all()
    assert table["n_pairs_min"].tolist() == [14] and table["n_pairs_max"].tolist() == [14]
    pairs = pd.read_csv(out / "tables" / "rsa_pairs.csv")
    assert sorted(pairs["subject"]) == ["p1", "p2", "p3"] and pairs["n_pairs"].tolist() == [14, 14, 14]
    assert pairs["n_possible"].eq(15).all()
    methods = (out / "methods.md").read_text()
    assert "pairwise deletion" in methods and "14 to 14 of the 15 pairs" in methods
