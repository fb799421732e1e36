"""The generation stage of a study: a GAN, its feature axes read by a study model, traversals."""
import pandas as pd

from neurocompare.study import run_study


def test_generation_stage(study_dir, write_study, tmp_path):
    path = write_study(study_dir, """
[stimuli.shapes]
path = "shapes"

[models.twostream]
model = "twostreamnet"
train_on = "shapes"
epochs = 2
options = { image_size = 32 }

[analyses.generation]
labeler = "twostream"
factors = ["x"]
lock = ["size"]
epochs = 2
latent_dim = 8
n_samples = 60
steps = 3
n = 2
""", "gen.toml")
    out = run_study(path, out=tmp_path / "gen", progress=False)
    trav = pd.read_csv(out / "tables" / "generation_traversal.csv")
    assert set(trav["axis"]) == {"x"} and {"x", "size"} <= set(trav["factor"])
    hist = pd.read_csv(out / "tables" / "generation_gan_history.csv")
    assert hist["epoch"].max() == 2
    cos = pd.read_csv(out / "tables" / "generation_axis_cosines.csv")
    assert not cos.empty
    assert (out / "traversals" / "x" / "stimuli.csv").is_file()
    assert len(pd.read_csv(out / "traversals" / "x" / "stimuli.csv")) == 3 * 2
    for fig in ("generation_gan_history", "generation_axis_cosines", "generation_traversal_x"):
        assert (out / "figures" / f"{fig}.png").is_file()
    assert "A GAN as a stimulus factory" in (out / "report.html").read_text()
