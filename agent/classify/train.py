"""Train the spam text model: the shipped one (agent/classify/data/spam_model.npz), or one retrained
with a team's moderators' corrections.

    python -m agent.classify.train --sms ../shared/eval/spam/sms_spam_collection/SMSSpamCollection \
        --sentiment ../shared/eval/sentiment [--corrections data/confab.db --out data/spam_model.npz]

Data (see data/MODEL_CARD.md): the training 80% of the SMS Spam Collection (stratified split,
``random_state=42``; the other 20% is only ever used for evaluation), review sentences from the UCI
sentiment sets (ham: ordinary product talk), chat-style examples generated from the templates in
:mod:`agent.classify.chat_examples`, and moderators' corrections when a database is given: every
``/spam not-spam`` (ham) and ``/spam spam`` (spam) verdict is a row of ``spam_corrections`` with the
message's text (``/forget`` erases a channel's), read from the SQLite file or, in the scaled mode, the
PostgreSQL database (``--corrections postgresql://…``). C is picked by 5-fold cross-validation on the training
data only. (Cliptok's scam fragments are matched as phrases by the signals instead: as training text
they hurt, measured.)

``--janitr ../shared/eval/spam/janitr/janitr.jsonl`` adds the training 80% of the janitr posts (same split;
score the other 20% with ``confab eval spam --data … --split test``). The shipped model is trained without
them: the model card says what they gain and cost.

Confab loads ``CONFAB_DATA_DIR/spam_model.npz`` instead of the shipped model when that file exists
(:func:`agent.classify.text_model.model_path`), so ``--out data/spam_model.npz`` and a restart put a
retrained model to work, and ``confab eval spam`` scores it; deleting the file goes back to the shipped one.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
from pathlib import Path

import numpy as np

from agent.classify.chat_examples import chat_examples
from agent.classify.normalize import normalize
from agent.classify.text_model import MODEL_PATH, N_FEATURES, TextModel, features, vectorizers

log = logging.getLogger(__name__)
SEED = 42
CHAT_TRAIN = Path(__file__).parent / "data" / "chat_train"


def read_sms(path: Path) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
        label, _, text = line.partition("\t")
        if label in ("spam", "ham") and text.strip():
            texts.append(text)
            labels.append(int(label == "spam"))
    return texts, labels


def held_out_split(texts: list[str], labels: list[int]) -> tuple[list[int], list[int]]:
    """Indices of the fixed 80/20 split of a set trained on: stratified, random_state=42; the 20% is only ever
    used for evaluation (``confab eval spam --split test``)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=SEED, stratify=labels)
    return sorted(int(i) for i in train), sorted(int(i) for i in test)


def read_janitr(path: Path) -> tuple[list[str], list[int]]:
    """janitr posts (JSONL ``{"text", "label": "spam"|"ham"}``)."""
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
        if line.strip():
            row = json.loads(line)
            texts.append(str(row["text"]))
            labels.append(int(row["label"] == "spam"))
    return texts, labels


def read_uci_sentences(folder: Path) -> list[str]:
    out = []
    for path in sorted(folder.glob("*_labelled.txt")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            out += [row[0] for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if row and row[0]]
    return out


def read_chat_lines(folder: Path = CHAT_TRAIN) -> tuple[list[str], list[str]]:
    """The hand-written chat spam and ham (``chat_train/spam.txt``, ``ham.txt``), one message per line."""
    def lines(name: str) -> list[str]:
        return [line.strip() for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]

    return lines("spam.txt"), lines("ham.txt")


async def read_corrections(source: str) -> tuple[list[str], list[int]]:
    """Moderators' verdicts kept by Confab, from its SQLite file (``data/confab.db``) or its PostgreSQL database
    (a ``postgresql://`` URL, the scaled mode): (texts, 1 for spam / 0 for not spam)."""
    from agent.storage import Storage

    store: Storage
    if source.startswith(("postgres://", "postgresql://")):
        from agent.storage.postgres import PostgresStorage

        store = await PostgresStorage.open(source)
    else:
        from agent.storage.sqlite import SqliteStorage

        store = await SqliteStorage.open(Path(source))
    try:
        rows = await store.spam.training_examples()
    finally:
        await store.close()
    return [text for text, _ in rows], [int(verdict == "spam") for _, verdict in rows]


def fit(texts: list[str], labels: list[int]) -> TextModel:
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    folded = [normalize(t).folded for t in texts]
    chars, words = vectorizers()
    counts = hstack([chars.transform(folded), words.transform(folded)]).tocsr()
    df = np.bincount(counts.indices, minlength=2 * N_FEATURES)
    idf = (np.log((1 + len(folded)) / (1 + df)) + 1.0).astype(np.float32)
    x = features(folded, idf)
    search = GridSearchCV(LogisticRegression(max_iter=3000, class_weight="balanced"), {"C": [30.0, 100.0, 300.0]},
                          scoring="f1", cv=5,
                          n_jobs=1)
    search.fit(x, labels)
    best = search.best_estimator_
    log.info("trained", extra={"C": search.best_params_["C"], "cv_f1": round(search.best_score_, 4)})
    print(f"C={search.best_params_['C']} cross-validated F1 {search.best_score_:.4f} on {len(texts)} texts")
    return TextModel(idf, best.coef_[0].astype(np.float32), float(best.intercept_[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sms", type=Path, required=True)
    parser.add_argument("--sentiment", type=Path, required=True)
    parser.add_argument("--janitr", type=Path, help="janitr.jsonl (posts from X): its training 80%% is added; not in "
                        "the shipped model (see the model card)")
    parser.add_argument("--corrections", help="Confab's database with the /spam corrections: its SQLite file "
                        "(data/confab.db) or PostgreSQL URL")
    parser.add_argument("--out", type=Path, default=MODEL_PATH,
                        help="where to write it (data/spam_model.npz: used by Confab instead of the shipped model)")
    args = parser.parse_args()
    for flag, path, kind in (("--sms", args.sms, "file"), ("--sentiment", args.sentiment, "folder"),
                             ("--janitr", args.janitr, "file")):
        if path is not None and not (path.is_file() if kind == "file" else path.is_dir()):
            parser.error(f"{flag} {path}: no such {kind}")
    sms_texts, sms_labels = read_sms(args.sms)
    train, _ = held_out_split(sms_texts, sms_labels)
    texts = [sms_texts[i] for i in train]
    labels = [sms_labels[i] for i in train]
    if args.janitr:
        posts, verdicts = read_janitr(args.janitr)
        kept, _ = held_out_split(posts, verdicts)
        texts += [posts[i] for i in kept]
        labels += [verdicts[i] for i in kept]
        print(f"janitr train: {len(kept)} ({sum(verdicts[i] for i in kept)} spam)")
    reviews = read_uci_sentences(args.sentiment)
    chat_spam, chat_ham = chat_examples(SEED)
    written_spam, written_ham = read_chat_lines()
    chat_spam += written_spam
    chat_ham += written_ham
    texts += chat_spam + reviews + chat_ham
    labels += [1] * len(chat_spam) + [0] * (len(reviews) + len(chat_ham))
    if args.corrections:
        if not args.corrections.startswith(("postgres://", "postgresql://")) and not Path(args.corrections).is_file():
            parser.error(f"--corrections {args.corrections}: no such database file (or give a postgresql:// URL)")
        more, verdicts = asyncio.run(read_corrections(args.corrections))
        texts += more
        labels += verdicts
        print(f"moderators' corrections: {len(more)} ({sum(verdicts)} spam, {len(more) - sum(verdicts)} not spam)")
    print(f"training on {len(texts)} texts ({sum(labels)} spam): SMS train {len(train)}, "
          f"chat spam {len(chat_spam)}, reviews {len(reviews)}, chat ham {len(chat_ham)}")
    fit(texts, labels).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
