"""One reversible encoder per column type, and the inference of each column's type.

Types (DESIGN.md's `data.columns`): `continuous`, `integer`, `categorical`, `boolean`; `ignore`
leaves a column out. A column is inferred as

- boolean: two text values spelled as a yes/no pair (true/false, yes/no, y/n, t/f, any case);
- categorical: text, or numbers with at most MAX_LEVELS distinct values (and at least three rows
  per value), such as a year of study or a 1-5 rating;
- integer: whole numbers; continuous: other numbers.

Every column is kept in *codes*: numbers in their own units, a category as its index into the
column's categories, a blank as NaN. Encoders map codes to what G and D see and back:

- a number: mode-specific normalisation (Xu et al. 2019, CTGAN): a Bayesian Gaussian mixture
  (scikit-learn's BayesianGaussianMixture, at most `data.max_modes` modes) fitted once; a value
  is its mode's one-hot and its offset from the mode's mean in 4 standard deviations, in
  (-1, 1). A blank is a mode of its own. `data.continuous = "quantile"` is the alternative
  measured against it: the value's quantile mapped to (-1, 1), a blank a state beside it;
- a category: one-hot, the blank one more category.

Decoding takes the largest entry of each one-hot, and restores what the data was: integers
whole, numbers rounded to the decimals the data was written with, within the range seen in
training (unless `data.clip = false`), categories by index, blanks as NaN.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ...errors import GankitError

TYPES = ("continuous", "integer", "categorical", "boolean")
OVERRIDES = (*TYPES, "ignore")
MAX_LEVELS = 10  # numbers with at most this many distinct values are categories
ROWS_PER_LEVEL = 3  # ... when each value has this many rows on average
MAX_DECIMALS = 6
FIT_ROWS = 10_000  # the mixture is fitted on at most this many values of a column (a fixed sample)
WEIGHT_THRESHOLD = 0.005  # modes of smaller weight are dropped (as CTGAN)
CLIP = 0.99
QUANTILES = 1000
BOOLEAN_PAIRS = (("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"))


# ------------------------------------------------------------------------------------- inference


def _texts(series):
    """Non-blank cells as stripped strings (object columns)."""
    s = series.dropna().astype(str).str.strip()
    return s[s != ""]


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(np.floor(values) == values))


def decimals(values: np.ndarray) -> int:
    """The fewest decimals (0..MAX_DECIMALS) that write every value as it is, else -1 (as is)."""
    if len(values) == 0:
        return 0
    scale = np.maximum(1.0, np.abs(values))
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(values, d) - values) <= 1e-9 * scale):
            return d
    return -1


def infer(frame, declared: dict[str, str], source: str, line_offset: int) -> dict[str, str]:
    """Each column's type: declared in `data.columns`, else inferred. Columns the data cannot
    support (all blank, one value, an identifier) are a one-line error saying what to do."""
    import pandas as pd

    unknown = [c for c in declared if c not in frame.columns]
    if unknown:
        raise GankitError(f"config key data.columns names {', '.join(map(repr, unknown))}, which {source} does not have "
                          f"(its columns: {', '.join(map(str, frame.columns))})")
    bad = {c: t for c, t in declared.items() if t not in OVERRIDES}
    if bad:
        c, t = next(iter(bad.items()))
        raise GankitError(f"config key data.columns: {c} = {t!r} is not a column type; one of {', '.join(OVERRIDES)}")
    types: dict[str, str] = {}
    n = len(frame)
    for name in frame.columns:
        col = frame[name]
        want = declared.get(name)
        if want == "ignore":
            continue
        how = f"declare its type, e.g. data.columns = {{ {name} = \"categorical\" }}"
        drop = f"leave it out with data.columns = {{ {name} = \"ignore\" }}"
        if col.isna().all() or (col.dtype == object and len(_texts(col)) == 0):
            raise GankitError(f"{source} column {name!r} is blank in every row: there is nothing to learn ({drop})")
        if pd.api.types.is_bool_dtype(col):
            numeric, texts = None, None
        elif pd.api.types.is_numeric_dtype(col):
            numeric, texts = col.to_numpy(dtype=np.float64), None
        else:
            texts = _texts(col)
            parsed = pd.to_numeric(texts, errors="coerce")
            ok = parsed.notna()
            if ok.all():
                numeric, texts = pd.to_numeric(col.astype(str).str.strip().replace("", np.nan), errors="coerce").to_numpy(
                    dtype=np.float64), None
            else:
                numeric = None
                if want is None and ok.mean() >= 0.5:
                    i = texts.index[~ok.to_numpy()][0]
                    raise GankitError(f"{source} line {_line(frame, i, line_offset)} column {name!r}: {texts[i]!r} is not a number "
                                      f"(fix the cell, or declare data.columns = {{ {name} = \"categorical\" }})")
        if numeric is not None:
            vals = numeric[~np.isnan(numeric)]
            if not np.isfinite(vals).all():
                i = frame.index[np.isinf(numeric)][0]
                raise GankitError(f"{source} line {_line(frame, i, line_offset)} column {name!r}: {_cell(col[i])!r} is not a finite "
                                  "number (inf cannot be trained on; fix the cell or leave it blank)")
        distinct = int(col.nunique(dropna=True)) if texts is None else int(texts.nunique())
        if distinct == 1:
            value = _cell(col.dropna().iloc[0])
            raise GankitError(f"{source} column {name!r} has the same value ({value!r}) in every row that is not blank: "
                              f"there is nothing to learn ({drop})")
        if want is not None:
            _check_declared(name, want, numeric, texts, col, source)
            types[name] = want
            continue
        if numeric is None and texts is None:
            types[name] = "boolean"
        elif numeric is not None:
            vals = numeric[~np.isnan(numeric)]
            if distinct <= MAX_LEVELS and distinct * ROWS_PER_LEVEL <= n:
                types[name] = "categorical"
            elif _whole(vals):
                if distinct == len(vals) == n and vals.max() - vals.min() == n - 1 and n >= 20:
                    raise GankitError(f"{source} column {name!r} numbers the rows ({int(vals.min())}..{int(vals.max())}, "
                                      f"each once): an identifier, not data to learn ({drop}, or {how})")
                types[name] = "integer"
            else:
                types[name] = "continuous"
        else:
            lower = {t.lower() for t in texts.unique()}
            if len(lower) == 2 and any(lower == set(p) for p in BOOLEAN_PAIRS):
                types[name] = "boolean"
            elif distinct > 0.5 * n and n >= 20:
                raise GankitError(f"{source} column {name!r} has {distinct} distinct values in {n} rows: it looks like an "
                                  f"identifier or free text, not a category ({drop}, or {how})")
            else:
                types[name] = "categorical"
    if not types:
        raise GankitError(f"{source}: every column is ignored (data.columns); keep at least one")
    return types


def _cell(v) -> str:
    """A cell as the file wrote it, near enough: numbers without numpy's decoration."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() else str(f)
    return str(v).strip()


def _line(frame, index, offset: int) -> int:
    return int(frame.index.get_loc(index)) + offset


def _check_declared(name, want, numeric, texts, col, source) -> None:
    if want in ("continuous", "integer") and numeric is None:
        shown = ", ".join(repr(t) for t in list(dict.fromkeys(texts))[:3]) if texts is not None else "yes/no values"
        raise GankitError(f"{source} column {name!r} holds text ({shown}, ...), so it cannot be {want} "
                          "(declare it categorical)")
    if want == "integer" and not _whole(numeric[~np.isnan(numeric)]):
        raise GankitError(f"{source} column {name!r} holds numbers that are not whole, so it cannot be integer "
                          "(declare it continuous)")
    if want == "boolean":
        values = ({t.lower() for t in texts.unique()} if texts is not None else
                  set(np.unique(numeric[~np.isnan(numeric)]).tolist()) if numeric is not None else {True, False})
        ok = values <= {0.0, 1.0} or values <= {True, False} or any(values <= set(p) for p in BOOLEAN_PAIRS)
        if not ok or len(values) > 2:
            raise GankitError(f"{source} column {name!r} holds {sorted(map(str, values))[:5]}, not two yes/no values, so it "
                              "cannot be boolean (declare it categorical)")


# -------------------------------------------------------------------------------------- encoders


@dataclass
class Numeric:
    """A continuous or integer column: codes are its values (NaN blank)."""

    name: str
    type: str  # continuous | integer
    low: float = 0.0
    high: float = 0.0
    decimals: int = 0  # rounding on decode; -1: as generated
    encoding: str = "modes"  # modes | quantile
    blank: bool = False  # blanks seen in training: one more state
    blank_rate: float = 0.0
    means: list[float] = field(default_factory=list)
    stds: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    quantiles: list[float] = field(default_factory=list)
    clip: bool = True

    def fit(self, values: np.ndarray, seed: int, max_modes: int, train: np.ndarray | None = None) -> "Numeric":
        """Fit to a column's values (NaN blank): the range, decimals, modes and blank rate from
        the rows `train` (all when None); whether it has blanks from all rows."""
        self.blank = bool(np.isnan(values).any())
        if train is not None:
            values = values[train]
        x = values[~np.isnan(values)]
        if len(x) == 0:
            raise GankitError(f"column {self.name!r} is blank in every training row; leave it out with "
                              f"data.columns = {{ {self.name} = \"ignore\" }}")
        self.low, self.high = float(x.min()), float(x.max())
        self.decimals = 0 if self.type == "integer" else decimals(x)
        self.blank_rate = float(np.isnan(values).mean())
        if self.encoding == "quantile":
            self.quantiles = np.unique(np.quantile(x, np.linspace(0, 1, min(QUANTILES, len(np.unique(x)))))).tolist()
            return self
        rng = np.random.default_rng(seed)
        fit_on = x if len(x) <= FIT_ROWS else rng.choice(x, FIT_ROWS, replace=False)
        self.means, self.stds, self.weights = _mixture(fit_on, max_modes, seed)
        return self

    @property
    def spans(self) -> list[tuple[int, str]]:
        if self.encoding == "quantile":
            return [(1, "tanh")] + ([(2, "softmax")] if self.blank else [])
        return [(1, "tanh"), (len(self.means) + self.blank, "softmax")]

    @property
    def width(self) -> int:
        return sum(w for w, _ in self.spans)

    def encode(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros((len(codes), self.width), dtype=np.float32)
        blank = np.isnan(codes)
        x = np.where(blank, self.low, codes)
        if self.encoding == "quantile":
            grid = np.linspace(-CLIP, CLIP, len(self.quantiles)) if len(self.quantiles) > 1 else np.zeros(1)
            out[:, 0] = np.where(blank, 0.0, np.interp(x, self.quantiles, grid))
            if self.blank:
                out[np.arange(len(x)), 1 + blank.astype(int)] = 1.0
            return out
        mu, sd, w = (np.asarray(v, dtype=np.float64) for v in (self.means, self.stds, self.weights))
        z = (x[:, None] - mu) / sd
        logp = np.log(w) - np.log(sd) - 0.5 * z**2
        k = np.argmax(logp + rng.gumbel(size=logp.shape), axis=1)  # a mode drawn from its posterior (as CTGAN)
        alpha = (x - mu[k]) / (4 * sd[k])
        far = np.abs(alpha) > CLIP  # a value beyond 4 sd of its drawn mode takes the nearest mode instead
        if far.any():
            k[far] = np.argmin(np.abs(z[far]), axis=1)
            alpha = (x - mu[k]) / (4 * sd[k])
        out[:, 0] = np.where(blank, 0.0, np.clip(alpha, -CLIP, CLIP))
        k = np.where(blank, len(mu), k)
        out[np.arange(len(x)), 1 + k] = 1.0
        return out

    def decode(self, block: torch.Tensor) -> torch.Tensor:
        """Encoded rows (n × width) -> codes (n,), float64."""
        a = block[:, 0].double()
        if self.encoding == "quantile":
            q = torch.tensor(self.quantiles, dtype=torch.float64)
            grid = torch.linspace(-CLIP, CLIP, len(q), dtype=torch.float64)
            x = _interp(a.clamp(-CLIP, CLIP), grid, q) if len(q) > 1 else q.expand(len(a))
            blank = block[:, 2] > block[:, 1] if self.blank else torch.zeros(len(a), dtype=torch.bool)
        else:
            k = block[:, 1:].argmax(1)
            K = len(self.means)
            kk = k.clamp(max=K - 1)
            mu = torch.tensor(self.means, dtype=torch.float64)[kk]
            sd = torch.tensor(self.stds, dtype=torch.float64)[kk]
            x = a.clamp(-1, 1) * 4 * sd + mu
            blank = k == K
        if self.clip:
            x = x.clamp(self.low, self.high)
        if self.decimals >= 0:
            x = torch.round(x, decimals=self.decimals)
        return torch.where(blank, torch.full_like(x, float("nan")), x)

    def codes(self, column, source: str) -> np.ndarray:
        import pandas as pd

        if column.dtype == object:
            column = pd.to_numeric(column.astype(str).str.strip().replace("", np.nan), errors="coerce")
        return column.to_numpy(dtype=np.float64)

    def state(self) -> dict:
        return asdict(self)


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    i = torch.searchsorted(xp, x).clamp(1, len(xp) - 1)
    x0, x1, y0, y1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    return y0 + (x - x0) / (x1 - x0) * (y1 - y0)


def _mixture(x: np.ndarray, max_modes: int, seed: int) -> tuple[list[float], list[float], list[float]]:
    """A Bayesian Gaussian mixture of one column (as CTGAN's: a Dirichlet-process prior of
    concentration 0.001, so unneeded modes get ~0 weight and are dropped)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    unique = np.unique(x)
    spread = float(x.std()) or 1.0
    if len(unique) < 2:
        return [float(x.mean())], [spread], [1.0]
    k = int(min(max_modes, len(unique)))
    bgm = BayesianGaussianMixture(n_components=k, weight_concentration_prior_type="dirichlet_process",
                                  weight_concentration_prior=0.001, max_iter=100, n_init=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        bgm.fit(x.reshape(-1, 1))
    keep = bgm.weights_ > WEIGHT_THRESHOLD
    if not keep.any():
        keep = bgm.weights_ == bgm.weights_.max()
    means = bgm.means_[keep, 0]
    # a mode never narrower than a millionth of the column's spread (repeated values make it ~0)
    stds = np.maximum(np.sqrt(bgm.covariances_[keep, 0, 0]), 1e-6 * spread)
    weights = bgm.weights_[keep] / bgm.weights_[keep].sum()
    order = np.argsort(means)
    return means[order].tolist(), stds[order].tolist(), weights[order].tolist()


@dataclass
class Discrete:
    """A categorical or boolean column: codes are category indices (NaN blank)."""

    name: str
    type: str  # categorical | boolean
    categories: list[str] = field(default_factory=list)  # spellings, as the data wrote them
    values: list[float] = field(default_factory=list)  # numeric categories: each one's number
    value_type: str = "text"  # text | integer | float | boolean
    truth: list[bool] = field(default_factory=list)  # boolean: each category's truth value
    blank: bool = False
    counts: list[int] = field(default_factory=list)  # training rows per category, then blanks

    def fit(self, column, spelling: dict | None = None, train: np.ndarray | None = None) -> "Discrete":
        """Fit to a column: its categories (and whether it has blanks) from all its rows, so held-out
        rows encode too; `counts` from the rows `train` (all when None). `spelling`
        ({False: "no", True: "yes"}) says how the file wrote the values pandas read as booleans."""
        import pandas as pd

        if pd.api.types.is_bool_dtype(column) or (column.dtype == object and self._bool_objects(column)):
            spelling = spelling or {False: "False", True: "True"}
            seen = {bool(v) for v in column.dropna()}
            self.truth = [v for v in (False, True) if v in seen]
            self.categories = [spelling[v] for v in self.truth]
            self.value_type = "boolean"
        elif pd.api.types.is_numeric_dtype(column) or self._all_numeric(column):
            nums = self.codes_numeric(column)
            uniq = np.unique(nums[~np.isnan(nums)])
            self.values = uniq.tolist()
            whole = _whole(uniq)
            d = 0 if whole else decimals(uniq)
            self.categories = [f"{v:.{d}f}" if d >= 0 else repr(float(v)) for v in uniq]
            self.value_type = "integer" if whole else "float"
            if self.type == "boolean":
                self.truth = [bool(v) for v in uniq]
                self.value_type = "boolean"
        else:
            texts = column.dropna().astype(str).str.strip()
            texts = texts[texts != ""]
            if self.type == "boolean":
                # spelled as the data spells it (the most common spelling of each), true listed second
                lower = texts.str.lower()
                spell = {k: texts[lower == k].value_counts().index[0] for k in lower.unique()}
                pair = next(p for p in BOOLEAN_PAIRS if set(spell) <= set(p))
                self.categories = [spell[k] for k in (pair[1], pair[0]) if k in spell]
                self.truth = [k == pair[0] for k in (pair[1], pair[0]) if k in spell]
                self.value_type = "boolean"
            else:
                self.categories = sorted(texts.unique().tolist())
        codes = self.codes(column, "the training data")
        self.blank = bool(np.isnan(codes).any())
        k = len(self.categories)
        if train is not None:
            codes = codes[train]
        idx = np.where(np.isnan(codes), k, codes).astype(np.int64)
        self.counts = np.bincount(idx, minlength=k + 1)[: k + self.blank].tolist()
        return self

    @staticmethod
    def _bool_objects(column) -> bool:
        vals = column.dropna()
        return len(vals) > 0 and all(isinstance(v, (bool, np.bool_)) for v in vals)

    @staticmethod
    def _all_numeric(column) -> bool:
        import pandas as pd

        t = column.dropna().astype(str).str.strip()
        t = t[t != ""]
        return len(t) > 0 and bool(pd.to_numeric(t, errors="coerce").notna().all())

    def codes_numeric(self, column) -> np.ndarray:
        import pandas as pd

        if column.dtype == object:
            column = pd.to_numeric(column.astype(str).str.strip().replace("", np.nan), errors="coerce")
        return column.to_numpy(dtype=np.float64)

    @property
    def spans(self) -> list[tuple[int, str]]:
        return [(len(self.categories) + self.blank, "softmax")]

    @property
    def width(self) -> int:
        return len(self.categories) + self.blank

    def codes(self, column, source: str) -> np.ndarray:
        """Category indices of a column's cells (NaN blank); a value not among the categories is an error."""
        import pandas as pd

        out = np.full(len(column), np.nan)
        present = column.notna().to_numpy()
        if self.value_type == "boolean" and self.truth and not self.values and (
                pd.api.types.is_bool_dtype(column) or self._bool_objects(column)):
            lookup = {t: i for i, t in enumerate(self.truth)}
            keys = [bool(v) for v in column[present]]
        elif self.values:
            nums = self.codes_numeric(column)
            present = ~np.isnan(nums)
            lookup = {v: i for i, v in enumerate(self.values)}
            keys = nums[present].tolist()
        else:
            texts = column.astype(str).str.strip()
            present = present & (texts != "").to_numpy()
            if self.type == "boolean":
                lookup = {c.lower(): i for i, c in enumerate(self.categories)}
                keys = texts[present].str.lower().tolist()
            else:
                lookup = {c: i for i, c in enumerate(self.categories)}
                keys = texts[present].tolist()
        idx = [lookup.get(k, -1) for k in keys]
        if -1 in idx:
            bad = keys[idx.index(-1)]
            shown = ", ".join(self.categories[:20]) + (", ..." if len(self.categories) > 20 else "")
            raise GankitError(f"{source} column {self.name!r} holds {bad!r}, which the run was not trained on "
                              f"(its values: {shown}); restore the data the run was trained on, or train a new run on it")
        out[present] = idx
        return out

    def encode(self, codes: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        out = np.zeros((len(codes), self.width), dtype=np.float32)
        k = len(self.categories)
        idx = np.where(np.isnan(codes), k, codes).astype(np.int64)
        if not self.blank and (idx == k).any():
            raise GankitError(f"column {self.name!r} has blanks, which the run never saw in training")
        out[np.arange(len(codes)), idx] = 1.0
        return out

    def decode(self, block: torch.Tensor) -> torch.Tensor:
        k = block.argmax(1).double()
        return torch.where(k == len(self.categories), torch.full_like(k, float("nan")), k)

    def state(self) -> dict:
        return asdict(self)


def column_from_state(d: dict) -> Numeric | Discrete:
    cls = Numeric if d["type"] in ("continuous", "integer") else Discrete
    return cls(**d)


def spell(value: float, col: Numeric) -> str:
    """How a number is written in a .csv: whole for integers, with the data's decimals otherwise."""
    if math.isnan(value):
        return ""
    if col.type == "integer":
        return str(int(round(value)))
    return f"{value:.{col.decimals}f}" if col.decimals >= 0 else repr(float(value))
