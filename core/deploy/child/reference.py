"""The reference run: the checkpoint's outputs in TensorFlow, and each clean-up stage's graph on the same feeds."""

from core.deploy.child.arrays import load_arrays, save_arrays


def run_job(job):
    """Job keys: model, checkpoint, tags, outputs, feeds (npz), feed_names, reference_feeds (name map),
    switch_values, graphs (list of .pb paths), arrays (npz to write). Returns names and errors."""
    from core.formats.model import open_model
    from core.formats.graph_io import load_graph_def
    from core.verify import runner
    feeds = dict(load_arrays(job["feeds"], job["feed_names"]))
    rename = job.get("reference_feeds") or {}
    reference_feeds = dict((rename.get(k, k), v) for k, v in feeds.items())
    for name, value in (job.get("switch_values") or {}).items():
        reference_feeds[name] = value
    result = {"graph_errors": [], "tensorflow": None}
    named = []
    with open_model(job["model"], checkpoint=job.get("checkpoint"), tags=job.get("tags")) as model:
        values, version = runner.run_checkpoint(model, job["outputs"], reference_feeds)
    result["tensorflow"] = version
    named.extend(("reference/%s" % o, v) for o, v in zip(job["outputs"], values))
    for index, path in enumerate(job.get("graphs") or []):
        graph_def = load_graph_def(path).graph_def
        try:
            outputs, _ = runner.run_graph(graph_def, job["outputs"], feeds)
        except Exception as exc:
            result["graph_errors"].append(" ".join(str(exc).split())[:300])
            continue
        result["graph_errors"].append(None)
        named.extend(("graph%d/%s" % (index, o), v) for o, v in zip(job["outputs"], outputs))
    result["names"] = save_arrays(job["arrays"], named)
    return result
