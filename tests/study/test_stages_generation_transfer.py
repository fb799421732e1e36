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


def test_transfer_stage(study_dir, write_study, tmp_path):
    path = write_study(study_dir, """
[stimuli.shapes]
path = "shapes"

[models.cnn]
model = "smallcnn"
train_on = "shapes"
epochs = 2
options = { image_size = 32 }

[analyses.transfer]
target = "category"
modes = ["frozen", "finetune"]
epochs = 2
n_seeds = 2
""", "transfer.toml")
    out = run_study(path, out=tmp_path / "tr", progress=False)
    summary = pd.read_csv(out / "tables" / "transfer_summary.csv")
    assert set(summary["mode"]) == {"frozen", "finetune"} and set(summary["model"]) == {"cnn"}
    assert summary["n_seeds"].eq(2).all() and summary["target"].eq("category").all()
    scores = pd.read_csv(out / "tables" / "transfer_scores.csv")
    assert len(scores[scores.metric == scores.metric.iloc[0]]) == 2 * 2  # modes x seeds
    assert (out / "figures" / "transfer_scores_cnn.png").is_file()
    assert "Transfer learning" in (out / "report.html").read_text()
