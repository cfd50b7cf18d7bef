"""Evaluation as a library: Inception loading, IS / FID / KID / PRDC, the Fréchet distance, reference
statistics, protocols and reports. It scores any source of uint8 image batches and knows nothing
of runs, trainers or checkpoints (gans.runs.checkpoint_scores scores those).

    from gans.eval import open_inception, extract, fid, kid, inception_score
    from gans.eval.prdc import prdc  # gans.eval.prdc is the module: the function cannot share its name
"""
if __name__ != "gans.eval":  # one copy of each class: never importable under a second name
    raise ImportError("import gans.eval, not eval: this folder is installed as gans.eval (pip install -e .)")

from gans.core.registry import lazy_exports

_EXPORTS = {
    "open_inception": ".inception", "Inception": ".inception",
    "extract": ".metrics", "fid": ".metrics", "kid": ".metrics", "inception_score": ".metrics",
    "PRDC": ".prdc", "knn_radii": ".prdc",
    "frechet_distance": ".frechet", "statistics": ".frechet",
    "get_reference": ".reference", "Reference": ".reference",
    "Protocol": ".protocol", "PROTOCOLS": ".protocol",
    "prepare": ".scoring", "score_draws": ".scoring", "score_images": ".scoring", "report": ".scoring",
    "Draw": ".records", "Summary": ".records", "Result": ".records", "Report": ".records",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
