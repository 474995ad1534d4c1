"""Stable answers: equal scores are ordered by chunk id, so every process ranks alike."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths

QUESTION = "What did Russia veto in March?"
RANK_IN_A_FRESH_PROCESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from qa.pipeline import build_pipeline
    from tests.conftest import make_settings
    pipeline = build_pipeline(make_settings(Path(sys.argv[1])))
    vector = pipeline.embedder.encode([sys.argv[2]])[0]
    out = {
        mode: pipeline.retriever.rank(sys.argv[2], vector, 8, mode=mode)[1]
        for mode in ("hybrid", "bm25", "dense")
    }
    print(json.dumps(out))
    pipeline.close()
    """
)


def test_twin_documents_rank_the_same_in_a_fresh_process(pipeline_factory, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = next(SAMPLE_CORPUS.glob("000_*.txt"))
    for name in ("first", "second"):  # the same text and title under two ids
        shutil.copy(source, corpus / f"{name}.txt")
        shutil.copy(f"{source}.meta.json", corpus / f"{name}.txt.meta.json")
    documents = plan_paths([corpus], 10**8).documents
    # Index the later id first, so insertion order and id order disagree.
    documents = sorted(documents, key=lambda d: d.doc_id, reverse=True)
    pipeline = pipeline_factory()
    index_documents(pipeline, documents)
    vector = pipeline.embedder.encode([QUESTION])[0]
    here = {
        mode: [[c, s] for c, s in pipeline.retriever.rank(QUESTION, vector, 8, mode=mode)[1]]
        for mode in ("hybrid", "bm25", "dense")
    }

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    script = [sys.executable, "-c", RANK_IN_A_FRESH_PROCESS, str(tmp_path / "store"), QUESTION]
    done = subprocess.run(script, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout.strip().splitlines()[-1])

    for mode, ranking in here.items():
        ids = [c for c, _ in ranking]
        assert ids == [c for c, _ in there[mode]], mode
        # Twins tie: each pair of equal scores is in chunk-id order.
        scores = [s for _, s in ranking]
        assert ranking == sorted(ranking, key=lambda r: (-r[1], r[0])), mode
        assert len(set(scores)) < len(scores), mode  # there were ties to break
