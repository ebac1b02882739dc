import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor that output is written to in full: standard output and error, and
/// files opened for streaming (`exact --trace`). Every byte is written (partial writes and
/// EINTR resumed); a failed write returns its errno for the caller to report in one line
/// (`FileHandle.write`, which this replaced, trapped: `> /dev/full` crashed the process). A file
/// opened here is closed when the value goes away.
public final class DescriptorOutput: @unchecked Sendable {
    public static let standardOutput = DescriptorOutput(descriptor: STDOUT_FILENO, owned: false)
    public static let standardError = DescriptorOutput(descriptor: STDERR_FILENO, owned: false)

    private let descriptor: Int32
    private let owned: Bool

    private init(descriptor: Int32, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    /// Opens `path` for writing as a shell's `>` does: created (mode 0644 less the umask) or
    /// truncated, through a symbolic link, and a device such as /dev/stdout or /dev/full is
    /// written, not replaced; nil when it cannot be opened.
    public convenience init?(creatingAtPath path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        self.init(descriptor: fd, owned: true)
    }

    deinit { if owned { close(descriptor) } }

    /// Writes all of `text` (UTF-8); the errno of a failed write, else nil.
    public func write(_ text: String) -> Int32? { write(Data(text.utf8)) }

    /// Writes all of `data`; the errno of a failed write, else nil.
    public func write(_ data: Data) -> Int32? { FileAccess.writeAll(data, to: descriptor) }
}
