"""One inference thread per served model: concurrent predicts are micro-batched into one forward pass.

Every request that touches the model (predict, maps, a pixel explained, the
lens playground) becomes a job on one queue, run by one thread that alone
calls the model: requests queue instead of multiplying memory, and no lock is
held across the event loop. Predict jobs waiting together run as one batch:
with 8 clients, 8 drawings cost one forward pass of 8 images instead of 8
passes of one (mnist-convnet on one thread of the 2-core CPU, fastest of 150
calls: 1.3 ms for the batch against 8 × 0.35 ms).

The inference thread computes with one OpenMP thread, and only it: on the
2-core CPU shared with other jobs, one drawing's forward pass took 1.0 ms
(median) on one thread and 39 ms on two, where every parallel region waits
for its second thread to get a core. torch's thread count is an OpenMP setting of each thread, so the
process's own setting (the user's training in the same process) stays as it
was.

Example:
    >>> import asyncio, numpy as np
    >>> from convlens import zoo
    >>> worker = Inference(zoo.create("mnist-convnet"))
    >>> asyncio.run(worker.predict(np.zeros((28, 28, 1), np.float32))).shape
    (10,)
    >>> worker.close()
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

import numpy as np

MAX_BATCH = 32  # predict jobs joined into one forward pass; more wait for the next one


class Inference:
    """The thread that runs every model call of the web lens, in arrival order.

    Args:
        model: the served model (one image input).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def predict(self, image: np.ndarray) -> np.ndarray:
        """Class probabilities ``(K,)`` for one ``(H, W, C)`` image, batched with the predicts waiting beside it."""
        return await self._submit(("predict", image))

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(model, *args)`` on the inference thread, alone."""
        return await self._submit(("call", (fn, args)))

    def close(self) -> None:
        """End the thread once the jobs already queued are done."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(5)
            self._thread = None

    async def _submit(self, job: tuple[str, Any]) -> Any:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="convlens-inference", daemon=True)
                self._thread.start()
        done: Future = Future()
        self._jobs.put((*job, done))
        return await asyncio.wrap_future(done)

    def _loop(self) -> None:
        _compute_on_one_thread()
        waiting = None
        while True:
            job = waiting if waiting is not None else self._jobs.get()
            waiting = None
            if job is None:
                return
            if job[0] == "call":
                (fn, args), done = job[1], job[2]
                _settle(done, lambda: fn(self.model, *args))
                continue
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None or more[0] != "predict" or more[1].shape != job[1].shape:
                    waiting = more  # runs next, after this batch
                    break
                batch.append(more)
            self._predict_batch(batch)

    def _predict_batch(self, batch: list[tuple]) -> None:
        from ..lens.scores import predict_proba

        try:
            probabilities = predict_proba(self.model, np.stack([image for _, image, _ in batch]))
        except Exception as exc:  # every waiting request gets the error, none is left hanging
            for _, _, done in batch:
                done.set_exception(exc)
            return
        for row, (_, _, done) in zip(probabilities, batch):
            done.set_result(row)


def _compute_on_one_thread() -> None:
    """Make torch compute on one OpenMP thread in the calling thread only, leaving every other thread's count.

    ``torch.set_num_threads`` sets the calling thread's OpenMP thread count
    and torch's default, which each thread reads at its first operation. So:
    take this thread's first reading, set 1 here, then give the default back
    from a helper thread, which changes that helper's count and not this one's.
    """
    import torch

    previous = torch.get_num_threads()  # this thread's first reading: from now on its count is its own
    torch.set_num_threads(1)
    restore = threading.Thread(target=torch.set_num_threads, args=(previous,), name="convlens-threads")
    restore.start()
    restore.join()


def _settle(done: Future, fn: Callable[[], Any]) -> None:
    try:
        done.set_result(fn())
    except Exception as exc:
        done.set_exception(exc)
