"""Study files are checked whole before anything runs: every problem, with its TOML path and a way out."""
import json

import pytest

from neurocompare.study import StudyError, json_schema, read_study


BASE = """
[stimuli.shapes]
path = "shapes"

[models.net]
model = "smallcnn"
"""


def _problems(path):
    with pytest.raises(StudyError) as info:
        read_study(path)
    return info.value.problems, str(info.value)


def test_the_tiny_study_is_valid(study_file):
    study = read_study(study_file)
    assert list(study.config.models) == ["cnn", "random"]
    assert study.config.human["judgments"].kind == "similarity" and study.config.human["judgments"].scale == (1, 7)
    assert study.config.extraction.reduce == "avgpool"


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="The study file .*nope.toml' does not exist"):
        read_study(tmp_path / "nope.toml")


def test_malformed_toml_gives_line_and_column(tmp_path, write_study):
    path = write_study(tmp_path, "[study]\ntitle = 'a'\nrandom_state = = 3\n")
    problems, msg = _problems(path)
    assert len(problems) == 1 and "not valid TOML" in msg and "line 3" in msg and "column" in msg


def test_every_problem_at_once_with_toml_paths_and_close_matches(study_dir, write_study):
    text = BASE + """
[models.net2]
model = "resnet19"
layrs = ["fc"]

[analyses.rsa]
references = ["category"]
bootstrap = "many"
n_bootstrap = "1000"
method = "spearmann"

[analyses.probs]
cv = 3
"""
    problems, msg = _problems(write_study(study_dir, text, "bad.toml"))
    by = dict(problems)
    assert "unknown key 'layrs'; did you mean 'layers'" in by["models.net2.layrs"]
    assert "got 'many'" in by["analyses.rsa.bootstrap"] and "'stimuli'" in by["analyses.rsa.bootstrap"]
    assert "integer" in by["analyses.rsa.n_bootstrap"] and "'1000' (a string)" in by["analyses.rsa.n_bootstrap"]
    assert "Did you mean 'spearman'?" in by["analyses.rsa.method"]
    assert "did you mean 'probes'" in by["analyses.probs"]
    assert msg.startswith("The study file") and "5 problems" in msg


def test_names_are_checked_with_close_matches(study_dir, write_study):
    text = """
[stimuli.shapes]
path = "shapes"

[models.net]
model = "resnet19"

[models.small]
model = "smallcnn"
layers = ["block9", "fc"]
train_on = "shape"

[human.judgments]
ratings = "ratings.csv"
stimuli = "shapes"
stimulus_a = "stimA"

[analyses.rsa]
references = ["judgment", "categroy"]
models = ["smal"]
"""
    problems, _ = _problems(write_study(study_dir, text, "names.toml"))
    by = {}
    for loc, msg in problems:
        by.setdefault(loc, []).append(msg)
    assert "unknown model 'resnet19'" in by["models.net.model"][0] and "'resnet18'" in by["models.net.model"][0]
    assert "unknown layer 'block9'" in by["models.small.layers"][0] and "block" in by["models.small.layers"][0]
    assert "'shape' is not a stimulus set" in by["models.small.train_on"][0]
    assert "Did you mean 'shapes'" in by["models.small.train_on"][0]
    col = by["human.judgments.stimulus_a"][0]
    assert "the column 'stimA' is not in ratings.csv" in col and "'stim_a'" in col
    refs = " ".join(by["analyses.rsa.references"])
    assert "'judgment'" in refs and "'judgments'" in refs and "'categroy'" in refs and "'category'" in refs
    assert "Did you mean 'small'" in by["analyses.rsa.models"][0]


def test_missing_folders_and_files_are_named(tmp_path, write_study):
    text = """
[stimuli.photos]
path = "no-such-folder"

[models.net]
model = "smallcnn"
weights = "missing.pt"

[human.r]
ratings = "gone.csv"
stimuli = "photos"
"""
    problems, _ = _problems(write_study(tmp_path, text))
    by = dict(problems)
    assert "no-such-folder' does not exist" in by["stimuli.photos.path"]
    assert "missing.pt' does not exist" in by["models.net.weights"]
    assert "gone.csv' does not exist" in by["human.r.ratings"]


def test_a_folder_without_images_or_table(tmp_path, write_study):
    (tmp_path / "empty").mkdir()
    problems, _ = _problems(write_study(tmp_path, BASE.replace('"shapes"', '"empty"')))
    assert problems[0][0] == "stimuli.shapes.path" and "empty" in problems[0][1]


def test_human_data_must_say_what_they_are(study_dir, write_study):
    problems, _ = _problems(write_study(study_dir, BASE + '\n[human.h]\nstimuli = "shapes"\nfile = "x.csv"\n',
                                        "h.toml"))
    assert problems[0][0] == "human.h" and "'ratings'" in problems[0][1] and "['file', 'stimuli']" in problems[0][1]


def test_exactly_one_stimulus_source(tmp_path, write_study):
    problems, _ = _problems(write_study(tmp_path, '[stimuli.a]\npath = "x"\nspec = "y"\n[models.m]\nmodel = '
                                                  '"smallcnn"\n'))
    assert problems == [("stimuli.a", "expected exactly one of 'path', 'spec', 'dataset'; got ['path', 'spec']")]


def test_json_schema_describes_the_file():
    schema = json_schema()
    json.dumps(schema)  # serialisable
    props = schema["properties"]
    assert set(props) == {"study", "stimuli", "models", "extraction", "human", "analyses"}
    rsa = schema["$defs"]["RSA"]["properties"]
    assert rsa["bootstrap"]["enum"] == ["stimuli", "subjects", "both", "none"] and rsa["n_bootstrap"]["default"] == 1000
    assert schema["$defs"]["ModelEntry"]["additionalProperties"] is False


def test_study_keys_are_the_api_parameter_names(study_file):
    import inspect

    import neurocompare as nc
    from neurocompare.study.schema import RSA, Probes, RatingsData

    evaluate = set(inspect.signature(nc.rsa.evaluate).parameters)
    assert set(RSA.model_fields) - {"stimuli", "models", "references", "rdm_method", "compare_models"} <= evaluate
    assert set(Probes.model_fields) - {"stimuli", "models"} <= set(inspect.signature(nc.probes.what_where).parameters)
    assert set(RatingsData.model_fields) - {"stimuli", "ratings"} <= set(
        inspect.signature(nc.rsa.from_ratings).parameters)
    assert "references" in study_file.read_text()


def test_the_shipped_studies_are_valid():
    from pathlib import Path

    studies = Path(__file__).resolve().parents[2] / "studies"
    for name in ("demo.toml", "kriegeskorte92_rsa.toml"):
        study = read_study(studies / name)
        assert study.config.analyses.rsa is not None
    with pytest.raises(StudyError, match=r"stimuli.photos.path: the folder .*my_photos' does not exist"):
        read_study(studies / "photos_and_ratings.toml")  # a template until the user's data are beside it


def test_the_docs_reference_is_the_schema():
    """docs/study.md embeds the reference generated from the schema (regenerate: see study/_docs.py)."""
    from pathlib import Path

    from neurocompare.study._docs import render_into

    page = Path(__file__).resolve().parents[2] / "docs" / "study.md"
    text = page.read_text()
    assert render_into(text) == text, "docs/study.md is out of date: run neurocompare.study._docs.render_into"


def test_source_prefixed_model_names(study_dir, write_study):
    pytest.importorskip("timm")
    text = """
[stimuli.shapes]
path = "shapes"

[models.conv]
model = "timm:resnet10t"
layers = ["layer1", "layer9"]

[models.bad]
model = "tim:resnet10t"
"""
    problems, _ = _problems(write_study(study_dir, text, "sources.toml"))
    by = {}
    for loc, msg in problems:
        by.setdefault(loc, []).append(msg)
    assert "unknown layer 'layer9' of 'timm:resnet10t'" in by["models.conv.layers"][0]
    assert "'layer4'" in by["models.conv.layers"][0] and len(by["models.conv.layers"]) == 1
    assert "models.conv.model" not in by
    assert "Unknown model source 'tim:'" in by["models.bad.model"][0] and "'timm:resnet10t'" in by["models.bad.model"][0]


def test_scheduler_is_checked_at_its_toml_path(study_dir, write_study):
    problems, _ = _problems(write_study(study_dir, "[study]\nscheduler = \"my laptop\"\n" + BASE, "sched.toml"))
    by = dict(problems)
    assert "'local'" in by["study.scheduler"] and "tcp://host:8786" in by["study.scheduler"]
    ok = read_study(write_study(study_dir, "[study]\nscheduler = \"tcp://10.0.0.5:8786\"\n" + BASE, "ok.toml"))
    assert ok.config.study.scheduler == "tcp://10.0.0.5:8786"
