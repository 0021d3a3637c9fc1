"""Stand-in: lm-eval loads Hugging Face `evaluate` metrics only for metrics it does not define itself."""


def load(name, *args, **kwargs):
    raise RuntimeError(f"evaluate.load({name!r}): Hugging Face evaluate is not installed (not on the reference path)")
