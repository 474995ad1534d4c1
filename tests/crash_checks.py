"""What a store holds after a crash, read from its catalog and its Chroma collection.

`read_state` reads without recovering; `read_state(store, recover=True)` opens the pipeline
first, as every entry point does at start-up, so the interrupted write is finished.
`read_states_fresh` gives both, read in a new process (Chroma's embedded client caches a
store per process, so a process must not read a store that another one wrote after it).
`write_corpus` makes a folder of small, varied text files for the crash tests to index.
"""

import json
import os
import random
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
QA = Path(sys.executable).parent / "qa"  # the installed `qa` command
CRASH_FILES = 150  # the folder both crash tests index (issue 10)


@dataclass(frozen=True)
class StoreState:
    chroma: frozenset[str]  # chunk ids in the Chroma collection
    by_doc: dict[str, frozenset[str]]  # the catalog's documents and their chunk ids
    pending: frozenset[str]  # chunk ids of writes the catalog has not seen finish

    @property
    def catalog(self) -> frozenset[str]:
        return frozenset().union(*self.by_doc.values())


def read_state(store: Path, recover: bool = False) -> StoreState:
    """The store's state; with `recover`, after the pipeline's start-up recovery has run."""
    from qa.catalog import Catalog
    from qa.pipeline import build_pipeline
    from qa.store import ChunkStore
    from tests.conftest import make_settings

    settings = make_settings(store)
    if recover:
        build_pipeline(settings).close()
    catalog = Catalog(store / "catalog.sqlite")
    try:
        # The only lines that know the catalog's layout: adapt them when it changes.
        view = catalog.view()
        by_doc = {doc_id: frozenset(ids) for doc_id, ids in view.by_doc.items()}
        pending = frozenset(catalog.pending())
    finally:
        catalog.close()
    chroma = frozenset(ChunkStore(settings.store, encode=_no_encoder).ids())
    return StoreState(chroma, by_doc, pending)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one's without its QA_ settings, the model
    offline, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def read_states_fresh(store: Path) -> tuple[StoreState, StoreState]:
    """The store's state as a kill left it, then after the next start, read in a new process."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_checks", str(store)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    return _from_json(before), _from_json(after)


def check_unrecovered(state: StoreState) -> None:
    """What must hold at any instant, even right after a kill: every chunk the catalog lists
    is in Chroma, and every chunk in Chroma that the catalog does not list is pending."""
    assert state.catalog <= state.chroma, (
        f"catalog chunks missing from Chroma: {state.catalog - state.chroma}"
    )
    orphans = state.chroma - state.catalog - state.pending
    assert not orphans, f"chunks in Chroma that nothing accounts for: {sorted(orphans)}"


def check_recovered(state: StoreState) -> None:
    """What must hold once the next start has run: the two agree and nothing is pending."""
    assert state.chroma == state.catalog, (
        f"only in Chroma: {sorted(state.chroma - state.catalog)}; "
        f"only in the catalog: {sorted(state.catalog - state.chroma)}"
    )
    assert not state.pending, f"still pending: {sorted(state.pending)}"


def check_whole_documents(state: StoreState, clean: StoreState) -> None:
    """Each document the store lists has exactly the chunks a clean run gives it."""
    for doc_id, ids in state.by_doc.items():
        assert doc_id in clean.by_doc, f"{doc_id} is not a document of the clean run"
        assert ids == clean.by_doc[doc_id], f"{doc_id} is partly indexed"


def check_after_kill(store: Path, clean: StoreState) -> StoreState:
    """All the checks after a kill, read in a new process: as the kill left it nothing is
    unaccounted for, after the next start the two agree and nothing is pending, and both
    times every listed document is whole. Returns the state after the next start."""
    killed, recovered = read_states_fresh(store)
    check_unrecovered(killed)
    check_whole_documents(killed, clean)
    check_recovered(recovered)
    check_whole_documents(recovered, clean)
    return recovered


def check_same_as_clean(store: Path, clean: StoreState) -> None:
    """After a finishing run, read in a new process: exactly the chunks of a clean run."""
    final, _ = read_states_fresh(store)
    check_recovered(final)
    assert final.by_doc == clean.by_doc and final.chroma == clean.chroma


SUBJECTS = [
    "The harbour authority",
    "A local bakery",
    "The city council",
    "Our hiking club",
    "The regional library",
    "A small orchestra",
    "The water utility",
    "The school board",
    "A fishing cooperative",
    "The museum of textiles",
    "The night train operator",
    "A volunteer fire brigade",
]
VERBS = [
    "approved",
    "postponed",
    "announced",
    "criticised",
    "funded",
    "repaired",
    "rejected",
    "celebrated",
    "reviewed",
    "doubled",
]
OBJECTS = [
    "a new ferry timetable",
    "the budget for the spring festival",
    "plans for a cycle path",
    "the old stone bridge",
    "a survey of nesting birds",
    "the winter opening hours",
    "a programme of free concerts",
    "the pipes under the market square",
    "a study of river pollution",
    "ticket prices for students",
]
WHEN = [
    "on Tuesday",
    "after a long debate",
    "in early March",
    "last autumn",
    "despite heavy rain",
    "before the elections",
    "for the third year running",
]
PLACES = [
    "Valdemar",
    "Kestrel Bay",
    "Oranmore",
    "Hollis Ford",
    "Brenna",
    "Eastwick",
    "Tallow Cross",
]


def write_corpus(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """`count` short text files of made-up local news, a few long enough for several chunks."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number in range(count):
        sentences = rng.choice([3, 5, 8, 12]) if number % 10 else rng.choice([30, 45])
        lines = [
            f"{rng.choice(SUBJECTS)} of {rng.choice(PLACES)} {rng.choice(VERBS)} "
            f"{rng.choice(OBJECTS)} {rng.choice(WHEN)}, according to report {number}-{i}."
            for i in range(sentences)
        ]
        paragraphs = ["\n".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
        file = folder / f"notice_{number:03d}.txt"
        file.write_text(f"Notice {number}\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
        files.append(file)
    return files


def indexed_documents(store: Path) -> int:
    """How many documents the catalog lists right now (0 before it exists)."""
    try:
        db = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
        with closing(db):
            return db.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def _no_encoder(texts: object) -> NoReturn:
    raise AssertionError("reading a store's ids needs no embedding")


def _to_json(state: StoreState) -> dict:
    by_doc = {d: sorted(ids) for d, ids in state.by_doc.items()}
    return {"chroma": sorted(state.chroma), "by_doc": by_doc, "pending": sorted(state.pending)}


def _from_json(data: dict) -> StoreState:
    by_doc = {d: frozenset(ids) for d, ids in data["by_doc"].items()}
    return StoreState(frozenset(data["chroma"]), by_doc, frozenset(data["pending"]))


def main() -> None:
    store = Path(sys.argv[1])
    before = read_state(store)
    after = read_state(store, recover=True)
    print(json.dumps([_to_json(before), _to_json(after)]))


if __name__ == "__main__":
    main()
