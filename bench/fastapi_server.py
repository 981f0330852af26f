"""The baseline of bench/serve.mjs: the v2 infer endpoint as a Python team would usually write
it, with FastAPI + pydantic on uvicorn and onnxruntime. JSON in, one session.run, JSON out.

    MODEL_PATH=model.onnx MODEL_NAME=churn uvicorn fastapi_server:app --host 127.0.0.1 --port 8081 \
        --workers 1 --no-access-log

Environment: MODEL_PATH (required), MODEL_NAME (default: the file's stem), ORT_THREADS
(onnxruntime intra-op threads; default: onnxruntime's own default), HANDLER (async | sync).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

MODEL_PATH = os.environ["MODEL_PATH"]
MODEL_NAME = os.environ.get("MODEL_NAME") or Path(MODEL_PATH).stem

DTYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}
V2_TYPES = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(int64)": "INT64", "tensor(int32)": "INT32", "tensor(bool)": "BOOL"}
V2_OF_NUMPY = {np.dtype(v): k for k, v in DTYPES.items()}

options = ort.SessionOptions()
if os.environ.get("ORT_THREADS"):
    options.intra_op_num_threads = int(os.environ["ORT_THREADS"])
session = ort.InferenceSession(MODEL_PATH, options, providers=["CPUExecutionProvider"])
INPUTS = {i.name: i for i in session.get_inputs()}
OUTPUTS = [o.name for o in session.get_outputs()]


class InferInput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class RequestedOutput(BaseModel):
    name: str


class InferRequest(BaseModel):
    id: str | None = None
    inputs: list[InferInput]
    outputs: list[RequestedOutput] | None = None


class OutputTensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferResponse(BaseModel):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[OutputTensor]


app = FastAPI(title="onnx v2 baseline")


@app.get("/v2/health/ready")
def ready() -> dict:
    return {"ready": True}


@app.get("/v2/models/{name}")
def metadata(name: str) -> dict:
    if name != MODEL_NAME:
        raise HTTPException(404, f"no model {name!r}")
    tensor = lambda t: {"name": t.name, "datatype": V2_TYPES.get(t.type, t.type), "shape": [d if isinstance(d, int) else -1 for d in t.shape]}
    return {"name": MODEL_NAME, "versions": ["1"], "platform": "onnxruntime_onnx",
            "inputs": [tensor(t) for t in session.get_inputs()], "outputs": [tensor(t) for t in session.get_outputs()]}


def run_inference(name: str, request: InferRequest) -> InferResponse:
    if name != MODEL_NAME:
        raise HTTPException(404, f"no model {name!r}")
    feeds = {}
    for tensor in request.inputs:
        if tensor.name not in INPUTS:
            raise HTTPException(400, f"unknown input {tensor.name!r}")
        if tensor.datatype not in DTYPES:
            raise HTTPException(400, f"unsupported datatype {tensor.datatype}")
        try:
            # null means a missing value: NaN, which the model's imputer replaces
            data = [np.nan if v is None else v for v in tensor.data]
            feeds[tensor.name] = np.asarray(data, dtype=DTYPES[tensor.datatype]).reshape(tensor.shape)
        except (ValueError, TypeError) as e:
            raise HTTPException(400, f"input {tensor.name!r}: {e}")
    missing = set(INPUTS) - set(feeds)
    if missing:
        raise HTTPException(400, f"missing inputs {sorted(missing)}")
    names = [o.name for o in request.outputs] if request.outputs else OUTPUTS
    results = session.run(names, feeds)
    return InferResponse(
        model_name=MODEL_NAME, model_version="1", id=request.id,
        outputs=[OutputTensor(name=n, shape=list(r.shape), datatype=V2_OF_NUMPY[r.dtype], data=r.ravel().tolist())
                 for n, r in zip(names, results)],
    )


# HANDLER=async (default): the model runs on the event loop, as most services built this way do
# (the model is small and fast). HANDLER=sync: a plain `def` endpoint that FastAPI runs in its
# thread pool, as its documentation suggests for blocking calls.
if os.environ.get("HANDLER", "async") == "sync":
    @app.post("/v2/models/{name}/infer", response_model=InferResponse)
    def infer(name: str, request: InferRequest) -> InferResponse:
        return run_inference(name, request)
else:
    @app.post("/v2/models/{name}/infer", response_model=InferResponse)
    async def infer(name: str, request: InferRequest) -> InferResponse:
        return run_inference(name, request)
