import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read or written: one line naming the file (exit status 2).
public enum FileAccessError: InputProblem, Equatable {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A FIFO, socket, device, …: `kind` says which.
    case notRegularFile(path: String, kind: String)
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "no such file: \(path)"
        case .isDirectory(let path): return "\(path) is a directory, not a file"
        case .notRegularFile(let path, let kind): return "\(path) is not a regular file (it is \(kind))"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Every read of an input file and every write of an output file goes through here, so that
/// special files are refused before they are opened (a FIFO would block forever) and outputs
/// are written through to the path the user named (a symlink's target, `/dev/null`) with every
/// write and close error reported.
public enum FileAccess {
    /// Checks, without opening it, that `path` names a regular file (symlinks followed).
    public static func checkRegularFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileAccessError.notFound(path: path) }
            throw FileAccessError.cannotRead(path: path, reason: message(code))
        }
        try requireRegular(path, mode: info.st_mode)
    }

    /// The contents of the regular file at `path` (symlinks followed).
    public static func read(_ path: String) throws -> Data {
        try checkRegularFile(path)
        var info = stat()
        // O_NONBLOCK: should the path turn into a FIFO between stat and open, open does not block.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw FileAccessError.cannotRead(path: path, reason: message(errno)) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw FileAccessError.cannotRead(path: path, reason: message(errno)) }
        try requireRegular(path, mode: info.st_mode)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileAccessError.cannotRead(path: path, reason: message(errno))
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }

    /// Writes `data` to `path`: an existing file is opened for writing and truncated (a
    /// symlink is followed, a device such as /dev/null or /dev/stdout written to), never
    /// replaced; a missing file is created. A directory, an unwritable path or a failed
    /// write or close (ENOSPC from /dev/full) throws `FileAccessError.cannotWrite`.
    public static func write(_ data: Data, to path: String) throws {
        guard !path.isEmpty else { throw FileAccessError.cannotWrite(path: path, reason: "the path is empty") }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw FileAccessError.isDirectory(path: path)
        }
        // O_NONBLOCK so that opening a FIFO without a reader fails (ENXIO) instead of blocking.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            if code == EISDIR { throw FileAccessError.isDirectory(path: path) }
            throw FileAccessError.cannotWrite(path: path, reason: message(code))
        }
        var closed = false
        defer { if !closed { close(fd) } }
        // Back to blocking writes (a pipe with a reader must take all of the data).
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        if let code = writeAll(data, to: fd) { throw FileAccessError.cannotWrite(path: path, reason: message(code)) }
        // A regular file: make sure the data reached the disk's queue (a full disk says so here).
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, fsync(fd) != 0, errno != EINVAL, errno != EROFS {
            throw FileAccessError.cannotWrite(path: path, reason: message(errno))
        }
        closed = true
        guard close(fd) == 0 else { throw FileAccessError.cannotWrite(path: path, reason: message(errno)) }
    }

    /// Writes every byte of `data` to the open descriptor `fd`, resuming after a partial write
    /// or EINTR: nil, or the errno of the write that failed.
    public static func writeAll(_ data: Data, to fd: Int32) -> Int32? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32? in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
    }

    /// Writes `text` as UTF-8 to `path`; see `write(_:to:)`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Checks, before a long computation, that `path` can be written later: it is not a
    /// directory and either exists writable or can be created in its folder. Creates nothing.
    public static func checkWritable(_ path: String) throws {
        guard !path.isEmpty else { throw FileAccessError.cannotWrite(path: path, reason: "the path is empty") }
        var info = stat()
        if stat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { throw FileAccessError.isDirectory(path: path) }
            guard access(path, W_OK) == 0 else { throw FileAccessError.cannotWrite(path: path, reason: message(errno)) }
            return
        }
        let folder = PathName.deletingLastComponent(path)
        let directory = folder.isEmpty ? "." : folder
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw FileAccessError.cannotWrite(path: path, reason: "no such directory \(directory)")
        }
        guard access(directory, W_OK) == 0 else {
            throw FileAccessError.cannotWrite(path: path, reason: "the directory \(directory) is not writable")
        }
    }

    /// Creates the folder `path` (and its parents) unless it exists; a file in the way is an error.
    public static func createDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw FileAccessError.cannotWrite(path: path, reason: "it exists and is not a directory")
            }
            return
        }
        // mkdir -p, one level at a time, so that the failing level's errno is reported.
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            if mkdir(prefix, 0o755) != 0 {
                let code = errno
                guard code == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                    throw FileAccessError.cannotWrite(path: path, reason: "cannot create the folder \(prefix): \(message(code == EEXIST ? ENOTDIR : code))")
                }
            }
        }
    }

    private static func requireRegular(_ path: String, mode: mode_t) throws {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw FileAccessError.isDirectory(path: path)
        case S_IFIFO: throw FileAccessError.notRegularFile(path: path, kind: "a FIFO")
        case S_IFSOCK: throw FileAccessError.notRegularFile(path: path, kind: "a socket")
        case S_IFCHR: throw FileAccessError.notRegularFile(path: path, kind: "a character device")
        case S_IFBLK: throw FileAccessError.notRegularFile(path: path, kind: "a block device")
        default: throw FileAccessError.notRegularFile(path: path, kind: "a special file")
        }
    }

    /// The C library's text for an errno value ("No space left on device").
    public static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
