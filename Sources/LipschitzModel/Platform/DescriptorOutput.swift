import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor that output is written to in full: standard output and error, and
/// files opened for streaming (`exact --trace`). What `FileHandle.write` did: every byte is
/// written (partial writes and EINTR resumed), and a failed write stops the process
/// (`FileHandle.write` trapped too); a file opened here is closed when the value goes away.
public final class DescriptorOutput: @unchecked Sendable {
    public static let standardOutput = DescriptorOutput(descriptor: STDOUT_FILENO, owned: false)
    public static let standardError = DescriptorOutput(descriptor: STDERR_FILENO, owned: false)

    private let descriptor: Int32
    private let owned: Bool

    private init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    /// Opens the existing file at `path` for writing from its start, without truncating or
    /// creating it (`FileHandle(forWritingAtPath:)`); nil when it cannot be opened.
    public convenience init?(forWritingAtPath path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.init(descriptor: fd, owned: true)
    }

    deinit { if owned { close(descriptor) } }

    public func write(_ text: String) { write(Data(text.utf8)) }

    public func write(_ data: Data) {
        if let code = FileAccess.writeAll(data, to: descriptor) {
            fatalError("cannot write to file descriptor \(descriptor): \(FileAccess.message(code))")
        }
    }
}
