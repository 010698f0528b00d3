"""Step-wise training: ``Trainer.steps()`` yields after every mini-batch update.

The generator is the only training loop in the project: the CLI drains it, the app
advances it a few steps per frame. Everything a consumer may change between two steps
(learning rate, batch size, l1, l2) is read from ``trainer.config`` at each step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import losses, optimizers
from .history import History
from .network import Network
from .specs import TrainConfig


@dataclass(slots=True)
class Step:
    epoch: int  # 0-based epoch this mini-batch belongs to
    step: int  # updates done so far, this one included (1-based)
    loss: float  # batch loss (regularisation included) before this update
    epoch_end: bool  # this update finished an epoch (trainer.history has grown)


class TrainingDiverged(ArithmeticError):
    """The loss of a step was not sane: nan, infinite, or past ``Trainer.loss_bound()``.

    ``step`` is that step (1-based; its update was not made). The trainer then holds the
    last sane state it has: the network's parameters and the optimizer's buffers as they
    were when step ``kept_step``'s loss was computed (before that step's update), the step
    before ``step``. The counters (``step_count``, ``epoch``, the shuffle position) and the
    history are not rolled back: they still count ``kept_step``, whose update is undone.
    ``kept_step`` is None when there was nothing sane to go back to (the first step of a
    fresh or just-resumed trainer diverged): then the network is as it was.
    """

    def __init__(self, message: str, *, step: int, epoch: int, layer: int | None,
                 kept_step: int | None = None):
        super().__init__(message)
        self.step = step
        self.epoch = epoch
        self.layer = layer
        self.kept_step = kept_step


# A loss is taken as diverged when it is not below
#   min(LOSS_GROWTH × reference, LOSS_CEILING)
# reference: the largest of the first step's loss, the saved history's first epoch's train
# loss (a resumed run) and the mean squared target (the loss of predicting zeros, so a
# near-perfect warm start does not make the bound tiny). LOSS_CEILING: a loss past it would
# overflow float64 once squared. See Trainer.loss_bound().
LOSS_GROWTH = 1e6
LOSS_CEILING = 1e150


_count_nonzero = getattr(np.count_nonzero, "_implementation", np.count_nonzero)


class Trainer:
    # A classifier's output pre-activations of the current epoch, in epoch order (made by
    # steps()), with buffers to count the right ones once per epoch; ``_counted`` samples of
    # the epoch are already in ``_run_correct``.
    _logits: np.ndarray | None = None
    _counted = 0

    def __init__(self, network: Network, X, y, config: TrainConfig | None = None,
                 X_test=None, y_test=None):
        self.network = network
        self.config = (config or TrainConfig()).validate()
        if self.config.loss == "auto":  # the loss that pairs with the output: delta = P - Y
            self.config.loss = losses.DEFAULT_LOSS[network.output_activation]
        losses.check_pair(self.config.loss, network.output_activation)
        self.task = "classification" if network.is_classifier else "regression"
        self.X = network.augment(X)
        self.y = np.asarray(y)
        self.T = losses.as_targets(self.y, self.config.loss, network.n_outputs, network.dtype)
        if len(self.T) != len(self.X):
            raise ValueError(f"X has {len(self.X)} samples but y has {len(self.T)}")
        if len(self.X) == 0:
            raise ValueError("the training set is empty")
        self.labels, self._sst = self._truth(self.y, self.T)
        self.has_test = X_test is not None and len(X_test) > 0
        if self.has_test:
            self.X_test = network.augment(X_test)
            self.y_test = np.asarray(y_test)
            self.T_test = losses.as_targets(self.y_test, self.config.loss, network.n_outputs,
                                            network.dtype)
            self._labels_test, self._sst_test = self._truth(self.y_test, self.T_test)
        self.optimizer = optimizers.make(
            self.config.optimizer, [network.flat_params], self.config.learning_rate
        )
        self.history = History(metric_name="accuracy" if network.is_classifier else "r2")
        self.epoch = 0  # completed epochs
        self.position = 0  # samples of the current epoch already used
        self.step_count = 0
        self.stopped_early = False
        self._best_loss = math.inf
        self._bad_epochs = 0
        self._shuffled: tuple | None = None
        self._run_loss = 0.0  # this epoch so far: Σ batch loss × batch size
        self._run_correct = 0  # … samples classified right
        self._run_sse = 0.0  # … squared error (regression)
        # The last sane state (see TrainingDiverged): parameters and optimizer buffers as
        # they were when the last step whose loss was sane computed it.
        self._backup = np.empty_like(network.flat_params)
        self._optimizer_backup: list[tuple[np.ndarray, np.ndarray]] = []
        self._backup_t = 0  # optimizer.t then
        self._backup_step: int | None = None  # that step; None: no backup yet
        self._watch_optimizer()
        self._loss_bound = -math.inf  # set at the first step (see loss_bound)
        self._loss_reference = math.nan

    # --- live settings ------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        c = self.config
        if c.lr_schedule == "step":
            return c.learning_rate * c.lr_decay ** (self.epoch // c.lr_step_epochs)
        if c.lr_schedule == "exponential":
            return c.learning_rate * c.lr_decay**self.epoch
        return c.learning_rate

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer (its state starts fresh); the network is untouched."""
        self.optimizer = optimizers.make(
            name, [self.network.flat_params], self.current_learning_rate()
        )
        self.config.optimizer = name
        self._watch_optimizer()

    def _watch_optimizer(self) -> None:
        """Pair each optimizer buffer with a backup, filled from its current (fresh) state:
        a divergence at the first step after a switch goes back to that state. (The
        optimizers update their buffers in place, so the pairs stay right.)"""
        self._optimizer_backup = [(live, live.copy())
                                  for arrays in self.optimizer._buffers().values()
                                  for live in arrays]
        self._backup_t = self.optimizer.t

    # --- the loop -----------------------------------------------------------------------
    def _epoch_data(self):
        """This epoch's shuffled copy of the training set, seeded by (seed, epoch).

        One gather per epoch; each mini-batch is then a slice (a view), not a gather.
        """
        if self._shuffled is None:
            order = np.random.default_rng([self.config.seed, self.epoch]).permutation(len(self.X))
            # take(order, 0): the same rows as X[order], 3x faster than fancy indexing
            self._shuffled = (self.X.take(order, 0), self.T.take(order, 0),
                              self.labels.take(order, 0))
        return self._shuffled

    def _next_batch(self):
        n = len(self.X)
        size = self.config.batch_size
        if size >= n and self.position == 0:
            # Full batch: order does not change the gradient, skip the shuffle.
            return self.X, self.T, self.labels
        X, T, labels = self._epoch_data()
        batch = slice(self.position, self.position + size)
        return X[batch], T[batch], labels[batch]

    def steps(self):
        """Yield a ``Step`` after each mini-batch update, until ``config.epochs`` is reached."""
        net, cfg = self.network, self.config
        flat, backup = net.flat_params, self._backup
        classifier = net.is_classifier
        n, grads, onehot = len(self.X), [net.flat_grads], losses.is_onehot(self.T)
        plan, plan_size = None, 0
        logits = self._epoch_logits() if classifier else None
        while cfg.epochs is None or self.epoch < cfg.epochs:
            if self.stopped_early:
                return
            start = self.position
            Xb, Tb, _ = self._next_batch()  # labels are counted per epoch (_count_correct)
            used = len(Xb)
            if used != plan_size:
                plan, plan_size = net.plan(used, cfg.loss, onehot), used
            lr = (cfg.learning_rate if cfg.lr_schedule == "constant"
                  else self.current_learning_rate())
            optimizer = self.optimizer
            optimizer.lr = lr
            # a classifier's logits go to an epoch-long buffer: accuracy is counted per epoch
            if not classifier:
                Z = plan.z_out
            else:
                Z = logits if used == n else logits[start:start + used]
            l1, l2 = cfg.l1, cfg.l2
            data_loss = plan(Xb, Tb, Z, l1, l2)
            loss = data_loss + net.penalty(l1, l2) if l1 or l2 else data_loss
            if not loss < self._loss_bound:  # nan too; the first step sets the bound
                self._check_loss(loss)
            # The loss is sane: keep these parameters and optimizer buffers (before the
            # update) as the state a divergence at a later step goes back to.
            np.copyto(backup, flat)
            for live, kept in self._optimizer_backup:
                np.copyto(kept, live)
            self._backup_t, self._backup_step = optimizer.t, self.step_count + 1
            self._run_loss += loss * used
            if not classifier:  # mse is the mean over the batch's elements: back to a sum
                self._run_sse += data_loss * Tb.size
            optimizer.step(grads)
            self.step_count += 1
            self.position = start + used
            epoch_end = self.position >= n
            step = Step(self.epoch, self.step_count, loss, epoch_end)
            if epoch_end:
                if classifier:
                    self._count_correct()
                self._finish_epoch()
            yield step

    def _epoch_logits(self) -> np.ndarray:
        """The buffer the output pre-activations of an epoch's batches go to, in epoch order."""
        if self._logits is None:
            n, net = len(self.X), self.network
            self._logits = np.empty((n, net.n_outputs), net.dtype)
            self._predicted = np.empty(n, np.intp)
            self._right = np.empty(n, np.bool_)
            self._counted = self.position  # samples before it are in _run_correct already
        return self._logits

    def _count_correct(self) -> None:
        """Add the epoch's samples classified right since the last count to _run_correct."""
        start, stop, Z = self._counted, self.position, self._logits
        if stop > start and Z is not None:
            # the epoch's order: shuffled, unless it was one full batch in data order
            labels = self.labels if self._shuffled is None else self._shuffled[2]
            predicted, right = self._predicted, self._right
            if start or stop < len(Z):
                Z, labels = Z[start:stop], labels[start:stop]
                predicted, right = predicted[start:stop], right[start:stop]
            if Z.shape[1] > 1:
                Z.argmax(1, predicted)
            else:
                predicted = self.network.labels_from_logits(Z)
            np.equal(predicted, labels, right)
            self._run_correct += int(_count_nonzero(right))
        self._counted = 0 if stop >= len(self.X) else stop

    def _finish_epoch(self) -> None:
        lr = self.current_learning_rate()
        self.epoch += 1
        self.position = 0
        self._shuffled = None
        n = len(self.X)
        if self.network.is_classifier:
            train_metric = self._run_correct / n
        else:
            train_metric = 1.0 - self._run_sse / self._sst if self._sst > 0 else math.nan
        scores = {"train_loss": self._run_loss / n, "train_metric": train_metric,
                  "test_loss": math.nan, "test_metric": math.nan}
        self._run_loss, self._run_correct, self._run_sse = 0.0, 0, 0.0
        if self.has_test:
            scores["test_loss"], scores["test_metric"] = self._score(
                self.X_test, self.T_test, self._labels_test, self._sst_test)
        self.history.append(epoch=self.epoch, learning_rate=lr, **scores)
        self._check_early_stopping(scores)

    def _check_early_stopping(self, scores) -> None:
        patience = self.config.early_stopping_patience
        if patience is None:
            return
        monitor = self.config.early_stopping_monitor
        value = scores["test_loss"] if monitor == "test" and self.has_test else scores["train_loss"]
        # an improvement must be worth the name: 0.01% below the best so far
        if value < self._best_loss - 1e-4 * abs(self._best_loss):
            self._best_loss, self._bad_epochs = value, 0
        else:
            self._bad_epochs += 1
            if self._bad_epochs >= patience:
                self.stopped_early = True

    def loss_bound(self) -> float:
        """The loss a step must stay below (see LOSS_GROWTH): nan until the first step."""
        return self._loss_bound if self._loss_bound > -math.inf else math.nan

    def _check_loss(self, loss) -> None:
        """The cold path of the loss check: set the bound at the first step, else (or if
        the first loss is already past the ceiling or non-finite) TrainingDiverged."""
        if self._loss_bound == -math.inf and math.isfinite(loss):
            history = self.history.train_loss
            first_epoch = float(history[0]) if len(history) and history[0] > 0 else 0.0
            targets = float(np.vdot(self.T, self.T)) / self.T.size
            reference = max(float(loss), first_epoch, targets)
            self._loss_bound = min(LOSS_GROWTH * reference, LOSS_CEILING)
            self._loss_reference = reference
            if loss < self._loss_bound:
                return
        self._diverged(loss)

    def _diverged(self, loss) -> None:
        """Go back to the last sane state (see TrainingDiverged) and raise TrainingDiverged."""
        net = self.network
        bad_layer = next((i for i, p in enumerate(net.params) if not np.isfinite(p).all()), None)
        if math.isfinite(loss):
            if loss >= LOSS_CEILING or self._loss_bound == LOSS_CEILING:
                cause = f"past {_short(LOSS_CEILING)} (it would overflow once squared)"
            else:
                cause = (f"over {_short(LOSS_GROWTH)} × the starting loss "
                         f"({_short(self._loss_reference)})")
            cause = f"loss is {_short(loss)}, {cause}"
        else:
            where = f"layer {bad_layer + 1}'s parameters" if bad_layer is not None else "the loss"
            if bad_layer is None:
                bad_layer = self._first_nonfinite_layer()
                if bad_layer is not None:
                    where = f"layer {bad_layer + 1}'s output"
            cause = f"loss is {loss} — {where} went non-finite"
        kept = self._backup_step if self._backup_step == self.step_count else None
        if kept is not None:
            np.copyto(net.flat_params, self._backup)
            for live, saved in self._optimizer_backup:
                np.copyto(live, saved)
            self.optimizer.t = self._backup_t
        raise TrainingDiverged(
            f"training diverged at step {self.step_count + 1} (epoch {self.epoch + 1}): "
            f"{cause}; try a lower learning rate",
            step=self.step_count + 1,
            epoch=self.epoch,
            layer=bad_layer,
            kept_step=kept,
        )

    def _first_nonfinite_layer(self) -> int | None:
        ws = self.network.workspace(len(self.X))
        with np.errstate(all="ignore"):
            self.network.forward_augmented(self.X, ws)
        for i, z in enumerate(ws.z):
            if not np.isfinite(z).all():
                return i
        return None

    # --- evaluation ---------------------------------------------------------------------
    def _truth(self, y, T) -> tuple[np.ndarray, float]:
        """What predictions are scored against, computed once per data set: the class labels
        (zeros for regression, so one code path) and the total sum of squares for R² (nan for
        classification)."""
        if self.network.is_classifier:
            return (y.astype(np.intp) if y.ndim == 1 else y.argmax(axis=1)), math.nan
        centred = T - T.mean(axis=0)
        return np.zeros(len(T), dtype=np.intp), float(np.vdot(centred, centred))

    def _score(self, Xa, T, labels, sst):
        net = self.network
        ws = net.workspace(len(Xa))
        with np.errstate(over="ignore"):
            Z = net.forward_augmented(Xa, ws)
            loss = net.head(self.config.loss)(Z, T, ws.out, None, ws)
        loss += net.penalty(self.config.l1, self.config.l2)
        P = ws.out
        if net.is_classifier:
            metric = float(np.mean(net.labels_from_output(P) == labels))
        else:
            resid = T - P
            metric = 1.0 - float(np.vdot(resid, resid)) / sst if sst > 0 else math.nan
        return float(loss), metric

    def evaluate(self) -> dict:
        """Loss (regularisation included) and accuracy or R² on the train and test sets."""
        train_loss, train_metric = self._score(self.X, self.T, self.labels, self._sst)
        test_loss = test_metric = math.nan
        if self.has_test:
            test_loss, test_metric = self._score(self.X_test, self.T_test, self._labels_test,
                                                 self._sst_test)
        return {"train_loss": train_loss, "test_loss": test_loss,
                "train_metric": train_metric, "test_metric": test_metric}

    # --- save / resume ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything needed to continue this run bit for bit (with the network's params)."""
        self._count_correct()
        state = {
            "epoch": self.epoch,
            "position": self.position,
            "step_count": self.step_count,
            "stopped_early": int(self.stopped_early),
            "best_loss": self._best_loss,
            "bad_epochs": self._bad_epochs,
            "run_loss": self._run_loss,
            "run_correct": self._run_correct,
            "run_sse": self._run_sse,
            "optimizer": self.optimizer.name,
        }
        state.update({f"optimizer.{k}": v for k, v in self.optimizer.state_dict().items()})
        return state

    def load_state_dict(self, state) -> None:
        if str(state.get("optimizer", self.optimizer.name)) != self.optimizer.name:
            raise ValueError(
                f"optimizer state is for {state['optimizer']!r}, trainer uses "
                f"{self.optimizer.name!r}"
            )
        self.optimizer.load_state_dict(
            {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith("optimizer.")}
        )
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self.step_count = int(state["step_count"])
        self.stopped_early = bool(int(state.get("stopped_early", 0)))
        self._best_loss = float(state.get("best_loss", math.inf))
        self._bad_epochs = int(state.get("bad_epochs", 0))
        self._run_loss = float(state.get("run_loss", 0.0))
        self._run_correct = int(state.get("run_correct", 0))
        self._counted = self.position
        self._run_sse = float(state.get("run_sse", 0.0))
        self._shuffled = None
        self._backup_step = None  # the backup is of the state before this one
        self._backup_t = self.optimizer.t
        self._loss_bound = -math.inf  # set again at the next step, with the loaded history


def _short(value: float) -> str:
    """A number in a message: at most 4 significant digits; 1e6, not 1e+06."""
    return f"{value:.4g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
