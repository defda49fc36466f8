"""The web lens's Starlette application: the page, the JSON API and the live-training event stream.

Contract (for scripts and tests):

- ``GET /api/model`` → ``{"layers": [{"name", "class_name", "output_shape"}, ...], "class_names", ...}``
- ``POST /api/predict`` (raw PNG/JPEG bytes; ``?draw=1`` for a canvas drawing)
  → ``{"probabilities", "top", "class_names", "input"}``
- ``POST /api/explain?layer=NAME&map=K&y=I&x=J`` (same bytes) → ``window``,
  ``kernel``, ``products``, ``sum``, ``bias``, ``value`` (see :mod:`.pixel`)
  (for a Dense or Softmax layer, unit ``map``; with softmax, ``softmax``: every
  unit's logit, ``exp`` and probability)
- ``POST /api/maps`` (same bytes) → every feature-map layer's first maps
- ``POST /api/lenses?size=S&sigma=G`` (same bytes) → the classic filters of
  the input beside the first conv layer's filters, maps and nearest classic
  kernels (see :mod:`.lenses`)
- ``GET /api/samples?start=I&count=N`` → test-set samples (PNG data URLs and
  labels; see :mod:`.samples`), 404 with the reason when there are none
- ``GET /api/events`` → server-sent events of a run's training (``live/events.jsonl``)

The model and run folder are fixed when the app is made: no request names a
path. Every model call runs on one inference thread (:mod:`.inference`), so
concurrent requests queue instead of multiplying memory, and concurrent
predicts share one forward pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .images import ImageError, model_image
from .inference import Inference
from .live import read_events
from .samples import NoSamples, Samples

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD = 10 * 1024 * 1024  # bytes; a larger body is answered 413
MAPS_PER_LAYER = 16
POLL_SECONDS = 0.2  # how often the event stream looks for new lines in the run's event file


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def create_app(model: Any = None, class_names: list[str] | None = None, *, run_dir: str | Path | None = None,
               hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
               samples_dir: str | Path | None = None) -> Starlette:
    """The application serving ``model`` (may be None for a run whose model is not saved yet) and ``run_dir``'s live view.

    Args:
        model: a built convlens model with one image input, or None.
        class_names: labels of the output units (default "0", "1", ...).
        run_dir: a run folder whose ``live/`` events are streamed, or None.
        hosts: the ``Host`` header values accepted (the DNS-rebinding guard).
        samples_dir: the run folder whose ``run.json`` names the test set
            (default ``run_dir``).

    Example:
        >>> from convlens import zoo
        >>> app = create_app(zoo.create("mnist-convnet"))  # then: uvicorn.run(app, host="127.0.0.1")
    """
    run_dir = Path(run_dir) if run_dir is not None else None
    if model is not None and class_names is None:
        class_names = [str(i) for i in range(int(model.output_shape[-1]))]
    worker = Inference(model) if model is not None else None
    samples = Samples(model, Path(samples_dir) if samples_dir is not None else run_dir, class_names) \
        if model is not None else None

    def need_model() -> Any:
        if model is None:
            raise _BadRequest("no model is loaded yet (the run is still training); the live view is at /.", 409)
        return model

    async def body_image(request: Request) -> np.ndarray:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD:
            raise _BadRequest(f"the upload has {int(declared):,} bytes; at most {MAX_UPLOAD:,} are accepted.", 413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise _BadRequest(f"the upload exceeds {MAX_UPLOAD:,} bytes.", 413)
            chunks.append(chunk)
        if not size:
            raise _BadRequest("the request body is empty; send the raw bytes of a PNG or JPEG image.", 415)
        drawing = request.query_params.get("draw", "0") in ("1", "true")
        try:
            return model_image(b"".join(chunks), tuple(need_model().input_shape), drawing)
        except ImageError as exc:
            raise _BadRequest(str(exc), exc.status) from None

    async def on_model(fn, *args):
        need_model()
        try:
            return await worker.run(fn, *args)
        except ValueError as exc:  # bad indices, layer names, parameters: the message says what is allowed
            raise _BadRequest(str(exc)) from None

    async def model_info(_request: Request) -> Response:
        info: dict[str, Any] = {"live": run_dir is not None and (run_dir / "live").is_dir()}
        if model is None:
            return JSONResponse({**info, "layers": [], "class_names": [], "input_shape": None, "formulas": []})
        from ..lens.explain import explain_rows

        shapes = model.layer_output_shapes
        info.update(
            layers=[{"name": layer.name, "class_name": type(layer).__name__, "output_shape": list(shape)}
                    for layer, shape in zip(model.layers, shapes)],
            class_names=class_names, input_shape=list(model.input_shape),
            drawing=tuple(model.input_shape[1:]) == (28, 28, 1),
            formulas=[_row_json(row) for row in explain_rows(model)])
        return JSONResponse(info)

    async def predict(request: Request) -> Response:
        image = await body_image(request)
        probabilities = await worker.predict(image)
        answer = {"probabilities": probabilities.tolist(), "top": int(np.argmax(probabilities)),
                  "class_names": class_names}
        if request.query_params.get("input", "0") in ("1", "true"):  # the page's preview of what the model sees
            answer["input"] = np.round(image[..., 0] if image.shape[-1] == 1 else image, 2).tolist()
        return JSONResponse(answer)

    async def explain(request: Request) -> Response:
        from .pixel import explain_pixel

        query = request.query_params
        layer = query.get("layer", "")
        indices = [_int_param(query, name, 0 if name != "map" else None) for name in ("map", "y", "x")]
        image = await body_image(request)
        return JSONResponse(await on_model(explain_pixel, image, layer, *indices))

    async def maps(request: Request) -> Response:
        image = await body_image(request)
        return JSONResponse(await on_model(_maps, image))

    async def lenses(request: Request) -> Response:
        from .lenses import lens_parameters, lens_playground

        try:  # checked before the upload is read: a bad parameter costs no decoding
            size, sigma = lens_parameters(request.query_params.get("size", "3"), request.query_params.get("sigma", "2"))
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        image = await body_image(request)
        return JSONResponse(await on_model(lens_playground, image, size, sigma))

    async def test_samples(request: Request) -> Response:
        need_model()
        start = _int_param(request.query_params, "start", 0)
        count = _int_param(request.query_params, "count", 12)
        try:
            return JSONResponse(await run_in_threadpool(samples.page, start, count))
        except NoSamples as exc:
            raise _BadRequest(str(exc), 404) from None
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None

    async def events(request: Request) -> Response:
        if run_dir is None:
            raise _BadRequest("this server shows no training run; start it with `convlens serve RUN`.", 404)
        start = _int_param(request.query_params, "from", int(request.headers.get("last-event-id", "-1")) + 1)

        async def stream():
            position = start
            while not await request.is_disconnected():
                lines = read_events(run_dir, position)
                for line in lines:
                    yield f"id: {position}\ndata: {line}\n\n"
                    position += 1
                if not lines:
                    yield ": waiting\n\n"  # a comment line keeps proxies open and notices a gone client
                    await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def page(_request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def refuse(_request: Request, exc: _BadRequest) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    routes = [
        Route("/", page),
        Route("/api/model", model_info),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/api/explain", explain, methods=["POST"]),
        Route("/api/maps", maps, methods=["POST"]),
        Route("/api/lenses", lenses, methods=["POST"]),
        Route("/api/samples", test_samples),
        Route("/api/events", events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        yield
        if worker is not None:  # the inference thread ends with the server
            worker.close()

    return Starlette(routes=routes, exception_handlers={_BadRequest: refuse}, lifespan=lifespan,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))])


def _int_param(query: Any, name: str, default: int | None = None) -> int:
    raw = query.get(name)
    if raw is None and default is not None:
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise _BadRequest(f"{name}: expected an integer query parameter; received {raw!r}.") from None


def _maps(model: Any, image: np.ndarray) -> dict:
    from ..lens import activations, map_layers

    chosen = map_layers(model)
    outputs = activations(model, image, [layer.name for layer in chosen])
    return {"layers": [{"name": name, "maps": np.round(np.moveaxis(out[..., :MAPS_PER_LAYER], -1, 0), 4).tolist(),
                        "count": int(out.shape[-1])} for name, out in outputs.items()]}


def _row_json(row: Any) -> dict:
    formulas = [*row.output_formulas, *row.padding_formulas, row.params_formula, row.mult_adds_formula]
    return {"name": row.name, "class_name": row.class_name, "note": row.note,
            "formulas": [formula.text for formula in formulas if formula is not None]}
