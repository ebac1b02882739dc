import LipschitzModel
import XCTest

/// |a − b| ≤ tolerance · max(|a|, |b|, 1e-12): agreement relative to the size of the values
/// (1e-9 relative is the package's standard for "the same constant").
public func assertRelativelyEqual(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9, _ message: String = "",
                                  file: StaticString = #filePath, line: UInt = #line) {
    let scale = max(abs(a), abs(b), 1e-300)
    XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(scale, 1e-12), "\(a) vs \(b) \(message)", file: file, line: line)
}

/// |a − b| ≤ absolute + relative · max(|a|, |b|).
public func assertClose(_ a: Double, _ b: Double, relative: Double = 1e-12, absolute: Double = 1e-12,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let ok = abs(a - b) <= absolute + relative * max(abs(a), abs(b))
    XCTAssertTrue(ok, "\(a) is not close to \(b) \(message())", file: file, line: line)
}

/// Entrywise `assertClose`, after checking the shapes agree.
public func assertClose(_ a: Matrix, _ b: Matrix, relative: Double = 1e-12, absolute: Double = 1e-12,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.rows, b.rows, "rows \(message())", file: file, line: line)
    XCTAssertEqual(a.columns, b.columns, "columns \(message())", file: file, line: line)
    guard a.rows == b.rows, a.columns == b.columns else { return }
    for (x, y) in zip(a.storage, b.storage) where abs(x - y) > absolute + relative * max(abs(x), abs(y)) {
        XCTFail("\(a) is not close to \(b) \(message())", file: file, line: line)
        return
    }
}

/// Runs `body`, expecting it to throw an error of type `E`; returns the error.
@discardableResult
public func expectError<E: Error, T>(_ errorType: E.Type, file: StaticString = #filePath, line: UInt = #line,
                                     _ body: () throws -> T) -> E? {
    do {
        let value = try body()
        XCTFail("expected \(E.self), got a value: \(value)", file: file, line: line)
        return nil
    } catch let error as E {
        return error
    } catch {
        XCTFail("expected \(E.self), got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}
