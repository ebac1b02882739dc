import FoundationEssentials
import LipschitzModel
import SwiftProtobuf

/// Reads the ONNX graphs a fully connected ReLU network exports to.
///
/// The graph must be a chain: from the single graph input to the single graph output,
/// every node takes the previous node's result (plus constants) and nothing else reads
/// it. Affine nodes (Gemm, MatMul, Add, Sub, Mul, Div by constants; Flatten, Reshape and
/// Identity, which only relabel) are composed into one affine map until a Relu closes a
/// hidden layer; the map after the last Relu is the output layer. So MatMul + Add is one
/// layer, and two Gemms with no Relu between them are one layer too. Anything else is
/// refused with the node's name and operator.
public enum ONNXReader {
    /// Opset versions of the default domain this reader knows (7 through onnx 1.23's 28).
    public static let supportedOpsets = 7...28
    /// The largest input dimension read (an n × n map is kept per layer segment).
    public static let maximumInputs = TensorMath.maximumSignalValues
    /// Operators of the default domain that the reader interprets.
    public static let supportedOperators = ["Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu",
                                            "Flatten", "Reshape", "Identity", "Constant"]

    public static func read(data: Data, path: String, defaultName: String = "") throws -> LoadedNetwork {
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: data) } catch {
            throw FormatError.onnx(path: path, node: nil, reason: "not a valid ONNX protobuf (truncated or not ONNX?): \(error)")
        }
        do {
            return try interpret(model, defaultName: defaultName)
        } catch let problem as ONNXNodeProblem {
            throw FormatError.onnx(path: path, node: problem.node, reason: problem.reason)
        } catch let problem as ONNXProblem {
            throw FormatError.onnx(path: path, node: nil, reason: problem.reason)
        } catch let error as NetworkError {
            throw FormatError.onnx(path: path, node: nil, reason: "the folded network is invalid: \(error)")
        }
    }

    static func interpret(_ model: Onnx_ModelProto, defaultName: String) throws -> LoadedNetwork {
        guard model.hasGraph, !model.graph.node.isEmpty || !model.graph.output.isEmpty else {
            throw ONNXProblem("the model has no graph (empty or truncated file?)")
        }
        let opset = try defaultOpset(model)
        let graph = model.graph
        var notes: [String] = []

        if !graph.sparseInitializer.isEmpty { throw ONNXProblem("sparse initializers are not supported") }
        var constants: [String: ConstantTensor] = [:]
        for tensor in graph.initializer {
            guard !tensor.name.isEmpty else { throw ONNXProblem("an initializer has no name") }
            // Two tensors of one name: which one the graph reads is ambiguous (the ONNX checker refuses this).
            guard constants[tensor.name] == nil else {
                throw ONNXProblem("two initializers are named \"\(tensor.name)\"; names must be unique (the ONNX checker refuses this model)")
            }
            constants[tensor.name] = ConstantTensor(proto: tensor, name: tensor.name)
        }
        // Static single assignment, as the ONNX checker demands: every name is defined once, by a
        // graph input, an initializer (which may also be listed as an input) or one node output.
        var defined = Set(constants.keys)
        var inputNames = Set<String>()
        for input in graph.input {
            guard inputNames.insert(input.name).inserted else {
                throw ONNXProblem("two graph inputs are named \"\(input.name)\"; names must be unique (the ONNX checker refuses this model)")
            }
            defined.insert(input.name)
        }
        for (index, node) in graph.node.enumerated() {
            for output in node.output where !output.isEmpty {
                guard defined.insert(output).inserted else {
                    let what = constants[output] != nil ? "an initializer" : inputNames.contains(output) ? "a graph input" : "another node's output"
                    throw ONNXNodeProblem(node: ONNXNodeRef(name: node.name, index: index, op: node.opType),
                                          reason: "its output \"\(output)\" is also the name of \(what); every name must be defined once (the ONNX checker refuses this model)")
                }
            }
        }

        // The network input: the one graph input that is not an initializer (IR < 4 lists both).
        let realInputs = graph.input.filter { constants[$0.name] == nil }
        guard realInputs.count == 1 else {
            throw ONNXProblem("the graph has \(realInputs.count) inputs (\(realInputs.map { "\"\($0.name)\"" }.joined(separator: ", "))); a network has exactly one")
        }
        let input = realInputs[0]
        let inputShape = try shape(of: input, notes: &notes)
        guard graph.output.count == 1 else {
            throw ONNXProblem("the graph has \(graph.output.count) outputs; a network has exactly one")
        }
        let outputName = graph.output[0].name

        var chain = Chain(name: input.name, tensor: .identity(shape: inputShape))
        var consumed: [String: ONNXNodeRef] = [:]
        var layers: [AffineLayer] = []
        var reluCount = 0

        for (index, node) in graph.node.enumerated() {
            let ref = ONNXNodeRef(name: node.name, index: index, op: node.opType)
            func fail(_ reason: String) -> ONNXNodeProblem { ONNXNodeProblem(node: ref, reason: reason) }
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw fail("operator of domain \"\(node.domain)\" is not supported; only standard ONNX operators (\(supportedOperators.joined(separator: ", "))) are")
            }
            guard supportedOperators.contains(node.opType) else {
                throw fail("unsupported operator; a fully connected ReLU network uses only \(supportedOperators.joined(separator: ", "))")
            }
            guard let output = node.output.first, !output.isEmpty else { throw fail("the node has no output") }
            do {
                if node.opType == "Constant" {
                    constants[output] = try constantValue(node)
                    continue
                }
                // Classify inputs: the chain's current tensor, or constants.
                var signalPositions: [Int] = []
                for (position, name) in node.input.enumerated() where !name.isEmpty {
                    if name == chain.name {
                        signalPositions.append(position)
                    } else if constants[name] == nil {
                        if let reader = consumed[name] {
                            throw ONNXProblem("the graph branches: \"\(name)\" is already read by \(reader); only a single chain of layers is supported")
                        }
                        throw ONNXProblem("input \"\(name)\" is not defined by an earlier node, an initializer or the graph input (nodes must be in topological order)")
                    }
                }
                if signalPositions.isEmpty {
                    guard node.opType == "Identity", let source = node.input.first, let value = constants[source] else {
                        throw ONNXProblem("computes on constants only; this reader folds only Constant and Identity of constants (export with constant folding)")
                    }
                    constants[output] = value
                    continue
                }
                guard signalPositions.count == 1 else {
                    throw ONNXProblem("reads the network's signal \"\(chain.name)\" more than once; not an affine or ReLU layer")
                }
                let position = signalPositions[0]
                let t = chain.tensor
                let next: AffineTensor
                switch node.opType {
                case "Relu":
                    if t.isIdentity && reluCount > 0 {
                        next = t  // ReLU(ReLU(x)) = ReLU(x): nothing to add.
                    } else {
                        guard t.count <= maximumInputs else {
                            throw ONNXProblem("a hidden layer of \(t.count) neurons; this reader handles at most \(maximumInputs)")
                        }
                        layers.append(AffineLayer(weights: t.linear, biases: t.offset))
                        reluCount += 1
                        next = .identity(shape: t.shape)
                    }
                case "Identity":
                    next = t
                case "Flatten":
                    next = try flatten(t, axis: try intAttribute(node, "axis") ?? 1)
                case "Reshape":
                    next = try reshape(t, node: node, constants: constants)
                case "Gemm":
                    next = try gemm(t, signalAt: position, node: node, constants: constants)
                case "MatMul":
                    guard node.input.count == 2 else { throw ONNXProblem("MatMul needs two inputs") }
                    let c = try constant(node.input[1 - position], constants)
                    next = position == 0 ? try TensorMath.matmul(t, times: try c.doubles(), shape: c.shape)
                                         : try TensorMath.matmul(try c.doubles(), shape: c.shape, times: t)
                case "Add", "Sub", "Mul", "Div":
                    guard node.input.count == 2 else { throw ONNXProblem("\(node.opType) needs two inputs") }
                    let c = try constant(node.input[1 - position], constants)
                    let op: ElementwiseOp
                    switch (node.opType, position) {
                    case ("Add", _): op = .add
                    case ("Sub", 0): op = .subtract
                    case ("Sub", _): op = .reverseSubtract
                    case ("Mul", _): op = .multiply
                    case ("Div", 0): op = .divide
                    default: throw ONNXProblem("divides a constant by the signal; not affine")
                    }
                    if opset < 7 || hasAttribute(node, "broadcast") {
                        throw ONNXProblem("uses the pre-opset-7 \"broadcast\" attribute; re-export with opset 7 or later")
                    }
                    next = try TensorMath.elementwise(t, op, constant: try c.doubles(), shape: c.shape)
                default:
                    throw ONNXProblem("unsupported operator")
                }
                consumed[chain.name] = ref
                chain = Chain(name: output, tensor: next)
            } catch let problem as ONNXProblem {
                throw fail(problem.reason)
            }
        }

        guard outputName == chain.name else {
            if constants[outputName] != nil { throw ONNXProblem("the graph output \"\(outputName)\" is a constant, not computed from the input") }
            throw ONNXProblem("the graph output \"\(outputName)\" is not the end of the chain of layers (the chain ends at \"\(chain.name)\")")
        }
        let last = chain.tensor
        if let declared = declaredCount(graph.output[0]), declared != last.count {
            throw ONNXProblem("the graph output \"\(outputName)\" declares \(declared) values but the chain computes \(last.count) (shape \(last.shape))")
        }
        if last.isIdentity && reluCount > 0 {
            notes.append("the graph ends with Relu; an identity output layer was appended (same function)")
        }
        layers.append(AffineLayer(weights: last.linear, biases: last.offset))
        let name = graph.name.isEmpty ? defaultName : graph.name
        return LoadedNetwork(network: try ReLUNetwork(name: name, layers: layers), format: .onnx, notes: notes)
    }

    // MARK: - Pieces

    private struct Chain {
        var name: String
        var tensor: AffineTensor
    }

    private static func defaultOpset(_ model: Onnx_ModelProto) throws -> Int {
        let versions = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map(\.version)
        guard let version = versions.max() else {
            throw ONNXProblem("the model imports no ONNX operator set (opset_import is empty)")
        }
        guard supportedOpsets.contains(Int(version)) else {
            throw ONNXProblem("opset \(version) is not supported; this reader knows opsets \(supportedOpsets.lowerBound) to \(supportedOpsets.upperBound)")
        }
        return Int(version)
    }

    /// The graph input's shape; symbolic dimensions (a batch size) are taken as 1.
    private static func shape(of input: Onnx_ValueInfoProto, notes: inout [String]) throws -> [Int] {
        guard input.hasType, case .tensorType(let tensorType)? = input.type.value else {
            throw ONNXProblem("the graph input \"\(input.name)\" is not a tensor")
        }
        guard tensorType.elemType == ONNXElementType.float || tensorType.elemType == ONNXElementType.double else {
            throw ONNXProblem("the graph input \"\(input.name)\" holds \(ONNXElementType.name(tensorType.elemType)); float32 or float64 is needed")
        }
        guard tensorType.hasShape else {
            throw ONNXProblem("the graph input \"\(input.name)\" has no shape; the number of inputs is unknown")
        }
        var dims: [Int] = []
        for (i, dim) in tensorType.shape.dim.enumerated() {
            switch dim.value {
            case .dimValue(let v)?:
                guard v >= 1 else { throw ONNXProblem("the graph input \"\(input.name)\" has dimension \(v) at position \(i + 1)") }
                dims.append(Int(v))
            case .dimParam(let p)?:
                if i > 0 { notes.append("dimension \"\(p)\" of input \"\(input.name)\" (position \(i + 1)) is symbolic; taken as 1") }
                dims.append(1)
            case nil:
                guard i == 0 else {
                    throw ONNXProblem("dimension \(i + 1) of the graph input \"\(input.name)\" is unknown; only the first (batch) dimension may be left open")
                }
                dims.append(1)
            }
        }
        // The reader tracks an n × n map from the input; beyond a few thousand inputs that
        // map alone needs gigabytes, and exact analysis is hopeless long before.
        guard TensorMath.product(dims, limit: maximumInputs) != nil else {
            throw ONNXProblem("the graph input \"\(input.name)\" of shape \(dims) is too large; this reader handles at most \(maximumInputs) inputs")
        }
        return dims
    }

    /// The number of values a graph output declares, when every dimension is a number.
    private static func declaredCount(_ info: Onnx_ValueInfoProto) -> Int? {
        guard info.hasType, case .tensorType(let t)? = info.type.value, t.hasShape else { return nil }
        var count = 1
        for dim in t.shape.dim {
            guard case .dimValue(let v)? = dim.value else { return nil }
            count *= Int(clamping: v)
        }
        return count
    }

    private static func constant(_ name: String, _ constants: [String: ConstantTensor]) throws -> ConstantTensor {
        guard let c = constants[name] else { throw ONNXProblem("input \"\(name)\" must be a constant (an initializer or a Constant node)") }
        return c
    }

    private static func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    private static func hasAttribute(_ node: Onnx_NodeProto, _ name: String) -> Bool { attribute(node, name) != nil }

    private static func intAttribute(_ node: Onnx_NodeProto, _ name: String) throws -> Int? {
        guard let a = attribute(node, name) else { return nil }
        guard a.type == .int || a.type == .undefined else { throw ONNXProblem("attribute \(name) must be an integer") }
        return Int(a.i)
    }

    private static func floatAttribute(_ node: Onnx_NodeProto, _ name: String) throws -> Double? {
        guard let a = attribute(node, name) else { return nil }
        guard a.type == .float || a.type == .undefined else { throw ONNXProblem("attribute \(name) must be a float") }
        let value = Double(a.f)
        guard value.isFinite else { throw ONNXProblem("attribute \(name) is \(value); it must be finite") }
        return value
    }

    private static func constantValue(_ node: Onnx_NodeProto) throws -> ConstantTensor {
        let name = node.output[0]
        guard let a = node.attribute.first else { throw ONNXProblem("Constant without a value") }
        switch a.name {
        case "value": return ConstantTensor(proto: a.t, name: name)
        case "value_float": return ConstantTensor(name: name, shape: [], values: [Double(a.f)])
        case "value_floats": return ConstantTensor(name: name, shape: [a.floats.count], values: a.floats.map(Double.init))
        case "value_int": return ConstantTensor(name: name, shape: [], integers: [a.i])
        case "value_ints": return ConstantTensor(name: name, shape: [a.ints.count], integers: a.ints)
        default: throw ONNXProblem("Constant with attribute \"\(a.name)\" is not supported (use value, value_float(s) or value_int(s))")
        }
    }

    private static func flatten(_ t: AffineTensor, axis: Int) throws -> AffineTensor {
        let rank = t.shape.count
        let a = axis < 0 ? axis + rank : axis
        guard (0...rank).contains(a) else { throw ONNXProblem("axis \(axis) is out of range for a tensor of rank \(rank)") }
        return t.reshaped([t.shape[..<a].reduce(1, *), t.shape[a...].reduce(1, *)])
    }

    private static func reshape(_ t: AffineTensor, node: Onnx_NodeProto, constants: [String: ConstantTensor]) throws -> AffineTensor {
        let target: [Int64]
        if node.input.count >= 2 {
            target = try constant(node.input[1], constants).integers()
        } else if let a = attribute(node, "shape") {
            target = a.ints  // opset < 5
        } else {
            throw ONNXProblem("Reshape without a target shape")
        }
        let allowZero = try intAttribute(node, "allowzero") ?? 0
        var dims: [Int] = []
        var inferred: Int?
        for (i, d) in target.enumerated() {
            switch d {
            case -1:
                guard inferred == nil else { throw ONNXProblem("target shape \(target) has more than one -1") }
                inferred = i
                dims.append(1)
            case 0 where allowZero == 0:
                guard i < t.shape.count else { throw ONNXProblem("target shape \(target) copies dimension \(i + 1), which the input \(t.shape) lacks") }
                dims.append(t.shape[i])
            default:
                guard d >= 1 else { throw ONNXProblem("target shape \(target) has dimension \(d)") }
                dims.append(Int(d))
            }
        }
        guard let known = TensorMath.product(dims, limit: TensorMath.maximumSignalValues) else {
            throw ONNXProblem("cannot reshape \(t.shape) (\(t.count) values) to \(target)")
        }
        if let i = inferred {
            guard known > 0, t.count % known == 0 else { throw ONNXProblem("cannot reshape \(t.shape) to \(target)") }
            dims[i] = t.count / known
        }
        guard TensorMath.product(dims, limit: TensorMath.maximumSignalValues) == t.count else { throw ONNXProblem("cannot reshape \(t.shape) (\(t.count) values) to \(target)") }
        return t.reshaped(dims)
    }

    /// Y = alpha·A'·B' + beta·C, with A' = transA ? Aᵀ : A and B' likewise.
    private static func gemm(_ t: AffineTensor, signalAt position: Int, node: Onnx_NodeProto,
                             constants: [String: ConstantTensor]) throws -> AffineTensor {
        guard node.input.count >= 2, position < 2 else {
            throw ONNXProblem("the signal must be Gemm's input A or B, not the bias C")
        }
        let transA = try intAttribute(node, "transA") ?? 0
        let transB = try intAttribute(node, "transB") ?? 0
        let alpha = try floatAttribute(node, "alpha") ?? 1
        let beta = try floatAttribute(node, "beta") ?? 1
        let other = try constant(node.input[1 - position], constants)
        guard t.shape.count == 2, other.shape.count == 2 else {
            throw ONNXProblem("Gemm needs 2-D inputs, found shapes \(position == 0 ? t.shape : other.shape) and \(position == 0 ? other.shape : t.shape) (add a Flatten before it)")
        }
        var otherValues = try other.doubles()
        var otherShape = other.shape
        let transposeOther = position == 0 ? transB != 0 : transA != 0
        if transposeOther {
            otherValues = TensorMath.transpose(otherValues, rows: otherShape[0], columns: otherShape[1])
            otherShape = [otherShape[1], otherShape[0]]
        }
        let transposeSignal = position == 0 ? transA != 0 : transB != 0
        let signal = transposeSignal ? t.transposed2D() : t
        var y = position == 0 ? try TensorMath.matmul(signal, times: otherValues, shape: otherShape)
                              : try TensorMath.matmul(otherValues, shape: otherShape, times: signal)
        y = TensorMath.scaled(y, by: alpha)
        if node.input.count >= 3, !node.input[2].isEmpty {
            let c = try constant(node.input[2], constants)
            let outShape = y.shape
            guard try TensorMath.broadcast(outShape, c.shape) == outShape else {
                throw ONNXProblem("bias C of shape \(c.shape) does not broadcast to the output shape \(outShape)")
            }
            y = try TensorMath.elementwise(y, .add, constant: try c.doubles().map { beta * $0 }, shape: c.shape)
        }
        return y
    }
}

public typealias ONNXNodeRef = FormatError.ONNXNodeRef

/// A problem located at a node.
struct ONNXNodeProblem: Error {
    let node: ONNXNodeRef
    let reason: String
}
