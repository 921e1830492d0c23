"""`--metrics table`: the scores people who generate tables trust, side by side with a real
hold-out split.

- `column_shapes`, `pair_trends`: SDMetrics' QualityReport (sdv-dev/SDMetrics), computed here
  with scipy and pandas by its definitions and checked equal to SDMetrics 0.32 in the tests:
  the mean over columns of KSComplement (1 - the Kolmogorov-Smirnov statistic, numbers) or
  TVComplement (1 - total variation distance, categories), blanks left out; the mean over column
  pairs of CorrelationSimilarity (1 - |Pearson r_real - r_synthetic| / 2, two numbers) or
  ContingencySimilarity (1 - total variation distance of the pair's joint frequencies; a number
  beside a category cut into 10 equal bins of its own range, a blank a value of its own), over
  the pairs with a trend in the real data (|r| > 0.5, Cramér's V > 0.3: SDMetrics 0.32's
  defaults); `pair_trends_all` over every pair. 1 is best. `blanks`: the mean over columns that have blanks of 1 - |blank share real -
  synthetic| (SDMetrics' MissingValueSimilarity).
- `detection_auc`: how well a classifier tells real rows from synthetic ones, the ROC AUC of
  3-fold stratified cross-validation (0.5: it cannot; 1: always). Logistic regression on
  robust-scaled features, as SDMetrics' LogisticDetection; `detection_gbt_auc` the same with
  scikit-learn's gradient-boosted trees, a stronger detector. Equal numbers of each.
- `ml_*`: machine-learning efficacy for the column `metrics.target`: gradient-boosted trees
  (scikit-learn) trained on synthetic rows and on the real training rows, both tested on the
  held-out real rows: macro F1 for a categorical target, R² for a number.
- privacy: `copies` is the share of synthetic rows identical to a training row; `dcr_*` the
  distance to the closest training record (per column: |a - b| over the column's range for a
  number, 0 or 1 for a category, averaged over columns), for synthetic rows and for held-out real
  rows; `dcr_closer_to_train` the share of synthetic rows nearer to the training rows than to
  as many held-out rows (0.5: no closer to what G saw than to what it did not; SDMetrics'
  DCROverfittingProtection).

Where SDMetrics and this module differ: detection is seeded here (SDMetrics' folds are not), so
a score is reproducible; and SDMetrics' score is 1 - (2·max(AUC, 0.5) - 1), this the AUC itself.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..errors import GankitError
from .registry import EvalContext, register_metric

FOLDS = 3
BINS = 10  # SDMetrics' ContingencySimilarity cuts numbers into this many bins
CORRELATION_THRESHOLD = 0.5  # SDMetrics 0.32's QualityReport: pairs of numbers count above this |r| ...
ASSOCIATION_THRESHOLD = 0.3  # ... and other pairs above this Cramér's V, in the real data
MAX_DETECTION_ROWS = 20_000  # of each kind
MAX_DCR_ROWS = 5_000  # synthetic and held-out rows whose closest record is searched
MAX_DCR_TRAIN = 50_000


def _is_number(col) -> bool:
    return col.type in ("continuous", "integer")


# -------------------------------------------------------------------------------- shapes and pairs


def ks_complement(real: np.ndarray, fake: np.ndarray) -> float:
    from scipy import stats

    r, f = real[~np.isnan(real)], fake[~np.isnan(fake)]
    if len(r) == 0 or len(f) == 0:
        return math.nan
    return 1.0 - float(stats.ks_2samp(r, f).statistic)


def tv_complement(real: np.ndarray, fake: np.ndarray) -> float:
    r, f = real[~np.isnan(real)].astype(np.int64), fake[~np.isnan(fake)].astype(np.int64)
    if len(r) == 0 or len(f) == 0:
        return math.nan
    k = int(max(r.max(), f.max())) + 1
    return 1.0 - 0.5 * float(np.abs(np.bincount(r, minlength=k) / len(r) - np.bincount(f, minlength=k) / len(f)).sum())


def column_scores(real: np.ndarray, fake: np.ndarray, codec) -> dict[str, float]:
    """Each column's shape score (KSComplement or TVComplement), by column name."""
    return {c.name: (ks_complement if _is_number(c) else tv_complement)(real[:, j], fake[:, j])
            for j, c in enumerate(codec.columns)}


def _discretize(x: np.ndarray) -> np.ndarray:
    """SDMetrics' discretization of a number beside a category: np.digitize on 10 equal bins of
    the values' own range (a blank lands past the last edge: a bin of its own)."""
    present = x[~np.isnan(x)]
    edges = np.histogram_bin_edges(present) if len(present) else np.array([0.0, 1.0])
    return np.digitize(x, bins=edges).astype(np.float64)


def _joint_tv(a: np.ndarray, b: np.ndarray) -> float:
    """1 - total variation distance between the joint frequencies of two pairs of discrete
    columns (NaN is a value of its own)."""
    def freq(x):
        keys, counts = np.unique(np.where(np.isnan(x), -1, x).astype(np.int64), axis=0, return_counts=True)
        return {tuple(k): c / len(x) for k, c in zip(keys, counts)}

    fa, fb = freq(a), freq(b)
    return 1.0 - 0.5 * sum(abs(fa.get(k, 0.0) - fb.get(k, 0.0)) for k in set(fa) | set(fb))


def _pearson(x: np.ndarray) -> float:
    x = x[~np.isnan(x).any(1)]
    if len(x) < 2 or x[:, 0].std() == 0 or x[:, 1].std() == 0:
        return math.nan
    return float(np.corrcoef(x[:, 0], x[:, 1])[0, 1])


def _cramers_v(a: np.ndarray) -> float:
    """Cramér's V of the real pair's contingency table (a blank a value of its own), as SDMetrics."""
    from scipy.stats.contingency import association

    key = np.where(np.isnan(a), -1, a).astype(np.int64)
    _, i = np.unique(key[:, 0], return_inverse=True)
    _, j = np.unique(key[:, 1], return_inverse=True)
    table = np.zeros((i.max() + 1, j.max() + 1), dtype=np.int64)
    np.add.at(table, (i, j), 1)
    if min(table.shape) < 2:
        return math.nan
    return float(association(table, method="cramer"))


def pair_scores(real: np.ndarray, fake: np.ndarray, codec, thresholds: bool = True) -> dict[tuple[str, str], float]:
    """Each column pair's trend score (CorrelationSimilarity or ContingencySimilarity). With
    `thresholds` (SDMetrics' QualityReport), a pair counts only where the real data has a trend
    to keep: |Pearson r| > CORRELATION_THRESHOLD, or Cramér's V > ASSOCIATION_THRESHOLD; the
    others are NaN (left out of the mean)."""
    cols = codec.columns
    numbers = [_is_number(c) for c in cols]
    disc_r = {j: _discretize(real[:, j]) for j in range(len(cols)) if numbers[j]}
    disc_f = {j: _discretize(fake[:, j]) for j in range(len(cols)) if numbers[j]}
    out = {}
    for i, j in itertools.combinations(range(len(cols)), 2):
        if numbers[i] and numbers[j]:
            if np.nanstd(real[:, i]) == 0 or np.nanstd(real[:, j]) == 0 or np.nanstd(fake[:, i]) == 0 \
                    or np.nanstd(fake[:, j]) == 0:
                score = math.nan  # SDMetrics: correlation is undefined for a constant column
            else:
                r, f = _pearson(real[:, [i, j]]), _pearson(fake[:, [i, j]])
                score = math.nan if math.isnan(r) or math.isnan(f) else 1 - abs(r - f) / 2
                if thresholds and not abs(r) > CORRELATION_THRESHOLD:
                    score = math.nan
        else:
            a = np.column_stack([disc_r[i] if numbers[i] else real[:, i], disc_r[j] if numbers[j] else real[:, j]])
            b = np.column_stack([disc_f[i] if numbers[i] else fake[:, i], disc_f[j] if numbers[j] else fake[:, j]])
            score = _joint_tv(a, b)
            if thresholds and not _cramers_v(a) > ASSOCIATION_THRESHOLD:
                score = math.nan
        out[(cols[i].name, cols[j].name)] = score
    return out


def pair_kinds(pairs: dict[tuple[str, str], float], codec) -> dict[str, float]:
    """The mean of `pair_scores` over pairs of two numbers (correlation similarity) and over pairs
    with a category (contingency similarity): where pair trends are kept or lost."""
    numbers = {c.name for c in codec.columns if _is_number(c)}
    both = [v for (a, b), v in pairs.items() if a in numbers and b in numbers]
    other = [v for (a, b), v in pairs.items() if a not in numbers or b not in numbers]
    return {"pair_trends_numbers": _mean(both), "pair_trends_categories": _mean(other)}


def blank_scores(real: np.ndarray, fake: np.ndarray, codec) -> dict[str, float]:
    return {c.name: 1.0 - abs(float(np.isnan(real[:, j]).mean()) - float(np.isnan(fake[:, j]).mean()))
            for j, c in enumerate(codec.columns) if c.blank}


def _mean(values) -> float:
    v = [x for x in values if not math.isnan(x)]
    return float(np.mean(v)) if v else math.nan


# -------------------------------------------------------------------------------- learned scores


def features(codes: np.ndarray, codec) -> np.ndarray:
    """Rows as numbers a classifier takes: numbers (blank: the column's median, and an indicator),
    categories one-hot (a blank a category of its own)."""
    parts = []
    for j, c in enumerate(codec.columns):
        v = codes[:, j]
        blank = np.isnan(v)
        if _is_number(c):
            fill = (c.low + c.high) / 2
            parts.append(np.where(blank, fill, v)[:, None])
            if c.blank:
                parts.append(blank[:, None].astype(np.float64))
        else:
            k = len(c.categories)
            idx = np.where(blank, k, v).astype(np.int64)
            parts.append(np.eye(k + 1)[idx][:, : k + c.blank])
    return np.concatenate(parts, 1)


def _threads():
    """scikit-learn's gradient-boosted trees on one OpenMP thread: on tables of this size, more
    threads only wait for each other (measured 0.7 s against 51 s for one fit on a busy 2-core
    machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def detection_auc(real: np.ndarray, fake: np.ndarray, codec, seed: int = 0, model: str = "logistic") -> float:
    """Cross-validated ROC AUC of a classifier telling real rows from synthetic ones (0.5 best)."""
    with _threads():
        return _detection_auc(real, fake, codec, seed, model)


def _detection_auc(real, fake, codec, seed, model) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import RobustScaler

    rng = np.random.default_rng(seed)
    n = min(len(real), len(fake), MAX_DETECTION_ROWS)
    r = real[rng.choice(len(real), n, replace=False)]
    f = fake[rng.choice(len(fake), n, replace=False)]
    X = features(np.concatenate([r, f]), codec)
    y = np.r_[np.ones(n), np.zeros(n)]
    aucs = []
    for tr, te in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, y):
        clf = (make_pipeline(RobustScaler(), LogisticRegression(max_iter=1000)) if model == "logistic"
               else HistGradientBoostingClassifier(max_iter=100, random_state=seed))
        clf.fit(X[tr], y[tr])
        aucs.append(roc_auc_score(y[te], clf.predict_proba(X[te])[:, 1]))
    return float(np.mean(aucs))


def ml_efficacy(train: np.ndarray, test: np.ndarray, codec, target: str, seed: int = 0) -> float:
    """Macro F1 (categorical target) or R² (a number) on `test` of gradient-boosted trees
    trained on `train` (rows whose target is blank are left out)."""
    with _threads():
        return _ml_efficacy(train, test, codec, target, seed)


def _ml_efficacy(train, test, codec, target, seed) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score, r2_score

    j = codec.names.index(target)
    col = codec.columns[j]
    others = [k for k in range(len(codec.columns)) if k != j]
    sub = type(codec)([codec.columns[k] for k in others])
    train, test = train[~np.isnan(train[:, j])], test[~np.isnan(test[:, j])]
    if len(train) < 2 or len(test) < 1:
        return math.nan
    Xtr, Xte = features(train[:, others], sub), features(test[:, others], sub)
    if _is_number(col):
        model = HistGradientBoostingRegressor(max_iter=100, random_state=seed).fit(Xtr, train[:, j])
        return float(r2_score(test[:, j], model.predict(Xte)))
    ytr = train[:, j].astype(np.int64)
    if len(np.unique(ytr)) < 2:  # synthetic rows of one class only: every prediction is that class
        pred = np.full(len(test), ytr[0])
    else:
        pred = HistGradientBoostingClassifier(max_iter=100, random_state=seed).fit(Xtr, ytr).predict(Xte)
    return float(f1_score(test[:, j].astype(np.int64), pred, average="macro"))


def _distance_space(codes: np.ndarray, codec) -> np.ndarray:
    """Rows where the L1 distance divided by the number of columns is the per-column mean of
    |a - b| / range (numbers; a blank 1 from any number, 0 from a blank) and 0 or 1 (categories)."""
    parts = []
    for j, c in enumerate(codec.columns):
        v = codes[:, j]
        blank = np.isnan(v)
        if _is_number(c):
            span = (c.high - c.low) or 1.0
            parts.append(np.where(blank, 0.0, (np.clip(v, c.low, c.high) - c.low) / span)[:, None] * (1 - blank[:, None]))
            if c.blank:  # a blank is a far value of its own
                parts.append(blank[:, None].astype(np.float64))
        else:
            k = len(c.categories)
            idx = np.where(blank, k, v).astype(np.int64)
            parts.append(0.5 * np.eye(k + 1)[idx])
    return np.concatenate(parts, 1)


def privacy(train: np.ndarray, holdout: np.ndarray, fake: np.ndarray, codec, seed: int = 0) -> dict[str, float]:
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(seed)
    key = lambda a: {r.tobytes() for r in np.where(np.isnan(a), np.inf, np.round(a, 9))}  # noqa: E731
    seen = key(train)
    fake_keys = [r.tobytes() for r in np.where(np.isnan(fake), np.inf, np.round(fake, 9))]
    copies = float(np.mean([k in seen for k in fake_keys]))
    d = len(codec.columns)
    T = _distance_space(train[rng.choice(len(train), min(len(train), MAX_DCR_TRAIN), replace=False)], codec)
    F = _distance_space(fake[rng.choice(len(fake), min(len(fake), MAX_DCR_ROWS), replace=False)], codec)
    out = {"copies": copies}
    nn = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(T)
    out["dcr_median"] = float(np.median(nn.kneighbors(F)[0][:, 0]) / d)
    if len(holdout) >= 2:
        H = _distance_space(holdout[rng.choice(len(holdout), min(len(holdout), MAX_DCR_ROWS), replace=False)], codec)
        out["dcr_holdout_median"] = float(np.median(nn.kneighbors(H)[0][:, 0]) / d)
        # nearer to as many training rows as there are held-out rows, or to the held-out rows?
        Ts = _distance_space(train[rng.choice(len(train), min(len(train), len(holdout)), replace=False)], codec)
        to_train = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(Ts).kneighbors(F)[0][:, 0]
        to_hold = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(_distance_space(holdout, codec)).kneighbors(F)[0][:, 0]
        out["dcr_closer_to_train"] = float(np.mean(to_train < to_hold) + 0.5 * np.mean(to_train == to_hold))
    return out


# ------------------------------------------------------------------------------------ the metric


def scores(train: np.ndarray, holdout: np.ndarray, fake: np.ndarray, codec, target: str = "", seed: int = 0,
           ceiling: bool = True) -> dict[str, Any]:
    """Every score of synthetic rows `fake` against the training rows (and the held-out ones),
    all as codes (N×D); with `ceiling`, the same scores of the held-out rows themselves."""
    with _threads():
        return _scores(train, holdout, fake, codec, target, seed, ceiling)


def _scores(train, holdout, fake, codec, target, seed, ceiling) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cols = column_scores(train, fake, codec)
    out["column_shapes"] = _mean(cols.values())
    pairs = pair_scores(train, fake, codec)
    out["pair_trends"] = _mean(pairs.values())
    out.update(pair_kinds(pairs, codec))
    out["pair_trends_all"] = _mean(pair_scores(train, fake, codec, thresholds=False).values())
    blanks = blank_scores(train, fake, codec)
    if blanks:
        out["blanks"] = _mean(blanks.values())
    out["detection_auc"] = detection_auc(train, fake, codec, seed)
    out["detection_gbt_auc"] = detection_auc(train, fake, codec, seed, model="gbt")
    if ceiling and len(holdout) >= 2:
        out["column_shapes_holdout"] = _mean(column_scores(train, holdout, codec).values())
        out["pair_trends_holdout"] = _mean(pair_scores(train, holdout, codec).values())
        out["pair_trends_all_holdout"] = _mean(pair_scores(train, holdout, codec, thresholds=False).values())
        out["detection_auc_holdout"] = detection_auc(train, holdout, codec, seed)
        out["detection_gbt_auc_holdout"] = detection_auc(train, holdout, codec, seed, model="gbt")
    if target:
        if target not in codec.names:
            raise GankitError(f"config key metrics.target: no column {target!r} (the columns: {', '.join(codec.names)})")
        kind = "r2" if _is_number(codec.columns[codec.names.index(target)]) else "f1"
        n = len(train)
        rng = np.random.default_rng(seed)
        synth = fake[rng.choice(len(fake), min(n, len(fake)), replace=False)]
        out[f"ml_{kind}"] = ml_efficacy(synth, holdout, codec, target, seed)
        out[f"ml_{kind}_real"] = ml_efficacy(train, holdout, codec, target, seed)
        out["ml_target"] = target
    out.update(privacy(train, holdout, fake, codec, seed))
    for name, v in cols.items():
        out[f"shape_{name}"] = v
    return out


@register_metric("table", "tables: column shapes, pair trends, detection, ML efficacy, privacy (SDMetrics' definitions)", {
    "column_shapes": "SDMetrics' Column Shapes: mean KSComplement / TVComplement over columns vs the training rows, 0..1 (higher is better)",
    "pair_trends": "SDMetrics' Column Pair Trends: mean correlation / contingency similarity over column pairs, 0..1 (higher is better)",
    "pair_trends_all": "the same over every column pair, also those without a trend in the data (higher is better)",
    "pair_trends_all_holdout": "pair_trends_all of the held-out real rows: the ceiling",
    "blanks": "mean over columns with blanks of 1 - |blank share of data - of samples| (higher is better)",
    "detection_auc": "ROC AUC of logistic regression telling training rows from samples, 3-fold CV (0.5 is best)",
    "detection_gbt_auc": "the same with gradient-boosted trees, a stronger detector (0.5 is best)",
    "column_shapes_holdout": "column_shapes of the held-out real rows: the ceiling for samples",
    "pair_trends_holdout": "pair_trends of the held-out real rows: the ceiling",
    "detection_auc_holdout": "detection_auc of the held-out real rows: what 'indistinguishable' reads at this size",
    "detection_gbt_auc_holdout": "detection_gbt_auc of the held-out real rows",
    "ml_f1": "macro F1 on the held-out rows of trees trained on samples, predicting metrics.target (higher is better)",
    "ml_f1_real": "the same trained on the real training rows: the ceiling",
    "ml_r2": "R² on the held-out rows of trees trained on samples, predicting metrics.target (higher is better)",
    "ml_r2_real": "the same trained on the real training rows: the ceiling",
    "ml_target": "the column ML efficacy predicts (metrics.target)",
    "copies": "share of samples identical to a training row (lower is more private)",
    "dcr_median": "median distance of a sample to its closest training row (per-column mean, 0..1)",
    "dcr_holdout_median": "the same for held-out real rows: a sample much nearer than this copies",
    "dcr_closer_to_train": "share of samples nearer to training rows than to as many held-out rows (0.5: no overfitting)",
    "shape_*": "column *'s shape score (KSComplement or TVComplement), 0..1",
}, few_real="scores against {n_ref} training rows (and fewer held-out ones) vary by a few hundredths from one draw to "
            "the next, and even held-out real rows do not reach 1 or an AUC of 0.5: read them beside the *_holdout keys")
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    if ds.kind != "table" or ds.table is None:
        raise GankitError(f"metric table scores tables (csv:PATH), not {ds.kind} data like {ds.name} "
                          "(for points use ks, wasserstein)")
    codes = ds.table.codes
    holdout = np.concatenate([codes["val"], codes["test"]])
    if len(holdout) < 2:
        ctx.warn("the table has no held-out rows (data.holdout = 0): no ceiling and no ML efficacy")
    target = ctx.config.metrics.target
    if not target:
        ctx.warn("no ML efficacy: name the column to predict with --set metrics.target=COLUMN")
    elif len(holdout) < 2:
        target = ""
    ctx.used_reference(len(codes["train"]))
    return scores(codes["train"], holdout, ctx.samples.double().cpu().numpy(), ds.table.codec, target, ctx.seed)
