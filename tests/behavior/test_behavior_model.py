"""model_trials and the ImageNet-1000 -> 16 mapping; an end-to-end run on the edge stimuli."""
import numpy as np
import pytest
import torch

from neurocompare import behavior as B
from neurocompare.behavior import CATEGORIES_16, IMAGENET_16, CategoryMapping, imagenet_16, model_trials
from neurocompare.models import wrap

# rgeirhos/texture-vs-shape code/helper/human_categories.py, verbatim index lists of two categories
SOURCE_DOG = [152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172,
              173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 193, 194,
              195, 196, 197, 198, 199, 200, 201, 202, 203, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216,
              217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238,
              239, 240, 241, 243, 244, 245, 246, 247, 248, 249, 250, 252, 253, 254, 255, 256, 257, 259, 261, 262, 263,
              265, 266, 267, 268]
SOURCE_BIRD = [8, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 24, 80, 81, 82, 83, 87, 88, 89, 90, 91, 92, 93, 94,
               95, 96, 98, 99, 100, 127, 128, 129, 130, 131, 132, 133, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144,
               145]


def test_imagenet16_index_lists():
    assert tuple(IMAGENET_16) == CATEGORIES_16 == tuple(sorted(CATEGORIES_16)) and len(CATEGORIES_16) == 16
    counts = {k: len(v) for k, v in IMAGENET_16.items()}
    assert counts == {"airplane": 1, "bear": 4, "bicycle": 2, "bird": 49, "boat": 5, "bottle": 7, "car": 3, "cat": 6,
                      "chair": 4, "clock": 3, "dog": 109, "elephant": 2, "keyboard": 2, "knife": 1, "oven": 1,
                      "truck": 8}
    assert list(IMAGENET_16["dog"]) == SOURCE_DOG and list(IMAGENET_16["bird"]) == SOURCE_BIRD
    assert IMAGENET_16["truck"] == (555, 569, 656, 675, 717, 734, 864, 867)
    every = [i for v in IMAGENET_16.values() for i in v]
    assert len(every) == len(set(every)) == 207 and max(every) < 1000


def test_imagenet16_mean_aggregation_and_ties():
    m = imagenet_16()
    p = np.full((2, 1000), 0.0)
    p[0, 404] = 0.3                     # airplane: one member at .3 -> mean .3
    p[0, IMAGENET_16["dog"]] = 0.005    # dog: sum .545, but mean only .005
    p[1, 499] = p[1, 766] = 0.5         # knife and oven tie: the first in alphabetical order wins
    s = m(p)
    assert s.shape == (2, 16)
    assert CATEGORIES_16[s[0].argmax()] == "airplane" and s[0, CATEGORIES_16.index("dog")] == pytest.approx(0.005)
    assert CATEGORIES_16[s[1].argmax()] == "knife"
    assert CATEGORIES_16[CategoryMapping(IMAGENET_16, aggregation="sum")(p)[0].argmax()] == "dog"
    with pytest.raises(ValueError, match="expects a model with 1000 outputs; the model has 10"):
        m(np.zeros((1, 10)))


class _Fixed(torch.nn.Module):
    """Logits given per image by its mean pixel value (a deterministic stand-in for a classifier)."""

    def __init__(self, n_out, table):
        super().__init__()
        self.n_out = n_out
        self.lin = torch.nn.Linear(1, 1)
        self.table = table

    def forward(self, x):
        keys = (x.mean(dim=(1, 2, 3)) * 1000).round().long().tolist()
        return torch.stack([self.table[k] for k in keys])


def test_model_trials_with_the_imagenet16_mapping(small_set):
    rng = np.random.default_rng(0)
    from torchvision import transforms as T

    tf = T.Compose([T.Resize((16, 16)), T.ToTensor()])
    keys = [int(round(float(tf(small_set.load_image(i)).mean()) * 1000)) for i in range(len(small_set))]
    table = {k: torch.tensor(rng.normal(0, 3, 1000), dtype=torch.float32) for k in set(keys)}
    net = wrap(_Fixed(1000, table), name="fake1000", transform=tf)
    # the stimuli's categories must be response categories: relabel them as 16-class names
    md = small_set.metadata.copy()
    md["category"] = [CATEGORIES_16[i % 16] for i in range(len(md))]
    from neurocompare.stimuli import StimulusSet

    stim = StimulusSet(small_set.root, md.reset_index(), name="relabelled")
    t = model_trials(net, stim, mapping="imagenet16", progress=False, condition="c1")
    assert list(t.columns[:9]) == list(B.TRIAL_COLUMNS) and len(t) == len(stim)
    assert t["rt"].isna().all() and (t["condition"] == "c1").all() and (t["subject"] == "fake1000").all()
    # oracle: softmax, mean over each category's members, argmax
    for i, k in enumerate(keys):
        p = torch.softmax(table[k], 0).numpy()
        scores = np.array([p[list(IMAGENET_16[c])].mean() for c in CATEGORIES_16])
        assert t["response"].iloc[i] == CATEGORIES_16[scores.argmax()]
        assert t["confidence"].iloc[i] == pytest.approx(scores.max() / scores.sum(), rel=1e-5)
    assert (t["correct"] == (t["response"] == t["category"])).all()
    assert {f"score_{c}" for c in CATEGORIES_16} <= set(t.columns)
    assert net.module.training  # the caller's model is left as it was


@pytest.fixture(scope="module")
def named_smallcnn(test_set):
    from neurocompare.models import load

    net = load("smallcnn", n_classes=6, image_size=32)
    net.classes = sorted(test_set.metadata["category"].unique())
    return net


def test_model_trials_identity_and_errors(named_smallcnn, test_set):
    trained_smallcnn = named_smallcnn
    t = model_trials(trained_smallcnn, test_set, progress=False)
    assert set(t["response"]) <= set(trained_smallcnn.classes)
    assert list(t["stimulus"]) == list(test_set.ids)
    assert (t["confidence"] > 1 / 6).all() and (t["confidence"] <= 1).all()
    d = model_trials(trained_smallcnn, test_set, mapping={c: [i] for i, c in enumerate(trained_smallcnn.classes)},
                     progress=False, subject="again")
    assert list(d["response"]) == list(t["response"])
    with pytest.raises(ValueError, match="not among the mapping's response categories"):
        model_trials(trained_smallcnn, test_set, mapping={"a": [0], "b": [1]}, progress=False)
    with pytest.raises(ValueError, match="Invalid value for 'mapping'.*'imagenet16'.*got 'imagenet'"):
        model_trials(trained_smallcnn, test_set, mapping="imagenet", progress=False)
    with pytest.raises(ValueError, match="uses class index 40"):
        model_trials(trained_smallcnn, test_set, mapping={"a": [40]}, progress=False)
    with pytest.raises(TypeError, match="expected a ModelWrapper"):
        model_trials(trained_smallcnn.module, test_set)


def test_end_to_end_untrained_net_on_the_edge_stimuli(data_dir, tmp_path):
    """The whole pipeline on the real edge images, fast: an untrained 16-way net is a chance-level observer."""
    import matplotlib.pyplot as plt

    from neurocompare import plotting
    from neurocompare.datasets import fetch_geirhos2019
    from neurocompare.models import load

    g = fetch_geirhos2019(data_dir=data_dir, experiments=["edge"])
    net = load("smallcnn", n_classes=16, image_size=32, random_state=0)
    net.classes = list(CATEGORIES_16)
    mt = model_trials(net, g.stimuli["edge"], condition="edge", subject="untrained", progress=False)
    assert len(mt) == 160 and set(mt["stimulus"]) == set(g.humans["stimulus"])
    tab = B.consistency_table(mt, g.humans, n_bootstrap=200)
    s = B.summarize_consistency(tab).set_index("subject")
    assert s.loc["untrained", "n_pairs"] == 10 and s.loc["humans", "n_pairs"] == 45
    # no better than chance, and its errors are unrelated to people's
    assert B.accuracy(mt, n_bootstrap=0)["value"].iloc[0] < 0.2
    assert abs(s.loc["untrained", "value"]) < 0.1 < s.loc["humans", "value"]
    rc = B.rt_confidence(mt, g.humans, n_bootstrap=50)
    assert len(rc) == 10 + 45 and rc["n"].min() == 130  # subject-09 has 30 trials without an rt
    ax = plotting.plot_error_consistency_matrix(tab)
    assert len(ax.get_xticklabels()) == 11
    plt.close("all")


@pytest.mark.slow
def test_end_to_end_smallcnn_on_the_edge_stimuli(data_dir, tmp_path):
    """Train on the 160 filled silhouettes, answer the 160 edge images, compare with the 10 humans."""
    import matplotlib.pyplot as plt

    from neurocompare import plotting
    from neurocompare.datasets import fetch_geirhos2019
    from neurocompare.models import train

    g = fetch_geirhos2019(data_dir=data_dir, experiments=["silhouette", "edge"])
    net = train("smallcnn", g.stimuli["silhouette"], epochs=20, val_fraction=0, options={"image_size": 64},
                progress=False, random_state=0)
    assert net.classes == list(CATEGORIES_16)
    mt = model_trials(net, g.stimuli["edge"], condition="edge", subject="smallcnn-silhouettes", progress=False)
    assert len(mt) == 160 and set(mt["stimulus"]) == set(g.humans.loc[g.humans.condition == "edge", "stimulus"])
    humans = g.humans[g.humans.condition == "edge"]
    acc = B.accuracy(mt, n_bootstrap=200)
    assert 1 / 16 < acc["value"].iloc[0] < 0.5  # above chance (0.11 measured), far below people (0.87)
    tab = B.consistency_table(mt, humans, n_bootstrap=200)
    s = B.summarize_consistency(tab).set_index("subject")
    assert s.loc["smallcnn-silhouettes", "n_pairs"] == 10
    assert s.loc["smallcnn-silhouettes", "value"] < s.loc["humans", "value"]
    rc = B.rt_confidence(mt, humans, n_bootstrap=100)
    assert len(rc) == 10 + 45
    ax = plotting.plot_error_consistency_matrix(tab)
    files = plotting.save_figure(ax.figure, tmp_path / "ecm")
    assert all(f.stat().st_size > 1000 for f in files)
    plt.close("all")
