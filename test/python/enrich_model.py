"""A small ONNX model with several named inputs, for the serving-enrich tests.

    python enrich_model.py OUT.onnx

Inputs (dynamic batch n):
  sessions_7d                    FP32  [n]      a feature of the online store, by its name
  tickets_30d                    INT64 [n, 1]   a feature, as a column; integer: cannot be missing
  customer_profile__monthly_fee  FP64  [n]      a feature, by <view>__<feature>
  bonus                          FP32  [n]      not a feature: the client sends it
Outputs:
  score    FP32 [n]   sessions_7d + 10 * tickets_30d + monthly_fee + bonus (NaN in, NaN out)
  tickets  INT64 [n]  tickets_30d as it reached the model
"""
from __future__ import annotations

import sys

import onnx
from onnx import TensorProto, helper


def main() -> None:
    n = "n"
    inputs = [
        helper.make_tensor_value_info("sessions_7d", TensorProto.FLOAT, [n]),
        helper.make_tensor_value_info("tickets_30d", TensorProto.INT64, [n, 1]),
        helper.make_tensor_value_info("customer_profile__monthly_fee", TensorProto.DOUBLE, [n]),
        helper.make_tensor_value_info("bonus", TensorProto.FLOAT, [n]),
    ]
    outputs = [
        helper.make_tensor_value_info("score", TensorProto.FLOAT, [n]),
        helper.make_tensor_value_info("tickets", TensorProto.INT64, [n]),
    ]
    nodes = [
        helper.make_node("Constant", [], ["axes"], value=helper.make_tensor("axes", TensorProto.INT64, [1], [1])),
        helper.make_node("Squeeze", ["tickets_30d", "axes"], ["tickets"]),
        helper.make_node("Cast", ["tickets"], ["tickets_f"], to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["ten"], value=helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0])),
        helper.make_node("Mul", ["tickets_f", "ten"], ["tickets_10"]),
        helper.make_node("Cast", ["customer_profile__monthly_fee"], ["fee_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["sessions_7d", "tickets_10"], ["a"]),
        helper.make_node("Add", ["a", "fee_f"], ["b"]),
        helper.make_node("Add", ["b", "bonus"], ["score"]),
    ]
    graph = helper.make_graph(nodes, "enrich_test", inputs, outputs)
    model = helper.make_model(graph, producer_name="slipway-tests", ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
