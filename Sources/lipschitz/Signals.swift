import FoundationEssentials
import LipschitzModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write end of the pipe the signal handler writes to (set before any handler is installed).
/// A global, because a C signal handler can capture nothing.
private var stopSignalPipe: Int32 = -1

/// SIGINT (Ctrl-C) and SIGTERM (what `timeout`, Slurm and `kill` send) ask a long command to
/// stop and report what it has: the first one sets the flag that `exact` and `compare` poll;
/// a second one, of either kind, ends the process at once (by that signal, default action).
///
/// The handler only writes the signal number to a pipe (async-signal-safe); a thread reads the
/// pipe and does the rest, so no lock or allocation ever happens inside the handler.
final class StopSignals: @unchecked Sendable {
    static let handled: [Int32] = [SIGINT, SIGTERM]

    private let lock = Lock()
    private var received: Int32 = 0

    /// Whether a stop was asked for.
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return received != 0 }

    /// 128 + the first signal's number (130 for SIGINT, 143 for SIGTERM), or nil when none came:
    /// the exit status of a command that stopped because it was asked to.
    var exitStatus: Int32? {
        lock.lock(); defer { lock.unlock() }
        return received == 0 ? nil : 128 + received
    }

    /// The subcommands that poll the flag: for them the handlers go in before the arguments are
    /// parsed, so that a signal during start-up stops the run with an interval rather than
    /// killing it silently. Every other command keeps the default actions (Ctrl-C ends it).
    /// (An array: a `Set<String>` cost ~1 % of a short run in generic-metadata set-up at start.)
    static let pollingCommands = ["exact", "compare"]

    /// The handlers installed so far (main thread only: `main` and the commands' `run`).
    private static var installed: StopSignals?

    /// First thing in `main`: installs the handlers when the subcommand named on the command
    /// line is one that polls them. What remains unprotected is the runtime's own start, before
    /// `main` (a few milliseconds), where a signal still has its default action.
    static func installEarly(arguments: [String]) {
        if arguments.count > 1, pollingCommands.contains(arguments[1]) { _ = install() }
    }

    /// Installs the handlers (once; a second call returns the same flag), first thing in the command.
    static func install() -> StopSignals {
        if let installed { return installed }
        let signals = StopSignals()
        installed = signals
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return signals } // no pipe: keep the default actions
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stopSignalPipe = fds[1]
        let readEnd = fds[0]  // a constant for the reader thread (the array is a var)
        startDetachedThread { signals.listen(readEnd) }

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signo in
            let saved = errno
            var byte = UInt8(truncatingIfNeeded: signo)
            _ = write(stopSignalPipe, &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        // Interrupted system calls in other threads (reads, writes) resume instead of failing.
        action.sa_flags = Int32(SA_RESTART)
        for signo in handled { sigaction(signo, &action, nil) }
        return signals
    }

    private func listen(_ fd: Int32) {
        while true {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            guard n == 1 else { return }
            let signo = Int32(byte)
            lock.lock()
            let first = received == 0
            if first { received = signo }
            lock.unlock()
            if !first {
                // The second request: end now, as the signal's default action would have.
                for s in Self.handled { signal(s, SIG_DFL) }
                kill(getpid(), signo)
                _exit(128 + signo)
            }
        }
    }
}
