import FoundationEssentials
import LipschitzModel

/// ONNX TensorProto.DataType codes this package reads or writes.
enum ONNXElementType {
    static let float: Int32 = 1
    static let int64: Int32 = 7
    static let double: Int32 = 11

    static func name(_ code: Int32) -> String {
        switch code {
        case 1: return "float32"
        case 2: return "uint8"
        case 3: return "int8"
        case 4: return "uint16"
        case 5: return "int16"
        case 6: return "int32"
        case 7: return "int64"
        case 8: return "string"
        case 9: return "bool"
        case 10: return "float16"
        case 11: return "float64"
        case 12: return "uint32"
        case 13: return "uint64"
        case 16: return "bfloat16"
        default: return "type \(code)"
        }
    }
}

/// A constant tensor (an initializer or a Constant node's value), decoded on demand.
struct ConstantTensor {
    let name: String
    let shape: [Int]
    let proto: Onnx_TensorProto?
    /// Values given directly (Constant's value_float(s)/value_int(s)).
    let directValues: [Double]?
    let directIntegers: [Int64]?

    init(proto: Onnx_TensorProto, name: String) {
        self.name = name
        self.shape = proto.dims.map { Int(clamping: $0) }
        self.proto = proto
        self.directValues = nil
        self.directIntegers = nil
    }

    init(name: String, shape: [Int], values: [Double]) {
        self.name = name
        self.shape = shape
        self.proto = nil
        self.directValues = values
        self.directIntegers = nil
    }

    init(name: String, shape: [Int], integers: [Int64]) {
        self.name = name
        self.shape = shape
        self.proto = nil
        self.directValues = nil
        self.directIntegers = integers
    }

    /// The number of values the shape declares (0 when it is absurd; `checkStorage` refuses those).
    var count: Int { TensorMath.product(shape, limit: TensorMath.maximumConstantValues) ?? 0 }

    /// Shape problems and storage problems, as a reason for an error message.
    private func checkStorage() throws -> Onnx_TensorProto? {
        guard let proto else { return nil }
        if let bad = proto.dims.first(where: { $0 < 0 }) {
            throw ONNXProblem("tensor \"\(name)\" has a negative dimension \(bad)")
        }
        guard TensorMath.product(shape, limit: TensorMath.maximumConstantValues) != nil else {
            throw ONNXProblem("tensor \"\(name)\" of shape \(shape) is too large for this reader (at most \(TensorMath.maximumConstantValues) values)")
        }
        if proto.dataLocation == .external {
            throw ONNXProblem("tensor \"\(name)\" is stored in an external file; save the model with its weights inside (onnx.save_model(..., save_as_external_data=False))")
        }
        if proto.hasSegment { throw ONNXProblem("tensor \"\(name)\" is segmented; not supported") }
        return proto
    }

    /// The values as doubles; only float32 and float64 tensors qualify, and every value
    /// must be finite.
    func doubles() throws -> [Double] {
        let values: [Double]
        if let directValues {
            values = directValues
        } else if let directIntegers {
            values = directIntegers.map(Double.init)
        } else {
            let proto = try checkStorage()!
            switch proto.dataType {
            case ONNXElementType.float:
                if !proto.rawData.isEmpty {
                    try expectBytes(proto.rawData.count, width: 4)
                    values = littleEndian(proto.rawData, width: 4).map { Double(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) }
                } else {
                    values = proto.floatData.map(Double.init)
                }
            case ONNXElementType.double:
                if !proto.rawData.isEmpty {
                    try expectBytes(proto.rawData.count, width: 8)
                    values = littleEndian(proto.rawData, width: 8).map { Double(bitPattern: $0) }
                } else {
                    values = proto.doubleData
                }
            default:
                throw ONNXProblem("tensor \"\(name)\" holds \(ONNXElementType.name(proto.dataType)); weights must be float32 or float64")
            }
        }
        guard values.count == count else {
            throw ONNXProblem("tensor \"\(name)\" has \(values.count) values for shape \(shape) (\(count) expected)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ONNXProblem("tensor \"\(name)\" holds \(values[bad]) at index \(bad); weights must be finite")
        }
        return values
    }

    /// The values of an int64 tensor (Reshape's target shape).
    func integers() throws -> [Int64] {
        let values: [Int64]
        if let directIntegers {
            values = directIntegers
        } else if directValues != nil {
            throw ONNXProblem("tensor \"\(name)\" holds floats; an int64 tensor is needed here")
        } else {
            let proto = try checkStorage()!
            guard proto.dataType == ONNXElementType.int64 else {
                throw ONNXProblem("tensor \"\(name)\" holds \(ONNXElementType.name(proto.dataType)); an int64 tensor is needed here")
            }
            if !proto.rawData.isEmpty {
                try expectBytes(proto.rawData.count, width: 8)
                values = littleEndian(proto.rawData, width: 8).map { Int64(bitPattern: $0) }
            } else {
                values = proto.int64Data
            }
        }
        guard values.count == count else {
            throw ONNXProblem("tensor \"\(name)\" has \(values.count) values for shape \(shape) (\(count) expected)")
        }
        return values
    }

    private func expectBytes(_ bytes: Int, width: Int) throws {
        guard bytes == count * width else {
            throw ONNXProblem("tensor \"\(name)\" has \(bytes) bytes of raw data for shape \(shape) (\(count * width) expected)")
        }
    }
}

/// Little-endian words of `width` bytes (4 or 8), as ONNX raw_data stores them.
func littleEndian(_ data: Data, width: Int) -> [UInt64] {
    let bytes = [UInt8](data)
    var out: [UInt64] = []
    out.reserveCapacity(bytes.count / width)
    var i = 0
    while i + width <= bytes.count {
        var word: UInt64 = 0
        for b in 0..<width { word |= UInt64(bytes[i + b]) << (8 * UInt64(b)) }
        out.append(word)
        i += width
    }
    return out
}

/// An error found while interpreting an ONNX graph, before the reader adds the file and
/// node to it.
struct ONNXProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
