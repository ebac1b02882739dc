import Dispatch
import FoundationEssentials
import Glibc
import LipschitzModel

/// Runs `body(0)` and `body(1)` at the same time: `body(1)` on a thread started for this call,
/// `body(0)` on the caller, which also runs `body(1)` itself when the helper has not taken it
/// by then. Returns when both have run.
///
/// Why not `DispatchQueue.concurrentPerform`: its worker threads are started on demand and
/// leave after a few idle seconds, and its caller runs every iteration no worker has taken yet;
/// so a search that follows a pause (the benchmark's, a command's single search) ran every
/// "parallel" half of the one-input sweep on one thread: 5 ms for 2·10^5 neurons where two
/// threads take 3. A thread of our own starts in tens of microseconds on an idle core. On a
/// busy machine, where the helper may start late, the caller takes its half as before: the
/// call never waits for a thread that has not started.
///
/// Safety: the half is claimed under a lock, once; the helper calls `body` only after claiming
/// it, and the caller then waits on `finished` before returning; after the caller has claimed
/// it, the helper finds the body gone and only releases the job. The lock and the semaphore
/// order the helper's writes before the caller's reads.
enum TwoHalves {
    static func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let job = HalfJob(body)
            let helper = Unmanaged.passRetained(job)
            var thread = pthread_t()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            let started = pthread_create(&thread, &attributes, { raw in
                let job = Unmanaged<HalfJob>.fromOpaque(raw!).takeRetainedValue()
                job.runIfUnclaimed()
                return nil
            }, helper.toOpaque()) == 0
            pthread_attr_destroy(&attributes)
            if !started { helper.release() }
            body(0)
            if job.claim() { body(1) } else { job.finished.wait() }
            job.drop()  // no reference to `body` may outlive this call
        }
    }
}

/// The shared state of one `TwoHalves.run`.
private final class HalfJob {
    private let lock = Lock()
    private var body: ((Int) -> Void)?
    private var claimed = false
    let finished = DispatchSemaphore(value: 0)

    init(_ body: @escaping (Int) -> Void) { self.body = body }

    /// Takes half 1 for the caller; false when the helper has it.
    func claim() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }

    /// The helper: runs half 1 if the caller has not taken it, then signals `finished`.
    func runIfUnclaimed() {
        if callUnclaimed() { finished.signal() }
    }

    /// Half 1 if unclaimed; its reference to `body` ends with this call, before the signal.
    @inline(never)
    private func callUnclaimed() -> Bool {
        lock.lock()
        let mine = claimed ? nil : body
        claimed = true
        lock.unlock()
        guard let mine else { return false }
        mine(1)
        return true
    }

    /// Forgets the body (the caller, before `run` returns).
    func drop() {
        lock.lock(); body = nil; lock.unlock()
    }
}
