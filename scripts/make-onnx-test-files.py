#!/usr/bin/env python3
"""Writes the ONNX files the NetworkFormats tests read, and the bundled spiky_nnet.onnx.

Run once by a developer; the outputs are committed, so neither the tests nor CI need
Python. Needs `pip install onnx numpy` (tested with onnx 1.23.2, numpy 2.4).

    python3 scripts/make-onnx-test-files.py

Every valid model is checked with onnx.checker and evaluated with onnx's own reference
evaluator (onnx.reference.ReferenceEvaluator) at seeded random points; the points and
outputs go to instances/onnx-tests/expected.json, so the Swift tests compare the reader
against an independent implementation of ONNX, not against itself.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "instances", "onnx-tests")
NETWORKS = os.path.join(ROOT, "instances", "networks")
RNG = np.random.default_rng(20261126)


def load_json(name):
    with open(os.path.join(OUT, name)) as f:
        doc = json.load(f)
    return [(np.array(l["weights"], dtype=np.float64), np.array(l["biases"], dtype=np.float64))
            for l in doc["layers"]]


def tensor(name, array, dtype, typed=False):
    """An initializer; raw_data by default, or the typed field (float_data/double_data)."""
    array = np.asarray(array, dtype=dtype)
    if not typed:
        return numpy_helper.from_array(array, name=name)
    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    return helper.make_tensor(name, onnx_type, list(array.shape), array.flatten().tolist(), raw=False)


def model(nodes, inputs, outputs, inits, opset, name, ir_version=None):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make-onnx-test-files")
    if ir_version is not None:
        m.ir_version = ir_version
    return m


EXPECTED = []


def save(m, filename, json_form=None, check=True, points_shape=None, dtype=np.float64, directory=OUT):
    path = os.path.join(directory, filename)
    onnx.save(m, path)
    if not check:
        return
    onnx.checker.check_model(m)
    session = ReferenceEvaluator(m)
    in_name = m.graph.input[0].name
    points, outputs = [], []
    for _ in range(6):
        x = RNG.normal(size=points_shape).astype(dtype)
        y = session.run(None, {in_name: x})[0]
        points.append([float(v) for v in x.flatten()])
        outputs.append([float(v) for v in np.asarray(y).flatten()])
    EXPECTED.append({"file": os.path.relpath(path, OUT), "json": json_form, "float32": dtype == np.float32,
                     "points": points, "outputs": outputs})


def gemm_chain(layers, dtype, x_name, trans_b=True, typed=False, prefix=""):
    nodes, inits, signal = [], [], x_name
    for k, (w, b) in enumerate(layers):
        wn, bn = f"{prefix}W{k}", f"{prefix}B{k}"
        inits += [tensor(wn, w if trans_b else w.T, dtype, typed), tensor(bn, b, dtype, typed)]
        out = f"{prefix}gemm{k}"
        nodes.append(helper.make_node("Gemm", [signal, wn, bn], [out], name=f"{prefix}fc{k}", transB=1 if trans_b else 0))
        signal = out
        if k < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [signal], [f"{prefix}relu{k}"], name=f"{prefix}act{k}"))
            signal = f"{prefix}relu{k}"
    return nodes, inits, signal


def rename_output(nodes, old, new):
    for node in nodes:
        node.output[:] = [new if o == old else o for o in node.output]


def main():
    deep = load_json("deep-3x4x3x2.json")
    shallow = load_json("shallow-d2-n5.json")
    vector = load_json("vector-3x6x2.json")
    f32, f64 = TensorProto.FLOAT, TensorProto.DOUBLE

    # 1. What torch.onnx.export gives for nn.Sequential(Linear, ReLU, ...): Gemm(transB=1), float32 raw_data.
    nodes, inits, out = gemm_chain(deep, np.float32, "x")
    rename_output(nodes, out, "y")
    m = model(nodes, [helper.make_tensor_value_info("x", f32, ["batch", 3])],
              [helper.make_tensor_value_info("y", f32, ["batch", 2])], inits, 13, "deep-3x4x3x2")
    save(m, "gemm-f32-raw.onnx", "deep-3x4x3x2.json", points_shape=(1, 3), dtype=np.float32)

    # 2. float64 typed double_data, transB=0 (weights stored in x out), opset 7, IR 3 with the
    #    initializers also listed as graph inputs (the pre-IR-4 convention).
    nodes, inits, out = gemm_chain(deep, np.float64, "x", trans_b=False, typed=True)
    rename_output(nodes, out, "y")
    init_inputs = [helper.make_tensor_value_info(t.name, f64, list(t.dims)) for t in inits]
    m = model(nodes, [helper.make_tensor_value_info("x", f64, [1, 3])] + init_inputs,
              [helper.make_tensor_value_info("y", f64, [1, 2])], inits, 7, "deep-typed", ir_version=3)
    save(m, "gemm-f64-typed-opset7.onnx", "deep-3x4x3x2.json", points_shape=(1, 3))

    # 3. sisl/NNet's nnet2onnx layout: 1-D input, MatMul(x, W as in x out) + Add + Relu, float32 typed float_data.
    nodes, inits, signal = [], [], "X"
    for k, (w, b) in enumerate(shallow):
        inits += [tensor(f"W{k}", w.T, np.float32, typed=True), tensor(f"B{k}", b, np.float32, typed=True)]
        nodes.append(helper.make_node("MatMul", [signal, f"W{k}"], [f"M{k}"]))
        last = k == len(shallow) - 1
        nodes.append(helper.make_node("Add", [f"M{k}", f"B{k}"], ["y_out" if last else f"H{k}"]))
        if not last:
            nodes.append(helper.make_node("Relu", [f"H{k}"], [f"R{k}"]))
            signal = f"R{k}"
    m = model(nodes, [helper.make_tensor_value_info("X", f32, [2])],
              [helper.make_tensor_value_info("y_out", f32, [1])], inits, 11, "nnet2onnx_Model")
    save(m, "matmul-add-f32-typed.onnx", "shallow-d2-n5.json", points_shape=(2,), dtype=np.float32)

    # 4. Column layout: MatMul(W, x) with x of shape [n, 1]; biases from Constant nodes, shape [out, 1].
    nodes, inits, signal = [], [], "x"
    for k, (w, b) in enumerate(vector):
        inits.append(tensor(f"W{k}", w, np.float64))
        nodes.append(helper.make_node("Constant", [], [f"b{k}"], name=f"const{k}",
                                      value=numpy_helper.from_array(b.reshape(-1, 1), name=f"b{k}")))
        nodes.append(helper.make_node("MatMul", [f"W{k}", signal], [f"m{k}"], name=f"mm{k}"))
        last = k == len(vector) - 1
        nodes.append(helper.make_node("Add", [f"b{k}", f"m{k}"], ["y" if last else f"h{k}"], name=f"add{k}"))
        if not last:
            nodes.append(helper.make_node("Relu", [f"h{k}"], [f"r{k}"], name=f"relu{k}"))
            signal = f"r{k}"
    m = model(nodes, [helper.make_tensor_value_info("x", f64, [3, 1])],
              [helper.make_tensor_value_info("y", f64, [2, 1])], inits, 9, "vector-column")
    save(m, "matmul-column-f64.onnx", "vector-3x6x2.json", points_shape=(3, 1))

    # 5. Gemm with transA on a column input, alpha and beta: alpha * (2W) = W, beta * (b / 4) with beta 4.
    nodes, inits, signal = [], [], "x"
    for k, (w, b) in enumerate(deep):
        inits += [tensor(f"W{k}", 2 * w.T, np.float64), tensor(f"C{k}", b / 4, np.float64)]
        trans_a = 1 if k == 0 else 0
        last = k == len(deep) - 1
        nodes.append(helper.make_node("Gemm", [signal, f"W{k}", f"C{k}"], ["y" if last else f"g{k}"],
                                      name=f"gemm{k}", transA=trans_a, alpha=0.5, beta=4.0))
        if not last:
            nodes.append(helper.make_node("Relu", [f"g{k}"], [f"r{k}"], name=f"relu{k}"))
            signal = f"r{k}"
    m = model(nodes, [helper.make_tensor_value_info("x", f64, [3, 1])],
              [helper.make_tensor_value_info("y", f64, [1, 2])], inits, 17, "gemm-alpha-beta")
    save(m, "gemm-trans-alpha-beta.onnx", "deep-3x4x3x2.json", points_shape=(3, 1))

    # 6. Flatten of a [1, 1, 3] input, Identity, Reshape with an int64 shape initializer, opset 14, float32.
    nodes, inits, out = gemm_chain(deep, np.float32, "flat")
    rename_output(nodes, out, "y")
    nodes.insert(0, helper.make_node("Flatten", ["image"], ["flat"], name="flatten", axis=1))
    # After the first Relu: Identity, then Reshape to [1, -1] (a no-op on [1, 4]).
    first_relu = next(i for i, n in enumerate(nodes) if n.op_type == "Relu")
    relu_out = nodes[first_relu].output[0]
    nodes[first_relu + 1].input[0] = "reshaped"
    nodes.insert(first_relu + 1, helper.make_node("Identity", [relu_out], ["same"], name="identity"))
    nodes.insert(first_relu + 2, helper.make_node("Reshape", ["same", "shape"], ["reshaped"], name="reshape"))
    inits.append(numpy_helper.from_array(np.array([1, -1], dtype=np.int64), name="shape"))
    m = model(nodes, [helper.make_tensor_value_info("image", f32, [1, 1, 3])],
              [helper.make_tensor_value_info("y", f32, [1, 2])], inits, 14, "flatten-reshape")
    save(m, "flatten-reshape-identity-f32.onnx", "deep-3x4x3x2.json", points_shape=(1, 1, 3), dtype=np.float32)

    # 7. Current opset (28): a layer split into two Gemms without a Relu between them, and
    #    input normalisation nodes Sub/Div in front (as VNN-COMP ACAS Xu models have).
    w0, b0 = deep[0]
    a = RNG.normal(size=(5, 3))
    c = RNG.normal(size=5)
    mean = np.array([0.5, -1.0, 2.0])
    scale = np.array([2.0, 0.5, 4.0])
    nodes = [helper.make_node("Sub", ["x", "mean"], ["centered"], name="sub_mean"),
             helper.make_node("Div", ["centered", "scale"], ["normalised"], name="div_scale"),
             helper.make_node("Gemm", ["normalised", "A", "c"], ["pre"], name="first_half", transB=1),
             helper.make_node("Gemm", ["pre", "B", "d"], ["h0"], name="second_half", transB=1),
             helper.make_node("Relu", ["h0"], ["r0"], name="relu0"),
             helper.make_node("Gemm", ["r0", "W1", "B1"], ["h1"], name="fc1", transB=1),
             helper.make_node("Relu", ["h1"], ["r1"], name="relu1"),
             helper.make_node("Gemm", ["r1", "W2", "B2"], ["y"], name="fc2", transB=1)]
    # B·A = w0 is impossible in general for 5 > 3, so pick B freely: the composed first layer is B·A.
    bmat = RNG.normal(size=(4, 5))
    d = RNG.normal(size=4)
    inits = [tensor("mean", mean, np.float64), tensor("scale", scale, np.float64),
             tensor("A", a, np.float64), tensor("c", c, np.float64),
             tensor("B", bmat, np.float64), tensor("d", d, np.float64),
             tensor("W1", deep[1][0], np.float64), tensor("B1", deep[1][1], np.float64),
             tensor("W2", deep[2][0], np.float64), tensor("B2", deep[2][1], np.float64)]
    m = model(nodes, [helper.make_tensor_value_info("x", f64, ["N", 3])],
              [helper.make_tensor_value_info("y", f64, ["N", 2])], inits, 28, "composed")
    save(m, "composed-opset28.onnx", None, points_shape=(1, 3))
    # Its JSON form, composed in float64 by numpy, for the weight comparison.
    first_w = (bmat @ a) / scale[None, :]
    first_b = bmat @ (c - a @ (mean / scale)) + d
    composed = {"format": "relu-network", "version": 1, "name": "composed",
                "layers": [{"weights": first_w.tolist(), "biases": first_b.tolist()},
                           {"weights": deep[1][0].tolist(), "biases": deep[1][1].tolist()},
                           {"weights": deep[2][0].tolist(), "biases": deep[2][1].tolist()}]}
    with open(os.path.join(OUT, "composed.json"), "w") as f:
        json.dump(composed, f)
    EXPECTED[-1]["json"] = "composed.json"

    # 8. A graph that ends with Relu (the reader appends an identity output layer).
    nodes, inits, out = gemm_chain(shallow[:1], np.float64, "x")
    nodes.append(helper.make_node("Relu", [out], ["y"], name="final_relu"))
    m = model(nodes, [helper.make_tensor_value_info("x", f64, [1, 2])],
              [helper.make_tensor_value_info("y", f64, [1, 5])], inits, 13, "ends-with-relu")
    save(m, "ends-with-relu.onnx", None, points_shape=(1, 2))

    # --- Files the reader must refuse (not checked: some are invalid on purpose). ---
    x2 = helper.make_tensor_value_info("x", f64, [1, 2])
    def bad(nodes, inits, filename, opset=13, output="y", out_shape=(1, 1), inputs=None):
        m = model(nodes, inputs or [x2], [helper.make_tensor_value_info(output, f64, list(out_shape))], inits, opset, "bad")
        save(m, filename, check=False)

    w, b = shallow[0]
    w1, b1 = shallow[1]
    base_inits = [tensor("W0", w, np.float64), tensor("B0", b, np.float64), tensor("W1", w1, np.float64), tensor("B1", b1, np.float64)]
    # A Conv layer.
    img = helper.make_tensor_value_info("img", f64, [1, 1, 4, 4])
    bad([helper.make_node("Conv", ["img", "K"], ["y"], name="conv1")],
        [tensor("K", np.ones((1, 1, 3, 3)), np.float64)], "bad-conv.onnx", out_shape=(1, 1, 2, 2), inputs=[img])
    # A sigmoid activation.
    bad([helper.make_node("Gemm", ["x", "W0", "B0"], ["h"], name="fc0", transB=1),
         helper.make_node("Sigmoid", ["h"], ["s"], name="squash"),
         helper.make_node("Gemm", ["s", "W1", "B1"], ["y"], name="fc1", transB=1)], base_inits, "bad-sigmoid.onnx")
    # A residual branch: y = fc1(relu(fc0(x))) + fc_skip(x).
    bad([helper.make_node("Gemm", ["x", "W0", "B0"], ["h"], name="fc0", transB=1),
         helper.make_node("Relu", ["h"], ["r"], name="relu0"),
         helper.make_node("Gemm", ["r", "W1", "B1"], ["main"], name="fc1", transB=1),
         helper.make_node("Gemm", ["x", "S", "B1"], ["skip"], name="skip", transB=1),
         helper.make_node("Add", ["main", "skip"], ["y"], name="join")],
        base_inits + [tensor("S", np.ones((1, 2)), np.float64)], "bad-branch.onnx")
    # A NaN weight.
    wn = w.copy()
    wn[2, 1] = np.nan
    bad([helper.make_node("Gemm", ["x", "W0", "B0"], ["h"], name="fc0", transB=1),
         helper.make_node("Relu", ["h"], ["r"], name="relu0"),
         helper.make_node("Gemm", ["r", "W1", "B1"], ["y"], name="fc1", transB=1)],
        [tensor("W0", wn, np.float64)] + base_inits[1:], "bad-nan.onnx")
    # Weights that do not fit the input (W0 is 5 x 2, used without transB).
    bad([helper.make_node("Gemm", ["x", "W0", "B0"], ["h"], name="fc0"),
         helper.make_node("Relu", ["h"], ["r"], name="relu0"),
         helper.make_node("Gemm", ["r", "W1", "B1"], ["y"], name="fc1", transB=1)], base_inits, "bad-shapes.onnx")
    # Opset 6 (before Gemm's and Add's broadcasting rules of opset 7).
    bad([helper.make_node("Gemm", ["x", "W0", "B0"], ["h"], name="fc0", transB=1),
         helper.make_node("Relu", ["h"], ["r"], name="relu0"),
         helper.make_node("Gemm", ["r", "W1", "B1"], ["y"], name="fc1", transB=1)], base_inits, "bad-opset6.onnx", opset=6)
    # A truncated file: the first 300 bytes of a valid model.
    with open(os.path.join(OUT, "gemm-f32-raw.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad-truncated.onnx"), "wb") as f:
        f.write(data[:300])

    # --- The bundled real network, in the layout of sisl/NNet's nnet2onnx converter. ---
    spiky = read_nnet(os.path.join(NETWORKS, "spiky_nnet.nnet"))
    nodes, inits, signal = [], [], "X"
    for k, (w, b) in enumerate(spiky):
        inits += [tensor(f"W{k}", w.T, np.float32), tensor(f"B{k}", b, np.float32)]
        nodes.append(helper.make_node("MatMul", [signal, f"W{k}"], [f"M{k}"]))
        last = k == len(spiky) - 1
        nodes.append(helper.make_node("Add", [f"M{k}", f"B{k}"], ["y_out" if last else f"H{k}"]))
        if not last:
            nodes.append(helper.make_node("Relu", [f"H{k}"], [f"R{k}"]))
            signal = f"R{k}"
    m = model(nodes, [helper.make_tensor_value_info("X", f32, [1])],
              [helper.make_tensor_value_info("y_out", f32, [1])], inits, 13, "nnet2onnx_Model")
    save(m, "spiky_nnet.onnx", None, points_shape=(1,), dtype=np.float32, directory=NETWORKS)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "scripts/make-onnx-test-files.py", "onnx": onnx.__version__, "files": EXPECTED}, f, indent=1)
    print(f"wrote {len(EXPECTED)} checked models and 7 bad ones")


def read_nnet(path):
    """Minimal reader for the bundled file (stored weights; its normalisation is the identity)."""
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("//")]
    fields = lambda l: [x for x in (s.strip() for s in l.split(",")) if x]
    sizes = [int(x) for x in fields(lines[1])]
    rest, layers = lines[7:], []
    for k in range(len(sizes) - 1):
        rows = [[float(x) for x in fields(l)] for l in rest[:sizes[k + 1]]]
        rest = rest[sizes[k + 1]:]
        biases = [float(fields(l)[0]) for l in rest[:sizes[k + 1]]]
        rest = rest[sizes[k + 1]:]
        layers.append((np.array(rows), np.array(biases)))
    return layers


if __name__ == "__main__":
    main()
