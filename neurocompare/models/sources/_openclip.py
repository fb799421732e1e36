"""OpenCLIP image towers: ``nc.models.load("openclip:ViT-B-32", weights="laion2b_s34b_b79k")``."""
from __future__ import annotations

from . import DOWNLOAD_ERRORS, default_layers, offline_error, preprocessing_config, seeded, weights_kind


def load(name: str, weights, *, random_state: int, options: dict):
    import open_clip

    from ..._utils.checks import unknown_name_error
    from .._wrapper import ModelWrapper

    prefixed = f"openclip:{name}"
    labels, templates = options.pop("labels", None), options.pop("templates", None)
    if labels is None and templates is not None:
        raise ValueError("Invalid value for 'templates': prompt templates need labels=[...] (the classes of the "
                         "zero-shot classifier); got templates without labels.")
    if labels is not None:
        from .._zeroshot import check_labels, check_templates

        labels, templates = check_labels(labels), check_templates(templates)
    known = open_clip.list_models()
    if name not in known:
        raise unknown_name_error("OpenCLIP model", name, known, hint="See open_clip.list_models().")
    kind = weights_kind(weights)
    if kind == "tag":
        tags = open_clip.list_pretrained_tags_by_model(name)
        if not tags:
            raise ValueError(f"Invalid value for 'weights': OpenCLIP has no pretrained weights for {name!r}; use "
                             "weights=None (random init) or a file path.")
        tag = tags[0] if weights == "DEFAULT" else weights
        if tag not in tags:
            from ..._utils.checks import close_matches

            close = close_matches(tag, tags)
            raise ValueError(f"Invalid value for 'weights': expected None, 'DEFAULT', a file path or one of the "
                             f"OpenCLIP pretrained tags of {name!r} ({', '.join(map(repr, tags))}); got {tag!r}."
                             + (f" Close matches: {', '.join(map(repr, close))}." if close else ""))
        try:
            model, preprocess = _create(open_clip, name, tag, options, prefixed)
        except (*DOWNLOAD_ERRORS, RuntimeError) as err:
            # OpenCLIP re-raises a failed download as a RuntimeError; the network error is its context
            cause = err if isinstance(err, DOWNLOAD_ERRORS) else err.__cause__ or err.__context__
            if not isinstance(cause, DOWNLOAD_ERRORS):
                raise
            raise offline_error(f"the OpenCLIP weights {tag!r}", name, cause, where=_where(name, tag),
                                prefixed=prefixed) from err
        wdesc = f"{tag} (OpenCLIP)"
    else:
        with seeded(random_state):
            model, preprocess = _create(open_clip, name, None, options, prefixed)
        wdesc = f"none (random init, seed {random_state})"
        if kind == "path":
            from ..checkpoints import load_state_file

            load_state_file(model, weights, model_name=prefixed)
            wdesc = str(weights)
    from .._zeroshot import TextEncoder, ZeroShotClassifier

    model.eval()
    visual = model.visual
    text = TextEncoder(model, open_clip.get_tokenizer(name), prefixed)
    tokens = _token_layout(visual)
    layers = _default_layers(visual)
    pre_cfg = dict(getattr(visual, "preprocess_cfg", {}) or {})
    config = {"name": prefixed, "source": "openclip", "open_clip_version": open_clip.__version__,
              "module": "visual (the image tower; its output is the image embedding)",
              "preprocessing": preprocessing_config(pre_cfg), **options}
    module, classes = visual, None
    if labels is not None:
        module = ZeroShotClassifier(visual, text.labels(labels, templates), text.logit_scale, text.logit_bias).eval()
        layers = [f"visual.{n}" for n in layers]
        classes = labels
        config.update(module="ZeroShotClassifier: visual (the image tower) + one logit per label, logit_scale * "
                             "cosine(image embedding, label embedding)", labels=list(labels),
                      templates=list(templates), logit_scale=text.logit_scale)
    if tokens is not None:
        config["tokens"] = tokens.to_dict()
    wrapper = ModelWrapper(module, name=prefixed, family="classification", transform=preprocess,
                           default_layers=layers, classes=classes, weights=wdesc, config=config, tokens=tokens)
    wrapper.text_encoder = text
    return wrapper


def _create(open_clip, name, pretrained, options, prefixed):
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=pretrained, **options)
    except TypeError as err:
        raise TypeError(f"Invalid option(s) {sorted(options)} for {prefixed!r}: {err}. The options are passed to "
                        "open_clip.create_model_and_transforms() (e.g. force_image_size).") from None
    return model, preprocess


def _where(name: str, tag: str) -> str:
    try:
        import open_clip

        cfg = open_clip.get_pretrained_cfg(name, tag)
    except Exception:  # noqa: BLE001 - only for the message
        cfg = {}
    hub = cfg.get("hf_hub", "").rstrip("/")
    if hub:
        return (f"OpenCLIP reads it from the Hugging Face Hub repo {hub!r} into the Hugging Face cache "
                "($HF_HOME/hub). On a machine with internet run `huggingface-cli download "
                f"{hub}` and copy its models--{hub.replace('/', '--')} folder into that cache.")
    url = cfg.get("url", "")
    return (f"OpenCLIP downloads {url or 'the file'} into ~/.cache/clip (or the cache_dir option); copy the file "
            "there.")


def _token_layout(visual):
    from ..tokens import make_layout

    if type(visual).__name__ != "VisionTransformer" or not hasattr(visual, "grid_size"):
        return None
    transformer = getattr(visual, "transformer", None)
    if not getattr(transformer, "batch_first", False):
        return None  # sequence-first blocks (older OpenCLIP): leave the tokens unlabelled
    n_cls = 1 if getattr(visual, "class_embedding", None) is not None else 0
    return make_layout(n_cls=n_cls, patch_size=visual.patch_size, grid=visual.grid_size)


def _default_layers(visual) -> list[str]:
    names = {n for n, _ in visual.named_modules()}
    if "transformer.resblocks.0" in names:
        blocks = sorted((n for n in names if n.count(".") == 2 and n.startswith("transformer.resblocks.")),
                        key=lambda n: int(n.rsplit(".", 1)[1]))
        return [n for n in ("conv1", *blocks, "ln_post") if n in names]
    if {"layer1", "layer4"} <= names:  # ModifiedResNet
        return [n for n in ("layer1", "layer2", "layer3", "layer4", "attnpool") if n in names]
    return default_layers(visual)
