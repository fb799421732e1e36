"""Study files: options = { resize = [h, w] } reaches the model, and changing it recomputes the activations."""
import pytest

from neurocompare.study import StudyError, read_study, run_study

STUDY = """
[stimuli.shapes]
path = "{shapes}"

[models.net]
model = "smallcnn"
layers = ["block2"]
options = {{ image_size = 32, n_classes = 4{resize} }}

[analyses.decoding]
targets = ["category"]
cv = 2
"""


def _write(folder, study_dir, resize, name="s.toml"):
    extra = "" if resize is None else f", resize = {resize}"
    path = folder / name
    path.write_text(STUDY.format(shapes=(study_dir / "shapes").as_posix(), resize=extra))
    return path


def test_changing_resize_recomputes_activations(study_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = _write(tmp_path, study_dir, "[24, 24]")
    run_study(first, out=out, progress=False)
    stores = sorted(p.name for p in (out / "activations" / "shapes").glob("*.zarr"))
    assert len(stores) == 1
    assert "resized to 24 x 24 px" in (out / "methods.md").read_text()

    import neurocompare.extraction._extract as ex

    calls = []
    original = ex._Run._forward
    monkeypatch.setattr(ex._Run, "_forward", lambda self, *a: (calls.append(1), original(self, *a))[1])
    run_study(first, out=out, progress=False)
    assert calls == [], "same resize: the activations are reused"

    _write(tmp_path, study_dir, "[16, 16]")
    run_study(first, out=out, progress=False)
    assert calls, "another resize: the network runs again"
    again = sorted(p.name for p in (out / "activations" / "shapes").glob("*.zarr"))
    assert len(again) == 1 and again != stores
    assert "resized to 16 x 16 px" in (out / "methods.md").read_text()


@pytest.mark.parametrize("bad", ["[0, 24]", "[24, 24, 3]", '"24x24"'])
def test_bad_resize_is_reported_at_its_toml_path(study_dir, tmp_path, bad):
    path = _write(tmp_path, study_dir, bad)
    with pytest.raises(StudyError, match=r"models\.net\.options"):
        read_study(path)


def test_resize_of_a_trained_net_applies_to_extraction_only(study_dir, tmp_path):
    text = STUDY.format(shapes=(study_dir / "shapes").as_posix(), resize=", resize = [20, 20]").replace(
        'layers = ["block2"]', 'layers = ["block2"]\ntrain_on = "shapes"\nepochs = 1').replace(", n_classes = 4", "")
    path = tmp_path / "t.toml"
    path.write_text(text)
    run_study(path, out=tmp_path / "out", progress=False)
    assert "resized to 20 x 20 px" in (tmp_path / "out" / "methods.md").read_text()
