"""Train the shipped sentiment model (agent/classify/data/sentiment_model.npz).

    python -m agent.classify.train_sentiment

Data: the hand-written, labelled sentences in ``data/sentiment_train/*.tsv`` (``label<TAB>text``;
work chat, products, films, restaurants and travel, short reactions, informal community chat), written for
Confab and never drawn from an evaluation set. Features: :func:`agent.classify.sentiment.features`,
standardised. C is picked by 5-fold cross-validation on those sentences only.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from agent.classify.sentiment import LABELS, MODEL_PATH, SentimentModel, features
from agent.training_lines import read_labelled

DATA = Path(__file__).parent / "data" / "sentiment_train"


def read_sentences(folder: Path = DATA) -> tuple[list[str], list[int]]:
    return read_labelled(folder, LABELS)


def fit(found: np.ndarray, labels: list[int]) -> tuple[SentimentModel, float, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    search = GridSearchCV(pipeline, {"logisticregression__C": [0.003, 0.01, 0.03, 0.1, 0.3]}, cv=folds, n_jobs=1)
    search.fit(found, labels)
    scaler, best = search.best_estimator_[0], search.best_estimator_[-1]
    model = SentimentModel(best.coef_.astype(np.float32), best.intercept_.astype(np.float32),
                           scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32))
    return model, float(search.best_params_["logisticregression__C"]), float(search.best_score_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.embeddings import LocalEmbedder

    texts, labels = read_sentences(args.data)
    counts = {name: labels.count(i) for i, name in enumerate(LABELS)}
    model, c, accuracy = fit(features(texts, LocalEmbedder()), labels)
    model.save(args.out)
    print(f"trained on {len(texts)} sentences {counts}: C={c}, cross-validated accuracy {accuracy:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
