"""The study file's schema: pydantic models whose keys are the API's parameter names (public for use
inside neurocompare and for tools that want the models; `nc.study.json_schema()` gives the JSON Schema)."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

Scalar = Union[bool, int, float, str]


def _array_as_tuple(value):
    """TOML has arrays, not tuples: a fixed-length array is read as one."""
    return tuple(value) if isinstance(value, list) else value


Pair = Annotated[tuple[float, float], BeforeValidator(_array_as_tuple)]
Reduction = Annotated[tuple[Literal["grid", "project", "pca"], Annotated[int, Field(ge=1)]],
                      BeforeValidator(_array_as_tuple)]
REDUCE_KINDS = ("grid", "project", "pca")
LAYER_SETS = ("all", "what", "where", "shared", "default")
CAM_METHODS = ("cam", "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam", "ablationcam",
               "eigencam")
RDM_METHODS = ("euclidean", "correlation", "cosine", "mahalanobis", "poisson")
COMPARE_METHODS = ("cosine", "corr", "spearman", "rho-a", "tau-a", "tau-b", "corr_cov", "cosine_cov")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class StudyInfo(_Section):
    """``[study]``: what the study is, and the settings every stage shares."""

    title: str = Field("neurocompare study", description="Shown at the top of the report.")
    description: str = Field("", description="One paragraph for the report's introduction.")
    authors: list[str] = Field(default_factory=list)
    random_state: int = Field(0, ge=0, description="Seed of every random step (initialisation, CV, bootstrap).")
    device: str = Field("auto", pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$",
                        description="auto picks cuda, then mps, then cpu.")
    batch_size: int = Field(32, ge=1, description="Stimuli per forward pass.")
    scheduler: str | None = Field(None, description="Where the work runs: unset (here), \"local\" (a dask "
                                                    "LocalCluster on this machine) or a dask scheduler address "
                                                    "such as \"tcp://host:8786\" (see the cluster guide). "
                                                    "Results are identical.")

    @field_validator("scheduler")
    @classmethod
    def _scheduler_form(cls, v):
        from .._utils.scheduler import check_scheduler

        return check_scheduler(v)


class StimulusSetEntry(_Section):
    """``[stimuli.NAME]``: a folder, a shipped spec or a public dataset (exactly one)."""

    path: str | None = Field(None, description="A stimulus folder (stimuli.csv, or one subfolder per category), "
                                               "relative to the study file.")
    spec: str | None = Field(None, description="A shipped stimulus spec (see `neurocompare stimuli specs`); made "
                                               "into the study folder on the first run.")
    dataset: Literal["kriegeskorte92", "geirhos2019"] | None = Field(None, description="A public dataset's images.")
    part: Literal["edge", "silhouette"] | None = Field(None, description="geirhos2019: which images.")

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("path", "spec", "dataset") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of 'path', 'spec', 'dataset'; got {given or 'none'}")
        if (self.dataset == "geirhos2019") != (self.part is not None):
            raise ValueError("'part' (\"edge\" or \"silhouette\") goes with dataset = \"geirhos2019\", and only "
                             "with it")
        return self


class ModelEntry(_Section):
    """``[models.NAME]``: a zoo model, a built-in net (trained on a stimulus set) or a checkpoint."""

    model: str = Field(description="A name of `neurocompare models list` (any torchvision model too), or a "
                                   "checkpoint file (.pt) saved by neurocompare.")
    weights: str | None = Field(None, description="'DEFAULT' (downloads), a weights file, or leave out for a "
                                                  "seeded random initialisation.")
    train_on: str | None = Field(None, description="Built-in nets: the stimulus set to train on (cached).")
    epochs: int | None = Field(None, ge=1, description="Built-in nets: training epochs (default: the net's).")
    layers: list[str] | Literal["all", "what", "where", "shared", "default"] = Field(
        "default", description="Layer names, or a stream: all, what, where, shared; default: the model's.")
    options: dict[str, Union[Scalar, list[int]]] = Field(
        default_factory=dict, description="Model options, e.g. { min_size = 224 } for detectors, or "
                                          "{ resize = [224, 224] } (height, width) to resize every image to one "
                                          "size first (images of different sizes).")


class Extraction(_Section):
    """``[extraction]``: how layer activations are read out."""

    reduce: Literal["none", "avgpool"] | Reduction = Field(
        "avgpool", description='"none", "avgpool", or ["grid", k], ["project", k], ["pca", k].')


class _Human(_Section):
    stimuli: str = Field(description="The stimulus set (a [stimuli] name) whose stimuli the data are about.")


class RatingsData(_Human):
    """Pairwise (dis)similarity ratings, one row per rating (neurocompare.rsa.from_ratings)."""

    ratings: str = Field(description="The CSV file.")
    subject: str | None = Field("subject", description="Column of subject labels.")
    stimulus_a: str = Field("stimulus_a", description="Column with the first stimulus of the pair (an id, a file "
                                                      "name or a file stem).")
    stimulus_b: str = Field("stimulus_b", description="Column with the second stimulus of the pair.")
    rating: str = Field("rating", description="Column with the rating; empty cells are missed trials.")
    kind: Literal["dissimilarity", "similarity"] = Field("dissimilarity", description="What a high rating means.")
    scale: Pair | None = Field(None, description="[min, max] of the rating scale.")


class TripletsData(_Human):
    """Odd-one-out / triplet choices (neurocompare.rsa.from_triplets)."""

    triplets: str
    subject: str | None = "subject"
    stimulus_1: str = "stimulus_1"
    stimulus_2: str = "stimulus_2"
    stimulus_3: str = "stimulus_3"
    choice: str = "choice"


class ArrangementsData(_Human):
    """Multi-arrangement positions (neurocompare.rsa.from_arrangements)."""

    arrangements: str
    subject: str | None = "subject"
    trial: str = "trial"
    stimulus: str = "stimulus"
    x: str = "x"
    y: str = "y"


class MatrixData(_Human):
    """RDMs in a file: .npy, .mat or a square CSV (neurocompare.rsa.load_rdms)."""

    rdms: str
    variable: str | None = None


class TrialsData(_Human):
    """Trial-level responses (neurocompare.behavior.load_trials): who saw which image and what they answered."""

    trials: str = Field(description="The CSV file (PsychoPy, jsPsych, model-vs-human, or any with `columns`).")
    columns: dict[str, str] = Field(default_factory=dict, description="Standard name -> your column, e.g. "
                                                                      "{ stimulus = \"image\", response = \"key\" }.")
    format: Literal["auto", "standard", "geirhos", "psychopy", "jspsych"] = "auto"


class DatasetData(_Human):
    """A public human dataset: Kriegeskorte 92 RDMs, or the Geirhos 2019 trials of a stimulus set."""

    dataset: Literal["kriegeskorte92", "geirhos2019"]
    part: Literal["judgments", "human_it", "monkey_it"] = Field(
        "judgments", description="kriegeskorte92: which RDMs (geirhos2019 takes the trials of `stimuli`).")


HUMAN_KINDS = {"ratings": RatingsData, "triplets": TripletsData, "arrangements": ArrangementsData,
               "rdms": MatrixData, "trials": TrialsData, "dataset": DatasetData}


def _human_kind(value: Any) -> str | None:
    for tag, model in HUMAN_KINDS.items():  # serialising: the entry is a model already
        if type(value) is model:
            return tag
    if isinstance(value, dict):
        found = [k for k in HUMAN_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    return None


HumanEntry = Annotated[Union[tuple(Annotated[m, Tag(k)] for k, m in HUMAN_KINDS.items())],  # type: ignore[misc]
                       Discriminator(_human_kind, custom_error_type="human_kind",
                                     custom_error_message="expected exactly one of the keys 'ratings', 'triplets', "
                                                          "'arrangements', 'rdms', 'trials', 'dataset' (what the "
                                                          "data are)")]


class _Analysis(_Section):
    stimuli: str | None = Field(None, description="The stimulus set to analyse (default: the only one, or the "
                                                  "first).")
    models: list[str] | None = Field(None, description="The [models] to analyse (default: all).")


class Probes(_Analysis):
    """``[analyses.probes]``: what and where read out of every layer (neurocompare.probes.what_where)."""

    what: list[str] | None = None
    where: list[str] | None = None
    cv: int = Field(5, ge=2)
    groups: str | None = Field(None, description="A factor whose levels never straddle a fold (e.g. 'identity').")
    split: str | None = None
    permutations: int = Field(0, ge=0)


class RSA(_Analysis):
    """``[analyses.rsa]``: every layer's RDM against human data and hypotheses (neurocompare.rsa.evaluate)."""

    references: list[str] = Field(description="[human] names, and stimulus factors (e.g. 'category', 'x') whose "
                                              "hypothesis RDMs (same/different, or distance) to test.")
    rdm_method: Literal[RDM_METHODS] = "correlation"  # type: ignore[valid-type]
    method: Literal[COMPARE_METHODS] = "corr"  # type: ignore[valid-type]
    bootstrap: Literal["stimuli", "subjects", "both", "none"] = "stimuli"
    n_bootstrap: int = Field(1000, ge=1)
    permutations: int = Field(1000, ge=0)
    ci: float = Field(0.95, gt=0, lt=1)
    compare_models: bool = Field(True, description="Also compare every layer's RDM with every other layer's "
                                                   "(second-order RSA across models).")


class Decoding(_Analysis):
    """``[analyses.decoding]``: cross-validated linear decoding of chosen factors from every layer
    (neurocompare.decoding.decode)."""

    targets: list[str] = Field(min_length=1, description="Stimulus factors to decode (e.g. 'identity', 'luminance').")
    task: Literal["auto", "classification", "regression"] = "auto"
    cv: int = Field(5, ge=2)
    groups: str | None = Field(None, description="A factor whose levels never straddle a fold (e.g. 'identity').")
    permutations: int = Field(0, ge=0)


class CAM(_Analysis):
    """``[analyses.cam]``: class-activation maps and how well they localise the object (neurocompare.cam)."""

    methods: list[Literal[CAM_METHODS]] = Field(default_factory=lambda: ["gradcam"])  # type: ignore[valid-type]
    layer: str | None = None
    target: Literal["predicted", "true"] = "predicted"
    n_bootstrap: int = Field(2000, ge=1)


class Behavior(_Analysis):
    """``[analyses.behavior]``: the models' answers against people's, trial by trial (neurocompare.behavior)."""

    trials: str = Field(description="The [human] entry with people's trials on the stimulus set.")
    mapping: Literal["identity", "imagenet16"] = Field(
        "identity", description="How model outputs become answers: its own classes (identity), or ImageNet's "
                                "1,000 classes pooled into model-vs-human's 16 categories (imagenet16).")
    n_bootstrap: int = Field(1000, ge=1)
    ci: float = Field(0.95, gt=0, lt=1)


class Transfer(_Analysis):
    """``[analyses.transfer]``: re-use each model for a new task, frozen vs fine-tuned vs from scratch, and what
    changes inside (neurocompare.transfer.run). ``stimuli`` is the target task's stimulus set."""

    target: str = Field("category", description="The factor of the target stimuli to learn.")
    modes: list[Literal["frozen", "finetune", "scratch"]] = Field(
        default_factory=lambda: ["frozen", "finetune", "scratch"])
    train_sizes: list[Annotated[int, Field(ge=2)]] | None = Field(None, description="Training-set sizes "
                                                                                   "(default: all).")
    n_seeds: int = Field(1, ge=1, description="Repetitions with seeds random_state, random_state + 1, ...")
    epochs: int = Field(10, ge=1)
    lr: float = Field(1e-3, gt=0)


class Generation(_Analysis):
    """``[analyses.generation]``: a small GAN as a stimulus factory, its latent feature axes (TL-GAN,
    InterFaceGAN, GANSpace) read by one of the study's models, and a controlled continuum along one axis
    (neurocompare.generation)."""

    labeler: str = Field(description="The [models] entry that reads the factors off generated images (a "
                                     "two-stream net trained on the stimuli).")
    factors: list[str] = Field(min_length=1, description="Factors to find latent axes for (e.g. 'x', 'size').")
    lock: list[str] = Field(default_factory=list, description="Factors the traversal must leave unchanged "
                                                              "(Gram-Schmidt locking).")
    method: Literal["tlgan", "interfacegan", "ganspace"] = "tlgan"
    image_size: int | None = Field(None, ge=8, description="Default: the stimuli's size.")
    latent_dim: int = Field(32, ge=1)
    epochs: int = Field(30, ge=1)
    n_samples: int = Field(2000, ge=10, description="Generated images used to fit the axes.")
    steps: int = Field(7, ge=2, description="Points along the traversal.")
    n: int = Field(8, ge=1, description="Traversal chains (starting points).")


class Analyses(_Section):
    """``[analyses]``: the analyses to run; leave a table out to skip it."""

    probes: Probes | None = None
    rsa: RSA | None = None
    decoding: Decoding | None = None
    cam: CAM | None = None
    behavior: Behavior | None = None
    transfer: Transfer | None = None
    generation: Generation | None = None


class Study(_Section):
    """A neurocompare study file."""

    study: StudyInfo = Field(default_factory=StudyInfo)
    stimuli: dict[str, StimulusSetEntry] = Field(min_length=1)
    models: dict[str, ModelEntry] = Field(min_length=1)
    extraction: Extraction = Field(default_factory=Extraction)
    human: dict[str, HumanEntry] = Field(default_factory=dict)  # type: ignore[valid-type]
    analyses: Analyses = Field(default_factory=Analyses)


def json_schema() -> dict:
    """The JSON Schema of study files (for editors: completion and checking)."""
    schema = Study.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "neurocompare study file"
    return schema
